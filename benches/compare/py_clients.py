"""Python C-ECHO clients for the benchmarks, started by run.py.

    python benches/compare/py_clients.py MODE --port P [--secs S] [--max N]

MODE is ``fastdimse-send`` (``assoc.send_c_echo()`` in a loop, each returning a Dataset),
``fastdimse-async`` (``await assoc.send_c_echo_async()`` in a loop on an asyncio event loop;
``--associations N`` runs N such loops at once on that one event loop), ``fastdimse-many``
(``assoc._core.echo_many(n)``: the loop runs in the core, one Python call) or
``pynetdicom`` (``send_c_echo`` in a loop). Only the echo loop is timed; the result is one
JSON line like the native clients'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _print(ok: int, failed: int, secs: float, client_cpu: float, error: str) -> None:
    print(
        json.dumps(
            {"ok": ok, "failed": failed, "secs": secs, "client_cpu": client_cpu, "error": error}
        ),
        flush=True,
    )


async def _asyncio_echoes(port: int, secs: float, most: int, associations: int) -> int:
    """``send_c_echo_async`` loops, one per association, all on this event loop."""
    from fastdimse import AE
    from fastdimse.sop_class import Verification

    ae = AE(ae_title="FDBENCH")
    ae.add_requested_context(Verification)
    assocs = [
        await ae.associate_async("127.0.0.1", port, ae_title="ANY-SCP") for _ in range(associations)
    ]
    if not all(a.is_established for a in assocs):
        _print(0, 1, 0.0, 0.0, "not established")
        return 1
    counts = {"started": 0, "ok": 0, "failed": 0}
    errors: list = []

    async def loop(assoc: object, deadline: float) -> None:
        while counts["started"] < most and time.perf_counter() < deadline and not errors:
            counts["started"] += 1
            status = await assoc.send_c_echo_async()  # type: ignore[attr-defined]
            if getattr(status, "Status", None) == 0x0000:
                counts["ok"] += 1
            else:
                counts["failed"] += 1
                errors.append(f"status {status!r}")

    cpu0 = _cpu()
    t0 = time.perf_counter()
    await asyncio.gather(*(loop(a, t0 + secs) for a in assocs))
    elapsed = time.perf_counter() - t0
    client_cpu = _cpu() - cpu0
    for a in assocs:
        await a.release_async()
    _print(counts["ok"], counts["failed"], elapsed, client_cpu, errors[0] if errors else "")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "mode", choices=["fastdimse-send", "fastdimse-async", "fastdimse-many", "pynetdicom"]
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secs", type=float, default=1.0)
    parser.add_argument("--max", type=int, default=10**9)
    parser.add_argument("--associations", type=int, default=1)
    args = parser.parse_args()

    if args.mode == "fastdimse-async":
        return asyncio.run(_asyncio_echoes(args.port, args.secs, args.max, args.associations))

    if args.mode == "pynetdicom":
        from pynetdicom import AE
        from pynetdicom.sop_class import Verification
    else:
        from fastdimse import AE  # type: ignore[no-redef]
        from fastdimse.sop_class import Verification  # type: ignore[no-redef]

    ae = AE(ae_title="FDBENCH")
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", args.port, ae_title="ANY-SCP")
    if not assoc.is_established:
        print(json.dumps({"ok": 0, "failed": 1, "secs": 0.0, "error": "not established"}))
        return 1

    ok = failed = 0
    error = ""
    cpu0 = _cpu()
    t0 = time.perf_counter()
    deadline = t0 + args.secs
    if args.mode == "fastdimse-many":
        # Batches keep the deadline meaningful while staying in the core for most of the run.
        batch = 500
        while ok < args.max and time.perf_counter() < deadline:
            n = min(batch, args.max - ok)
            got = assoc._core.echo_many(n, (ok % 60000) + 1)
            ok += got
            if got != n:
                failed += n - got
                error = "echo_many: not all Success"
                break
    else:
        while ok < args.max and time.perf_counter() < deadline:
            status = assoc.send_c_echo()
            if status is not None and getattr(status, "Status", None) == 0x0000:
                ok += 1
            else:
                failed += 1
                error = f"status {status!r}"
                break
    elapsed = time.perf_counter() - t0
    client_cpu = _cpu() - cpu0
    assoc.release()
    _print(ok, failed, elapsed, client_cpu, error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
