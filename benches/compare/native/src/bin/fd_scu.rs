//! The fastdimse-native SCU: `fastdimse::net::start_associate` and `AssocShared::echo_direct`
//! (the calls the Python API's blocking `send_c_echo` makes), with no Python anywhere.
//!
//! - `echo --port P --secs S --max N`: one association, C-ECHOs back to back.
//! - `assoc --port P --threads C --secs S --max N`: associate, one C-ECHO, release.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fastdimse::assoc::{RequestedContext, RequestorConfig};
use fastdimse::net::{
    self, AssocShared, ClientConfig, EchoOutcome, NoHooks, ReleaseOutcome, Timeouts,
};
use fastdimse::uid;
use fastdimse_compare::args::Args;
use fastdimse_compare::load;

fn config() -> ClientConfig {
    let mut requestor = RequestorConfig::new("FDBENCH", "ANY-SCP");
    requestor.requested.push(RequestedContext::new(
        uid::VERIFICATION,
        [
            uid::IMPLICIT_VR_LE,
            uid::EXPLICIT_VR_LE,
            uid::DEFLATED_EXPLICIT_VR_LE,
            uid::EXPLICIT_VR_BE,
        ],
    ));
    let timeouts = Timeouts {
        connection: Some(Duration::from_secs(10)),
        ..Timeouts::default()
    };
    ClientConfig {
        requestor,
        timeouts,
        bind_address: None,
    }
}

fn associate(port: u16) -> Result<Arc<AssocShared>, String> {
    let rx = net::start_associate("127.0.0.1", port, config(), Arc::new(NoHooks))
        .map_err(|e| e.to_string())?;
    let assoc = rx
        .recv()
        .map_err(|_| "the association task ended".to_string())?
        .map_err(|e| e.to_string())?;
    if !assoc.is_established() {
        return Err(format!(
            "not established: {:?} {:?}",
            assoc.lifecycle(),
            assoc.rejection()
        ));
    }
    Ok(assoc)
}

/// One C-ECHO as the blocking Python API sends it: written from this thread, the response
/// waited for here, the DIMSE timeout enforced here.
fn echo_once(assoc: &AssocShared, id: u16, context_id: u8) -> Result<(), String> {
    let (rx, deadline) = assoc
        .echo_direct(id, Some(context_id))
        .map_err(|e| e.to_string())?;
    let outcome = match deadline {
        Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
            Ok(outcome) => Ok(outcome),
            Err(_) => {
                assoc.dimse_timeout_expired(id);
                rx.recv()
            }
        },
        None => rx.recv(),
    };
    match outcome {
        Ok(EchoOutcome::Response { status: 0, .. }) => Ok(()),
        Ok(other) => Err(format!("{other:?}")),
        Err(_) => Err("no outcome".into()),
    }
}

fn release(assoc: &AssocShared) -> Result<(), String> {
    let rx = assoc.start_release().map_err(|e| e.to_string())?;
    match rx.recv() {
        Ok(ReleaseOutcome::Released) => Ok(()),
        other => Err(format!("release: {other:?}")),
    }
}

fn one_association(port: u16) -> Result<(), String> {
    let assoc = associate(port)?;
    let context_id = assoc.echo_context().map_err(|e| e.to_string())?;
    echo_once(&assoc, 1, context_id)?;
    release(&assoc)
}

fn echo(port: u16, window: load::Window, secs: f64, max: u64) {
    let assoc = associate(port).unwrap_or_else(|e| {
        eprintln!("associate: {e}");
        std::process::exit(1);
    });
    let context_id = assoc.echo_context().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let mut id = 0u16;
    let mut run = load::sequence(window, Duration::from_secs_f64(secs), max, || {
        id = id.wrapping_add(1).max(1);
        echo_once(&assoc, id, context_id)
    });
    if run.failed == 0 {
        if let Err(e) = release(&assoc) {
            run.fail(e);
        }
    }
    run.report().print();
}

fn main() {
    let args = Args::parse();
    let port: u16 = args.get("port", 0);
    let secs: f64 = args.get("secs", 1.0);
    let max: u64 = args.get("max", u64::MAX);
    let window = load::Window::from_args(&args);
    match args.mode.as_str() {
        "echo" => echo(port, window, secs, max),
        "assoc" => load::print_concurrent(
            args.get("threads", 1),
            window,
            Duration::from_secs_f64(secs),
            max,
            || one_association(port),
        ),
        m => {
            eprintln!("unknown mode {m:?} (echo | assoc)");
            std::process::exit(2);
        }
    }
}
