"""fastdimse's own tuning, as AE options as well as environment variables: the I/O threads of
the server runtime (``AE.io_threads`` / ``FASTDIMSE_WORKERS``) and the adaptive poll's
ceiling (``AE.poll_ceiling_us`` / ``FASTDIMSE_SPIN_US``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from fastdimse import AE
from fastdimse.sop_class import Verification

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    "value, error",
    [(-1, ValueError), (10_001, ValueError), (1.5, TypeError), (True, TypeError)],
)
def test_poll_ceiling_us_refuses_bad_values(value: object, error: type) -> None:
    ae = AE()
    with pytest.raises(error, match="poll_ceiling_us"):
        ae.poll_ceiling_us = value  # type: ignore[assignment]
    assert ae.poll_ceiling_us is None


@pytest.mark.parametrize("value, error", [(0, ValueError), (2000, ValueError), ("2", TypeError)])
def test_io_threads_refuses_bad_values(value: object, error: type) -> None:
    ae = AE()
    with pytest.raises(error, match="io_threads"):
        ae.io_threads = value  # type: ignore[assignment]


@pytest.mark.parametrize("ceiling", [0, 50, 10_000])
def test_echo_works_with_any_poll_ceiling(ceiling: int) -> None:
    scp = AE()
    scp.add_supported_context(Verification)
    scp.poll_ceiling_us = ceiling
    server = scp.start_server(("127.0.0.1", 0), block=False)
    try:
        ae = AE()
        ae.add_requested_context(Verification)
        ae.poll_ceiling_us = ceiling
        assoc = ae.associate(*server.server_address)
        assert assoc.is_established
        assert [assoc.send_c_echo(msg_id=i).Status for i in (1, 2, 3)] == [0, 0, 0]
        assoc.release()
    finally:
        server.shutdown()


def test_io_threads_sets_the_server_runtime_once_per_process() -> None:
    script = textwrap.dedent(
        """
        import os
        import time
        from fastdimse import AE
        from fastdimse.sop_class import Verification

        def io_threads():
            names = []
            for tid in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{tid}/comm") as f:
                    names.append(f.read().strip())
            return names.count("fastdimse-io")

        ae = AE()
        ae.add_supported_context(Verification)
        ae.io_threads = 3
        server = ae.start_server(("127.0.0.1", 0), block=False)
        # tokio starts its workers without waiting for them, and each names itself once it
        # runs: wait for them, with a deadline.
        deadline = time.monotonic() + 10
        while io_threads() < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        print(io_threads())
        same = AE()
        same.add_supported_context(Verification)
        same.io_threads = 3
        same.start_server(("127.0.0.1", 0), block=False).shutdown()
        other = AE()
        other.add_supported_context(Verification)
        other.io_threads = 1
        try:
            other.start_server(("127.0.0.1", 0), block=False)
        except ValueError as exc:
            print(exc)
        server.shutdown()
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "FASTDIMSE_WORKERS"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=env
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "3"
    assert lines[1] == (
        "io_threads=1: the server runtime of this process already runs with 3 I/O threads "
        "(set io_threads before the first server starts)"
    )
