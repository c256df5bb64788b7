"""Interpreter exit while core threads are inside Python.

Once CPython finalizes, a thread that takes the GIL back is ended with pthread_exit; on
a core thread that either kills a handler half way or aborts the process (SIGABRT, seen
when echoscp's last association ended during shutdown). At exit the core stops entering
Python and waits for the handlers already running, as Python does for its own threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = str(Path(__file__).parent)

PRELUDE = textwrap.dedent(
    """
    import sys, threading, time
    sys.path.insert(0, {tests!r})
    from rawpeer import RawPeer, abort_pdu, echo_rq_pdata
    from fastdimse import AE, evt
    started = threading.Event()
    ae = AE(ae_title="EXITSCP")
    ae.add_supported_context("1.2.840.10008.1.1")
    """
).format(tests=TESTS)


def run(script: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


@pytest.mark.parametrize(
    "event, trigger",
    [
        ("EVT_C_ECHO", "peer.associate(); peer.send(echo_rq_pdata())"),
        ("EVT_CONN_CLOSE", "peer.associate(); peer.close()"),
        ("EVT_ABORTED", "peer.associate(); peer.send(abort_pdu(0, 0))"),
    ],
    ids=["EVT_C_ECHO", "EVT_CONN_CLOSE", "EVT_ABORTED"],
)
def test_exit_waits_for_a_running_handler(event: str, trigger: str) -> None:
    proc = run(
        f"""
        def handler(event):
            started.set()
            time.sleep(0.3)  # gives the GIL away, so the exit proceeds meanwhile
            print("HANDLER DONE", flush=True)
            return 0x0000
        srv = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.{event}, handler)])
        peer = RawPeer(srv.server_address[1])
        {trigger}
        assert started.wait(10)
        print("MAIN EXITS", flush=True)
        """
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["MAIN EXITS", "HANDLER DONE"], proc.stdout + proc.stderr


def test_after_the_gate_closes_requests_are_aborted_not_handled() -> None:
    proc = run(
        """
        from fastdimse import _core
        calls = []
        srv = ae.start_server(
            ("127.0.0.1", 0), block=False,
            evt_handlers=[(evt.EVT_C_ECHO, lambda e: calls.append(e) or 0x0000)],
        )
        peer = RawPeer(srv.server_address[1])
        peer.associate()
        _core.close_gate()  # what atexit does
        peer.send(echo_rq_pdata())
        print(peer.recv_until_closed(10.0)[-1].hex())
        print(len(calls))
        """
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # An A-ABORT from the service user (source 0, reason 0), and the handler never ran.
    assert proc.stdout.split() == ["07000000000400000000", "0"], proc.stdout + proc.stderr
