"""Concurrency (docs/architecture.md, "Threads"): 200 concurrent associations on one
server, other Python threads progress while we block in the core, and a slow handler on
one association does not delay another."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List

import pytest
from conftest import HeldHandler
from fastdimse import AE, evt
from fastdimse.exceptions import AssociationError

VERIFICATION = "1.2.840.10008.1.1"
N = 200


def scu(**settings: Any) -> AE:
    ae = AE(ae_title="CONCSCU")
    ae.add_requested_context(VERIFICATION)
    for key, value in settings.items():
        setattr(ae, key, value)
    return ae


class Counter:
    """A thread that counts as fast as it can until stopped."""

    def __init__(self) -> None:
        self.value = 0
        self._target = -1
        self._reached = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.value += 1
            if self.value == self._target:
                self._reached.set()

    def advances_by(self, n: int, timeout: float) -> bool:
        """True once the count grew by `n` from now (awaited, not polled)."""
        self._reached.clear()
        self._target = self.value + n
        return self._reached.wait(timeout)

    def __enter__(self) -> Counter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5.0)


def test_200_concurrent_associate_echo_release(fastdimse_server: Callable[..., Any]) -> None:
    server = fastdimse_server(maximum_associations=N + 10)
    port = server.server_address[1]
    ae = scu()
    start = threading.Barrier(N, timeout=30)

    def one(i: int) -> int:
        start.wait()
        assoc = ae.associate("127.0.0.1", port)
        assert assoc.is_established, f"association {i} not established"
        status = assoc.send_c_echo(msg_id=i + 1).Status
        assoc.release()
        assert assoc.is_released
        return int(status)

    with ThreadPoolExecutor(max_workers=N) as pool:
        statuses = list(pool.map(one, range(N), timeout=60))
    assert statuses == [0] * N


def test_200_held_open_then_echo_on_each(fastdimse_server: Callable[..., Any]) -> None:
    released = threading.Semaphore(0)
    server = fastdimse_server(
        maximum_associations=N, handlers=[(evt.EVT_CONN_CLOSE, lambda e: released.release())]
    )
    port = server.server_address[1]
    ae = scu()
    assocs: List[Any] = []
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            assocs = list(pool.map(lambda _: ae.associate("127.0.0.1", port), range(N)))
        assert all(a.is_established for a in assocs)
        active = server.active_associations
        assert len(active) == N
        assert all(a.is_established for a in active)
        # One past the limit is rejected (2, 3, 2) while the 200 are held.
        extra = ae.associate("127.0.0.1", port)
        assert extra.is_rejected
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(
                pool.map(lambda ia: ia[1].send_c_echo(msg_id=ia[0] + 1).Status, enumerate(assocs))
            )
        assert statuses == [0] * N
    finally:
        for a in assocs:
            a.release()
    # The rejected one's connection and the 200 released ones all close on the server.
    for i in range(N + 1):
        assert released.acquire(timeout=10), f"only {i} connections closed"
    # EVT_CONN_CLOSE fires just before a task leaves the registry, and nothing signals the
    # removal itself: poll it briefly.
    deadline = time.monotonic() + 5.0
    while server.active_associations and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert server.active_associations == []


def test_python_thread_progresses_while_send_c_echo_waits(
    fastdimse_server: Callable[..., Any],
) -> None:
    counter = Counter()
    seen = {}

    def slow_echo(event: Any) -> int:
        # Runs while the main thread is blocked in send_c_echo: the counter thread must keep
        # moving (it would not if the waiting call held the GIL).
        seen["progressed"] = counter.advances_by(100_000, 5.0)
        return 0x0000

    server = fastdimse_server(handlers=[(evt.EVT_C_ECHO, slow_echo)])
    ae = scu(dimse_timeout=10)
    assoc = ae.associate("127.0.0.1", server.server_address[1])
    assert assoc.is_established
    with counter:
        before = counter.value
        rsp = assoc.send_c_echo()
        during = counter.value - before
    assoc.release()
    assert rsp.Status == 0
    assert seen["progressed"], "the counter thread stalled while send_c_echo waited"
    assert during >= 100_000


def test_python_thread_progresses_while_blocking_server_runs() -> None:
    ae = AE(ae_title="BLOCKSCP")
    ae.add_supported_context(VERIFICATION)
    listening = threading.Event()

    # Pick the port through a first non-blocking server, then serve it blocking.
    probe = ae.start_server(("127.0.0.1", 0), block=False)
    port = probe.server_address[1]
    probe.shutdown()

    errors: List[BaseException] = []

    def serve() -> None:
        try:
            listening.set()
            ae.start_server(("127.0.0.1", port), block=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    try:
        with Counter() as counter:
            thread.start()
            assert listening.wait(5.0)
            client = scu()
            assoc = None
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                assoc = client.associate("127.0.0.1", port)
                if assoc.is_established:
                    break
            assert assoc is not None and assoc.is_established
            for i in range(5):
                assert assoc.send_c_echo(msg_id=i + 1).Status == 0
            assoc.release()
            assert counter.advances_by(100_000, 5.0), "the counter thread stalled"
            # The main thread itself runs Python freely while the server thread blocks.
            spins = 0
            t0 = time.monotonic()
            while spins < 200_000:
                spins += 1
            assert time.monotonic() - t0 < 5.0
    finally:
        ae.shutdown()
        thread.join(5.0)
    assert not thread.is_alive(), "start_server(block=True) did not return after shutdown()"
    assert not errors, errors


def test_slow_handler_does_not_delay_other_associations(
    fastdimse_server: Callable[..., Any],
) -> None:
    entered = threading.Event()
    gate = threading.Event()

    def handler(event: Any) -> int:
        if event.request.MessageID == 99:
            entered.set()
            gate.wait(10.0)
        return 0x0000

    server = fastdimse_server(handlers=[(evt.EVT_C_ECHO, handler)])
    port = server.server_address[1]
    ae = scu(dimse_timeout=10)
    slow = ae.associate("127.0.0.1", port)
    fast = ae.associate("127.0.0.1", port)
    assert slow.is_established and fast.is_established
    result: List[Any] = []
    t = threading.Thread(target=lambda: result.append(slow.send_c_echo(msg_id=99)), daemon=True)
    t.start()
    try:
        assert entered.wait(5.0)
        t0 = time.monotonic()
        for i in range(10):
            assert fast.send_c_echo(msg_id=i + 1).Status == 0
        assert time.monotonic() - t0 < 2.0
        assert not result, "the slow echo finished before its handler was released"
    finally:
        gate.set()
        t.join(10.0)
    assert result and result[0].Status == 0
    fast.release()
    slow.release()


def test_a_second_request_on_one_association_is_refused(
    fastdimse_server: Callable[..., Any], held_handler: HeldHandler
) -> None:
    """Two threads sharing one association: while one send_c_echo() waits for its
    response, the other's raises (one request in flight: the window is 1) instead of
    interleaving the two requests' responses; the first still gets its Success."""
    port = fastdimse_server(handlers=[(evt.EVT_C_ECHO, held_handler)]).server_address[1]
    assoc = scu(dimse_timeout=5).associate("127.0.0.1", port)
    assert assoc.is_established
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(assoc.send_c_echo, 1)
        assert held_handler.entered.wait(5)
        with pytest.raises(AssociationError, match="another is outstanding"):
            assoc.send_c_echo(2)
        held_handler.release()
        assert first.result(5).Status == 0x0000
    assert assoc.send_c_echo(3).Status == 0x0000
    assoc.release()
    assert assoc.is_released


def test_blocking_and_asyncio_callers_share_the_client_runtime(
    fastdimse_server: Callable[..., Any],
) -> None:
    """A thread in send_c_echo() drives the requested associations' runtime while it waits,
    and nobody does between its calls until the keeper takes over. An event loop echoing on
    another association at the same time must get every answer, and the blocking thread's
    association must still see its peer's abort once that thread is idle."""
    server = fastdimse_server()
    port = server.server_address[1]
    stop = threading.Event()
    blocking_echoes: List[int] = []

    def blocking() -> None:
        assoc = scu(dimse_timeout=5).associate("127.0.0.1", port)
        count = 0
        while not stop.is_set():
            assert assoc.send_c_echo(msg_id=count % 60000 + 1).Status == 0
            count += 1
        assoc.release()
        blocking_echoes.append(count)

    async def echoes() -> List[int]:
        assoc = await scu(dimse_timeout=5).associate_async("127.0.0.1", port)
        assert assoc.is_established
        statuses = [int((await assoc.send_c_echo_async(i + 1)).Status) for i in range(300)]
        await assoc.release_async()
        return statuses

    thread = threading.Thread(target=blocking)
    thread.start()
    try:
        statuses = asyncio.run(asyncio.wait_for(echoes(), 30))
    finally:
        stop.set()
        thread.join(10)
    assert statuses == [0] * 300
    assert blocking_echoes and blocking_echoes[0] > 0

    # Right after a blocking echo returns, its thread stops driving: the peer's abort must
    # still arrive without another call.
    aborted = threading.Event()
    idle = scu().associate(
        "127.0.0.1", port, evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())]
    )
    assert idle.send_c_echo().Status == 0
    server.shutdown()
    assert aborted.wait(5), "the idle association never saw the peer's A-ABORT"
    assert idle.is_aborted
