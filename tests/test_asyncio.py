"""The asyncio API: associate, echo and release awaited on one event loop, many at once,
with the loop staying responsive while requests are in flight."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Callable, List

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
