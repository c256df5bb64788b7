"""Robustness of the SCP and SCU on the wire (docs/architecture.md, "Where each rule lives";
docs/migration.md, "Protocol"): exact session shape, the PS3.8 answer to every protocol
error, and timeouts that always bite while other associations keep working."""

from __future__ import annotations

import glob
import json
import logging
import os
import socket
import struct
import threading
import time
from typing import Any, Callable, List

import pytest
from fastdimse import AE, _core, evt
from rawpeer import (
    ABORT_USER,
    ECHO_RQ_EXAMPLE,
    ECHO_RSP_EXAMPLE,
    IMPLICIT_LE,
    RELEASE_RP,
    RELEASE_RQ,
    VERIFICATION,
    Closed,
    RawPeer,
    RawSCP,
    abort_pdu,
    ac_results,
    associate_ac,
    associate_rq,
    cancel_rq,
    command_elements,
    echo_rq,
    echo_rq_pdata,
    echo_rsp,
    parse_pdvs,
    pdata,
    pdu,
    pdv,
    reject_pdu,
    us,
)

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
VECTORS = os.path.join(os.path.dirname(__file__), "vectors")
# Upper bound added to a timeout before we call the peer late (a shared 2-core machine).
MARGIN = 1.0


@pytest.fixture
def fastdimse_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture the `fastdimse` logger at INFO, records coming from the Rust core included."""
    caplog.set_level(logging.INFO, logger="fastdimse")
    _core.reset_log_cache()
    yield caplog
    _core.reset_log_cache()


def server_port(server: Any) -> int:
    return int(server.server_address[1])


def read_messages(peer: RawPeer, count: int, timeout: float = 5.0) -> List[bytes]:
    """Reassembles `count` command sets from the P-DATA-TFs the peer receives."""
    messages: List[bytes] = []
    current = b""
    while len(messages) < count:
        p = peer.recv_pdu(timeout)
        assert p[0] == 4, f"expected P-DATA-TF, got {p.hex()}"
        for _ctx, mch, frag in parse_pdvs(p):
            assert mch & 1, "data set fragment where a command was expected"
            current += frag
            if mch & 2:
                messages.append(current)
                current = b""
    return messages


def established(port: int, **kwargs: Any) -> RawPeer:
    peer = RawPeer(port)
    ac = peer.associate(**kwargs)
    assert ac_results(ac)[0] == (1, 0)
    return peer


def assert_abort_then_close(peer: RawPeer, source: int, reason: int, timeout: float = 3.0) -> None:
    got = peer.recv_pdu(timeout)
    assert got == abort_pdu(source, reason), got.hex()
    assert peer.wait_closed(timeout), "connection not closed after A-ABORT"


# ----- 1. session shape ---------------------------------------------------------------------------


def test_echo_session_is_exactly_rq_ac_pdata_release_fin(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server(acse_timeout=5)
    peer = RawPeer(server_port(server))
    try:
        peer.send(associate_rq(called="FASTSCP"))
        ac = peer.recv_pdu()
        assert ac[0] == 2 and ac_results(ac) == [(1, 0)]
        peer.send(ECHO_RQ_EXAMPLE)
        assert peer.recv_pdu() == ECHO_RSP_EXAMPLE
        peer.send(RELEASE_RQ)
        assert peer.recv_pdu() == RELEASE_RP
        # AR-3 on our side: close. The SCP (Sta13) must send nothing more, then close.
        peer.sock.shutdown(socket.SHUT_WR)
        t0 = time.monotonic()
        assert peer.recv_until_closed(3.0) == []
        assert time.monotonic() - t0 < 1.0, "SCP waited for ARTIM instead of closing on FIN"
    finally:
        peer.close()


def test_after_release_rp_scp_sends_nothing_and_closes_on_artim(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server(acse_timeout=0.5)
    with established(server_port(server)) as peer:
        peer.send(RELEASE_RQ)
        assert peer.recv_pdu() == RELEASE_RP
        # We keep the connection open: ARTIM (Sta13) closes it, without an A-ABORT.
        assert peer.recv_until_closed(0.5 + MARGIN) == []


def test_scu_session_is_exactly_rq_pdata_release_then_fin() -> None:
    seen: List[bytes] = []
    finished = threading.Event()

    def script(peer: RawPeer) -> None:
        rq = peer.recv_pdu()
        seen.append(rq)
        peer.send(associate_ac(rq))
        echo = peer.recv_pdu()
        seen.append(echo)
        peer.send(pdata(pdv(1, 3, echo_rsp(1))))
        seen.append(peer.recv_pdu())
        peer.send(RELEASE_RP)
        seen.extend(peer.recv_until_closed(3.0))
        finished.set()

    with RawSCP(script) as scp:
        ae = _scu()
        assoc = ae.associate("127.0.0.1", scp.port, ae_title="RAWSCP")
        assert assoc.is_established
        rsp = assoc.send_c_echo()
        assert rsp.Status == 0
        assoc.release()
        assert assoc.is_released and not assoc.is_aborted
        assert finished.wait(5.0), scp.errors
        assert not scp.errors, scp.errors
    assert [p[0] for p in seen] == [1, 4, 5], [p[:10].hex() for p in seen]
    assert seen[1] == ECHO_RQ_EXAMPLE
    assert seen[2] == RELEASE_RQ


def test_two_echo_requests_in_one_pdata_get_two_responses(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(pdata(pdv(1, 3, echo_rq(11)), pdv(1, 3, echo_rq(12))))
        rsps = [command_elements(m) for m in read_messages(peer, 2)]
        assert [us(r[0x0120]) for r in rsps] == [11, 12]
        assert [us(r[0x0900]) for r in rsps] == [0, 0]
        assert [us(r[0x0100]) for r in rsps] == [0x8030, 0x8030]


@pytest.mark.parametrize("handler", [False, True], ids=["native", "python-handler"])
def test_release_rq_pipelined_behind_an_echo_gets_the_response_first(
    fastdimse_server: Callable[..., Any], handler: bool
) -> None:
    # RQ, C-ECHO-RQ and A-RELEASE-RQ in one write: the release arrives (Sta8) while the
    # response is still due, which PS3.8 sends first (AR-7), then the RP (AR-4). Found by
    # scripts/mutation_diff.py: with a Python handler the response was dropped.
    server = fastdimse_server(handlers=[(evt.EVT_C_ECHO, lambda e: 0x0000)] if handler else [])
    with RawPeer(server_port(server)) as peer:
        peer.send(associate_rq(called="FASTSCP") + echo_rq_pdata(7) + RELEASE_RQ)
        assert peer.recv_pdu()[0] == 2
        (rsp,) = [command_elements(m) for m in read_messages(peer, 1)]
        assert (us(rsp[0x0120]), us(rsp[0x0900])) == (7, 0x0000)
        assert peer.recv_pdu() == RELEASE_RP


def test_release_rq_while_a_handler_runs_waits_for_its_response(
    fastdimse_server: Callable[..., Any], held_handler: Any
) -> None:
    server = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)])
    with established(server_port(server), called="FASTSCP") as peer:
        peer.send(echo_rq_pdata(5))
        assert held_handler.entered.wait(5)
        peer.send(RELEASE_RQ)
        with pytest.raises(TimeoutError):
            peer.recv_pdu(0.3)  # no RP while the response is due
        held_handler.release()
        (rsp,) = [command_elements(m) for m in read_messages(peer, 1)]
        assert (us(rsp[0x0120]), us(rsp[0x0900])) == (5, 0x0000)
        assert peer.recv_pdu() == RELEASE_RP


def test_command_split_over_pdvs_and_pdus(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        cmd = echo_rq(5)
        frags = [cmd[i : i + 10] for i in range(0, len(cmd), 10)]
        assert len(frags) >= 6 and all(len(f) % 2 == 0 for f in frags)
        mchs = [0x01] * (len(frags) - 1) + [0x03]
        # Three PDVs in the first P-DATA-TF, then one per PDU.
        peer.send(pdata(*(pdv(1, m, f) for m, f in zip(mchs[:3], frags[:3]))))
        for m, f in zip(mchs[3:], frags[3:]):
            peer.send(pdata(pdv(1, m, f)))
        (rsp,) = read_messages(peer, 1)
        assert rsp == echo_rsp(5)


def test_response_respects_a_max_pdu_of_8(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with established(server_port(server), max_pdu=8) as peer:
        peer.send(ECHO_RQ_EXAMPLE)
        got = b""
        while True:
            p = peer.recv_pdu()
            assert p[0] == 4 and struct.unpack(">I", p[2:6])[0] <= 8, p.hex()
            ((ctx, mch, frag),) = parse_pdvs(p)
            assert ctx == 1 and mch & 1 and len(frag) == 2
            got += frag
            if mch & 2:
                break
        assert got == echo_rsp(1)


def _echo_vectors() -> List[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(VECTORS, "*.json"))):
        with open(path) as f:
            vec = json.load(f)
        rq_pdata = [
            bytes.fromhex(p["hex"]) for p in vec["pdus"] if p["dir"] == "rq" and p["type"] == 4
        ]
        cmd = b"".join(f for p in rq_pdata for _c, m, f in parse_pdvs(p) if m & 1)
        if rq_pdata and b"\x00\x00\x00\x01\x02\x00\x00\x00\x30\x00" in cmd:  # CommandField 0030H
            out.append(os.path.basename(path))
    return out


@pytest.mark.parametrize("name", _echo_vectors())
def test_replayed_requestor_pdus_get_well_formed_success(
    fastdimse_server: Callable[..., Any], name: str
) -> None:
    with open(os.path.join(VECTORS, name)) as f:
        vec = json.load(f)
    server = fastdimse_server(acse_timeout=5)
    peer = RawPeer(server_port(server))
    rq_max = None
    current = b""
    pending_ids: List[int] = []
    try:
        for p in vec["pdus"]:
            if p["dir"] != "rq":
                continue
            data = bytes.fromhex(p["hex"])
            peer.send(data)
            if p["type"] == 1:
                rq_max = p["decode"]["user_information"]["sub_items"][0].get(
                    "maximum_length_received"
                )
                ac = peer.recv_pdu()
                assert ac[0] == 2, ac[:10].hex()
            elif p["type"] == 4:
                for _ctx, mch, frag in parse_pdvs(data):
                    current += frag
                    if mch & 2:
                        el = command_elements(current)
                        current = b""
                        if us(el[0x0100]) == 0x0030:
                            pending_ids.append(us(el[0x0110]))
                for msg in _responses(peer, len(pending_ids), rq_max):
                    el = command_elements(msg)
                    assert us(el[0x0100]) == 0x8030
                    assert us(el[0x0120]) == pending_ids.pop(0)
                    assert us(el[0x0900]) == 0x0000
                    assert el[0x0002].rstrip(b"\x00") == VERIFICATION.encode()
                    assert us(el[0x0800]) == 0x0101
            elif p["type"] == 5:
                assert peer.recv_pdu() == RELEASE_RP
            elif p["type"] == 7:
                assert peer.wait_closed(3.0)
                break
    finally:
        peer.close()


def _responses(peer: RawPeer, count: int, peer_max: Any) -> List[bytes]:
    out: List[bytes] = []
    current = b""
    while len(out) < count:
        p = peer.recv_pdu()
        assert p[0] == 4, p.hex()
        if peer_max:
            assert len(p) - 6 <= peer_max, f"P-DATA-TF of {len(p) - 6} bytes, peer max {peer_max}"
        for _ctx, mch, frag in parse_pdvs(p):
            current += frag
            if mch & 2:
                out.append(current)
                current = b""
    return out


# ----- 2. protocol errors -------------------------------------------------------------------------


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0xFF])
def test_unknown_pdu_type_in_sta6_aborts_2_1(
    fastdimse_server: Callable[..., Any], pdu_type: int
) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(bytes([pdu_type, 0, 0, 0, 0, 4, 0, 0, 0, 0]))
        assert_abort_then_close(peer, 2, 1)


def test_unknown_pdu_type_with_huge_length_is_answered_from_the_header(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(bytes([0x08, 0, 0xFF, 0xFF, 0xFF, 0xFF]))
        assert_abort_then_close(peer, 2, 1)


def test_garbage_before_association_aborts(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        peer.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        # Sta2 + Evt19 is AA-1: A-ABORT with the service-user source (PS3.8 Table 9-9),
        # whose reason is not significant (0); pynetdicom sends the same.
        assert_abort_then_close(peer, 0, 0)


def test_garbage_in_sta6_aborts(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(b"\xde\xad\xbe\xef" * 8)
        assert_abort_then_close(peer, 2, 1)


def test_pdata_before_associate_rq_aborts(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        peer.send(ECHO_RQ_EXAMPLE)
        assert_abort_then_close(peer, 0, 0)  # Sta2 + Evt10: AA-1


def test_release_rq_before_associate_rq_aborts(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        peer.send(RELEASE_RQ)
        assert_abort_then_close(peer, 0, 0)  # Sta2 + Evt12: AA-1


def test_second_associate_rq_in_sta6_aborts_2_2(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(associate_rq())
        assert_abort_then_close(peer, 2, 2)


@pytest.mark.parametrize("which", ["ac", "rj"])
def test_associate_ac_or_rj_received_by_scp_aborts(
    fastdimse_server: Callable[..., Any], which: str
) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(associate_ac(associate_rq()) if which == "ac" else reject_pdu(1, 1, 1))
        assert_abort_then_close(peer, 2, 2)


@pytest.mark.parametrize("which", ["ac", "rj"])
def test_associate_ac_or_rj_in_sta2_aborts(
    fastdimse_server: Callable[..., Any], which: str
) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        peer.send(associate_ac(associate_rq()) if which == "ac" else reject_pdu(1, 1, 1))
        assert_abort_then_close(peer, 0, 0)  # Sta2 + Evt3/Evt4: AA-1


@pytest.mark.parametrize(
    "body",
    [
        struct.pack(">IB", 1, 1),  # PDV item length 1 (< 2)
        struct.pack(">IBB", 100, 1, 3) + b"\x00" * 4,  # PDV overruns the PDU
        b"",  # no PDV at all
        struct.pack(">IBB", 0, 1, 3),  # PDV item length 0
        struct.pack(">IBB", 4, 1, 3)
        + b"\x00\x00"
        + b"\x00\x00\x00",  # trailing bytes after the PDV
    ],
    ids=["pdv-len-1", "pdv-overrun", "no-pdv", "pdv-len-0", "trailing-bytes"],
)
def test_malformed_pdata_aborts_2_6(fastdimse_server: Callable[..., Any], body: bytes) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(pdu(4, body))
        assert_abort_then_close(peer, 2, 6)


def test_pdv_on_unknown_context_aborts(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(echo_rq_pdata(1, context_id=3))
        assert_abort_then_close(peer, 2, 6)


def test_pdv_on_rejected_context_aborts(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        ac = peer.associate(
            contexts=((1, VERIFICATION, (IMPLICIT_LE,)), (3, CT_IMAGE_STORAGE, (IMPLICIT_LE,)))
        )
        assert ac_results(ac) == [(1, 0), (3, 3)]
        peer.send(echo_rq_pdata(1, context_id=3))
        assert_abort_then_close(peer, 2, 6)


def test_pdata_above_our_maximum_aborts_before_the_body(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server(maximum_pdu_size=1024)
    with established(server_port(server)) as peer:
        peer.send(bytes([4, 0]) + struct.pack(">I", 4000))  # the header only
        assert_abort_then_close(peer, 2, 6)


def test_huge_associate_rq_header_is_refused_without_the_body(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server(acse_timeout=10)
    with RawPeer(server_port(server)) as peer:
        t0 = time.monotonic()
        peer.send(bytes([1, 0]) + struct.pack(">I", 2_000_000) + b"\x00\x01\x00\x00")
        pdus = peer.recv_until_closed(3.0)
        assert time.monotonic() - t0 < 2.0
        # Sta2 + Evt19: AA-1, service-user source.
        assert pdus in ([], [abort_pdu(0, 0)]), [p.hex() for p in pdus]


def test_protocol_version_bit0_clear_is_rejected_1_2_2(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        peer.send(associate_rq(protocol_version=2))
        assert peer.recv_pdu() == bytes.fromhex("03000000000400010202")
        peer.sock.shutdown(socket.SHUT_WR)
        assert peer.recv_until_closed(3.0) == []


def test_protocol_version_other_bits_are_ignored(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        ac = peer.associate(protocol_version=0xFFFF)
        assert ac_results(ac) == [(1, 0)]


def test_wrong_application_context_is_rejected_1_1_2(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with RawPeer(server_port(server)) as peer:
        peer.send(associate_rq(app_context="1.2.3.4.5"))
        assert peer.recv_pdu() == bytes.fromhex("03000000000400010102")


def test_called_ae_mismatch_is_rejected_1_1_7(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server(require_called_aet=True)
    with RawPeer(server_port(server)) as peer:
        peer.send(associate_rq(called="SOMEONE-ELSE"))
        assert peer.recv_pdu() == bytes.fromhex("03000000000400010107")
    with RawPeer(server_port(server)) as peer:
        ac = peer.associate(called="FASTSCP")
        assert ac_results(ac) == [(1, 0)]


def test_calling_ae_not_allowed_is_rejected_1_1_3(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server(require_calling_aet=["GOODSCU"])
    with RawPeer(server_port(server)) as peer:
        peer.send(associate_rq(calling="BADSCU"))
        assert peer.recv_pdu() == bytes.fromhex("03000000000400010103")
    with RawPeer(server_port(server)) as peer:
        ac = peer.associate(calling="GOODSCU")
        assert ac_results(ac) == [(1, 0)]


def test_association_limit_is_rejected_2_3_2(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server(maximum_associations=1)
    with established(server_port(server)) as first:
        with RawPeer(server_port(server)) as second:
            second.send(associate_rq())
            assert second.recv_pdu() == bytes.fromhex("03000000000400020302")
        # The first one still works.
        first.send(ECHO_RQ_EXAMPLE)
        assert first.recv_pdu() == ECHO_RSP_EXAMPLE


def test_cancel_for_unknown_message_is_silent_and_harmless(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(pdata(pdv(1, 3, cancel_rq(7))))
        peer.send(ECHO_RQ_EXAMPLE)
        # In-order stream: the first thing back is the echo response, so nothing answered
        # the C-CANCEL-RQ.
        assert peer.recv_pdu() == ECHO_RSP_EXAMPLE
        peer.send(RELEASE_RQ)
        assert peer.recv_pdu() == RELEASE_RP


@pytest.mark.parametrize("sop_class", [CT_IMAGE_STORAGE, "1.2.840.10008.1.1.1", ""])
def test_echo_for_other_sop_class_never_gets_success(
    fastdimse_server: Callable[..., Any], sop_class: str
) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(echo_rq_pdata(9, sop_class=sop_class))
        (rsp,) = read_messages(peer, 1)
        el = command_elements(rsp)
        assert us(el[0x0100]) == 0x8030
        assert us(el[0x0120]) == 9
        assert us(el[0x0900]) == 0x0122


def test_echo_for_other_sop_class_with_handler_never_gets_success(
    fastdimse_server: Callable[..., Any],
) -> None:
    calls: List[Any] = []

    def handler(event: Any) -> int:
        calls.append(event)
        return 0x0000

    server = fastdimse_server(handlers=[(evt.EVT_C_ECHO, handler)])
    with established(server_port(server)) as peer:
        peer.send(echo_rq_pdata(9, sop_class=CT_IMAGE_STORAGE))
        (rsp,) = read_messages(peer, 1)
        assert us(command_elements(rsp)[0x0900]) == 0x0122


def test_release_rq_with_length_5_is_answered(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server()
    with established(server_port(server)) as peer:
        peer.send(bytes.fromhex("0500000000050000000000"))
        assert peer.recv_pdu() == RELEASE_RP


def test_peer_abort_is_reported_and_server_keeps_serving(
    fastdimse_server: Callable[..., Any],
) -> None:
    aborted = threading.Event()
    server = fastdimse_server(handlers=[(evt.EVT_ABORTED, lambda event: aborted.set())])
    with established(server_port(server)) as peer:
        peer.send(ABORT_USER)
        assert peer.wait_closed(3.0)
    assert aborted.wait(3.0), "EVT_ABORTED not triggered"
    with established(server_port(server)) as peer:
        peer.send(ECHO_RQ_EXAMPLE)
        assert peer.recv_pdu() == ECHO_RSP_EXAMPLE


# ----- 3. timeouts --------------------------------------------------------------------------------


def test_silent_connection_is_closed_by_artim(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server(acse_timeout=0.5)
    with RawPeer(server_port(server)) as peer:
        t0 = time.monotonic()
        assert peer.wait_closed(0.5 + MARGIN), "ARTIM did not close a silent connection"
        elapsed = time.monotonic() - t0
        assert elapsed >= 0.4, f"closed after {elapsed:.2f} s, before ARTIM"


def test_stall_mid_pdu_in_sta6_is_aborted_within_network_timeout(
    fastdimse_server: Callable[..., Any],
) -> None:
    server = fastdimse_server(network_timeout=0.5, acse_timeout=None, dimse_timeout=None)
    with established(server_port(server)) as peer:
        t0 = time.monotonic()
        peer.send(ECHO_RQ_EXAMPLE[:10])
        got = peer.recv_pdu(0.5 + MARGIN)
        assert got[0] == 7, got.hex()
        assert peer.wait_closed(MARGIN)
        assert time.monotonic() - t0 >= 0.4


def test_stall_mid_associate_rq_is_closed_within_network_timeout(
    fastdimse_server: Callable[..., Any],
) -> None:
    # No ACSE timeout: ARTIM falls back to 30 s, but a peer stalled inside a PDU is governed
    # by Timeouts::stall (the network timeout).
    server = fastdimse_server(network_timeout=0.5, acse_timeout=None)
    with RawPeer(server_port(server)) as peer:
        t0 = time.monotonic()
        peer.send(associate_rq()[:10])
        pdus = peer.recv_until_closed(0.5 + MARGIN)
        assert pdus in ([], [abort_pdu(0, 0)]), [p.hex() for p in pdus]  # Sta2: AA-1
        assert time.monotonic() - t0 >= 0.4


@pytest.mark.parametrize("phase", ["sta2", "sta6"])
def test_slow_drip_peer_is_cut_off(fastdimse_server: Callable[..., Any], phase: str) -> None:
    """One byte every 0.1 s never completes a PDU in time: the limit counts from the
    PDU's first byte (ARTIM in Sta2, the stall limit in Sta6), not from the last byte."""
    server = fastdimse_server(acse_timeout=0.5, network_timeout=0.5)
    peer = established(server_port(server)) if phase == "sta6" else RawPeer(server_port(server))
    data = ECHO_RQ_EXAMPLE if phase == "sta6" else associate_rq()
    try:
        t0 = time.monotonic()
        for i in range(len(data)):
            try:
                peer.send(data[i : i + 1])
            except OSError:
                break  # already closed
            try:
                got = peer.recv_pdu(0.1)  # paces the drip and catches the answer
            except TimeoutError:
                continue
            except Closed:
                break
            assert got[0] == 7, got.hex()
            assert peer.wait_closed(MARGIN)
            break
        else:
            pytest.fail("the whole PDU was dripped in without being cut off")
        assert time.monotonic() - t0 < 0.5 + MARGIN
    finally:
        peer.close()


def test_idle_association_is_aborted_after_network_timeout(
    fastdimse_server: Callable[..., Any], fastdimse_log: pytest.LogCaptureFixture
) -> None:
    aborted = threading.Event()
    server = fastdimse_server(
        network_timeout=0.5, handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())]
    )
    with established(server_port(server)) as peer:
        t0 = time.monotonic()
        assert peer.recv_pdu(0.5 + MARGIN) == ABORT_USER
        assert time.monotonic() - t0 >= 0.4
        assert peer.wait_closed(MARGIN)
    assert aborted.wait(2.0)
    assert "Network timeout reached" in fastdimse_log.text


def test_association_idle_after_a_python_handler_still_times_out(
    fastdimse_server: Callable[..., Any], fastdimse_log: pytest.LogCaptureFixture
) -> None:
    """A handler's return does not wake the association's task, so the idle deadline must be
    armed while the handler runs: a peer that goes quiet after its answer is still aborted."""
    aborted = threading.Event()
    server = fastdimse_server(
        network_timeout=0.5,
        handlers=[
            (evt.EVT_C_ECHO, lambda e: 0x0000),
            (evt.EVT_ABORTED, lambda e: aborted.set()),
        ],
    )
    with established(server_port(server)) as peer:
        peer.send(ECHO_RQ_EXAMPLE)
        assert peer.recv_pdu(2.0) == ECHO_RSP_EXAMPLE
        t0 = time.monotonic()
        assert peer.recv_pdu(0.5 + MARGIN) == ABORT_USER
        assert time.monotonic() - t0 >= 0.4
        assert peer.wait_closed(MARGIN)
    assert aborted.wait(2.0)
    assert "Network timeout reached" in fastdimse_log.text


def test_slow_handler_is_not_cut_off_by_the_network_timeout(
    fastdimse_server: Callable[..., Any],
) -> None:
    """While our handler works, the association is not idle: the response still goes out."""

    def slow(event: Any) -> int:
        time.sleep(0.8)  # the handler itself is what is being measured: it must take this long
        return 0x0000

    server = fastdimse_server(network_timeout=0.5, handlers=[(evt.EVT_C_ECHO, slow)])
    with established(server_port(server)) as peer:
        peer.send(ECHO_RQ_EXAMPLE)
        assert peer.recv_pdu(3.0) == ECHO_RSP_EXAMPLE


def _scu(**settings: float) -> AE:
    """The SCU these tests drive: FASTSCU, Verification in Implicit VR Little Endian, with
    the given timeouts (``dimse_timeout=0.5`` and so on)."""
    ae = AE(ae_title="FASTSCU")
    for name, value in settings.items():
        setattr(ae, name, value)
    ae.add_requested_context(VERIFICATION, [IMPLICIT_LE])
    return ae


def _record_until_closed(seen: List[bytes]) -> Callable[[RawPeer], None]:
    """A peer script that answers nothing and records every PDU until we close."""

    def record(peer: RawPeer) -> None:
        seen.extend(peer.recv_until_closed(10.0))

    return record


def _accept_then(
    after_ac: Callable[[RawPeer], None], seen: List[bytes]
) -> Callable[[RawPeer], None]:
    def script(peer: RawPeer) -> None:
        rq = peer.recv_pdu()
        seen.append(rq)
        peer.send(associate_ac(rq))
        after_ac(peer)

    return script


def test_scu_dimse_timeout_returns_empty_dataset_and_aborts(
    fastdimse_log: pytest.LogCaptureFixture,
) -> None:
    seen: List[bytes] = []

    with RawSCP(_accept_then(_record_until_closed(seen), seen)) as scp:
        ae = _scu(dimse_timeout=0.5)
        assoc = ae.associate("127.0.0.1", scp.port)
        assert assoc.is_established
        t0 = time.monotonic()
        rsp = assoc.send_c_echo()
        elapsed = time.monotonic() - t0
        assert len(rsp) == 0 and "Status" not in rsp
        assert 0.4 <= elapsed < 0.5 + MARGIN
        assert assoc.is_aborted and not assoc.is_established
        assert scp.done.wait(5.0) and not scp.errors, scp.errors
    assert [p[0] for p in seen] == [1, 4, 7]
    assert seen[1] == ECHO_RQ_EXAMPLE
    assert seen[2] == ABORT_USER
    assert "DIMSE timeout reached" in fastdimse_log.text


def test_scu_acse_timeout_on_associate() -> None:
    seen: List[bytes] = []

    with RawSCP(_record_until_closed(seen)) as scp:
        ae = _scu(acse_timeout=0.5)
        t0 = time.monotonic()
        assoc = ae.associate("127.0.0.1", scp.port)
        elapsed = time.monotonic() - t0
        assert not assoc.is_established and not assoc.is_rejected
        assert assoc.is_aborted
        assert 0.4 <= elapsed < 0.5 + MARGIN
        assert scp.done.wait(5.0) and not scp.errors, scp.errors
    assert [p[0] for p in seen] == [1, 7]
    assert seen[1] == ABORT_USER


def test_scu_release_without_rp_is_aborted_after_acse_timeout() -> None:
    seen: List[bytes] = []

    with RawSCP(_accept_then(_record_until_closed(seen), seen)) as scp:
        ae = _scu(acse_timeout=0.5)
        assoc = ae.associate("127.0.0.1", scp.port)
        assert assoc.is_established
        t0 = time.monotonic()
        assoc.release()
        elapsed = time.monotonic() - t0
        assert assoc.is_aborted and not assoc.is_released
        assert 0.4 <= elapsed < 0.5 + MARGIN
        assert scp.done.wait(5.0) and not scp.errors, scp.errors
    assert [p[0] for p in seen] == [1, 5, 7]
    assert seen[2] == ABORT_USER


def test_good_associations_unaffected_by_bad_peers(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server(acse_timeout=10, network_timeout=10, maximum_associations=50)
    port = server_port(server)
    bad: List[RawPeer] = []
    try:
        for _ in range(5):
            bad.append(RawPeer(port))  # silent
        for _ in range(5):
            p = RawPeer(port)
            p.send(associate_rq()[:20])  # stalled mid-RQ
            bad.append(p)
        for _ in range(5):
            p = established(port)
            p.send(ECHO_RQ_EXAMPLE[:30])  # stalled mid-P-DATA
            bad.append(p)
        p = established(port)
        p.send(bytes([4, 0, 0, 0, 0x3F, 0xFF]))  # a big P-DATA header, no body
        bad.append(p)

        ae = AE(ae_title="GOODSCU")
        ae.add_requested_context(VERIFICATION)
        for i in range(5):
            t0 = time.monotonic()
            assoc = ae.associate("127.0.0.1", port)
            assert assoc.is_established
            assert assoc.send_c_echo(msg_id=i + 1).Status == 0
            assoc.release()
            assert assoc.is_released
            assert time.monotonic() - t0 < 1.0
    finally:
        for p in bad:
            p.close()


# ----- the SCU facing a misbehaving SCP -----------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        pdata(pdv(1, 3, echo_rsp(2))),  # responds to another MessageID
        pdata(pdv(1, 3, echo_rq(1))),  # a request instead of the response
    ],
    ids=["wrong-message-id", "not-a-response"],
)
def test_scu_never_takes_a_mismatched_response_for_success(answer: bytes) -> None:
    seen: List[bytes] = []

    def wrong_answer(peer: RawPeer) -> None:
        seen.append(peer.recv_pdu())  # the C-ECHO-RQ
        peer.send(answer)
        seen.extend(peer.recv_until_closed(5.0))

    with RawSCP(_accept_then(wrong_answer, seen)) as scp:
        ae = _scu(dimse_timeout=1)
        assoc = ae.associate("127.0.0.1", scp.port)
        assert assoc.is_established
        rsp = assoc.send_c_echo(msg_id=1)
        assert "Status" not in rsp or rsp.Status != 0
        assert scp.done.wait(5.0) and not scp.errors, scp.errors
    # RQ, the C-ECHO-RQ, then an A-ABORT (the SCU may instead answer a stray C-ECHO-RQ, but
    # it must not carry on as if the echo succeeded).
    assert seen[0][0] == 1 and seen[1] == ECHO_RQ_EXAMPLE
    assert seen[-1][0] == 7, [p.hex() for p in seen]


@pytest.mark.parametrize("pdu_type", [0x08, 0xFF])
def test_scu_aborts_2_1_on_unknown_pdu_type(pdu_type: int) -> None:
    seen: List[bytes] = []

    def garbage(peer: RawPeer) -> None:
        seen.append(peer.recv_pdu())  # the C-ECHO-RQ
        peer.send(bytes([pdu_type, 0, 0, 0, 0, 4, 0, 0, 0, 0]))
        seen.extend(peer.recv_until_closed(5.0))

    with RawSCP(_accept_then(garbage, seen)) as scp:
        ae = _scu(dimse_timeout=1)
        assoc = ae.associate("127.0.0.1", scp.port)
        assert assoc.is_established
        t0 = time.monotonic()
        rsp = assoc.send_c_echo()
        assert len(rsp) == 0
        assert time.monotonic() - t0 < 1.5, "waited for the DIMSE timeout instead of aborting"
        assert assoc.is_aborted
        assert scp.done.wait(5.0) and not scp.errors, scp.errors
    assert seen[-1] == abort_pdu(2, 1), [p.hex() for p in seen]


# ----- back-pressure: a peer that does not read --------------------------------------------------


def _responses_in_order(peer: RawPeer, count: int) -> List[int]:
    ids = []
    for _ in range(count):
        for _ctx, _mch, fragment in parse_pdvs(peer.recv_pdu(10.0)):
            elements = command_elements(fragment)
            ids.append(struct.unpack("<H", elements[0x0120])[0])
    return ids


def _burst_then_read(peer: RawPeer, message_ids: List[int]) -> List[int]:
    """Send every request; start reading the responses only once a quarter of the requests
    is in (or the server stopped taking them), so the responses back up first."""
    burst = [echo_rq_pdata(n) for n in message_ids]
    quarter = threading.Event()

    def send() -> None:
        for i, request in enumerate(burst):
            peer.send(request)
            if i == len(burst) // 4:
                quarter.set()
        quarter.set()

    sender = threading.Thread(target=send)
    sender.start()
    # Not reached when the server's socket fills first: it then stops reading requests,
    # which is back-pressure working; read after the wait in that case.
    quarter.wait(3.0)
    ids = _responses_in_order(peer, len(burst))
    sender.join(10)
    assert not sender.is_alive()
    return ids


def test_responses_queue_in_order_while_the_peer_does_not_read(
    fastdimse_server: Callable[..., Any],
) -> None:
    """A peer sends many requests before reading anything: the responses fill the socket,
    the rest waits in the association's write queue, and all arrive, in order, once the
    peer reads. Python handlers answer, so the responses are written from handler threads
    (the direct-write path) while the queue is in use."""
    server = fastdimse_server(
        network_timeout=20, maximum_pdu_size=0, handlers=[(evt.EVT_C_ECHO, lambda e: 0x0000)]
    )
    with established(server_port(server)) as peer:
        ids = list(range(1, 6001))
        assert _burst_then_read(peer, ids) == ids
        peer.send(RELEASE_RQ)
        assert peer.recv_pdu(5.0) == RELEASE_RP


def test_native_responses_queue_in_order_while_the_peer_does_not_read(
    fastdimse_server: Callable[..., Any],
) -> None:
    """The same burst answered by the core alone (no handler): the task's own writes queue."""
    server = fastdimse_server(network_timeout=20)
    with established(server_port(server)) as peer:
        ids = list(range(1, 20001))
        assert _burst_then_read(peer, ids) == ids
        peer.send(RELEASE_RQ)
        assert peer.recv_pdu(5.0) == RELEASE_RP
