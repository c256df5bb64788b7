//! PyO3 bindings: the `fastdimse._core` extension module. Types and conversions only; the
//! logic lives in the pure-Rust layers.

use pyo3::prelude::*;

mod completions;
mod config;
mod dimse_py;
mod errors;
mod gate;
mod hooks;
mod net_py;
mod pdu_py;
mod tls_py;
mod wait;

use std::sync::OnceLock;

static LOG_RESET: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();
static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts panics (there should be none: network input never panics) and reports each one
/// under the `fastdimse` logger as well as through the default hook.
fn install_panic_counter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            crate::net::log::error(format_args!("internal error (panic): {info}"));
            default(info);
        }));
    });
}

/// How many panics the core has caught since it was loaded (tests assert it stays 0).
#[pyfunction]
fn panic_count() -> u64 {
    PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Forget the cached Python logging levels, after the application changed them.
#[pyfunction]
fn reset_log_cache() {
    if let Some(handle) = LOG_RESET.get() {
        handle.reset();
    }
}

// GIL stance, stated rather than left to PyO3's default (which since 0.28 declares every
// module free-threading safe): this module needs the GIL. Its Python-facing state (handler
// threads entering Python, the exit gate, the asyncio completion queue, the pure-Python
// association and event layer above it) was designed and tested with the GIL serialising
// Python code, and no free-threaded interpreter (3.13t/3.14t) has run the test suite. A
// free-threaded interpreter that imports it re-enables the GIL and warns, rather than
// running untested code without it. The abi3 wheel cannot be installed there anyway: a
// free-threaded build needs its own, version-specific wheel.
#[pymodule(gil_used = true)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    if LOG_RESET.get().is_none() {
        let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?;
        let handle = logger.reset_handle();
        if log::set_boxed_logger(Box::new(gate::GatedLogger(logger))).is_ok() {
            log::set_max_level(log::LevelFilter::Debug);
            let _ = LOG_RESET.set(handle);
        }
    }
    install_panic_counter();
    m.add_function(wrap_pyfunction!(reset_log_cache, m)?)?;
    m.add_function(wrap_pyfunction!(panic_count, m)?)?;
    let close_gate = wrap_pyfunction!(gate::close_gate, m)?;
    // Before finalization starts, core threads must stop entering Python (see `gate`).
    py.import("atexit")?
        .call_method1("register", (close_gate.clone(),))?;
    m.add_function(close_gate)?;
    errors::register(py, m)?;
    pdu_py::register(m)?;
    dimse_py::register(m)?;
    net_py::register(m)?;
    completions::register(m)?;
    tls_py::register(m)?;
    m.add(
        "IMPLEMENTATION_CLASS_UID",
        crate::uid::IMPLEMENTATION_CLASS_UID,
    )?;
    m.add(
        "IMPLEMENTATION_VERSION_NAME",
        crate::uid::IMPLEMENTATION_VERSION_NAME,
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
