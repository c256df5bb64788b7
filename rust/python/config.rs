//! Settings dictionaries built by `fastdimse.ae` turned into the core's config structs.
//! Every bad value raises a `ValueError`/`TypeError` that names the key and the value.

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::assoc::{
    AcceptorConfig, RequestedContext, RequestorConfig, SopClassCommonExtended, SopClassExtended,
    SupportedContext, UserIdentity, OPS_WINDOW,
};
use crate::net::{ClientConfig, ServerConfig, Timeouts, Upgrade};

use super::tls_py::CoreTlsConfig;

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    let item = d
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("missing setting '{key}'")))?;
    item.extract::<T>()
        .map_err(|_| PyTypeError::new_err(format!("setting '{key}' has the wrong type: {item}")))
}

fn timeout(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<Duration>> {
    let value: Option<f64> = get(d, key)?;
    match value {
        None => Ok(None),
        Some(v) => match crate::net::timeout_from_secs(v) {
            Some(d) => Ok(Some(d)),
            None => Err(PyValueError::new_err(format!(
                "{key} must be a non-negative number or None, not {v}"
            ))),
        },
    }
}

/// `tls` (optional key): a `CoreTlsConfig` for this role, or None for plain TCP.
fn tls_upgrade(d: &Bound<'_, PyDict>, server_side: bool) -> PyResult<Option<Upgrade>> {
    let Some(item) = d.get_item("tls")? else {
        return Ok(None);
    };
    if item.is_none() {
        return Ok(None);
    }
    let tls = item.cast::<CoreTlsConfig>().map_err(|_| {
        PyTypeError::new_err(format!("setting 'tls' must be a CoreTlsConfig, not {item}"))
    })?;
    let tls = tls.get();
    let upgrade = if server_side {
        tls.server_config().map(crate::tls::server_upgrade)
    } else {
        tls.client_config()
            .map(|c| crate::tls::client_upgrade(c, tls.server_name().map(str::to_owned)))
    };
    upgrade.map(Some).ok_or_else(|| {
        PyValueError::new_err(format!(
            "the TLS configuration was built for the {} side",
            if server_side { "client" } else { "server" }
        ))
    })
}

/// `poll_ceiling_us` (optional key): the adaptive poll's ceiling in µs, 0 to 10,000.
fn poll_ceiling(d: &Bound<'_, PyDict>) -> PyResult<Option<Duration>> {
    let Some(item) = d.get_item("poll_ceiling_us")? else {
        return Ok(None);
    };
    let us: Option<u32> = item.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "poll_ceiling_us must be an int or None, not {item}"
        ))
    })?;
    match us {
        Some(us) if us > 10_000 => Err(PyValueError::new_err(format!(
            "poll_ceiling_us must be 0 to 10000 microseconds, not {us}"
        ))),
        other => Ok(other.map(|us| Duration::from_micros(u64::from(us)))),
    }
}

fn timeouts(d: &Bound<'_, PyDict>) -> PyResult<Timeouts> {
    Ok(Timeouts {
        acse: timeout(d, "acse_timeout")?,
        dimse: timeout(d, "dimse_timeout")?,
        network: timeout(d, "network_timeout")?,
        connection: timeout(d, "connection_timeout")?,
    })
}

/// `key` if present and not None, else the default (an empty list for the extended
/// negotiation items).
fn optional<'py, T: FromPyObjectOwned<'py> + Default>(
    d: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<T> {
    match d.get_item(key)? {
        Some(item) if !item.is_none() => item.extract::<T>().map_err(|_| {
            PyTypeError::new_err(format!("setting '{key}' has the wrong type: {item}"))
        }),
        _ => Ok(T::default()),
    }
}

type ContextTuple = (String, Vec<String>, Option<bool>, Option<bool>);
type RequestedTuple = (Option<u8>, String, Vec<String>, Option<bool>, Option<bool>);

pub fn server_config(d: &Bound<'_, PyDict>) -> PyResult<ServerConfig> {
    let contexts: Vec<ContextTuple> = get(d, "contexts")?;
    let acceptor = AcceptorConfig {
        ae_title: get(d, "ae_title")?,
        require_called_aet: get(d, "require_called_aet")?,
        require_calling_aet: get(d, "require_calling_aet")?,
        supported: contexts
            .into_iter()
            .map(
                |(abstract_syntax, transfer_syntaxes, scu_role, scp_role)| SupportedContext {
                    abstract_syntax,
                    transfer_syntaxes,
                    scu_role,
                    scp_role,
                },
            )
            .collect(),
        maximum_pdu_length: get(d, "maximum_pdu_size")?,
        implementation_class_uid: get(d, "implementation_class_uid")?,
        implementation_version_name: get(d, "implementation_version_name")?,
        async_ops_window: Some(OPS_WINDOW),
    };
    Ok(ServerConfig {
        acceptor,
        timeouts: timeouts(d)?,
        maximum_associations: get(d, "maximum_associations")?,
        upgrade: tls_upgrade(d, true)?,
        poll_ceiling: poll_ceiling(d)?,
    })
}

pub fn client_config(d: &Bound<'_, PyDict>) -> PyResult<ClientConfig> {
    let contexts: Vec<RequestedTuple> = get(d, "contexts")?;
    let identity: Option<(u8, Vec<u8>, Vec<u8>, bool)> = get(d, "user_identity")?;
    let requestor = RequestorConfig {
        calling_ae_title: get(d, "calling_ae_title")?,
        called_ae_title: get(d, "called_ae_title")?,
        requested: contexts
            .into_iter()
            .map(
                |(context_id, abstract_syntax, transfer_syntaxes, scu_role, scp_role)| {
                    RequestedContext {
                        context_id,
                        abstract_syntax,
                        transfer_syntaxes,
                        scu_role,
                        scp_role,
                    }
                },
            )
            .collect(),
        maximum_pdu_length: get(d, "maximum_pdu_size")?,
        implementation_class_uid: get(d, "implementation_class_uid")?,
        implementation_version_name: get(d, "implementation_version_name")?,
        user_identity: identity.map(
            |(identity_type, primary, secondary, positive)| UserIdentity {
                identity_type,
                positive_response_requested: positive,
                primary,
                secondary,
            },
        ),
        async_ops_window: get(d, "async_ops_window")?,
        sop_class_extended: optional::<Vec<(String, Vec<u8>)>>(d, "sop_class_extended")?
            .into_iter()
            .map(|(sop_class_uid, app_info)| SopClassExtended {
                sop_class_uid,
                app_info,
            })
            .collect(),
        sop_class_common_extended: optional::<Vec<(String, String, Vec<String>)>>(
            d,
            "sop_class_common_extended",
        )?
        .into_iter()
        .map(
            |(sop_class_uid, service_class_uid, related_general_sop_classes)| {
                SopClassCommonExtended {
                    sop_class_uid,
                    service_class_uid,
                    related_general_sop_classes,
                }
            },
        )
        .collect(),
    };
    let bind: Option<(String, u16)> = get(d, "bind_address")?;
    let bind_address = match bind {
        None => None,
        Some((host, port)) => {
            use std::net::ToSocketAddrs;
            let host = if host.is_empty() {
                "0.0.0.0".to_owned()
            } else {
                host
            };
            let mut addrs = (host.as_str(), port).to_socket_addrs().map_err(|e| {
                PyValueError::new_err(format!("bind_address ({host:?}, {port}): {e}"))
            })?;
            Some(addrs.next().ok_or_else(|| {
                PyValueError::new_err(format!("bind_address ({host:?}, {port}) has no address"))
            })?)
        }
    };
    Ok(ClientConfig {
        requestor,
        timeouts: timeouts(d)?,
        bind_address,
        upgrade: tls_upgrade(d, false)?,
        poll_ceiling: poll_ceiling(d)?,
    })
}
