//! DICOM over TLS: configuration, handshakes and error reporting on top of rustls.
//!
//! What this layer does, and what it leaves to the engine:
//! - [`TlsSettings`] is the whole TLS configuration of one side as plain data (PEM files or bytes,
//!   peer verification, hostname checking, SNI, protocol versions, cipher suites). The Python
//!   layer builds it from an `ssl.SSLContext` or from `fastdimse.TLSConfig`.
//! - [`server_config`] / [`client_config`] load and check everything once and give the
//!   `Arc<rustls::ServerConfig>` / `Arc<rustls::ClientConfig>` that every association of a
//!   server or requestor shares (so bad paths and keys fail at `start_server()` /
//!   `associate()`, not at the first handshake, and TLS session resumption works).
//! - [`accept`] / [`connect`] run the handshake over any byte stream
//!   (`AsyncRead + AsyncWrite + Unpin`) bounded by a deadline, on the association's own task.
//! - [`TlsError`] names what went wrong: a file and what is wrong with it, or a handshake
//!   failure sorted into a [`FailureKind`] (unknown CA, expired, hostname mismatch, no client
//!   certificate, protocol too old, not TLS at all ...) for exceptions and log lines.
//! - [`peer_identity`] / [`peer_subject`] give the peer certificate's subject and SANs for
//!   handlers that authorise by them.
//!
//! Crypto provider: `ring`. It builds with only a C compiler (no cmake, no Go), so the wheel
//! builds from crates.io on a bare machine and under `maturin --zig` for manylinux2014;
//! aws-lc-rs needs cmake and is hard to cross-compile (the reason dicom-rs chose the same).
//!
//! Profile: PS3.15 B.12 "BCP 195 RFC 8996 / RFC 9325" — TLS 1.2 and 1.3 only (1.3 preferred by
//! both sides), AEAD suites with ECDHE only, see [`BCP195_SUITES`]. The TLS 1.2 suites are a
//! subset of B.11 Extended BCP 195 (ECDHE_{ECDSA,RSA} with AES-GCM); rustls has no DHE and no
//! CBC suites, and never TLS < 1.2.

mod config;
mod error;
mod handshake;
mod keylog;
mod pem;
mod settings;
mod subject;
mod upgrade;
mod verify;

pub use config::{client_config, server_config, BCP195_SUITES};
pub use error::{classify_io_error, classify_rustls_error, FailureKind, HandshakeError, TlsError};
pub use handshake::{accept, connect, describe_first_bytes, looks_like_dicom, looks_like_tls};
pub use settings::{CaSource, CrlCheck, PemSource, TlsSettings, TlsVersion, VerifyPeer};
pub use subject::{parse_identity, peer_identity, peer_subject, CertIdentity};
pub use upgrade::{client_upgrade, server_upgrade};

/// The stream type an accepted TLS connection has.
pub type ServerStream<S> = tokio_rustls::server::TlsStream<S>;
/// The stream type a requested TLS connection has.
pub type ClientStream<S> = tokio_rustls::client::TlsStream<S>;
