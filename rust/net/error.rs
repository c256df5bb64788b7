//! Errors of the network layer.

use std::fmt;
use std::io;

use crate::assoc::AssocError;

/// What can go wrong opening, using or closing an association.
#[derive(Debug)]
pub enum NetError {
    /// A socket call failed (bind, connect, read, write).
    Io(io::Error),
    /// Connecting took longer than the connection timeout.
    ConnectTimeout,
    /// The association's local configuration is not valid.
    Config(AssocError),
    /// The operation is not allowed in the association's current state.
    InvalidState {
        operation: &'static str,
        state: &'static str,
    },
    /// As many requests are outstanding as the peer allows (the asynchronous operations
    /// window, 1 unless negotiated).
    WindowFull { window: u16 },
    /// A request with this message ID is already awaiting its response.
    MessageIdInUse(u16),
    /// No accepted presentation context fits the request.
    NoContext(String),
    /// The association ended (released, aborted or closed) before the operation finished.
    Closed,
    /// A value from the caller cannot be encoded.
    InvalidValue(String),
    /// The TLS handshake failed; the text says why, starting with its kind in brackets.
    Handshake(String),
    /// The TLS handshake did not complete within its deadline.
    HandshakeTimeout,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "socket error: {e}"),
            Self::ConnectTimeout => write!(f, "TCP connection timed out"),
            Self::Config(e) => write!(f, "invalid association settings: {e}"),
            Self::InvalidState { operation, state } => {
                write!(f, "cannot {operation}: the association is {state}")
            }
            Self::WindowFull { window: 1 } => write!(
                f,
                "cannot send a C-ECHO while another is outstanding: the peer allows one \
                 request at a time (the asynchronous operations window)"
            ),
            Self::WindowFull { window } => write!(
                f,
                "cannot send a C-ECHO while {window} others are outstanding: the peer \
                 allows {window} at a time (the asynchronous operations window)"
            ),
            Self::MessageIdInUse(id) => write!(
                f,
                "message ID {id} is already used by a request awaiting its response"
            ),
            Self::NoContext(what) => write!(f, "no accepted presentation context for {what}"),
            Self::Closed => write!(f, "the association is no longer established"),
            Self::InvalidValue(what) => write!(f, "invalid value: {what}"),
            Self::Handshake(why) => write!(f, "TLS handshake failed {why}"),
            Self::HandshakeTimeout => write!(f, "the TLS handshake did not complete in time"),
        }
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for NetError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<AssocError> for NetError {
    fn from(e: AssocError) -> Self {
        Self::Config(e)
    }
}
