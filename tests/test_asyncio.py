"""The asyncio API: associate, echo and release awaited on one event loop, many at once,
with the loop staying responsive while requests are in flight."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Callable, List, Optional

import pytest
from conftest import HeldHandler
from fastdimse import AE, evt
from fastdimse.exceptions import AssociationError
from pydicom.dataset import Dataset

VERIFICATION = "1.2.840.10008.1.1"


def _scu() -> AE:
    ae = AE(ae_title="ASYNCSCU")
    ae.add_requested_context(VERIFICATION)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
    return ae


def test_associate_echo_release(fastdimse_server: Callable[..., Any]) -> None:
    port = fastdimse_server().server_address[1]

    async def main() -> Any:
        assoc = await _scu().associate_async("127.0.0.1", port, ae_title="FASTSCP")
        assert assoc.is_established
        status = await assoc.send_c_echo_async(msg_id=7)
        await assoc.release_async()
        return assoc, status

    assoc, status = asyncio.run(main())
    assert status.Status == 0x0000
    assert "ErrorComment" not in status
    assert assoc.is_released


def test_status_and_error_comment_from_a_handler(fastdimse_server: Callable[..., Any]) -> None:
    def handler(event: Any) -> Dataset:
        ds = Dataset()
        ds.Status = 0x0210
        ds.ErrorComment = "busy"
        return ds

    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, handler)]).server_address[1]

    async def main() -> Dataset:
        assoc = await _scu().associate_async("127.0.0.1", port)
        try:
            return await assoc.send_c_echo_async()
        finally:
            await assoc.release_async()

    status = asyncio.run(main())
    assert (status.Status, status.ErrorComment) == (0x0210, "busy")


def test_many_associations_concurrently_on_one_loop(fastdimse_server: Callable[..., Any]) -> None:
    port = fastdimse_server(maximum_associations=100).server_address[1]

    async def one(i: int) -> int:
        assoc = await _scu().associate_async("127.0.0.1", port)
        assert assoc.is_established
        statuses = [(await assoc.send_c_echo_async(msg_id=n)).Status for n in range(1, 4)]
        await assoc.release_async()
        assert statuses == [0, 0, 0]
        return i

    async def main() -> List[int]:
        return await asyncio.gather(*(one(i) for i in range(50)))

    assert sorted(asyncio.run(main())) == list(range(50))


def test_loop_keeps_running_while_an_echo_waits(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]

    async def main() -> int:
        assoc = await _scu().associate_async("127.0.0.1", port)
        echo = asyncio.ensure_future(assoc.send_c_echo_async())
        ticks = 0
        while not held_handler.entered.is_set():  # the loop runs while the request is out
            ticks += 1
            await asyncio.sleep(0.001)
        for _ in range(10):
            ticks += 1
            await asyncio.sleep(0.001)
        assert not echo.done()
        held_handler.release()
        status = await echo
        await assoc.release_async()
        assert status.Status == 0
        return ticks

    assert asyncio.run(main()) >= 10


def test_connection_refused_gives_an_aborted_association(port: int) -> None:
    async def main() -> Any:
        return await _scu().associate_async("127.0.0.1", port)

    assoc = asyncio.run(main())
    assert not assoc.is_established
    assert assoc.is_aborted


@pytest.mark.parametrize("network_timeout", [5, None])
def test_dimse_timeout_gives_an_empty_dataset(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler, network_timeout: Any
) -> None:
    """The DIMSE timeout of an awaited echo is kept by the core's clock, also when the
    association has no other deadline at all (no network timeout)."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    scu = _scu()
    scu.dimse_timeout = 0.3
    scu.network_timeout = network_timeout

    async def main() -> Any:
        assoc = await scu.associate_async("127.0.0.1", port)
        t0 = time.monotonic()
        status = await assoc.send_c_echo_async()
        return assoc, status, time.monotonic() - t0

    assoc, status, waited = asyncio.run(main())
    assert status == Dataset()
    assert assoc.is_aborted
    assert 0.3 <= waited < 3, waited


def test_each_echo_has_its_own_dimse_timeout(fastdimse_server: Callable[..., Any]) -> None:
    """Echoes with the same message ID, one after another for longer than the DIMSE
    timeout: an earlier request's deadline never ends a later one."""
    port = fastdimse_server().server_address[1]
    scu = _scu()
    scu.dimse_timeout = 0.2

    async def main() -> Any:
        assoc = await scu.associate_async("127.0.0.1", port)
        statuses = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.6:
            statuses.append((await assoc.send_c_echo_async(msg_id=1)).Status)
        established = assoc.is_established
        await assoc.release_async()
        return statuses, established, assoc

    statuses, established, assoc = asyncio.run(main())
    assert len(statuses) > 3 and set(statuses) == {0x0000}
    assert established
    assert assoc.is_released


def test_a_second_echo_in_flight_is_refused(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """One request at a time (the asynchronous operations window is 1): a second awaited
    echo on the same association raises, and the first still completes."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]

    async def main() -> Any:
        assoc = await _scu().associate_async("127.0.0.1", port)
        first = asyncio.ensure_future(assoc.send_c_echo_async(msg_id=1))
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, held_handler.entered.wait, 5)
        with pytest.raises(AssociationError, match="another is outstanding"):
            await assoc.send_c_echo_async(msg_id=2)
        held_handler.release()
        status = await first
        again = await assoc.send_c_echo_async(msg_id=3)
        await assoc.release_async()
        return status, again

    status, again = asyncio.run(main())
    assert (status.Status, again.Status) == (0x0000, 0x0000)


def test_echo_logs_from_the_loop_thread(
    fastdimse_server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The request is written on the event loop's thread, which holds the GIL: the core's
    log record for it is emitted there too (no deadlock, same text as the blocking path)."""
    port = fastdimse_server().server_address[1]
    caplog.set_level(logging.INFO, logger="fastdimse")

    async def main() -> Dataset:
        assoc = await _scu().associate_async("127.0.0.1", port)
        try:
            return await assoc.send_c_echo_async(msg_id=7)
        finally:
            await assoc.release_async()

    loop_thread = threading.get_ident()
    assert asyncio.run(main()).Status == 0x0000
    sent = [r for r in caplog.records if r.getMessage() == "Sending Echo Request: MsgID 7"]
    assert len(sent) == 1
    assert sent[0].thread == loop_thread


def _queue_of_running_loop() -> Any:
    from fastdimse import _completion

    return _completion._queue_of(asyncio.get_running_loop())


def test_outcomes_reach_the_loop_through_its_queue_not_thread_callbacks(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """Associate, echo and release complete through the loop's completion queue: the
    core's thread never calls into the loop (no call_soon_threadsafe), and no future is
    left registered afterwards, also after a refused second echo."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    threadsafe_calls: List[Any] = []

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counted(*args: Any, **kwargs: Any) -> Any:
            threadsafe_calls.append(args)
            return original(*args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        assoc = await _scu().associate_async("127.0.0.1", port)
        assert threadsafe_calls == []
        first = asyncio.ensure_future(assoc.send_c_echo_async(msg_id=1))
        assert await loop.run_in_executor(None, held_handler.entered.wait, 5)
        threadsafe_calls.clear()  # the executor's own completion
        with pytest.raises(AssociationError, match="another is outstanding"):
            await assoc.send_c_echo_async(msg_id=2)
        held_handler.release()
        status = await first
        await assoc.release_async()
        queue = _queue_of_running_loop()
        return status, assoc, type(queue).__name__, dict(queue.futures), list(threadsafe_calls)

    status, assoc, queue_type, left, calls = asyncio.run(main())
    assert status.Status == 0x0000
    assert assoc.is_released
    assert queue_type == "_LoopQueue"
    assert left == {}
    assert calls == []


def test_a_cancelled_echo_is_dropped_when_its_response_comes(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """The awaiting task is cancelled while the request is out; its response, when it
    comes, completes nothing and leaves nothing behind, and the association goes on."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        assoc = await _scu().associate_async("127.0.0.1", port)
        echo = asyncio.ensure_future(assoc.send_c_echo_async(msg_id=1))
        assert await loop.run_in_executor(None, held_handler.entered.wait, 5)
        echo.cancel()
        with pytest.raises(asyncio.CancelledError):
            await echo
        queue = _queue_of_running_loop()
        assert len(queue.futures) == 1  # the response is still due
        held_handler.release()
        deadline = loop.time() + 5
        while queue.futures and loop.time() < deadline:  # until the response is drained
            await asyncio.sleep(0.001)
        left = dict(queue.futures)
        again = await assoc.send_c_echo_async(msg_id=2)
        await assoc.release_async()
        return left, again, assoc

    left, again, assoc = asyncio.run(main())
    assert left == {}
    assert again.Status == 0x0000
    assert assoc.is_released


def test_a_loop_that_cannot_watch_a_descriptor_gets_callbacks(
    fastdimse_server: Callable[..., Any],
) -> None:
    """An event loop without add_reader (as on Windows' proactor loop) still completes
    every operation: the core then calls back from its thread, through the loop."""
    port = fastdimse_server().server_address[1]
    loop = asyncio.new_event_loop()

    def no_readers(*args: Any) -> None:
        raise NotImplementedError

    loop.add_reader = no_readers  # type: ignore[method-assign]

    async def main() -> Any:
        assoc = await _scu().associate_async("127.0.0.1", port)
        status = await assoc.send_c_echo_async(msg_id=3)
        await assoc.release_async()
        return status, assoc, _queue_of_running_loop()

    try:
        status, assoc, queue = loop.run_until_complete(main())
    finally:
        loop.close()
    assert status.Status == 0x0000
    assert assoc.is_released
    assert queue is None


def test_a_loop_closed_with_an_echo_out_is_collected_and_the_next_loop_works(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """asyncio.run returns while an echo is still out (its task is cancelled). The
    response arrives after the loop closed: nothing fails, the closed loop and its queue
    are collected, and a new loop gets a queue of its own."""
    import gc
    import weakref

    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    refs: List[Any] = []

    async def leave_one_out() -> Any:
        loop = asyncio.get_running_loop()
        assoc = await _scu().associate_async("127.0.0.1", port)
        asyncio.ensure_future(assoc.send_c_echo_async(msg_id=1))
        assert await loop.run_in_executor(None, held_handler.entered.wait, 5)
        refs.extend([weakref.ref(loop), weakref.ref(_queue_of_running_loop())])
        return assoc

    assoc = asyncio.run(leave_one_out())
    held_handler.release()
    gc.collect()
    assert [r() for r in refs] == [None, None]

    async def next_loop() -> Any:
        again = await _scu().associate_async("127.0.0.1", port)
        status = await again.send_c_echo_async(msg_id=3)
        await again.release_async()
        return status, again, _queue_of_running_loop()

    status, again, queue = asyncio.run(next_loop())
    assert status.Status == 0x0000
    assert again.is_released
    assert type(queue).__name__ == "_LoopQueue"
    assoc.release()  # the first association answered its echo meanwhile, or now
    assert assoc.is_released


def test_each_loops_queue_descriptor_is_closed_with_the_loop(
    fastdimse_server: Callable[..., Any],
) -> None:
    """Every event loop gets a descriptor for its completion queue; it is closed when the
    loop goes, by reference counting alone (the cyclic collector is off here), so a
    program calling asyncio.run() over and over does not run out of descriptors."""
    import gc
    import os

    server = fastdimse_server()
    port = server.server_address[1]

    async def ping() -> int:
        assoc = await _scu().associate_async("127.0.0.1", port)
        status = await assoc.send_c_echo_async()
        await assoc.release_async()
        return int(status.Status)

    def descriptors(settled_at: Optional[int] = None) -> int:
        """Descriptors open in this process. With `settled_at`, waits (5 s at most) for the
        count to come back down to it: both ends of each association live here, and each
        association's task closes its socket, and drops its loop's queue, just after the
        last outcome is delivered, so a count taken at once may still hold them."""
        deadline = time.monotonic() + 5
        while server.active_associations and time.monotonic() < deadline:
            time.sleep(0.001)
        count = len(os.listdir("/proc/self/fd"))
        while settled_at is not None and count > settled_at and time.monotonic() < deadline:
            time.sleep(0.001)
            count = len(os.listdir("/proc/self/fd"))
        return count

    assert asyncio.run(ping()) == 0x0000  # the first run's lazily made objects
    gc_was_enabled = gc.isenabled()
    gc.collect()  # whatever the first run left in cycles, before the count
    gc.disable()
    try:
        before = descriptors()
        assert [asyncio.run(ping()) for _ in range(100)] == [0x0000] * 100
        after = descriptors(settled_at=before)
    finally:
        if gc_was_enabled:
            gc.enable()
    # Back where it was: nothing of the 100 loops stayed open. (`before` may itself still
    # hold the first run's closing association, hence at most.)
    assert after <= before
