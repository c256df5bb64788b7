"""Differential mutation run: the same malformed peers against fastdimse and pynetdicom.

Each case is a seeded mutation of a valid session. In the SCP role a raw client sends the
mutated stream to an echo SCP; in the SCU role a raw SCP answers an echo SCU with mutated
replies. What each implementation sends back, and when it closes, is reduced to a short
signature; cases whose signatures differ are grouped and printed with a case number to
replay (``--scp-case N`` / ``--scu-case N`` prints the bytes exchanged).

    python scripts/mutation_diff.py --cases 2000 --role both

A difference is not by itself a fastdimse bug (pynetdicom has its own departures from
PS3.8); each group is a question to answer against the standard. The run takes about a
minute per thousand cases per role at the default timeout.
"""

from __future__ import annotations

import argparse
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rawpeer import (  # noqa: E402
    RELEASE_RP,
    RELEASE_RQ,
    VERIFICATION,
    associate_ac,
    associate_rq,
    echo_rq_pdata,
    echo_rsp,
    mutate,
    pdata,
    pdv,
)

SEED = 20261207
TIMEOUT = 1.0  # acse, network and dimse timeouts of both implementations
GRACE = 2.5  # how long a peer waits for the implementation to close
STEP = 0.15  # SCP role: wait for answers between PDUs (0: send the whole stream at once)

# ----- mutations ------------------------------------------------------------------------------

# ----- observing a peer -----------------------------------------------------------------------


def describe(raw: bytes) -> str:
    """A PDU in a few characters: its type, and for a reject or abort its fields."""
    if len(raw) < 6:
        return f"partial{raw[:1].hex()}"
    kind = raw[0]
    if kind == 3 and len(raw) >= 10:
        return f"RJ{raw[7]}/{raw[8]}/{raw[9]}"
    if kind == 7 and len(raw) >= 10:
        return f"AA{raw[8]}/{raw[9]}"
    if kind == 4:
        return "PD"
    return {1: "RQ", 2: "AC", 5: "RLQ", 6: "RLP"}.get(kind, f"T{kind:02x}")


def split(data: bytes) -> Tuple[List[bytes], bytes]:
    out = []
    while len(data) >= 6:
        total = 6 + int.from_bytes(data[2:6], "big")
        if len(data) < total:
            break
        out.append(data[:total])
        data = data[total:]
    return out, data


class Reader:
    """Reads PDUs from a socket with deadlines; remembers when the other side closed."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.closed_at: Optional[float] = None
        self.seen: List[bytes] = []

    def pdu(self, deadline: float) -> Optional[bytes]:
        while True:
            pdus, _ = split(self.buf)
            if pdus:
                total = len(pdus[0])
                self.buf = self.buf[total:]
                self.seen.append(pdus[0])
                return pdus[0]
            if self.closed_at is not None:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                self.closed_at = time.monotonic()
                return None
            self.buf += chunk

    def drain(self, deadline: float) -> None:
        while self.pdu(deadline) is not None:
            pass


def timing(start: float, closed_at: Optional[float]) -> str:
    if closed_at is None:
        return "open"
    took = closed_at - start
    if took < 0.5 * TIMEOUT:
        return "fast"
    return "timeout"


# ----- the SCP role ---------------------------------------------------------------------------


def scp_session() -> List[bytes]:
    return [associate_rq(), echo_rq_pdata(1), echo_rq_pdata(2), RELEASE_RQ]


def scp_case(port: int, case: int, verbose: bool = False) -> str:
    rng = random.Random(SEED + case)
    kind, pdus = mutate(rng, scp_session())
    stream = b"".join(pdus)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(sock)
        start = time.monotonic()
        try:
            if STEP:
                # A PDU at a time, each after the answers to the one before (or a short
                # wait), so each PDU meets the state its predecessors led to.
                for p in pdus:
                    sock.sendall(p)
                    start = time.monotonic()
                    while reader.pdu(start + STEP) is not None:
                        pass
                    if reader.closed_at is not None:
                        break
            else:
                sock.sendall(stream)
        except OSError:
            pass
        reader.drain(start + TIMEOUT + GRACE)
    if verbose:
        print(f"case {case} kind {kind}")
        for p in pdus:
            print("  sent", p.hex())
        for p in reader.seen:
            print("  got ", p.hex())
        print("  closed after", None if reader.closed_at is None else reader.closed_at - start)
    got = " ".join(describe(p) for p in reader.seen)
    return f"k{kind} [{got}] {timing(start, reader.closed_at)}"


def fastdimse_scp() -> Tuple[int, Callable[[], None]]:
    from fastdimse import AE, evt

    ae = AE(ae_title="ANY-SCP")
    ae.add_supported_context(VERIFICATION)
    ae.acse_timeout = ae.network_timeout = ae.dimse_timeout = TIMEOUT
    ae.maximum_associations = 256
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_ECHO, lambda e: 0x0000)]
    )
    return server.server_address[1], server.shutdown


PYNETDICOM_SCP = """
import sys
from pynetdicom import AE, evt
ae = AE(ae_title="ANY-SCP")
ae.add_supported_context("1.2.840.10008.1.1")
ae.acse_timeout = ae.network_timeout = ae.dimse_timeout = float(sys.argv[1])
ae.maximum_associations = 256
server = ae.start_server(("127.0.0.1", 0), block=False,
                         evt_handlers=[(evt.EVT_C_ECHO, lambda e: 0x0000)])
print(server.server_address[1], flush=True)
sys.stdin.read()
server.shutdown()
"""


def pynetdicom_scp() -> Tuple[int, Callable[[], None]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PYNETDICOM_SCP, str(TIMEOUT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    port = int(proc.stdout.readline())

    def stop() -> None:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)

    return port, stop


# ----- the SCU role ---------------------------------------------------------------------------


def scu_replies(rq: bytes) -> List[bytes]:
    return [associate_ac(rq), pdata(pdv(1, 0x03, echo_rsp(1))), RELEASE_RP]


class MutatingSCP:
    """A raw SCP: the called AE title of each A-ASSOCIATE-RQ names the case, whose mutated
    replies it sends, one per PDU received; then it records what the SCU sends until it
    closes."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = int(self.listener.getsockname()[1])
        self.results: Dict[Tuple[str, int], str] = {}
        self.logs: Dict[Tuple[str, int], List[str]] = defaultdict(list)
        self.done: Dict[Tuple[str, int], threading.Event] = defaultdict(threading.Event)
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(sock)
        start = time.monotonic()
        rq = reader.pdu(start + 5)
        if rq is None or rq[0] != 1:
            sock.close()
            return
        called = rq[10:26].decode().strip()
        impl, case = called.split("-")
        key = (impl, int(case))
        rng = random.Random(SEED + 7 * int(case))
        kind, replies = mutate(rng, scu_replies(rq))
        log = self.logs[key]
        log.append(f"kind {kind}")
        received: List[str] = ["RQ"]
        try:
            for i, reply in enumerate(replies):
                log.append(f"sent {reply.hex()}")
                sock.sendall(reply)
                if i == len(replies) - 1:
                    break
                nxt = reader.pdu(time.monotonic() + TIMEOUT + GRACE)
                if nxt is None:
                    break
                received.append(describe(nxt))
            mark = time.monotonic()
            before = len(reader.seen)
            reader.drain(mark + TIMEOUT + GRACE)
            received += [describe(p) for p in reader.seen[before:]]
        except OSError:
            mark = time.monotonic()
            if reader.closed_at is None:
                reader.closed_at = mark
        finally:
            sock.close()
        for p in reader.seen:
            log.append(f"got  {p.hex()}")
        self.results[key] = f"k{kind} [{' '.join(received)}] {timing(mark, reader.closed_at)}"
        self.done[key].set()

    def close(self) -> None:
        self.listener.close()


def scu_run(impl: str, port: int, case: int) -> str:
    """Associates, sends one C-ECHO and releases, as a user would; what the API said."""
    if impl == "fd":
        from fastdimse import AE
    else:
        from pynetdicom import AE  # type: ignore[no-redef]
    ae = AE(ae_title="DIFFSCU")
    ae.add_requested_context(VERIFICATION)
    ae.acse_timeout = ae.network_timeout = ae.dimse_timeout = TIMEOUT
    out = []
    try:
        assoc = ae.associate("127.0.0.1", port, ae_title=f"{impl}-{case}")
        if not assoc.is_established:
            out.append(
                "rejected" if assoc.is_rejected else "aborted" if assoc.is_aborted else "failed"
            )
        else:
            status = assoc.send_c_echo()
            out.append(f"echo={status.Status:04x}" if "Status" in status else "echo=none")
            if assoc.is_established:
                assoc.release()
            out.append(
                "released" if assoc.is_released else "aborted" if assoc.is_aborted else "other"
            )
    except Exception as exc:  # noqa: BLE001 - part of the signature
        out.append(type(exc).__name__)
    return " ".join(out)


# ----- the run --------------------------------------------------------------------------------


def report(role: str, fd: Dict[int, str], pn: Dict[int, str], show: int) -> int:
    groups: Dict[Tuple[str, str], List[int]] = defaultdict(list)
    for case in sorted(fd):
        if fd[case] != pn.get(case):
            groups[(fd[case], pn.get(case, "?"))].append(case)
    total = sum(len(v) for v in groups.values())
    print(f"\n== {role}: {len(fd)} cases, {total} differ, {len(groups)} kinds of difference")
    for (a, b), cases in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:show]:
        print(f"{len(cases):5d}  fastdimse  {a}\n       pynetdicom {b}\n       e.g. {cases[:6]}")
    return total


def run_scp(cases: Sequence[int], workers: int) -> Tuple[Dict[int, str], Dict[int, str]]:
    fd_port, fd_stop = fastdimse_scp()
    pn_port, pn_stop = pynetdicom_scp()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            fd = dict(zip(cases, pool.map(lambda c: scp_case(fd_port, c), cases)))
            pn = dict(zip(cases, pool.map(lambda c: scp_case(pn_port, c), cases)))
    finally:
        fd_stop()
        pn_stop()
    return fd, pn


def run_scu(cases: Sequence[int], workers: int) -> Tuple[Dict[int, str], Dict[int, str]]:
    scp = MutatingSCP()
    results: Dict[str, Dict[int, str]] = {"fd": {}, "pn": {}}

    def one(impl: str, case: int) -> None:
        api = scu_run(impl, scp.port, case)
        scp.done[(impl, case)].wait(TIMEOUT + 2 * GRACE + 5)
        results[impl][case] = f"{api} | {scp.results.get((impl, case), 'no-connection')}"

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda c: one("fd", c), cases))
            list(pool.map(lambda c: one("pn", c), cases))
    finally:
        scp.close()
    return results["fd"], results["pn"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--role", choices=["scp", "scu", "both"], default="both")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--show", type=int, default=40, help="groups of differences to print")
    parser.add_argument("--scp-case", type=int, help="replay one SCP-role case verbosely")
    parser.add_argument(
        "--pipelined", action="store_true", help="SCP role: send each stream in one write"
    )
    args = parser.parse_args()
    if args.pipelined:
        global STEP
        STEP = 0.0
    if args.scp_case is not None:
        for name, start in (("fastdimse", fastdimse_scp), ("pynetdicom", pynetdicom_scp)):
            port, stop = start()
            print(f"--- {name}")
            print(scp_case(port, args.scp_case, verbose=True))
            stop()
        return 0
    cases = range(args.first, args.first + args.cases)
    panics = __import__("fastdimse")._core.panic_count()
    if args.role in ("scp", "both"):
        fd, pn = run_scp(cases, args.workers)
        report("SCP role", fd, pn, args.show)
        print("fastdimse signatures:", Counter(s.split("]")[-1] for s in fd.values()))
    if args.role in ("scu", "both"):
        fd, pn = run_scu(cases, args.workers)
        report("SCU role", fd, pn, args.show)
        print("fastdimse signatures:", Counter(s.split("]")[-1] for s in fd.values()))
    print("panics:", __import__("fastdimse")._core.panic_count() - panics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
