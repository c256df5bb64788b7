"""The command-line apps on bad input and failing peers: one line naming the cause, the exit
codes docs/apps.md lists, ``--json``'s ``error_kind``, and a traceback only with ``-d``.

Each peer is started here on a free loopback port: an in-process fastdimse SCP (rejections,
failure statuses) or a raw socket peer (aborts, silence); short timeouts keep it fast.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from conftest import free_port
from fastdimse import evt
from rawpeer import IMPLICIT_LE, RawPeer, RawSCP, abort_pdu, associate_ac

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def run_app(*args: str, timeout: float = 20) -> Tuple[int, str, str]:
    """Run ``python -m fastdimse <args>``; return (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )
    return proc.returncode, proc.stdout, proc.stderr


def one_record(out: str) -> Dict[str, Any]:
    (line,) = out.splitlines()
    return dict(json.loads(line))


def records(out: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port with a listening socket of ours on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


# ----- echoscp -----------------------------------------------------------------------------


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["default", "-q"])
def test_echoscp_port_in_use_is_one_line(taken_port: int, quiet: List[str]) -> None:
    code, out, err = run_app("echoscp", *quiet, "-ba", "127.0.0.1", str(taken_port))
    assert (code, out) == (1, "")
    assert err == f"echoscp: port {taken_port} is already in use on 127.0.0.1\n"


def test_echoscp_port_in_use_on_every_interface_names_0_0_0_0(taken_port: int) -> None:
    # Without -ba echoscp binds 0.0.0.0, which our loopback listener already blocks.
    code, _, err = run_app("echoscp", str(taken_port))
    assert code == 1
    assert err == f"echoscp: port {taken_port} is already in use on 0.0.0.0\n"


def test_echoscp_debug_mode_shows_the_traceback_too(taken_port: int) -> None:
    code, _, err = run_app("echoscp", "-d", "-ba", "127.0.0.1", str(taken_port))
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert "Address already in use" in err
    assert err.endswith(f"echoscp: port {taken_port} is already in use on 127.0.0.1\n")


def test_echoscp_bind_address_not_on_this_machine() -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never a local address.
    code, _, err = run_app("echoscp", "-ba", "192.0.2.1", str(free_port()))
    assert code == 1
    assert err == "echoscp: cannot bind to 192.0.2.1: address not available on this machine\n"


def test_echoscp_bind_address_that_does_not_resolve() -> None:
    code, _, err = run_app("echoscp", "-ba", "nosuch.invalid", str(free_port()))
    assert code == 1
    assert err == "echoscp: cannot resolve bind address 'nosuch.invalid'\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["70000"], "argument port: 70000 is out of range (0-65535)"),
        (["-1"], "argument port: -1 is out of range (0-65535)"),
        (["port"], "argument port: 'port' is not a port number"),
        (["-pdu", "-5", "0"], "argument -pdu/--max-pdu: -5 is less than 0"),
        (["-pdu", "4294967296", "0"], "argument -pdu/--max-pdu: 4294967296 is more than"),
        (["-ta", "-1", "0"], "argument -ta/--acse-timeout: -1 is negative"),
        (["-td", "inf", "0"], "argument -td/--dimse-timeout: 'inf' is not a finite number"),
        (["-tn", "soon", "0"], "argument -tn/--network-timeout: 'soon' is not a number"),
        (["-ma", "99999999999", "0"], "argument -ma/--max-associations: 99999999999 is more"),
        (["-aet", "A" * 17, "0"], "argument -aet/--ae-title: Invalid AE title"),
    ],
)
def test_echoscp_bad_values_are_usage_errors(args: List[str], message: str) -> None:
    code, out, err = run_app("echoscp", *args)
    assert (code, out) == (2, "")
    assert err.startswith("usage: echoscp")
    assert f"echoscp: error: {message}" in err
    assert "Traceback" not in err


# ----- echoscu: bad command lines ------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["127.0.0.1", "70000"], "argument port: 70000 is out of range (1-65535)"),
        (["127.0.0.1", "0"], "argument port: 0 is out of range (1-65535)"),
        (["127.0.0.1", "x"], "argument port: 'x' is not a port number"),
        (["-ta", "-1"], "argument -ta/--acse-timeout: -1 is negative"),
        (["-td", "nan"], "argument -td/--dimse-timeout: 'nan' is not a finite number"),
        (["-tn", "1e300"], "argument -tn/--network-timeout: 1e300 is more than 31536000"),
        (["-to", "-0.5"], "argument -to/--timeout: -0.5 is negative"),
        (["-pdu", "-5"], "argument -pdu/--max-pdu: -5 is less than 0"),
        (["--repeat", "-1"], "argument --repeat: -1 is less than 0"),
        (["--repeat", "two"], "argument --repeat: 'two' is not a whole number"),
        (["-aet", "A" * 17], "argument -aet/--calling-aet: Invalid AE title"),
        (["-aec", "  "], "argument -aec/--called-aet: Invalid AE title"),
    ],
)
def test_echoscu_bad_values_are_usage_errors(args: List[str], message: str) -> None:
    positional = [] if args[0] == "127.0.0.1" else ["127.0.0.1", "11112"]
    code, out, err = run_app("echoscu", *positional, *args)
    assert (code, out) == (2, "")
    assert err.startswith("usage: echoscu")
    assert f"echoscu: error: {message}" in err
    assert "Traceback" not in err


def test_help_lists_the_exit_codes() -> None:
    code, out, _ = run_app("echoscu", "-h")
    assert code == 0
    assert "exit status:" in out and "--require-success" in out
    for number in "01234":
        assert f"\n  {number}  " in out, out
    code, out, _ = run_app("echoscp", "-h")
    assert code == 0 and "exit status:" in out


# ----- echoscu: no association -----------------------------------------------------------------


def test_unknown_host_is_one_line_and_name_resolution_in_json() -> None:
    # .invalid never resolves (RFC 6761), without asking any network.
    code, out, err = run_app("echoscu", "nosuch.invalid", "11112")
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith("echoscu: cannot resolve host 'nosuch.invalid': ")
    code, out, err = run_app("echoscu", "nosuch.invalid", "11112", "--json")
    assert code == 1
    record = one_record(out)
    assert (record["error_kind"], record["error"]) == ("name_resolution", "name resolution failed")
    assert (record["addr"], record["port"], record["status"]) == ("nosuch.invalid", 11112, None)
    assert "Traceback" not in err


def test_unknown_host_with_debug_shows_the_traceback() -> None:
    code, _, err = run_app("echoscu", "-d", "nosuch.invalid", "11112")
    assert code == 1
    assert "Traceback (most recent call last)" in err and "gaierror" in err
    assert err.splitlines()[-1].startswith("echoscu: cannot resolve host 'nosuch.invalid'")


def test_connection_refused() -> None:
    port = free_port()
    code, out, err = run_app("echoscu", "127.0.0.1", str(port), "--json", "--require-success")
    assert code == 1
    record = one_record(out)
    assert (record["error_kind"], record["error"]) == ("connection_refused", "connection refused")
    assert "Connection refused" in err and "Traceback" not in err


def test_connect_timeout() -> None:
    # A listener whose accept queue is full: the kernel drops further SYNs, so the connect
    # hangs until echoscu's -to gives up.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        code, out, err = run_app("echoscu", "127.0.0.1", str(port), "-to", "0.3", "--json")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert code == 1, err
    record = one_record(out)
    assert (record["error_kind"], record["error"]) == ("connect_timeout", "connection timed out")


def test_rejected_with_result_source_and_reason(fastdimse_server: Callable[..., Any]) -> None:
    srv = fastdimse_server(require_called_aet=True)
    code, out, err = run_app(
        "echoscu", "127.0.0.1", str(srv.server_address[1]), "-aec", "WRONG", "--json"
    )
    assert code == 1, err
    record = one_record(out)
    assert {k: v for k, v in record.items() if k not in ("addr", "port", "called_aet")} == {
        "echo": None,
        "status": None,
        "category": None,
        "latency_ms": None,
        "error": "association rejected",
        "error_kind": "rejected",
        "result": 1,
        "result_description": "Rejected (Permanent)",
        "source": 1,
        "source_description": "Service User",
        "reason": 7,
        "reason_description": "Called AE title not recognised",
    }


def test_aborted_during_negotiation() -> None:
    def script(peer: RawPeer) -> None:
        peer.recv_pdu()
        peer.send(abort_pdu(2, 1))

    with RawSCP(script) as scp:
        code, out, err = run_app("echoscu", "127.0.0.1", str(scp.port), "--json")
    assert code == 1, err
    record = one_record(out)
    assert (record["error_kind"], record["by_peer"]) == ("aborted", True)
    assert (record["source"], record["source_description"]) == (2, "Service Provider")
    assert (record["reason"], record["reason_description"]) == (1, "Unrecognised PDU")


def test_acse_timeout() -> None:
    def script(peer: RawPeer) -> None:
        peer.recv_pdu()
        peer.wait_closed(10)

    with RawSCP(script) as scp:
        code, out, err = run_app("echoscu", "127.0.0.1", str(scp.port), "-ta", "0.3", "--json")
    assert code == 1, err
    assert one_record(out)["error_kind"] == "acse_timeout"


# ----- echoscu: an association, echoes without Success ---------------------------------------


def accept_then(after_echo: Callable[[RawPeer], None]) -> Callable[[RawPeer], None]:
    """A raw SCP script: accept the association, read the C-ECHO-RQ, then `after_echo`."""

    def script(peer: RawPeer) -> None:
        peer.send(associate_ac(peer.recv_pdu(), ts=IMPLICIT_LE))
        peer.recv_pdu()
        after_echo(peer)

    return script


@pytest.mark.parametrize("require", [False, True], ids=["default", "--require-success"])
def test_no_response_within_the_dimse_timeout(require: bool) -> None:
    options = ["--require-success"] if require else []
    with RawSCP(accept_then(lambda peer: peer.wait_closed(10))) as scp:
        code, out, err = run_app(
            "echoscu", "127.0.0.1", str(scp.port), "-td", "0.3", "--json", *options
        )
    # pynetdicom's exit code by default: the association was made.
    assert code == (4 if require else 0), err
    record = one_record(out)
    assert (record["echo"], record["status"], record["error_kind"]) == (1, None, "dimse_timeout")
    assert record["error"] == "no response within the DIMSE timeout (0.3 s)"
    assert "Traceback" not in err


def test_aborted_by_the_peer_during_the_echo() -> None:
    with RawSCP(accept_then(lambda peer: peer.send(abort_pdu(0, 0)))) as scp:
        code, out, err = run_app(
            "echoscu", "127.0.0.1", str(scp.port), "--json", "--require-success", "--repeat", "3"
        )
    assert code == 4, err
    record = one_record(out)  # the association is gone: no second echo
    assert (record["error_kind"], record["by_peer"], record["source"]) == ("aborted", True, 0)
    assert record["source_description"] == "Service User"


def test_failure_status(fastdimse_server: Callable[..., Any]) -> None:
    answers = iter([0x0000, 0xC001, 0x0000, 0xC001])
    srv = fastdimse_server(handlers=[(evt.EVT_C_ECHO, lambda event: next(answers))])
    port = str(srv.server_address[1])
    code, out, err = run_app("echoscu", "127.0.0.1", port, "--repeat", "2", "--json")
    assert code == 0, err  # pynetdicom's exit code: associated
    first, second = records(out)
    assert (first["status"], first["error"], first["error_kind"]) == (0, None, None)
    assert (second["status"], second["status_hex"], second["error_kind"]) == (
        0xC001,
        "0xC001",
        "failure_status",
    )
    assert second["error"] == "status 0xC001 is not Success"
    code, _, err = run_app("echoscu", "127.0.0.1", port, "--repeat", "2", "--require-success")
    assert code == 3, err


def test_require_success_exits_0_when_every_echo_succeeds(
    fastdimse_server: Callable[..., Any],
) -> None:
    srv = fastdimse_server()
    port = str(srv.server_address[1])
    code, out, err = run_app("echoscu", "127.0.0.1", port, "--repeat", "3", "--require-success")
    assert (code, out, err) == (0, "", "")
    code, _, _ = run_app("echoscu", "127.0.0.1", port, "--repeat", "0", "--require-success")
    assert code == 0


def test_no_accepted_presentation_context(fastdimse_server: Callable[..., Any]) -> None:
    from fastdimse import AE

    ae = AE(ae_title="IMPLICITONLY")
    ae.add_supported_context("1.2.840.10008.1.1", [IMPLICIT_LE])
    srv = fastdimse_server(ae=ae)
    code, out, err = run_app("echoscu", "127.0.0.1", str(srv.server_address[1]), "-xe", "--json")
    assert code == 1, err
    record = one_record(out)
    assert (record["error_kind"], record["error"]) == (
        "no_accepted_context",
        "no presentation context accepted",
    )
    assert record["rejected_contexts"] == [
        {
            "abstract_syntax": "1.2.840.10008.1.1",
            "result": 4,
            "result_description": "Transfer syntaxes not supported",
        }
    ]


def test_ctrl_c_during_an_echo_aborts_and_exits_130() -> None:
    echo_sent = threading.Event()

    def after_echo(peer: RawPeer) -> None:
        echo_sent.set()
        assert peer.recv_pdu(10)[0] == 7  # the A-ABORT echoscu sends on its way out

    with RawSCP(accept_then(after_echo)) as scp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fastdimse", "echoscu", "127.0.0.1", str(scp.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        try:
            assert echo_sent.wait(10)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert scp.done.wait(10)
    assert (proc.returncode, out, err) == (130, "", "echoscu: interrupted\n")
    assert not scp.errors
