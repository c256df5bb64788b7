//! Server certificate verifiers for what rustls has no switch for (rustls #1291):
//! [`LenientName`] (Python's `check_hostname = False` with `CERT_REQUIRED`: the chain is
//! verified, the name is not; or OpenSSL's fallback to the subject CN for a certificate without
//! DNS names, `hostname_checks_common_name`) and [`NoVerification`] (`CERT_NONE`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Verifies the chain against the trust anchors as WebPKI does, but accepts a certificate that
/// does not match the server name when `skip` (no hostname check), or when it has no DNS
/// subject alternative name and a subject CN matches the DNS name connected to (OpenSSL's
/// rule, on in Python by default). Safe to rely on the error's kind: webpki verifies the chain
/// (and revocation) before the name, so a name error means the chain was good.
#[derive(Debug)]
pub(crate) struct LenientName {
    pub inner: Arc<WebPkiServerVerifier>,
    pub skip: bool,
}

/// Whether `pattern` (a CN) matches the DNS name `host` as OpenSSL matches it: ASCII
/// case-insensitive, a trailing dot ignored, a `*` only as the whole left-most label of a
/// pattern with at least two more labels, matching exactly one label.
fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = pattern.strip_prefix("*.") {
        if rest.split('.').count() < 2 {
            return false;
        }
        return match host.split_once('.') {
            Some((label, host_rest)) => !label.is_empty() && host_rest == rest,
            None => false,
        };
    }
    !pattern.is_empty() && pattern == host
}

/// OpenSSL's fallback: a certificate without DNS names whose subject CN matches `name`.
fn common_name_matches(cert: &CertificateDer<'_>, name: &ServerName<'_>) -> bool {
    let ServerName::DnsName(dns) = name else {
        return false; // OpenSSL checks IP addresses against IP SANs only
    };
    let Some(id) = super::subject::parse_identity(cert.as_ref()) else {
        return false;
    };
    if id.sans.iter().any(|(kind, _)| kind == "DNS") {
        return false;
    }
    id.subject_attrs
        .iter()
        .any(|(k, v)| k == "CN" && dns_matches(v, dns.as_ref()))
}

impl ServerCertVerifier for LenientName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.skip || common_name_matches(end_entity, server_name) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any server certificate (`CERT_NONE`). The handshake signature is still checked
/// against the presented certificate's key, as OpenSSL does, so the peer must hold that key.
#[derive(Debug)]
pub(crate) struct NoVerification {
    pub provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::dns_matches;

    #[test]
    fn common_name_matching_follows_openssl() {
        assert!(dns_matches("localhost", "LOCALHOST"));
        assert!(dns_matches("pacs.example.org.", "pacs.example.org"));
        assert!(dns_matches("*.example.org", "pacs.example.org"));
        assert!(!dns_matches("*.example.org", "a.pacs.example.org"));
        assert!(!dns_matches("*.org", "example.org"));
        assert!(!dns_matches("pacs.example.org", "other.example.org"));
        assert!(!dns_matches("", ""));
    }
}
