"""The asyncio API: associate, echo and release awaited on one event loop, many at once,
with the loop staying responsive while requests are in flight."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, List

from fastdimse import AE, evt
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


def test_loop_keeps_running_while_an_echo_waits(fastdimse_server: Callable[..., Any]) -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(event: Any) -> int:
        entered.set()
        assert release.wait(5)
        return 0

    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, slow)]).server_address[1]

    async def main() -> int:
        assoc = await _scu().associate_async("127.0.0.1", port)
        echo = asyncio.ensure_future(assoc.send_c_echo_async())
        ticks = 0
        while not entered.is_set():  # the loop runs while the request is in flight
            ticks += 1
            await asyncio.sleep(0.001)
        for _ in range(10):
            ticks += 1
            await asyncio.sleep(0.001)
        assert not echo.done()
        release.set()
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


def test_dimse_timeout_gives_an_empty_dataset(fastdimse_server: Callable[..., Any]) -> None:
    release = threading.Event()

    def stuck(event: Any) -> int:
        release.wait(5)
        return 0

    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, stuck)]).server_address[1]
    scu = _scu()
    scu.dimse_timeout = 0.3

    async def main() -> Any:
        assoc = await scu.associate_async("127.0.0.1", port)
        status = await assoc.send_c_echo_async()
        return assoc, status

    try:
        assoc, status = asyncio.run(main())
    finally:
        release.set()
    assert status == Dataset()
    assert assoc.is_aborted
