//! Shared pieces of the native bench binaries.
//!
//! - [`wire`]: DICOM Upper Layer bytes built and read by hand (no fastdimse code), so the raw
//!   client is an independent peer of the SCP under test.
//! - [`load`]: run an operation from N threads until a deadline or a count, counting failures.
//! - [`report`]: the one JSON line each binary prints for the runner.
//! - [`args`]: a tiny `--key value` parser (no dependencies).
//! - [`cpu`]: this process's CPU seconds.
//! - [`connect`]: client connections, optionally spread over loopback source addresses.
//! - [`busy`]: reads and writes that spin on a non-blocking socket (the busy-poll floor).

pub mod args;
pub mod busy;
pub mod connect;
pub mod cpu;
pub mod load;
pub mod report;
pub mod wire;
