//! The association engine cell by cell, over in-memory pipes (the transport seam): for each
//! (state, event) pair that the wire, the API or a timer can produce, in both roles, the
//! bytes that come out, what the layer above is told and in which order, and when the
//! transport closes. `tests/ul_table.rs` checks the table itself; these check that the
//! engine does what the table names, exactly once.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use fastdimse::assoc::{AcceptorConfig, RequestedContext, RequestorConfig, SupportedContext};
use fastdimse::net::{
    serve_conn, start_associate_over, AssocShared, ClientConfig, Conn, EchoOutcome, Hooks,
    Lifecycle, Notification, NotificationKind, ReleaseOutcome, ServerConfig, Timeouts,
};
use fastdimse::uid::{IMPLICIT_VR_LE, VERIFICATION};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

mod wire_support;

use wire_support::{
    abort, raw_ac, unhex, ASSOC_RQ, ECHO_RQ, ECHO_RSP, RELEASE_RP, RELEASE_RQ, RJ_111,
};

fn addr() -> SocketAddr {
    "127.0.0.1:104".parse().expect("address")
}

fn timeouts(acse_ms: u64) -> Timeouts {
    Timeouts {
        acse: Some(Duration::from_millis(acse_ms)),
        dimse: Some(Duration::from_secs(5)),
        network: Some(Duration::from_secs(5)),
        connection: None,
    }
}

/// Records every notification, in order, as its kind's name (and the abort's numbers).
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    changed: Condvar,
}

impl Recorder {
    fn names(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Hooks for Recorder {
    fn observed(&self) -> u32 {
        NotificationKind::ALL
            .iter()
            .filter(|k| {
                !matches!(
                    k,
                    NotificationKind::DimseRecv
                        | NotificationKind::DimseSent
                        | NotificationKind::DataRecv
                        | NotificationKind::DataSent
                )
            })
            .fold(0, |m, k| m | k.bit())
    }

    fn notify(&self, _assoc: &Arc<AssocShared>, event: &Notification) {
        let name = match event {
            Notification::Aborted {
                by_peer,
                source,
                reason,
            } => format!("ABORTED({by_peer},{source},{reason})"),
            Notification::Rejected {
                result,
                source,
                reason,
            } => format!("REJECTED({result},{source},{reason})"),
            other => other.kind().name().to_string(),
        };
        self.seen.lock().expect("lock").push(name);
        self.changed.notify_all();
    }
}

/// What one read from the pipe produced.
#[derive(Debug, PartialEq)]
enum Got {
    Pdu(Vec<u8>),
    Closed,
    Timeout,
}

/// Our end of an in-memory pipe whose other end an association runs over.
struct Peer {
    rt: tokio::runtime::Runtime,
    io: DuplexStream,
}

impl Peer {
    fn pair() -> (Peer, Conn) {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        (Peer { rt, io: ours }, Conn::stream(theirs, addr(), addr()))
    }

    fn send(&mut self, bytes: &[u8]) {
        self.rt
            .block_on(self.io.write_all(bytes))
            .expect("pipe write");
    }

    fn recv(&mut self, timeout: Duration) -> Got {
        let io = &mut self.io;
        self.rt.block_on(async {
            let read = async {
                let mut head = [0u8; 6];
                let mut have = 0;
                while have < 6 {
                    match io.read(&mut head[have..]).await {
                        Ok(0) | Err(_) => {
                            assert_eq!(have, 0, "closed inside a PDU header");
                            return Got::Closed;
                        }
                        Ok(n) => have += n,
                    }
                }
                let len = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
                let mut pdu = head.to_vec();
                pdu.resize(6 + len, 0);
                io.read_exact(&mut pdu[6..]).await.expect("PDU body");
                Got::Pdu(pdu)
            };
            tokio::time::timeout(timeout, read)
                .await
                .unwrap_or(Got::Timeout)
        })
    }

    fn pdu(&mut self) -> Vec<u8> {
        match self.recv(Duration::from_secs(5)) {
            Got::Pdu(p) => p,
            other => panic!("expected a PDU, got {other:?}"),
        }
    }

    /// Closes our write direction (the engine sees Evt17 on its next read).
    fn close(&mut self) {
        self.rt.block_on(self.io.shutdown()).expect("shutdown");
    }

    /// Expects nothing more but the close, within `timeout`.
    fn expect_closed(&mut self, timeout: Duration) {
        assert_eq!(self.recv(timeout), Got::Closed);
    }
}

// ---- acceptor ------------------------------------------------------------------------------

fn acceptor(acse_ms: u64) -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let mut acceptor = AcceptorConfig::new("ANY-SCP");
    acceptor.supported = vec![SupportedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ServerConfig {
        acceptor,
        timeouts: timeouts(acse_ms),
        maximum_associations: 0,
        upgrade: None,
        poll_ceiling: None,
    };
    let recorder = Arc::new(Recorder::default());
    let (peer, conn) = Peer::pair();
    let assoc = serve_conn(conn, cfg, recorder.clone());
    (peer, assoc, recorder)
}

/// An acceptor in Sta6: the RQ was sent and the AC read.
fn acceptor_sta6() -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let (mut peer, assoc, rec) = acceptor(5000);
    peer.send(&unhex(ASSOC_RQ));
    assert_eq!(peer.pdu()[0], 2, "A-ASSOCIATE-AC");
    (peer, assoc, rec)
}

/// Waits until the association's task has told the layer above everything (CONN_CLOSE last).
fn wait_for_close_event(rec: &Recorder) {
    let seen = rec.seen.lock().expect("lock");
    let (seen, timeout) = rec
        .changed
        .wait_timeout_while(seen, Duration::from_secs(5), |seen| {
            !seen.iter().any(|n| n == "CONN_CLOSE")
        })
        .expect("lock");
    assert!(!timeout.timed_out(), "no CONN_CLOSE: {seen:?}");
}

#[test]
fn sta2_evt6_ae6_then_evt7_ae7_accepts_and_sta6_evt10_dt2_evt9_dt1_answers() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    assert_eq!(assoc.lifecycle(), Lifecycle::Established);
    peer.send(&unhex(ECHO_RQ));
    assert_eq!(hex::encode(peer.pdu()), hex::encode(unhex(ECHO_RSP)));
    // Sta6 + Evt12: AR-2 then (no response pending) AR-4: RP, Sta13, wait for our close.
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    assert_eq!(peer.recv(Duration::from_millis(100)), Got::Timeout);
    peer.close(); // Sta13 + Evt17: AR-5
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(
        rec.names(),
        [
            "CONN_OPEN",
            "REQUESTED",
            "ACCEPTED",
            "ESTABLISHED",
            "RELEASED",
            "CONN_CLOSE"
        ]
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Released);
}

/// Sta2 + every PDU event other than Evt6 and Evt16: AA-1, A-ABORT (0, 0), Sta13; the
/// association never existed, so nothing but the connection is reported.
#[test]
fn sta2_unexpected_pdus_get_aa1() {
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("Evt3", raw_ac(&unhex(ASSOC_RQ))),
        ("Evt4", RJ_111.to_vec()),
        ("Evt10", unhex(ECHO_RQ)),
        ("Evt12", RELEASE_RQ.to_vec()),
        ("Evt13", RELEASE_RP.to_vec()),
        ("Evt19 unknown type", vec![0x0A, 0, 0, 0, 0, 0]),
        ("Evt19 too large", vec![1, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
    ];
    for (what, bytes) in inputs {
        let (mut peer, assoc, rec) = acceptor(5000);
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(0, 0), "{what}");
        peer.close();
        peer.expect_closed(Duration::from_secs(3));
        wait_for_close_event(&rec);
        assert_eq!(rec.names(), ["CONN_OPEN", "CONN_CLOSE"], "{what}");
        assert_eq!(assoc.lifecycle(), Lifecycle::Aborted, "{what}");
    }
}

/// Sta2 + Evt16 (A-ABORT): AA-2, close at once, nothing sent.
#[test]
fn sta2_evt16_aa2_closes_without_a_pdu() {
    let (mut peer, _assoc, rec) = acceptor(5000);
    peer.send(&abort(0, 0));
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names(), ["CONN_OPEN", "CONN_CLOSE"]);
}

/// Sta2 + Evt18 (ARTIM expiry): AA-2, close, nothing sent.
#[test]
fn sta2_evt18_artim_closes_without_a_pdu() {
    let (mut peer, _assoc, rec) = acceptor(200);
    let t0 = std::time::Instant::now();
    peer.expect_closed(Duration::from_secs(3));
    assert!(
        t0.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t0.elapsed()
    );
    wait_for_close_event(&rec);
    assert_eq!(rec.names(), ["CONN_OPEN", "CONN_CLOSE"]);
}

/// Sta2 + Evt6 not acceptable to the provider (no presentation context item): AE-6's RJ
/// (1, 2, 1), Sta13 until our close.
#[test]
fn sta2_evt6_without_contexts_is_rejected_1_2_1() {
    let (mut peer, assoc, rec) = acceptor(5000);
    let mut rq = unhex(ASSOC_RQ);
    rq[74 + 4 + 21] = 0x22; // the 20H item becomes an unknown item, skipped
    peer.send(&rq);
    assert_eq!(peer.pdu(), [3, 0, 0, 0, 0, 4, 0, 1, 2, 1]);
    assert_eq!(peer.recv(Duration::from_millis(100)), Got::Timeout);
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(
        rec.names(),
        ["CONN_OPEN", "REQUESTED", "REJECTED(1,2,1)", "CONN_CLOSE"]
    );
    assert_eq!(assoc.rejection(), Some((1, 2, 1)));
}

/// Sta6 + the PDU events the table answers with AA-8: A-ABORT (2, 2), A-P-ABORT to the
/// user, Sta13 until our close.
#[test]
fn sta6_unexpected_pdus_get_aa8_once() {
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("Evt3", raw_ac(&unhex(ASSOC_RQ))),
        ("Evt4", RJ_111.to_vec()),
        ("Evt6", unhex(ASSOC_RQ)),
        ("Evt13", RELEASE_RP.to_vec()),
    ];
    for (what, bytes) in inputs {
        let (mut peer, assoc, rec) = acceptor_sta6();
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, 2), "{what}");
        // Nothing follows the A-ABORT but the end of our read side (the engine shuts its
        // write direction down after it), while it waits in Sta13 for our close.
        assert_eq!(peer.recv(Duration::from_secs(3)), Got::Closed, "{what}");
        peer.close();
        peer.expect_closed(Duration::from_secs(3));
        wait_for_close_event(&rec);
        assert_eq!(
            rec.names()[4..],
            ["ABORTED(false,2,2)".to_string(), "CONN_CLOSE".to_string()],
            "{what}"
        );
        assert_eq!(assoc.lifecycle(), Lifecycle::Aborted, "{what}");
    }
}

/// Sta6 + Evt19 (an unknown PDU type, or a P-DATA above our maximum): AA-8 with the
/// reason that names it (1 unrecognized PDU, 6 invalid parameter).
#[test]
fn sta6_invalid_pdus_get_aa8_with_their_reason() {
    for (bytes, reason) in [
        (vec![0x0A, 0, 0, 0, 0, 0], 1),
        (vec![4, 0, 0, 1, 0, 0], 6),
        (vec![4, 0, 0, 0, 0, 2, 0, 0], 6), // a PDV item shorter than its header
    ] {
        let (mut peer, _assoc, rec) = acceptor_sta6();
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, reason), "{bytes:?}");
        peer.close();
        peer.expect_closed(Duration::from_secs(3));
        wait_for_close_event(&rec);
        assert!(
            rec.names().contains(&format!("ABORTED(false,2,{reason})")),
            "{:?}",
            rec.names()
        );
    }
}

/// Sta6 + Evt16 (the peer's A-ABORT): AA-3, the user is told (by the peer, its source and
/// reason), close at once; nothing is sent.
#[test]
fn sta6_evt16_aa3_reports_and_closes() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    peer.send(&abort(0, 0));
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["ABORTED(true,0,0)", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Sta6 + Evt17 (the transport closed): AA-4, A-P-ABORT to the user.
#[test]
fn sta6_evt17_aa4_reports_a_provider_abort() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["ABORTED(false,2,0)", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Sta6 + Evt15 (the local user aborts): AA-1, A-ABORT (0, 0), the user is told, and the
/// abort returns once the connection is closed.
#[test]
fn sta6_evt15_aa1_sends_a_user_abort() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    let mut done = assoc.start_abort().expect("abort starts");
    assert_eq!(peer.pdu(), abort(0, 0));
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    done.recv_timeout(Duration::from_secs(3))
        .expect("abort returns");
    assert_eq!(rec.names()[4..], ["ABORTED(false,0,0)", "CONN_CLOSE"]);
}

/// Sta6 + Evt11 (the local user releases): AR-1, RQ; Sta7 + Evt13: AR-3, closed, released.
#[test]
fn sta6_evt11_ar1_then_sta7_evt13_ar3() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    let mut done = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ);
    peer.send(&RELEASE_RP);
    assert_eq!(
        done.recv_timeout(Duration::from_secs(3)).expect("outcome"),
        ReleaseOutcome::Released
    );
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["RELEASED", "CONN_CLOSE"]);
}

/// Sta7 + Evt12 (release collision, acceptor side): AR-8 to Sta10; the acceptor sends its
/// RP when the requestor's RP comes (AR-10, AR-4); both sides end released.
#[test]
fn sta7_evt12_release_collision_as_acceptor() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    let mut done = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ);
    peer.send(&RELEASE_RQ); // collision: Sta10
    assert_eq!(peer.recv(Duration::from_millis(100)), Got::Timeout);
    peer.send(&RELEASE_RP); // Sta10 + Evt13: AR-10 to Sta12, then AR-4: our RP
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    assert_eq!(
        done.recv_timeout(Duration::from_secs(3)).expect("outcome"),
        ReleaseOutcome::Released
    );
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["RELEASED", "CONN_CLOSE"]);
}

/// Sta10 + Evt13 (release collision, acceptor side): AR-10 issues the A-RELEASE
/// confirmation (EVT_RELEASED) before the user's response (Evt14) sends the RP (AR-4).
#[test]
fn sta10_evt13_ar10_confirms_before_ar4_sends_the_rp() {
    let (mut peer, assoc, rec) = acceptor_sta6();
    let _done = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ);
    peer.send(&RELEASE_RQ); // collision: Sta10
    assert_eq!(peer.recv(Duration::from_millis(100)), Got::Timeout);
    peer.send(&RELEASE_RP); // AR-10, then AR-4
    assert_eq!(peer.pdu(), RELEASE_RP);
    assert_eq!(
        rec.names()[4..],
        ["RELEASED"],
        "confirmed before the RP went out"
    );
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
}

/// Sta13 (after our RP) + Evt19: a PDU of an unknown type, one over the size limit, or one
/// that stalls is an invalid PDU: AA-7, A-ABORT (2, reason) with the reason of the fault,
/// as in the other states; the stream cannot be read past it, so the connection closes.
#[test]
fn sta13_evt19_invalid_pdus_aa7() {
    // Unknown PDU type: reason 1 (unrecognized PDU).
    let (mut peer, _assoc, _rec) = acceptor_sta6();
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.send(&[0x08, 0, 0, 0, 0, 2, 0, 0]);
    assert_eq!(peer.pdu(), abort(2, 1));
    peer.expect_closed(Duration::from_secs(3));

    // Over the size limit of an A-RELEASE-RQ: reason 6 (invalid PDU parameter value).
    let (mut peer, _assoc, _rec) = acceptor_sta6();
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.send(&[0x05, 0, 0x7F, 0xFF, 0xFF, 0xFF]);
    assert_eq!(peer.pdu(), abort(2, 6));
    peer.expect_closed(Duration::from_secs(3));

    // Started and not finished within the stall limit (the network timeout, 300 ms here):
    // reason 0 (not specified).
    let (mut peer, assoc, _rec) = acceptor_sta6();
    assoc.set_timeouts(Timeouts {
        network: Some(Duration::from_millis(300)),
        ..timeouts(5000)
    });
    peer.send(&unhex(ECHO_RQ)); // served after the new timeouts were taken
    assert_eq!(peer.pdu(), unhex(ECHO_RSP));
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.send(&[0x04, 0, 0, 0, 0, 10, 0]);
    assert_eq!(peer.pdu(), abort(2, 0));
    peer.expect_closed(Duration::from_secs(3));
}

/// Sta13 (after our RP) + Evt6: AA-7, A-ABORT (2, 2); + other PDUs: AA-6, ignored.
#[test]
fn sta13_evt6_aa7_and_other_pdus_aa6() {
    let (mut peer, _assoc, _rec) = acceptor_sta6();
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.send(&unhex(ECHO_RQ)); // AA-6
    peer.send(&RELEASE_RQ); // AA-6
    assert_eq!(peer.recv(Duration::from_millis(100)), Got::Timeout);
    peer.send(&unhex(ASSOC_RQ)); // AA-7
    assert_eq!(peer.pdu(), abort(2, 2));
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
}

/// Sta13 + Evt18: ARTIM expires while the peer keeps the connection open: AA-2, close.
#[test]
fn sta13_evt18_artim_closes() {
    let (mut peer, _assoc, rec) = acceptor(300);
    peer.send(&unhex(ASSOC_RQ));
    assert_eq!(peer.pdu()[0], 2);
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    let t0 = std::time::Instant::now();
    peer.expect_closed(Duration::from_secs(3));
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    wait_for_close_event(&rec);
}

/// Hooks whose C-ECHO handler blocks until the test lets it return (sending nothing), so
/// that the acceptor sits in Sta8 after the peer's A-RELEASE-RQ.
struct BlockingEcho {
    entered: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    release: Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Hooks for BlockingEcho {
    fn handles_echo(&self) -> bool {
        true
    }

    fn c_echo(&self, _assoc: &Arc<AssocShared>, _request: fastdimse::net::EchoIndication) {
        if let Some(tx) = self.entered.lock().expect("lock").take() {
            let _ = tx.send(());
        }
        let _ = self
            .release
            .lock()
            .expect("lock")
            .recv_timeout(Duration::from_secs(5));
    }
}

/// An acceptor in Sta8: a C-ECHO-RQ is with a handler that has not returned, and the
/// peer's A-RELEASE-RQ has come (AR-2, its answer deferred until the response is out).
fn acceptor_sta8() -> (Peer, std::sync::mpsc::Sender<()>) {
    let (entered_tx, entered) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let hooks = Arc::new(BlockingEcho {
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(release_rx),
    });
    let mut acceptor = AcceptorConfig::new("ANY-SCP");
    acceptor.supported = vec![SupportedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ServerConfig {
        acceptor,
        timeouts: timeouts(5000),
        maximum_associations: 0,
        upgrade: None,
        poll_ceiling: None,
    };
    let (mut peer, conn) = Peer::pair();
    let _assoc = serve_conn(conn, cfg, hooks);
    peer.send(&unhex(ASSOC_RQ));
    assert_eq!(peer.pdu()[0], 2);
    peer.send(&unhex(ECHO_RQ));
    entered
        .recv_timeout(Duration::from_secs(5))
        .expect("the handler runs");
    peer.send(&RELEASE_RQ);
    (peer, release)
}

/// Sta8 + Evt12 (a second A-RELEASE-RQ) and Sta8 + Evt10 (P-DATA): AA-8, A-ABORT (2, 2).
/// Both events used to be looked up twice (the second time in Sta13, ignored).
#[test]
fn sta8_evt12_and_evt10_get_aa8_once() {
    for second in [RELEASE_RQ.to_vec(), unhex(ECHO_RQ)] {
        let (mut peer, release) = acceptor_sta8();
        peer.send(&second);
        assert_eq!(peer.pdu(), abort(2, 2), "{second:?}");
        let _ = release.send(());
        peer.close();
        peer.expect_closed(Duration::from_secs(3));
    }
}

// ---- requestor -----------------------------------------------------------------------------

/// The outcome of a requested association, as the requestor's caller waits for it.
type Outcome = fastdimse::net::Waiter<Result<Arc<AssocShared>, fastdimse::net::NetError>>;

/// A requestor in Sta5: its A-ASSOCIATE-RQ is returned with our end of the pipe.
fn requestor() -> (Peer, Outcome, Arc<Recorder>, Vec<u8>) {
    let mut requestor = RequestorConfig::new("SCU", "ANY-SCP");
    requestor.requested = vec![RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ClientConfig {
        requestor,
        timeouts: timeouts(2000),
        bind_address: None,
        upgrade: None,
        poll_ceiling: None,
    };
    let recorder = Arc::new(Recorder::default());
    let (mut peer, conn) = Peer::pair();
    let waiter = start_associate_over(conn, cfg, recorder.clone()).expect("config ok");
    let rq = peer.pdu();
    assert_eq!(rq[0], 1, "A-ASSOCIATE-RQ");
    (peer, waiter, recorder, rq)
}

fn requestor_sta6() -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let (mut peer, mut waiter, rec, rq) = requestor();
    peer.send(&raw_ac(&rq));
    let assoc = waiter
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("associated");
    assert_eq!(assoc.lifecycle(), Lifecycle::Established);
    (peer, assoc, rec)
}

/// Sta5 + Evt3: AE-3, established; an echo is DT-1 out and DT-2 in; release AR-1, AR-3.
#[test]
fn requestor_echo_session_over_a_pipe() {
    let (mut peer, assoc, rec) = requestor_sta6();
    let mut echo = assoc.start_echo(1, None).expect("echo starts");
    assert_eq!(hex::encode(peer.pdu()), hex::encode(unhex(ECHO_RQ)));
    peer.send(&unhex(ECHO_RSP));
    match echo.recv_timeout(Duration::from_secs(5)).expect("outcome") {
        EchoOutcome::Response { status, .. } => assert_eq!(status, 0),
        other => panic!("{other:?}"),
    }
    let mut release = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ);
    peer.send(&RELEASE_RP);
    assert_eq!(
        release
            .recv_timeout(Duration::from_secs(5))
            .expect("outcome"),
        ReleaseOutcome::Released
    );
    peer.expect_closed(Duration::from_secs(3));
    // The release's outcome comes after every handler of the end has run.
    assert_eq!(
        rec.names(),
        [
            "CONN_OPEN",
            "REQUESTED",
            "ACCEPTED",
            "ESTABLISHED",
            "RELEASED",
            "CONN_CLOSE"
        ]
    );
}

/// Sta5 + Evt4: AE-4, rejected, closed.
#[test]
fn requestor_sta5_evt4_ae4_rejected() {
    let (mut peer, mut waiter, rec, _rq) = requestor();
    peer.send(&RJ_111);
    let assoc = waiter
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("an association object");
    assert_eq!(assoc.rejection(), Some((1, 1, 1)));
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(
        rec.names(),
        ["CONN_OPEN", "REQUESTED", "REJECTED(1,1,1)", "CONN_CLOSE"]
    );
}

/// Sta5 + Evt6/Evt10/Evt12/Evt13/Evt19: AA-8, A-ABORT (2, reason), A-P-ABORT to the user.
#[test]
fn requestor_sta5_unexpected_pdus_get_aa8() {
    for (bytes, reason) in [
        (unhex(ASSOC_RQ), 2),
        (unhex(ECHO_RQ), 2),
        (RELEASE_RQ.to_vec(), 2),
        (RELEASE_RP.to_vec(), 2),
        (vec![0x0A, 0, 0, 0, 0, 0], 1),
    ] {
        let (mut peer, mut waiter, _rec, _rq) = requestor();
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, reason), "{bytes:?}");
        let assoc = waiter
            .recv_timeout(Duration::from_secs(5))
            .expect("outcome")
            .expect("an association object");
        assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
        peer.close();
        peer.expect_closed(Duration::from_secs(3));
    }
}

/// Sta5 + Evt16: AA-3, aborted by the peer, closed; nothing sent.
#[test]
fn requestor_sta5_evt16_aa3() {
    let (mut peer, mut waiter, rec, _rq) = requestor();
    peer.send(&abort(2, 0));
    let assoc = waiter
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("an association object");
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[2..], ["ABORTED(true,2,0)", "CONN_CLOSE"]);
}

/// Sta5 with no answer: the ACSE timeout aborts (A-ABORT 0, 0).
#[test]
fn requestor_sta5_acse_timeout_aborts() {
    let (mut peer, mut waiter, _rec, _rq) = requestor();
    let t0 = std::time::Instant::now();
    assert_eq!(peer.pdu(), abort(0, 0));
    assert!(
        t0.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        t0.elapsed()
    );
    let assoc = waiter
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("an association object");
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Requestor Sta6 + Evt13: AA-8 (2, 2) once (it used to be looked up twice and ignored).
#[test]
fn requestor_sta6_evt13_aa8() {
    let (mut peer, assoc, rec) = requestor_sta6();
    peer.send(&RELEASE_RP);
    assert_eq!(peer.pdu(), abort(2, 2));
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["ABORTED(false,2,2)", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Requestor Sta6 + Evt12: AR-2, the peer releases; our RP, then its close.
#[test]
fn requestor_sta6_evt12_ar2_ar4() {
    let (mut peer, assoc, rec) = requestor_sta6();
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["RELEASED", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Released);
}

/// Requestor Sta7 + Evt12: release collision on the requestor side (AR-8 to Sta9, AR-9
/// sends our RP to Sta11, then the peer's RP: AR-3).
#[test]
fn requestor_sta7_evt12_release_collision() {
    let (mut peer, assoc, rec) = requestor_sta6();
    let mut done = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ);
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.send(&RELEASE_RP);
    assert_eq!(
        done.recv_timeout(Duration::from_secs(3)).expect("outcome"),
        ReleaseOutcome::Released
    );
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["RELEASED", "CONN_CLOSE"]);
}

/// Requestor Sta6 + the DIMSE timeout: AA-1 (0, 0), the echo ends in Timeout, the user
/// is told.
#[test]
fn requestor_dimse_timeout_aborts() {
    let (mut peer, assoc, rec) = requestor_sta6();
    let mut t = assoc.timeouts();
    t.dimse = Some(Duration::from_millis(200));
    assoc.set_timeouts(t);
    let mut echo = assoc.start_echo(1, None).expect("echo starts");
    assert_eq!(hex::encode(peer.pdu()), hex::encode(unhex(ECHO_RQ)));
    assert_eq!(peer.pdu(), abort(0, 0));
    assert_eq!(
        echo.recv_timeout(Duration::from_secs(3)).expect("outcome"),
        EchoOutcome::Timeout
    );
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names()[4..], ["ABORTED(false,0,0)", "CONN_CLOSE"]);
}

/// The network timeout, changed on the live association, ends an idle one: A-ABORT (0, 0).
#[test]
fn network_timeout_set_live_aborts_the_idle_association() {
    let (mut peer, assoc, _rec) = acceptor_sta6();
    let mut t = assoc.timeouts();
    t.network = Some(Duration::from_millis(200));
    assoc.set_timeouts(t);
    let t0 = std::time::Instant::now();
    assert_eq!(peer.pdu(), abort(0, 0));
    assert!(
        t0.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t0.elapsed()
    );
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}

/// A peer that stops reading: our write is bounded by the stall limit on any transport.
#[test]
fn a_peer_that_does_not_read_is_cut_off_at_the_stall_limit() {
    let mut acceptor_cfg = AcceptorConfig::new("ANY-SCP");
    acceptor_cfg.supported = vec![SupportedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ServerConfig {
        acceptor: acceptor_cfg,
        timeouts: Timeouts {
            acse: Some(Duration::from_secs(5)),
            dimse: None,
            network: Some(Duration::from_millis(300)),
            connection: None,
        },
        maximum_associations: 0,
        upgrade: None,
        poll_ceiling: None,
    };
    // A pipe that holds one AC and little more.
    let (ours, theirs) = tokio::io::duplex(512);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut peer = Peer { rt, io: ours };
    let rec = Arc::new(Recorder::default());
    let _assoc = serve_conn(Conn::stream(theirs, addr(), addr()), cfg, rec.clone());
    peer.send(&unhex(ASSOC_RQ));
    // Many requests, never reading the answers: the engine's writes block, then it gives up.
    let many: Vec<u8> = unhex(ECHO_RQ).repeat(64);
    let t0 = std::time::Instant::now();
    peer.rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(3), peer.io.write_all(&many)).await;
    });
    wait_for_close_event(&rec);
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
}
