"""Mutated and random byte streams against a live SCP: every answer is a well-formed PDU,
every connection ends within the timeouts, nothing panics, and the server keeps serving.

Seeded, so a failure is reproducible: the case number and seed are in the assertion message.
"""

from __future__ import annotations

import random
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional

from fastdimse import AE, _core, evt, pdu
from rawpeer import RELEASE_RQ, associate_rq, echo_rq_pdata, mutate

VERIFICATION = "1.2.840.10008.1.1"
SEED = 20261125
CASES = 240


def _valid_session() -> List[bytes]:
    return [associate_rq(), echo_rq_pdata(1), echo_rq_pdata(2), RELEASE_RQ]


def _read_pdus(sock: socket.socket, budget: float) -> Optional[List[bytes]]:
    """Everything the server sends until it closes; None if it does not close in time."""
    sock.settimeout(budget)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        return None
    out = []
    while len(data) >= 6:
        length = int.from_bytes(data[2:6], "big")
        out.append(data[: 6 + length])
        data = data[6 + length :]
    assert not data, f"trailing bytes from the server: {data.hex()}"
    return out


def _run_case(port: int, case: int) -> None:
    rng = random.Random(SEED + case)
    _kind, pdus = mutate(rng, _valid_session(), kinds=7)
    stream = b"".join(pdus)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(stream)
            sock.shutdown(socket.SHUT_WR) if rng.random() < 0.5 else None
        except OSError:
            pass  # the server may have aborted and closed already
        answers = _read_pdus(sock, budget=5.0)
    assert answers is not None, f"case {case}: the server did not close the connection"
    for raw in answers:
        decoded = pdu.decode(raw)  # raises on anything malformed
        if decoded.pdu_type == 7:
            assert decoded.source in (0, 2), f"case {case}: abort source {decoded.source}"


def test_mutated_sessions_get_well_formed_answers_and_no_panic(
    fastdimse_server: Callable[..., Any],
) -> None:
    panics_before = _core.panic_count()
    server = fastdimse_server(
        acse_timeout=0.3,
        network_timeout=0.3,
        dimse_timeout=1,
        maximum_associations=64,
        handlers=[(evt.EVT_C_ECHO, lambda e: 0x0000)],
    )
    port = server.server_address[1]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda c: _run_case(port, c), range(CASES)))

    assert _core.panic_count() == panics_before
    scu = AE(ae_title="AFTERFUZZ")
    scu.add_requested_context(VERIFICATION)
    assoc = scu.associate("127.0.0.1", port)
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
