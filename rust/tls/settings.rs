//! [`TlsSettings`]: one side's TLS configuration as plain data, before anything is loaded.

use std::path::PathBuf;

/// Where PEM text comes from: a file read when the configuration is built, or bytes already
/// read (the Python layer reads `load_cert_chain`'s files when it is called, as `ssl` does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemSource {
    Path(PathBuf),
    /// PEM bytes; `origin` names them in errors (for example the file they were read from).
    Bytes {
        data: Vec<u8>,
        origin: Option<String>,
    },
}

impl PemSource {
    /// How errors name this source: the path, or where the bytes came from.
    pub fn describe(&self) -> String {
        match self {
            PemSource::Path(p) => format!("'{}'", p.display()),
            PemSource::Bytes {
                origin: Some(o), ..
            } => o.clone(),
            PemSource::Bytes { origin: None, .. } => "the PEM data given in memory".to_string(),
        }
    }
}

/// Certificates trusted to verify the peer (Python's `load_verify_locations` /
/// `load_default_certs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaSource {
    /// A PEM file of one or more certificates (`cafile`).
    File(PathBuf),
    /// A directory: every file in it that holds PEM certificates (`capath`); other files are
    /// skipped, as OpenSSL skips them.
    Dir(PathBuf),
    /// PEM text with one or more certificates (`cadata` as `str`, or a `cafile` already
    /// read); `origin` names it in errors.
    Pem {
        data: Vec<u8>,
        origin: Option<String>,
    },
    /// One DER certificate (`cadata` as bytes is split into these by the Python layer).
    Der(Vec<u8>),
    /// The operating system's trust store (`load_default_certs`), through
    /// `rustls-native-certs` (which honours `SSL_CERT_FILE` / `SSL_CERT_DIR` as OpenSSL does).
    System,
}

/// Whether and how the peer's certificate is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyPeer {
    /// Server: a client certificate is required and verified (`CERT_REQUIRED`).
    /// Client: the server's certificate is verified (`CERT_REQUIRED` / `CERT_OPTIONAL`).
    Require,
    /// Server: a client certificate is asked for and verified if presented (`CERT_OPTIONAL`).
    /// Client: same as `Require` (Python's meaning of `CERT_OPTIONAL` on a client).
    Optional,
    /// Server: no client certificate is asked for. Client: the server's certificate is not
    /// verified at all (`CERT_NONE`; the handshake signature is still checked).
    None,
}

/// Revocation checking against the CRLs found among the CA sources (PEM `X509 CRL`
/// sections): Python's `VERIFY_CRL_CHECK_LEAF` / `VERIFY_CRL_CHECK_CHAIN`. A certificate whose
/// issuer has no CRL loaded fails, as with OpenSSL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrlCheck {
    /// CRLs are not consulted (OpenSSL's default, even when some are loaded).
    None,
    /// The peer's own certificate is checked.
    Leaf,
    /// Every certificate of the chain is checked.
    Chain,
}

/// A TLS protocol version this layer can use: 1.2 and 1.3, never lower (RFC 8996).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

/// One side's TLS configuration (server or client), as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    /// Our certificate chain, leaf first (PEM). Required on a server; optional on a client
    /// (mutual TLS).
    pub cert_chain: Option<PemSource>,
    /// Our private key (PEM, unencrypted: PKCS#8, PKCS#1 or SEC1). `None` = look for it in
    /// `cert_chain`, as `load_cert_chain(certfile)` without `keyfile` does.
    pub private_key: Option<PemSource>,
    /// Certificates trusted to verify the peer.
    pub ca: Vec<CaSource>,
    pub verify_peer: VerifyPeer,
    /// Client only: the server's certificate must match `server_name` (DNS name or IP).
    pub check_hostname: bool,
    /// Client only, with `check_hostname`: a server certificate without DNS names also
    /// matches through its subject CN (OpenSSL's rule; Python's `hostname_checks_common_name`,
    /// on by default there). rustls alone never looks at the CN.
    pub hostname_checks_common_name: bool,
    /// Client only: the name sent as SNI (DNS names only, never IP addresses) and checked
    /// against the server's certificate when `check_hostname`.
    pub server_name: Option<String>,
    pub min_version: TlsVersion,
    pub max_version: TlsVersion,
    pub crl_check: CrlCheck,
    /// Append the TLS secrets to this file in the NSS key log format (for Wireshark), as
    /// Python's `SSLContext.keylog_filename` does.
    pub key_log: Option<PathBuf>,
    /// IANA names of the cipher suites allowed (`None` = all of [`super::BCP195_SUITES`]);
    /// every name must be one of those.
    pub cipher_suites: Option<Vec<String>>,
}

impl Default for TlsSettings {
    /// Verify the peer, check the hostname, TLS 1.2 to 1.3, all BCP 195 suites, nothing loaded.
    fn default() -> Self {
        TlsSettings {
            cert_chain: None,
            private_key: None,
            ca: Vec::new(),
            verify_peer: VerifyPeer::Require,
            check_hostname: true,
            hostname_checks_common_name: false,
            server_name: None,
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            crl_check: CrlCheck::None,
            key_log: None,
            cipher_suites: None,
        }
    }
}
