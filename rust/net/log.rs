//! Log lines under the `fastdimse` logger, worded as pynetdicom words the events its users
//! grep for ("Association Accepted", "Association Aborted (A-P-ABORT)", ...).

use std::fmt::Arguments;

/// The target every record uses; the Python bridge maps it to `logging.getLogger("fastdimse")`.
pub const TARGET: &str = "fastdimse";

pub fn error(args: Arguments<'_>) {
    log::error!(target: TARGET, "{args}");
}

pub fn warning(args: Arguments<'_>) {
    log::warn!(target: TARGET, "{args}");
}

pub fn info(args: Arguments<'_>) {
    log::info!(target: TARGET, "{args}");
}

pub fn debug(args: Arguments<'_>) {
    log::debug!(target: TARGET, "{args}");
}
