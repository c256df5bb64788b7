//! TLS as the engine's transport upgrade (`net::Upgrade`): the handshake runs on the
//! association's own task, under the deadline the engine sets (ARTIM for an accepted
//! connection, the ACSE timeout for a requested one), and the association then runs over the
//! TLS stream with the peer certificate's identity attached.

use std::sync::Arc;
use std::time::Duration;

use crate::net::sys::AsRawFd;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::net::{Conn, NetError, Upgrade};

use super::handshake::{accept, connect};
use super::subject::peer_identity;
use super::TlsError;

/// The handshake's own deadline: far away, since the engine bounds the upgrade itself.
const NO_DEADLINE: Duration = Duration::from_secs(24 * 3600);

fn net_error(e: TlsError) -> NetError {
    match e {
        TlsError::Handshake(h) => NetError::Handshake(format!("({}): {}", h.kind, h.detail)),
        TlsError::Config(msg) => NetError::Handshake(msg),
    }
}

/// Accepted connections: the TLS server handshake with `cfg`.
pub fn server_upgrade(cfg: Arc<rustls::ServerConfig>) -> Upgrade {
    Upgrade::new("TLS handshake", move |tcp: TcpStream| {
        let cfg = Arc::clone(&cfg);
        Box::pin(async move {
            let peer = tcp.peer_addr()?;
            let local = tcp.local_addr().unwrap_or(peer);
            let _ = tcp.set_nodelay(true);
            let fd = tcp.as_raw_fd();
            let stream = accept(tcp, cfg, Instant::now() + NO_DEADLINE)
                .await
                .map_err(net_error)?;
            let identity = peer_identity(stream.get_ref().1);
            Ok(Conn::stream(stream, peer, local)
                .with_peer_certificate(identity)
                .with_poll_fd(fd))
        })
    })
}

/// Requested connections: the TLS client handshake with `cfg`, sending `server_name` as SNI
/// and checking it when the configuration says so.
pub fn client_upgrade(cfg: Arc<rustls::ClientConfig>, server_name: Option<String>) -> Upgrade {
    Upgrade::new("TLS handshake", move |tcp: TcpStream| {
        let cfg = Arc::clone(&cfg);
        let name = server_name.clone();
        Box::pin(async move {
            let peer = tcp.peer_addr()?;
            let local = tcp.local_addr().unwrap_or(peer);
            let _ = tcp.set_nodelay(true);
            let fd = tcp.as_raw_fd();
            let stream = connect(tcp, cfg, name.as_deref(), Instant::now() + NO_DEADLINE)
                .await
                .map_err(net_error)?;
            let identity = peer_identity(stream.get_ref().1);
            Ok(Conn::stream(stream, peer, local)
                .with_peer_certificate(identity)
                .with_poll_fd(fd))
        })
    })
}
