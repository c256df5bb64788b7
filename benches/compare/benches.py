"""What is measured: the servers, and one function per benchmark returning its figures.

Every benchmark returns a dict with at least ``rate`` (operations per second), ``ok``,
``failed`` and, when the server is a process of its own, ``server_cpu`` (CPU seconds the
server used during the run).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from procs import Procs, cpu_seconds, free_port, wait_listening

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
ECHOSCU = "/usr/bin/echoscu"
STORESCP = "/usr/bin/storescp"
DCMTK_ENV = {"TCP_NODELAY": "1"}
# fastdimse with its adaptive polling before a wait turned off (rust/net/spin.rs).
NO_POLL_ENV = {"FASTDIMSE_SPIN_US": "0"}
CONCURRENCY = (1, 4, 16, 64)
# Where the one-client association runs of the "placement" group put server and client:
# (key suffix, label, server vCPU, client vCPU).
PLACEMENTS = (("one", "both on vCPU 0", 0, 0), ("two", "server on vCPU 0, client on 1", 0, 1))


@dataclass
class Mode:
    """Run lengths: quick (under 2 minutes) or full."""

    name: str
    reps: int
    secs: float  # per single-association / associations-per-second run
    # Untimed operations before each timed run (native/src/load.rs, `Window`, says why).
    warmup: float
    dcmtk_warmup: int  # echoes of an echoscu run whose time is subtracted (the same idea)
    dcmtk_repeat: int  # echoes timed: echoscu --repeat (dcmtk_warmup + dcmtk_repeat)
    idle_counts: List[int]
    idle_secs: float
    # raw_scu's per-operation timeout in the associations/s runs: a connect or read the peer
    # leaves waiting that long counts as a failure. Quick mode waits less, or the one peer
    # that stalls at 64 clients (pynetdicom) adds 10 s per repetition to the 2-minute budget.
    client_timeout: float = 10.0


QUICK = Mode(
    "quick",
    reps=3,
    secs=0.25,
    warmup=0.2,
    dcmtk_warmup=2000,
    dcmtk_repeat=5000,
    idle_counts=[1000, 10000],
    idle_secs=2.0,
    client_timeout=3.0,
)
FULL = Mode(
    "full",
    reps=5,
    secs=2.0,
    warmup=0.5,
    dcmtk_warmup=5000,
    dcmtk_repeat=40000,
    idle_counts=[1000, 10000],
    idle_secs=5.0,
)


@dataclass
class Server:
    name: str
    proc: object
    port: int

    @property
    def pid(self) -> int:
        return self.proc.pid  # type: ignore[attr-defined]


@dataclass
class Context:
    procs: Procs
    mode: Mode
    bin_dir: str
    servers: Dict[str, Server] = field(default_factory=dict)
    tempdirs: List[str] = field(default_factory=list)
    # The certificates of the TLS part (pki.Pki), made when its servers start.
    pki: Optional[object] = None

    def native(self, name: str) -> str:
        return os.path.join(self.bin_dir, name)


def _read_port_line(proc, timeout: float = 30.0) -> int:
    import selectors
    import time

    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if not sel.select(max(0.0, deadline - time.monotonic())):
                break
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("PORT "):
                return int(line.split()[1])
    finally:
        sel.close()
    raise RuntimeError(f"{proc.args!r} printed no PORT line")


def start_servers(ctx: Context) -> None:
    """Start every long-lived server of the run (loopback only, free ports)."""
    p = ctx.procs
    floor_pp = p.start([ctx.native("floor_server"), "--pattern", "80:90"])
    ctx.servers["floor_pp"] = Server("floor ping-pong", floor_pp, _read_port_line(floor_pp))
    # The busy-poll floor: the same server, but each connection's thread spins on its
    # non-blocking socket instead of sleeping in recv (native/src/busy.rs).
    floor_busy = p.start([ctx.native("floor_server"), "--pattern", "80:90", "--spin", "1"])
    ctx.servers["floor_busy"] = Server(
        "floor busy-poll ping-pong", floor_busy, _read_port_line(floor_busy)
    )
    floor_as = p.start([ctx.native("floor_server"), "--pattern", "287:194,80:90,10:10"])
    ctx.servers["floor_assoc"] = Server(
        "floor association-shaped", floor_as, _read_port_line(floor_as)
    )

    def echoscp(key: str, name: str, env: Optional[Dict[str, str]] = None) -> None:
        port = free_port()
        argv = [PY, "-m", "fastdimse", "echoscp", "--bind-address", "127.0.0.1", str(port)]
        proc = p.start(argv, env=env)
        wait_listening(port, proc)
        ctx.servers[key] = Server(name, proc, port)

    # The reference server: `python -m fastdimse echoscp PORT` (no handler bound; its
    # default limit of 1,000 concurrent associations covers the 64-client runs).
    echoscp("fd_echoscp", "fastdimse echoscp")
    # The same server with polling off (net/spin.rs): it sleeps in epoll between requests,
    # as the floor sleeps in recv. The rows against it show what polling is worth.
    echoscp("fd_echoscp_nopoll", "fastdimse echoscp, polling off", env=NO_POLL_ENV)

    # The same AE with an EVT_C_ECHO handler bound, so every C-ECHO goes through Python.
    handler = p.start([PY, os.path.join(HERE, "scp.py"), "fastdimse", "--handler"])
    ctx.servers["fd_handler"] = Server("fd_handler", handler, _read_port_line(handler))
    pyn = p.start([PY, os.path.join(HERE, "scp.py"), "pynetdicom"])
    ctx.servers["pynetdicom"] = Server("pynetdicom", pyn, _read_port_line(pyn))

    port = free_port()
    outdir = tempfile.mkdtemp(prefix="fdbench-storescp-")
    ctx.tempdirs.append(outdir)
    # -dhl: no reverse DNS lookup of each peer (the associations/s clients connect from
    # 127.0.0.2-254, which have no name; a lookup would time out per association).
    storescp = p.start([STORESCP, "-dhl", "-od", outdir, str(port)], env=DCMTK_ENV, stdout=None)
    wait_listening(port, storescp)
    ctx.servers["storescp"] = Server("DCMTK storescp", storescp, port)


# ----- one benchmark each ----------------------------------------------------------------------


def _client(
    ctx: Context,
    server: str,
    argv: List[str],
    timeout: Optional[float] = None,
    env: Optional[Dict[str, str]] = None,
) -> dict:
    srv = ctx.servers[server]
    budget = (
        timeout
        if timeout is not None
        else ctx.mode.warmup + ctx.mode.secs + ctx.mode.client_timeout + 30
    )
    cpu0 = cpu_seconds(srv.pid)
    res = ctx.procs.run_json(argv, timeout=budget, env=env)
    if "server_cpu" not in res:  # the client counts it over its timed part when it can
        res["server_cpu"] = cpu_seconds(srv.pid) - cpu0
    secs = res.get("secs") or 0.0
    res["rate"] = res.get("ok", 0) / secs if secs > 0 else 0.0
    return res


def _native_args(ctx: Context, server: str, warmup: bool = True) -> List[str]:
    """The common client options. The warm-up is for one client: with several, both vCPUs
    are busy from the start (and an overloaded peer's timeouts would only lengthen it)."""
    srv = ctx.servers[server]
    return [
        "--port",
        str(srv.port),
        "--secs",
        str(ctx.mode.secs),
        "--warmup",
        str(ctx.mode.warmup if warmup else 0.0),
        "--server-pid",
        str(srv.pid),
    ]


def echo_floor(ctx: Context) -> dict:
    return _client(
        ctx, "floor_pp", [ctx.native("floor_client"), "pingpong", *_native_args(ctx, "floor_pp")]
    )


def echo_floor_busy(ctx: Context) -> dict:
    """The busy-poll floor: client and server both spin on non-blocking sockets, so neither
    ever sleeps in the kernel. The ceiling for a pair that polls, as fastdimse's SCU and SCP
    do for an adaptive window (rust/net/spin.rs), where the blocking floor is the ceiling
    for a pair that sleeps; on a 2-vCPU machine it takes both vCPUs for the whole run."""
    argv = [
        ctx.native("floor_client"),
        "pingpong",
        *_native_args(ctx, "floor_busy"),
        "--spin",
        "1",
    ]
    return _client(ctx, "floor_busy", argv)


def echo_native(
    binary: str, server: str, *extra: str, env: Optional[Dict[str, str]] = None
) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        argv = [ctx.native(binary), "echo", *_native_args(ctx, server), *extra]
        return _client(ctx, server, argv, env=env)

    return run


def echo_python(client_mode: str, server: str, *extra: str) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        argv = [
            PY,
            os.path.join(HERE, "py_clients.py"),
            client_mode,
            *_native_args(ctx, server),
            *extra,
        ]
        return _client(ctx, server, argv, timeout=ctx.mode.warmup + ctx.mode.secs + 60)

    return run


def echo_dcmtk(ctx: Context) -> dict:
    """echoscu --repeat (W + N) against storescp, less the time of an echoscu --repeat W run:
    process start, association, release and the first W echoes cancel out, so only the last
    N are timed, as the other clients time theirs after a warm-up."""
    return echo_dcmtk_on(ctx, "storescp", [], "echoscu")


def echo_dcmtk_on(ctx: Context, server: str, options: List[str], what: str) -> dict:
    """:func:`echo_dcmtk` against the server named `server`, echoscu run with `options`
    (the TLS part's ``+tls ...``); `what` names the client in the error."""
    srv = ctx.servers[server]
    w, n = ctx.mode.dcmtk_warmup, ctx.mode.dcmtk_repeat
    base = [ECHOSCU, *options, "127.0.0.1", str(srv.port)]
    cpu0 = cpu_seconds(srv.pid)
    tw = ctx.procs.run_timed([*base, "--repeat", str(w)], timeout=60, env=DCMTK_ENV)
    cpu1 = cpu_seconds(srv.pid)
    tn = ctx.procs.run_timed([*base, "--repeat", str(w + n)], timeout=180, env=DCMTK_ENV)
    server_cpu = (cpu_seconds(srv.pid) - cpu1) - (cpu1 - cpu0)
    if tw is None or tn is None or tn <= tw:
        return {
            "ok": 0,
            "failed": 1,
            "secs": 0.0,
            "rate": 0.0,
            "server_cpu": server_cpu,
            "error": f"{what} failed",
        }
    secs = tn - tw
    return {"ok": n, "failed": 0, "secs": secs, "rate": n / secs, "server_cpu": server_cpu}


def assoc_native(binary: str, server: str, threads: int) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        argv = [
            ctx.native(binary),
            "assoc",
            *_native_args(ctx, server, warmup=threads == 1),
            "--threads",
            str(threads),
            "--timeout",
            str(ctx.mode.client_timeout),
        ]
        return _client(ctx, server, argv)

    return run


def assoc_floor(threads: int) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        argv = [
            ctx.native("floor_client"),
            "assoc",
            *_native_args(ctx, "floor_assoc", warmup=threads == 1),
            "--threads",
            str(threads),
        ]
        return _client(ctx, "floor_assoc", argv)

    return run


def _pin(pid: int, cpus: set) -> None:
    """Sets the CPU affinity of every thread of process `pid` (threads it starts later
    inherit it from the thread that starts them)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass  # a thread that ended meanwhile


def assoc_pinned(
    binary: str, server: str, server_cpu: int, client_cpu: int
) -> Callable[[Context], dict]:
    """One client's associations/s with server and client held on given vCPUs.

    Why: unpinned, the kernel decides per wake-up whether the server runs on the client's
    vCPU or on the other one, and on this VM a wake-up of a halted vCPU costs tens of µs.
    Pinned, the same pair is measured in each placement alone, so the unpinned figure can be
    read as a mix of the two (RESULTS.md shows the measurement)."""

    def run(ctx: Context) -> dict:
        srv = ctx.servers[server]
        before = os.sched_getaffinity(srv.pid)
        mine = os.sched_getaffinity(0)
        argv = [ctx.native(binary), "assoc", *_native_args(ctx, server), "--threads", "1"]
        _pin(srv.pid, {server_cpu})
        # The client inherits this thread's affinity when it is started.
        os.sched_setaffinity(0, {client_cpu})
        try:
            return _client(ctx, server, argv)
        finally:
            os.sched_setaffinity(0, mine)
            _pin(srv.pid, before)

    return run


@dataclass
class Bench:
    key: str
    group: str  # "echo", "assoc/<n>" or "placement"
    label: str
    run: Callable[[Context], dict]
    # Left out of --quick, which must stay under 2 minutes.
    full_only: bool = False


def all_benches() -> List[Bench]:
    b = [
        Bench("floor", "echo", "floor: TCP ping-pong 80/90 (native)", echo_floor),
        Bench(
            "floor_busy",
            "echo",
            "floor: TCP ping-pong 80/90, busy-poll (native)",
            echo_floor_busy,
        ),
        Bench(
            "fd", "echo", "fastdimse SCU -> fastdimse echoscp", echo_native("fd_scu", "fd_echoscp")
        ),
        Bench(
            "fd_window",
            "echo",
            "fastdimse SCU -> fastdimse echoscp, 16 in flight (window 16)",
            echo_native("fd_scu", "fd_echoscp", "--in-flight", "16"),
        ),
        Bench(
            "fd_handler",
            "echo",
            "fastdimse SCU -> fastdimse SCP + Python handler",
            echo_native("fd_scu", "fd_handler"),
        ),
        Bench(
            "raw_fd",
            "echo",
            "raw native client -> fastdimse echoscp",
            echo_native("raw_scu", "fd_echoscp"),
        ),
        Bench(
            "raw_fd_handler",
            "echo",
            "raw native client -> fastdimse SCP + Python handler",
            echo_native("raw_scu", "fd_handler"),
        ),
        Bench(
            "fd_nopoll",
            "echo",
            "fastdimse SCU -> fastdimse echoscp, polling off on both",
            echo_native("fd_scu", "fd_echoscp_nopoll", env=NO_POLL_ENV),
            full_only=True,
        ),
        Bench(
            "raw_fd_nopoll",
            "echo",
            "raw native client -> fastdimse echoscp, polling off",
            echo_native("raw_scu", "fd_echoscp_nopoll"),
            full_only=True,
        ),
        Bench(
            "py_send",
            "echo",
            "Python send_c_echo() loop -> fastdimse echoscp",
            echo_python("fastdimse-send", "fd_echoscp"),
        ),
        Bench(
            "py_async",
            "echo",
            "Python await send_c_echo_async() loop -> fastdimse echoscp",
            echo_python("fastdimse-async", "fd_echoscp"),
        ),
        Bench(
            "py_async8",
            "echo",
            "Python send_c_echo_async(), 8 associations on one loop -> echoscp",
            echo_python("fastdimse-async", "fd_echoscp", "--associations", "8"),
            full_only=True,
        ),
        Bench(
            "py_async_window",
            "echo",
            "Python send_c_echo_async(), 16 in flight on one association -> echoscp",
            echo_python("fastdimse-async", "fd_echoscp", "--in-flight", "16"),
        ),
        Bench(
            "py_many",
            "echo",
            "Python _core.echo_many() -> fastdimse echoscp",
            echo_python("fastdimse-many", "fd_echoscp"),
        ),
        Bench("dcmtk", "echo", "DCMTK echoscu --repeat -> storescp", echo_dcmtk),
        Bench(
            "raw_storescp",
            "echo",
            "raw native client -> storescp",
            echo_native("raw_scu", "storescp"),
        ),
        Bench(
            "pynetdicom",
            "echo",
            "pynetdicom SCU -> pynetdicom SCP",
            echo_python("pynetdicom", "pynetdicom"),
        ),
        Bench(
            "raw_pynetdicom",
            "echo",
            "raw native client -> pynetdicom SCP",
            echo_native("raw_scu", "pynetdicom"),
        ),
    ]
    for n in CONCURRENCY:
        g = f"assoc/{n}"
        b += [
            Bench(
                f"a_floor_{n}", g, "floor: connect, 287/194, 80/90, 10/10, close", assoc_floor(n)
            ),
            Bench(
                f"a_fd_{n}",
                g,
                "raw native client -> fastdimse SCP",
                assoc_native("raw_scu", "fd_echoscp", n),
            ),
            Bench(
                f"a_storescp_{n}",
                g,
                "raw native client -> storescp",
                assoc_native("raw_scu", "storescp", n),
            ),
            Bench(
                f"a_pynetdicom_{n}",
                g,
                "raw native client -> pynetdicom SCP",
                assoc_native("raw_scu", "pynetdicom", n),
            ),
        ]
        if n == 1:
            b += [
                Bench(
                    "a_fdscu_1",
                    g,
                    "fastdimse SCU -> fastdimse SCP",
                    assoc_native("fd_scu", "fd_echoscp", 1),
                ),
                Bench(
                    "a_pyfd_1",
                    g,
                    "Python associate, send_c_echo, release -> echoscp",
                    echo_python("fastdimse-assoc", "fd_echoscp"),
                ),
                Bench(
                    "a_pypynd_1",
                    g,
                    "pynetdicom associate, send_c_echo, release -> pynetdicom SCP",
                    echo_python("pynetdicom-assoc", "pynetdicom"),
                ),
            ]
    if len(os.sched_getaffinity(0)) >= 2:
        for tag, where, server_cpu, client_cpu in PLACEMENTS:
            for name, binary, server, label in (
                ("floor", "floor_client", "floor_assoc", "floor"),
                ("fd", "raw_scu", "fd_echoscp", "raw native client -> fastdimse SCP"),
                ("storescp", "raw_scu", "storescp", "raw native client -> storescp"),
            ):
                b.append(
                    Bench(
                        f"p_{name}_{tag}",
                        "placement",
                        f"{label}, {where}",
                        assoc_pinned(binary, server, server_cpu, client_cpu),
                        full_only=True,
                    )
                )
    return b


def measure_held(
    ctx: Context, scp_pid: int, holder: Any, count: int, rss0: int, timeout: float
) -> dict:
    """Reads the holder's "ready" line, measures the server's RSS and its CPU over an idle
    window, then has the holder release every association and reads its "released" line."""
    from procs import read_json_line, rss_kib

    ready = read_json_line(holder.stdout, timeout=timeout)
    time.sleep(0.5)  # let the last accepted associations settle into their idle wait
    rss1 = rss_kib(scp_pid)
    cpu1 = cpu_seconds(scp_pid)
    time.sleep(ctx.mode.idle_secs)
    cpu2 = cpu_seconds(scp_pid)
    rss2 = rss_kib(scp_pid)
    holder.stdin.write("release\n")
    holder.stdin.flush()
    released = read_json_line(holder.stdout, timeout=timeout)
    held = int(ready.get("ready", 0))
    return {
        "count": count,
        "held": held,
        "open_failed": int(ready.get("failed", 0)),
        "open_secs": ready.get("secs"),
        "error": ready.get("error", ""),
        "released": int(released.get("released", 0)),
        "rss_before_kib": rss0,
        "rss_held_kib": rss1,
        "rss_after_idle_kib": rss2,
        "rss_per_assoc_kib": (rss2 - rss0) / held if held else float("nan"),
        "idle_secs": ctx.mode.idle_secs,
        "idle_cpu_s": cpu2 - cpu1,
        "idle_cpu_per_s": (cpu2 - cpu1) / ctx.mode.idle_secs,
    }


def idle_associations(ctx: Context, count: int) -> dict:
    """Hold `count` associations open on a fresh fastdimse server; its RSS and CPU while idle."""

    from procs import rss_kib

    p = ctx.procs
    scp = p.start(
        [
            PY,
            os.path.join(HERE, "scp.py"),
            "fastdimse",
            "--max-assoc",
            str(count + 16),
            "--network-timeout",
            "600",
        ]
    )
    holder = None
    try:
        port = _read_port_line(scp)
        # One association first, so what the server allocates once is not counted per association.
        warm = p.run_json(
            [ctx.native("raw_scu"), "assoc", "--port", str(port), "--max", "20", "--secs", "5"],
            timeout=30,
        )
        if warm.get("ok") != 20:
            raise RuntimeError(f"warm-up failed: {warm}")
        rss0 = rss_kib(scp.pid)
        holder = p.start(
            [
                ctx.native("raw_scu"),
                "hold",
                "--port",
                str(port),
                "--count",
                str(count),
                "--threads",
                "8",
            ]
        )
        return measure_held(ctx, scp.pid, holder, count, rss0, timeout=120)
    finally:
        if holder is not None:
            p.stop(holder)
        p.stop(scp)
