//! Sockets: the listener and accept loop, the client connector, and one event-driven task
//! per association that enforces every timeout. See [`runtime`] for why tokio.

mod association;
mod client;
pub mod client_runtime;
mod command;
mod completion;
mod config;
mod dump;
mod error;
mod framing;
mod handler_pool;
mod hooks;
mod info;
mod link;
pub mod log;
mod outstanding;
pub mod runtime;
mod server;
mod shared;
mod spin;
pub(crate) mod sys;
mod timer;
mod transport;
mod waiter;

pub use client::{start_associate, start_associate_over, start_associate_with};
pub use command::{ReleaseOutcome, Reply};
pub use completion::CompletionQueue;
pub use config::{
    timeout_from_secs, ClientConfig, ServerConfig, Timeouts, Upgrade, UpgradeFuture,
    ARTIM_FALLBACK, MAX_TIMEOUT,
};
pub use error::NetError;
pub use framing::{MAX_ASSOCIATE_PDU, MAX_UNLIMITED_PDATA};
pub use hooks::{EchoIndication, Hooks, NoHooks, Notification, NotificationKind};
pub use info::{AssocInfo, Lifecycle, RequestSummary, Role};
pub use outstanding::EchoOutcome;
pub use server::{serve_conn, Server};
pub use shared::AssocShared;
pub use transport::{AsyncStream, Conn};
pub use waiter::{WaitError, Waited, Waiter};
