//! Timeouts and per-server / per-client settings of the network layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::error::NetError;
use super::transport::Conn;

use crate::assoc::{AcceptorConfig, RequestorConfig};

/// Fallback for ARTIM when the ACSE timeout is disabled: a connection that never sends an
/// A-ASSOCIATE-RQ, or never closes after a reject/release/abort, is still closed.
pub const ARTIM_FALLBACK: Duration = Duration::from_secs(30);

/// The longest timeout kept as given: longer ones (up to infinity) are taken as this, which
/// never expires in practice and keeps every deadline representable.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// A timeout from a number of seconds: `None` if `seconds` is negative or not a number;
/// anything beyond [`MAX_TIMEOUT`] (infinity included) is [`MAX_TIMEOUT`].
pub fn timeout_from_secs(seconds: f64) -> Option<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(seconds).map_or(MAX_TIMEOUT, |d| d.min(MAX_TIMEOUT)))
}

/// The timeouts of one association, with pynetdicom's names and defaults.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// ARTIM, and the wait for A-ASSOCIATE-AC/RJ and A-RELEASE-RP. pynetdicom: 30 s.
    pub acse: Option<Duration>,
    /// The wait for a DIMSE response. pynetdicom: 30 s.
    pub dimse: Option<Duration>,
    /// Idle time with nothing received before the association is aborted. pynetdicom: 60 s.
    pub network: Option<Duration>,
    /// TCP connect timeout (requestor). pynetdicom: none.
    pub connection: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            acse: Some(Duration::from_secs(30)),
            dimse: Some(Duration::from_secs(30)),
            network: Some(Duration::from_secs(60)),
            connection: None,
        }
    }
}

impl Timeouts {
    /// ARTIM's value: the ACSE timeout, or a fixed fallback when that is disabled.
    pub fn artim(&self) -> Duration {
        self.acse.unwrap_or(ARTIM_FALLBACK)
    }

    /// How long a peer may take to finish a PDU it has started sending: the network
    /// timeout, or the ARTIM fallback when that is disabled, so a stalled peer always goes.
    pub fn stall(&self) -> Duration {
        self.network.unwrap_or(ARTIM_FALLBACK)
    }
}

/// The future an [`Upgrade`] returns.
pub type UpgradeFuture = Pin<Box<dyn Future<Output = Result<Conn, NetError>> + Send>>;

/// Turns a fresh TCP connection into the transport an association runs over (a TLS
/// handshake). It runs on the association's own task, under a deadline (ARTIM for an
/// accepted connection, the ACSE timeout for a requested one).
#[derive(Clone)]
pub struct Upgrade {
    name: &'static str,
    run: Arc<dyn Fn(TcpStream) -> UpgradeFuture + Send + Sync>,
}

impl Upgrade {
    /// `name` says what it does in log lines ("TLS handshake").
    pub fn new(
        name: &'static str,
        run: impl Fn(TcpStream) -> UpgradeFuture + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            run: Arc::new(run),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn run(&self, stream: TcpStream) -> UpgradeFuture {
        (self.run)(stream)
    }
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Upgrade({})", self.name)
    }
}

/// Settings of a listening server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub acceptor: AcceptorConfig,
    pub timeouts: Timeouts,
    /// Associations served at once; the next one is rejected (2, 3, 2). 0 = no limit.
    pub maximum_associations: usize,
    /// What each accepted connection goes through before the association (TLS); `None`
    /// for plain TCP.
    pub upgrade: Option<Upgrade>,
    /// The ceiling of the adaptive poll before a worker sleeps (`spin.rs`); `None`: the
    /// process's (`FASTDIMSE_SPIN_US`, else 100 µs). Zero turns polling off.
    pub poll_ceiling: Option<Duration>,
}

/// Settings of one outgoing association.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub requestor: RequestorConfig,
    pub timeouts: Timeouts,
    /// Local address (and port; 0 = any) to connect from; `None` lets the OS choose.
    pub bind_address: Option<std::net::SocketAddr>,
    /// What the connection goes through before the association (TLS); `None` for plain
    /// TCP.
    pub upgrade: Option<Upgrade>,
    /// The ceiling of the adaptive poll of a caller that waits (`spin.rs`); `None`: the
    /// process's (`FASTDIMSE_SPIN_US`, else 100 µs). Zero turns polling off.
    pub poll_ceiling: Option<Duration>,
}
