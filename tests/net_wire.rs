//! The network layer on loopback, seen byte for byte by a raw peer: the exact shape of an
//! echo session in both roles, the PS3.8 answer to protocol errors, and timeouts that bite.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use fastdimse::assoc::{AcceptorConfig, RequestedContext, RequestorConfig, SupportedContext};
use fastdimse::net::{
    start_associate, ClientConfig, EchoOutcome, Lifecycle, NoHooks, ReleaseOutcome, Reply, Server,
    ServerConfig, Timeouts,
};
use fastdimse::uid::{EXPLICIT_VR_LE, IMPLICIT_VR_LE, VERIFICATION};

mod wire_support;

use wire_support::{
    abort, raw_ac, unhex, ABORT_USER, ASSOC_RQ, ECHO_RQ, ECHO_RSP, RELEASE_RP, RELEASE_RQ,
};

fn timeouts(acse: f64, network: Option<f64>) -> Timeouts {
    Timeouts {
        acse: Some(Duration::from_secs_f64(acse)),
        dimse: Some(Duration::from_secs(5)),
        network: network.map(Duration::from_secs_f64),
        connection: Some(Duration::from_secs(5)),
    }
}

fn server(timeouts: Timeouts, max_pdu: u32, maximum_associations: usize) -> Server {
    let mut acceptor = AcceptorConfig::new("FASTSCP");
    acceptor.supported = vec![SupportedContext::new(
        VERIFICATION,
        [IMPLICIT_VR_LE, EXPLICIT_VR_LE],
    )];
    acceptor.maximum_pdu_length = max_pdu;
    let cfg = ServerConfig {
        acceptor,
        timeouts,
        maximum_associations,
        upgrade: None,
        poll_ceiling: None,
    };
    let bind: SocketAddr = "127.0.0.1:0".parse().expect("address");
    Server::start(bind, cfg, Arc::new(NoHooks)).expect("server starts")
}

fn default_server() -> Server {
    server(timeouts(5.0, Some(5.0)), 16382, 0)
}

/// What a read of one PDU produced.
#[derive(Debug, PartialEq)]
enum Got {
    Pdu(Vec<u8>),
    /// Orderly close (or reset) with no partial PDU pending.
    Closed,
    Timeout,
}

struct Peer {
    stream: TcpStream,
}

impl Peer {
    fn connect(server: &Server) -> Self {
        let stream = TcpStream::connect(server.local_addr()).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self { stream }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Reads exactly `buf.len()` bytes; `Ok(false)` on a clean EOF before the first byte.
    fn read_exact_until(&mut self, buf: &mut [u8], deadline: Instant) -> Result<bool, Got> {
        let mut have = 0;
        while have < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Got::Timeout);
            }
            self.stream.set_read_timeout(Some(left)).expect("timeout");
            match self.stream.read(&mut buf[have..]) {
                Ok(0) => {
                    assert_eq!(have, 0, "connection closed inside a PDU");
                    return Ok(false);
                }
                Ok(n) => have += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Got::Timeout)
                }
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(false),
                Err(e) => panic!("read failed: {e}"),
            }
        }
        Ok(true)
    }

    fn recv(&mut self, timeout: Duration) -> Got {
        let deadline = Instant::now() + timeout;
        let mut head = [0u8; 6];
        match self.read_exact_until(&mut head, deadline) {
            Ok(true) => {}
            Ok(false) => return Got::Closed,
            Err(g) => return g,
        }
        let len = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
        let mut body = vec![0u8; len];
        if len > 0 {
            match self.read_exact_until(&mut body, deadline) {
                Ok(true) => {}
                Ok(false) => panic!("closed after a PDU header"),
                Err(g) => return g,
            }
        }
        let mut out = head.to_vec();
        out.extend_from_slice(&body);
        Got::Pdu(out)
    }

    fn pdu(&mut self) -> Vec<u8> {
        match self.recv(Duration::from_secs(5)) {
            Got::Pdu(p) => p,
            other => panic!("expected a PDU, got {other:?}"),
        }
    }

    fn associate(server: &Server) -> Self {
        let mut peer = Self::connect(server);
        peer.send(&unhex(ASSOC_RQ));
        let ac = peer.pdu();
        assert_eq!(ac[0], 2, "expected A-ASSOCIATE-AC: {}", hex::encode(&ac));
        peer
    }

    /// Expects `expected` followed by the close, nothing else.
    fn expect_then_close(&mut self, expected: &[u8]) {
        assert_eq!(hex::encode(self.pdu()), hex::encode(expected));
        assert_eq!(self.recv(Duration::from_secs(3)), Got::Closed);
    }
}

#[test]
fn scp_echo_session_is_rq_ac_pdata_release_fin_and_nothing_else() {
    let server = default_server();
    let mut peer = Peer::associate(&server);
    peer.send(&unhex(ECHO_RQ));
    assert_eq!(hex::encode(peer.pdu()), hex::encode(unhex(ECHO_RSP)));
    peer.send(&RELEASE_RQ);
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.stream.shutdown(Shutdown::Write).expect("half close");
    let t0 = Instant::now();
    assert_eq!(peer.recv(Duration::from_secs(3)), Got::Closed);
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "the SCP did not close on our FIN"
    );
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn scp_answers_every_pdv_of_one_pdata() {
    let server = default_server();
    let mut peer = Peer::associate(&server);
    // Two C-ECHO-RQs (MessageID 1) as two PDVs of one P-DATA-TF.
    let one = unhex(ECHO_RQ);
    let pdv = &one[6..];
    let mut two = vec![4, 0];
    two.extend_from_slice(&((pdv.len() * 2) as u32).to_be_bytes());
    two.extend_from_slice(pdv);
    two.extend_from_slice(pdv);
    peer.send(&two);
    let rsp = unhex(ECHO_RSP);
    let mut got = peer.pdu();
    if got.len() == rsp.len() {
        assert_eq!(got, rsp);
        got = peer.pdu();
        assert_eq!(got, rsp);
    } else {
        // Both responses in one P-DATA-TF is fine too, as long as both are there.
        assert_eq!(&got[6..], [&rsp[6..], &rsp[6..]].concat());
    }
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn scu_echo_session_is_rq_pdata_release_fin() {
    let (port, scp) = raw_scp(|mut peer, rq| {
        let mut seen = vec![rq];
        seen.push(peer.pdu());
        peer.send(&unhex(ECHO_RSP));
        seen.push(peer.pdu());
        peer.send(&RELEASE_RP);
        assert_eq!(
            peer.recv(Duration::from_secs(3)),
            Got::Closed,
            "SCU sent more after the RP"
        );
        seen
    });
    let assoc = associate_with(port, timeouts(5.0, Some(5.0)));
    let mut echo = assoc.start_echo(1, None).expect("echo starts");
    match echo
        .recv_timeout(Duration::from_secs(5))
        .expect("echo outcome")
    {
        EchoOutcome::Response { status, .. } => assert_eq!(status, 0),
        other => panic!("echo failed: {other:?}"),
    }
    let mut release = assoc.start_release().expect("release starts");
    assert_eq!(
        release
            .recv_timeout(Duration::from_secs(5))
            .expect("release outcome"),
        ReleaseOutcome::Released
    );
    let seen = scp.join().expect("raw SCP thread");
    assert_eq!(seen.iter().map(|p| p[0]).collect::<Vec<_>>(), vec![1, 4, 5]);
    assert_eq!(hex::encode(&seen[1]), hex::encode(unhex(ECHO_RQ)));
    assert_eq!(seen[2], RELEASE_RQ);
}

/// A raw SCP on a free port for one connection: it reads the A-ASSOCIATE-RQ, accepts it
/// (`raw_ac`), then runs `rest` with the peer and the RQ's bytes.
fn raw_scp<T: Send + 'static>(
    rest: impl FnOnce(Peer, Vec<u8>) -> T + Send + 'static,
) -> (u16, thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let scp = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut peer = Peer { stream };
        let rq = peer.pdu();
        peer.send(&raw_ac(&rq));
        rest(peer, rq)
    });
    (port, scp)
}

/// Our SCU's association (Verification, Implicit VR LE) with the raw SCP on `port`.
fn associate_with(port: u16, timeouts: Timeouts) -> Arc<fastdimse::net::AssocShared> {
    let mut requestor = RequestorConfig::new("FASTSCU", "RAWSCP");
    requestor.requested = vec![RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ClientConfig {
        requestor,
        timeouts,
        bind_address: None,
        upgrade: None,
        poll_ceiling: None,
    };
    let mut rx = start_associate("127.0.0.1", port, cfg, Arc::new(NoHooks)).expect("config ok");
    let assoc = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("connected");
    assert!(assoc.is_established());
    assoc
}

#[test]
fn scu_direct_echo_with_a_callback_is_timed_out_by_the_clock() {
    // The asyncio path: written from the caller's thread, outcome to a callback, DIMSE
    // timeout kept by the clock. No network timeout: nothing else would wake the task.
    let (port, scp) = raw_scp(|mut peer, _rq| {
        let echo = peer.pdu();
        // Never answered: the SCU must abort (A-ABORT, service-user) and close.
        let abort = peer.pdu();
        (echo, abort, peer.recv(Duration::from_secs(3)))
    });

    let mut t = timeouts(5.0, None);
    t.dimse = Some(Duration::from_millis(300));
    let assoc = associate_with(port, t);
    let (tx, outcome) = std::sync::mpsc::channel();
    let t0 = Instant::now();
    assoc
        .echo_direct_with(
            1,
            None,
            Reply::Callback(Box::new(move |o| tx.send(o).expect("receiver"))),
        )
        .expect("echo starts");
    let got = outcome
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome");
    let waited = t0.elapsed();
    assert_eq!(got, EchoOutcome::Timeout);
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
    let (echo, abort, then) = scp.join().expect("raw SCP thread");
    assert_eq!(hex::encode(echo), hex::encode(unhex(ECHO_RQ)));
    assert_eq!(abort, ABORT_USER);
    assert_eq!(then, Got::Closed);
}

#[test]
fn unknown_pdu_types_get_abort_2_1_then_close() {
    let server = default_server();
    for t in [0x00u8, 0x08, 0xFF] {
        let mut peer = Peer::associate(&server);
        peer.send(&[t, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
        peer.expect_then_close(&abort(2, 1));
    }
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn pdata_above_our_maximum_is_aborted_from_its_header() {
    let server = server(timeouts(5.0, Some(5.0)), 1024, 0);
    let mut peer = Peer::associate(&server);
    peer.send(&[4, 0, 0, 0, 0x0F, 0xA0]); // 4000 bytes announced, none sent
    peer.expect_then_close(&abort(2, 6));
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn huge_associate_rq_header_is_refused_promptly() {
    let server = default_server();
    let mut peer = Peer::connect(&server);
    let t0 = Instant::now();
    let mut header = vec![1, 0];
    header.extend_from_slice(&2_000_000u32.to_be_bytes());
    peer.send(&header);
    match peer.recv(Duration::from_secs(3)) {
        Got::Closed => {}
        Got::Pdu(p) => {
            // Sta2 + Evt19 (invalid PDU) is AA-1: service-user source (PS3.8 Table 9-9).
            assert_eq!(p, abort(0, 0));
            assert_eq!(peer.recv(Duration::from_secs(3)), Got::Closed);
        }
        Got::Timeout => panic!("still open 3 s after an oversized A-ASSOCIATE-RQ header"),
    }
    assert!(t0.elapsed() < Duration::from_secs(2));
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn association_limit_is_rejected_2_3_2() {
    let server = server(timeouts(5.0, Some(5.0)), 16382, 1);
    let mut first = Peer::associate(&server);
    let mut second = Peer::connect(&server);
    second.send(&unhex(ASSOC_RQ));
    assert_eq!(second.pdu(), [3, 0, 0, 0, 0, 4, 0, 2, 3, 2]);
    first.send(&unhex(ECHO_RQ));
    assert_eq!(first.pdu(), unhex(ECHO_RSP));
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn silent_connection_is_closed_by_artim() {
    let server = server(timeouts(0.3, None), 16382, 0);
    let mut peer = Peer::connect(&server);
    let t0 = Instant::now();
    assert_eq!(peer.recv(Duration::from_secs(2)), Got::Closed);
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "closed before ARTIM: {:?}",
        t0.elapsed()
    );
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn stalled_associate_rq_is_aborted_within_the_network_timeout() {
    // No ACSE timeout (ARTIM falls back to 30 s): the stall limit is the network timeout.
    let t = Timeouts {
        acse: None,
        dimse: None,
        network: Some(Duration::from_millis(300)),
        connection: None,
    };
    let server = server(t, 16382, 0);
    let mut peer = Peer::connect(&server);
    let t0 = Instant::now();
    peer.send(&unhex(ASSOC_RQ)[..10]);
    let got = peer.recv(Duration::from_secs(2));
    assert!(
        // Sta2 + Evt19 is AA-1: A-ABORT with the service-user source (PS3.8 Table 9-9).
        got == Got::Closed || got == Got::Pdu(abort(0, 0)),
        "unexpected answer to a stalled PDU: {got:?}"
    );
    assert!(t0.elapsed() >= Duration::from_millis(250));
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn stalled_pdata_is_aborted_and_idle_association_is_aborted() {
    let server = server(timeouts(5.0, Some(0.3)), 16382, 0);
    let mut stalled = Peer::associate(&server);
    let mut idle = Peer::associate(&server);
    stalled.send(&unhex(ECHO_RQ)[..10]);
    let t0 = Instant::now();
    assert_eq!(stalled.pdu()[0], 7);
    assert_eq!(idle.pdu(), ABORT_USER);
    assert!(t0.elapsed() >= Duration::from_millis(250));
    assert!(t0.elapsed() < Duration::from_secs(2));
    // Meanwhile new associations are served.
    let mut good = Peer::associate(&server);
    good.send(&unhex(ECHO_RQ));
    assert_eq!(good.pdu(), unhex(ECHO_RSP));
    server.shutdown(Duration::from_secs(2));
}

/// An accepted association whose peer answers quickly is polled before the task sleeps
/// (`net::spin`): the bytes must come out the same, a PDU split across writes must still
/// be put together, and associations that keep a worker polling must not keep the server
/// from hearing new ones.
#[test]
fn polled_associations_answer_exactly_and_leave_the_server_to_others() {
    let server = default_server();
    let rq = unhex(ECHO_RQ);
    let rsp = hex::encode(unhex(ECHO_RSP));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let total = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let hot: Vec<_> = (0..2)
        .map(|_| {
            let mut peer = Peer::associate(&server);
            let (rq, rsp) = (rq.clone(), rsp.clone());
            let (stop, total) = (Arc::clone(&stop), Arc::clone(&total));
            thread::spawn(move || {
                let mut echoes = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && echoes < 200_000 {
                    peer.send(&rq);
                    assert_eq!(hex::encode(peer.pdu()), rsp);
                    echoes += 1;
                    total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                // A PDU in two writes, the second after the window has long passed.
                peer.send(&rq[..20]);
                thread::sleep(Duration::from_millis(5));
                peer.send(&rq[20..]);
                assert_eq!(hex::encode(peer.pdu()), rsp);
                peer.send(&RELEASE_RQ);
                assert_eq!(peer.pdu(), RELEASE_RP);
                echoes
            })
        })
        .collect();
    // Once both are well under way, whole associations one after another, each within a
    // generous bound, while the hot ones go on.
    let deadline = Instant::now() + Duration::from_secs(10);
    while total.load(std::sync::atomic::Ordering::Relaxed) < 2_000 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..50 {
        let start = Instant::now();
        let mut peer = Peer::associate(&server);
        peer.send(&rq);
        assert_eq!(hex::encode(peer.pdu()), rsp);
        peer.send(&RELEASE_RQ);
        assert_eq!(peer.pdu(), RELEASE_RP);
        peer.stream.shutdown(Shutdown::Write).expect("half close");
        assert_eq!(peer.recv(Duration::from_secs(2)), Got::Closed);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in hot {
        assert!(t.join().expect("hot peer") > 0);
    }
    server.shutdown(Duration::from_secs(5));
}

/// A peer whose association is polled (it has answered quickly) and that then trickles a
/// PDU a byte at a time, each byte well within the polling window, is still aborted at
/// the stall limit: only the wait for a new PDU polls.
#[test]
fn a_trickled_pdu_on_a_polled_association_is_aborted_at_the_stall_limit() {
    let server = server(timeouts(5.0, Some(0.1)), 16382, 0);
    let mut peer = Peer::associate(&server);
    let rq = unhex(ECHO_RQ);
    for _ in 0..500 {
        peer.send(&rq);
        assert_eq!(peer.pdu(), unhex(ECHO_RSP));
    }
    // A P-DATA-TF header announcing 16,000 bytes, then one byte every 20 µs (0.32 s in all).
    let mut writer = peer.stream.try_clone().expect("clone");
    let trickler = thread::spawn(move || {
        writer.write_all(&[4, 0, 0, 0, 0x3e, 0x80]).expect("header");
        let start = Instant::now();
        for i in 0..16_000u32 {
            while start.elapsed() < Duration::from_micros(20) * i {
                std::hint::spin_loop();
            }
            if writer.write_all(&[0]).is_err() {
                return;
            }
        }
    });
    let t0 = Instant::now();
    match peer.recv(Duration::from_secs(5)) {
        Got::Pdu(p) => assert_eq!(p[0], 7, "expected an A-ABORT: {}", hex::encode(&p)),
        other => panic!("expected an A-ABORT, got {other:?}"),
    }
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(90), "{took:?}");
    assert!(
        took < Duration::from_millis(220),
        "{took:?}: not the stall limit"
    );
    drop(peer);
    trickler.join().expect("trickler");
    server.shutdown(Duration::from_secs(2));
}

// ---- the table's answer to a PDU out of place, looked up once -----------------------------

/// Sta6 + Evt13 (A-RELEASE-RP received) is AA-8: A-ABORT (service-provider, unexpected
/// PDU), then the close. The event used to be looked up twice, the second time in Sta13,
/// where it was ignored and nothing was sent.
#[test]
fn scp_release_rp_in_sta6_gets_aa8_abort_2_2_then_close() {
    let server = default_server();
    let mut peer = Peer::associate(&server);
    let t0 = Instant::now();
    peer.send(&RELEASE_RP);
    peer.expect_then_close(&abort(2, 2));
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    // The server goes on serving others.
    let mut other = Peer::associate(&server);
    other.send(&unhex(ECHO_RQ));
    assert_eq!(hex::encode(other.pdu()), hex::encode(unhex(ECHO_RSP)));
    server.shutdown(Duration::from_secs(2));
}

/// Sta6 + Evt3 / Evt4 (an A-ASSOCIATE-AC or -RJ after the association exists): AA-8.
#[test]
fn scp_associate_ac_or_rj_in_sta6_gets_aa8_abort_2_2() {
    let server = default_server();
    for pdu in [raw_ac(&unhex(ASSOC_RQ)), vec![3, 0, 0, 0, 0, 4, 0, 1, 1, 1]] {
        let mut peer = Peer::associate(&server);
        peer.send(&pdu);
        peer.expect_then_close(&abort(2, 2));
    }
    server.shutdown(Duration::from_secs(2));
}

/// Sta2 + a PDU other than an A-ASSOCIATE-RQ (Evt3, Evt4, Evt10, Evt12, Evt13) or an
/// invalid PDU (Evt19) is AA-1: A-ABORT with the service-user source (PS3.8 Table 9-9),
/// reason 0, then the close.
#[test]
fn scp_wrong_first_pdu_in_sta2_gets_aa1_abort_0_0_then_close() {
    let server = default_server();
    let ac = raw_ac(&unhex(ASSOC_RQ));
    let firsts: Vec<Vec<u8>> = vec![
        ac,
        vec![3, 0, 0, 0, 0, 4, 0, 1, 1, 1],
        unhex(ECHO_RQ),
        RELEASE_RQ.to_vec(),
        RELEASE_RP.to_vec(),
        vec![0x09, 0, 0, 0, 0, 4, 0, 0, 0, 0],
    ];
    for first in firsts {
        let mut peer = Peer::connect(&server);
        peer.send(&first);
        peer.expect_then_close(&abort(0, 0));
    }
    server.shutdown(Duration::from_secs(2));
}

/// Two A-RELEASE-RQs in one write: the first is answered at once (AR-2, then AR-4 to Sta13),
/// so the second meets Sta13 (AA-6) and is ignored; nothing but the close follows the RP.
/// (Sta8 + Evt12, while a handler still answers, is in `engine_cells`.)
#[test]
fn scp_second_release_rq_gets_aa8_or_the_release_rp_first() {
    let server = default_server();
    let mut peer = Peer::associate(&server);
    let mut two = RELEASE_RQ.to_vec();
    two.extend_from_slice(&RELEASE_RQ);
    peer.send(&two);
    // The first RQ is answered at once (AR-2 then AR-4: Sta13), so the second one meets
    // Sta13 (AA-6, ignored); nothing else may follow the RP but the close.
    assert_eq!(peer.pdu(), RELEASE_RP);
    peer.stream.shutdown(Shutdown::Write).expect("half close");
    assert_eq!(peer.recv(Duration::from_secs(3)), Got::Closed);
    server.shutdown(Duration::from_secs(2));
}

/// Requestor, Sta6 + Evt13: the SCU sends AA-8's A-ABORT (2, 2) and closes.
#[test]
fn scu_release_rp_in_sta6_gets_aa8_abort_2_2() {
    let (go, established) = std::sync::mpsc::channel::<()>();
    let (port, scp) = raw_scp(move |mut peer, _rq| {
        established.recv().expect("the SCU is established");
        peer.send(&RELEASE_RP);
        let got = peer.pdu();
        (got, peer.recv(Duration::from_secs(3)))
    });
    let assoc = associate_with(port, timeouts(5.0, Some(5.0)));
    go.send(()).expect("raw SCP waits");
    let (got, then) = scp.join().expect("raw SCP thread");
    assert_eq!(got, abort(2, 2));
    assert_eq!(then, Got::Closed);
    let t0 = Instant::now();
    while assoc.lifecycle() != Lifecycle::Aborted && t0.elapsed() < Duration::from_secs(3) {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(assoc.lifecycle(), Lifecycle::Aborted);
}

/// An A-ASSOCIATE-RQ with no presentation context item (here: its only one has an unknown
/// item type) is rejected (1, 2, 1) at once, never answered with an AC that holds none.
#[test]
fn scp_rq_without_presentation_context_is_rejected_1_2_1() {
    let server = default_server();
    let mut rq = unhex(ASSOC_RQ);
    // The 20H item starts right after the 21-byte application context item at offset 74.
    let pc_at = 74 + 4 + 21;
    assert_eq!(rq[pc_at], 0x20, "fixture layout");
    rq[pc_at] = 0x22;
    let mut peer = Peer::connect(&server);
    let t0 = Instant::now();
    peer.send(&rq);
    assert_eq!(peer.pdu(), [3, 0, 0, 0, 0, 4, 0, 1, 2, 1]);
    assert!(t0.elapsed() < Duration::from_secs(2));
    // Sta13: the acceptor waits for our close and sends nothing more.
    peer.stream.shutdown(Shutdown::Write).expect("half close");
    assert_eq!(peer.recv(Duration::from_secs(3)), Got::Closed);
    server.shutdown(Duration::from_secs(2));
}

/// A raw SCP that answers with `ac`, then reports what the SCU sent next.
fn scu_against_ac(ac: Vec<u8>) -> (Lifecycle, Got, Got) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let scp = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut peer = Peer { stream };
        let _rq = peer.pdu();
        peer.send(&ac);
        let first = peer.recv(Duration::from_secs(3));
        (first, peer.recv(Duration::from_secs(3)))
    });
    let mut requestor = RequestorConfig::new("FASTSCU", "RAWSCP");
    requestor.requested = vec![RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE])];
    let cfg = ClientConfig {
        requestor,
        timeouts: timeouts(5.0, Some(5.0)),
        bind_address: None,
        upgrade: None,
        poll_ceiling: None,
    };
    let mut rx = start_associate("127.0.0.1", port, cfg, Arc::new(NoHooks)).expect("config ok");
    let assoc = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("outcome")
        .expect("connected");
    let (first, then) = scp.join().expect("raw SCP thread");
    (assoc.lifecycle(), first, then)
}

/// Removes the item at `offset` (its length from the item header) from an associate PDU.
fn without_item(pdu: &[u8], offset: usize) -> Vec<u8> {
    let len = 4 + usize::from(u16::from_be_bytes([pdu[offset + 2], pdu[offset + 3]]));
    let mut out = pdu[..offset].to_vec();
    out.extend_from_slice(&pdu[offset + len..]);
    let body = (out.len() - 6) as u32;
    out[2..6].copy_from_slice(&body.to_be_bytes());
    out
}

#[test]
fn scu_aborts_an_ac_without_application_context() {
    let ac = without_item(&raw_ac(&unhex(ASSOC_RQ)), 74);
    let (state, first, then) = scu_against_ac(ac);
    assert_eq!(state, Lifecycle::Aborted);
    assert_eq!(first, Got::Pdu(ABORT_USER.to_vec()));
    assert_eq!(then, Got::Closed);
}

#[test]
fn scu_aborts_an_ac_that_answers_no_context() {
    let full = raw_ac(&unhex(ASSOC_RQ));
    let pc_at = 74 + 4 + 21;
    assert_eq!(full[pc_at], 0x21, "fixture layout");
    let (state, first, then) = scu_against_ac(without_item(&full, pc_at));
    assert_eq!(state, Lifecycle::Aborted);
    assert_eq!(first, Got::Pdu(ABORT_USER.to_vec()));
    assert_eq!(then, Got::Closed);
}
