//! The requestor side: connect, negotiate, hand back the association.

use std::sync::Arc;

use tokio::net::TcpStream;

use crate::assoc;

use super::association;
use super::client_runtime;
use super::command::Reply;
use super::config::ClientConfig;
use super::error::NetError;
use super::hooks::Hooks;
use super::info::Role;
use super::log;
use super::shared::{AssocShared, Opening};
use super::transport::Conn;
use super::waiter::Waiter;

/// Connects to `peer` from the local address `local`.
async fn connect_from(
    local: std::net::SocketAddr,
    peer: std::net::SocketAddr,
) -> std::io::Result<TcpStream> {
    let socket = if local.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind(local)?;
    socket.connect(peer).await
}

/// Connects to the first address of `host:port` that answers, within the connection timeout.
async fn connect(host: &str, port: u16, cfg: &ClientConfig) -> Result<TcpStream, NetError> {
    let attempts = async {
        let mut last_err = None;
        for addr in tokio::net::lookup_host((host, port)).await? {
            let attempt = match cfg.bind_address {
                Some(local) if local.is_ipv4() == addr.is_ipv4() => connect_from(local, addr).await,
                Some(_) => continue, // the other address family cannot use this binding
                None => TcpStream::connect(addr).await,
            };
            match attempt {
                Ok(s) => return Ok(s),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err
            .unwrap_or_else(|| std::io::Error::other(format!("no address found for {host}"))))
    };
    match cfg.timeouts.connection {
        Some(t) => match tokio::time::timeout(t, attempts).await {
            Ok(r) => r.map_err(NetError::Io),
            Err(_) => Err(NetError::ConnectTimeout),
        },
        None => attempts.await.map_err(NetError::Io),
    }
}

/// Runs one requested association over `conn` to its end; `done` gets the association once
/// negotiation has an outcome.
async fn run_request(
    conn: Conn,
    cfg: Arc<ClientConfig>,
    hooks: Arc<dyn Hooks>,
    rq: crate::pdu::Associate<'static>,
    done: Reply<Result<Arc<AssocShared>, NetError>>,
) {
    let (peer, local) = match conn.addresses() {
        Ok(a) => a,
        Err(e) => {
            done.send(Err(NetError::Io(e)));
            return;
        }
    };
    let (shared, rx) = AssocShared::open(
        &conn,
        Opening {
            role: Role::Requestor,
            peer,
            local,
            timeouts: cfg.timeouts,
            hooks: hooks.as_ref(),
            poll_ceiling: cfg.poll_ceiling,
        },
    );
    // This task goes on to run the association: the outcome reaches `done` as soon as
    // negotiation has one, with no hand-off to another task first.
    association::request(conn, shared, hooks, rx, cfg, rq, done).await;
}

/// Requests an association over `conn` (any transport: an in-memory pipe in tests, a stream
/// the caller connected itself). The waiter yields it once negotiation has an outcome.
pub fn start_associate_over(
    conn: Conn,
    cfg: ClientConfig,
    hooks: Arc<dyn Hooks>,
) -> Result<Waiter<Result<Arc<AssocShared>, NetError>>, NetError> {
    let rq = assoc::build_rq(&cfg.requestor)?;
    let (reply, waiter) = Reply::waiter(true);
    let cfg = Arc::new(cfg);
    client_runtime::client_handle().spawn(run_request(conn, cfg, hooks, rq, reply));
    Ok(waiter)
}

/// Starts connecting to `host:port` and requesting an association. The waiter yields the
/// association once it is established, rejected or aborted, or the connection error; the
/// thread that waits drives the connection meanwhile.
/// Local configuration errors are returned at once, before anything touches the network.
pub fn start_associate(
    host: &str,
    port: u16,
    cfg: ClientConfig,
    hooks: Arc<dyn Hooks>,
) -> Result<Waiter<Result<Arc<AssocShared>, NetError>>, NetError> {
    let (reply, waiter) = Reply::waiter(true);
    start_associate_with(host, port, cfg, hooks, reply)?;
    Ok(waiter)
}

/// As [`start_associate`], with the outcome delivered to `done`.
pub fn start_associate_with(
    host: &str,
    port: u16,
    cfg: ClientConfig,
    hooks: Arc<dyn Hooks>,
    done: Reply<Result<Arc<AssocShared>, NetError>>,
) -> Result<(), NetError> {
    let rq = assoc::build_rq(&cfg.requestor)?;
    let host = host.to_owned();
    let cfg = Arc::new(cfg);
    client_runtime::client_handle().spawn(async move {
        let stream = match connect(&host, port, &cfg).await {
            Ok(s) => s,
            Err(e) => {
                log::error(format_args!(
                    "Association request failed: unable to connect to remote"
                ));
                log::error(format_args!("TCP Initialisation Error: {e}"));
                done.send(Err(e));
                return;
            }
        };
        let conn = match &cfg.upgrade {
            None => Conn::Tcp(stream),
            Some(upgrade) => {
                // The handshake is bounded by the ACSE timeout, like the negotiation after it.
                let run = upgrade.run(stream);
                let outcome = match cfg.timeouts.acse {
                    Some(t) => tokio::time::timeout(t, run)
                        .await
                        .unwrap_or_else(|_| Err(NetError::HandshakeTimeout)),
                    None => run.await,
                };
                match outcome {
                    Ok(conn) => conn,
                    Err(e) => {
                        log::error(format_args!("Association request failed: {e}"));
                        done.send(Err(e));
                        return;
                    }
                }
            }
        };
        run_request(conn, cfg, hooks, rq, done).await;
    });
    Ok(())
}
