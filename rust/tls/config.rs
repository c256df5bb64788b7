//! Building rustls configurations from [`TlsSettings`]: the BCP 195 profile, trust anchors,
//! peer verification and our own certificate, loaded and checked once per server or requestor.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use rustls_pki_types::ServerName;

use super::error::TlsError;
use super::pem;
use super::settings::{CaSource, PemSource, TlsSettings, TlsVersion, VerifyPeer};
use super::verify::{LenientName, NoVerification};

/// The cipher suites of PS3.15 B.12 (BCP 195, RFC 9325 section 4.2) that rustls implements, by
/// IANA name, in our order of preference: the TLS 1.3 suites, then the TLS 1.2 ECDHE suites with
/// AES-GCM and ChaCha20-Poly1305. No CBC, no RSA key exchange, no DHE (rustls has none of
/// them), so every connection has forward secrecy and an AEAD cipher.
pub const BCP195_SUITES: &[&str] = &[
    "TLS_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

fn suite_by_name(name: &str) -> Option<SupportedCipherSuite> {
    use ring::cipher_suite as cs;
    Some(match name {
        "TLS_AES_256_GCM_SHA384" => cs::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_128_GCM_SHA256" => cs::TLS13_AES_128_GCM_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256" => cs::TLS13_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" => {
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
        _ => return None,
    })
}

/// The protocol versions allowed, newest first.
fn versions(s: &TlsSettings) -> Result<Vec<&'static SupportedProtocolVersion>, TlsError> {
    if s.min_version > s.max_version {
        return Err(TlsError::Config(format!(
            "the minimum TLS version ({:?}) is above the maximum ({:?})",
            s.min_version, s.max_version
        )));
    }
    let mut out = Vec::new();
    if s.max_version >= TlsVersion::Tls13 {
        out.push(&rustls::version::TLS13);
    }
    if s.min_version <= TlsVersion::Tls12 {
        out.push(&rustls::version::TLS12);
    }
    Ok(out)
}

/// The ring provider restricted to the allowed suites; checks every allowed version keeps at
/// least one suite.
fn provider(s: &TlsSettings) -> Result<Arc<CryptoProvider>, TlsError> {
    let names: Vec<&str> = match &s.cipher_suites {
        None => BCP195_SUITES.to_vec(),
        Some(list) => list.iter().map(String::as_str).collect(),
    };
    let mut suites = Vec::new();
    for name in names {
        let suite = suite_by_name(name).ok_or_else(|| {
            TlsError::Config(format!(
                "cipher suite {name:?} is not allowed: fastdimse uses the BCP 195 suites only ({})",
                BCP195_SUITES.join(", ")
            ))
        })?;
        suites.push(suite);
    }
    for v in versions(s)? {
        if !suites.iter().any(|c| c.version() == v) {
            return Err(TlsError::Config(format!(
                "no cipher suite left for {:?} among the suites allowed",
                v.version
            )));
        }
    }
    // Deprecated in rustls 0.23.48 only because ring has no post-quantum key exchange
    // (X25519MLKEM768); B.12 asks for none, and ring is what builds everywhere (module docs).
    #[allow(deprecated)]
    let base = ring::default_provider();
    Ok(Arc::new(CryptoProvider {
        cipher_suites: suites,
        // X25519 first, then P-256, then P-384. rustls 0.23.48's ring provider puts P-384
        // first, and a client sends its key share for the first group: ring has no assembly
        // for P-384, so every handshake cost about 0.9 ms of CPU on each side in P-384 ECDH
        // alone (perf: `bn_mul_mont_nohw` under `p384_ecdh`), against tens of µs for X25519.
        // OpenSSL (DCMTK, Python's ssl) also prefers X25519. All three stay offered (B.11).
        kx_groups: vec![
            ring::kx_group::X25519,
            ring::kx_group::SECP256R1,
            ring::kx_group::SECP384R1,
        ],
        ..base
    }))
}

/// The private key: from `private_key`, else from the certificate chain's own file.
fn key_source(s: &TlsSettings, chain: &PemSource) -> PemSource {
    s.private_key.clone().unwrap_or_else(|| chain.clone())
}

fn keys_mismatch(e: rustls::Error, chain: &PemSource, key: &PemSource) -> TlsError {
    TlsError::Config(format!(
        "the private key in {} cannot be used with the certificate in {}: {e}",
        key.describe(),
        chain.describe()
    ))
}

/// The configuration a TLS server shares between its associations. Requires a certificate
/// chain and its key; with `verify_peer` `Require` or `Optional` requires trust anchors for
/// client certificates.
pub fn server_config(s: &TlsSettings) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider(s)?;
    let versions = versions(s)?;
    let chain_src = s.cert_chain.as_ref().ok_or_else(|| {
        TlsError::Config(
            "a TLS server needs a certificate and private key: call \
             load_cert_chain(certfile, keyfile) on the SSLContext, or give \
             TLSConfig(certfile=..., keyfile=...)"
                .into(),
        )
    })?;
    let chain = pem::load_certs(chain_src, "certificate chain file")?;
    let key_src = key_source(s, chain_src);
    let key = pem::load_key(&key_src)?;
    let verifier: Arc<dyn ClientCertVerifier> = match s.verify_peer {
        VerifyPeer::None => WebPkiClientVerifier::no_client_auth(),
        VerifyPeer::Require | VerifyPeer::Optional => {
            let roots = pem::load_roots(&s.ca)?;
            if roots.is_empty() {
                return Err(TlsError::Config(
                    "client certificates are to be verified (CERT_REQUIRED / CERT_OPTIONAL) but \
                     no CA certificate is loaded to verify them with: call \
                     load_verify_locations(cafile=...) or give TLSConfig(cafile=...)"
                        .into(),
                ));
            }
            let mut b =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
            if s.verify_peer == VerifyPeer::Optional {
                b = b.allow_unauthenticated();
            }
            if s.ca.contains(&CaSource::System) {
                // The CertificateRequest would name every system CA (about 150, ~15 KB);
                // OpenSSL, and so Python's ssl, names none unless told to.
                b = b.clear_root_hint_subjects();
            }
            b.build()
                .map_err(|e| TlsError::Config(format!("cannot verify client certificates: {e}")))?
        }
    };
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| TlsError::Config(format!("TLS versions: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| keys_mismatch(e, chain_src, &key_src))?;
    Ok(Arc::new(config))
}

/// The configuration a requestor uses for its associations. With `verify_peer` other than
/// `None`, requires trust anchors; with `check_hostname`, requires `server_name` (as Python's
/// "check_hostname requires server_hostname"). SNI is sent only for a DNS `server_name`.
pub fn client_config(s: &TlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider(s)?;
    let versions = versions(s)?;
    if let Some(name) = &s.server_name {
        ServerName::try_from(name.as_str()).map_err(|_| {
            TlsError::Config(format!(
                "server_hostname {name:?} is neither a DNS name nor an IP address"
            ))
        })?;
    }
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match s.verify_peer {
        VerifyPeer::None => {
            if s.check_hostname {
                return Err(TlsError::Config(
                    "check_hostname needs the server's certificate verified: CERT_NONE and \
                     check_hostname=True cannot go together"
                        .into(),
                ));
            }
            Arc::new(NoVerification {
                provider: provider.clone(),
            })
        }
        VerifyPeer::Require | VerifyPeer::Optional => {
            if s.check_hostname && s.server_name.is_none() {
                return Err(TlsError::Config(
                    "check_hostname requires server_hostname: pass tls_args=(context, \
                     'host.name') or set check_hostname = False"
                        .into(),
                ));
            }
            let roots = pem::load_roots(&s.ca)?;
            if roots.is_empty() {
                return Err(TlsError::Config(
                    "the server's certificate is to be verified but no CA certificate is \
                     loaded to verify it with: call load_verify_locations(cafile=...) or \
                     load_default_certs(), give TLSConfig(cafile=...), or set verify_mode = \
                     CERT_NONE"
                        .into(),
                ));
            }
            let inner =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| {
                        TlsError::Config(format!("cannot verify server certificates: {e}"))
                    })?;
            if s.check_hostname && !s.hostname_checks_common_name {
                inner
            } else {
                Arc::new(LenientName {
                    inner,
                    skip: !s.check_hostname,
                })
            }
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| TlsError::Config(format!("TLS versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &s.cert_chain {
        Some(chain_src) => {
            let chain = pem::load_certs(chain_src, "certificate chain file")?;
            let key_src = key_source(s, chain_src);
            let key = pem::load_key(&key_src)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| keys_mismatch(e, chain_src, &key_src))?
        }
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = s.server_name.is_some();
    Ok(Arc::new(config))
}
