#!/usr/bin/env python3
"""fastdimse side by side with the loopback TCP floor, DCMTK and pynetdicom.

    python benches/compare/run.py [--quick | --full] [--reps N] [--json FILE] [--markdown FILE]

Runs every benchmark once per repetition, round-robin (the order alternates between
repetitions), and prints medians, min/max and ratios taken within each repetition, then
PASS/MISS for each target of the performance issue. One-client runs are timed after an
untimed warm-up (`--warmup`; README.md says why). Quick mode takes under 2 minutes once the
native helpers are built, plus about 45 s for the TLS part (`--only tls` runs that alone);
full mode runs longer and adds the codec benchmarks.

Needs: fastdimse installed in this Python as a release build (`maturin develop --release`),
pynetdicom, DCMTK's echoscu/storescp in /usr/bin, cargo. Every server and client is started
here on 127.0.0.1 and free ports, and stopped on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import report  # noqa: E402
import tls_benches  # noqa: E402
from procs import Procs  # noqa: E402

import benches  # noqa: E402


def _elf_has_debug_info(path: str) -> bool:
    """True if the ELF file at `path` has a .debug_info section (a debug build)."""
    import struct

    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i: int):
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)

    _, _, _, _, str_off, str_size = section(shstrndx)
    names = data[str_off : str_off + str_size]
    for i in range(shnum):
        name_off = section(i)[0]
        end = names.find(b"\0", name_off)
        if names[name_off:end] == b".debug_info":
            return True
    return False


def check_extension(allow_debug: bool) -> str:
    import fastdimse
    from fastdimse import _core

    path = _core.__file__
    if _elf_has_debug_info(path) and not allow_debug:
        sys.exit(
            f"{path} is a debug build; figures would be meaningless.\n"
            "Build it with `maturin develop --release` (or pass --allow-debug)."
        )
    return f"fastdimse {fastdimse.__version__} ({path})"


def build_native() -> str:
    manifest = os.path.join(HERE, "native", "Cargo.toml")
    print(
        "building benches/compare/native (cargo build --release) ...", file=sys.stderr, flush=True
    )
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--manifest-path", manifest], check=True
    )
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--manifest-path", manifest],
        check=True,
        capture_output=True,
        text=True,
    )
    return os.path.join(json.loads(meta.stdout)["target_directory"], "release")


def _git_head() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", REPO, "status", "--porcelain", "--", "rust", "python", "Cargo.toml"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return head + (" (rust/python modified)" if dirty else "")
    except OSError:
        return "unknown"


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


HALT_POLL = "/sys/module/haltpoll/parameters/guest_halt_poll_ns"


def halt_poll_ns() -> str:
    """How long an idle vCPU of this KVM guest polls before it halts (cpuidle-haltpoll), or
    "n/a". With 0, every wake-up of an idle vCPU goes through the host, which sets most of
    the floor's round trip; RESULTS.md shows the rates with and without polling."""
    try:
        with open(HALT_POLL) as f:
            return f.read().strip()
    except OSError:
        return "n/a"


def set_halt_poll_ns(value: str) -> None:
    with open(HALT_POLL, "w") as f:
        f.write(value)


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"]
    return (
        f"{os.cpu_count()} CPUs (nproc), {model}, Linux {platform.release()}, "
        f"Python {platform.python_version()}; load average at start {' '.join(load)}; "
        f"guest halt polling {halt_poll_ns()} ns"
    )


def run_codec(procs: Procs) -> List[str]:
    """The criterion codec figures and the pytest-benchmark ones (codec and Python API),
    when their benches exist."""
    notes = []
    if os.path.exists(os.path.join(REPO, "benches", "codec.rs")):
        print("cargo bench --bench codec ...", file=sys.stderr, flush=True)
        p = subprocess.run(
            ["cargo", "bench", "--bench", "codec"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        lines = [
            ln
            for ln in p.stdout.splitlines()
            if "time:" in ln or "thrpt:" in ln or (ln and not ln.startswith(" ") and "/" in ln)
        ]
        if p.returncode != 0:
            body = p.stderr[-2000:]
        elif lines:
            body = "\n".join(lines)
        else:
            body = "no criterion results: benches/codec.rs defines no benchmark on this branch"
        notes.append(f"cargo bench --bench codec (exit {p.returncode}):\n{body}")
    else:
        notes.append("benches/codec.rs not found: criterion codec figures skipped")
    if os.path.isdir(os.path.join(REPO, "benches", "python")):
        print("pytest benches/python --benchmark-enable ...", file=sys.stderr, flush=True)
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "benches/python",
                "--benchmark-enable",
                "--benchmark-columns=min,median,mean,ops,rounds",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        notes.append(
            f"pytest benches/python --benchmark-enable (exit {p.returncode}):\n" + p.stdout[-6000:]
        )
    else:
        notes.append("benches/python not found: pytest-benchmark figures skipped")
    return notes


def _stop_on_sigterm(signum, frame):  # noqa: ANN001
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="under 2 minutes (default)")
    g.add_argument(
        "--full", action="store_true", help="longer runs, more repetitions, codec benches"
    )
    ap.add_argument("--reps", type=int, help="repetitions (default: 3 quick, 5 full)")
    ap.add_argument("--secs", type=float, help="seconds per run (default: 0.25 quick, 2 full)")
    ap.add_argument(
        "--warmup",
        type=float,
        help="untimed seconds before each run (default: 0.2 quick, 0.5 full)",
    )
    ap.add_argument(
        "--only",
        choices=["echo", "assoc", "placement", "idle", "tls"],
        help="run one part only (tls: every TLS row, its idle associations included)",
    )
    ap.add_argument("--no-idle", action="store_true", help="skip the idle-associations part")
    ap.add_argument("--no-codec", action="store_true", help="skip the codec benches in --full")
    ap.add_argument("--json", help="write every raw result to this file")
    ap.add_argument("--markdown", help="write the report (tables and targets) to this file")
    ap.add_argument(
        "--guest-halt-poll-ns",
        type=int,
        help="run with this guest halt-poll window (root, KVM guest with cpuidle-haltpoll); "
        "the previous value is restored on exit",
    )
    ap.add_argument("--allow-debug", action="store_true", help="run against a debug build anyway")
    args = ap.parse_args()

    mode = benches.FULL if args.full else benches.QUICK
    if args.reps:
        mode.reps = args.reps
    if args.secs:
        mode.secs = args.secs
    if args.warmup is not None:
        mode.warmup = max(0.0, args.warmup)
    halt_poll_before = None
    if args.guest_halt_poll_ns is not None:
        halt_poll_before = halt_poll_ns()
        try:
            set_halt_poll_ns(str(args.guest_halt_poll_ns))
        except OSError as e:
            print(f"--guest-halt-poll-ns {args.guest_halt_poll_ns}: {e}", file=sys.stderr)
            return 2
    try:
        return _run(args, mode)
    finally:
        if halt_poll_before is not None:
            set_halt_poll_ns(halt_poll_before)


def _run(args: argparse.Namespace, mode: benches.Mode) -> int:
    started = time.monotonic()
    ext = check_extension(args.allow_debug)
    bin_dir = build_native()
    nofile = raise_nofile()
    build_secs = time.monotonic() - started

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # Explicitly: a shell starting us in the background may have left SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    procs = Procs()
    ctx = benches.Context(procs=procs, mode=mode, bin_dir=bin_dir)
    results: Dict[str, List[dict]] = {}
    idle: List[dict] = []
    tls_idle: List[dict] = []
    codec_notes: List[str] = []
    every = benches.all_benches() + tls_benches.all_benches()
    todo = [
        b
        for b in every
        if (
            args.only is None
            or args.only == b.group
            or (args.only == "assoc" and b.group.startswith("assoc"))
            or (args.only == "tls" and b.group.startswith("tls"))
        )
        # A part asked for by name runs in quick mode too.
        and not (b.full_only and mode.name == "quick" and args.only != b.group)
    ]
    labels = {b.key: b.label for b in every}
    tls_part = args.only in (None, "tls")
    t0 = time.monotonic()
    try:
        if any(not b.group.startswith("tls") for b in todo):
            benches.start_servers(ctx)
        if tls_part:
            tls_benches.start_servers(ctx)
        for rep in range(mode.reps):
            order = todo if rep % 2 == 0 else list(reversed(todo))
            for b in order:
                if b.group == "echo" and b.key not in report.FLOOR_KEYS:
                    # A run of each floor right before each echo benchmark, for its ratios:
                    # the load of a shared machine drifts within a repetition. The busy-poll
                    # floor first, so the blocking floor stays the run just before the
                    # benchmark, as it was before the busy-poll floor existed.
                    results.setdefault(f"floor_busy@{b.key}", []).append(
                        benches.echo_floor_busy(ctx)
                    )
                    results.setdefault(f"floor@{b.key}", []).append(benches.echo_floor(ctx))
                r = b.run(ctx)
                results.setdefault(b.key, []).append(r)
                err = f"  ERROR {r.get('error')}" if r.get("failed") else ""
                rate = r.get("rate", 0)
                print(
                    f"[{time.monotonic() - t0:5.1f} s] [rep {rep + 1}/{mode.reps}] {b.group:9}"
                    f" {b.label:55} {rate:>10,.0f}/s{err}",
                    file=sys.stderr,
                    flush=True,
                )
        for s in list(ctx.servers.values()):
            procs.stop(s.proc)
        if (args.only in (None, "idle")) and not args.no_idle:
            for n in mode.idle_counts:
                r = benches.idle_associations(ctx, n)
                idle.append(r)
                print(
                    f"[{time.monotonic() - t0:5.1f} s] [idle] {n:,} held: {r['held']:,},"
                    f" {r['rss_per_assoc_kib']:.1f} KiB each,"
                    f" {r['idle_cpu_s']:.2f} s CPU in {r['idle_secs']} s",
                    file=sys.stderr,
                    flush=True,
                )
        if tls_part and not args.no_idle:
            r = tls_benches.idle_associations(ctx)
            tls_idle.append(r)
            print(
                f"[{time.monotonic() - t0:5.1f} s] [tls idle] {r['count']:,} held: {r['held']:,},"
                f" {r['rss_per_assoc_kib']:.1f} KiB each,"
                f" {r['idle_cpu_s']:.2f} s CPU in {r['idle_secs']} s",
                file=sys.stderr,
                flush=True,
            )
        if args.full and not args.no_codec and args.only is None:
            codec_notes = run_codec(procs)
    except KeyboardInterrupt:
        print("interrupted: stopping every server and client", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
        for d in ctx.tempdirs:
            shutil.rmtree(d, ignore_errors=True)
    bench_secs = time.monotonic() - t0

    cmd = "python benches/compare/run.py " + " ".join(sys.argv[1:])
    head = [
        f"# fastdimse compare: {mode.name} mode",
        "",
        f"- command: `{cmd.strip()}`",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {machine()}",
        f"- {ext}, git {_git_head()}; native helpers in {bin_dir}",
        f"- {mode.reps} repetitions round-robin, {mode.secs} s per run after {mode.warmup} s"
        f" untimed; associations/s clients time out after {mode.client_timeout:g} s;"
        f" RLIMIT_NOFILE {nofile}; "
        f"benchmarks took {bench_secs:.0f} s (+{build_secs:.0f} s checks/build)",
        "- ratios are medians of per-repetition ratios (both sides measured in one repetition;"
        " the ping-pong floor of a repetition is the median of its floor runs, one made just"
        " before each echo benchmark; the busy-poll floor likewise, one run before each)",
    ]
    parts = ["\n".join(head)]
    if any(b.group == "echo" for b in todo):
        parts.append(
            "## Echoes per second over one association\n\n" + report.echo_table(results, labels)
        )
    if any(b.group.startswith("assoc") for b in todo):
        parts.append(
            "## Associations per second (connect, associate, one echo, release)\n\n"
            + report.assoc_table(results, labels, benches.CONCURRENCY)
        )
    if any(b.group == "placement" for b in todo):
        parts.append(
            "## Associations per second with 1 client, by placement\n\n"
            "Server and client pinned to vCPUs (`sched_setaffinity`), so each placement is"
            " measured alone; unpinned, the kernel mixes the two.\n\n"
            + report.placement_table(results, labels, [t for t, *_ in benches.PLACEMENTS])
        )
    if any(not k.startswith(("t_", "ta_")) for k in results):
        parts.append(
            "## CPU cost (server process utime+stime from /proc)\n\n"
            + report.cost_table(results, labels)
        )
    if idle:
        parts.append("## Idle associations on one fastdimse server\n\n" + report.idle_table(idle))
    if any(b.group.startswith("tls") for b in todo) or tls_idle:
        parts.append(report.tls_section(results, labels, tls_idle, tls_benches.CONCURRENCY))
    if codec_notes:
        parts.append("## Codec benchmarks\n\n" + "\n\n".join(f"```\n{n}\n```" for n in codec_notes))
    elif args.full:
        parts.append("## Codec benchmarks\n\nskipped")
    else:
        parts.append("Codec benchmarks: run in --full mode only.")
    rows = report.targets(results, idle)
    if tls_part:
        rows += report.tls_targets(results, tls_idle, tls_benches.CONCURRENCY)
    parts.append("## Targets\n\n" + report.targets_table(rows))
    bounds = report.ceilings(results)
    if bounds:
        parts.append(
            "## What this machine allows\n\n"
            "Ceilings for the ratio targets that depend on another program's speed, from rows"
            " of this run, for a client and server that sleep between messages as the floor"
            " does. fastdimse goes past them by polling its socket for a short adaptive window"
            " before it sleeps (rust/net/spin.rs); the polling-off rows (full mode) show it"
            " without.\n\n" + report.ceilings_table(bounds)
        )
    text = "\n\n".join(parts) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "results": results,
                    "idle": idle,
                    "tls_idle": tls_idle,
                    "codec": codec_notes,
                    "mode": mode.name,
                },
                f,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
