//! The TLS handshake over any byte stream, bounded by a deadline, and the first-bytes tests
//! that tell a TLS record from a DICOM PDU for the engine's mismatch log lines.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rustls::{ClientConfig, ServerConfig};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::time::{timeout_at, Instant};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::error::{classify_io_error, FailureKind, TlsError};
use super::{ClientStream, ServerStream};

/// How many bytes [`accept`] reads before handing the stream to rustls: a TLS record header.
const HEAD: usize = 5;

/// Whether the first bytes received look like a TLS record (content type change_cipher_spec,
/// alert, handshake or application data; major version 3). A ClientHello starts 0x16 0x03.
/// Needs at least 2 bytes.
pub fn looks_like_tls(first: &[u8]) -> bool {
    first.len() >= 2 && (0x14..=0x17).contains(&first[0]) && first[1] == 0x03
}

/// Whether the first bytes received look like a DICOM Upper Layer PDU: a PDU type 0x01 to 0x07
/// followed by its reserved 0x00 byte. Needs at least 2 bytes.
pub fn looks_like_dicom(first: &[u8]) -> bool {
    first.len() >= 2 && (0x01..=0x07).contains(&first[0]) && first[1] == 0x00
}

/// What the first bytes are, for log lines: "a plain DICOM A-ASSOCIATE-RQ", "a TLS
/// handshake record", or "bytes 47 45 54 20 2f (neither TLS nor DICOM)".
pub fn describe_first_bytes(first: &[u8]) -> String {
    const PDUS: [&str; 7] = [
        "A-ASSOCIATE-RQ",
        "A-ASSOCIATE-AC",
        "A-ASSOCIATE-RJ",
        "P-DATA-TF",
        "A-RELEASE-RQ",
        "A-RELEASE-RP",
        "A-ABORT",
    ];
    if looks_like_dicom(first) {
        format!("a plain DICOM {} PDU", PDUS[usize::from(first[0]) - 1])
    } else if looks_like_tls(first) {
        let what = match first[0] {
            0x14 => "change_cipher_spec",
            0x15 => "alert",
            0x16 => "handshake",
            _ => "application data",
        };
        format!("a TLS {what} record")
    } else {
        let hex: Vec<String> = first.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("bytes {} (neither TLS nor DICOM)", hex.join(" "))
    }
}

/// The TLS server handshake on `tcp`, finished by `deadline`. Reads the first record header
/// itself so that a peer speaking plain DICOM (or anything else) is named as such
/// ([`FailureKind::PlainDicom`], [`FailureKind::NotTls`]) instead of a rustls parse error; the
/// bytes read are then handed to rustls, which reads the rest of the handshake. On failure
/// rustls has already sent the peer its alert; the caller closes the stream.
pub async fn accept<S>(
    mut tcp: S,
    cfg: Arc<ServerConfig>,
    deadline: Instant,
) -> Result<ServerStream<S>, TlsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = async move {
        let mut head = [0u8; HEAD];
        let mut got = 0;
        while got < HEAD {
            match tcp.read(&mut head[got..]).await {
                Ok(0) => {
                    let detail = if got == 0 {
                        "the peer closed the connection before sending anything".to_string()
                    } else {
                        format!(
                            "the peer closed the connection after sending {}",
                            describe_first_bytes(&head[..got])
                        )
                    };
                    return Err(TlsError::handshake(FailureKind::ClosedByPeer, detail));
                }
                Ok(n) => got += n,
                Err(e) => return Err(TlsError::Handshake(classify_io_error(&e))),
            }
            if got >= 2 && !looks_like_tls(&head[..got]) {
                return Err(not_tls_error(&head[..got]));
            }
        }
        TlsAcceptor::from(cfg)
            .accept_with(tcp, |conn| {
                // Cannot fail: rustls buffers a record header into an empty deframer.
                let _ = conn.read_tls(&mut &head[..]);
            })
            .await
            .map_err(|e| TlsError::Handshake(classify_io_error(&e)))
    };
    match timeout_at(deadline, handshake).await {
        Ok(result) => result,
        Err(_) => Err(timeout_error()),
    }
}

fn not_tls_error(first: &[u8]) -> TlsError {
    if looks_like_dicom(first) {
        TlsError::handshake(
            FailureKind::PlainDicom,
            format!(
                "the peer sent {} to a TLS port: it is not using TLS",
                describe_first_bytes(first)
            ),
        )
    } else {
        TlsError::handshake(
            FailureKind::NotTls,
            format!(
                "the peer sent {} where a TLS ClientHello was expected",
                describe_first_bytes(first)
            ),
        )
    }
}

fn timeout_error() -> TlsError {
    TlsError::handshake(
        FailureKind::Timeout,
        "the TLS handshake did not finish before its deadline",
    )
}

/// The TLS client handshake on `tcp`, finished by `deadline`. `server_name` must be the
/// `server_name` of the settings `cfg` was built from: it is sent as SNI when it is a DNS name
/// and checked against the certificate when `check_hostname`; with `None` no SNI is sent and
/// the configuration does not check the name (`client_config` refuses `check_hostname`
/// without a name).
pub async fn connect<S>(
    tcp: S,
    cfg: Arc<ClientConfig>,
    server_name: Option<&str>,
    deadline: Instant,
) -> Result<ClientStream<S>, TlsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = match server_name {
        Some(n) => ServerName::try_from(n.to_string()).map_err(|_| {
            TlsError::Config(format!(
                "server_hostname {n:?} is neither a DNS name nor an IP address"
            ))
        })?,
        // An IP address is never sent as SNI; the verifier ignores the name.
        None => ServerName::IpAddress(IpAddr::V4(Ipv4Addr::UNSPECIFIED).into()),
    };
    match timeout_at(deadline, TlsConnector::from(cfg).connect(name, tcp)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(TlsError::Handshake(classify_io_error(&e))),
        Err(_) => Err(timeout_error()),
    }
}
