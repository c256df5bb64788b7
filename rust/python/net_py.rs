//! Python faces of the network layer: `CoreServer`, `CoreAssociation` and `associate()`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::net::{
    self, AssocShared, EchoOutcome, Lifecycle, ReleaseOutcome, Reply, Server, Waited,
};

use super::completions::{CompletionSlot, Convert, Slot};
use super::config::{client_config, server_config};
use super::dimse_py::echo_rsp_command;
use super::errors::net_error;
use super::hooks::PyHooks;
use super::wait;

/// One association as the core sees it; `fastdimse.Association` wraps it.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct CoreAssociation {
    inner: Arc<AssocShared>,
}

impl CoreAssociation {
    pub fn wrap(py: Python<'_>, inner: Arc<AssocShared>) -> PyResult<Py<CoreAssociation>> {
        Py::new(py, CoreAssociation { inner })
    }
}

impl CoreAssociation {
    /// One C-ECHO written from this thread and waited for, both with the GIL released; the
    /// DIMSE timeout is enforced here (the association is then aborted and `Timeout`
    /// returned).
    fn echo_outcome(
        &self,
        py: Python<'_>,
        message_id: u16,
        context_id: Option<u8>,
    ) -> PyResult<Option<EchoOutcome>> {
        let (mut waiter, deadline) = py
            .detach(|| self.inner.echo_direct(message_id, context_id))
            .map_err(net_error)?;
        match wait::wait_for(py, &mut waiter, deadline)? {
            Waited::Done(outcome) => Ok(Some(outcome)),
            Waited::Gone => Ok(None),
            Waited::TimedOut => {
                self.inner.dimse_timeout_expired(message_id);
                wait::wait(py, waiter)
            }
        }
    }
}

#[pymethods]
impl CoreAssociation {
    /// Process-wide unique ID of the association.
    #[getter]
    fn id(&self) -> u64 {
        self.inner.id
    }

    /// "requestor" or "acceptor".
    #[getter]
    fn mode(&self) -> &'static str {
        match self.inner.role {
            net::Role::Requestor => "requestor",
            net::Role::Acceptor => "acceptor",
        }
    }

    /// "negotiating", "established", "releasing", "released", "rejected" or "aborted".
    #[getter]
    fn state(&self) -> &'static str {
        self.inner.lifecycle().name()
    }

    #[getter]
    fn peer_address(&self) -> (String, u16) {
        (
            self.inner.peer_addr.ip().to_string(),
            self.inner.peer_addr.port(),
        )
    }

    /// The peer's IPv6 (flowinfo, scope_id), or None over IPv4: with `peer_address`, the
    /// 4-tuple Python's sockets give for an IPv6 peer (pynetdicom's `event.address`).
    #[getter]
    fn peer_flow_scope(&self) -> Option<(u32, u32)> {
        match self.inner.peer_addr {
            std::net::SocketAddr::V6(a) => Some((a.flowinfo(), a.scope_id())),
            std::net::SocketAddr::V4(_) => None,
        }
    }

    #[getter]
    fn local_address(&self) -> (String, u16) {
        (
            self.inner.local_addr.ip().to_string(),
            self.inner.local_addr.port(),
        )
    }

    /// (result, source, reason) of the A-ASSOCIATE-RJ, or None.
    #[getter]
    fn rejection(&self) -> Option<(u8, u8, u8)> {
        self.inner.rejection()
    }

    /// Negotiated parameters as a dict, or None before negotiation finished.
    /// Who the peer's TLS certificate names, shaped as `ssl`'s `getpeercert()` gives it
    /// (`subject`, `subjectAltName`) plus `subject_rfc4514`; None over plain TCP or without a
    /// certificate.
    #[getter]
    fn peer_certificate<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner
            .peer_certificate()
            .map(|id| super::tls_py::identity_to_py(py, id))
            .transpose()
    }

    fn info<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(info) = self.inner.info() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        let mut contexts = Vec::with_capacity(info.contexts.len());
        for c in &info.contexts {
            contexts.push(PyTuple::new(
                py,
                [
                    c.context_id.into_pyobject(py)?.into_any(),
                    c.abstract_syntax.clone().into_pyobject(py)?.into_any(),
                    c.transfer_syntax.clone().into_pyobject(py)?.into_any(),
                    c.result.into_pyobject(py)?.into_any(),
                    pyo3::types::PyBool::new(py, c.as_scu).to_owned().into_any(),
                    pyo3::types::PyBool::new(py, c.as_scp).to_owned().into_any(),
                ],
            )?);
        }
        d.set_item("contexts", contexts)?;
        d.set_item("peer_max_pdu_length", info.peer_max_pdu_length)?;
        d.set_item("local_max_pdu_length", info.local_max_pdu_length)?;
        d.set_item("local_ae_title", &info.local_ae_title)?;
        d.set_item("peer_ae_title", &info.peer_ae_title)?;
        d.set_item(
            "peer_implementation_class_uid",
            &info.peer_implementation_class_uid,
        )?;
        d.set_item(
            "peer_implementation_version_name",
            &info.peer_implementation_version_name,
        )?;
        match &info.user_identity {
            Some(u) => d.set_item(
                "user_identity",
                (
                    u.identity_type,
                    PyBytes::new(py, &u.primary),
                    PyBytes::new(py, &u.secondary),
                    u.positive_response_requested,
                ),
            )?,
            None => d.set_item("user_identity", py.None())?,
        }
        d.set_item(
            "user_identity_response",
            info.user_identity_response
                .as_deref()
                .map(|b| PyBytes::new(py, b)),
        )?;
        d.set_item(
            "request",
            (
                &info.request.calling_ae_title,
                &info.request.called_ae_title,
                info.request.contexts.clone(),
            ),
        )?;
        d.set_item("proposed_async_ops_window", info.proposed_async_ops_window)?;
        d.set_item("async_ops_window", info.async_ops_window)?;
        let extended = |items: &[crate::assoc::SopClassExtended]| -> Vec<(String, Py<PyBytes>)> {
            items
                .iter()
                .map(|e| {
                    (
                        e.sop_class_uid.clone(),
                        PyBytes::new(py, &e.app_info).unbind(),
                    )
                })
                .collect()
        };
        d.set_item(
            "sop_class_extended",
            extended(&info.request.sop_class_extended),
        )?;
        d.set_item(
            "accepted_sop_class_extended",
            extended(&info.accepted_sop_class_extended),
        )?;
        let common: Vec<(&str, &str, Vec<String>)> = info
            .request
            .sop_class_common_extended
            .iter()
            .map(|c| {
                (
                    c.sop_class_uid.as_str(),
                    c.service_class_uid.as_str(),
                    c.related_general_sop_classes.clone(),
                )
            })
            .collect();
        d.set_item("sop_class_common_extended", common)?;
        Ok(Some(d))
    }

    /// The Python object attached to this association (its `fastdimse.Association`).
    #[getter]
    fn user(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.inner
            .user_data
            .get()
            .and_then(|b| b.downcast_ref::<Py<PyAny>>())
            .map(|o| o.clone_ref(py))
    }

    /// Attaches `obj` once; returns the object that is attached (the first one wins).
    fn attach_user(&self, py: Python<'_>, obj: Py<PyAny>) -> Py<PyAny> {
        let _ = self.inner.user_data.set(Box::new(obj));
        self.user(py).unwrap_or_else(|| py.None())
    }

    /// Sends a C-ECHO-RQ and waits (GIL released) for its response. Returns
    /// `(status, command_bytes)`, or `None` after a DIMSE timeout or an abort.
    #[pyo3(signature = (message_id, context_id=None))]
    fn echo<'py>(
        &self,
        py: Python<'py>,
        message_id: u16,
        context_id: Option<u8>,
    ) -> PyResult<Option<(u16, Bound<'py, PyBytes>)>> {
        match self.echo_outcome(py, message_id, context_id)? {
            Some(EchoOutcome::Response { status, command }) => {
                Ok(Some((status, PyBytes::new(py, &command))))
            }
            _ => Ok(None),
        }
    }

    /// Sends `count` C-ECHO-RQs without returning to Python (for benchmarks and health
    /// checks), keeping up to `in_flight` outstanding: by default one at a time, at most
    /// what the asynchronous operations window allows. Returns how many got a Success
    /// response; it stops at the first request that got none (timeout or abort).
    #[pyo3(signature = (count, first_message_id=1, in_flight=1))]
    fn echo_many(
        &self,
        py: Python<'_>,
        count: u32,
        first_message_id: u16,
        in_flight: u16,
    ) -> PyResult<u32> {
        let context_id = self.inner.echo_context().map_err(net_error)?;
        let window = self.inner.info().map_or(1, |i| i.max_outstanding);
        if in_flight == 0 || (window != 0 && in_flight > window) {
            return Err(PyValueError::new_err(format!(
                "in_flight must be between 1 and the association's window of {window}, not \
                 {in_flight}"
            )));
        }
        let mut ok = 0;
        let mut id = first_message_id;
        if in_flight == 1 {
            for _ in 0..count {
                match self.echo_outcome(py, id, Some(context_id))? {
                    Some(EchoOutcome::Response { status: 0, .. }) => ok += 1,
                    Some(EchoOutcome::Response { .. }) => {}
                    _ => break,
                }
                id = id.wrapping_add(1).max(1);
            }
            return Ok(ok);
        }
        // Every request answers on one channel; the core's clock keeps their timeouts.
        let (tx, mut rx) = std::sync::mpsc::sync_channel(usize::from(in_flight));
        let (mut sent, mut outstanding) = (0u32, 0u16);
        while sent < count || outstanding > 0 {
            while sent < count && outstanding < in_flight {
                let reply = Reply::Channel(tx.clone());
                // One non-blocking `send`: not worth handing the GIL over for.
                self.inner
                    .echo_direct_with(id, Some(context_id), reply)
                    .map_err(net_error)?;
                id = id.wrapping_add(1).max(1);
                sent += 1;
                outstanding += 1;
            }
            // Nobody drives the client runtime for this wait: the keeper must.
            net::client_runtime::nudge();
            // A request the task never saw (it ended meanwhile) gets no answer: the
            // association's end is what says so.
            let (outcome, back) = wait::recv_while(py, rx, || self.inner.is_established())?;
            rx = back;
            let Some(outcome) = outcome else { break };
            outstanding -= 1;
            match outcome {
                EchoOutcome::Response { status: 0, .. } => ok += 1,
                EchoOutcome::Response { .. } => {}
                _ => break,
            }
        }
        Ok(ok)
    }

    /// Sends a C-ECHO-RQ from this thread and returns at once. Its outcome, `(status,
    /// command) | None`, goes to `callback`: a `CompletionSlot` of the event loop's queue
    /// (see `completions`), or a callable called from a core thread. The core's clock keeps
    /// the DIMSE timeout. The GIL stays held: the write is one non-blocking `send`, cheaper
    /// than handing the GIL over to a core thread that waits to deliver another
    /// association's response.
    #[pyo3(signature = (message_id, callback, context_id=None))]
    fn echo_async(
        &self,
        message_id: u16,
        callback: &Bound<'_, PyAny>,
        context_id: Option<u8>,
    ) -> PyResult<()> {
        let target = Target::of(callback);
        let reply = Reply::Callback(Box::new(move |outcome: EchoOutcome| {
            target.deliver(Box::new(move |py| match outcome {
                EchoOutcome::Response { status, command } => (status, PyBytes::new(py, &command))
                    .into_pyobject(py)
                    .map(|t| t.into_any().unbind()),
                _ => Ok(py.None()),
            }));
        }));
        self.inner
            .echo_direct_with(message_id, context_id, reply)
            .map_err(net_error)?;
        net::client_runtime::nudge();
        Ok(())
    }

    /// Starts a release and returns at once; `callback` gets `released: bool` when it ends.
    fn release_async(&self, callback: &Bound<'_, PyAny>) -> PyResult<()> {
        let target = Target::of(callback);
        let reply = Reply::Callback(Box::new(move |outcome: ReleaseOutcome| {
            target.deliver(Box::new(move |py| {
                let released = matches!(outcome, ReleaseOutcome::Released);
                Ok(pyo3::types::PyBool::new(py, released)
                    .to_owned()
                    .into_any()
                    .unbind())
            }));
        }));
        self.inner.start_release_with(reply).map_err(net_error)?;
        net::client_runtime::nudge();
        Ok(())
    }

    /// Queues one DIMSE message (a command set without data set) on `context_id`. It is
    /// usually written from this thread, so the GIL is released meanwhile: other Python
    /// threads (handlers of other associations) run during the send.
    fn send_command(&self, py: Python<'_>, context_id: u8, command: &[u8]) -> PyResult<()> {
        if command.len() % 2 != 0 {
            return Err(PyValueError::new_err(format!(
                "a command set has an even length, not {}",
                command.len()
            )));
        }
        let command = command.to_vec();
        py.detach(|| self.inner.send_command(context_id, command))
            .map_err(net_error)
    }

    /// Sends a C-ECHO-RSP with no status details, encoded here: what `send_command` of
    /// `encode_command` would send, without building the elements in Python first.
    #[pyo3(signature = (context_id, message_id, status, affected_uid=None))]
    fn send_echo_rsp(
        &self,
        py: Python<'_>,
        context_id: u8,
        message_id: u16,
        status: u16,
        affected_uid: Option<&str>,
    ) -> PyResult<()> {
        let command = echo_rsp_command(message_id, status, affected_uid);
        py.detach(|| self.inner.send_command(context_id, command))
            .map_err(net_error)
    }

    /// Sends a C-CANCEL-RQ for `message_id` on `context_id` (GIL released, as for
    /// `send_command`).
    fn send_cancel(&self, py: Python<'_>, message_id: u16, context_id: u8) -> PyResult<()> {
        py.detach(|| self.inner.send_cancel(message_id, context_id))
            .map_err(net_error)
    }

    /// True once if a C-CANCEL-RQ for `message_id` arrived during the current request.
    fn is_cancelled(&self, message_id: u16) -> bool {
        self.inner.cancel.take(message_id)
    }

    /// Releases the association, waiting (GIL released) for the A-RELEASE-RP.
    /// Returns True if released, False if it had to be aborted instead.
    fn release(&self, py: Python<'_>) -> PyResult<bool> {
        if self.inner.lifecycle() != Lifecycle::Established {
            return Ok(false);
        }
        let waiter = self.inner.start_release().map_err(net_error)?;
        if self.inner.waits_on_this_thread() {
            // Called from a handler the association's task waits for: it releases once the
            // handler returns.
            return Ok(false);
        }
        Ok(matches!(
            wait::wait(py, waiter)?,
            Some(ReleaseOutcome::Released)
        ))
    }

    /// Which notification events this association delivers, and whether C-ECHO-RQs go to
    /// the dispatcher (handlers bound to or unbound from it while it lives).
    fn update_interest(&self, observed: u32, handles_echo: bool) {
        self.inner.set_interest(observed, handles_echo);
    }

    /// New timeouts in seconds (`None`: no timeout) for this live association.
    fn set_timeouts(
        &self,
        acse: Option<f64>,
        dimse: Option<f64>,
        network: Option<f64>,
        connection: Option<f64>,
    ) -> PyResult<()> {
        let d = |name: &str, v: Option<f64>| -> PyResult<Option<Duration>> {
            v.map(|s| {
                net::timeout_from_secs(s).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "{name} must be a non-negative number of seconds, not {s}"
                    ))
                })
            })
            .transpose()
        };
        self.inner.set_timeouts(net::Timeouts {
            acse: d("acse_timeout", acse)?,
            dimse: d("dimse_timeout", dimse)?,
            network: d("network_timeout", network)?,
            connection: d("connection_timeout", connection)?,
        });
        Ok(())
    }

    /// `network_timeout_response`: True to release an idle association, False to abort it.
    fn set_release_on_idle(&self, release: bool) {
        self.inner.set_release_on_idle(release);
    }

    /// Aborts the association (A-ABORT, service-user source) and waits until it is sent.
    fn abort(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(waiter) = self.inner.start_abort() {
            if !self.inner.waits_on_this_thread() {
                wait::wait(py, waiter)?;
            }
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "<CoreAssociation #{} {} {}>",
            self.inner.id,
            self.mode(),
            self.state()
        )
    }
}

/// A listening server.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct CoreServer {
    inner: Server,
    hooks: Arc<PyHooks>,
}

#[pymethods]
impl CoreServer {
    #[new]
    fn new(
        py: Python<'_>,
        host: &str,
        port: u16,
        config: &Bound<'_, PyDict>,
        dispatcher: Py<PyAny>,
    ) -> PyResult<Self> {
        let cfg = server_config(config)?;
        let hooks = Arc::new(PyHooks::new(py, dispatcher)?);
        let addr = resolve(host, port)?;
        let core_hooks: Arc<dyn net::Hooks> = hooks.clone();
        let inner = py
            .detach(|| Server::start(addr, cfg, core_hooks))
            .map_err(net_error)?;
        Ok(Self { inner, hooks })
    }

    /// Tells the core which events now have handlers (after `bind`/`unbind`), for the
    /// associations accepted from now on.
    fn update_interest(
        &self,
        observed: u32,
        handles_echo: bool,
        handles_user_identity: bool,
        handles_sop_class_extended: bool,
    ) {
        self.hooks.update(
            observed,
            handles_echo,
            handles_user_identity,
            handles_sop_class_extended,
        );
    }

    /// New settings (the same dict as the constructor's) for associations accepted from now
    /// on.
    fn reconfigure(&self, config: &Bound<'_, PyDict>) -> PyResult<()> {
        self.inner.reconfigure(server_config(config)?);
        Ok(())
    }

    /// (host, port) actually bound (port 0 picks a free one).
    #[getter]
    fn server_address(&self) -> (String, u16) {
        let a = self.inner.local_addr();
        (a.ip().to_string(), a.port())
    }

    #[getter]
    fn is_running(&self) -> bool {
        self.inner.is_running()
    }

    /// A duplicate of the listening socket's descriptor, which the caller now owns and
    /// must close (Python wraps it in a `socket.socket`); None if it was already taken or
    /// the server is shut down. Closing it does not stop the server.
    fn take_listener_fd(&self) -> Option<i32> {
        self.inner.take_listener_fd()
    }

    fn active_associations(&self, py: Python<'_>) -> PyResult<Vec<Py<CoreAssociation>>> {
        self.inner
            .active_associations()
            .into_iter()
            .map(|a| CoreAssociation::wrap(py, a))
            .collect()
    }

    /// Stops listening and aborts open associations, waiting at most `timeout` seconds.
    #[pyo3(signature = (timeout=10.0))]
    fn shutdown(&self, py: Python<'_>, timeout: f64) {
        let wait = Duration::from_secs_f64(timeout.max(0.0));
        py.detach(|| self.inner.shutdown(wait));
    }
}

fn resolve(host: &str, port: u16) -> PyResult<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            PyValueError::new_err(format!("cannot resolve address ({host:?}, {port}): {e}"))
        })?
        .next()
        .ok_or_else(|| PyValueError::new_err(format!("no address for ({host:?}, {port})")))
}

/// Connects and requests an association, waiting (GIL released) for the outcome.
/// Raises `NetworkError` if the TCP connection fails; otherwise returns the association,
/// whatever its state (established, rejected or aborted).
#[pyfunction]
fn associate(
    py: Python<'_>,
    host: &str,
    port: u16,
    config: &Bound<'_, PyDict>,
    dispatcher: Py<PyAny>,
) -> PyResult<Py<CoreAssociation>> {
    let cfg = client_config(config)?;
    let hooks = Arc::new(PyHooks::new(py, dispatcher)?);
    let waiter = net::start_associate(host, port, cfg, hooks).map_err(net_error)?;
    match wait::wait(py, waiter)? {
        Some(Ok(shared)) => CoreAssociation::wrap(py, shared),
        Some(Err(e)) => Err(net_error(e)),
        None => Err(net_error(net::NetError::Closed)),
    }
}

/// Where an asyncio operation's outcome goes: a slot of the event loop's completion queue
/// (see `completions`), or a Python callable, called from the core's thread with the GIL.
enum Target {
    Slot(Slot),
    Callback(Py<PyAny>),
}

impl Target {
    fn of(callback: &Bound<'_, PyAny>) -> Self {
        match callback.cast::<CompletionSlot>() {
            Ok(slot) => Self::Slot(slot.get().slot()),
            Err(_) => Self::Callback(callback.clone().unbind()),
        }
    }

    /// From the core's thread. A callable's exception is reported, never propagated into
    /// the core.
    fn deliver(self, convert: Convert) {
        match self {
            Self::Slot(slot) => slot.complete(convert),
            Self::Callback(callback) => {
                let _ = super::gate::enter(|py| {
                    if let Err(e) = convert(py).and_then(|v| callback.call1(py, (v,))) {
                        e.print(py);
                    }
                });
            }
        }
    }
}

/// Starts connecting and requesting an association; returns at once. `callback` (a
/// `CompletionSlot` or a callable, as for `echo_async`) gets the `CoreAssociation`
/// (whatever its state), or the `NetworkError` instance if the TCP connection failed.
#[pyfunction]
fn associate_async(
    py: Python<'_>,
    host: &str,
    port: u16,
    config: &Bound<'_, PyDict>,
    dispatcher: Py<PyAny>,
    callback: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let cfg = client_config(config)?;
    let hooks = Arc::new(PyHooks::new(py, dispatcher)?);
    let target = Target::of(callback);
    let reply = Reply::Callback(Box::new(
        move |outcome: Result<Arc<AssocShared>, net::NetError>| {
            target.deliver(Box::new(move |py| match outcome {
                Ok(shared) => CoreAssociation::wrap(py, shared).map(|c| c.into_any()),
                Err(e) => Ok(net_error(e).into_value(py).into_any()),
            }));
        },
    ));
    net::start_associate_with(host, port, cfg, hooks, reply).map_err(net_error)?;
    net::client_runtime::nudge();
    Ok(())
}

/// Asks for `n` I/O threads in the server runtime (`AE.io_threads`): the number it starts
/// with, or, once it runs, the number it must already have.
#[pyfunction]
fn request_io_threads(n: usize) -> PyResult<()> {
    if n == 0 {
        return Err(PyValueError::new_err(
            "io_threads must be at least 1, not 0",
        ));
    }
    net::runtime::request_workers(n).map_err(|running| {
        PyValueError::new_err(format!(
            "io_threads={n}: the server runtime of this process already runs with {running} \
             I/O threads (set io_threads before the first server starts)"
        ))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(request_io_threads, m)?)?;
    m.add_function(wrap_pyfunction!(associate_async, m)?)?;
    m.add_class::<CoreAssociation>()?;
    m.add_class::<CoreServer>()?;
    m.add_function(wrap_pyfunction!(associate, m)?)?;
    Ok(())
}
