//! The listener: accepts connections, applies the association limit, spawns one task per
//! association and keeps the registry of live ones.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::association;
use super::config::ServerConfig;
use super::error::NetError;
use super::hooks::Hooks;
use super::info::{Lifecycle, Role};
use super::log;
use super::runtime;
use super::shared::{AssocShared, Opening};
use super::sys;
use super::transport::Conn;

struct Inner {
    active: Mutex<HashMap<u64, Arc<AssocShared>>>,
    /// The settings each new association starts from; replaced by [`Server::reconfigure`].
    cfg: Mutex<Arc<ServerConfig>>,
    stop: Notify,
    stopped: AtomicBool,
    /// Set once the accept loop has dropped the listening socket.
    done: Mutex<bool>,
    done_cv: Condvar,
}

/// A running server. Dropping it does not stop it; call [`Server::shutdown`].
pub struct Server {
    addr: SocketAddr,
    inner: Arc<Inner>,
    /// A duplicate of the listening socket's descriptor for the layer above, which may take
    /// it once ([`Server::take_listener_fd`]; Python wraps it in a `socket.socket`, as
    /// pynetdicom's `server.socket`). Closed at shutdown if nobody took it.
    listener_dup: Mutex<Option<sys::OwnedFd>>,
}

impl Server {
    /// Binds `bind` and starts accepting. Returns once the socket listens.
    /// A server holds one descriptor per association: the soft limit on open files is raised
    /// to the hard limit once, as servers commonly do, so thousands of associations fit.
    fn raise_open_file_limit() {
        static DONE: std::sync::Once = std::sync::Once::new();
        DONE.call_once(sys::raise_open_file_limit);
    }

    pub fn start(
        bind: SocketAddr,
        cfg: ServerConfig,
        hooks: Arc<dyn Hooks>,
    ) -> Result<Self, NetError> {
        Self::raise_open_file_limit();
        let socket = Socket::new(Domain::for_address(bind), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.set_tcp_nodelay(true)?;
        socket.bind(&bind.into())?;
        socket.listen(1024)?;
        socket.set_nonblocking(true)?;
        let listener_dup = sys::OwnedFd::from(socket.try_clone()?);
        let std_listener: std::net::TcpListener = socket.into();
        let addr = std_listener.local_addr()?;
        let handle = runtime::handle();
        let listener = {
            let _guard = handle.enter();
            TcpListener::from_std(std_listener)?
        };
        let inner = Arc::new(Inner {
            active: Mutex::new(HashMap::new()),
            cfg: Mutex::new(Arc::new(cfg)),
            stop: Notify::new(),
            stopped: AtomicBool::new(false),
            done: Mutex::new(false),
            done_cv: Condvar::new(),
        });
        handle.spawn(accept_loop(listener, hooks, Arc::clone(&inner)));
        log::debug(format_args!("Listening on {addr}"));
        Ok(Self {
            addr,
            inner,
            listener_dup: Mutex::new(Some(listener_dup)),
        })
    }

    /// The duplicate of the listening socket's descriptor made at start, once (`None`
    /// afterwards, or after shutdown). Whoever takes it owns it and closes it; closing it
    /// does not stop the server, which keeps its own descriptor until [`Server::shutdown`].
    pub fn take_listener_fd(&self) -> Option<sys::RawFd> {
        self.take_listener_dup().map(sys::IntoRawFd::into_raw_fd)
    }

    fn take_listener_dup(&self) -> Option<sys::OwnedFd> {
        self.listener_dup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Replaces the settings that associations accepted from now on start from (the AE's
    /// settings changed: pynetdicom reads them when a connection is accepted). Open
    /// associations keep theirs; their timeouts are changed one by one.
    pub fn reconfigure(&self, cfg: ServerConfig) {
        *self.inner.cfg.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(cfg);
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Associations whose connection this server still serves, from the accept to the
    /// close: as pynetdicom's `active_associations` lists an association until its thread
    /// ends, after the handlers of EVT_RELEASED, EVT_ABORTED and EVT_CONN_CLOSE have run.
    pub fn active_associations(&self) -> Vec<Arc<AssocShared>> {
        let map = self.inner.active.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<_> = map.values().cloned().collect();
        list.sort_by_key(|a| a.id);
        list
    }

    pub fn is_running(&self) -> bool {
        !self.inner.stopped.load(Ordering::Acquire)
    }

    /// Stops accepting, aborts every open association and waits (at most `wait`) for their
    /// tasks to finish.
    pub fn shutdown(&self, wait: Duration) {
        if self.inner.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inner.stop.notify_one();
        drop(self.take_listener_dup());
        let receivers: Vec<_> = self
            .active_associations()
            .iter()
            .filter(|a| {
                matches!(
                    a.lifecycle(),
                    Lifecycle::Negotiating | Lifecycle::Established | Lifecycle::Releasing
                )
            })
            .filter_map(|a| a.start_abort())
            .collect();
        let deadline = std::time::Instant::now() + wait;
        for mut rx in receivers {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let _ = rx.recv_timeout(left);
        }
        let done = self.inner.done.lock().unwrap_or_else(|e| e.into_inner());
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let _ = self
            .inner
            .done_cv
            .wait_timeout_while(done, left, |done| !*done);
    }
}

/// Registers one accepted connection and spawns its association's task. `inner` is the
/// server's registry (`None` for a connection served without a listener).
fn spawn_served(
    conn: Conn,
    peer: SocketAddr,
    local: SocketAddr,
    cfg: Arc<ServerConfig>,
    hooks: Arc<dyn Hooks>,
    inner: Option<&Arc<Inner>>,
) -> Arc<AssocShared> {
    let (shared, rx) = AssocShared::open(
        &conn,
        Opening {
            role: Role::Acceptor,
            peer,
            local,
            timeouts: cfg.timeouts,
            hooks: hooks.as_ref(),
            poll_ceiling: cfg.poll_ceiling,
        },
    );
    let over_limit = inner.is_some_and(|inner| {
        let mut active = inner.active.lock().unwrap_or_else(|e| e.into_inner());
        let over = cfg.maximum_associations > 0 && active.len() >= cfg.maximum_associations;
        if !over {
            active.insert(shared.id, Arc::clone(&shared));
        }
        over
    });
    let inner = inner.cloned();
    let task_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        let id = task_shared.id;
        association::serve(conn, task_shared, hooks, rx, cfg, over_limit).await;
        if let Some(inner) = inner {
            inner
                .active
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        }
    });
    shared
}

/// Serves one association over `conn` (any transport: an in-memory pipe in tests, a stream
/// a caller set up itself) with `cfg`, as the server would serve an accepted connection,
/// without a listener or a registry. Returns the association at once; it is negotiating.
pub fn serve_conn(conn: Conn, cfg: ServerConfig, hooks: Arc<dyn Hooks>) -> Arc<AssocShared> {
    let (peer, local) = conn.addresses().unwrap_or_else(|_| {
        (
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        )
    });
    let _guard = runtime::handle().enter();
    spawn_served(conn, peer, local, Arc::new(cfg), hooks, None)
}

async fn accept_loop(listener: TcpListener, hooks: Arc<dyn Hooks>, inner: Arc<Inner>) {
    loop {
        let accepted = tokio::select! {
            res = listener.accept() => res,
            _ = inner.stop.notified() => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                log::error(format_args!("Failed to accept a connection: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let local = stream.local_addr().unwrap_or(peer);
        let cfg = Arc::clone(&inner.cfg.lock().unwrap_or_else(|e| e.into_inner()));
        if cfg.upgrade.is_none() {
            let conn = Conn::Tcp(stream);
            spawn_served(conn, peer, local, cfg, Arc::clone(&hooks), Some(&inner));
            continue;
        }
        // The handshake runs on the association's own task, bounded by ARTIM: a slow or
        // garbage handshake never holds up the listener or anyone else.
        let hooks = Arc::clone(&hooks);
        let inner2 = Arc::clone(&inner);
        tokio::spawn(async move {
            let Some(upgrade) = cfg.upgrade.clone() else {
                return;
            };
            let deadline = tokio::time::Instant::now() + cfg.timeouts.artim();
            match tokio::time::timeout_at(deadline, upgrade.run(stream)).await {
                Ok(Ok(conn)) => {
                    spawn_served(conn, peer, local, cfg, hooks, Some(&inner2));
                }
                Ok(Err(e)) => log::error(format_args!("Connection from {peer} closed: {e}")),
                Err(_) => log::error(format_args!(
                    "Connection from {peer} closed: the {} did not complete within {:?}",
                    upgrade.name(),
                    cfg.timeouts.artim()
                )),
            }
        });
    }
    drop(listener);
    *inner.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
    inner.done_cv.notify_all();
}
