"""Child processes of the benchmark: started in their own process group, always stopped.

Every child gets its own session (so a group kill reaches its children too) and
PR_SET_PDEATHSIG, so it dies with the runner even if the runner is killed with SIGKILL.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import socket
import subprocess
import time
from typing import IO, Dict, List, Optional, Sequence

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _child_setup() -> None:
    # Runs in the child between fork and exec.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Return once 127.0.0.1:port accepts a connection; raise if `proc` died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{proc.args!r} did not listen on {port} within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process `pid` (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """VmRSS of process `pid` in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class Procs:
    """The set of live children; `stop_all` ends every one of them."""

    def __init__(self) -> None:
        self._live: List[subprocess.Popen] = []

    def start(
        self,
        argv: Sequence[str],
        env: Optional[Dict[str, str]] = None,
        stdin: Optional[int] = subprocess.PIPE,
        stdout: Optional[int] = subprocess.PIPE,
        stderr: Optional[int] = subprocess.DEVNULL,
        cwd: Optional[str] = None,
    ) -> subprocess.Popen:
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        proc = subprocess.Popen(
            list(argv),
            env=full_env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            text=True,
            start_new_session=True,
            preexec_fn=_child_setup,
        )
        self._live.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 3.0) -> None:
        """SIGTERM the child's process group, SIGKILL it after `grace` seconds."""
        if proc in self._live:
            self._live.remove(proc)
        for stream in (proc.stdin,):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (e.g. a forked storescp child).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdout, proc.stderr):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass

    def stop_all(self) -> None:
        for proc in list(reversed(self._live)):
            self.stop(proc, grace=2.0)

    def run_json(
        self, argv: Sequence[str], timeout: float, env: Optional[Dict[str, str]] = None
    ) -> dict:
        """Run a client to completion and parse the JSON object on its last stdout line."""
        proc = self.start(argv, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            return {
                "ok": 0,
                "failed": 1,
                "secs": timeout,
                "error": f"client timed out after {timeout} s",
            }
        finally:
            if proc in self._live:
                self._live.remove(proc)
        lines = [line for line in (out or "").splitlines() if line.startswith("{")]
        if not lines:
            tail = (err or "").strip().splitlines()[-3:]
            return {
                "ok": 0,
                "failed": 1,
                "secs": 0.0,
                "error": f"exit {proc.returncode}: {' | '.join(tail)}",
            }
        return json.loads(lines[-1])

    def run_timed(
        self, argv: Sequence[str], timeout: float, env: Optional[Dict[str, str]] = None
    ) -> Optional[float]:
        """Run a command to completion; its wall time in seconds, or None if it failed."""
        t0 = time.perf_counter()
        proc = self.start(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            return None
        finally:
            if proc in self._live:
                self._live.remove(proc)
        elapsed = time.perf_counter() - t0
        return elapsed if rc == 0 else None


def read_json_line(stream: IO[str], timeout: float) -> dict:
    """Read lines from a child's stdout until a JSON object arrives (bounded in time)."""
    import selectors

    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise RuntimeError(f"no result line within {timeout} s")
            line = stream.readline()
            if not line:
                raise RuntimeError("the child closed its output without a result line")
            if line.startswith("{"):
                return json.loads(line)
    finally:
        sel.close()
