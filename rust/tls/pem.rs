//! Reading certificates, private keys and trust anchors from PEM, with errors that name the
//! file and what is wrong with it.

use std::fs;
use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use super::error::TlsError;
use super::settings::{CaSource, PemSource};

/// The bytes of a source; `what` says what the file is for ("certificate chain", ...).
pub(crate) fn read_source(src: &PemSource, what: &str) -> Result<Vec<u8>, TlsError> {
    match src {
        PemSource::Path(p) => read_file(p, what),
        PemSource::Bytes { data, .. } => Ok(data.clone()),
    }
}

fn read_file(p: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    fs::read(p)
        .map_err(|e| TlsError::Config(format!("cannot read the {what} '{}': {e}", p.display())))
}

/// Every PEM section of `data` in order, as (kind, DER); sections of other kinds are skipped.
fn sections(data: &[u8], name: &str, what: &str) -> Result<Vec<(SectionKind, Vec<u8>)>, TlsError> {
    let mut out = Vec::new();
    let mut rd = data;
    loop {
        match pem::from_buf(&mut rd) {
            Ok(Some(item)) => out.push(item),
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(TlsError::Config(format!(
                    "the {what} {name} is not valid PEM: {e}"
                )))
            }
        }
    }
}

/// The certificates of a PEM source, in order; an error if there is none.
pub(crate) fn load_certs(
    src: &PemSource,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = read_source(src, what)?;
    let name = src.describe();
    let certs: Vec<_> = sections(&data, &name, what)?
        .into_iter()
        .filter(|(k, _)| *k == SectionKind::Certificate)
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    if certs.is_empty() {
        return Err(TlsError::Config(format!(
            "the {what} {name} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

/// Whether PEM text holds an encrypted private key (PKCS#8 `ENCRYPTED PRIVATE KEY`, or the
/// legacy OpenSSL `Proc-Type: 4,ENCRYPTED` header).
pub(crate) fn has_encrypted_key(data: &[u8]) -> bool {
    let has = |needle: &[u8]| data.windows(needle.len()).any(|w| w == needle);
    has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED")
}

/// The private key of a PEM source (the first one); encrypted keys are refused.
pub(crate) fn load_key(src: &PemSource) -> Result<PrivateKeyDer<'static>, TlsError> {
    let what = "private key file";
    let data = read_source(src, what)?;
    let name = src.describe();
    if has_encrypted_key(&data) {
        return Err(TlsError::Config(format!(
            "the private key in {name} is encrypted; fastdimse needs an unencrypted PEM key \
             (decrypt it with `openssl pkey -in KEY -out PLAIN`, and keep that file readable \
             only by the service)"
        )));
    }
    for (kind, der) in sections(&data, &name, what)? {
        if let Some(key) = PrivateKeyDer::from_pem(kind, der) {
            return Ok(key);
        }
    }
    Err(TlsError::Config(format!(
        "{name} holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC \
         PRIVATE KEY)"
    )))
}

/// What the CA sources hold: trust anchors, and the CRLs found among them.
pub(crate) struct Trust {
    pub roots: RootCertStore,
    pub crls: Vec<CertificateRevocationListDer<'static>>,
}

/// The trust anchors and CRLs of all `ca` sources. Files and in-memory data must parse and
/// hold a certificate or a CRL; a directory contributes every certificate and CRL it holds
/// (other files are skipped, as OpenSSL's `capath` skips them); the system store contributes
/// what `rustls-native-certs` finds.
pub(crate) fn load_trust(ca: &[CaSource]) -> Result<Trust, TlsError> {
    let mut trust = Trust {
        roots: RootCertStore::empty(),
        crls: Vec::new(),
    };
    for src in ca {
        match src {
            CaSource::File(p) => {
                let data = read_file(p, "CA file")?;
                add_pem(&mut trust, &data, &format!("the CA file '{}'", p.display()))?;
            }
            CaSource::Pem { data, origin } => {
                let name = origin
                    .clone()
                    .unwrap_or_else(|| "the CA data (cadata)".into());
                add_pem(&mut trust, data, &name)?;
            }
            CaSource::Der(der) => {
                add_all(
                    &mut trust.roots,
                    vec![CertificateDer::from(der.clone())],
                    "the CA data (cadata)",
                )?;
            }
            CaSource::Dir(dir) => load_dir(&mut trust, dir)?,
            CaSource::System => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = trust.roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    log::warn!(
                        target: "fastdimse",
                        "TLS: no CA certificates found in the system trust store{}",
                        found
                            .errors
                            .first()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(trust)
}

/// The certificates (as trust anchors) and CRLs of PEM text; an error if it has neither.
fn add_pem(trust: &mut Trust, data: &[u8], name: &str) -> Result<(), TlsError> {
    let mut certs = Vec::new();
    let mut crls = 0;
    for (kind, der) in sections(data, name, "CA data")? {
        match kind {
            SectionKind::Certificate => certs.push(CertificateDer::from(der)),
            SectionKind::Crl => {
                trust.crls.push(CertificateRevocationListDer::from(der));
                crls += 1;
            }
            _ => {}
        }
    }
    if certs.is_empty() && crls == 0 {
        return Err(TlsError::Config(format!(
            "{name} holds no PEM certificate (-----BEGIN CERTIFICATE-----) or CRL"
        )));
    }
    add_all(&mut trust.roots, certs, name)
}

fn add_all(
    roots: &mut RootCertStore,
    certs: Vec<CertificateDer<'static>>,
    name: &str,
) -> Result<(), TlsError> {
    for (i, cert) in certs.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            TlsError::Config(format!(
                "certificate {} of {name} cannot be used as a trust anchor: {e}",
                i + 1
            ))
        })?;
    }
    Ok(())
}

fn load_dir(trust: &mut Trust, dir: &Path) -> Result<(), TlsError> {
    let entries = fs::read_dir(dir).map_err(|e| {
        TlsError::Config(format!(
            "cannot read the CA directory '{}': {e}",
            dir.display()
        ))
    })?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| p.is_file()) {
        let Ok(data) = fs::read(&path) else { continue };
        let mut rd = data.as_slice();
        while let Ok(Some((kind, der))) = pem::from_buf(&mut rd) {
            match kind {
                SectionKind::Certificate => {
                    trust
                        .roots
                        .add_parsable_certificates([CertificateDer::from(der)]);
                }
                SectionKind::Crl => trust.crls.push(CertificateRevocationListDer::from(der)),
                _ => {}
            }
        }
    }
    Ok(())
}
