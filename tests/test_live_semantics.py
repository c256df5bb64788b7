"""Settings and handlers on live associations behave as pynetdicom's: timeouts set on an
association (or on its AE) reach it, handlers bound late run, and the end-of-association
events come in pynetdicom's order relative to ``release()``, ``abort()`` and
``active_associations``."""

from __future__ import annotations

import threading
import time
from typing import Any, List

import pytest
from fastdimse import AE, evt
from fastdimse.sop_class import Verification

pytestmark = pytest.mark.timeout(30)


def _slow_scp(delay: float, **ae_settings: Any) -> Any:
    """An SCP whose C-ECHO handler sleeps `delay` seconds, on a free port."""

    def slow(event: Any) -> int:
        time.sleep(delay)
        return 0x0000

    ae = AE(ae_title="SLOWSCP")
    ae.add_supported_context(Verification)
    for name, value in ae_settings.items():
        setattr(ae, name, value)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_ECHO, slow)])
    return ae, server


def _scu() -> AE:
    ae = AE(ae_title="SCU")
    ae.add_requested_context(Verification)
    return ae


def test_dimse_timeout_set_on_an_established_association_applies_to_the_next_echo() -> None:
    scp_ae, server = _slow_scp(1.5)
    try:
        ae = _scu()
        ae.dimse_timeout = 30
        assoc = ae.associate(*server.server_address)
        assert assoc.is_established
        assoc.dimse_timeout = 0.3
        t0 = time.monotonic()
        status = assoc.send_c_echo()
        waited = time.monotonic() - t0
        assert "Status" not in status
        assert 0.25 <= waited < 2.0, waited
        assert assoc.is_aborted
    finally:
        server.shutdown()


def test_ae_dimse_timeout_changed_after_associate_reaches_the_association() -> None:
    scp_ae, server = _slow_scp(1.5)
    try:
        ae = _scu()
        assoc = ae.associate(*server.server_address)
        assert assoc.is_established
        assert assoc in ae.active_associations
        ae.dimse_timeout = 0.3
        assert assoc.dimse_timeout == 0.3
        t0 = time.monotonic()
        assoc.send_c_echo()
        assert time.monotonic() - t0 < 2.0
        assert assoc.is_aborted
        assert assoc not in ae.active_associations
    finally:
        server.shutdown()


def test_network_timeout_set_on_a_live_association_ends_it_at_once() -> None:
    scp_ae, server = _slow_scp(0.0)
    try:
        ae = _scu()
        aborted = threading.Event()
        assoc = ae.associate(
            *server.server_address, evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())]
        )
        assert assoc.is_established
        t0 = time.monotonic()
        assoc.network_timeout = 0.3
        assert aborted.wait(5)
        assert 0.25 <= time.monotonic() - t0 < 2.0
        assert assoc.is_aborted
    finally:
        server.shutdown()


def test_network_timeout_response_a_release_releases_the_idle_association() -> None:
    scp_ae, server = _slow_scp(0.0)
    try:
        ae = _scu()
        released = threading.Event()
        assoc = ae.associate(
            *server.server_address, evt_handlers=[(evt.EVT_RELEASED, lambda e: released.set())]
        )
        assert assoc.is_established
        assoc.network_timeout_response = "A-RELEASE"
        assoc.network_timeout = 0.3
        assert released.wait(5)
        assert assoc.is_released
    finally:
        server.shutdown()


def test_server_acse_timeout_changed_after_start_reaches_new_associations() -> None:
    scp_ae, server = _slow_scp(0.0)
    try:
        import socket

        scp_ae.acse_timeout = 0.3  # ARTIM for connections accepted from now on
        sock = socket.create_connection(server.server_address)
        sock.settimeout(5)
        t0 = time.monotonic()
        assert sock.recv(10) == b""  # closed by ARTIM: no A-ASSOCIATE-RQ was sent
        assert 0.25 <= time.monotonic() - t0 < 2.0
        sock.close()
    finally:
        server.shutdown()


def test_require_called_aet_set_after_start_server_applies() -> None:
    scp_ae, server = _slow_scp(0.0)
    try:
        ae = _scu()
        assoc = ae.associate(*server.server_address, ae_title="WRONG")
        assert assoc.is_established
        assoc.release()
        scp_ae.require_called_aet = True
        assoc = ae.associate(*server.server_address, ae_title="WRONG")
        assert assoc.is_rejected
        assert assoc.rejection == (1, 1, 7)
        scp_ae.require_called_aet = False
        scp_ae.require_calling_aet = ["SOMEONE"]
        assoc = ae.associate(*server.server_address, ae_title="SLOWSCP")
        assert assoc.is_rejected
        assert assoc.rejection == (1, 1, 3)
    finally:
        server.shutdown()


def test_handler_bound_on_a_running_server_reaches_its_open_associations() -> None:
    scp_ae, server = _slow_scp(0.0)
    seen: List[int] = []
    try:
        ae = _scu()
        assoc = ae.associate(*server.server_address)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000

        def answer(event: Any) -> int:
            seen.append(event.request.MessageID)
            return 0xC001

        server.bind(evt.EVT_C_ECHO, answer)
        assert assoc.send_c_echo(msg_id=7).Status == 0xC001
        assert seen == [7]
        server.unbind(evt.EVT_C_ECHO, answer)
        assert assoc.send_c_echo(msg_id=8).Status == 0x0000
        assert seen == [7]
        assoc.release()
    finally:
        server.shutdown()


def test_notification_bound_on_an_established_association_fires() -> None:
    scp_ae, server = _slow_scp(0.0)
    try:
        ae = _scu()
        assoc = ae.associate(*server.server_address)
        assert assoc.is_established
        sent: List[Any] = []
        assoc.bind(evt.EVT_DIMSE_SENT, lambda e: sent.append(type(e.message).__name__))
        assoc.send_c_echo()
        assert sent == ["C_ECHO"]
        assoc.unbind(evt.EVT_DIMSE_SENT, sent.append)
        assoc.release()
    finally:
        server.shutdown()


def test_requestor_end_events_run_before_release_returns() -> None:
    scp_ae, server = _slow_scp(0.0)
    order: List[str] = []
    try:
        ae = _scu()
        handlers = [
            (evt.EVT_RELEASED, lambda e: order.append("released")),
            (evt.EVT_CONN_CLOSE, lambda e: order.append("conn_close")),
        ]
        assoc = ae.associate(*server.server_address, evt_handlers=handlers)
        assert assoc.is_established
        assoc.release()
        order.append("release returned")
        assert order == ["released", "conn_close", "release returned"]
    finally:
        server.shutdown()


def test_requestor_end_events_run_before_abort_returns() -> None:
    scp_ae, server = _slow_scp(0.0)
    order: List[str] = []
    try:
        ae = _scu()
        handlers = [
            (evt.EVT_ABORTED, lambda e: order.append("aborted")),
            (evt.EVT_CONN_CLOSE, lambda e: order.append("conn_close")),
        ]
        assoc = ae.associate(*server.server_address, evt_handlers=handlers)
        assert assoc.is_established
        assoc.abort()
        order.append("abort returned")
        assert order == ["aborted", "conn_close", "abort returned"]
    finally:
        server.shutdown()


def test_acceptor_end_handlers_run_while_the_association_is_still_active() -> None:
    listed: List[bool] = []
    done = threading.Event()

    def on_released(event: Any) -> None:
        listed.append(event.assoc in scp_ae.active_associations)

    def on_close(event: Any) -> None:
        listed.append(event.assoc in scp_ae.active_associations)
        done.set()

    scp_ae = AE(ae_title="SCP")
    scp_ae.add_supported_context(Verification)
    server = scp_ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_RELEASED, on_released), (evt.EVT_CONN_CLOSE, on_close)],
    )
    try:
        assoc = _scu().associate(*server.server_address)
        assert assoc.is_established
        assoc.release()
        assert done.wait(5)
        assert listed == [True, True]
    finally:
        server.shutdown()


def test_peer_abort_is_seen_by_the_requestor_once_abort_returns() -> None:
    scp_ae = AE(ae_title="SCP")
    scp_ae.add_supported_context(Verification)
    server = scp_ae.start_server(("127.0.0.1", 0), block=False)
    try:
        assoc = _scu().associate(*server.server_address)
        assert assoc.is_established
        (peer,) = scp_ae.active_associations
        peer.abort()
        # abort() returns once the connection is closed, and the requestor closes it only
        # after it has taken the A-ABORT in: no wait is needed.
        assert assoc.is_aborted
    finally:
        server.shutdown()


@pytest.mark.parametrize("value", [1e300, float("inf"), 10**30])
def test_huge_timeouts_mean_no_timeout_in_practice(value: Any) -> None:
    scp_ae, server = _slow_scp(0.0, dimse_timeout=value, network_timeout=value)
    try:
        scp_ae.maximum_associations = 10**20
        ae = _scu()
        ae.acse_timeout = value
        ae.dimse_timeout = value
        assoc = ae.associate(*server.server_address)
        assert assoc.is_established
        assoc.network_timeout = value
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
    finally:
        server.shutdown()


def test_abort_from_a_notification_handler_does_not_wait_on_itself() -> None:
    """An EVT_ESTABLISHED handler that calls abort() used to wait forever: the association's
    task was waiting for that very handler to return."""
    scp_ae, server = _slow_scp(0.0)
    try:
        ae = _scu()
        returned = threading.Event()

        def on_established(event: Any) -> None:
            event.assoc.abort()
            returned.set()

        assoc = ae.associate(
            *server.server_address, evt_handlers=[(evt.EVT_ESTABLISHED, on_established)]
        )
        assert returned.wait(5)
        deadline = time.monotonic() + 5
        while not assoc.is_aborted and time.monotonic() < deadline:
            time.sleep(0.005)
        assert assoc.is_aborted
    finally:
        server.shutdown()


def test_requestor_released_handler_has_run_when_the_acceptors_release_returns() -> None:
    scp_ae, server = _slow_scp(0.0)
    triggered: List[str] = []
    try:
        ae = _scu()
        assoc = ae.associate(
            *server.server_address,
            evt_handlers=[(evt.EVT_RELEASED, lambda e: triggered.append("released"))],
        )
        assert assoc.is_established
        (child,) = [a for a in scp_ae.active_associations if a.is_established]
        child.release()
        assert triggered == ["released"]
    finally:
        server.shutdown()


def test_abort_from_the_acceptors_requested_handler_sends_an_abort_instead_of_the_ac(
    fastdimse_server: Any,
) -> None:
    # Sta3 + Evt15: AA-1, an A-ABORT (0, 0) and no A-ASSOCIATE-AC; EVT_ABORTED follows, as
    # after pynetdicom's abort().
    from rawpeer import RawPeer, abort_pdu, associate_rq

    seen: List[str] = []
    aborted = threading.Event()

    def on_requested(event: Any) -> None:
        seen.append("REQUESTED")
        event.assoc.abort()

    def on_aborted(event: Any) -> None:
        seen.append("ABORTED")
        aborted.set()

    server = fastdimse_server(
        handlers=[(evt.EVT_REQUESTED, on_requested), (evt.EVT_ABORTED, on_aborted)]
    )
    with RawPeer(server.server_address[1]) as peer:
        peer.send(associate_rq(called="FASTSCP"))
        assert peer.recv_pdu(5) == abort_pdu(0, 0)
        assert peer.wait_closed(5)
    assert aborted.wait(5)
    assert seen == ["REQUESTED", "ABORTED"]


def test_abort_from_the_requestors_requested_handler_aborts_at_once() -> None:
    # Sta5 + Evt15: AA-1 while the answer is awaited, not when the ACSE timeout ends the
    # wait (pynetdicom 3.0.4 waits for the timeout).
    from rawpeer import RawPeer, RawSCP, abort_pdu

    got: List[bytes] = []

    def script(peer: RawPeer) -> None:
        assert peer.recv_pdu(5)[0] == 1
        got.append(peer.recv_pdu(5))  # no answer from us: what the requestor sends next

    seen: List[str] = []

    def on_requested(event: Any) -> None:
        seen.append("REQUESTED")
        event.assoc.abort()

    with RawSCP(script) as scp:
        ae = _scu()
        ae.acse_timeout = 20
        started = time.monotonic()
        assoc = ae.associate(
            "127.0.0.1",
            scp.port,
            evt_handlers=[
                (evt.EVT_REQUESTED, on_requested),
                (evt.EVT_ABORTED, lambda e: seen.append("ABORTED")),
            ],
        )
        took = time.monotonic() - started
        assert scp.done.wait(5)
    assert assoc.is_aborted and not assoc.is_established
    assert took < 5, f"associate() took {took:.1f} s: the abort waited for the ACSE timeout"
    assert got == [abort_pdu(0, 0)]
    assert seen == ["REQUESTED", "ABORTED"]
