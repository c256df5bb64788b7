"""Signals (docs/architecture.md, "Threads"): Ctrl-C stops a blocking server and
interrupts a blocked send_c_echo; the echoscp app stops cleanly on SIGINT (exit 0) and on
SIGTERM (then ends by SIGTERM, as a terminated process should)."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from conftest import free_port
from rawpeer import RawPeer, RawSCP, associate_ac, echo_rq_pdata

# A signal must be acted on within this long.
PROMPT = 2.0
READY_TIMEOUT = 15.0


class Child:
    """A Python subprocess whose output lines are read by a thread into a queue."""

    def __init__(self, args: List[str], prefix: Optional[List[str]] = None) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [*(prefix or []), sys.executable, *args],
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


@pytest.mark.parametrize(
    "sig, expected_rc, logged",
    [
        # Ctrl-C: a normal stop, exit 0 (pynetdicom's echoscp does the same).
        (signal.SIGINT, 0, "Interrupted, shutting down"),
        # SIGTERM: the same clean shutdown, then death by SIGTERM (returncode -15), as
        # pynetdicom's echoscp (which does not catch it) and DCMTK's report it.
        (signal.SIGTERM, -signal.SIGTERM, "Terminated (SIGTERM), shutting down"),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_echoscp_app_stops_on_signal(
    children: List[Child], sig: int, expected_rc: int, logged: str
) -> None:
    port = free_port()
    child = Child(["-m", "fastdimse", "echoscp", "-d", "--bind-address", "127.0.0.1", str(port)])
    children.append(child)
    child.wait_for("Server listening on")
    with RawPeer(port) as peer:
        peer.associate()
        rc = child.stop_within(sig, PROMPT)
        # The shutdown was clean: the open association was aborted (A-ABORT, then the
        # connection closed), not just dropped with the process.
        pdus = peer.recv_until_closed(PROMPT)
        assert [p[0] for p in pdus] == [0x07], [p.hex() for p in pdus]
    out = "".join(child.output)
    assert rc == expected_rc, out
    assert logged in out
    assert "Traceback" not in out


def test_echoscp_sigterm_waits_for_running_handlers_unless_repeated(
    children: List[Child],
) -> None:
    """After SIGTERM, echoscp waits for an event handler that is still running before it
    dies by the signal (as a normal exit waits, see the core's exit gate); a second
    SIGTERM during that wait ends it at once.

    echoscp binds no handler itself; one is added here to have something to wait for."""
    script = textwrap.dedent(
        """
        import sys, time
        from fastdimse import evt
        import fastdimse.ae
        original = fastdimse.ae.AE.start_server

        def slow_echo(event):
            print("HANDLER RUNNING", flush=True)
            time.sleep(60)
            return 0

        def start_server(self, address, **kwargs):
            kwargs["evt_handlers"] = [(evt.EVT_C_ECHO, slow_echo)]
            return original(self, address, **kwargs)

        fastdimse.ae.AE.start_server = start_server
        from fastdimse.apps.echoscp import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    port = free_port()
    child = Child(["-c", script, "-d", "--bind-address", "127.0.0.1", str(port)])
    children.append(child)
    child.wait_for("Server listening on")
    with RawPeer(port) as peer:
        peer.associate()
        peer.send(echo_rq_pdata())
        child.wait_for("HANDLER RUNNING")
        child.proc.send_signal(signal.SIGTERM)
        child.wait_for("Terminated (SIGTERM), shutting down")
        # Printed by the exit gate after a second of waiting: still alive, waiting.
        child.wait_for("waiting for 1 event handler(s) to return before exiting")
        assert child.proc.poll() is None
        rc = child.stop_within(signal.SIGTERM, PROMPT)
    assert rc == -signal.SIGTERM, "".join(child.output)


def _pid_namespace_prefix() -> List[str]:
    """`unshare` arguments that run a command as process 1 of a new PID namespace, or []."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    # --kill-child: the process inside goes too if the test kills unshare.
    prefix = [unshare, "--pid", "--fork", "--kill-child"]
    prefix += [] if os.geteuid() == 0 else ["--map-root-user"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else []


def test_echoscp_as_process_1_exits_143_on_sigterm(children: List[Child]) -> None:
    """Process 1 of a PID namespace (a container's main process) is not ended by a signal
    it does not handle, so echoscp cannot die by SIGTERM there: it exits with 143, the
    status a shell would show, after the same clean shutdown."""
    prefix = _pid_namespace_prefix()
    if not prefix:
        pytest.skip("cannot create a PID namespace here (unshare)")
    port = free_port()
    argv = ["-m", "fastdimse", "echoscp", "-v", "--bind-address", "127.0.0.1", str(port)]
    child = Child(argv, prefix)
    children.append(child)
    deadline = time.monotonic() + READY_TIMEOUT
    while True:  # -v does not log "Server listening on": wait for the port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "".join(child.output)
            time.sleep(0.05)
    with RawPeer(port) as peer:
        peer.associate()
        # unshare --fork waits for its child, which is process 1 inside: signal that one.
        pid = child.proc.pid
        inner = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(inner) == 1, inner
        os.kill(int(inner[0]), signal.SIGTERM)
        rc = child.proc.wait(PROMPT + 5)
        pdus = peer.recv_until_closed(PROMPT)
        assert [p[0] for p in pdus] == [0x07], [p.hex() for p in pdus]
    child._reader.join(5.0)
    out = "".join(child.output)
    assert rc == 143, out
    assert "Terminated (SIGTERM), shutting down" in out
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
