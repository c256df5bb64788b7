"""The apps over TLS: the README's four TLS commands run as written (in a temporary
directory, on a free port), and the apps' TLS options on bad input."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
    pytest.mark.timeout(60),
]


def readme_tls_block() -> list:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### TLS") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def _run(line: str, cwd: Path, port: int) -> subprocess.CompletedProcess:
    argv = shlex.split(line.replace("2762", str(port)))
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30)


def _wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "echoscp did not start"
            time.sleep(0.05)


def test_the_readme_tls_commands_run_as_written(tmp_path: Path) -> None:
    ca, leaf, scp, scu = readme_tls_block()
    port = free_port()
    for line in (ca, leaf):
        out = _run(line, tmp_path, port)
        assert out.returncode == 0, out.stderr
    assert scp.endswith(" &")
    argv = shlex.split(scp[:-2].replace("2762", str(port)))
    argv[0] = sys.executable
    server = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_listening(port)
        out = _run(scu, tmp_path, port)
        assert out.returncode == 0, out.stderr
        assert "Received Echo Response (Status: Success)" in out.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
    # Ended by the SIGTERM it was sent (after its clean shutdown), not by an error.
    assert server.returncode == -signal.SIGTERM, server.stderr.read() if server.stderr else ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["+tls", "missing.key", "missing.pem", "+cf", "ca.pem"], "cannot read 'missing.key'"),
        (["+cf", "ca.pem"], "TLS options need +tls KEY CERT"),
        (["+tls", "k", "c"], "cannot read 'k'"),
    ],
)
def test_tls_options_on_bad_input_give_one_line(tmp_path: Path, args: list, message: str) -> None:
    (tmp_path / "ca.pem").write_text("x")
    out = subprocess.run(
        [sys.executable, "-m", "fastdimse", "echoscu", "127.0.0.1", "2", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=30,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert message in out.stderr, out.stderr
