"""fastdimse's Python API beside pynetdicom 3.0.4's, over loopback, in one process.

Run with ``pytest benches/python --benchmark-enable`` after ``maturin develop --release``.
Each operation is a group with a ``fastdimse`` and a ``pynetdicom`` benchmark: the same
call on each library's AE, against that library's own SCP started by this module (no
handler bound). At the end of the module the medians and their ratio (pynetdicom /
fastdimse) are printed. Without ``--benchmark-enable`` each benchmark runs once, as a test
that both sides answer Success.

Client and SCP share one process and its GIL here, so these are figures for the API's
cost, not for a deployment: ``benches/compare`` runs clients and servers as separate
processes, with the TCP floor and DCMTK beside them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, Callable, Dict, Iterator

import pytest
from conftest import Medians, record
from pydicom.dataset import Dataset

VERIFICATION = "1.2.840.10008.1.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ae(library: str) -> Any:
    if library == "pynetdicom":
        from pynetdicom import AE
    else:
        from fastdimse import AE  # type: ignore[no-redef]
    ae = AE(ae_title="BENCHSCU")
    ae.add_requested_context(VERIFICATION)
    ae.add_supported_context(VERIFICATION)
    return ae


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, int]]:
    """Each library's Verification SCP on a port of its own."""
    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)
    running, ports = [], {}
    for library in ("fastdimse", "pynetdicom"):
        port = _free_port()
        running.append(_ae(library).start_server(("127.0.0.1", port), block=False))
        ports[library] = port
    yield ports
    for server in running:
        server.shutdown()


@pytest.fixture(scope="module")
def associations(servers: Dict[str, int]) -> Iterator[Dict[str, Any]]:
    """One established association per library, to its own SCP."""
    assocs = {lib: _ae(lib).associate("127.0.0.1", port) for lib, port in servers.items()}
    assert all(a.is_established for a in assocs.values())
    yield assocs
    for assoc in assocs.values():
        assoc.release()


def _status_dataset(library: str) -> Callable[[], Dataset]:
    if library == "fastdimse":
        from fastdimse._status_dataset import status_dataset

        return lambda: status_dataset(0x0000)

    def constructed() -> Dataset:
        # What pynetdicom returns for a response holding only a Status.
        ds = Dataset()
        ds.Status = 0x0000
        return ds

    return constructed


def _measure(benchmark: Any, medians: Medians, operation: str, side: str, fn: Any) -> Any:
    """Benchmarks `fn` as `side` of `operation`, keeps its median, returns its result."""
    benchmark.group = operation
    result = benchmark(fn)
    record(benchmark, medians, operation, side)
    return result


@pytest.mark.parametrize("side", ["fastdimse", "pynetdicom"])
def test_status_dataset(benchmark: Any, medians: Medians, side: str) -> None:
    """The Dataset every echo returns."""
    status = _measure(benchmark, medians, "status_dataset", side, _status_dataset(side))
    assert status.Status == 0x0000


@pytest.mark.parametrize("side", ["fastdimse", "pynetdicom"])
def test_send_c_echo(
    benchmark: Any, medians: Medians, associations: Dict[str, Any], side: str
) -> None:
    """One C-ECHO on an established association, waited for."""
    status = _measure(benchmark, medians, "send_c_echo", side, associations[side].send_c_echo)
    assert status.Status == 0x0000


@pytest.mark.parametrize("side", ["fastdimse", "pynetdicom"])
def test_associate_echo_release(
    benchmark: Any, medians: Medians, servers: Dict[str, int], side: str
) -> None:
    """A health check: associate, one C-ECHO, release."""
    ae, port = _ae(side), servers[side]

    def cycle() -> int:
        assoc = ae.associate("127.0.0.1", port)
        status = int(assoc.send_c_echo().Status)
        assoc.release()
        return status

    assert _measure(benchmark, medians, "associate_echo_release", side, cycle) == 0x0000


def test_send_c_echo_async(benchmark: Any, servers: Dict[str, int]) -> None:
    """One awaited C-ECHO on an established association (fastdimse only: pynetdicom has no
    asyncio API). Each round is 100 echoes; the figure is per round."""
    ae, port = _ae("fastdimse"), servers["fastdimse"]
    loop = asyncio.new_event_loop()
    try:
        assoc = loop.run_until_complete(ae.associate_async("127.0.0.1", port))

        async def hundred() -> int:
            ok = 0
            for _ in range(100):
                ok += (await assoc.send_c_echo_async()).Status == 0x0000
            return ok

        benchmark.group = "send_c_echo_async x100"
        assert benchmark(lambda: loop.run_until_complete(hundred())) == 100
        loop.run_until_complete(assoc.release_async())
    finally:
        loop.close()
