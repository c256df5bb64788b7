//! The core's hooks implemented by a Python dispatcher object (`fastdimse._dispatch`).
//!
//! The dispatcher tells up front what it observes, so the core enters Python only for
//! events somebody bound a handler to.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::assoc::{IdentityDecision, SopClassCommonExtended, SopClassExtended, UserIdentity};
use crate::net::{AssocShared, EchoIndication, Hooks, Notification};

use super::gate;
use super::net_py::CoreAssociation;

pub struct PyHooks {
    dispatcher: Py<PyAny>,
    observed: AtomicU32,
    echo: AtomicBool,
    identity: AtomicBool,
    sop_class_extended: AtomicBool,
}

impl PyHooks {
    pub fn new(py: Python<'_>, dispatcher: Py<PyAny>) -> PyResult<Self> {
        let d = dispatcher.bind(py);
        let observed: u32 = d.getattr("observed")?.extract()?;
        let echo: bool = d.getattr("handles_echo")?.extract()?;
        let identity: bool = d.getattr("handles_user_identity")?.extract()?;
        let sop_class_extended: bool = d.getattr("handles_sop_class_extended")?.extract()?;
        Ok(Self {
            dispatcher,
            observed: AtomicU32::new(observed),
            echo: AtomicBool::new(echo),
            identity: AtomicBool::new(identity),
            sop_class_extended: AtomicBool::new(sop_class_extended),
        })
    }

    /// Handlers were bound or unbound: what the core should deliver from now on.
    pub fn update(&self, observed: u32, echo: bool, identity: bool, sop_class_extended: bool) {
        self.observed.store(observed, Ordering::Release);
        self.echo.store(echo, Ordering::Release);
        self.identity.store(identity, Ordering::Release);
        self.sop_class_extended
            .store(sop_class_extended, Ordering::Release);
    }
}

fn report(py: Python<'_>, err: PyErr, what: &str) {
    crate::net::log::error(format_args!("Unexpected exception in {what}: {err}"));
    err.print(py);
}

impl Hooks for PyHooks {
    fn observed(&self) -> u32 {
        self.observed.load(Ordering::Acquire)
    }

    fn notify(&self, assoc: &Arc<AssocShared>, event: &Notification) {
        let _ = gate::enter(|py| {
            let result = (|| -> PyResult<()> {
                let info = PyDict::new(py);
                match event {
                    Notification::Rejected {
                        result,
                        source,
                        reason,
                    } => {
                        info.set_item("result", result)?;
                        info.set_item("source", source)?;
                        info.set_item("reason", reason)?;
                    }
                    Notification::Aborted {
                        by_peer,
                        source,
                        reason,
                    } => {
                        info.set_item("by_peer", by_peer)?;
                        info.set_item("source", source)?;
                        info.set_item("reason", reason)?;
                    }
                    Notification::DimseRecv {
                        context_id,
                        command,
                    }
                    | Notification::DimseSent {
                        context_id,
                        command,
                    } => {
                        info.set_item("context_id", context_id)?;
                        info.set_item("command", PyBytes::new(py, command))?;
                    }
                    Notification::DataRecv { data } | Notification::DataSent { data } => {
                        info.set_item("data", PyBytes::new(py, data))?;
                    }
                    _ => {}
                }
                let core = CoreAssociation::wrap(py, Arc::clone(assoc))?;
                self.dispatcher
                    .call_method1(py, "notify", (core, event.kind().name(), info))?;
                Ok(())
            })();
            if let Err(e) = result {
                report(py, e, "the event dispatcher");
            }
        });
    }

    fn handles_echo(&self) -> bool {
        self.echo.load(Ordering::Acquire)
    }

    fn c_echo(&self, assoc: &Arc<AssocShared>, request: EchoIndication) {
        let entered = gate::enter(|py| {
            let result = (|| -> PyResult<()> {
                let core = CoreAssociation::wrap(py, Arc::clone(assoc))?;
                self.dispatcher.call_method1(
                    py,
                    "c_echo",
                    (
                        core,
                        request.context_id,
                        request.message_id,
                        request.affected_sop_class_uid,
                        PyBytes::new(py, &request.command),
                    ),
                )?;
                Ok(())
            })();
            if let Err(e) = result {
                report(py, e, "the C-ECHO dispatcher");
            }
        });
        if entered.is_none() {
            // The interpreter is exiting: nobody is left to answer the request.
            let _ = assoc.start_abort();
        }
    }

    fn handles_user_identity(&self) -> bool {
        self.identity.load(Ordering::Acquire)
    }

    fn user_identity(&self, assoc: &Arc<AssocShared>, identity: &UserIdentity) -> IdentityDecision {
        gate::enter(|py| {
            let result = (|| -> PyResult<IdentityDecision> {
                let core = CoreAssociation::wrap(py, Arc::clone(assoc))?;
                let answer = self.dispatcher.call_method1(
                    py,
                    "user_identity",
                    (
                        core,
                        identity.identity_type,
                        PyBytes::new(py, &identity.primary),
                        PyBytes::new(py, &identity.secondary),
                        identity.positive_response_requested,
                    ),
                )?;
                let (ok, response): (bool, Option<Vec<u8>>) = answer.extract(py)?;
                Ok(if ok {
                    IdentityDecision::Accept {
                        server_response: response,
                    }
                } else {
                    IdentityDecision::Reject
                })
            })();
            result.unwrap_or_else(|e| {
                report(py, e, "the user identity handler");
                IdentityDecision::Reject
            })
        })
        .unwrap_or(IdentityDecision::Reject)
    }

    fn handles_sop_class_extended(&self) -> bool {
        self.sop_class_extended.load(Ordering::Acquire)
    }

    fn sop_class_extended(
        &self,
        assoc: &Arc<AssocShared>,
        extended: &[SopClassExtended],
        common: &[SopClassCommonExtended],
    ) -> Vec<SopClassExtended> {
        gate::enter(|py| {
            let result = (|| -> PyResult<Vec<SopClassExtended>> {
                let core = CoreAssociation::wrap(py, Arc::clone(assoc))?;
                let requested: Vec<(&str, Bound<'_, PyBytes>)> = extended
                    .iter()
                    .map(|e| (e.sop_class_uid.as_str(), PyBytes::new(py, &e.app_info)))
                    .collect();
                let common: Vec<(&str, &str, &[String])> = common
                    .iter()
                    .map(|c| {
                        (
                            c.sop_class_uid.as_str(),
                            c.service_class_uid.as_str(),
                            &c.related_general_sop_classes[..],
                        )
                    })
                    .collect();
                let answer = self.dispatcher.call_method1(
                    py,
                    "sop_class_extended",
                    (core, requested, common),
                )?;
                let answers: Vec<(String, Vec<u8>)> = answer.extract(py)?;
                Ok(answers
                    .into_iter()
                    .map(|(sop_class_uid, app_info)| SopClassExtended {
                        sop_class_uid,
                        app_info,
                    })
                    .collect())
            })();
            result.unwrap_or_else(|e| {
                report(py, e, "the SOP class extended negotiation handlers");
                Vec::new()
            })
        })
        .unwrap_or_default()
    }
}
