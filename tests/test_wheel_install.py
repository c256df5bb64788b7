"""The wheel that ships, installed as a user would: into a clean venv of each other CPython
the machine has, with no Rust toolchain on PATH, pydicom from PyPI, then an echo round trip
between that venv's `python -m fastdimse echoscp` and `python -m fastdimse echoscu`.

The wheel is the one scripts/build.sh (through scripts/wheel.sh) left in target/wheels: the
same file the rest of the suite runs installed. Each version costs a venv and a pip install
(a few seconds with pip's cache)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
# The versions the classifiers name; the running interpreter is covered by the rest of the
# suite, so this test takes the others.
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
# No cargo, rustc or ~/.cargo/bin: what a user without Rust has.
CLEAN_PATH = "/usr/bin:/bin"


def shipped_wheel() -> Path:
    wheels = sorted((ROOT / "target" / "wheels").glob("fastdimse-*-cp39-abi3-manylinux2014_*.whl"))
    if not wheels:
        pytest.fail("no manylinux2014 wheel in target/wheels: run scripts/build.sh first")
    return wheels[-1]


def interpreter(version: str) -> Path:
    """The pyenv CPython of `version` (the newest patch release installed)."""
    found = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"CPython {version} is not installed under {PYENV}")
    return found[-1]


def clean_env() -> dict:
    env = {"PATH": CLEAN_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    for key in ("PIP_INDEX_URL", "PIP_CACHE_DIR", "PIP_CERT", "SSL_CERT_FILE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run(argv: List[str], timeout: float = 120) -> str:
    proc = subprocess.run(
        argv, env=clean_env(), capture_output=True, text=True, timeout=timeout, cwd="/"
    )
    assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


RUNNING = "{}.{}".format(*sys.version_info[:2])


@pytest.mark.parametrize("version", [v for v in VERSIONS if v != RUNNING])
def test_wheel_round_trip_in_clean_venv(version: str, tmp_path: Path) -> None:
    wheel = shipped_wheel()
    python = interpreter(version)
    assert shutil.which("cargo", path=CLEAN_PATH) is None
    assert shutil.which("rustc", path=CLEAN_PATH) is None

    venv = tmp_path / "venv"
    run([str(python), "-m", "venv", str(venv)])
    vpy = str(venv / "bin" / "python")
    run([vpy, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)])
    out = run([vpy, "-c", "import fastdimse, sys; print(fastdimse.__file__, sys.version)"])
    assert str(venv) in out

    scp = subprocess.Popen(
        [vpy, "-m", "fastdimse", "echoscp", "-d", "-ba", "127.0.0.1", "0"],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd="/",
    )
    try:
        # The SCP logs its bound address with -d; the port is the OS's choice (0).
        found = threading.Event()
        lines: List[str] = []

        def read() -> None:
            assert scp.stdout is not None
            for line in scp.stdout:
                lines.append(line)
                if "Listening on 127.0.0.1:" in line:
                    found.set()
            found.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert found.wait(30), lines
        listening = [line for line in lines if "Listening on 127.0.0.1:" in line]
        assert listening, "".join(lines)
        port = listening[0].strip().rsplit(":", 1)[1]
        out = run([vpy, "-m", "fastdimse", "echoscu", "127.0.0.1", port, "-v"], timeout=30)
        assert "Received Echo Response (Status: Success)" in out, out
    finally:
        scp.terminate()
        try:
            scp.wait(10)
        except subprocess.TimeoutExpired:
            scp.kill()
            scp.wait(10)
