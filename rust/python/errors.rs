//! The one place where Rust errors become Python exceptions.
//!
//! Hierarchy (re-exported by `fastdimse.exceptions`):
//! `FastDimseError` > `PDUDecodeError`, `CommandSetError`, `AssociationError`, `NetworkError`.
//! Bad arguments from Python code raise `TypeError`/`ValueError` naming the value.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

use crate::assoc::AssocError;
use crate::dimse::DimseError;
use crate::net::NetError;
use crate::pdu::PduError;

create_exception!(
    fastdimse.exceptions,
    FastDimseError,
    PyException,
    "Base class of every fastdimse error."
);
create_exception!(
    fastdimse.exceptions,
    PDUDecodeError,
    FastDimseError,
    "Bytes that are not a valid PDU."
);
create_exception!(
    fastdimse.exceptions,
    CommandSetError,
    FastDimseError,
    "Bytes or values that are not a valid DIMSE command set."
);
create_exception!(
    fastdimse.exceptions,
    AssociationError,
    FastDimseError,
    "An association operation that cannot be done."
);
create_exception!(
    fastdimse.exceptions,
    NetworkError,
    FastDimseError,
    "A socket-level failure."
);

pub fn register(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("FastDimseError", py.get_type::<FastDimseError>())?;
    m.add("PDUDecodeError", py.get_type::<PDUDecodeError>())?;
    m.add("CommandSetError", py.get_type::<CommandSetError>())?;
    m.add("AssociationError", py.get_type::<AssociationError>())?;
    m.add("NetworkError", py.get_type::<NetworkError>())?;
    Ok(())
}

pub fn pdu_error(e: PduError) -> PyErr {
    PDUDecodeError::new_err(e.to_string())
}

pub fn dimse_error(e: DimseError) -> PyErr {
    CommandSetError::new_err(e.to_string())
}

pub fn assoc_error(e: AssocError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

pub fn net_error(e: NetError) -> PyErr {
    match e {
        NetError::Config(e) => assoc_error(e),
        NetError::InvalidValue(what) => PyValueError::new_err(what),
        NetError::MessageIdInUse(_) => PyValueError::new_err(e.to_string()),
        NetError::Io(_)
        | NetError::ConnectTimeout
        | NetError::Handshake(_)
        | NetError::HandshakeTimeout => NetworkError::new_err(e.to_string()),
        other => AssociationError::new_err(other.to_string()),
    }
}
