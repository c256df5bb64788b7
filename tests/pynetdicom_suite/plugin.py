"""pytest plugin the harness loads (``-p suite_plugin``) into the run of pynetdicom's tests.

- keeps only the tests the selection rule chose (``FASTDIMSE_SUITE_SELECTED``: a JSON list of
  test ids without parameters) and deselects the rest;
- fails a test in its teardown when the guard saw the real pynetdicom reached, in this
  process or in a subprocess (``FASTDIMSE_SUITE_GUARD_LOG``);
- writes every test's outcome to ``FASTDIMSE_SUITE_RESULTS`` (JSON) for the runner.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any, Dict, List

import pytest

_SELECTED = set(json.loads(os.environ.get("FASTDIMSE_SUITE_SELECTED", "[]") or "[]"))
_RESULTS: Dict[str, Dict[str, Any]] = {}


def base_id(nodeid: str) -> str:
    """A test id without its parameters."""
    return nodeid.split("[", 1)[0]


def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    keep, drop = [], []
    for item in items:
        (keep if base_id(item.nodeid) in _SELECTED else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def _guard_size() -> int:
    log = os.environ.get("FASTDIMSE_SUITE_GUARD_LOG")
    return os.path.getsize(log) if log and os.path.exists(log) else 0


@pytest.fixture(autouse=True)
def _suite_guard() -> Any:
    """Fails the test if the real pynetdicom was reached while it ran."""
    shim = sys.modules.get("pynetdicom")
    reached = getattr(shim, "REACHED", None)
    before = (len(reached) if reached is not None else 0, _guard_size())
    yield
    after = (len(reached) if reached is not None else 0, _guard_size())
    if after != before:
        pytest.fail("harness guard: the real pynetdicom package was reached", pytrace=False)


def _stop_leftover_servers() -> None:
    """Shut down every AE still serving after a failed test.

    pynetdicom's tests bind the same two ports all along and stop their servers on the last
    line of the test: one failure would otherwise leave a listener that fails every later test
    with "Address already in use", hiding what those tests measure.
    """
    shim = sys.modules.get("pynetdicom")
    ae_class = getattr(shim, "AE", None) if shim is not None else None
    if not isinstance(ae_class, type):
        return
    for obj in gc.get_objects():
        if isinstance(obj, ae_class):
            try:
                obj.shutdown()
            except Exception:  # noqa: BLE001  (best effort between tests)
                pass


def pytest_runtest_logreport(report: Any) -> None:
    if report.failed and report.when == "call":
        _stop_leftover_servers()
    entry = _RESULTS.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if report.failed:
        entry["outcome"] = "failed"
        if not entry["message"]:
            crash = getattr(report.longrepr, "reprcrash", None)
            entry["message"] = (crash.message if crash else str(report.longrepr))[:400]
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _RESULTS[report.nodeid] = {"outcome": "error", "message": str(report.longrepr)[-600:]}


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("FASTDIMSE_SUITE_RESULTS")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_RESULTS, f, indent=1, sort_keys=True)
