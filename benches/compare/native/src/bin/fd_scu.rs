//! The fastdimse-native SCU: `fastdimse::net::start_associate` and `AssocShared::echo_direct`
//! with their `Waiter`s (the calls the Python API's blocking `send_c_echo` makes), with no
//! Python anywhere.
//!
//! - `echo --port P --secs S --max N [--in-flight K]`: one association, C-ECHOs back to
//!   back; with K > 1, an asynchronous operations window of K is proposed and K requests
//!   are kept outstanding (`AssocShared::echo_direct_with`, answers on one channel).
//! - `assoc --port P --threads C --secs S --max N`: associate, one C-ECHO, release.
//! - `--tls CA,CERT,KEY` (either mode): DICOM over TLS, the server verified against CA (for
//!   the name "localhost") and CERT/KEY sent as the client certificate, through the core's
//!   own `tls::client_config` and `tls::client_upgrade` (what `tls_args` builds). Every
//!   handshake is a full one: session resumption is off, as for DCMTK's echoscu (a new
//!   process per association) and pynetdicom (no session is kept); `--tls-resume 1` leaves
//!   it on, as the Python API has it.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fastdimse::assoc::{RequestedContext, RequestorConfig};
use fastdimse::net::Upgrade;
use fastdimse::net::{
    self, AssocShared, ClientConfig, EchoOutcome, NoHooks, ReleaseOutcome, Reply, Timeouts,
    WaitError, Waited,
};
use fastdimse::tls::{self, CaSource, PemSource, TlsSettings};
use fastdimse::uid;
use fastdimse_compare::args::Args;
use fastdimse_compare::load;

/// The TLS upgrade `--tls CA,CERT,KEY` asks for, or None for plain TCP.
fn tls_upgrade(args: &Args) -> Option<Upgrade> {
    let spec: String = args.get("tls", String::new());
    if spec.is_empty() {
        return None;
    }
    let files: Vec<&str> = spec.split(',').collect();
    let [ca, cert, key] = files[..] else {
        eprintln!("--tls needs CA,CERT,KEY");
        std::process::exit(2);
    };
    let settings = TlsSettings {
        cert_chain: Some(PemSource::Path(cert.into())),
        private_key: Some(PemSource::Path(key.into())),
        ca: vec![CaSource::File(ca.into())],
        server_name: Some("localhost".into()),
        ..TlsSettings::default()
    };
    let shared = tls::client_config(&settings).unwrap_or_else(|e| {
        eprintln!("TLS configuration: {e}");
        std::process::exit(2);
    });
    let cfg = if args.get("tls-resume", 0u8) == 1 {
        shared
    } else {
        let mut own = (*shared).clone();
        own.resumption = rustls::client::Resumption::disabled();
        Arc::new(own)
    };
    Some(tls::client_upgrade(cfg, Some("localhost".into())))
}

fn config(in_flight: u16) -> ClientConfig {
    let mut requestor = RequestorConfig::new("FDBENCH", "ANY-SCP");
    if in_flight > 1 {
        requestor.async_ops_window = Some((in_flight, 1));
    }
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
        upgrade: UPGRADE.get().cloned().flatten(),
        poll_ceiling: None,
    }
}

fn associate(port: u16, in_flight: u16) -> Result<Arc<AssocShared>, String> {
    let rx = net::start_associate("127.0.0.1", port, config(in_flight), Arc::new(NoHooks))
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
/// waited for here (this thread drives the client runtime meanwhile), the DIMSE timeout
/// enforced here.
fn echo_once(assoc: &AssocShared, id: u16, context_id: u8) -> Result<(), String> {
    let (mut waiter, deadline) = assoc
        .echo_direct(id, Some(context_id))
        .map_err(|e| e.to_string())?;
    let outcome = match waiter.wait(deadline) {
        Waited::Done(outcome) => Ok(outcome),
        Waited::Gone => Err(WaitError::Gone),
        Waited::TimedOut => {
            assoc.dimse_timeout_expired(id);
            waiter.recv()
        }
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
    let assoc = associate(port, 1)?;
    let context_id = assoc.echo_context().map_err(|e| e.to_string())?;
    echo_once(&assoc, 1, context_id)?;
    release(&assoc)
}

/// Keeps `in_flight` requests outstanding; each call returns once one more has its answer.
struct Pipeline {
    tx: SyncSender<EchoOutcome>,
    rx: Receiver<EchoOutcome>,
    in_flight: u16,
    outstanding: u16,
    next_id: u16,
}

impl Pipeline {
    fn new(in_flight: u16) -> Self {
        let (tx, rx) = sync_channel(usize::from(in_flight));
        Pipeline {
            tx,
            rx,
            in_flight,
            outstanding: 0,
            next_id: 0,
        }
    }

    fn next(&mut self, assoc: &AssocShared, context_id: u8) -> Result<(), String> {
        while self.outstanding < self.in_flight {
            self.next_id = self.next_id.wrapping_add(1).max(1);
            assoc
                .echo_direct_with(
                    self.next_id,
                    Some(context_id),
                    Reply::Channel(self.tx.clone()),
                )
                .map_err(|e| e.to_string())?;
            self.outstanding += 1;
        }
        let outcome = self.rx.recv().map_err(|_| "no outcome".to_string())?;
        self.outstanding -= 1;
        match outcome {
            EchoOutcome::Response { status: 0, .. } => Ok(()),
            other => Err(format!("{other:?}")),
        }
    }

    /// Waits for the requests still outstanding (untimed).
    fn drain(&mut self) -> Result<(), String> {
        while self.outstanding > 0 {
            self.rx.recv().map_err(|_| "no outcome".to_string())?;
            self.outstanding -= 1;
        }
        Ok(())
    }
}

fn echo(port: u16, window: load::Window, secs: f64, max: u64, in_flight: u16) {
    let assoc = associate(port, in_flight).unwrap_or_else(|e| {
        eprintln!("associate: {e}");
        std::process::exit(1);
    });
    let context_id = assoc.echo_context().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let mut run = if in_flight > 1 {
        let mut pipeline = Pipeline::new(in_flight);
        let mut run = load::sequence(window, Duration::from_secs_f64(secs), max, || {
            pipeline.next(&assoc, context_id)
        });
        if let Err(e) = pipeline.drain() {
            run.fail(e);
        }
        run
    } else {
        let mut id = 0u16;
        load::sequence(window, Duration::from_secs_f64(secs), max, || {
            id = id.wrapping_add(1).max(1);
            echo_once(&assoc, id, context_id)
        })
    };
    if run.failed == 0 {
        if let Err(e) = release(&assoc) {
            run.fail(e);
        }
    }
    run.report().print();
}

/// The connection upgrade of every association of this run (`--tls`), set once in `main`.
static UPGRADE: OnceLock<Option<Upgrade>> = OnceLock::new();

fn main() {
    let args = Args::parse();
    let _ = UPGRADE.set(tls_upgrade(&args));
    let port: u16 = args.get("port", 0);
    let secs: f64 = args.get("secs", 1.0);
    let max: u64 = args.get("max", u64::MAX);
    let window = load::Window::from_args(&args);
    match args.mode.as_str() {
        "echo" => echo(port, window, secs, max, args.get("in-flight", 1)),
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
