"""The command-line apps run for real: ``python -m fastdimse echoscp|echoscu`` as subprocesses,
against DCMTK's echoscu, pynetdicom's echoscp app and in-process fastdimse servers.

Exit codes are pynetdicom's (echoscu: 0 once associated, 1 if no association); ``--json`` prints
one object per echo.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import fastdimse
import pytest
from fastdimse import AE, evt
from pydicom.dataset import Dataset
from rawpeer import RawPeer, ac_results, associate_rq

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
ENV = {**os.environ, "TCP_NODELAY": "1", "PYTHONUNBUFFERED": "1"}


def dcmtk_echoscu() -> Optional[str]:
    """DCMTK's echoscu (pynetdicom installs a console script of the same name)."""
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin"]:
        path = os.path.join(directory, "echoscu")
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if "$dcmtk:" in out.stdout + out.stderr:
            return path
    return None


DCMTK_ECHOSCU = dcmtk_echoscu()


def run_echoscu(*args: str, timeout: float = 20) -> Tuple[int, str, str]:
    """Run ``python -m fastdimse echoscu``; return (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", "echoscu", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )
    return proc.returncode, proc.stdout, proc.stderr


def json_lines(out: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppProcess:
    """A long-running app subprocess whose stderr is read line by line by a thread."""

    def __init__(self, argv: List[str], env: Optional[Dict[str, str]] = None) -> None:
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env or ENV
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10) -> Optional[str]:
        """The first output line matching `predicate`, waiting for it (None on timeout or exit)."""
        found: List[str] = []

        def check() -> bool:
            found[:] = [line for line in self.lines if predicate(line)]
            return bool(found) or self.proc.poll() is not None

        with self._cond:
            self._cond.wait_for(check, timeout)
            found[:] = [line for line in self.lines if predicate(line)]
        return found[0] if found else None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        return int(self.proc.returncode)


@pytest.fixture
def apps() -> Iterator[List[AppProcess]]:
    started: List[AppProcess] = []
    yield started
    for app in started:
        app.stop(signal.SIGKILL)


def start_echoscp(
    apps: List[AppProcess], *options: str, env: Optional[Dict[str, str]] = None
) -> Tuple[AppProcess, int]:
    """Start our echoscp on an OS-chosen port (port 0); returns (process, port)."""
    app = AppProcess(
        [sys.executable, "-m", "fastdimse", "echoscp", "-d", "-ba", "127.0.0.1", *options, "0"],
        env=env,
    )
    apps.append(app)
    line = app.wait_for(lambda line: "Listening on 127.0.0.1:" in line)
    assert line is not None, app.lines
    return app, int(line.rsplit(":", 1)[1])


@pytest.fixture
def server() -> Iterator[Callable[..., Any]]:
    servers: List[Any] = []

    def start(handlers: Optional[list] = None, **settings: Any) -> Any:
        ae = AE(ae_title="OURSCP")
        ae.add_supported_context(VERIFICATION, [IMPLICIT, EXPLICIT_LITTLE, EXPLICIT_BIG])
        for key, value in settings.items():
            setattr(ae, key, value)
        srv = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers or [])
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.shutdown()


class Seen:
    """What an in-process server saw of the app's associations."""

    def __init__(self, answer: Callable[[Any], Any] = lambda event: 0x0000) -> None:
        self.answer = answer
        self.accepted: List[Dict[str, Any]] = []
        self.echoes: List[Tuple[int, str]] = []
        self.aborted = threading.Event()
        self.released = threading.Event()
        self.rejected = threading.Event()

    def on_accepted(self, event: Any) -> None:
        a = event.assoc
        self.accepted.append(
            {
                "calling": a.requestor.ae_title,
                "peer_max": a.requestor.maximum_length,
                "contexts": [
                    (c.abstract_syntax, c.transfer_syntax[0]) for c in a.accepted_contexts
                ],
            }
        )

    def on_echo(self, event: Any) -> Any:
        self.echoes.append((event.message_id, event.context.transfer_syntax))
        return self.answer(event)

    def handlers(self) -> list:
        return [
            (evt.EVT_ACCEPTED, self.on_accepted),
            (evt.EVT_C_ECHO, self.on_echo),
            (evt.EVT_ABORTED, lambda e: self.aborted.set()),
            (evt.EVT_RELEASED, lambda e: self.released.set()),
            (evt.EVT_REJECTED, lambda e: self.rejected.set()),
        ]


# ---------------------------------------------------------------------------------------------
# echoscp as a subprocess


@pytest.mark.skipif(DCMTK_ECHOSCU is None, reason="DCMTK echoscu is not installed")
def test_echoscp_answers_dcmtk_echoscu(apps: List[AppProcess]) -> None:
    app, port = start_echoscp(apps)
    assert DCMTK_ECHOSCU is not None
    proc = subprocess.run(
        [DCMTK_ECHOSCU, "-v", "--repeat", "3", "-aec", "ECHOSCP", "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=20,
        env=ENV,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert out.count("Received Echo Response (Success)") == 3
    assert "Releasing Association" in out
    assert app.wait_for(lambda line: "Received Echo Request (MsgID 3)" in line) is not None
    assert app.stop(signal.SIGTERM) == -signal.SIGTERM


def test_echoscp_answers_our_echoscu_and_stops_on_ctrl_c(apps: List[AppProcess]) -> None:
    app, port = start_echoscp(apps, "-aet", "MYSCP")
    code, out, err = run_echoscu("127.0.0.1", str(port), "-aec", "MYSCP", "--repeat", "3", "--json")
    assert code == 0, err
    records = json_lines(out)
    assert [(r["echo"], r["message_id"], r["status"], r["category"]) for r in records] == [
        (1, 1, 0, "Success"),
        (2, 2, 0, "Success"),
        (3, 3, 0, "Success"),
    ]
    assert all(r["status_hex"] == "0x0000" and r["latency_ms"] >= 0 for r in records)
    assert all(
        (r["addr"], r["port"], r["called_aet"]) == ("127.0.0.1", port, "MYSCP") for r in records
    )
    assert app.wait_for(lambda line: "Association Released" in line) is not None
    # Ctrl-C stops the blocking server cleanly.
    assert app.stop(signal.SIGINT) == 0
    assert not any("Traceback" in line for line in app.lines), app.lines


@pytest.mark.parametrize("setting", ["0", "30", "fast"])
def test_the_polling_ceiling_setting_changes_no_answer(
    apps: List[AppProcess], setting: str
) -> None:
    """FASTDIMSE_SPIN_US (rust/net/spin.rs) on both sides: off, short, or not a number (which
    is reported, and the default used); the echoes are answered the same."""
    env = {**ENV, "FASTDIMSE_SPIN_US": setting}
    app, port = start_echoscp(apps, env=env)
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", "echoscu", "-d", "127.0.0.1", str(port)]
        + ["--repeat", "50", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert [r["status"] for r in json_lines(proc.stdout)] == [0] * 50
    wait = 2.0 if setting == "fast" else 0.2
    warned = app.wait_for(lambda line: "FASTDIMSE_SPIN_US" in line, timeout=wait)
    if setting == "fast":
        assert warned is not None and "'fast'" not in warned and '"fast"' in warned, app.lines
        assert "using 100" in warned
        assert 'W: FASTDIMSE_SPIN_US="fast" is not a whole number' in proc.stderr
    else:
        assert warned is None, warned
        assert "FASTDIMSE_SPIN_US" not in proc.stderr
    assert app.stop(signal.SIGTERM) == -signal.SIGTERM


def test_echoscp_implicit_only_refuses_other_transfer_syntaxes(apps: List[AppProcess]) -> None:
    app, port = start_echoscp(apps, "-xi")
    code, out, err = run_echoscu("127.0.0.1", str(port), "-xe", "--json")
    # The only proposed context is rejected (transfer syntax not supported): no usable
    # association, exit code 1 as pynetdicom's echoscu.
    assert code == 1, (out, err)
    (record,) = json_lines(out)
    assert record["status"] is None and record["echo"] is None
    code, out, err = run_echoscu("127.0.0.1", str(port), "-xi", "--json")
    assert code == 0, err
    assert json_lines(out)[0]["status"] == 0
    assert app.stop(signal.SIGTERM) == -signal.SIGTERM


def test_echoscp_serves_64_concurrent_associations(apps: List[AppProcess]) -> None:
    """pynetdicom's echoscp rejects an eleventh concurrent association (the AE's default
    limit of 10); ours serves 64 monitors at once by default."""
    _, port = start_echoscp(apps)
    ae = AE(ae_title="MONITOR")
    ae.add_requested_context(VERIFICATION)
    held = [ae.associate("127.0.0.1", port, ae_title="ECHOSCP") for _ in range(64)]
    try:
        assert [a.is_established for a in held] == [True] * 64
        assert [a.send_c_echo().Status for a in held] == [0x0000] * 64
    finally:
        for a in held:
            a.release()


def test_echoscp_max_associations_rejects_2_3_2(apps: List[AppProcess]) -> None:
    _, port = start_echoscp(apps, "--max-associations", "2")
    with RawPeer(port) as first, RawPeer(port) as second:
        assert ac_results(first.associate()) == [(1, 0)]
        assert ac_results(second.associate()) == [(1, 0)]
        with RawPeer(port) as third:
            third.send(associate_rq())
            # A-ASSOCIATE-RJ: rejected-transient (2), service-provider presentation (3),
            # local-limit-exceeded (2).
            assert third.recv_pdu() == bytes.fromhex("03000000000400020302")


@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_echoscp_max_associations_must_be_a_positive_number(value: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", "echoscp", "--max-associations", value, "0"],
        capture_output=True,
        text=True,
        timeout=20,
        env=ENV,
    )
    assert proc.returncode == 2
    assert "--max-associations" in proc.stderr and value in proc.stderr


# ---------------------------------------------------------------------------------------------
# echoscu against in-process servers


def test_echoscu_no_association_exit_code() -> None:
    port = unused_port()
    code, out, err = run_echoscu("127.0.0.1", str(port))
    assert code == 1
    assert out == ""
    assert "Association request failed: unable to connect to remote" in err
    code, out, err = run_echoscu("127.0.0.1", str(port), "--json")
    assert code == 1
    (record,) = json_lines(out)
    assert (record["port"], record["echo"], record["status"], record["latency_ms"]) == (
        port,
        None,
        None,
        None,
    )
    assert record["error"]


def test_echoscu_called_and_calling_aet(server: Callable[..., Any]) -> None:
    seen = Seen()
    srv = server(seen.handlers(), require_called_aet=True, require_calling_aet=["ME"])
    port = str(srv.server_address[1])

    code, out, _ = run_echoscu("127.0.0.1", port, "-aet", "ME", "-aec", "WRONG", "--json")
    assert code == 1
    assert json_lines(out)[0]["error"] == "association rejected"
    assert seen.rejected.wait(2)

    code, out, _ = run_echoscu("127.0.0.1", port, "-aet", "SOMEONE", "-aec", "OURSCP", "--json")
    assert code == 1
    assert json_lines(out)[0]["error"] == "association rejected"

    code, out, err = run_echoscu("127.0.0.1", port, "-aet", "ME", "-aec", "OURSCP", "--json")
    assert code == 0, err
    assert json_lines(out)[0]["status"] == 0
    assert [a["calling"] for a in seen.accepted] == ["ME"]
    assert seen.released.wait(2)


def test_echoscu_abort(server: Callable[..., Any]) -> None:
    seen = Seen()
    srv = server(seen.handlers())
    code, _, err = run_echoscu("127.0.0.1", str(srv.server_address[1]), "--abort", "--repeat", "2")
    assert code == 0, err
    assert seen.aborted.wait(2)
    assert not seen.released.is_set()
    assert [m for m, _ in seen.echoes] == [1, 2]


def test_echoscu_statuses_in_json(server: Callable[..., Any]) -> None:
    def answer(event: Any) -> Any:
        if event.message_id == 2:
            ds = Dataset()
            ds.Status = 0x0210
            ds.ErrorComment = "duplicate"
            return ds
        if event.message_id == 3:
            return 0xB000
        return 0x0000

    seen = Seen(answer)
    srv = server(seen.handlers())
    code, out, err = run_echoscu("127.0.0.1", str(srv.server_address[1]), "--repeat", "4", "--json")
    # Non-Success statuses do not change the exit code (as pynetdicom's echoscu).
    assert code == 0, err
    records = json_lines(out)
    assert [(r["message_id"], r["status"], r["category"]) for r in records] == [
        (1, 0x0000, "Success"),
        (2, 0x0210, "Failure"),
        (3, 0xB000, "Warning"),
        (4, 0x0000, "Success"),
    ]
    assert records[1]["error_comment"] == "duplicate" and records[1]["status_hex"] == "0x0210"
    assert "error_comment" not in records[0]
    assert [m for m, _ in seen.echoes] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "options, syntax",
    [([], IMPLICIT), (["-xi"], IMPLICIT), (["-xe"], EXPLICIT_LITTLE), (["-xb"], EXPLICIT_BIG)],
    ids=["default", "-xi", "-xe", "-xb"],
)
def test_echoscu_transfer_syntax_and_pdu_options(
    server: Callable[..., Any], options: List[str], syntax: str
) -> None:
    seen = Seen()
    # The server prefers Implicit VR: without an option echoscu proposes Explicit VR Little
    # Endian first, but the acceptor's order of preference decides.
    srv = server(seen.handlers())
    srv_port = str(srv.server_address[1])
    code, _, err = run_echoscu(
        "127.0.0.1", srv_port, *options, "-pdu", "4096", "-ta", "5", "-td", "5"
    )
    assert code == 0, err
    assert seen.accepted == [
        {"calling": "ECHOSCU", "peer_max": 4096, "contexts": [(VERIFICATION, syntax)]}
    ]
    assert seen.echoes == [(1, syntax)]


def test_echoscu_verbose_logs_pynetdicom_wording(server: Callable[..., Any]) -> None:
    srv = server()
    code, out, err = run_echoscu("127.0.0.1", str(srv.server_address[1]), "-v")
    assert code == 0
    for text in (
        "I: Requesting Association",
        "I: Association Accepted",
        "I: Sending Echo Request: MsgID 1",
        "I: Received Echo Response (Status: Success)",
        "I: Releasing Association",
    ):
        assert text in err, err


def test_echoscu_against_pynetdicom_echoscp_app(apps: List[AppProcess]) -> None:
    pytest.importorskip("pynetdicom")
    port = unused_port()
    app = AppProcess([sys.executable, "-m", "pynetdicom", "echoscp", "-v", str(port)])
    apps.append(app)
    # pynetdicom's echoscp prints nothing when it starts listening: connect until it accepts
    # (a connection closed before any PDU is harmless to it).
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except ConnectionRefusedError:
            assert app.proc.poll() is None and time.monotonic() < deadline, app.lines
            time.sleep(0.02)  # no readiness signal exists; bounded by the deadline
    code, out, err = run_echoscu("127.0.0.1", str(port), "--repeat", "2", "--json")
    assert code == 0, err
    assert [(r["message_id"], r["status"]) for r in json_lines(out)] == [(1, 0), (2, 0)]
    assert app.wait_for(lambda line: "Received Echo Request" in line) is not None


def test_dispatcher_and_versions() -> None:
    for argv, expected in (
        (["--version"], fastdimse.__version__),
        (["echoscu", "--version"], f"echoscu.py v{fastdimse.__version__}"),
        (["echoscp", "--version"], f"echoscp.py v{fastdimse.__version__}"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "fastdimse", *argv],
            capture_output=True,
            text=True,
            timeout=20,
            env=ENV,
        )
        assert (proc.returncode, proc.stdout.strip()) == (0, expected)
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", "nope"],
        capture_output=True,
        text=True,
        timeout=20,
        env=ENV,
    )
    assert proc.returncode == 2 and "unknown app 'nope'" in proc.stderr
