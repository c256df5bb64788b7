//! `CoreTlsConfig`: a TLS settings dictionary (built by `fastdimse._tls` from an
//! `ssl.SSLContext` or a `fastdimse.TLSConfig`) loaded and checked into the rustls
//! configuration the core uses, so that a missing file or a bad key fails at `start_server()` /
//! `associate()` with the path named. Also the mapping of TLS errors to Python exceptions.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::tls::{
    client_config, server_config, CaSource, CrlCheck, FailureKind, PemSource, TlsError,
    TlsSettings, TlsVersion, VerifyPeer,
};

/// A loaded, checked TLS configuration for one role: what the core's acceptor or requestor
/// takes. Immutable; built once per `start_server()` / per distinct requestor context.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct CoreTlsConfig {
    server: Option<Arc<rustls::ServerConfig>>,
    client: Option<Arc<rustls::ClientConfig>>,
    settings: TlsSettings,
}

impl CoreTlsConfig {
    /// The server configuration, if this was built with `server_side=True`.
    pub fn server_config(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.server.clone()
    }

    /// The client configuration, if this was built with `server_side=False`.
    pub fn client_config(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.client.clone()
    }

    /// The name to pass to `crate::tls::connect` (SNI and hostname check).
    pub fn server_name(&self) -> Option<&str> {
        self.settings.server_name.as_deref()
    }
}

fn item<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("missing TLS setting '{key}'")))
}

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    let value = item(d, key)?;
    value.extract::<T>().map_err(|_| {
        PyTypeError::new_err(format!("TLS setting '{key}' has the wrong type: {value}"))
    })
}

/// `None`, `("path", str)` or `("pem", bytes, origin or None)`.
fn pem_source(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<PemSource>> {
    let value = item(d, key)?;
    if value.is_none() {
        return Ok(None);
    }
    let bad = || PyTypeError::new_err(format!("TLS setting '{key}' is not a PEM source: {value}"));
    let t = value.cast::<PyTuple>().map_err(|_| bad())?;
    let tag: String = t.get_item(0)?.extract().map_err(|_| bad())?;
    match (tag.as_str(), t.len()) {
        ("path", 2) => Ok(Some(PemSource::Path(t.get_item(1)?.extract::<PathBuf>()?))),
        ("pem", 3) => Ok(Some(PemSource::Bytes {
            data: t.get_item(1)?.extract()?,
            origin: t.get_item(2)?.extract()?,
        })),
        _ => Err(bad()),
    }
}

/// A list of `("file", str)`, `("dir", str)`, `("pem", bytes, origin or None)`,
/// `("der", bytes)` or `("system",)`.
fn ca_sources(d: &Bound<'_, PyDict>) -> PyResult<Vec<CaSource>> {
    let list: Vec<Bound<'_, PyTuple>> = get(d, "ca")?;
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        let tag: String = t.get_item(0)?.extract()?;
        out.push(match (tag.as_str(), t.len()) {
            ("file", 2) => CaSource::File(t.get_item(1)?.extract()?),
            ("dir", 2) => CaSource::Dir(t.get_item(1)?.extract()?),
            ("pem", 3) => CaSource::Pem {
                data: t.get_item(1)?.extract()?,
                origin: t.get_item(2)?.extract()?,
            },
            ("der", 2) => CaSource::Der(t.get_item(1)?.extract()?),
            ("system", 1) => CaSource::System,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "TLS setting 'ca' has an unknown source: {t}"
                )))
            }
        });
    }
    Ok(out)
}

fn version(d: &Bound<'_, PyDict>, key: &str) -> PyResult<TlsVersion> {
    let v: String = get(d, key)?;
    match v.as_str() {
        "TLSv1.2" => Ok(TlsVersion::Tls12),
        "TLSv1.3" => Ok(TlsVersion::Tls13),
        other => Err(PyValueError::new_err(format!(
            "TLS setting '{key}' must be 'TLSv1.2' or 'TLSv1.3', not {other:?}"
        ))),
    }
}

fn version_name(v: TlsVersion) -> &'static str {
    match v {
        TlsVersion::Tls12 => "TLSv1.2",
        TlsVersion::Tls13 => "TLSv1.3",
    }
}

/// The settings dictionary as [`TlsSettings`], and whether it is for a server.
fn settings(d: &Bound<'_, PyDict>) -> PyResult<(bool, TlsSettings)> {
    let verify: String = get(d, "verify_peer")?;
    let verify_peer = match verify.as_str() {
        "require" => VerifyPeer::Require,
        "optional" => VerifyPeer::Optional,
        "none" => VerifyPeer::None,
        other => {
            return Err(PyValueError::new_err(format!(
                "TLS setting 'verify_peer' must be 'require', 'optional' or 'none', not {other:?}"
            )))
        }
    };
    let crl: String = get(d, "crl_check")?;
    let crl_check = match crl.as_str() {
        "none" => CrlCheck::None,
        "leaf" => CrlCheck::Leaf,
        "chain" => CrlCheck::Chain,
        other => {
            return Err(PyValueError::new_err(format!(
                "TLS setting 'crl_check' must be 'none', 'leaf' or 'chain', not {other:?}"
            )))
        }
    };
    let s = TlsSettings {
        cert_chain: pem_source(d, "cert_chain")?,
        private_key: pem_source(d, "private_key")?,
        ca: ca_sources(d)?,
        verify_peer,
        check_hostname: get(d, "check_hostname")?,
        hostname_checks_common_name: get(d, "hostname_checks_common_name")?,
        server_name: get(d, "server_hostname")?,
        min_version: version(d, "min_version")?,
        max_version: version(d, "max_version")?,
        crl_check,
        key_log: get::<Option<PathBuf>>(d, "key_log")?,
        cipher_suites: get(d, "cipher_suites")?,
    };
    Ok((get(d, "server_side")?, s))
}

#[pymethods]
impl CoreTlsConfig {
    /// Loads and checks the files and settings of `settings` (see `fastdimse._tls`); raises
    /// `ValueError` naming the file or setting that is wrong.
    #[new]
    fn new(py: Python<'_>, settings_dict: &Bound<'_, PyDict>) -> PyResult<Self> {
        let (server_side, settings) = settings(settings_dict)?;
        // Reading files and the system trust store does not need the GIL.
        py.detach(|| {
            if server_side {
                server_config(&settings).map(|c| CoreTlsConfig {
                    server: Some(c),
                    client: None,
                    settings,
                })
            } else {
                client_config(&settings).map(|c| CoreTlsConfig {
                    server: None,
                    client: Some(c),
                    settings,
                })
            }
        })
        .map_err(|e| tls_error(py, e))
    }

    /// True for a server (acceptor) configuration.
    #[getter]
    fn server_side(&self) -> bool {
        self.server.is_some()
    }

    /// The name sent as SNI and checked against the server's certificate (client only).
    #[getter]
    fn server_hostname(&self) -> Option<String> {
        self.settings.server_name.clone()
    }

    /// "require", "optional" or "none".
    #[getter]
    fn verify_peer(&self) -> &'static str {
        match self.settings.verify_peer {
            VerifyPeer::Require => "require",
            VerifyPeer::Optional => "optional",
            VerifyPeer::None => "none",
        }
    }

    #[getter]
    fn check_hostname(&self) -> bool {
        self.settings.check_hostname
    }

    #[getter]
    fn min_version(&self) -> &'static str {
        version_name(self.settings.min_version)
    }

    #[getter]
    fn max_version(&self) -> &'static str {
        version_name(self.settings.max_version)
    }

    /// The IANA names of the cipher suites offered, in order of preference.
    #[getter]
    fn cipher_suites(&self) -> Vec<String> {
        let cfg_suites = match (&self.server, &self.client) {
            (Some(s), _) => &s.crypto_provider().cipher_suites,
            (_, Some(c)) => &c.crypto_provider().cipher_suites,
            _ => return Vec::new(),
        };
        cfg_suites
            .iter()
            .filter_map(|s| s.suite().as_str().map(iana_name))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<CoreTlsConfig {} verify_peer={} {}..{}{}>",
            if self.server.is_some() {
                "server"
            } else {
                "client"
            },
            self.verify_peer(),
            self.min_version(),
            self.max_version(),
            self.settings
                .server_name
                .as_ref()
                .map(|n| format!(" server_hostname={n:?}"))
                .unwrap_or_default()
        )
    }
}

/// rustls names TLS 1.3 suites "TLS13_..."; IANA names them "TLS_...".
fn iana_name(rustls_name: &str) -> String {
    match rustls_name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => rustls_name.to_string(),
    }
}

/// A TLS error as the Python exception `ssl` would raise for it: configuration errors as
/// `ValueError`; certificate verification failures as `ssl.SSLCertVerificationError`; a
/// timeout as `TimeoutError`; a closed connection as `ConnectionResetError`; the rest as
/// `ssl.SSLError`. The message is the layer's sentence, which names the failure's category.
pub fn tls_error(py: Python<'_>, e: TlsError) -> PyErr {
    let TlsError::Handshake(h) = &e else {
        return PyValueError::new_err(e.to_string());
    };
    let class = match h.kind {
        FailureKind::UnknownCa
        | FailureKind::CertificateExpired
        | FailureKind::CertificateNotYetValid
        | FailureKind::HostnameMismatch
        | FailureKind::BadCertificate => "SSLCertVerificationError",
        FailureKind::Timeout => {
            return pyo3::exceptions::PyTimeoutError::new_err(e.to_string());
        }
        FailureKind::ClosedByPeer => {
            return pyo3::exceptions::PyConnectionResetError::new_err(e.to_string());
        }
        _ => "SSLError",
    };
    let made = py
        .import("ssl")
        .and_then(|ssl| ssl.getattr(class))
        .and_then(|cls| cls.call1((e.to_string(),)));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// The long attribute names `ssl.SSLSocket.getpeercert()` uses.
fn long_name(short: &str) -> &str {
    match short {
        "CN" => "commonName",
        "O" => "organizationName",
        "OU" => "organizationalUnitName",
        "C" => "countryName",
        "ST" => "stateOrProvinceName",
        "L" => "localityName",
        "STREET" => "streetAddress",
        "DC" => "domainComponent",
        "UID" => "userId",
        other => other, // emailAddress, serialNumber, dotted OIDs
    }
}

/// A peer certificate's identity as Python data, for `Association` and `Event`: the parts of
/// `ssl.SSLSocket.getpeercert()` that authorisation uses, in its shapes —
/// `{"subject": ((("commonName", "x"),), ...), "subjectAltName": (("DNS", "host"), ...)}` —
/// plus `"subject_rfc4514"`: `"CN=x,O=y"`.
pub fn identity_to_py<'py>(
    py: Python<'py>,
    id: &crate::tls::CertIdentity,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let rdns = id
        .rdns
        .iter()
        .map(|rdn| {
            PyTuple::new(
                py,
                rdn.iter()
                    .map(|(k, v)| (long_name(k).to_string(), v.clone())),
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    d.set_item("subject", PyTuple::new(py, rdns)?)?;
    d.set_item("subjectAltName", PyTuple::new(py, id.sans.iter().cloned())?)?;
    d.set_item("subject_rfc4514", &id.subject)?;
    Ok(d)
}

/// `identity_to_py` of a DER certificate, `None` if it cannot be parsed (tests, and callers
/// holding the bytes).
#[pyfunction]
fn tls_cert_identity<'py>(py: Python<'py>, der: &[u8]) -> PyResult<Option<Bound<'py, PyDict>>> {
    crate::tls::parse_identity(der)
        .map(|id| identity_to_py(py, &id))
        .transpose()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CoreTlsConfig>()?;
    m.add_function(wrap_pyfunction!(tls_cert_identity, m)?)?;
    m.add(
        "TLS_CIPHER_SUITES",
        PyTuple::new(m.py(), crate::tls::BCP195_SUITES)?,
    )?;
    Ok(())
}
