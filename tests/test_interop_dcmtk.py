"""Interoperability with DCMTK, both directions, on loopback.

DCMTK ``echoscu`` -> our SCP (in-process AE server): plain echo, ``--repeat``, small PDU
sizes on both sides, a 128-context proposal, ``--abort``, non-Success statuses, rejections.
Our SCU -> DCMTK ``storescp`` (which serves Verification): Success, clean release, ``--refuse``.

The DCMTK binaries are found by their ``--version`` banner, since pynetdicom installs console
scripts of the same names (``echoscu``, ``storescp``...) that may shadow them on PATH.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from conftest import assert_window_kept_synchronous
from fastdimse import AE, evt
from pydicom.dataset import Dataset

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
DCMTK_ENV = {**os.environ, "TCP_NODELAY": "1"}


def dcmtk_tool(name: str) -> Optional[str]:
    """The DCMTK binary called `name` on PATH (or in /usr/bin), skipping look-alikes."""
    candidates = []
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/bin"]:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK) and path not in candidates:
            candidates.append(path)
    for path in candidates:
        try:
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=10, env=DCMTK_ENV
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if "$dcmtk:" in out.stdout + out.stderr:
            return path
    return None


ECHOSCU = dcmtk_tool("echoscu")
STORESCP = dcmtk_tool("storescp")
needs_echoscu = pytest.mark.skipif(ECHOSCU is None, reason="DCMTK echoscu is not installed")
needs_storescp = pytest.mark.skipif(STORESCP is None, reason="DCMTK storescp is not installed")


def run_echoscu(port: int, *options: str, timeout: float = 20) -> Tuple[int, str]:
    """Run DCMTK echoscu against 127.0.0.1:`port`; return (exit code, stdout + stderr)."""
    assert ECHOSCU is not None
    proc = subprocess.run(
        [ECHOSCU, "-ta", "5", "-td", "5", *options, "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=DCMTK_ENV,
    )
    return proc.returncode, proc.stdout + proc.stderr


def status_ds(code: int, comment: Optional[str] = None) -> Dataset:
    ds = Dataset()
    ds.Status = code
    if comment is not None:
        ds.ErrorComment = comment
    return ds


class Recorder:
    """Handlers for our SCP that record what they saw."""

    def __init__(self, answer: Any = 0x0000) -> None:
        self.answer = answer
        self.echoes: List[Tuple[int, int, str, str]] = []
        self.accepted: List[Dict[str, Any]] = []
        self.rejected = threading.Event()
        self.aborted = threading.Event()
        self.aborted_state: List[Tuple[bool, bool]] = []
        self.released = threading.Event()
        self.closed = threading.Event()

    def on_echo(self, event: Any) -> Any:
        ctx = event.context
        self.echoes.append(
            (event.message_id, ctx.context_id, ctx.abstract_syntax, ctx.transfer_syntax)
        )
        return self.answer

    def on_accepted(self, event: Any) -> None:
        assoc = event.assoc
        self.accepted.append(
            {
                "accepted": [
                    (c.context_id, c.abstract_syntax, c.result) for c in assoc.accepted_contexts
                ],
                "rejected": [(c.context_id, c.result) for c in assoc.rejected_contexts],
                "our_max": assoc.acceptor.maximum_length,
                "peer_max": assoc.requestor.maximum_length,
                "peer_aet": assoc.requestor.ae_title,
            }
        )

    def on_aborted(self, event: Any) -> None:
        self.aborted_state.append((event.assoc.is_aborted, event.assoc.is_released))
        self.aborted.set()

    def handlers(self) -> list:
        return [
            (evt.EVT_C_ECHO, self.on_echo),
            (evt.EVT_ACCEPTED, self.on_accepted),
            (evt.EVT_REJECTED, lambda e: self.rejected.set()),
            (evt.EVT_ABORTED, self.on_aborted),
            (evt.EVT_RELEASED, lambda e: self.released.set()),
            (evt.EVT_CONN_CLOSE, lambda e: self.closed.set()),
        ]


@pytest.fixture
def our_scp() -> Iterator[Callable[..., Tuple[int, Recorder]]]:
    """Start our SCP with a Recorder's handlers; returns (port, recorder)."""
    servers: List[Any] = []

    def start(
        answer: Any = 0x0000, syntaxes: Optional[List[str]] = None, **settings: Any
    ) -> Tuple[int, Recorder]:
        ae = AE(ae_title="OURSCP")
        ae.add_supported_context(VERIFICATION, syntaxes or [IMPLICIT])
        ae.acse_timeout = 5
        ae.dimse_timeout = 5
        ae.network_timeout = 5
        for key, value in settings.items():
            setattr(ae, key, value)
        recorder = Recorder(answer)
        server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=recorder.handlers())
        servers.append(server)
        return server.server_address[1], recorder

    yield start
    for server in servers:
        server.shutdown()


# ---------------------------------------------------------------------------------------------
# DCMTK echoscu -> our SCP


@needs_echoscu
def test_echoscu_plain_echo(our_scp: Callable[..., Tuple[int, Recorder]]) -> None:
    port, rec = our_scp()
    code, out = run_echoscu(port, "-v", "-aet", "DCMTKSCU", "-aec", "OURSCP")
    assert code == 0, out
    assert "Received Echo Response (Success)" in out
    assert "Releasing Association" in out
    assert rec.echoes == [(1, 1, VERIFICATION, IMPLICIT)]
    assert len(rec.accepted) == 1
    assert rec.accepted[0]["peer_aet"] == "DCMTKSCU"
    assert rec.accepted[0]["accepted"] == [(1, VERIFICATION, 0)]
    assert rec.released.wait(2)
    assert not rec.aborted.is_set()


@needs_echoscu
def test_echoscu_repeat_five(our_scp: Callable[..., Tuple[int, Recorder]]) -> None:
    port, rec = our_scp()
    code, out = run_echoscu(port, "-v", "--repeat", "5")
    assert code == 0, out
    assert out.count("Received Echo Response (Success)") == 5
    assert [e[0] for e in rec.echoes] == [1, 2, 3, 4, 5]
    assert len(rec.accepted) == 1  # one association, five requests


@needs_echoscu
@pytest.mark.parametrize("our_max, expected_pdv", [(64, 52), (100, 88), (4096, 4084)])
def test_echoscu_small_pdu_sizes(
    our_scp: Callable[..., Tuple[int, Recorder]], our_max: int, expected_pdv: int
) -> None:
    """echoscu announces its minimum (4096); we announce a small maximum, so DCMTK must
    fragment its C-ECHO-RQ command into several PDUs that our assembler rejoins."""
    port, rec = our_scp(maximum_pdu_size=our_max)
    code, out = run_echoscu(port, "-v", "-pdu", "4096")
    assert code == 0, out
    assert f"Association Accepted (Max Send PDV: {expected_pdv})" in out
    assert "Received Echo Response (Success)" in out
    assert rec.echoes == [(1, 1, VERIFICATION, IMPLICIT)]
    assert rec.accepted[0]["our_max"] == our_max
    assert rec.accepted[0]["peer_max"] == 4096


@needs_echoscu
def test_echoscu_128_context_proposal(our_scp: Callable[..., Tuple[int, Recorder]]) -> None:
    port, rec = our_scp(syntaxes=[EXPLICIT_LITTLE, IMPLICIT])
    code, out = run_echoscu(port, "-v", "-ppc", "128", "-pts", "38")
    assert code == 0, out
    assert "Received Echo Response (Success)" in out
    assert len(rec.accepted) == 1
    accepted = rec.accepted[0]["accepted"]
    assert [c[0] for c in accepted] == list(range(1, 256, 2))
    assert {c[1:] for c in accepted} == {(VERIFICATION, 0)}
    assert rec.accepted[0]["rejected"] == []
    assert len(rec.echoes) == 1
    # The acceptor's order of preference picks Explicit VR Little Endian.
    assert rec.echoes[0][3] == EXPLICIT_LITTLE


@needs_echoscu
def test_echoscu_abort(our_scp: Callable[..., Tuple[int, Recorder]]) -> None:
    port, rec = our_scp()
    code, out = run_echoscu(port, "-v", "--abort")
    assert code == 0, out
    assert "Aborting Association" in out
    assert rec.aborted.wait(2)
    assert rec.aborted_state == [(True, False)]
    assert not rec.released.is_set()
    assert [e[0] for e in rec.echoes] == [1]


@needs_echoscu
@pytest.mark.parametrize(
    "answer, shown, comment",
    [
        (0x0210, "Unknown Status: 0x210", None),
        (0x0122, "Unknown Status: 0x122", None),
        (status_ds(0xC000, "refused by test"), "Unknown Status: 0xc000", "refused by test"),
        (status_ds(0xB000, "warning here"), "Unknown Status: 0xb000", "warning here"),
    ],
    ids=["0x0210", "0x0122", "0xC000+comment", "0xB000+comment"],
)
def test_echoscu_non_success_status(
    our_scp: Callable[..., Tuple[int, Recorder]], answer: Any, shown: str, comment: Optional[str]
) -> None:
    port, rec = our_scp(answer=answer)
    code, out = run_echoscu(port, "-d")
    # echoscu's exit code only reflects association and network errors.
    assert code == 0, out
    assert f"Received Echo Response ({shown})" in out
    if comment is None:
        assert "ErrorComment" not in out
    else:
        assert f"(0000,0902) LO [{comment}]" in out
    assert len(rec.echoes) == 1


@needs_echoscu
@pytest.mark.parametrize(
    "settings, options, result_line, reason_line",
    [
        (
            {"require_called_aet": True},
            ["-aec", "SOMEONE"],
            "Result: Rejected Permanent, Source: Service User",
            "Reason: Called AE Title Not Recognized",
        ),
        (
            {"require_calling_aet": ["FRIEND"]},
            ["-aet", "STRANGER", "-aec", "OURSCP"],
            "Result: Rejected Permanent, Source: Service User",
            "Reason: Calling AE Title Not Recognized",
        ),
    ],
    ids=["called-1-1-7", "calling-1-1-3"],
)
def test_echoscu_rejected(
    our_scp: Callable[..., Tuple[int, Recorder]],
    settings: Dict[str, Any],
    options: List[str],
    result_line: str,
    reason_line: str,
) -> None:
    port, rec = our_scp(**settings)
    code, out = run_echoscu(port, "-v", *options)
    assert code == 1, out
    assert "Association Rejected" in out
    assert result_line in out
    assert reason_line in out
    assert rec.rejected.wait(2)
    assert rec.echoes == [] and rec.accepted == []


@needs_echoscu
def test_echoscu_association_limit(our_scp: Callable[..., Tuple[int, Recorder]]) -> None:
    port, rec = our_scp(maximum_associations=1)
    holder = AE(ae_title="HOLDER")
    holder.add_requested_context(VERIFICATION, [IMPLICIT])
    held = holder.associate("127.0.0.1", port, ae_title="OURSCP")
    try:
        assert held.is_established
        code, out = run_echoscu(port, "-v")
        assert code == 1, out
        assert "Result: Rejected Transient, Source: Service Provider (Presentation Related)" in out
        assert "Reason: Local Limit Exceeded" in out
        assert held.send_c_echo().Status == 0x0000
    finally:
        held.release()
    assert held.is_released


# ---------------------------------------------------------------------------------------------
# our SCU -> DCMTK storescp


class StoreSCP:
    """A DCMTK storescp subprocess; its output is collected by a reader thread."""

    def __init__(self, *options: str) -> None:
        assert STORESCP is not None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [STORESCP, "-v", "-ta", "5", "-ts", "5", *options, str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=DCMTK_ENV,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for_line(self, text: str, timeout: float = 5) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: any(text in line for line in self.lines), timeout)

    def wait_listening(self, timeout: float = 5) -> None:
        """storescp prints nothing when it starts listening: try to connect until it accepts.
        A connection closed before any PDU is ignored by storescp."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                # storescp is single-process: wait until it has dealt with the probe.
                assert self.wait_for_line("Association Received", timeout)
                with self._cond:
                    self.lines.clear()
                return
            except ConnectionRefusedError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"storescp did not start: {self.lines}") from None
                time.sleep(0.01)  # no readiness signal exists; bounded by the deadline

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)


@pytest.fixture
def storescp() -> Iterator[Callable[..., StoreSCP]]:
    started: List[StoreSCP] = []

    def start(*options: str) -> StoreSCP:
        scp = StoreSCP(*options)
        started.append(scp)
        scp.wait_listening()
        return scp

    yield start
    for scp in started:
        scp.stop()


def our_scu(**settings: Any) -> Any:
    ae = AE(ae_title="OURSCU")
    ae.add_requested_context(VERIFICATION)
    ae.acse_timeout = 5
    ae.dimse_timeout = 5
    ae.network_timeout = 5
    for key, value in settings.items():
        setattr(ae, key, value)
    return ae


@needs_storescp
def test_our_scu_echo_and_release_with_storescp(storescp: Callable[..., StoreSCP]) -> None:
    scp = storescp()
    released = threading.Event()
    assoc = our_scu().associate(
        "127.0.0.1",
        scp.port,
        ae_title="STORESCP",
        evt_handlers=[(evt.EVT_RELEASED, lambda e: released.set())],
    )
    assert assoc.is_established
    assert assoc.acceptor.ae_title == "STORESCP"
    assert assoc.acceptor.maximum_length == 16384
    assert str(assoc.acceptor.implementation_class_uid).startswith("1.2.276.0.7230010.3")
    assert [(c.context_id, c.abstract_syntax, c.result) for c in assoc.accepted_contexts] == [
        (1, VERIFICATION, 0)
    ]
    rsp = assoc.send_c_echo()
    assert {e.keyword: e.value for e in rsp} == {"Status": 0x0000}
    rsp = assoc.send_c_echo(msg_id=0xFFFF)
    assert rsp.Status == 0x0000
    assoc.release()
    assert assoc.is_released and not assoc.is_established and not assoc.is_aborted
    assert released.wait(2)
    assert scp.wait_for_line("Association Release")
    assert scp.wait_for_line("Received Echo Request (MsgID 65535)")
    assert any("Received Echo Request (MsgID 1)" in line for line in scp.lines)
    assert not any("Abort" in line for line in scp.lines), scp.lines
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()


@needs_storescp
def test_our_scu_small_pdu_with_storescp(storescp: Callable[..., StoreSCP]) -> None:
    scp = storescp("-pdu", "4096")
    assoc = our_scu().associate("127.0.0.1", scp.port, ae_title="STORESCP", max_pdu=64)
    try:
        assert assoc.is_established
        assert assoc.acceptor.maximum_length == 4096
        assert assoc.requestor.maximum_length == 64
        assert scp.wait_for_line("Association Acknowledged")
        for msg_id in (1, 2, 3):
            assert assoc.send_c_echo(msg_id=msg_id).Status == 0x0000
    finally:
        assoc.release()
    assert assoc.is_released
    assert scp.wait_for_line("Association Release")


@needs_storescp
def test_our_scu_rejected_by_storescp_refuse(storescp: Callable[..., StoreSCP]) -> None:
    scp = storescp("--refuse")
    rejected = threading.Event()
    assoc = our_scu().associate(
        "127.0.0.1",
        scp.port,
        ae_title="STORESCP",
        evt_handlers=[(evt.EVT_REJECTED, lambda e: rejected.set())],
    )
    assert assoc.is_rejected
    assert not assoc.is_established and not assoc.is_aborted and not assoc.is_released
    # DCMTK refuses with rejected-permanent, service-user, no-reason-given.
    assert assoc.rejection == (1, 1, 1)
    assert rejected.wait(2)
    assert assoc.accepted_contexts == []


@needs_storescp
def test_our_scu_calls_storescp_twice_on_one_process(storescp: Callable[..., StoreSCP]) -> None:
    """Releases are clean enough that a single-process storescp serves the next one."""
    scp = storescp()
    for _ in range(2):
        assoc = our_scu().associate("127.0.0.1", scp.port, ae_title="STORESCP")
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
        assert assoc.is_released
    assert scp.wait_for_line("Association Release")


@needs_storescp
def test_our_window_proposal_to_storescp_stays_synchronous(
    storescp: Callable[..., StoreSCP],
) -> None:
    """DCMTK's storescp does not answer a 53H proposal, which means (1, 1): our SCU keeps
    one request outstanding and the association works as without the proposal."""
    scp = storescp()
    assert_window_kept_synchronous(our_scu(), scp.port, "STORESCP")
    assert scp.wait_for_line("Association Release")
    assert not any("Abort" in line for line in scp.lines), scp.lines
