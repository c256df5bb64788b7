"""A raw-socket DICOM peer for tests: hand-built PDUs, PDU reads with timeouts.

The builders write the bytes themselves from the standard (PS3.8 section 9.3,
PS3.7 annex E) so the tests do not depend on the codec they are testing.

    peer = RawPeer(port)                    # connects
    ac = peer.associate()                   # sends an A-ASSOCIATE-RQ, returns the AC bytes
    peer.send(echo_rq_pdata(1))
    rsp = peer.recv_pdu(2.0)                # one whole PDU, header included
    assert peer.wait_closed(2.0)            # the other side closed the connection

``RawSCP`` is the other direction: a listening socket whose accepted connections are
handed to a scripted function in a thread, for testing our SCU against a peer that
misbehaves.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

VERIFICATION = "1.2.840.10008.1.1"
APP_CONTEXT = "1.2.840.10008.3.1.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

# Fixed-length PDUs (reference 13.4).
RELEASE_RQ = bytes.fromhex("05000000000400000000")
RELEASE_RP = bytes.fromhex("06000000000400000000")
ABORT_USER = bytes.fromhex("07000000000400000000")

# Reference 13.1 and 13.2: C-ECHO-RQ / C-ECHO-RSP, MessageID 1, context 1.
ECHO_RQ_EXAMPLE = bytes.fromhex(
    "04000000004a"
    "000000460103"
    "0000000004000000"
    "38000000"
    "0000020012000000"
    "312e322e3834302e31303030382e312e3100"
    "000000010200000030"
    "00"
    "000010010200000001"
    "00"
    "000000080200000001"
    "01"
)
ECHO_RSP_EXAMPLE = bytes.fromhex(
    "040000000054"
    "000000500103"
    "0000000004000000"
    "42000000"
    "0000020012000000"
    "312e322e3834302e31303030382e312e3100"
    "00000001020000003080"
    "00002001020000000100"
    "00000008020000000101"
    "00000009020000000000"
)


def abort_pdu(source: int, reason: int) -> bytes:
    return bytes([7, 0, 0, 0, 0, 4, 0, 0, source, reason])


def reject_pdu(result: int, source: int, reason: int) -> bytes:
    return bytes([3, 0, 0, 0, 0, 4, 0, result, source, reason])


# ----- items and PDUs -------------------------------------------------------------------------


def _ae(title: str) -> bytes:
    raw = title.encode("ascii")
    assert 0 < len(raw) <= 16
    return raw.ljust(16, b" ")


def item(item_type: int, value: bytes) -> bytes:
    """A variable item: type, reserved, u16 BE length, value."""
    return struct.pack(">BBH", item_type, 0, len(value)) + value


def pdu(pdu_type: int, body: bytes) -> bytes:
    """A PDU: type, reserved, u32 BE length, body."""
    return struct.pack(">BBI", pdu_type, 0, len(body)) + body


def associate_rq(
    called: str = "ANY-SCP",
    calling: str = "RAWSCU",
    contexts: Sequence[Tuple[int, str, Sequence[str]]] = ((1, VERIFICATION, (IMPLICIT_LE,)),),
    max_pdu: int = 16384,
    app_context: str = APP_CONTEXT,
    protocol_version: int = 1,
    implementation_uid: str = "2.25.1234567890",
) -> bytes:
    """An A-ASSOCIATE-RQ with one 20H item per (id, abstract syntax, transfer syntaxes)."""
    body = struct.pack(">HH", protocol_version, 0) + _ae(called) + _ae(calling) + bytes(32)
    body += item(0x10, app_context.encode())
    for ctx_id, abstract, tss in contexts:
        sub = item(0x30, abstract.encode()) + b"".join(item(0x40, ts.encode()) for ts in tss)
        body += item(0x20, bytes([ctx_id, 0, 0, 0]) + sub)
    user = item(0x51, struct.pack(">I", max_pdu)) + item(0x52, implementation_uid.encode())
    body += item(0x50, user)
    return pdu(1, body)


def associate_ac(rq: bytes, result: int = 0, ts: str = IMPLICIT_LE, max_pdu: int = 16384) -> bytes:
    """An A-ASSOCIATE-AC answering every context of `rq` with `result` (and `ts`)."""
    body = struct.pack(">HH", 1, 0) + rq[10:74]
    body += item(0x10, APP_CONTEXT.encode())
    for ctx_id in context_ids(rq):
        body += item(0x21, bytes([ctx_id, 0, result, 0]) + item(0x40, ts.encode()))
    user = item(0x51, struct.pack(">I", max_pdu)) + item(0x52, b"2.25.99")
    body += item(0x50, user)
    return pdu(2, body)


def context_ids(assoc: bytes) -> List[int]:
    """Presentation context IDs of the 20H/21H items of an A-ASSOCIATE-RQ/AC."""
    ids = []
    pos = 74
    while pos + 4 <= len(assoc):
        item_type = assoc[pos]
        length = struct.unpack(">H", assoc[pos + 2 : pos + 4])[0]
        if item_type in (0x20, 0x21):
            ids.append(assoc[pos + 4])
        pos += 4 + length
    return ids


def ac_results(ac: bytes) -> List[Tuple[int, int]]:
    """(context ID, result) of every 21H item of an A-ASSOCIATE-AC."""
    out = []
    pos = 74
    while pos + 4 <= len(ac):
        item_type = ac[pos]
        length = struct.unpack(">H", ac[pos + 2 : pos + 4])[0]
        if item_type == 0x21:
            out.append((ac[pos + 4], ac[pos + 6]))
        pos += 4 + length
    return out


def pdv(context_id: int, mch: int, data: bytes) -> bytes:
    """A PDV item: u32 BE length (2 + fragment), context ID, control header, fragment."""
    return struct.pack(">IBB", len(data) + 2, context_id, mch) + data


def pdata(*pdvs: bytes) -> bytes:
    return pdu(4, b"".join(pdvs))


# ----- command sets ---------------------------------------------------------------------------


def _elem(element: int, value: bytes) -> bytes:
    return struct.pack("<HHI", 0, element, len(value)) + value


def _uid(value: str) -> bytes:
    raw = value.encode()
    return raw + b"\x00" if len(raw) % 2 else raw


def command_set(elements: Iterable[Tuple[int, bytes]]) -> bytes:
    """Implicit VR LE group 0000 with its group length first; elements in the given order."""
    body = b"".join(_elem(e, v) for e, v in elements)
    return _elem(0x0000, struct.pack("<I", len(body))) + body


def echo_rq(message_id: int = 1, sop_class: str = VERIFICATION) -> bytes:
    return command_set(
        [
            (0x0002, _uid(sop_class)),
            (0x0100, struct.pack("<H", 0x0030)),
            (0x0110, struct.pack("<H", message_id)),
            (0x0800, struct.pack("<H", 0x0101)),
        ]
    )


def echo_rsp(message_id: int = 1, status: int = 0) -> bytes:
    return command_set(
        [
            (0x0002, _uid(VERIFICATION)),
            (0x0100, struct.pack("<H", 0x8030)),
            (0x0120, struct.pack("<H", message_id)),
            (0x0800, struct.pack("<H", 0x0101)),
            (0x0900, struct.pack("<H", status)),
        ]
    )


def cancel_rq(message_id: int) -> bytes:
    return command_set(
        [
            (0x0100, struct.pack("<H", 0x0FFF)),
            (0x0120, struct.pack("<H", message_id)),
            (0x0800, struct.pack("<H", 0x0101)),
        ]
    )


def echo_rq_pdata(message_id: int = 1, context_id: int = 1, sop_class: str = VERIFICATION) -> bytes:
    return pdata(pdv(context_id, 0x03, echo_rq(message_id, sop_class)))


def command_elements(command: bytes) -> dict:
    """Decode an Implicit VR LE group-0000 command set to {element: raw value}."""
    out = {}
    pos = 0
    while pos + 8 <= len(command):
        group, element, length = struct.unpack("<HHI", command[pos : pos + 8])
        assert group == 0, f"element outside group 0000 at {pos}"
        out[element] = command[pos + 8 : pos + 8 + length]
        pos += 8 + length
    assert pos == len(command), "trailing bytes in the command set"
    return out


def us(value: bytes) -> int:
    return int(struct.unpack("<H", value)[0])


def parse_pdvs(p: bytes) -> List[Tuple[int, int, bytes]]:
    """(context ID, message control header, fragment) of every PDV of a P-DATA-TF."""
    assert p[0] == 4, f"not a P-DATA-TF: {p[:10].hex()}"
    length = struct.unpack(">I", p[2:6])[0]
    assert length == len(p) - 6
    out = []
    pos = 6
    while pos < len(p):
        n = struct.unpack(">I", p[pos : pos + 4])[0]
        assert n >= 2 and pos + 4 + n <= len(p), "malformed PDV"
        out.append((p[pos + 4], p[pos + 5], p[pos + 6 : pos + 4 + n]))
        pos += 4 + n
    return out


# ----- the peer -------------------------------------------------------------------------------


class Closed(Exception):
    """The other side closed the connection before a whole PDU arrived."""


class RawPeer:
    """One TCP connection speaking raw bytes."""

    def __init__(
        self, port: int, host: str = "127.0.0.1", sock: Optional[socket.socket] = None
    ) -> None:
        if sock is None:
            sock = socket.create_connection((host, port), timeout=5.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self._buf = b""
        self.eof = False

    def __enter__(self) -> RawPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> bool:
        """Reads more bytes; False on timeout. Raises Closed on EOF/reset."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            raise Closed()
        self._buf += chunk
        return True

    def recv_pdu(self, timeout: float = 5.0) -> bytes:
        """One whole PDU. Raises TimeoutError if none arrives in time, Closed on EOF."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self._buf) >= 6:
                total = 6 + struct.unpack(">I", self._buf[2:6])[0]
                if len(self._buf) >= total:
                    out, self._buf = self._buf[:total], self._buf[total:]
                    return out
            if self.eof:
                raise Closed()
            if not self._fill(deadline):
                raise TimeoutError(f"no whole PDU within {timeout} s (have {self._buf[:16].hex()})")

    def recv_until_closed(self, timeout: float = 5.0) -> List[bytes]:
        """Every PDU until the peer closes. Raises TimeoutError if it does not close."""
        pdus = []
        while True:
            try:
                pdus.append(self.recv_pdu(timeout))
            except Closed:
                assert not self._buf, f"connection closed mid-PDU: {self._buf.hex()}"
                return pdus

    def wait_closed(self, timeout: float) -> bool:
        """True if the peer closes within `timeout` with no further bytes."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                pass
        except Closed:
            return not self._buf
        return False

    def associate(self, **kwargs: object) -> bytes:
        """Sends an A-ASSOCIATE-RQ (see associate_rq) and returns the A-ASSOCIATE-AC."""
        self.send(associate_rq(**kwargs))  # type: ignore[arg-type]
        ac = self.recv_pdu(5.0)
        assert ac[0] == 2, f"expected A-ASSOCIATE-AC, got {ac.hex()}"
        return ac


class RawSCP:
    """A listening socket; each accepted connection runs `script(peer)` in a thread."""

    def __init__(self, script: Callable[[RawPeer], None]) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        self.script = script
        self.peers: List[RawPeer] = []
        self.errors: List[BaseException] = []
        self.done = threading.Event()
        self._stop = False
        self._threads: List[threading.Thread] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            peer = RawPeer(0, sock=sock)
            self.peers.append(peer)
            t = threading.Thread(target=self._run, args=(peer,), daemon=True)
            self._threads.append(t)
            t.start()

    def _run(self, peer: RawPeer) -> None:
        try:
            self.script(peer)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            self.done.set()

    def close(self) -> None:
        self._stop = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for peer in self.peers:
            peer.close()
        for t in self._threads:
            t.join(5.0)
        self._accept_thread.join(5.0)

    def __enter__(self) -> RawSCP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----- mutations (tests/test_fuzz_live.py, scripts/mutation_diff.py) -----------------------

OTHER_PDUS: List[bytes] = [
    RELEASE_RQ,
    RELEASE_RP,
    ABORT_USER,
    bytes.fromhex("07000000000400000206"),
    reject_pdu(1, 1, 1),
    bytes.fromhex("0200000000040000000a"),
    bytes.fromhex("0100000000040000000a"),
    echo_rq_pdata(9),
    pdata(pdv(1, 0x02, b"\x00" * 8)),
    pdata(pdv(7, 0x03, b"\x00" * 8)),
    bytes.fromhex("040000000000"),
    bytes.fromhex("0800000000020000"),
]


def mutate(rng: random.Random, session: List[bytes], kinds: int = 10) -> Tuple[int, List[bytes]]:
    """One of several ways a broken or hostile peer departs from a valid `session`: the kind
    (0 to `kinds` - 1) and the PDUs, possibly no longer whole or valid, in the order they
    are sent. Seeded by `rng`, so a case is replayed from its seed."""
    pdus = [bytearray(p) for p in session]
    kind = rng.randrange(kinds)
    target = rng.randrange(len(pdus))
    if kind == 0:  # flip a few bytes of one PDU
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(pdus[target]))
            pdus[target][pos] = rng.randrange(256)
    elif kind == 1:  # a length field that lies
        pdus[target][2:6] = rng.randrange(1 << 32).to_bytes(4, "big")
    elif kind == 2:  # a PDU cut short (the session ends there)
        pdus = pdus[: target + 1]
        pdus[target] = pdus[target][: rng.randrange(len(pdus[target]))]
    elif kind == 3:  # an unknown PDU type
        pdus[target][0] = rng.choice([0, 8, 9, 0x40, 0xFF])
    elif kind == 4:  # PDUs out of order
        rng.shuffle(pdus)
    elif kind == 5:  # garbage after a valid prefix
        pdus = pdus[:target] + [bytearray(rng.randbytes(rng.randint(1, 300)))]
    elif kind == 6:  # a byte flipped inside an item or PDV length
        p = pdus[target]
        if len(p) > 12:
            pos = rng.randrange(6, min(len(p), 80))
            p[pos] ^= 1 << rng.randrange(8)
    elif kind == 7:  # another PDU inserted
        pdus.insert(target, bytearray(rng.choice(OTHER_PDUS)))
    elif kind == 8:  # one PDU replaced by another
        pdus[target] = bytearray(rng.choice(OTHER_PDUS))
    else:  # one PDU dropped
        del pdus[target]
    return kind, [bytes(p) for p in pdus]
