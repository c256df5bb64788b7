//! [`TlsError`]: the one error type of the TLS layer, and the classifier that turns rustls and
//! I/O errors from a handshake into a [`FailureKind`] with a sentence for logs and exceptions.

use std::fmt;
use std::io;

use rustls::{AlertDescription, CertificateError, PeerIncompatible};

/// Why a TLS handshake (or a TLS read after it) failed, sorted for callers and log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The peer's certificate is not signed by a CA we trust, or ours not by one it trusts.
    UnknownCa,
    CertificateExpired,
    CertificateNotYetValid,
    /// The server's certificate is not valid for the name or address we connected to.
    HostnameMismatch,
    /// The server requires a client certificate and none was presented.
    NoClientCertificate,
    /// Any other certificate problem (bad encoding, wrong key usage, revoked, ...).
    BadCertificate,
    /// No TLS version in common (for example a TLS 1.0 / 1.1 peer).
    ProtocolVersion,
    /// No cipher suite or key exchange group in common.
    NoSharedCipher,
    /// The peer sent a plain DICOM PDU where a TLS record was expected.
    PlainDicom,
    /// The peer sent bytes that are neither TLS nor DICOM.
    NotTls,
    /// The peer closed the connection before the handshake finished.
    ClosedByPeer,
    /// The handshake did not finish before its deadline.
    Timeout,
    /// The peer sent a TLS alert not covered above.
    PeerAlert,
    /// Any other TLS protocol violation (malformed or unexpected records, bad MAC, ...).
    Protocol,
    /// A socket error.
    Io,
}

impl FailureKind {
    /// A short fixed name for the category, for log lines and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::UnknownCa => "unknown CA",
            FailureKind::CertificateExpired => "certificate expired",
            FailureKind::CertificateNotYetValid => "certificate not yet valid",
            FailureKind::HostnameMismatch => "hostname mismatch",
            FailureKind::NoClientCertificate => "no client certificate",
            FailureKind::BadCertificate => "bad certificate",
            FailureKind::ProtocolVersion => "protocol version",
            FailureKind::NoSharedCipher => "no shared cipher suite",
            FailureKind::PlainDicom => "plain DICOM on a TLS connection",
            FailureKind::NotTls => "not TLS",
            FailureKind::ClosedByPeer => "connection closed",
            FailureKind::Timeout => "handshake timeout",
            FailureKind::PeerAlert => "alert from the peer",
            FailureKind::Protocol => "TLS protocol error",
            FailureKind::Io => "I/O error",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed handshake: its category and a sentence that says what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeError {
    pub kind: FailureKind,
    pub detail: String,
}

impl HandshakeError {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        HandshakeError {
            kind,
            detail: detail.into(),
        }
    }
}

/// Every error of the TLS layer.
#[derive(Debug)]
pub enum TlsError {
    /// Settings that cannot work, or a file that cannot be read or used; the message names the
    /// value (path, setting) and what is wrong with it.
    Config(String),
    /// A handshake (or a TLS read after it) failed.
    Handshake(HandshakeError),
}

impl TlsError {
    /// The handshake failure's category, `None` for a configuration error.
    pub fn kind(&self) -> Option<FailureKind> {
        match self {
            TlsError::Handshake(h) => Some(h.kind),
            TlsError::Config(_) => None,
        }
    }

    pub(crate) fn handshake(kind: FailureKind, detail: impl Into<String>) -> Self {
        TlsError::Handshake(HandshakeError::new(kind, detail))
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Config(msg) => f.write_str(msg),
            TlsError::Handshake(h) => write!(f, "TLS handshake failed ({}): {}", h.kind, h.detail),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<HandshakeError> for TlsError {
    fn from(h: HandshakeError) -> Self {
        TlsError::Handshake(h)
    }
}

/// Sorts an error from a handshake or a TLS read: rustls errors carried inside the
/// `io::Error` (as tokio-rustls returns them) by [`classify_rustls_error`], a closed connection
/// as [`FailureKind::ClosedByPeer`], anything else as [`FailureKind::Io`].
pub fn classify_io_error(e: &io::Error) -> HandshakeError {
    if let Some(inner) = e.get_ref() {
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return classify_rustls_error(tls);
        }
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => HandshakeError::new(
            FailureKind::ClosedByPeer,
            "the peer closed the connection during the TLS handshake; a plain (non-TLS) DICOM \
             port, or a peer that refused our certificate or settings, does this",
        ),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => HandshakeError::new(
            FailureKind::ClosedByPeer,
            format!(
                "the peer reset the connection during the TLS handshake ({e}); a plain \
                 (non-TLS) DICOM port, or a peer that refused our certificate or settings, \
                 does this"
            ),
        ),
        _ => HandshakeError::new(FailureKind::Io, e.to_string()),
    }
}

/// Sorts a rustls error into a [`FailureKind`] with a sentence for logs and exceptions. Alerts
/// received are worded as the peer's view ("the peer does not trust our certificate").
pub fn classify_rustls_error(e: &rustls::Error) -> HandshakeError {
    use FailureKind as K;
    let (kind, what): (K, String) = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => (
                K::UnknownCa,
                "the peer's certificate is not signed by a trusted CA".into(),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                K::CertificateExpired,
                "the peer's certificate has expired".into(),
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                K::CertificateNotYetValid,
                "the peer's certificate is not valid yet".into(),
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                (
                    K::HostnameMismatch,
                    "the server's certificate does not match the name or address connected to"
                        .into(),
                )
            }
            CertificateError::Revoked => (
                K::BadCertificate,
                "the peer's certificate has been revoked (it is on its CA's CRL)".into(),
            ),
            CertificateError::UnknownRevocationStatus => (
                K::BadCertificate,
                "revocation checking is on but no CRL from the peer certificate's issuer is \
                 loaded"
                    .into(),
            ),
            _ => (
                K::BadCertificate,
                "the peer's certificate was refused".into(),
            ),
        },
        rustls::Error::NoCertificatesPresented => (
            K::NoClientCertificate,
            "a client certificate is required and the client presented none".into(),
        ),
        rustls::Error::AlertReceived(alert) => classify_alert(*alert),
        rustls::Error::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCipherSuitesInCommon
            | PeerIncompatible::NoKxGroupsInCommon
            | PeerIncompatible::NoSignatureSchemesInCommon => (
                K::NoSharedCipher,
                "no cipher suite, key exchange group or signature scheme in common with the peer \
                 (BCP 195 AEAD suites with ECDHE only)"
                    .into(),
            ),
            PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled
            | PeerIncompatible::Tls13RequiredForQuic
            | PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            | PeerIncompatible::SupportedVersionsExtensionRequired
            // signature_algorithms came with TLS 1.2: a hello without it is TLS 1.1 or older.
            | PeerIncompatible::SignatureAlgorithmsExtensionRequired => (
                K::ProtocolVersion,
                "no TLS version in common with the peer (only TLS 1.2 and 1.3 are allowed)".into(),
            ),
            _ => (
                K::Protocol,
                "the peer's TLS settings are incompatible".into(),
            ),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
        | rustls::Error::InvalidMessage(rustls::InvalidMessage::UnknownProtocolVersion) => (
            K::NotTls,
            "the peer sent data that is not TLS (is it a plain, non-TLS DICOM port?)".into(),
        ),
        _ => (K::Protocol, "the peer broke the TLS protocol".into()),
    };
    HandshakeError::new(kind, format!("{what} ({e})"))
}

fn classify_alert(alert: AlertDescription) -> (FailureKind, String) {
    use FailureKind as K;
    match alert {
        AlertDescription::UnknownCA => (
            K::UnknownCa,
            "the peer does not trust the CA that signed our certificate".into(),
        ),
        AlertDescription::CertificateExpired => (
            K::CertificateExpired,
            "the peer says our certificate has expired".into(),
        ),
        AlertDescription::CertificateRequired => (
            K::NoClientCertificate,
            "the server requires a client certificate and we presented none".into(),
        ),
        AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateRevoked
        | AlertDescription::CertificateUnknown
        | AlertDescription::AccessDenied => {
            (K::BadCertificate, "the peer refused our certificate".into())
        }
        AlertDescription::ProtocolVersion => (
            K::ProtocolVersion,
            "the peer has no TLS version in common with us".into(),
        ),
        AlertDescription::InsufficientSecurity => (
            K::NoSharedCipher,
            "the peer has no cipher suite in common with us".into(),
        ),
        AlertDescription::HandshakeFailure => (
            K::PeerAlert,
            "the peer ended the handshake (no common version or cipher suite, or it refused \
             our certificate or lack of one)"
                .into(),
        ),
        other => (K::PeerAlert, format!("the peer sent the alert {other:?}")),
    }
}
