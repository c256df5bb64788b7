#!/usr/bin/env python3
"""Run pynetdicom 3.0.4's own tests against fastdimse under the name ``pynetdicom``.

    python tests/pynetdicom_suite/run.py             # fastdimse; fails on any unlisted failure
    python tests/pynetdicom_suite/run.py --baseline  # the same selection against pynetdicom
    python tests/pynetdicom_suite/run.py --list      # the selection only, with counts
    python tests/pynetdicom_suite/run.py -k echo -- -x   # a subset; extra args go to pytest

See README.md next to this file for the selection rule, the guard, the expected-differences
file and the private network namespace the tests run in.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import selection  # noqa: E402

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None  # type: ignore[assignment]

EXPECTED_FILE = HERE / "expected_differences.toml"
MIGRATION = REPO / "docs" / "migration.md"
TEMPORARY_SECTION = "temporary"
RETRIES = 3  # extra attempts for a failure that is not listed (see retry_failures)
RETRY_PAUSE = 2.0  # seconds before each, so that a burst of load on the machine can pass


def real_pynetdicom_dir() -> Path:
    """The installed pynetdicom package (its tests ship in the wheel)."""
    code = "import os, pynetdicom; print(os.path.dirname(pynetdicom.__file__))"
    out = subprocess.check_output([sys.executable, "-c", code], cwd="/", text=True)
    return Path(out.strip())


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def migration_anchors() -> Set[str]:
    """Anchors of docs/migration.md: every heading's, and explicit ``<a id="...">`` ones."""
    text = re.sub(r"^```.*?^```", "", MIGRATION.read_text(encoding="utf-8"), flags=re.M | re.S)
    anchors: Set[str] = set()
    for match in re.finditer(r"^#+\s+(.*)$", text, re.M):
        anchor = github_anchor(match.group(1))
        n = 0
        while (anchor if n == 0 else f"{anchor}-{n}") in anchors:
            n += 1  # GitHub numbers repeated headings: logging, logging-1, ...
        anchors.add(anchor if n == 0 else f"{anchor}-{n}")
    anchors |= set(re.findall(r'<a id="([^"]+)"', text))
    return anchors


def load_expected() -> Tuple[Dict[str, str], Set[str], List[str]]:
    """(test id -> anchor, ids in the temporary section, problems with the file)."""
    if tomllib is None:
        raise SystemExit("the harness needs Python 3.11+ (tomllib)")
    data = tomllib.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    anchors = migration_anchors()
    expected: Dict[str, str] = {}
    temporary: Set[str] = set()
    problems: List[str] = []
    for section in ("differences", TEMPORARY_SECTION):
        for anchor, entry in data.get(section, {}).items():
            if anchor not in anchors:
                problems.append(f"[{section}.{anchor}]: no such heading in docs/migration.md")
            for test in entry.get("tests", []):
                if test in expected:
                    problems.append(f"{test}: listed twice")
                expected[test] = anchor
                if section == TEMPORARY_SECTION:
                    temporary.add(test)
    return expected, temporary, problems


def build_tree(root: Path, real: Path, chosen_files: List[str], baseline: bool) -> None:
    """The temporary ``pynetdicom`` package: a shim plus copies of the chosen test files."""
    shim = HERE / ("baseline" if baseline else "shim") / "pynetdicom"
    shutil.copytree(shim, root / "pynetdicom", ignore=shutil.ignore_patterns("__pycache__"))
    for tests in ("tests", "apps/tests"):

        def ignore(folder: str, names: List[str], tests: str = tests) -> List[str]:
            rel = Path(folder).relative_to(real).as_posix()
            chosen = chosen_files
            return [
                n
                for n in names
                if n == "__pycache__"
                or (n.startswith("test_") and n.endswith(".py") and f"{rel}/{n}" not in chosen)
            ]

        shutil.copytree(real / tests, root / "pynetdicom" / tests, ignore=ignore)
    if baseline:
        for app in ("echoscu", "echoscp"):
            shutil.copytree(
                real / "apps" / app,
                root / "pynetdicom" / "apps" / app,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
    shutil.copy(HERE / "plugin.py", root / "suite_plugin.py")
    (root / "pytest.ini").write_text(
        "[pytest]\n# written by tests/pynetdicom_suite/run.py\naddopts = -p no:cacheprovider\n",
        encoding="utf-8",
    )


def netns_prefix() -> Optional[List[str]]:
    """A command prefix that runs in a private network namespace with ``lo`` up, or None."""
    up = 'ip link set lo up && exec "$@"'
    for flags in (["-n"], ["-rn"]):
        cmd = ["unshare", *flags, "sh", "-c", up, "sh"]
        try:
            ok = subprocess.run([*cmd, "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return cmd
    return None


def print_selection(sel: selection.Selection) -> None:
    print("== selection (by source; see tests/pynetdicom_suite/README.md)")
    for rel, (chosen, excluded) in sorted(sel.per_file.items()):
        print(f"  {rel:38} selected {chosen:4}  excluded {excluded:4}")
    print(f"  files excluded: {len(sel.files_excluded)}")
    for rel, why in sorted(sel.files_excluded.items()):
        print(f"    {rel:36} {why}")
    groups = collections.Counter(selection.reason_group(r) for r in sel.excluded.values())
    reasons = collections.Counter(sel.excluded.values())
    print(f"  tests selected: {len(sel.selected)}, excluded: {len(sel.excluded)}")
    for group, n in groups.most_common():
        print(f"    {n:4}  {group}")
    for reason, n in reasons.most_common(12):
        print(f"          {n:4}  {reason}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="store_true", help="run against real pynetdicom")
    parser.add_argument("--list", action="store_true", help="print the selection and stop")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression (a subset)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--host-network",
        action="store_true",
        help="run without a private network namespace (fixed ports may collide)",
    )
    parser.add_argument("--timeout", type=int, default=30, help="per-test timeout (s)")
    parser.add_argument("--results", help="also write the outcomes (JSON) here")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)

    real = real_pynetdicom_dir()
    sel = selection.select(real)
    print_selection(sel)
    if args.list:
        for test in sel.selected:
            print(test)
        return 0

    expected, temporary, problems = load_expected()
    if problems:
        print("== expected_differences.toml is wrong:")
        for p in problems:
            print("  " + p)
        return 2

    prefix: List[str] = []
    if not args.host_network:
        found = netns_prefix()
        if found is None:
            print("cannot make a private network namespace (unshare -n / -rn); pynetdicom's")
            print("tests use fixed ports: rerun with --host-network on a machine of your own")
            return 2
        prefix = found

    tmp = Path(tempfile.mkdtemp(prefix="pynetdicom_suite_"))
    try:
        build_tree(tmp, real, list(sel.per_file), args.baseline)
        results_path = tmp / "results.json"
        env = dict(os.environ)
        env.update(
            FASTDIMSE_SUITE_REAL=str(real),
            FASTDIMSE_SUITE_SELECTED=json.dumps(sel.selected),
            FASTDIMSE_SUITE_RESULTS=str(results_path),
            FASTDIMSE_SUITE_GUARD_LOG=str(tmp / "guard.log"),
            PYTHONPATH=os.pathsep.join([str(tmp), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        )
        env.pop("PYTEST_ADDOPTS", None)
        cmd = [
            *prefix,
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "suite_plugin",
            f"--timeout={args.timeout}",
            "--rootdir",
            str(tmp),
            "-o",
            "console_output_style=classic",
            "-rN",
            "pynetdicom",
        ]
        if args.keyword:
            cmd += ["-k", args.keyword]
        cmd += args.pytest_args
        mode = "pynetdicom (baseline)" if args.baseline else "fastdimse as pynetdicom"
        print(f"== running {len(sel.selected)} selected tests against {mode}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=tmp, env=env)
        if not results_path.exists():
            print(f"pytest wrote no results (exit {proc.returncode})")
            return 2
        results = json.loads(results_path.read_text(encoding="utf-8"))
        retried = retry_failures(results, cmd, tmp, env, results_path, expected, args)
        elapsed = time.monotonic() - started
        if args.results:  # every outcome, retries merged in
            Path(args.results).write_text(json.dumps(results, indent=1, sort_keys=True))
        guard_log = tmp / "guard.log"
        guard = guard_log.read_text(encoding="utf-8") if guard_log.exists() else ""
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report(results, expected, temporary, args, elapsed, guard, retried)


def retry_failures(
    results: Dict[str, Dict[str, str]],
    cmd: List[str],
    tmp: Path,
    env: Dict[str, str],
    results_path: Path,
    expected: Dict[str, str],
    args: argparse.Namespace,
) -> List[str]:
    """Run the tests that failed and are not listed again, up to ``RETRIES`` times; return
    those that passed on a later attempt.

    pynetdicom's tests wait with fixed sleeps (half a second for an app to start listening,
    for example), so on a loaded machine a test can fail that passes alone; pynetdicom's own
    run (``--baseline``) shows it too. A test that fails every attempt is a failure; one that
    passes on a later attempt is reported as flaky.
    """
    passed: List[str] = []
    for _ in range(RETRIES):
        failed = [
            n
            for n, r in results.items()
            if r["outcome"] in ("failed", "error")
            and "::" in n
            and (args.baseline or (n not in expected and n.split("[", 1)[0] not in expected))
        ]
        if not failed or len(failed) > 40:
            break
        time.sleep(RETRY_PAUSE)
        print(f"== running the {len(failed)} unlisted failures once more", flush=True)
        base = [c for c in cmd if c != "pynetdicom"]
        if args.keyword:
            base = base[: base.index("-k")] + base[base.index("-k") + 2 :]
        subprocess.run([*base, *failed], cwd=tmp, env=env)
        again = json.loads(results_path.read_text(encoding="utf-8"))
        for n in failed:
            if again.get(n, {}).get("outcome") == "passed":
                results[n] = again[n]
                passed.append(n)
    return passed


def report(
    results: Dict[str, Dict[str, str]],
    expected: Dict[str, str],
    temporary: Set[str],
    args: argparse.Namespace,
    elapsed: float,
    guard: str,
    retried: List[str],
) -> int:
    """Compare outcomes with the expected differences; return the exit code."""

    def listed(nodeid: str) -> Optional[str]:
        return expected.get(nodeid) or expected.get(nodeid.split("[", 1)[0])

    counts = collections.Counter(r["outcome"] for r in results.values())
    bad = {n: r for n, r in results.items() if r["outcome"] in ("failed", "error")}
    print(f"== {dict(counts)} in {elapsed:.0f} s")
    for nodeid in retried:
        print(f"  flaky (failed, then passed when run again): {nodeid}")
    if guard:
        print("== guard: the real pynetdicom was reached:")
        print(guard)
    if args.baseline:
        for nodeid, r in sorted(bad.items()):
            print(f"  FAILED {nodeid}: {r['message'][:200]}")
        print("baseline:", "FAIL" if bad or guard else "ok")
        return 1 if bad or guard else 0

    unexpected = {n: r for n, r in bad.items() if listed(n) is None}
    expected_fail = {n for n in bad if listed(n) is not None}
    ran = set(results) | {n.split("[", 1)[0] for n in results}
    xpass_strict, xpass_temp, missing = [], [], []
    base_bad = {n.split("[", 1)[0] for n in bad} | set(bad)
    for test, anchor in sorted(expected.items()):
        if test not in ran:
            if args.keyword is None and not args.pytest_args:
                missing.append(test)
            continue
        if test not in base_bad:
            (xpass_temp if test in temporary else xpass_strict).append(f"{test}  ({anchor})")
    xpassed = len(xpass_strict) + len(xpass_temp)
    print(
        f"== fastdimse: {counts.get('passed', 0)} passed, {len(expected_fail)} failed as listed, "
        f"{len(unexpected)} failed unlisted, {xpassed} listed but passed"
    )
    for nodeid, r in sorted(unexpected.items()):
        print(f"  UNLISTED FAILURE {nodeid}: {r['message'][:300]}")
    for line in xpass_strict:
        print(f"  LISTED BUT PASSED (remove the entry) {line}")
    for line in xpass_temp:
        print(f"  passed, listed in [temporary] (remove once it passes every run): {line}")
    for test in missing:
        print(f"  LISTED BUT NOT SELECTED (remove the entry) {test}")
    failed = bool(unexpected or xpass_strict or missing or guard)
    print("pynetdicom suite:", "FAIL" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
