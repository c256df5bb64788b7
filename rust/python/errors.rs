//! The one place where Rust errors become Python exceptions.
//!
//! Hierarchy (re-exported by `fastdimse.exceptions`):
//! `FastDimseError` > `PDUDecodeError`, `CommandSetError`, `AssociationError`, `NetworkError`.
//! `NetworkError` is also an `OSError` (with `errno` and `strerror` when the OS gave them), as
//! pynetdicom lets socket failures through as `OSError` and its users catch them that way.
//! Bad arguments from Python code raise `TypeError`/`ValueError` naming the value.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

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
/// `NetworkError(FastDimseError, OSError)`: made at import, as `create_exception!` takes one
/// base.
static NETWORK_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn network_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    NETWORK_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(
                py,
                [
                    py.get_type::<FastDimseError>().into_any(),
                    py.get_type::<PyOSError>().into_any(),
                ],
            )?;
            let namespace = PyDict::new(py);
            namespace.set_item("__module__", "fastdimse.exceptions")?;
            namespace.set_item(
                "__doc__",
                "A socket-level failure; also an OSError (errno and strerror as the OS gave them).",
            )?;
            let ty = py
                .get_type::<PyType>()
                .call1(("NetworkError", bases, namespace))?;
            Ok(ty.cast_into::<PyType>()?.unbind())
        })
        .map(|ty| ty.bind(py))
}

/// A `NetworkError` with OSError's arguments: `(errno, strerror)` when the OS gave an error
/// number (so `str()` reads `[Errno 98] Address already in use`, as pynetdicom's), else the
/// message alone.
fn network_error(e: &NetError) -> PyErr {
    Python::attach(|py| {
        let ty = match network_error_type(py) {
            Ok(ty) => ty,
            Err(err) => return err,
        };
        match e {
            NetError::Io(io) if io.raw_os_error().is_some() => {
                let errno = io.raw_os_error().unwrap_or_default();
                let text = io.to_string();
                let strerror = text
                    .strip_suffix(&format!(" (os error {errno})"))
                    .unwrap_or(&text)
                    .to_owned();
                PyErr::from_type(ty.clone(), (errno, strerror))
            }
            other => PyErr::from_type(ty.clone(), (other.to_string(),)),
        }
    })
}

pub fn register(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("FastDimseError", py.get_type::<FastDimseError>())?;
    m.add("PDUDecodeError", py.get_type::<PDUDecodeError>())?;
    m.add("CommandSetError", py.get_type::<CommandSetError>())?;
    m.add("AssociationError", py.get_type::<AssociationError>())?;
    m.add("NetworkError", network_error_type(py)?)?;
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
        | NetError::HandshakeTimeout => network_error(&e),
        other => AssociationError::new_err(other.to_string()),
    }
}
