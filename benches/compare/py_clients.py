"""Python C-ECHO clients for the benchmarks, started by run.py.

    python benches/compare/py_clients.py MODE --port P [--secs S] [--max N]
        [--warmup W] [--server-pid PID]

MODE is ``fastdimse-send`` (``assoc.send_c_echo()`` in a loop, each returning a Dataset),
``fastdimse-async`` (``await assoc.send_c_echo_async()`` in a loop on an asyncio event loop;
``--associations N`` runs N such loops at once on that one event loop; ``--in-flight K``
proposes an asynchronous operations window of K and runs K loops on each association),
``fastdimse-many``
(``assoc._core.echo_many(n)``: the loop runs in the core, one Python call) or
``pynetdicom`` (``send_c_echo`` in a loop). ``fastdimse-assoc`` and ``pynetdicom-assoc``
time whole cycles instead: associate, one ``send_c_echo``, release (``--threads N``: N
threads doing so at once, one process). The same loop runs
untimed for ``--warmup`` seconds first (see ``native/src/load.rs``, ``Window``, for why);
only what follows is timed, and with ``--server-pid`` the server's CPU over that part is
reported. The result is one JSON line like the native clients'.

``--tls CA,CERT,KEY`` runs every association over TLS, as pynetdicom's documentation has it:
an ``ssl.SSLContext`` from ``ssl.create_default_context(Purpose.SERVER_AUTH, cafile=CA)``
with ``load_cert_chain(CERT, KEY)`` (mutual TLS), passed as ``tls_args=(ctx, "localhost")``;
the same code for fastdimse and pynetdicom. ``fastdimse-hold --count N --tls ...`` opens N
TLS associations, prints ``{"ready": N, ...}``, holds them until a line arrives on stdin,
then releases them all and prints ``{"released": N}`` (the idle TLS associations figure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import sys
import threading
import time
from typing import Any, Callable, Optional


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _pid_cpu(pid: Optional[int]) -> Optional[float]:
    """utime + stime of process `pid`, or None without one."""
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    """Counts one measured run, and what the server and this process spent on it."""

    def __init__(self, server_pid: Optional[int]) -> None:
        self.server_pid = server_pid
        self.ok = self.failed = 0
        self.error = ""

    def start(self) -> None:
        self.server0 = _pid_cpu(self.server_pid)
        self.cpu0 = _cpu()
        self.t0 = time.perf_counter()

    def stop(self) -> None:
        self.elapsed = time.perf_counter() - self.t0
        self.client_cpu = _cpu() - self.cpu0
        server1 = _pid_cpu(self.server_pid)
        self.server_cpu = None if server1 is None else server1 - (self.server0 or 0.0)

    def print(self) -> None:
        out = {
            "ok": self.ok,
            "failed": self.failed,
            "secs": self.elapsed,
            "client_cpu": self.client_cpu,
            "error": self.error,
        }
        if self.server_cpu is not None:
            out["server_cpu"] = self.server_cpu
        print(json.dumps(out), flush=True)


def _failed(error: str) -> int:
    print(json.dumps({"ok": 0, "failed": 1, "secs": 0.0, "error": error}), flush=True)
    return 1


def _is_success(status: Any) -> bool:
    return getattr(status, "Status", None) == 0x0000


async def _asyncio_echoes(args: argparse.Namespace) -> int:
    """``send_c_echo_async`` loops, one per association, all on this event loop."""
    from fastdimse import AE
    from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation
    from fastdimse.sop_class import Verification

    ae = AE(ae_title="FDBENCH")
    ae.add_requested_context(Verification)
    ext_neg = []
    if args.in_flight > 1:
        window = AsynchronousOperationsWindowNegotiation()
        window.maximum_number_operations_invoked = args.in_flight
        ext_neg.append(window)
    assocs = [
        await ae.associate_async("127.0.0.1", args.port, ae_title="ANY-SCP", ext_neg=ext_neg)
        for _ in range(args.associations)
    ]
    if not all(a.is_established for a in assocs):
        return _failed("not established")
    run = Run(args.server_pid)
    started = 0

    # Each loop has one request outstanding at a time, under a message ID of its own.
    loops = [(a, k + 1) for a in assocs for k in range(args.in_flight)]

    async def loop(assoc: Any, msg_id: int, deadline: float, most: Optional[int]) -> None:
        nonlocal started
        while time.perf_counter() < deadline and not run.error:
            if most is not None:
                if started >= most:
                    return
                started += 1
            status = await assoc.send_c_echo_async(msg_id)
            if most is None:  # the warm-up: only a failure counts
                if not _is_success(status):
                    run.failed += 1
                    run.error = f"during the warm-up: status {status!r}"
            elif _is_success(status):
                run.ok += 1
            else:
                run.failed += 1
                run.error = f"status {status!r}"

    warm_until = time.perf_counter() + args.warmup
    await asyncio.gather(*(loop(a, k, warm_until, None) for a, k in loops))
    run.start()
    await asyncio.gather(*(loop(a, k, run.t0 + args.secs, args.max) for a, k in loops))
    run.stop()
    for a in assocs:
        await a.release_async()
    run.print()
    return 0


def _tls_args(args: argparse.Namespace) -> Any:
    """``(ssl_context, "localhost")`` for ``--tls CA,CERT,KEY``, else None. Called after the
    library was imported: fastdimse records what a context is given from its import on."""
    if not args.tls:
        return None
    ca, cert, key = args.tls.split(",")
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    ctx.load_cert_chain(certfile=cert, keyfile=key)
    return (ctx, "localhost")


def _requesting_ae(pynetdicom: bool) -> Any:
    """pynetdicom's or fastdimse's AE, proposing Verification."""
    if pynetdicom:
        from pynetdicom import AE
        from pynetdicom.sop_class import Verification
    else:
        from fastdimse import AE  # type: ignore[no-redef]
        from fastdimse.sop_class import Verification  # type: ignore[no-redef]

    ae = AE(ae_title="FDBENCH")
    ae.add_requested_context(Verification)
    return ae


def _warm_then_time(
    run: Run, loop: Callable[[float, Optional[int]], None], args: argparse.Namespace
) -> None:
    """`loop(deadline, most)` untimed for the warm-up, then timed (unless it failed)."""
    loop(time.perf_counter() + args.warmup, None)
    if run.error:
        run.error = f"during the warm-up: {run.error}"
    run.start()
    if not run.error:
        loop(run.t0 + args.secs, args.max)
    run.stop()


def _blocking_echoes(args: argparse.Namespace) -> int:
    ae = _requesting_ae(pynetdicom=args.mode == "pynetdicom")
    assoc = ae.associate("127.0.0.1", args.port, ae_title="ANY-SCP", tls_args=_tls_args(args))
    if not assoc.is_established:
        return _failed("not established")

    if args.mode == "fastdimse-many":
        # Batches keep the deadline meaningful while staying in the core for most of the run.
        def batch(n: int, first: int) -> int:
            return int(assoc._core.echo_many(n, (first % 60000) + 1))

        step = 500
    else:

        def batch(n: int, first: int) -> int:
            return 1 if _is_success(assoc.send_c_echo()) else 0

        step = 1

    run = Run(args.server_pid)
    done = 0

    def loop(deadline: float, most: Optional[int]) -> None:
        """Echoes until `deadline`; counted (up to `most`) unless `most` is None."""
        nonlocal done
        while time.perf_counter() < deadline and not run.error:
            n = step if most is None else min(step, most - run.ok)
            if n <= 0:
                return
            got = batch(n, done)
            done += got
            if most is not None:
                run.ok += got
            if got != n:
                run.failed += n - got
                run.error = "not all Success"

    _warm_then_time(run, loop, args)
    assoc.release()
    run.print()
    return 0


def _association_cycles(args: argparse.Namespace) -> int:
    """Associate, one C-ECHO, release, in a loop: what a monitor that pings a node does.
    With ``--threads N``, N such loops at once (threads of this process)."""
    ae = _requesting_ae(pynetdicom=args.mode == "pynetdicom-assoc")
    tls_args = _tls_args(args)
    run = Run(args.server_pid)
    lock = threading.Lock()

    def cycle() -> Optional[str]:
        assoc = ae.associate("127.0.0.1", args.port, ae_title="ANY-SCP", tls_args=tls_args)
        if not assoc.is_established:
            return "not established"
        status = assoc.send_c_echo()
        assoc.release()
        return None if _is_success(status) else f"status {status!r}"

    def loop(deadline: float, most: Optional[int]) -> None:
        while time.perf_counter() < deadline and not run.error:
            if most is not None and run.ok >= most:
                return
            error = cycle()
            with lock:
                if error is not None:
                    run.failed += 1
                    run.error = error
                elif most is not None:
                    run.ok += 1

    def loops(deadline: float, most: Optional[int]) -> None:
        if args.threads == 1:
            return loop(deadline, most)
        threads = [
            threading.Thread(target=loop, args=(deadline, most)) for _ in range(args.threads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    _warm_then_time(run, loops, args)
    run.print()
    return 0


def _hold(args: argparse.Namespace) -> int:
    """Open ``--count`` associations with fastdimse's SCU, hold them until stdin has a line,
    release them all."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ae = _requesting_ae(pynetdicom=False)
    ae.network_timeout = 600
    tls_args = _tls_args(args)
    t0 = time.perf_counter()
    held, failed, error = [], 0, ""
    for _ in range(args.count):
        assoc = ae.associate("127.0.0.1", args.port, ae_title="ANY-SCP", tls_args=tls_args)
        if assoc.is_established:
            held.append(assoc)
        else:
            failed += 1
            error = "not established"
    secs = time.perf_counter() - t0
    print(json.dumps({"ready": len(held), "failed": failed, "secs": secs, "error": error}))
    sys.stdout.flush()
    sys.stdin.readline()
    released = 0
    for assoc in held:
        assoc.release()
        released += int(assoc.is_released)
    print(json.dumps({"released": released}), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "mode",
        choices=[
            "fastdimse-send",
            "fastdimse-async",
            "fastdimse-many",
            "pynetdicom",
            "fastdimse-assoc",
            "pynetdicom-assoc",
            "fastdimse-hold",
        ],
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secs", type=float, default=1.0)
    parser.add_argument("--max", type=int, default=10**9)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--server-pid", type=int, default=0)
    parser.add_argument("--associations", type=int, default=1)
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tls", default="", help="CA,CERT,KEY: TLS (mutual) with these files")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    if args.mode == "fastdimse-hold":
        return _hold(args)
    if args.mode == "fastdimse-async":
        return asyncio.run(_asyncio_echoes(args))
    if args.mode.endswith("-assoc"):
        return _association_cycles(args)
    return _blocking_echoes(args)


if __name__ == "__main__":
    sys.exit(main())
