"""Signals (issue 3 item 7, DESIGN.md section 6): Ctrl-C stops a blocking server and
interrupts a blocked send_c_echo; the echoscp app stops on SIGINT and SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Iterator, List, Optional

import pytest
from conftest import free_port
from rawpeer import RawPeer, RawSCP, associate_ac

# A signal must be acted on within this long.
PROMPT = 2.0
READY_TIMEOUT = 15.0


class Child:
    """A Python subprocess whose output lines are read by a thread into a queue."""

    def __init__(self, args: List[str]) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[Optional[str]] = queue.Queue()
        self.output: List[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not printed; output so far: {''.join(self.output)}"
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, f"exited before {text!r}: {''.join(self.output)}"
            if text in line:
                return

    def stop_within(self, sig: int, timeout: float) -> int:
        """Sends `sig` and returns the exit code; fails if it takes longer than `timeout`."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {timeout} s after signal {sig}: {''.join(self.output)}")
        self._reader.join(5.0)
        assert time.monotonic() - t0 <= timeout
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5.0)
        self._reader.join(5.0)


@pytest.fixture
def children() -> Iterator[List[Child]]:
    started: List[Child] = []
    yield started
    for child in started:
        child.kill()


BLOCKING_SERVER = textwrap.dedent(
    """
    import sys
    from fastdimse import AE, debug_logger
    debug_logger()
    ae = AE(ae_title="SIGSCP")
    ae.add_supported_context("1.2.840.10008.1.1")
    ae.start_server(("127.0.0.1", int(sys.argv[1])), block=True)
    print("SERVER RETURNED", flush=True)
    """
)


def test_sigint_stops_blocking_start_server(children: List[Child]) -> None:
    port = free_port()
    child = Child(["-c", BLOCKING_SERVER, str(port)])
    children.append(child)
    child.wait_for("Server listening on")
    # It serves while blocked.
    with RawPeer(port) as peer:
        peer.associate()
    rc = child.stop_within(signal.SIGINT, PROMPT)
    out = "".join(child.output)
    assert rc == 0, out
    assert "SERVER RETURNED" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_echoscp_app_stops_on_signal(children: List[Child], sig: int) -> None:
    port = free_port()
    child = Child(["-m", "fastdimse", "echoscp", "-d", "--bind-address", "127.0.0.1", str(port)])
    children.append(child)
    child.wait_for("Server listening on")
    with RawPeer(port) as peer:
        peer.associate()
    rc = child.stop_within(sig, PROMPT)
    out = "".join(child.output)
    assert rc == 0, out
    assert "Traceback" not in out


BLOCKED_ECHO = textwrap.dedent(
    """
    import sys
    from fastdimse import AE
    ae = AE(ae_title="SIGSCU")
    ae.dimse_timeout = 60
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate("127.0.0.1", int(sys.argv[1]))
    assert assoc.is_established
    print("ECHOING", flush=True)
    try:
        assoc.send_c_echo()
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
        sys.exit(3)
    print("RETURNED", flush=True)
    """
)


def test_sigint_interrupts_blocked_send_c_echo(children: List[Child]) -> None:
    got_echo = threading.Event()

    def slow_scp(peer: RawPeer) -> None:
        rq = peer.recv_pdu()
        peer.send(associate_ac(rq))
        echo = peer.recv_pdu(30.0)
        assert echo[0] == 4
        got_echo.set()
        peer.wait_closed(30.0)  # never answers

    with RawSCP(slow_scp) as scp:
        child = Child(["-c", BLOCKED_ECHO, str(scp.port)])
        children.append(child)
        child.wait_for("ECHOING")
        assert got_echo.wait(READY_TIMEOUT), "".join(child.output)
        rc = child.stop_within(signal.SIGINT, PROMPT)
    out = "".join(child.output)
    assert rc == 3, out
    assert "INTERRUPTED" in out and "RETURNED" not in out
