//! The association engine cell by cell, over in-memory pipes (the transport seam): for each
//! (state, event) pair that the wire, the API or a timer can produce, in both roles, the
//! bytes that come out, what the layer above is told and in which order, and when the
//! transport closes. `tests/ul_table.rs` checks the table itself; these check that the
//! engine does what the table names, exactly once.
//!
//! # Coverage
//!
//! Rows: the states the engine waits in, by role (A acceptor, R requestor); columns: the
//! events (wire: Evt3 AC, 4 RJ, 6 RQ, 10 P-DATA, 12 RLQ, 13 RLP, 16 A-ABORT, 17 transport
//! closed, 19 invalid PDU; API and timers: 7/8 accept/reject the RQ, 9 P-DATA request, 11
//! release(), 14 release response, 15 abort() or a timeout of ours, 18 ARTIM). A number is
//! the test below that covers the cell (`f`: a test of a departure docs/migration.md documents); `·` a
//! cell PS3.8 leaves blank that the engine cannot raise there or that changes nothing;
//! letters are reasons, after the table.
//!
//! | role, state | 3  | 4  | 6        | 10    | 12    | 13 | 16 | 17 | 19    | 7/8  | 9  | 11 | 14 | 15       | 18    |
//! |-------------|----|----|----------|-------|-------|----|----|----|-------|------|----|----|----|----------|-------|
//! | A Sta2      | 2  | 2  | 1, 5     | 2     | 2     | 2  | 3  | 29 | 2, 30 | ·    | ·  | ·  | ·  | d        | 4     |
//! | A Sta3      | q  | q  | q        | q     | q     | q  | q  | q  | q     | 1, 5 | u  | ·  | ·  | 31       | ·     |
//! | A Sta6      | 6  | 6  | 6        | 1     | 1     | 6  | 8  | 9  | 7     | ·    | 1  | 11 | ·  | 10, 27   | ·     |
//! | A Sta7      | 41 | 41 | 41       | 39    | 12    | 11 | 43 | 44 | 42    | ·    | 40 | 40 | ·  | 45, 46   | ·     |
//! | A Sta8      | 48 | 48 | 48       | 17    | 17    | 48 | 50 | 51 | 49    | ·    | 47 | r  | 47 | 52       | ·     |
//! | A Sta10     | 53 | 53 | 53       | 53    | 53    | 13 | 55 | 56 | 54    | ·    | n  | r  | 13 | 57       | ·     |
//! | A Sta12     | p  | p  | p        | p     | p     | p  | p  | p  | p     | ·    | p  | p  | 13 | p        | ·     |
//! | A Sta13     | 59 | 59 | 15,61,f62| 15, 59| 15, 59| 59 | 58 | 1  | 14    | ·    | ·  | ·  | ·  | ·        | 16, 59|
//! | R Sta4      | c  | c  | c        | c     | c     | c  | c  | c  | c     | ·    | ·  | ·  | ·  | c        | ·     |
//! | R Sta5      | 18 | 19 | 20       | 20    | 20    | 20 | 21 | 32 | 20    | ·    | ·  | ·  | ·  | 22, 33   | ·     |
//! | R Sta6      | 34 | 34 | 34       | 18    | 24    | 23 | 36 | 37 | 35    | ·    | 18 | 18 | ·  | 38, 26   | ·     |
//! | R Sta7      | 41 | 41 | 41       | 39    | 25    | 18 | 43 | 44 | 42    | ·    | 40 | 40 | ·  | 45, 46   | ·     |
//! | R Sta8      | h  | h  | h        | h     | h     | h  | h  | h  | h     | ·    | h  | r  | 24 | h        | ·     |
//! | R Sta9      | p  | p  | p        | p     | p     | p  | p  | p  | p     | ·    | ·  | ·  | 25 | p        | ·     |
//! | R Sta11     | 53 | 53 | 53       | 53    | 53    | 25 | 55 | 56 | 54    | ·    | n  | r  | ·  | 57       | ·     |
//! | R Sta13     | 59 | 59 | 60       | 59    | 59    | 59 | 58 | 24 | 60    | ·    | ·  | ·  | ·  | ·        | 59    |
//!
//! Reasons:
//! - q: Sta3 lasts while the A-ASSOCIATE indication is with the user (EVT_REQUESTED, the
//!   identity and extended-negotiation hooks, EVT_ACCEPTED, EVT_ESTABLISHED); the task reads
//!   nothing from the wire meanwhile, and what arrives is read after the AC (Sta6) or the
//!   RJ (Sta13).
//! - u: Evt9 in Sta3 (a message sent from an EVT_ACCEPTED handler) has no cell and is
//!   refused before the AC: `link.rs`'s unit test `p_data_is_refused_until_the_ac_is_decided`.
//! - d: Sta2 has no Evt15 cell. An abort() there (from an EVT_CONN_OPEN handler) is held
//!   until the RQ has been indicated, and is then Evt15 in Sta3 (AA-1 instead of the AC, as
//!   in 31). Not tested separately. An abort() from an EVT_ACCEPTED or EVT_ESTABLISHED
//!   handler is performed after the AC (Sta6, AA-1), pynetdicom's order for those events.
//! - p: passed through, never waited in: Sta12 (AR-10 is followed at once by Evt14, AR-4)
//!   and Sta9 (AR-8 by Evt14, AR-9); the event in the column is read in the next state.
//! - c: Sta4 is the connect, done by `client.rs` before the association's task starts (and
//!   a failed connect never reaches the state machine); the task looks Evt1 and Evt2 up
//!   back to back. Over a pipe there is nothing to connect.
//! - r: release() is refused by the API once the association is releasing (asserted in
//!   Sta7 by 40; the same check in Sta8, Sta10 and Sta11).
//! - n: Evt9 in Sta10 or Sta11 has no cell: `Link::p_data` refuses it as in Sta7 (40); not
//!   tested in these states.
//! - h: the requestor waits in Sta8 only while a C-ECHO handler of its own answers a request
//!   of the acceptor's; the code is the acceptor's (A Sta8), not tested in this role.
//!   Without a handler Sta8 is passed through (AR-2, then Evt14: AR-4, 24).
//! - A Sta13 + Evt17 is also the end of every test that closes after an A-ABORT of ours
//!   (AA-1, AA-8 lead to Sta13). The stall limit on our writes (28) ends in Evt17's AA-4.
//!
//! Tests (in file order): 1 `sta2_evt6_ae6_then_evt7_ae7_accepts_and_sta6_evt10_dt2_evt9_dt1_answers`,
//! 2 `sta2_unexpected_pdus_get_aa1`, 3 `sta2_evt16_aa2_closes_without_a_pdu`,
//! 4 `sta2_evt18_artim_closes_without_a_pdu`, 5 `sta2_evt6_without_contexts_is_rejected_1_2_1`,
//! 6 `sta6_unexpected_pdus_get_aa8_once`, 7 `sta6_invalid_pdus_get_aa8_with_their_reason`,
//! 8 `sta6_evt16_aa3_reports_and_closes`, 9 `sta6_evt17_aa4_reports_a_provider_abort`,
//! 10 `sta6_evt15_aa1_sends_a_user_abort`, 11 `sta6_evt11_ar1_then_sta7_evt13_ar3`,
//! 12 `sta7_evt12_release_collision_as_acceptor`,
//! 13 `sta10_evt13_ar10_confirms_before_ar4_sends_the_rp`, 14 `sta13_evt19_invalid_pdus_aa7`,
//! 15 `sta13_evt6_aa7_and_other_pdus_aa6`, 16 `sta13_evt18_artim_closes`,
//! 17 `sta8_evt12_and_evt10_get_aa8_once`, 18 `requestor_echo_session_over_a_pipe`,
//! 19 `requestor_sta5_evt4_ae4_rejected`, 20 `requestor_sta5_unexpected_pdus_get_aa8`,
//! 21 `requestor_sta5_evt16_aa3`, 22 `requestor_sta5_acse_timeout_aborts`,
//! 23 `requestor_sta6_evt13_aa8`, 24 `requestor_sta6_evt12_ar2_ar4`,
//! 25 `requestor_sta7_evt12_release_collision`, 26 `requestor_dimse_timeout_aborts`,
//! 27 `network_timeout_set_live_aborts_the_idle_association`,
//! 28 `a_peer_that_does_not_read_is_cut_off_at_the_stall_limit`,
//! 29 `sta2_evt17_aa5_closes_without_a_pdu`, 30 `sta2_evt19_malformed_rq_gets_aa1`,
//! 31 `sta3_evt15_aa1_sends_an_abort_instead_of_the_ac`,
//! 32 `requestor_sta5_evt17_aa4`, 33 `requestor_sta5_evt15_aa1_at_once`,
//! 34 `requestor_sta6_unexpected_pdus_get_aa8`, 35 `requestor_sta6_evt19_aa8_with_its_reason`,
//! 36 `requestor_sta6_evt16_aa3`, 37 `requestor_sta6_evt17_aa4`,
//! 38 `requestor_sta6_evt15_aa1_sends_a_user_abort`, 39 `sta7_evt10_ar6_delivers_the_message`,
//! 40 `sta7_evt9_has_no_cell_and_sends_nothing`, 41 `sta7_unexpected_pdus_get_aa8`,
//! 42 `sta7_evt19_aa8_with_its_reason`, 43 `sta7_evt16_aa3`, 44 `sta7_evt17_aa4`,
//! 45 `sta7_evt15_aa1_sends_a_user_abort`, 46 `sta7_acse_timeout_evt15_aa1`,
//! 47 `sta8_evt9_ar7_sends_the_response_then_evt14_ar4_the_rp`, 48 `sta8_unexpected_pdus_get_aa8`,
//! 49 `sta8_evt19_aa8_with_its_reason`, 50 `sta8_evt16_aa3`, 51 `sta8_evt17_aa4`,
//! 52 `sta8_evt15_aa1_sends_a_user_abort`, 53 `sta10_sta11_unexpected_pdus_get_aa8`,
//! 54 `sta10_sta11_evt19_aa8_with_its_reason`, 55 `sta10_sta11_evt16_aa3`,
//! 56 `sta10_sta11_evt17_aa4`, 57 `sta10_sta11_evt15_aa1_sends_a_user_abort`,
//! 58 `sta13_evt16_aa2_closes_without_a_pdu`, 59 `sta13_pdus_aa6_ignored_then_evt18_closes`,
//! 60 `requestor_sta13_evt6_and_evt19_aa7`, 61 `sta13_after_ae8_evt6_aa7`,
//! 62 `sta13_after_aa8_evt6_finds_our_side_shut`.

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

/// Something a test does from inside a hook, as the layer above would (`abort()` from an
/// event handler).
type Trigger = Box<dyn FnOnce(&Arc<AssocShared>) + Send>;

/// Records every notification, in order, as its kind's name (and the abort's numbers).
/// Optionally also DIMSE_RECV, a [`Trigger`] run once on the notification of a given name
/// (`DATA_RECV(t)` for the first received PDU of type `t`, which the task tells before it
/// looks the PDU's event up), and a C-ECHO handler held at a gate.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    changed: Condvar,
    dimse: bool,
    on: Mutex<Option<(String, Trigger)>>,
    echo: Option<EchoGate>,
}

/// A C-ECHO handler that tells the test it runs, then waits until the test lets it return:
/// with `true` it first sends the C-ECHO-RSP (Success, as [`ECHO_RSP`]) itself.
struct EchoGate {
    entered: Mutex<std::sync::mpsc::Sender<()>>,
    go: Mutex<std::sync::mpsc::Receiver<bool>>,
}

impl Recorder {
    fn names(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }

    /// Also records DIMSE_RECV.
    fn with_dimse(mut self) -> Self {
        self.dimse = true;
        self
    }

    /// Runs `trigger` on the first notification named `name`, before recording it.
    fn on(self, name: &str, trigger: impl FnOnce(&Arc<AssocShared>) + Send + 'static) -> Self {
        *self.on.lock().expect("lock") = Some((name.to_string(), Box::new(trigger)));
        self
    }

    /// Handles C-ECHO with an [`EchoGate`]: the receiver tells when the handler runs, the
    /// sender lets it return.
    fn with_echo_gate(
        mut self,
    ) -> (
        Self,
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::Sender<bool>,
    ) {
        let (entered, entered_rx) = std::sync::mpsc::channel();
        let (go_tx, go) = std::sync::mpsc::channel();
        self.echo = Some(EchoGate {
            entered: Mutex::new(entered),
            go: Mutex::new(go),
        });
        (self, entered_rx, go_tx)
    }

    fn triggers_on_data(&self) -> bool {
        self.on
            .lock()
            .expect("lock")
            .as_ref()
            .is_some_and(|(name, _)| name.starts_with("DATA_RECV"))
    }
}

impl Hooks for Recorder {
    fn observed(&self) -> u32 {
        NotificationKind::ALL
            .iter()
            .filter(|k| match k {
                NotificationKind::DimseRecv => self.dimse,
                NotificationKind::DataRecv => self.triggers_on_data(),
                NotificationKind::DimseSent | NotificationKind::DataSent => false,
                _ => true,
            })
            .fold(0, |m, k| m | k.bit())
    }

    fn notify(&self, assoc: &Arc<AssocShared>, event: &Notification) {
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
            Notification::DataRecv { data } => format!("DATA_RECV({})", data[0]),
            other => other.kind().name().to_string(),
        };
        let trigger = {
            let mut on = self.on.lock().expect("lock");
            match on.take() {
                Some((wanted, trigger)) if wanted == name => Some(trigger),
                other => {
                    *on = other;
                    None
                }
            }
        };
        if let Some(trigger) = trigger {
            trigger(assoc);
        }
        if matches!(event, Notification::DataRecv { .. }) {
            return;
        }
        self.seen.lock().expect("lock").push(name);
        self.changed.notify_all();
    }

    fn handles_echo(&self) -> bool {
        self.echo.is_some()
    }

    fn c_echo(&self, assoc: &Arc<AssocShared>, request: fastdimse::net::EchoIndication) {
        let Some(gate) = &self.echo else { return };
        let _ = gate.entered.lock().expect("lock").send(());
        let respond = gate
            .go
            .lock()
            .expect("lock")
            .recv_timeout(Duration::from_secs(5));
        if respond == Ok(true) {
            // The command set of ECHO_RSP (after the PDU and PDV headers): MsgID 1, Success.
            assert_eq!(request.message_id, 1);
            assoc
                .send_command(request.context_id, unhex(ECHO_RSP)[12..].to_vec())
                .expect("the response is sent (AR-7)");
        }
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
    acceptor_with(acse_ms, Recorder::default())
}

/// An acceptor in Sta2 whose hooks are `rec`, with ACSE (and ARTIM) timeout `acse_ms`.
fn acceptor_with(acse_ms: u64, rec: Recorder) -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let mut acceptor = AcceptorConfig::new("ANY-SCP");
    acceptor.supported = vec![SupportedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ServerConfig {
        acceptor,
        timeouts: timeouts(acse_ms),
        maximum_associations: 0,
        upgrade: None,
        poll_ceiling: None,
    };
    let recorder = Arc::new(rec);
    let (peer, conn) = Peer::pair();
    let assoc = serve_conn(conn, cfg, recorder.clone());
    (peer, assoc, recorder)
}

/// An acceptor in Sta6: the RQ was sent and the AC read.
fn acceptor_sta6() -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    acceptor_sta6_with(5000, Recorder::default())
}

fn acceptor_sta6_with(acse_ms: u64, rec: Recorder) -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let (mut peer, assoc, rec) = acceptor_with(acse_ms, rec);
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

/// An acceptor in Sta8: a C-ECHO-RQ is with a handler that has not returned (`go` lets it
/// return), and the peer's A-RELEASE-RQ has been sent (AR-2, its answer deferred until the
/// response is out). The PDUs the peer sends next are read after the RQ, in Sta8; an API
/// call must wait for the RQ's lookup (a `DATA_RECV(5)` trigger of `rec`).
fn acceptor_sta8(
    rec: Recorder,
) -> (
    Peer,
    Arc<AssocShared>,
    Arc<Recorder>,
    std::sync::mpsc::Sender<bool>,
) {
    let (rec, entered, go) = rec.with_echo_gate();
    let (mut peer, assoc, rec) = acceptor_sta6_with(5000, rec);
    peer.send(&unhex(ECHO_RQ));
    entered
        .recv_timeout(Duration::from_secs(5))
        .expect("the handler runs");
    peer.send(&RELEASE_RQ);
    (peer, assoc, rec, go)
}

/// Sta8 + Evt12 (a second A-RELEASE-RQ) and Sta8 + Evt10 (P-DATA): AA-8, A-ABORT (2, 2).
/// Both events used to be looked up twice (the second time in Sta13, ignored).
#[test]
fn sta8_evt12_and_evt10_get_aa8_once() {
    for second in [RELEASE_RQ.to_vec(), unhex(ECHO_RQ)] {
        let (mut peer, _assoc, _rec, go) = acceptor_sta8(Recorder::default());
        peer.send(&second);
        assert_eq!(peer.pdu(), abort(2, 2), "{second:?}");
        let _ = go.send(false);
        peer.close();
        peer.expect_closed(Duration::from_secs(3));
    }
}

// ---- requestor -----------------------------------------------------------------------------

/// The outcome of a requested association, as the requestor's caller waits for it.
type Outcome = fastdimse::net::Waiter<Result<Arc<AssocShared>, fastdimse::net::NetError>>;

/// A requestor in Sta5: its A-ASSOCIATE-RQ is returned with our end of the pipe.
fn requestor() -> (Peer, Outcome, Arc<Recorder>, Vec<u8>) {
    requestor_with(2000, Recorder::default())
}

/// A requestor in Sta5 whose hooks are `rec`, with ACSE (and ARTIM) timeout `acse_ms`.
fn requestor_with(acse_ms: u64, rec: Recorder) -> (Peer, Outcome, Arc<Recorder>, Vec<u8>) {
    let mut requestor = RequestorConfig::new("SCU", "ANY-SCP");
    requestor.requested = vec![RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ClientConfig {
        requestor,
        timeouts: timeouts(acse_ms),
        bind_address: None,
        upgrade: None,
        poll_ceiling: None,
    };
    let recorder = Arc::new(rec);
    let (mut peer, conn) = Peer::pair();
    let waiter = start_associate_over(conn, cfg, recorder.clone()).expect("config ok");
    let rq = peer.pdu();
    assert_eq!(rq[0], 1, "A-ASSOCIATE-RQ");
    (peer, waiter, recorder, rq)
}

fn requestor_sta6() -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    requestor_sta6_with(2000, Recorder::default())
}

fn requestor_sta6_with(acse_ms: u64, rec: Recorder) -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let (mut peer, mut waiter, rec, rq) = requestor_with(acse_ms, rec);
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

// ---- both roles ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Acceptor,
    Requestor,
}

const SIDES: [Side; 2] = [Side::Acceptor, Side::Requestor];

type ReleaseWaiter = fastdimse::net::Waiter<ReleaseOutcome>;
type AbortSlot = Arc<Mutex<Option<fastdimse::net::Waiter<()>>>>;

/// Sta6 in `side`'s role; the user has been told CONN_OPEN, REQUESTED, ACCEPTED and
/// ESTABLISHED (four notifications) in either role.
fn sta6(side: Side, acse_ms: u64, rec: Recorder) -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    match side {
        Side::Acceptor => acceptor_sta6_with(acse_ms, rec),
        Side::Requestor => requestor_sta6_with(acse_ms, rec),
    }
}

/// Sta7: our A-RELEASE-RQ (Evt11, AR-1) has reached the peer; the waiter is `release()`'s.
fn sta7(side: Side, rec: Recorder) -> (Peer, Arc<AssocShared>, Arc<Recorder>, ReleaseWaiter) {
    let (mut peer, assoc, rec) = sta6(side, 5000, rec);
    let done = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ, "{side:?}");
    (peer, assoc, rec, done)
}

/// A release collision: Sta7 + Evt12 (AR-8). The acceptor waits in Sta10 (Evt14 has no
/// cell there: nothing is sent, and nothing tells the test it got there: a PDU sent next is
/// read after the RQ, an API call must wait for the RQ's lookup, a `DATA_RECV(5)` trigger).
/// The requestor passes through Sta9 (Evt14: AR-9 sends our RP, read here) to Sta11.
fn collision(side: Side, rec: Recorder) -> (Peer, Arc<AssocShared>, Arc<Recorder>, ReleaseWaiter) {
    let (mut peer, assoc, rec, done) = sta7(side, rec);
    peer.send(&RELEASE_RQ);
    if side == Side::Requestor {
        assert_eq!(peer.pdu(), RELEASE_RP, "AR-9");
    }
    (peer, assoc, rec, done)
}

/// Sta13 after our A-RELEASE-RP (the peer's RQ in Sta6: AR-2, then Evt14: AR-4, ARTIM of
/// `acse_ms` started); the user has been told RELEASED.
fn sta13(side: Side, acse_ms: u64) -> (Peer, Arc<AssocShared>, Arc<Recorder>) {
    let (mut peer, assoc, rec) = sta6(side, acse_ms, Recorder::default());
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP, "{side:?}");
    (peer, assoc, rec)
}

/// A trigger that calls `abort()` from inside a hook and keeps its waiter in `slot`.
fn abort_into(slot: &AbortSlot) -> impl FnOnce(&Arc<AssocShared>) + Send + 'static {
    let slot = Arc::clone(slot);
    move |assoc| *slot.lock().expect("lock") = assoc.start_abort()
}

/// After an A-ABORT of the engine (AA-1, AA-8): nothing follows it but the end of its write
/// side; then we close (Sta13 + Evt17: AR-5) and the user is told the connection closed.
fn close_after_the_abort(peer: &mut Peer, rec: &Recorder, what: &str) {
    assert_eq!(peer.recv(Duration::from_secs(3)), Got::Closed, "{what}");
    peer.close();
    wait_for_close_event(rec);
}

/// The notifications after the four of the negotiation.
fn after_established(rec: &Recorder) -> Vec<String> {
    rec.names()[4..].to_vec()
}

fn released_outcome(done: &mut ReleaseWaiter) -> ReleaseOutcome {
    done.recv_timeout(Duration::from_secs(3))
        .expect("release() returns")
}

// ---- Sta2, Sta3 ----------------------------------------------------------------------------

/// Sta2 + Evt17 (the peer closes before any A-ASSOCIATE-RQ): AA-5, our close follows, nothing
/// sent, nothing but the connection reported.
#[test]
fn sta2_evt17_aa5_closes_without_a_pdu() {
    let (mut peer, _assoc, rec) = acceptor(5000);
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(rec.names(), ["CONN_OPEN", "CONN_CLOSE"]);
}

/// Sta2 + Evt19 (an A-ASSOCIATE-RQ that does not decode: its first item runs past the end
/// of the PDU): AA-1, A-ABORT (0, 0), Sta13 until our close.
#[test]
fn sta2_evt19_malformed_rq_gets_aa1() {
    let (mut peer, assoc, rec) = acceptor(5000);
    let mut rq = unhex(ASSOC_RQ);
    rq[74 + 2] = 0xFF; // the application context item's length: beyond the PDU
    peer.send(&rq);
    assert_eq!(peer.pdu(), abort(0, 0));
    close_after_the_abort(&mut peer, &rec, "Evt19");
    assert_eq!(rec.names(), ["CONN_OPEN", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Sta3 + Evt15 (`abort()` from the EVT_REQUESTED handler, while the A-ASSOCIATE
/// indication is with the user): AA-1, the A-ABORT (0, 0) and no A-ASSOCIATE-AC.
#[test]
fn sta3_evt15_aa1_sends_an_abort_instead_of_the_ac() {
    let slot = AbortSlot::default();
    let (mut peer, _assoc, rec) =
        acceptor_with(5000, Recorder::default().on("REQUESTED", abort_into(&slot)));
    peer.send(&unhex(ASSOC_RQ));
    assert_eq!(peer.pdu(), abort(0, 0), "AA-1, not the AC");
    close_after_the_abort(&mut peer, &rec, "Evt15");
    assert_eq!(
        rec.names(),
        ["CONN_OPEN", "REQUESTED", "ABORTED(false,0,0)", "CONN_CLOSE"]
    );
}

// ---- Sta5 ----------------------------------------------------------------------------------

/// Sta5 + Evt17 (the peer closes instead of answering the RQ): AA-4, A-P-ABORT to the user.
#[test]
fn requestor_sta5_evt17_aa4() {
    let (mut peer, mut waiter, rec, _rq) = requestor();
    peer.close();
    let assoc = waiter
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("an association object");
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(
        rec.names(),
        ["CONN_OPEN", "REQUESTED", "ABORTED(false,2,0)", "CONN_CLOSE"]
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Sta5 + Evt15 (`abort()` from the EVT_REQUESTED handler, the RQ sent and unanswered):
/// AA-1, the A-ABORT (0, 0) at once, not when the ACSE timeout (10 s here) ends the wait.
#[test]
fn requestor_sta5_evt15_aa1_at_once() {
    let slot = AbortSlot::default();
    let (mut peer, mut waiter, rec, _rq) = requestor_with(
        10_000,
        Recorder::default().on("REQUESTED", abort_into(&slot)),
    );
    assert_eq!(peer.recv(Duration::from_secs(2)), Got::Pdu(abort(0, 0)));
    let assoc = waiter
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("an association object");
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
    close_after_the_abort(&mut peer, &rec, "Evt15");
    assert_eq!(
        rec.names(),
        ["CONN_OPEN", "REQUESTED", "ABORTED(false,0,0)", "CONN_CLOSE"]
    );
}

// ---- Sta6, requestor -----------------------------------------------------------------------

/// Requestor Sta6 + Evt3 (a second AC), Evt4 (an RJ), Evt6 (an RQ): AA-8, A-ABORT (2, 2),
/// A-P-ABORT to the user, Sta13 until our close.
#[test]
fn requestor_sta6_unexpected_pdus_get_aa8() {
    for (what, bytes) in [
        ("Evt3", raw_ac(&unhex(ASSOC_RQ))),
        ("Evt4", RJ_111.to_vec()),
        ("Evt6", unhex(ASSOC_RQ)),
    ] {
        let (mut peer, assoc, rec) = requestor_sta6();
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, 2), "{what}");
        close_after_the_abort(&mut peer, &rec, what);
        assert_eq!(
            after_established(&rec),
            ["ABORTED(false,2,2)", "CONN_CLOSE"],
            "{what}"
        );
        assert_eq!(assoc.lifecycle(), Lifecycle::Aborted, "{what}");
    }
}

/// Requestor Sta6 + Evt19: AA-8 with the reason of the fault (1 unrecognized PDU, 6 invalid
/// parameter: a P-DATA-TF above our maximum, a PDV on a context that was not accepted).
#[test]
fn requestor_sta6_evt19_aa8_with_its_reason() {
    let mut other_context = unhex(ECHO_RSP);
    other_context[10] = 3;
    for (bytes, reason) in [
        (vec![0x0A, 0, 0, 0, 0, 0], 1),
        (vec![4, 0, 0, 1, 0, 0], 6),
        (other_context, 6),
    ] {
        let (mut peer, _assoc, rec) = requestor_sta6();
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, reason), "{bytes:?}");
        close_after_the_abort(&mut peer, &rec, "Evt19");
        assert_eq!(
            after_established(&rec),
            [format!("ABORTED(false,2,{reason})"), "CONN_CLOSE".into()]
        );
    }
}

/// Requestor Sta6 + Evt16: AA-3, the peer's abort (source, reason) to the user, closed.
#[test]
fn requestor_sta6_evt16_aa3() {
    let (mut peer, assoc, rec) = requestor_sta6();
    peer.send(&abort(2, 1));
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(after_established(&rec), ["ABORTED(true,2,1)", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Requestor Sta6 + Evt17: AA-4, A-P-ABORT to the user.
#[test]
fn requestor_sta6_evt17_aa4() {
    let (mut peer, assoc, rec) = requestor_sta6();
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(
        after_established(&rec),
        ["ABORTED(false,2,0)", "CONN_CLOSE"]
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Requestor Sta6 + Evt15 (`abort()`): AA-1, A-ABORT (0, 0); `abort()` returns once the
/// connection is closed.
#[test]
fn requestor_sta6_evt15_aa1_sends_a_user_abort() {
    let (mut peer, assoc, rec) = requestor_sta6();
    let mut done = assoc.start_abort().expect("abort starts");
    assert_eq!(peer.pdu(), abort(0, 0));
    close_after_the_abort(&mut peer, &rec, "Evt15");
    done.recv_timeout(Duration::from_secs(3))
        .expect("abort returns");
    assert_eq!(
        after_established(&rec),
        ["ABORTED(false,0,0)", "CONN_CLOSE"]
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

// ---- Sta7 (both roles) ---------------------------------------------------------------------

/// Sta7 + Evt10: AR-6, the message is delivered although we asked to release. The
/// requestor's C-ECHO, outstanding when it asked, gets its response; the acceptor's user is
/// told of the peer's C-ECHO-RQ (DIMSE_RECV), whose answer the table does not let out
/// (Sta7 + Evt9 has no cell). Then Evt13: AR-3, released.
#[test]
fn sta7_evt10_ar6_delivers_the_message() {
    // Requestor: an echo outstanding when the release is asked for.
    let (mut peer, assoc, rec) = requestor_sta6_with(5000, Recorder::default().with_dimse());
    let mut echo = assoc.start_echo(1, None).expect("echo starts");
    assert_eq!(peer.pdu(), unhex(ECHO_RQ));
    let mut done = assoc.start_release().expect("release starts");
    assert_eq!(peer.pdu(), RELEASE_RQ);
    peer.send(&unhex(ECHO_RSP));
    match echo.recv_timeout(Duration::from_secs(3)).expect("outcome") {
        EchoOutcome::Response { status, .. } => assert_eq!(status, 0),
        other => panic!("{other:?}"),
    }
    peer.send(&RELEASE_RP);
    assert_eq!(released_outcome(&mut done), ReleaseOutcome::Released);
    peer.expect_closed(Duration::from_secs(3));
    assert_eq!(
        after_established(&rec),
        ["DIMSE_RECV", "RELEASED", "CONN_CLOSE"]
    );

    // Acceptor: the peer's request crosses our A-RELEASE-RQ.
    let (mut peer, _assoc, rec, mut done) = sta7(Side::Acceptor, Recorder::default().with_dimse());
    peer.send(&unhex(ECHO_RQ));
    peer.send(&RELEASE_RP);
    assert_eq!(released_outcome(&mut done), ReleaseOutcome::Released);
    // No C-ECHO-RSP: nothing but the close.
    peer.expect_closed(Duration::from_secs(3));
    assert_eq!(
        after_established(&rec),
        ["DIMSE_RECV", "RELEASED", "CONN_CLOSE"]
    );
}

/// Sta7 + Evt9 (a DIMSE message from the API after our A-RELEASE-RQ): no cell, refused
/// without touching the wire; `send_c_echo()` is refused by the API before the table.
#[test]
fn sta7_evt9_has_no_cell_and_sends_nothing() {
    for side in SIDES {
        let (mut peer, assoc, rec, mut done) = sta7(side, Recorder::default());
        assert!(
            matches!(
                assoc.send_command(1, unhex(ECHO_RSP)[12..].to_vec()),
                Err(fastdimse::net::NetError::InvalidState { .. })
            ),
            "{side:?}"
        );
        assert!(assoc.start_echo(2, None).is_err(), "{side:?}");
        assert!(assoc.start_release().is_err(), "{side:?}: Evt11 again");
        peer.send(&RELEASE_RP);
        assert_eq!(released_outcome(&mut done), ReleaseOutcome::Released);
        peer.expect_closed(Duration::from_secs(3));
        assert_eq!(after_established(&rec), ["RELEASED", "CONN_CLOSE"]);
    }
}

/// How a release in progress (Sta7, Sta10, Sta11) ends in an abort, as the peer sees it.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// Our A-ABORT (source, reason), then our close (AA-1, AA-8).
    OurAbort(u8, u8),
    /// The peer aborted or closed: our close at once, nothing sent (AA-3, AA-4); the user
    /// is told this ABORTED notification.
    PeerEnded(&'static str),
}

/// A release in progress ended by an abort: what the peer reads, `release()` told it was
/// aborted, the notifications after the negotiation's (ABORTED, then CONN_CLOSE), and the
/// association aborted. `what` names the case in failure messages.
fn assert_release_aborted(
    peer: &mut Peer,
    assoc: &AssocShared,
    rec: &Recorder,
    done: &mut ReleaseWaiter,
    ending: Ending,
    what: &str,
) {
    let told = match ending {
        Ending::OurAbort(source, reason) => {
            assert_eq!(peer.pdu(), abort(source, reason), "{what}");
            close_after_the_abort(peer, rec, what);
            format!("ABORTED(false,{source},{reason})")
        }
        Ending::PeerEnded(told) => {
            peer.expect_closed(Duration::from_secs(3));
            wait_for_close_event(rec);
            told.to_string()
        }
    };
    assert_eq!(released_outcome(done), ReleaseOutcome::Aborted, "{what}");
    assert_eq!(
        after_established(rec),
        [told, "CONN_CLOSE".to_string()],
        "{what}"
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted, "{what}");
}

/// The unexpected PDUs of Sta7 (Evt3, Evt4, Evt6), and of Sta10 and Sta11 (also Evt10, Evt12).
fn unexpected_while_releasing(collision: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mut pdus = vec![
        ("Evt3", raw_ac(&unhex(ASSOC_RQ))),
        ("Evt4", RJ_111.to_vec()),
        ("Evt6", unhex(ASSOC_RQ)),
    ];
    if collision {
        pdus.push(("Evt10", unhex(ECHO_RQ)));
        pdus.push(("Evt12", RELEASE_RQ.to_vec()));
    }
    pdus
}

/// How the association came to be releasing: our `release()` (Sta7, both roles) or a
/// release collision (Sta10 as acceptor, Sta11 as requestor).
#[derive(Debug, Clone, Copy)]
enum Releasing {
    Ours,
    Collision,
}

impl Releasing {
    fn start(self, side: Side) -> (Peer, Arc<AssocShared>, Arc<Recorder>, ReleaseWaiter) {
        match self {
            Releasing::Ours => sta7(side, Recorder::default()),
            Releasing::Collision => collision(side, Recorder::default()),
        }
    }
}

/// While releasing, in both roles: each unexpected PDU gets AA-8, A-ABORT (2, 2).
fn unexpected_pdus_get_aa8_while(releasing: Releasing) {
    for side in SIDES {
        let pdus = unexpected_while_releasing(matches!(releasing, Releasing::Collision));
        for (what, bytes) in pdus {
            let (mut peer, assoc, rec, mut done) = releasing.start(side);
            peer.send(&bytes);
            let what = format!("{releasing:?} {side:?} {what}");
            let ending = Ending::OurAbort(2, 2);
            assert_release_aborted(&mut peer, &assoc, &rec, &mut done, ending, &what);
        }
    }
}

/// While releasing, in both roles: an invalid PDU (Evt19) gets AA-8 with its reason (1 an
/// unrecognized PDU, 6 a P-DATA-TF above our maximum).
fn evt19_aa8_while(releasing: Releasing) {
    for side in SIDES {
        for (bytes, reason) in [(vec![0x0A, 0, 0, 0, 0, 0], 1), (vec![4, 0, 0, 1, 0, 0], 6)] {
            let (mut peer, assoc, rec, mut done) = releasing.start(side);
            peer.send(&bytes);
            let what = format!("{releasing:?} {side:?} Evt19 {bytes:?}");
            let ending = Ending::OurAbort(2, reason);
            assert_release_aborted(&mut peer, &assoc, &rec, &mut done, ending, &what);
        }
    }
}

/// While releasing, in both roles: the peer's A-ABORT (Evt16, AA-3) or close (Evt17,
/// AA-4) ends the association at once, nothing sent.
fn peer_ends_while(releasing: Releasing, evt16: bool) {
    for side in SIDES {
        let (mut peer, assoc, rec, mut done) = releasing.start(side);
        let ending = if evt16 {
            peer.send(&abort(0, 0));
            Ending::PeerEnded("ABORTED(true,0,0)")
        } else {
            peer.close();
            Ending::PeerEnded("ABORTED(false,2,0)")
        };
        let what = format!("{releasing:?} {side:?}");
        assert_release_aborted(&mut peer, &assoc, &rec, &mut done, ending, &what);
    }
}

/// Sta7 + Evt3, Evt4, Evt6: AA-8, A-ABORT (2, 2), A-P-ABORT to the user; `release()` ends
/// aborted.
#[test]
fn sta7_unexpected_pdus_get_aa8() {
    unexpected_pdus_get_aa8_while(Releasing::Ours);
}

/// Sta7 + Evt19: AA-8 with the reason of the fault.
#[test]
fn sta7_evt19_aa8_with_its_reason() {
    evt19_aa8_while(Releasing::Ours);
}

/// Sta7 + Evt16: AA-3, the peer's abort to the user, closed at once, nothing sent.
#[test]
fn sta7_evt16_aa3() {
    peer_ends_while(Releasing::Ours, true);
}

/// Sta7 + Evt17: AA-4, A-P-ABORT to the user; `release()` ends aborted.
#[test]
fn sta7_evt17_aa4() {
    peer_ends_while(Releasing::Ours, false);
}

/// Sta7 + Evt15 (`abort()` while our release waits for its answer): AA-1, A-ABORT (0, 0);
/// both `release()` (aborted) and `abort()` return once the connection is closed.
#[test]
fn sta7_evt15_aa1_sends_a_user_abort() {
    for side in SIDES {
        let (mut peer, assoc, rec, mut done) = sta7(side, Recorder::default());
        let mut aborted = assoc.start_abort().expect("abort starts");
        let what = format!("{side:?}");
        assert_release_aborted(
            &mut peer,
            &assoc,
            &rec,
            &mut done,
            Ending::OurAbort(0, 0),
            &what,
        );
        aborted
            .recv_timeout(Duration::from_secs(3))
            .expect("abort returns");
    }
}

/// Sta7 with no answer to our A-RELEASE-RQ: the ACSE timeout (200 ms here) raises Evt15:
/// AA-1, A-ABORT (0, 0), `release()` ends aborted.
#[test]
fn sta7_acse_timeout_evt15_aa1() {
    for side in SIDES {
        let (mut peer, assoc, rec) = sta6(side, 5000, Recorder::default());
        assoc.set_timeouts(Timeouts {
            acse: Some(Duration::from_millis(200)),
            ..timeouts(5000)
        });
        let mut done = assoc.start_release().expect("release starts");
        assert_eq!(peer.pdu(), RELEASE_RQ);
        let t0 = std::time::Instant::now();
        let what = format!("{side:?} ACSE timeout");
        assert_release_aborted(
            &mut peer,
            &assoc,
            &rec,
            &mut done,
            Ending::OurAbort(0, 0),
            &what,
        );
        assert!(
            t0.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t0.elapsed()
        );
    }
}

// ---- Sta8 (acceptor, a handler still answering the peer's request) ------------------------

/// Sta8 + Evt9 (the handler's C-ECHO-RSP, after the peer's A-RELEASE-RQ): AR-7, it goes out;
/// then Evt14: AR-4, the RP, released.
#[test]
fn sta8_evt9_ar7_sends_the_response_then_evt14_ar4_the_rp() {
    let (mut peer, assoc, rec, go) = acceptor_sta8(Recorder::default());
    assert_eq!(peer.recv(Duration::from_millis(100)), Got::Timeout, "AR-2");
    go.send(true).expect("the handler waits");
    assert_eq!(peer.pdu(), unhex(ECHO_RSP), "AR-7");
    assert_eq!(peer.pdu(), RELEASE_RP, "AR-4");
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(after_established(&rec), ["RELEASED", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Released);
}

/// Sta8 + Evt3, Evt4, Evt6, Evt13: AA-8, A-ABORT (2, 2), A-P-ABORT to the user.
#[test]
fn sta8_unexpected_pdus_get_aa8() {
    for (what, bytes) in [
        ("Evt3", raw_ac(&unhex(ASSOC_RQ))),
        ("Evt4", RJ_111.to_vec()),
        ("Evt6", unhex(ASSOC_RQ)),
        ("Evt13", RELEASE_RP.to_vec()),
    ] {
        let (mut peer, assoc, rec, go) = acceptor_sta8(Recorder::default());
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, 2), "{what}");
        let _ = go.send(false);
        close_after_the_abort(&mut peer, &rec, what);
        assert_eq!(
            after_established(&rec),
            ["ABORTED(false,2,2)", "CONN_CLOSE"],
            "{what}"
        );
        assert_eq!(assoc.lifecycle(), Lifecycle::Aborted, "{what}");
    }
}

/// Sta8 + Evt19: AA-8 with the reason of the fault (1 unrecognized PDU, 6 a P-DATA-TF above
/// our maximum).
#[test]
fn sta8_evt19_aa8_with_its_reason() {
    for (bytes, reason) in [(vec![0x0A, 0, 0, 0, 0, 0], 1), (vec![4, 0, 0, 1, 0, 0], 6)] {
        let (mut peer, _assoc, rec, go) = acceptor_sta8(Recorder::default());
        peer.send(&bytes);
        assert_eq!(peer.pdu(), abort(2, reason), "{bytes:?}");
        let _ = go.send(false);
        close_after_the_abort(&mut peer, &rec, "Evt19");
        assert_eq!(
            after_established(&rec),
            [format!("ABORTED(false,2,{reason})"), "CONN_CLOSE".into()]
        );
    }
}

/// Sta8 + Evt16: AA-3, the peer's abort to the user, closed at once, nothing sent (the
/// handler's late response neither).
#[test]
fn sta8_evt16_aa3() {
    let (mut peer, assoc, rec, go) = acceptor_sta8(Recorder::default());
    peer.send(&abort(0, 0));
    peer.expect_closed(Duration::from_secs(3));
    let _ = go.send(false);
    wait_for_close_event(&rec);
    assert_eq!(after_established(&rec), ["ABORTED(true,0,0)", "CONN_CLOSE"]);
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Sta8 + Evt17: AA-4, A-P-ABORT to the user.
#[test]
fn sta8_evt17_aa4() {
    let (mut peer, assoc, rec, go) = acceptor_sta8(Recorder::default());
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    let _ = go.send(false);
    wait_for_close_event(&rec);
    assert_eq!(
        after_established(&rec),
        ["ABORTED(false,2,0)", "CONN_CLOSE"]
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// Sta8 + Evt15 (`abort()` once the peer's A-RELEASE-RQ is looked up, the handler still
/// running): AA-1, A-ABORT (0, 0), no RP.
#[test]
fn sta8_evt15_aa1_sends_a_user_abort() {
    let slot = AbortSlot::default();
    let (mut peer, assoc, rec, go) =
        acceptor_sta8(Recorder::default().on("DATA_RECV(5)", abort_into(&slot)));
    assert_eq!(peer.pdu(), abort(0, 0));
    let _ = go.send(false);
    close_after_the_abort(&mut peer, &rec, "Evt15");
    let mut aborted = slot.lock().expect("lock").take().expect("abort started");
    aborted
        .recv_timeout(Duration::from_secs(3))
        .expect("abort returns");
    assert_eq!(
        after_established(&rec),
        ["ABORTED(false,0,0)", "CONN_CLOSE"]
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

// ---- Sta10 (acceptor) and Sta11 (requestor): release collision -----------------------------

/// Sta10/Sta11 + Evt3, Evt4, Evt6, Evt10, Evt12: AA-8, A-ABORT (2, 2), A-P-ABORT to the
/// user; `release()` ends aborted.
#[test]
fn sta10_sta11_unexpected_pdus_get_aa8() {
    unexpected_pdus_get_aa8_while(Releasing::Collision);
}

/// Sta10/Sta11 + Evt19: AA-8 with the reason of the fault.
#[test]
fn sta10_sta11_evt19_aa8_with_its_reason() {
    evt19_aa8_while(Releasing::Collision);
}

/// Sta10/Sta11 + Evt16: AA-3, closed at once, nothing sent.
#[test]
fn sta10_sta11_evt16_aa3() {
    peer_ends_while(Releasing::Collision, true);
}

/// Sta10/Sta11 + Evt17: AA-4, A-P-ABORT to the user.
#[test]
fn sta10_sta11_evt17_aa4() {
    peer_ends_while(Releasing::Collision, false);
}

/// Sta10/Sta11 + Evt15 (`abort()` during the collision): AA-1, A-ABORT (0, 0).
#[test]
fn sta10_sta11_evt15_aa1_sends_a_user_abort() {
    for side in SIDES {
        let slot = AbortSlot::default();
        let rec = match side {
            // Sta10 shows nothing: abort once the peer's RQ is looked up.
            Side::Acceptor => Recorder::default().on("DATA_RECV(5)", abort_into(&slot)),
            Side::Requestor => Recorder::default(),
        };
        let (mut peer, assoc, rec, mut done) = collision(side, rec);
        if side == Side::Requestor {
            *slot.lock().expect("lock") = assoc.start_abort();
        }
        let what = format!("{side:?}");
        assert_release_aborted(
            &mut peer,
            &assoc,
            &rec,
            &mut done,
            Ending::OurAbort(0, 0),
            &what,
        );
        let mut aborted = slot.lock().expect("lock").take().expect("abort started");
        aborted
            .recv_timeout(Duration::from_secs(3))
            .expect("abort returns");
    }
}

// ---- Sta13 ---------------------------------------------------------------------------------

/// Sta13 (after our RP) + Evt16: AA-2, closed at once (well before ARTIM), nothing sent;
/// the association stays released.
#[test]
fn sta13_evt16_aa2_closes_without_a_pdu() {
    for side in SIDES {
        let (mut peer, assoc, rec) = sta13(side, 5000);
        peer.send(&abort(0, 0));
        peer.expect_closed(Duration::from_secs(3));
        wait_for_close_event(&rec);
        assert_eq!(
            after_established(&rec),
            ["RELEASED", "CONN_CLOSE"],
            "{side:?}"
        );
        assert_eq!(assoc.lifecycle(), Lifecycle::Released, "{side:?}");
    }
}

/// Sta13 (after our RP) + Evt3, Evt4, Evt10, Evt12, Evt13: AA-6, each ignored, nothing
/// sent; the connection still closes when ARTIM (300 ms here) expires (Evt18: AA-2).
#[test]
fn sta13_pdus_aa6_ignored_then_evt18_closes() {
    for side in SIDES {
        let (mut peer, assoc, rec) = sta13(side, 300);
        let t0 = std::time::Instant::now();
        peer.send(&raw_ac(&unhex(ASSOC_RQ)));
        peer.send(&RJ_111);
        peer.send(&unhex(ECHO_RQ));
        peer.send(&RELEASE_RQ);
        peer.send(&RELEASE_RP);
        peer.expect_closed(Duration::from_secs(3));
        assert!(
            t0.elapsed() >= Duration::from_millis(200),
            "{side:?}: {:?}",
            t0.elapsed()
        );
        wait_for_close_event(&rec);
        assert_eq!(
            after_established(&rec),
            ["RELEASED", "CONN_CLOSE"],
            "{side:?}"
        );
        assert_eq!(assoc.lifecycle(), Lifecycle::Released, "{side:?}");
    }
}

/// Requestor Sta13 (after our RP) + Evt6: AA-7, A-ABORT (2, 2); + Evt19: AA-7 with the
/// reason of the fault, and the stream cannot be read past it: closed.
#[test]
fn requestor_sta13_evt6_and_evt19_aa7() {
    let (mut peer, _assoc, rec) = sta13(Side::Requestor, 5000);
    peer.send(&unhex(ASSOC_RQ));
    assert_eq!(peer.pdu(), abort(2, 2));
    peer.send(&[0x0A, 0, 0, 0, 0, 0]);
    assert_eq!(peer.pdu(), abort(2, 1));
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
    assert_eq!(after_established(&rec), ["RELEASED", "CONN_CLOSE"]);
}

/// Sta13 after our A-ASSOCIATE-RJ (AE-8) + Evt6: AA-7, A-ABORT (2, 2).
#[test]
fn sta13_after_ae8_evt6_aa7() {
    let (mut peer, _assoc, rec) = acceptor(5000);
    let mut rq = unhex(ASSOC_RQ);
    rq[74 + 4 + 21] = 0x22; // no presentation context: rejected (1, 2, 1)
    peer.send(&rq);
    assert_eq!(peer.pdu(), [3, 0, 0, 0, 0, 4, 0, 1, 2, 1]);
    peer.send(&unhex(ASSOC_RQ));
    assert_eq!(peer.pdu(), abort(2, 2));
    peer.close();
    peer.expect_closed(Duration::from_secs(3));
    wait_for_close_event(&rec);
}

/// Sta13 after our A-ABORT (AA-8) + Evt6. PS3.8 names AA-7, "Send A-ABORT PDU", but the
/// engine shuts its write side down right after its own A-ABORT (so that a peer that does
/// not close on the A-ABORT reads the end of the stream at once, as it would from
/// pynetdicom or DCMTK, which close outright): after that FIN nothing can be sent, and the
/// RQ goes unanswered; the connection ends when the peer closes, or on ARTIM. A documented
/// departure (docs/migration.md, "Protocol"); after our RP or RJ AA-7 is sent (15, 61).
#[test]
fn sta13_after_aa8_evt6_finds_our_side_shut() {
    let (mut peer, _assoc, rec) = acceptor_sta6();
    peer.send(&RELEASE_RP); // Sta6 + Evt13: AA-8
    assert_eq!(peer.pdu(), abort(2, 2));
    peer.send(&unhex(ASSOC_RQ));
    close_after_the_abort(&mut peer, &rec, "Evt6");
}
