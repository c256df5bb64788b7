//! Reading certificates, private keys and trust anchors from PEM, with errors that name the
//! file and what is wrong with it.

use std::fs;
use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

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

/// The trust anchors of all `ca` sources. Files and in-memory data must parse; a directory
/// contributes every certificate it holds (other files are skipped, as OpenSSL's `capath`
/// skips them); the system store contributes what `rustls-native-certs` finds.
pub(crate) fn load_roots(ca: &[CaSource]) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for src in ca {
        match src {
            CaSource::File(p) => {
                let certs = load_certs(&PemSource::Path(p.clone()), "CA file")?;
                add_all(&mut roots, certs, &format!("the CA file '{}'", p.display()))?;
            }
            CaSource::Pem { data, origin } => {
                let name = origin
                    .clone()
                    .unwrap_or_else(|| "the CA data (cadata)".into());
                let src = PemSource::Bytes {
                    data: data.clone(),
                    origin: Some(name.clone()),
                };
                let certs = load_certs(&src, "CA data")?;
                add_all(&mut roots, certs, &name)?;
            }
            CaSource::Der(der) => {
                add_all(
                    &mut roots,
                    vec![CertificateDer::from(der.clone())],
                    "the CA data (cadata)",
                )?;
            }
            CaSource::Dir(dir) => load_dir(&mut roots, dir)?,
            CaSource::System => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = roots.add_parsable_certificates(found.certs);
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
    Ok(roots)
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

fn load_dir(roots: &mut RootCertStore, dir: &Path) -> Result<(), TlsError> {
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
        let certs = CertificateDer::pem_slice_iter(&data).filter_map(Result::ok);
        roots.add_parsable_certificates(certs);
    }
    Ok(())
}
