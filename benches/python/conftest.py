"""What the benchmark modules share: per-operation medians of a ``fastdimse`` and a
``pynetdicom`` side, printed with their ratio (pynetdicom / fastdimse) when a module ends."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pytest

Medians = Dict[str, Dict[str, float]]


@pytest.fixture(scope="module")
def medians(request: pytest.FixtureRequest) -> Iterator[Medians]:
    """The module's medians in seconds, ``{operation: {side: median}}``; the table of the
    operations measured on both sides is printed at the end of the module."""
    table: Medians = {}
    yield table
    rows: List[Dict[str, Any]] = [
        {
            "operation": op,
            "fastdimse_us": sides["fastdimse"] * 1e6,
            "pynetdicom_us": sides["pynetdicom"] * 1e6,
            "ratio": sides["pynetdicom"] / sides["fastdimse"],
        }
        for op, sides in table.items()
        if "fastdimse" in sides and "pynetdicom" in sides
    ]
    if not rows:
        return
    lines = [
        "",
        f"{'operation':<26} {'fastdimse (us)':>15} {'pynetdicom (us)':>16} {'ratio':>8}",
    ]
    for r in rows:
        lines.append(
            f"{r['operation']:<26} {r['fastdimse_us']:>15.3f} {r['pynetdicom_us']:>16.2f} "
            f"{r['ratio']:>7.3g}x"
        )
    # Module teardown runs under output capture; print past it, like pytest's own -s.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines), flush=True)


def record(benchmark: Any, medians: Medians, operation: str, side: str) -> None:
    """Keeps `benchmark`'s median under `operation` / `side` (when it really ran)."""
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        medians.setdefault(operation, {})[side] = stats.stats.median
