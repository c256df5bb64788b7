"""The asynchronous operations window (PS3.7 D.3.3.3): several echoes outstanding on one
association when both sides agree, never more than agreed, and what each side answers.

Our SCP grants up to 16 outstanding requests and answers them in arrival order; our SCU
keeps as many in flight as the acceptor granted. A peer that exceeds the window it agreed
to is still answered, up to the message ID space, then aborted rather than queued without
bound.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from typing import Any, Callable, List, Tuple

import pytest
from conftest import HeldHandler
from fastdimse import AE, evt
from fastdimse.exceptions import AssociationError
from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation
from rawpeer import (
    RawPeer,
    abort_pdu,
    associate_rq,
    command_elements,
    echo_rq_pdata,
    item,
    parse_pdvs,
    pdu,
    us,
)

VERIFICATION = "1.2.840.10008.1.1"


def window(invoked: int, performed: int = 1) -> AsynchronousOperationsWindowNegotiation:
    w = AsynchronousOperationsWindowNegotiation()
    w.maximum_number_operations_invoked = invoked
    w.maximum_number_operations_performed = performed
    return w


def scu() -> AE:
    ae = AE(ae_title="WINSCU")
    ae.add_requested_context(VERIFICATION)
    ae.dimse_timeout = 5
    ae.acse_timeout = 5
    return ae


class RecordingHeld(HeldHandler):
    """A held handler that also records the message IDs it was given, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: List[int] = []

    def __call__(self, event: Any) -> int:
        self.seen.append(int(event.request.MessageID))
        return super().__call__(event)


def test_granted_window_carries_that_many_echoes_at_once(
    fastdimse_server: Callable[..., Any],
) -> None:
    """8 proposed, 8 granted: while the handler holds the first request, 7 more are
    accepted (queued in order), a ninth raises naming the window, a reused message ID
    raises naming the ID, and every one of the 8 then gets its Success."""
    held = RecordingHeld()
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held)]).server_address[1]

    async def main() -> Any:
        assoc = await scu().associate_async("127.0.0.1", port, ext_neg=[window(8, 8)])
        assert assoc.is_established
        assert assoc.requestor.asynchronous_operations == (8, 8)
        assert assoc.acceptor.asynchronous_operations == (8, 1)
        first = asyncio.ensure_future(assoc.send_c_echo_async(msg_id=1))
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, held.entered.wait, 5)
        rest = [asyncio.ensure_future(assoc.send_c_echo_async(msg_id=i)) for i in range(2, 9)]
        await asyncio.sleep(0)  # each request is written when its coroutine starts
        with pytest.raises(AssociationError, match="8 others are outstanding"):
            await assoc.send_c_echo_async(msg_id=9)
        with pytest.raises(ValueError, match="message ID 3 is already used"):
            await assoc.send_c_echo_async(msg_id=3)
        held.release()
        statuses = [ds.Status for ds in await asyncio.gather(first, *rest)]
        await assoc.release_async()
        return assoc, statuses

    try:
        assoc, statuses = asyncio.run(main())
    finally:
        held.release()
    assert statuses == [0x0000] * 8
    assert held.seen == list(range(1, 9))
    assert assoc.is_released


def test_echo_many_keeps_the_window_full(fastdimse_server: Callable[..., Any]) -> None:
    """The core's loop with up to 16 in flight: every echo answered with Success, and
    `in_flight` checked against the window it must fit."""
    port = fastdimse_server().server_address[1]
    assoc = scu().associate("127.0.0.1", port, ext_neg=[window(0, 0)])
    try:
        assert assoc.acceptor.asynchronous_operations == (16, 1)
        assert assoc._core.echo_many(5000, 1, 16) == 5000
        with pytest.raises(ValueError, match="window of 16, not 17"):
            assoc._core.echo_many(1, 1, 17)
        with pytest.raises(ValueError, match="not 0"):
            assoc._core.echo_many(1, 1, 0)
        assert assoc.send_c_echo(1).Status == 0x0000
    finally:
        assoc.release()
    assert assoc.is_released


def test_without_the_item_one_request_at_a_time(fastdimse_server: Callable[..., Any]) -> None:
    port = fastdimse_server().server_address[1]
    assoc = scu().associate("127.0.0.1", port)
    try:
        assert assoc.acceptor.asynchronous_operations == (1, 1)
        with pytest.raises(ValueError, match="window of 1, not 2"):
            assoc._core.echo_many(1, 1, 2)
    finally:
        assoc.release()


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("maximum_number_operations_invoked", -1, ValueError),
        ("maximum_number_operations_invoked", 65536, ValueError),
        ("maximum_number_operations_performed", "2", TypeError),
        ("maximum_number_operations_performed", True, TypeError),
    ],
)
def test_window_values_are_checked(field: str, value: Any, error: type) -> None:
    with pytest.raises(error, match=field):
        setattr(AsynchronousOperationsWindowNegotiation(), field, value)


def _items(assoc_pdu: bytes) -> List[Tuple[int, bytes]]:
    """(type, value) of the items of an A-ASSOCIATE-RQ/AC, after its 74 fixed bytes."""
    out, pos = [], 74
    while pos < len(assoc_pdu):
        kind, _, length = struct.unpack(">BBH", assoc_pdu[pos : pos + 4])
        out.append((kind, assoc_pdu[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return out


def _rq_with_window(invoked: int, performed: int) -> bytes:
    """The rawpeer A-ASSOCIATE-RQ with a 53H sub-item added to its user information."""
    rq = associate_rq()
    body = rq[6:74]
    for kind, value in _items(rq):
        if kind == 0x50:
            value += item(0x53, struct.pack(">HH", invoked, performed))
        body += item(kind, value)
    return pdu(1, body)


def _ac_user_items(ac: bytes) -> bytes:
    return next(value for kind, value in _items(ac) if kind == 0x50)


def test_raw_pipelined_requests_are_answered_in_order(
    fastdimse_server: Callable[..., Any],
) -> None:
    """A peer proposing (8, 8) gets exactly 53H (8, 1); eight requests written at once get
    eight Success responses, in request order."""
    port = fastdimse_server().server_address[1]
    with RawPeer(port) as peer:
        peer.send(_rq_with_window(8, 8))
        ac = peer.recv_pdu()
        assert ac[0] == 0x02
        assert bytes.fromhex("5300000400080001") in _ac_user_items(ac)
        peer.send(b"".join(echo_rq_pdata(i) for i in range(1, 9)))
        answered = []
        for _ in range(8):
            ((_ctx, _mch, command),) = parse_pdvs(peer.recv_pdu())
            fields = command_elements(command)
            answered.append((us(fields[0x0120]), us(fields[0x0900])))
        assert answered == [(i, 0x0000) for i in range(1, 9)]


def test_a_peer_past_the_message_id_space_is_aborted(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """No window proposed, and requests keep coming while the handler holds the first:
    they are queued and would be answered in order (a peer that ignores its window is
    still served, see test_robustness), but not without bound. Once 65,535 wait, as many
    as message IDs can tell apart, the next one gets the association aborted (A-ABORT,
    service-user, 0). Other associations are unaffected."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    one = echo_rq_pdata(1)
    with RawPeer(port) as peer:
        peer.associate()
        peer.send(one)
        assert held_handler.entered.wait(5)
        # 65,535 more wait (6,000 are answered in order in test_robustness), and one more.
        peer.send(b"".join(echo_rq_pdata(i % 65535 + 1) for i in range(1, 65537)))
        assert peer.recv_pdu() == abort_pdu(0, 0)
        assert peer.wait_closed(5)
    held_handler.release()
    assoc = scu().associate("127.0.0.1", port)
    try:
        assert assoc.send_c_echo(1).Status == 0x0000
    finally:
        assoc.release()


def test_threads_share_one_association_within_the_window(
    fastdimse_server: Callable[..., Any],
) -> None:
    """Four threads, blocking send_c_echo() on one association granted 4: every echo
    gets its own response (matched by message ID, not by order)."""
    port = fastdimse_server().server_address[1]
    assoc = scu().associate("127.0.0.1", port, ext_neg=[window(4)])
    statuses: List[int] = []
    lock = threading.Lock()

    def worker(base: int) -> None:
        for i in range(200):
            status = assoc.send_c_echo(base + i).Status
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker, args=(1 + 1000 * t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assoc.release()
    assert statuses == [0x0000] * 800
    assert assoc.is_released


def test_a_dimse_timeout_ends_every_outstanding_request(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """Four echoes outstanding and the handler never answers: the first DIMSE timeout
    aborts the association, and all four come back empty (one timed out, three aborted
    with it) instead of waiting for responses that cannot come."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    ae = scu()
    ae.dimse_timeout = 0.3

    async def main() -> Any:
        assoc = await ae.associate_async("127.0.0.1", port, ext_neg=[window(4)])
        results = await asyncio.gather(*(assoc.send_c_echo_async(msg_id=i) for i in range(1, 5)))
        return assoc, results

    assoc, results = asyncio.run(main())
    assert [len(ds) for ds in results] == [0, 0, 0, 0]
    assert assoc.is_aborted


def test_blocking_threads_all_return_when_one_times_out(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """The same from three blocking threads: each send_c_echo() returns an empty Dataset
    once the first DIMSE timeout has aborted the association."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    ae = scu()
    ae.dimse_timeout = 0.3
    assoc = ae.associate("127.0.0.1", port, ext_neg=[window(3)])
    results: List[int] = []
    lock = threading.Lock()

    def worker(msg_id: int) -> None:
        ds = assoc.send_c_echo(msg_id)
        with lock:
            results.append(len(ds))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [0, 0, 0]
    assert assoc.is_aborted


def test_a_foreign_window_item_with_a_bad_value_is_refused_before_connecting() -> None:
    """An ext_neg item of another library is read by its attribute names; a value that
    does not fit the sub-item raises, naming the field, before any connection is made."""

    class Item:
        maximum_number_operations_invoked = 70000
        maximum_number_operations_performed = 1

    with pytest.raises(ValueError, match="maximum_number_operations_invoked .* not 70000"):
        scu().associate("127.0.0.1", 9, ext_neg=[Item()])
