"""Every code block of README.md and docs/*.md runs as written, so the docs stay true.

- Each fenced ``python`` block runs in its own interpreter against a fastdimse SCP this test
  starts on a free port: the port ``11112`` in a block is rewritten to that port (blocks are
  written as a user types them, for an SCP on the default port of the README).
- A block that starts a blocking server (``start_server(`` without ``block=False``) gets a
  free port of its own, runs in a subprocess, must answer a C-ECHO with Success, and is
  stopped.
- In ``bash`` blocks, every ``python -m fastdimse ...`` line runs: ``echoscu`` lines against
  the test's SCP (none may fail to parse, exit 2, or print a traceback without ``-d``; those
  aimed at ``127.0.0.1 11112`` must exit 0);
  ``echoscp`` lines on a port of their own, answered with an echo, then stopped. Other
  lines (``pip``, ``./scripts/...``, DCMTK) are not run here.
- A block preceded by ``<!-- not run: REASON -->`` is not run; the reason is required.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
DOC_PORT = "11112"
VERIFICATION = "1.2.840.10008.1.1"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
NOT_RUN = re.compile(r"<!--\s*not run:\s*(\S.*?)\s*-->\s*$")
TIMEOUT = 30.0


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    code: str
    not_run: Optional[str]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> List[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(lang: str) -> List[Block]:
    found = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) != lang:
                continue
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = NOT_RUN.search(before)
            line = text.count("\n", 0, match.start()) + 1
            found.append(
                Block(path, line, lang, match.group(2), marker.group(1) if marker else None)
            )
    return found


def fastdimse_lines() -> List[Any]:
    params = []
    for block in blocks("bash"):
        for offset, raw in enumerate(block.code.splitlines(), start=1):
            if re.match(r"\s*python3? -m fastdimse\b", raw):
                marks = [pytest.mark.skip(reason=block.not_run)] if block.not_run else []
                params.append(pytest.param(raw, id=f"{block.id}+{offset}", marks=marks))
    return params


def python_blocks() -> List[Any]:
    return [
        pytest.param(b, id=b.id, marks=[pytest.mark.skip(reason=b.not_run)] if b.not_run else [])
        for b in blocks("python")
    ]


@pytest.fixture(scope="module")
def scp_port() -> Iterator[int]:
    """A fastdimse SCP for the blocks' SCUs (it grants asynchronous operations windows)."""
    from fastdimse import AE

    ae = AE(ae_title="DOCS-SCP")
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    yield int(server.server_address[1])
    server.shutdown()


def env() -> dict:
    # Run the installed package from a neutral directory: not python/ of the checkout.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def echo_ok(port: int) -> bool:
    """One C-ECHO to 127.0.0.1:`port`, answered with Success?"""
    from fastdimse import AE

    ae = AE(ae_title="DOCS-SCU")
    ae.acse_timeout = 5
    ae.dimse_timeout = 5
    ae.add_requested_context(VERIFICATION)
    assoc = ae.associate("127.0.0.1", port)
    if not assoc.is_established:
        return False
    status = assoc.send_c_echo()
    assoc.release()
    return status is not None and status.Status == 0x0000


def wait_listening(proc: subprocess.Popen, port: int, timeout: float = TIMEOUT) -> bool:
    """Whether `proc` listens on `port` within `timeout` (False once it has exited).

    A child's readiness has no event to await from here, so this connects until it can."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    out, _ = proc.communicate()
    return out or ""


def run_server(argv: List[str], port: int) -> None:
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env(), cwd="/"
    )
    try:
        listening = wait_listening(proc, port)
        answered = listening and echo_ok(port)
    finally:
        out = stop(proc)
    assert listening, f"{argv}: never listened on {port}\n{out}"
    assert answered, f"{argv}: no Success answer on {port}\n{out}"


def is_blocking_server(code: str) -> bool:
    return "start_server(" in code and "block=False" not in code


@pytest.mark.parametrize("block", python_blocks())
def test_python_block_runs(block: Block, scp_port: int) -> None:
    if is_blocking_server(block.code):
        port = free_port()
        code = block.code.replace(DOC_PORT, str(port))
        run_server([sys.executable, "-c", code], port)
        return
    code = block.code.replace(DOC_PORT, str(scp_port))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env(),
        cwd="/",
    )
    assert proc.returncode == 0, f"{block.id} failed:\n{proc.stdout}\n{proc.stderr}"


@pytest.mark.parametrize("line", fastdimse_lines())
def test_bash_fastdimse_line_runs(line: str, scp_port: int) -> None:
    argv = shlex.split(line, comments=True)
    assert argv[:3] in (["python", "-m", "fastdimse"], ["python3", "-m", "fastdimse"]), argv
    argv[0] = sys.executable
    app = argv[3] if len(argv) > 3 else ""
    if app == "echoscp":
        port = free_port()
        run_server([a.replace(DOC_PORT, str(port)) for a in argv], port)
        return
    at_doc_scp = "127.0.0.1" in argv and DOC_PORT in argv
    argv = [a.replace(DOC_PORT, str(scp_port)) for a in argv]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT, env=env(), cwd="/"
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 2, f"{line}: arguments rejected\n{output}"
    if "-d" not in argv:
        assert "Traceback" not in output, f"{line}:\n{output}"
    if app == "echoscu" and at_doc_scp:
        # Against a live SCP that answers Success, the documented command succeeds. (A line
        # aimed elsewhere, showing a failure, need only parse and not crash.)
        assert proc.returncode == 0, f"{line}: exit {proc.returncode}\n{output}"


def test_every_block_is_found() -> None:
    """The extraction sees the README's blocks (a broken fence pattern would run none)."""
    assert len(blocks("python")) >= 5
    assert len(fastdimse_lines()) >= 4
    unmarked_reasons = [b.id for b in blocks("python") + blocks("bash") if b.not_run == ""]
    assert not unmarked_reasons
