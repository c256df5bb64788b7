//! Python face of the DIMSE command-set codec and fragmentation.
//!
//! `decode_command` gives `(tag, keyword, vr, value)` tuples with Python values (int for
//! US/UL, str for UI/AE/LO with padding removed, list of int tags for AT, bytes for tags
//! outside the dictionary); `split_command` gives each element's raw value instead, for
//! pydicom to convert when it is read; `encode_command` takes `(tag, value)` pairs the same
//! way as `decode_command` gives them and computes CommandGroupLength. `fastdimse.dimse`
//! turns these into pydicom Datasets.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::dimse::{self, CommandSet, Vr};
use crate::uid::trim_padding;

use super::errors::dimse_error;

fn value_to_py<'py>(py: Python<'py>, vr: Option<Vr>, raw: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    Ok(match vr {
        Some(Vr::US) if raw.len() == 2 => u16::from_le_bytes([raw[0], raw[1]])
            .into_pyobject(py)?
            .into_any(),
        Some(Vr::UL) if raw.len() == 4 => u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])
            .into_pyobject(py)?
            .into_any(),
        Some(Vr::UI | Vr::AE | Vr::LO) => {
            // One character per byte (Latin-1), as pydicom reads text without a character
            // set, so a bad peer's bytes stay visible and distinct.
            let text: String = trim_padding(raw).iter().map(|&c| char::from(c)).collect();
            // Leading spaces are not significant in AE and LO either.
            let text = if matches!(vr, Some(Vr::AE | Vr::LO)) {
                text.trim_start().to_owned()
            } else {
                text
            };
            text.into_pyobject(py)?.into_any()
        }
        Some(Vr::AT) if raw.len() % 4 == 0 => {
            let tags: Vec<u32> = raw
                .chunks_exact(4)
                .map(|c| {
                    (u32::from(u16::from_le_bytes([c[0], c[1]])) << 16)
                        | u32::from(u16::from_le_bytes([c[2], c[3]]))
                })
                .collect();
            PyList::new(py, tags)?.into_any()
        }
        _ => PyBytes::new(py, raw).into_any(),
    })
}

/// True unless the response command set is known to carry nothing but a Status: it has
/// an Offending Element, Error Comment or Error ID, or does not decode. The common answer,
/// false, lets `send_c_echo` build its Dataset from the core's status without decoding the
/// whole command set in Python.
#[pyfunction]
fn has_status_details(data: &[u8]) -> bool {
    match dimse::decode_command_set(data) {
        Ok(set) => [
            dimse::tags::OFFENDING_ELEMENT,
            dimse::tags::ERROR_COMMENT,
            dimse::tags::ERROR_ID,
        ]
        .iter()
        .any(|&tag| set.get(tag).is_some()),
        Err(_) => true,
    }
}

/// Decodes a command set (group 0000, Implicit VR Little Endian).
#[pyfunction]
fn decode_command<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    let set = dimse::decode_command_set(data).map_err(dimse_error)?;
    let mut out = Vec::with_capacity(set.elements().len() + 1);
    // CommandGroupLength is checked by the decoder rather than kept as an element; it is
    // given back as on the wire (the bytes that follow it), as pydicom reads it.
    let group_length = data.len().saturating_sub(12);
    out.push(PyTuple::new(
        py,
        [
            0u32.into_pyobject(py)?.into_any(),
            "CommandGroupLength".into_pyobject(py)?.into_any(),
            "UL".into_pyobject(py)?.into_any(),
            group_length.into_pyobject(py)?.into_any(),
        ],
    )?);
    for e in set.elements() {
        let info = dimse::lookup(e.tag);
        let keyword = info.map(|i| i.keyword);
        let vr = info.map(|i| i.vr);
        let value = value_to_py(py, vr, &e.value)?;
        out.push(PyTuple::new(
            py,
            [
                e.tag.into_pyobject(py)?.into_any(),
                keyword.into_pyobject(py)?.into_any(),
                vr.map(Vr::as_str).into_pyobject(py)?.into_any(),
                value,
            ],
        )?);
    }
    Ok(out)
}

/// One element of a command set as it is on the wire: tag, VR (UN outside the
/// dictionary), value bytes with their padding, and the value's offset in the input.
type RawElement<'py> = (u32, &'static str, Bound<'py, PyBytes>, usize);

/// Splits a command set into its elements' raw values, after the checks
/// `decode_command` makes. `fastdimse.dimse.decode` wraps them as pydicom's reader does,
/// so each value is converted when first read and an unread one costs nothing.
#[pyfunction]
fn split_command<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Vec<RawElement<'py>>> {
    const HEADER: usize = 8; // tag and 32-bit length, Implicit VR Little Endian
    let set = dimse::decode_command_set(data).map_err(dimse_error)?;
    let mut out = Vec::with_capacity(set.elements().len() + 1);
    let group_length = data.get(HEADER..HEADER + 4).unwrap_or_default();
    out.push((0, "UL", PyBytes::new(py, group_length), HEADER));
    let mut offset = HEADER + 4;
    for e in set.elements() {
        let vr = dimse::lookup(e.tag).map_or("UN", |i| i.vr.as_str());
        out.push((e.tag, vr, PyBytes::new(py, &e.value), offset + HEADER));
        offset += HEADER + e.value.len();
    }
    Ok(out)
}

fn put_value(set: &mut CommandSet<'static>, tag: u32, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let name = || {
        dimse::lookup(tag).map_or_else(
            || format!("({:04X},{:04X})", tag >> 16, tag & 0xFFFF),
            |i| i.keyword.to_owned(),
        )
    };
    if tag >> 16 != 0 {
        return Err(PyValueError::new_err(format!(
            "tag 0x{tag:08X} is not in the command group 0000"
        )));
    }
    if let Ok(raw) = value.cast::<PyBytes>() {
        set.set_raw(tag, raw.as_bytes().to_vec());
        return Ok(());
    }
    let Some(info) = dimse::lookup(tag) else {
        return Err(PyTypeError::new_err(format!(
            "{} is not a known command element: give its value as bytes",
            name()
        )));
    };
    let bad =
        |what: &str| PyValueError::new_err(format!("{} ({}) = {value}: {what}", name(), info.vr));
    match info.vr {
        Vr::US => {
            let v: i64 = value.extract().map_err(|_| bad("must be an int"))?;
            let v = u16::try_from(v).map_err(|_| bad("must be between 0 and 65535"))?;
            set.set_us(tag, v);
        }
        Vr::UL => {
            let v: i64 = value.extract().map_err(|_| bad("must be an int"))?;
            let v = u32::try_from(v).map_err(|_| bad("must be between 0 and 4294967295"))?;
            set.set_ul(tag, v);
        }
        Vr::UI => {
            let s: String = value.str()?.extract()?;
            if s.len() > 64 || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return Err(bad(
                    "not a valid UID (digits and '.', at most 64 characters)",
                ));
            }
            set.set_uid(tag, s.as_bytes());
        }
        Vr::AE | Vr::LO => {
            let s: String = value.str()?.extract()?;
            let max = if info.vr == Vr::AE { 16 } else { 64 };
            if s.len() > max || !s.is_ascii() {
                return Err(bad(&format!(
                    "must be ASCII text of at most {max} characters"
                )));
            }
            set.set_text(tag, s.as_bytes());
        }
        Vr::AT => {
            let tags: Vec<u32> = if let Ok(one) = value.extract::<u32>() {
                vec![one]
            } else {
                value
                    .extract()
                    .map_err(|_| bad("must be a tag or a list of tags"))?
            };
            set.set_at(tag, &tags);
        }
    }
    Ok(())
}

/// Encodes `(tag, value)` pairs as a command set, in ascending tag order, with
/// CommandGroupLength computed (a (0000,0000) pair given is ignored).
#[pyfunction]
fn encode_command<'py>(
    py: Python<'py>,
    elements: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut set = CommandSet::new();
    for item in elements.try_iter()? {
        let item = item?;
        let (tag, value): (u32, Bound<'_, PyAny>) = item.extract().map_err(|_| {
            PyTypeError::new_err(format!("expected a (tag, value) pair, not {item}"))
        })?;
        if tag == 0 {
            continue;
        }
        put_value(&mut set, tag, &value)?;
    }
    let mut out = Vec::with_capacity(set.encoded_len());
    set.encode(&mut out);
    Ok(PyBytes::new(py, &out))
}

/// Fragments one message into P-DATA-TF PDUs for a peer whose maximum PDU length is
/// `peer_max` (0 = no limit).
#[pyfunction]
#[pyo3(signature = (context_id, command, dataset=None, peer_max=0))]
fn fragment_message<'py>(
    py: Python<'py>,
    context_id: u8,
    command: &[u8],
    dataset: Option<&[u8]>,
    peer_max: u32,
) -> PyResult<Bound<'py, PyBytes>> {
    if command.len() % 2 != 0 || dataset.is_some_and(|d| d.len() % 2 != 0) {
        return Err(PyValueError::new_err(
            "command sets and data sets have even lengths",
        ));
    }
    let mut out = Vec::new();
    dimse::write_message(&mut out, context_id, command, dataset, peer_max);
    Ok(PyBytes::new(py, &out))
}

/// The command dictionary: `(tag, keyword, vr)` for every element of PS3.7 Annex E.
#[pyfunction]
fn command_dictionary() -> Vec<(u32, &'static str, &'static str)> {
    dimse::entries()
        .iter()
        .map(|e| (e.tag, e.keyword, e.vr.as_str()))
        .collect()
}

/// The name of a CommandField value ("C-ECHO-RQ"), or None.
#[pyfunction]
fn command_field_name(value: u16) -> Option<&'static str> {
    dimse::CommandField::from_u16(value).map(dimse::CommandField::name)
}

/// The command set of a C-ECHO-RSP with no status details (what a handler's integer
/// status becomes), built in Rust: the same bytes as `encode_command` of the response's
/// elements.
pub(crate) fn echo_rsp_command(
    message_id: u16,
    status: u16,
    affected_uid: Option<&str>,
) -> Vec<u8> {
    let mut command = Vec::with_capacity(78);
    dimse::CEchoRsp {
        message_id_being_responded_to: message_id,
        affected_sop_class_uid: affected_uid.map(|u| std::borrow::Cow::Borrowed(u.as_bytes())),
        status,
        ..dimse::CEchoRsp::default()
    }
    .encode(&mut command);
    command
}

/// `echo_rsp_command` for Python, so tests can hold it against `encode_command`.
#[pyfunction]
#[pyo3(signature = (message_id, status, affected_uid=None))]
fn encode_echo_rsp<'py>(
    py: Python<'py>,
    message_id: u16,
    status: u16,
    affected_uid: Option<&str>,
) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &echo_rsp_command(message_id, status, affected_uid))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_command, m)?)?;
    m.add_function(wrap_pyfunction!(split_command, m)?)?;
    m.add_function(wrap_pyfunction!(has_status_details, m)?)?;
    m.add_function(wrap_pyfunction!(encode_command, m)?)?;
    m.add_function(wrap_pyfunction!(encode_echo_rsp, m)?)?;
    m.add_function(wrap_pyfunction!(fragment_message, m)?)?;
    m.add_function(wrap_pyfunction!(command_dictionary, m)?)?;
    m.add_function(wrap_pyfunction!(command_field_name, m)?)?;
    Ok(())
}
