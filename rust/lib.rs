//! fastdimse: DICOM Upper Layer and DIMSE for the Verification service.
//!
//! Layers, each in its own module (see docs/architecture.md):
//! - [`pdu`]: the seven Upper Layer PDUs, their items and sub-items (decode/encode).
//! - [`dimse`]: the DIMSE command set (group 0000), fragmentation and reassembly.
//! - [`cancel`]: the per-association tracker of cancelled message IDs.
//! - [`ul`]: the PS3.8 state machine as a table, with ARTIM.
//! - [`assoc`]: association negotiation as acceptor and requestor.
//! - [`net`]: sockets, the accept loop, association tasks and timeouts.
//! - [`tls`]: TLS configuration, handshakes and errors (rustls with ring), under `net`.
//! - `python` (cargo feature `python`): the PyO3 bindings only.

pub mod assoc;
pub mod cancel;
pub mod dimse;
pub mod net;
pub mod pdu;
pub mod tls;
pub mod uid;
pub mod ul;

#[cfg(feature = "python")]
mod python;
