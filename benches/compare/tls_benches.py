"""The TLS part: DICOM over TLS, fastdimse next to DCMTK and pynetdicom in the same run.

Every pair runs mutual TLS (DCMTK's default: the server requires a client certificate) with
certificates made at run time (`pki.py`: EC P-256 CA, server certificate for localhost and
127.0.0.1, client certificate). Servers:

- `python -m fastdimse echoscp PORT +tls KEY CERT +cf CA` (the app, no handler);
- `/usr/bin/storescp +tls KEY CERT +cf CA -dhl` (iterative, as in the plain rows);
- `scp.py pynetdicom --tls KEY CERT CA` (pynetdicom's documented ``ssl.SSLContext``).

Clients: `fd_scu --tls` (the core's SCU without Python; resumption off, so every handshake is
a full one), `py_clients.py --tls` (the Python API with ``tls_args``: fastdimse keeps one
rustls configuration per context and so resumes TLS sessions; pynetdicom does not),
`echoscu +tls` (``--repeat`` for echoes; one process per association for associations/s,
which includes its process start: that is how DCMTK's SCU makes associations).
"""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
from typing import Callable, List

import pki
from procs import cpu_seconds, free_port, rss_kib, wait_listening

from benches import (
    DCMTK_ENV,
    ECHOSCU,
    HERE,
    PY,
    STORESCP,
    Bench,
    Context,
    Server,
    _client,
    _native_args,
    _read_port_line,
    echo_dcmtk_on,
    echo_floor,
    measure_held,
)

CONCURRENCY = (1, 16)
IDLE_COUNT = 1000
# The rows that make well under 100 associations/s (a process per association, pynetdicom)
# run at least this long, or a quick run would count a handful of associations and the
# server's CPU (10 ms ticks in /proc) would be mostly rounding.
SLOW_MIN_SECS = 1.0


def _pki(ctx: Context) -> pki.Pki:
    assert isinstance(ctx.pki, pki.Pki), "start_servers() makes the certificates"
    return ctx.pki


def _client_files(ctx: Context) -> str:
    """`--tls CA,CERT,KEY` for fd_scu and py_clients.py."""
    k = _pki(ctx)
    return f"{k.ca},{k.client_cert},{k.client_key}"


def _echoscu_tls(ctx: Context) -> List[str]:
    k = _pki(ctx)
    return ["+tls", k.client_key, k.client_cert, "+cf", k.ca]


def start_servers(ctx: Context) -> None:
    """The certificates and the three TLS servers (loopback, free ports)."""
    d = tempfile.mkdtemp(prefix="fdbench-tls-")
    ctx.tempdirs.append(d)
    k = ctx.pki = pki.make(d)
    p = ctx.procs
    if "floor_pp" not in ctx.servers:  # the plain part's ping-pong floor, for its row here
        proc = p.start([ctx.native("floor_server"), "--pattern", "80:90"])
        ctx.servers["floor_pp"] = Server("floor ping-pong", proc, _read_port_line(proc))

    port = free_port()
    argv = [PY, "-m", "fastdimse", "echoscp", "--bind-address", "127.0.0.1", str(port)]
    proc = p.start([*argv, "+tls", k.server_key, k.server_cert, "+cf", k.ca])
    wait_listening(port, proc)
    ctx.servers["tls_fd"] = Server("fastdimse echoscp +tls", proc, port)

    port = free_port()
    outdir = tempfile.mkdtemp(prefix="fdbench-storescp-tls-")
    ctx.tempdirs.append(outdir)
    tls = ["+tls", k.server_key, k.server_cert, "+cf", k.ca]
    proc = p.start([STORESCP, *tls, "-dhl", "-od", outdir, str(port)], env=DCMTK_ENV, stdout=None)
    wait_listening(port, proc)
    ctx.servers["tls_storescp"] = Server("DCMTK storescp +tls", proc, port)

    proc = p.start(
        [PY, os.path.join(HERE, "scp.py"), "pynetdicom", "--tls", k.server_key, k.server_cert, k.ca]
    )
    ctx.servers["tls_pynetdicom"] = Server("pynetdicom TLS", proc, _read_port_line(proc))


def native(mode: str, server: str, threads: int = 1) -> Callable[[Context], dict]:
    """fd_scu over TLS: `echo` over one association, or `assoc` cycles with `threads`."""

    def run(ctx: Context) -> dict:
        argv = [
            ctx.native("fd_scu"),
            mode,
            *_native_args(ctx, server, warmup=threads == 1),
            "--tls",
            _client_files(ctx),
        ]
        if mode == "assoc":
            argv += ["--threads", str(threads)]
        return _client(ctx, server, argv)

    return run


def python(
    client_mode: str, server: str, threads: int = 1, min_secs: float = 0.0
) -> Callable[[Context], dict]:
    """py_clients.py over TLS (``tls_args``), timed for at least `min_secs`."""

    def run(ctx: Context) -> dict:
        secs = max(ctx.mode.secs, min_secs)
        argv = [
            PY,
            os.path.join(HERE, "py_clients.py"),
            client_mode,
            *_native_args(ctx, server, warmup=threads == 1),
            "--tls",
            _client_files(ctx),
            "--threads",
            str(threads),
        ]
        argv[argv.index("--secs") + 1] = str(secs)
        return _client(ctx, server, argv, timeout=ctx.mode.warmup + secs + 60)

    return run


def echo_dcmtk(ctx: Context) -> dict:
    """echoscu +tls --repeat (W + N) against storescp +tls, less an echoscu --repeat W run
    (process start, handshake, association and the first W echoes cancel out), as the plain
    DCMTK row does."""
    return echo_dcmtk_on(ctx, "tls_storescp", _echoscu_tls(ctx), "echoscu +tls")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def assoc_dcmtk(threads: int) -> Callable[[Context], dict]:
    """`threads` loops, each starting `echoscu +tls` (associate, one C-ECHO, release, exit)
    again as soon as the last one ended: DCMTK's SCU makes one association per process, so
    each association includes a process start. One loop runs untimed for the warm-up first."""

    def run(ctx: Context) -> dict:
        srv = ctx.servers["tls_storescp"]
        argv = [ECHOSCU, *_echoscu_tls(ctx), "127.0.0.1", str(srv.port)]
        counts = {"ok": 0, "failed": 0}
        lock = threading.Lock()

        def loop(deadline: float, counted: bool) -> None:
            while time.perf_counter() < deadline:
                t = ctx.procs.run_timed(argv, timeout=ctx.mode.client_timeout + 10, env=DCMTK_ENV)
                if counted:
                    with lock:
                        counts["ok" if t is not None else "failed"] += 1

        if threads == 1:
            loop(time.perf_counter() + ctx.mode.warmup, False)
        cpu0, ccpu0 = cpu_seconds(srv.pid), _children_cpu()
        t0 = time.perf_counter()
        until = t0 + max(ctx.mode.secs, SLOW_MIN_SECS)
        pool = [threading.Thread(target=loop, args=(until, True)) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        secs = time.perf_counter() - t0
        return {
            **counts,
            "secs": secs,
            "rate": counts["ok"] / secs,
            "server_cpu": cpu_seconds(srv.pid) - cpu0,
            "client_cpu": _children_cpu() - ccpu0,
            "error": "echoscu +tls failed" if counts["failed"] else "",
        }

    return run


def all_benches() -> List[Bench]:
    b = [
        Bench("t_floor", "tls", "floor: TCP ping-pong 80/90 (native, plain TCP)", echo_floor),
        Bench("t_fd", "tls", "fastdimse-native SCU -> fastdimse echoscp", native("echo", "tls_fd")),
        Bench(
            "t_py_send",
            "tls",
            "Python send_c_echo() loop -> fastdimse echoscp",
            python("fastdimse-send", "tls_fd"),
        ),
        Bench(
            "t_py_many",
            "tls",
            "Python _core.echo_many() -> fastdimse echoscp",
            python("fastdimse-many", "tls_fd"),
        ),
        Bench("t_dcmtk", "tls", "DCMTK echoscu +tls --repeat -> storescp +tls", echo_dcmtk),
        Bench(
            "t_fd_storescp",
            "tls",
            "fastdimse-native SCU -> storescp +tls",
            native("echo", "tls_storescp"),
        ),
        Bench(
            "t_pynetdicom",
            "tls",
            "pynetdicom SCU -> pynetdicom SCP",
            python("pynetdicom", "tls_pynetdicom"),
        ),
    ]
    for n in CONCURRENCY:
        g = f"tls-assoc/{n}"
        b += [
            Bench(
                f"ta_fd_{n}",
                g,
                "fastdimse-native SCU (full handshakes) -> fastdimse echoscp",
                native("assoc", "tls_fd", n),
            ),
            Bench(
                f"ta_pyfd_{n}",
                g,
                "Python associate, send_c_echo, release (resumed sessions) -> echoscp",
                python("fastdimse-assoc", "tls_fd", n),
            ),
            Bench(
                f"ta_fd_storescp_{n}",
                g,
                "fastdimse-native SCU (full handshakes) -> storescp +tls",
                native("assoc", "tls_storescp", n),
            ),
            Bench(
                f"ta_dcmtk_{n}",
                g,
                "DCMTK echoscu +tls, a process each -> storescp +tls",
                assoc_dcmtk(n),
            ),
            Bench(
                f"ta_pynetdicom_{n}",
                g,
                "pynetdicom associate, send_c_echo, release -> SCP",
                python("pynetdicom-assoc", "tls_pynetdicom", n, SLOW_MIN_SECS),
            ),
        ]
    return b


def idle_associations(ctx: Context, count: int = IDLE_COUNT) -> dict:
    """Hold `count` TLS associations open on a fresh fastdimse TLS server (scp.py with an
    ``ssl.SSLContext``); its RSS per association and its CPU while they idle."""
    k = _pki(ctx)
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
            "--tls",
            k.server_key,
            k.server_cert,
            k.ca,
        ]
    )
    holder = None
    try:
        port = _read_port_line(scp)
        # Twenty associations first, so what the server allocates once is not counted per
        # association (the TLS configuration, the first handshake's buffers).
        warm = p.run_json(
            [
                ctx.native("fd_scu"),
                "assoc",
                "--port",
                str(port),
                "--max",
                "20",
                "--secs",
                "5",
                "--tls",
                _client_files(ctx),
            ],
            timeout=30,
        )
        if warm.get("ok") != 20:
            raise RuntimeError(f"TLS warm-up failed: {warm}")
        rss0 = rss_kib(scp.pid)
        holder = p.start(
            [
                PY,
                os.path.join(HERE, "py_clients.py"),
                "fastdimse-hold",
                "--port",
                str(port),
                "--count",
                str(count),
                "--tls",
                _client_files(ctx),
            ]
        )
        return measure_held(ctx, scp.pid, holder, count, rss0, timeout=300)
    finally:
        if holder is not None:
            p.stop(holder)
        p.stop(scp)
