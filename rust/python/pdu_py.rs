//! Python face of the PDU codec: `decode_pdu(bytes) -> PDU` and `PDU.from_fields(dict)`.
//!
//! A `PDU` keeps the decoded Rust value; `fields` converts it to plain Python values on
//! first access (text fields as `str` exactly as on the wire, padding included, opaque
//! values as `bytes`), and `encode()` re-encodes the Rust value.

use std::borrow::Cow;

use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::pdu::{
    self, Abort, Associate, AssociateRj, Item, PData, Pdu, PduType, Pdv, PresentationContextAc,
    PresentationContextRq, Release, UserItem,
};

use super::errors::pdu_error;

/// One decoded Upper Layer PDU.
#[pyclass(module = "fastdimse._core", name = "PDU", frozen)]
pub struct PyPdu {
    pdu: Pdu<'static>,
    fields: std::sync::OnceLock<Py<PyDict>>,
}

/// A text field as `str`, one character per byte (Latin-1). The wire text is ISO 646; a
/// byte outside it is shown, not rejected, so a bad peer is visible, and `from_fields`
/// maps the characters back to the same bytes.
fn text(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

fn to_dict<'py>(py: Python<'py>, pdu: &Pdu<'_>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let t = pdu.pdu_type();
    d.set_item("pdu_type", t as u8)?;
    d.set_item("name", t.name())?;
    match pdu {
        Pdu::AssociateRq(a) | Pdu::AssociateAc(a) => associate_fields(py, &d, a)?,
        Pdu::AssociateRj(rj) => {
            d.set_item("reserved_6", rj.reserved_6)?;
            d.set_item("result", rj.result)?;
            d.set_item("source", rj.source)?;
            d.set_item("reason", rj.reason)?;
        }
        Pdu::PData(p) => {
            let pdvs = PyList::empty(py);
            for pdv in &p.pdvs {
                let e = PyDict::new(py);
                e.set_item("context_id", pdv.context_id)?;
                e.set_item("message_control_header", pdv.message_control)?;
                e.set_item("is_command", pdv.is_command())?;
                e.set_item("is_last_fragment", pdv.is_last())?;
                e.set_item("data", PyBytes::new(py, &pdv.data))?;
                pdvs.append(e)?;
            }
            d.set_item("pdvs", pdvs)?;
        }
        Pdu::ReleaseRq(r) | Pdu::ReleaseRp(r) => {
            d.set_item("reserved", PyBytes::new(py, &r.reserved))?
        }
        Pdu::Abort(a) => {
            d.set_item("reserved", PyBytes::new(py, &a.reserved))?;
            d.set_item("source", a.source)?;
            d.set_item("reason", a.reason)?;
        }
    }
    Ok(d)
}

fn associate_fields(py: Python<'_>, d: &Bound<'_, PyDict>, a: &Associate<'_>) -> PyResult<()> {
    d.set_item("protocol_version", a.protocol_version)?;
    d.set_item("reserved_8_9", a.reserved_8_9)?;
    d.set_item("called_ae_title", text(&a.called_ae_title))?;
    d.set_item("calling_ae_title", text(&a.calling_ae_title))?;
    d.set_item("reserved_42_73", PyBytes::new(py, &a.reserved_42_73))?;
    let items = PyList::empty(py);
    let pcs = PyList::empty(py);
    let mut user = PyList::empty(py);
    let mut app = py.None().into_bound(py);
    for item in &a.items {
        let e = PyDict::new(py);
        match item {
            Item::ApplicationContext(name) => {
                e.set_item("item_type", 0x10)?;
                e.set_item("application_context_name", text(name))?;
                app = text(name).into_pyobject(py)?.into_any();
            }
            Item::PresentationContextRq(pc) => {
                e.set_item("item_type", 0x20)?;
                e.set_item("context_id", pc.context_id)?;
                e.set_item("reserved", PyBytes::new(py, &pc.reserved))?;
                e.set_item("abstract_syntax", text(&pc.abstract_syntax))?;
                let ts: Vec<String> = pc.transfer_syntaxes.iter().map(|t| text(t)).collect();
                e.set_item("transfer_syntaxes", ts)?;
                pcs.append(&e)?;
            }
            Item::PresentationContextAc(pc) => {
                e.set_item("item_type", 0x21)?;
                e.set_item("context_id", pc.context_id)?;
                e.set_item("reserved_5", pc.reserved_5)?;
                e.set_item("result", pc.result)?;
                e.set_item("reserved_7", pc.reserved_7)?;
                e.set_item("transfer_syntax", pc.transfer_syntax.as_deref().map(text))?;
                pcs.append(&e)?;
            }
            Item::UserInformation(subs) => {
                e.set_item("item_type", 0x50)?;
                let list = PyList::empty(py);
                for s in subs {
                    list.append(user_item_dict(py, s)?)?;
                }
                e.set_item("sub_items", &list)?;
                user = list;
            }
            Item::Unknown { item_type, value } => {
                e.set_item("item_type", item_type)?;
                e.set_item("value", PyBytes::new(py, value))?;
            }
        }
        items.append(e)?;
    }
    d.set_item("application_context_name", app)?;
    d.set_item("presentation_contexts", pcs)?;
    d.set_item("user_information", user)?;
    d.set_item("items", items)?;
    Ok(())
}

fn user_item_dict<'py>(py: Python<'py>, s: &UserItem<'_>) -> PyResult<Bound<'py, PyDict>> {
    let e = PyDict::new(py);
    match s {
        UserItem::MaximumLength(v) => {
            e.set_item("item_type", 0x51)?;
            e.set_item("maximum_length_received", v)?;
        }
        UserItem::ImplementationClassUid(v) => {
            e.set_item("item_type", 0x52)?;
            e.set_item("implementation_class_uid", text(v))?;
        }
        UserItem::AsyncOpsWindow { invoked, performed } => {
            e.set_item("item_type", 0x53)?;
            e.set_item("max_operations_invoked", invoked)?;
            e.set_item("max_operations_performed", performed)?;
        }
        UserItem::RoleSelection {
            sop_class_uid,
            scu_role,
            scp_role,
        } => {
            e.set_item("item_type", 0x54)?;
            e.set_item("sop_class_uid", text(sop_class_uid))?;
            e.set_item("scu_role", scu_role)?;
            e.set_item("scp_role", scp_role)?;
        }
        UserItem::ImplementationVersionName(v) => {
            e.set_item("item_type", 0x55)?;
            e.set_item("implementation_version_name", text(v))?;
        }
        UserItem::SopClassExtended {
            sop_class_uid,
            app_info,
        } => {
            e.set_item("item_type", 0x56)?;
            e.set_item("sop_class_uid", text(sop_class_uid))?;
            e.set_item(
                "service_class_application_information",
                PyBytes::new(py, app_info),
            )?;
        }
        UserItem::SopClassCommonExtended {
            version,
            sop_class_uid,
            service_class_uid,
            related_general_sop_classes,
        } => {
            e.set_item("item_type", 0x57)?;
            e.set_item("sub_item_version", version)?;
            e.set_item("sop_class_uid", text(sop_class_uid))?;
            e.set_item("service_class_uid", text(service_class_uid))?;
            let rel: Vec<String> = related_general_sop_classes
                .iter()
                .map(|r| text(r))
                .collect();
            e.set_item("related_general_sop_class_uids", rel)?;
        }
        UserItem::UserIdentityRq {
            identity_type,
            positive_response_requested,
            primary,
            secondary,
        } => {
            e.set_item("item_type", 0x58)?;
            e.set_item("user_identity_type", identity_type)?;
            e.set_item("positive_response_requested", positive_response_requested)?;
            e.set_item("primary_field", PyBytes::new(py, primary))?;
            e.set_item("secondary_field", PyBytes::new(py, secondary))?;
        }
        UserItem::UserIdentityAc { server_response } => {
            e.set_item("item_type", 0x59)?;
            e.set_item("server_response", PyBytes::new(py, server_response))?;
        }
        UserItem::Unknown { item_type, value } => {
            e.set_item("item_type", item_type)?;
            e.set_item("value", PyBytes::new(py, value))?;
        }
    }
    Ok(e)
}

// ----- from fields -------------------------------------------------------------------------

fn req<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(key)?
        .ok_or_else(|| PyKeyError::new_err(format!("PDU field '{key}' is missing")))
}

fn int<T: for<'a, 'py> FromPyObject<'a, 'py>>(d: &Bound<'_, PyDict>, key: &str) -> PyResult<T> {
    let v = req(d, key)?;
    v.extract::<T>()
        .map_err(|_| PyValueError::new_err(format!("PDU field '{key}' = {v} is out of range")))
}

fn bytes_of(v: &Bound<'_, PyAny>, key: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = v.extract::<String>() {
        let outside = |c: char| {
            PyValueError::new_err(format!(
                "PDU field '{key}' has the character {c:?}, outside one byte (Latin-1)"
            ))
        };
        return s
            .chars()
            .map(|c| u8::try_from(c).map_err(|_| outside(c)))
            .collect();
    }
    v.extract::<Vec<u8>>().map_err(|_| {
        PyTypeError::new_err(format!("PDU field '{key}' must be str or bytes, not {v}"))
    })
}

fn field_bytes(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Cow<'static, [u8]>> {
    Ok(Cow::Owned(bytes_of(&req(d, key)?, key)?))
}

fn fixed<const N: usize>(d: &Bound<'_, PyDict>, key: &str, pad: u8) -> PyResult<[u8; N]> {
    let v = bytes_of(&req(d, key)?, key)?;
    if v.len() > N {
        return Err(PyValueError::new_err(format!(
            "PDU field '{key}' is longer than {N} bytes: {v:?}"
        )));
    }
    let mut out = [pad; N];
    out[..v.len()].copy_from_slice(&v);
    Ok(out)
}

fn opt_int<T: for<'a, 'py> FromPyObject<'a, 'py>>(
    d: &Bound<'_, PyDict>,
    key: &str,
    default: T,
) -> PyResult<T> {
    match d.get_item(key)? {
        Some(_) => int(d, key),
        None => Ok(default),
    }
}

fn from_dict(d: &Bound<'_, PyDict>) -> PyResult<Pdu<'static>> {
    let t: u8 = int(d, "pdu_type")?;
    let pdu_type = PduType::from_u8(t)
        .ok_or_else(|| PyValueError::new_err(format!("pdu_type {t} is not a PDU type (1-7)")))?;
    Ok(match pdu_type {
        PduType::AssociateRq | PduType::AssociateAc => {
            let a = associate_from(d)?;
            if pdu_type == PduType::AssociateRq {
                Pdu::AssociateRq(a)
            } else {
                Pdu::AssociateAc(a)
            }
        }
        PduType::AssociateRj => Pdu::AssociateRj(AssociateRj {
            reserved_6: opt_int(d, "reserved_6", 0)?,
            result: int(d, "result")?,
            source: int(d, "source")?,
            reason: int(d, "reason")?,
        }),
        PduType::PData => {
            let list = req(d, "pdvs")?;
            let mut pdvs = Vec::new();
            for e in list.try_iter()? {
                let e = e?;
                let e = e
                    .cast::<PyDict>()
                    .map_err(|_| PyTypeError::new_err("each PDV must be a dict"))?;
                pdvs.push(Pdv {
                    context_id: int(e, "context_id")?,
                    message_control: int(e, "message_control_header")?,
                    data: field_bytes(e, "data")?,
                });
            }
            Pdu::PData(PData { pdvs })
        }
        PduType::ReleaseRq | PduType::ReleaseRp => {
            let reserved = match d.get_item("reserved")? {
                Some(_) => fixed::<4>(d, "reserved", 0)?,
                None => [0; 4],
            };
            let r = Release { reserved };
            if pdu_type == PduType::ReleaseRq {
                Pdu::ReleaseRq(r)
            } else {
                Pdu::ReleaseRp(r)
            }
        }
        PduType::Abort => Pdu::Abort(Abort {
            reserved: match d.get_item("reserved")? {
                Some(_) => fixed::<2>(d, "reserved", 0)?,
                None => [0; 2],
            },
            source: int(d, "source")?,
            reason: opt_int(d, "reason", 0)?,
        }),
    })
}

fn associate_from(d: &Bound<'_, PyDict>) -> PyResult<Associate<'static>> {
    let mut a = Associate::new(
        fixed::<16>(d, "called_ae_title", b' ')?,
        fixed::<16>(d, "calling_ae_title", b' ')?,
    );
    a.protocol_version = opt_int(d, "protocol_version", 1)?;
    a.reserved_8_9 = opt_int(d, "reserved_8_9", 0)?;
    if d.get_item("reserved_42_73")?.is_some() {
        a.reserved_42_73 = fixed::<32>(d, "reserved_42_73", 0)?;
    }
    let items = req(d, "items")?;
    for e in items.try_iter()? {
        let e = e?;
        let e = e
            .cast::<PyDict>()
            .map_err(|_| PyTypeError::new_err("each item must be a dict"))?;
        let item_type: u8 = int(e, "item_type")?;
        a.items.push(match item_type {
            0x10 => Item::ApplicationContext(field_bytes(e, "application_context_name")?),
            0x20 => {
                let mut transfer_syntaxes = Vec::new();
                for ts in req(e, "transfer_syntaxes")?.try_iter()? {
                    transfer_syntaxes.push(Cow::Owned(bytes_of(&ts?, "transfer_syntaxes")?));
                }
                Item::PresentationContextRq(PresentationContextRq {
                    context_id: int(e, "context_id")?,
                    reserved: match e.get_item("reserved")? {
                        Some(_) => fixed::<3>(e, "reserved", 0)?,
                        None => [0; 3],
                    },
                    abstract_syntax: field_bytes(e, "abstract_syntax")?,
                    transfer_syntaxes,
                })
            }
            0x21 => Item::PresentationContextAc(PresentationContextAc {
                context_id: int(e, "context_id")?,
                reserved_5: opt_int(e, "reserved_5", 0)?,
                result: int(e, "result")?,
                reserved_7: opt_int(e, "reserved_7", 0)?,
                transfer_syntax: match e.get_item("transfer_syntax")? {
                    Some(v) if !v.is_none() => Some(Cow::Owned(bytes_of(&v, "transfer_syntax")?)),
                    _ => None,
                },
            }),
            0x50 => {
                let mut subs = Vec::new();
                for s in req(e, "sub_items")?.try_iter()? {
                    let s = s?;
                    let s = s
                        .cast::<PyDict>()
                        .map_err(|_| PyTypeError::new_err("each sub-item must be a dict"))?;
                    subs.push(user_item_from(s)?);
                }
                Item::UserInformation(subs)
            }
            other => Item::Unknown {
                item_type: other,
                value: field_bytes(e, "value")?,
            },
        });
    }
    Ok(a)
}

fn user_item_from(s: &Bound<'_, PyDict>) -> PyResult<UserItem<'static>> {
    let t: u8 = int(s, "item_type")?;
    Ok(match t {
        0x51 => UserItem::MaximumLength(int(s, "maximum_length_received")?),
        0x52 => UserItem::ImplementationClassUid(field_bytes(s, "implementation_class_uid")?),
        0x53 => UserItem::AsyncOpsWindow {
            invoked: int(s, "max_operations_invoked")?,
            performed: int(s, "max_operations_performed")?,
        },
        0x54 => UserItem::RoleSelection {
            sop_class_uid: field_bytes(s, "sop_class_uid")?,
            scu_role: int(s, "scu_role")?,
            scp_role: int(s, "scp_role")?,
        },
        0x55 => UserItem::ImplementationVersionName(field_bytes(s, "implementation_version_name")?),
        0x56 => UserItem::SopClassExtended {
            sop_class_uid: field_bytes(s, "sop_class_uid")?,
            app_info: field_bytes(s, "service_class_application_information")?,
        },
        0x57 => {
            let mut related = Vec::new();
            for r in req(s, "related_general_sop_class_uids")?.try_iter()? {
                related.push(Cow::Owned(bytes_of(&r?, "related_general_sop_class_uids")?));
            }
            UserItem::SopClassCommonExtended {
                version: opt_int(s, "sub_item_version", 0)?,
                sop_class_uid: field_bytes(s, "sop_class_uid")?,
                service_class_uid: field_bytes(s, "service_class_uid")?,
                related_general_sop_classes: related,
            }
        }
        0x58 => UserItem::UserIdentityRq {
            identity_type: int(s, "user_identity_type")?,
            positive_response_requested: int(s, "positive_response_requested")?,
            primary: field_bytes(s, "primary_field")?,
            secondary: field_bytes(s, "secondary_field")?,
        },
        0x59 => UserItem::UserIdentityAc {
            server_response: field_bytes(s, "server_response")?,
        },
        other => UserItem::Unknown {
            item_type: other,
            value: field_bytes(s, "value")?,
        },
    })
}

#[pymethods]
impl PyPdu {
    /// Builds a PDU from a dict shaped like `fields`.
    #[staticmethod]
    fn from_fields(fields: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(Self {
            pdu: from_dict(fields)?,
            fields: std::sync::OnceLock::new(),
        })
    }

    /// The PDU type byte (1-7).
    #[getter]
    fn pdu_type(&self) -> u8 {
        self.pdu.pdu_type() as u8
    }

    /// The PDU's name, e.g. "A-ASSOCIATE-RQ".
    #[getter]
    fn name(&self) -> &'static str {
        self.pdu.pdu_type().name()
    }

    /// Every decoded field as plain Python values (computed once).
    #[getter]
    fn fields(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        if let Some(f) = self.fields.get() {
            return Ok(f.clone_ref(py));
        }
        let d = to_dict(py, &self.pdu)?.unbind();
        let _ = self.fields.set(d.clone_ref(py));
        Ok(d)
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let fields = self.fields(py)?;
        match fields.bind(py).get_item(name)? {
            Some(v) => Ok(v.unbind()),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "{} has no field '{name}'",
                self.name()
            ))),
        }
    }

    /// The PDU's bytes, header included.
    fn encode<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let mut out = Vec::with_capacity(self.pdu.encoded_len());
        self.pdu.encode(&mut out);
        PyBytes::new(py, &out)
    }

    fn __len__(&self) -> usize {
        self.pdu.encoded_len()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyPdu>().is_ok_and(|o| o.get().pdu == self.pdu)
    }

    fn __repr__(&self) -> String {
        format!("<PDU {} ({} bytes)>", self.name(), self.pdu.encoded_len())
    }
}

/// Decodes one whole PDU (header included). Raises `PDUDecodeError` naming the PDU, the
/// item and the offset of what is wrong.
#[pyfunction]
fn decode_pdu(data: &[u8]) -> PyResult<PyPdu> {
    let pdu = pdu::decode(data).map_err(pdu_error)?.into_owned();
    Ok(PyPdu {
        pdu,
        fields: std::sync::OnceLock::new(),
    })
}

/// Splits a byte stream into PDUs by their headers; returns (pdus, remaining bytes).
#[pyfunction]
fn split_pdus(py: Python<'_>, data: &[u8]) -> (Vec<Py<PyBytes>>, Py<PyBytes>) {
    let mut used = 0usize;
    let pdus = pdu::whole_pdus(data)
        .map(|p| {
            used += p.len();
            PyBytes::new(py, p).unbind()
        })
        .collect();
    (pdus, PyBytes::new(py, &data[used..]).unbind())
}

/// Encodes one user information sub-item (51H-59H, or another type with a `value`) from
/// a dict shaped like the entries of `fields["user_information"]`: the bytes the item
/// objects of `fastdimse.pdu_primitives` return from `encode()`.
#[pyfunction]
fn encode_user_item<'py>(
    py: Python<'py>,
    fields: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyBytes>> {
    let item = user_item_from(fields)?;
    let value_len = item.encoded_len() - 4;
    if value_len > usize::from(u16::MAX) {
        return Err(PyValueError::new_err(format!(
            "the sub-item's value would be {value_len} bytes long; its 16-bit length field \
             holds at most 65535"
        )));
    }
    let mut out = Vec::with_capacity(item.encoded_len());
    item.encode(&mut out);
    Ok(PyBytes::new(py, &out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPdu>()?;
    m.add_function(wrap_pyfunction!(encode_user_item, m)?)?;
    m.add_function(wrap_pyfunction!(decode_pdu, m)?)?;
    m.add_function(wrap_pyfunction!(split_pdus, m)?)?;
    Ok(())
}
