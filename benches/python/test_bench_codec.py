"""fastdimse's codecs from Python beside pynetdicom 3.0.4's on the same bytes (issue 2, item 7).

Run with ``pytest benches/python --benchmark-enable`` after ``maturin develop --release``.
Each operation has a ``fastdimse`` and a ``pynetdicom`` benchmark in one group; at the end
of the module the median of each and their ratio (pynetdicom / fastdimse) are printed.
Without ``--benchmark-enable`` each benchmark runs once, as a test that both codecs give
the same result.

Inputs are the captured bytes of ``tests/vectors/pynetdicom_scu__pynetdicom_scp__echo.json``:
the 287-byte A-ASSOCIATE-RQ and the C-ECHO-RQ / C-ECHO-RSP P-DATA-TF PDUs.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any, Callable, Dict, List

import pytest
from conftest import Medians, record
from fastdimse import _core, dimse, pdu
from fastdimse import dimse_primitives as fd_primitives
from pydicom.dataset import Dataset
from pynetdicom import dimse_messages as pnd_messages
from pynetdicom import dimse_primitives as pnd_primitives
from pynetdicom import dsutils as pnd_dsutils
from pynetdicom import pdu as pnd_pdu

HERE = os.path.dirname(os.path.abspath(__file__))
VECTOR = os.path.join(
    HERE, os.pardir, os.pardir, "tests", "vectors", "pynetdicom_scu__pynetdicom_scp__echo.json"
)
VERIFICATION = "1.2.840.10008.1.1"
PEER_MAX = 16382  # pynetdicom's default Maximum Length

with open(VECTOR, encoding="utf-8") as _f:
    _PDUS = [bytes.fromhex(p["hex"]) for p in json.load(_f)["pdus"]]
RQ = _PDUS[0]
ECHO_RQ_PDATA = _PDUS[2]
ECHO_RSP_PDATA = _PDUS[3]
ECHO_RQ_CMD = ECHO_RQ_PDATA[12:]
assert len(RQ) == 287 and RQ[0] == 1
assert len(ECHO_RQ_PDATA) == 80 and len(ECHO_RSP_PDATA) == 90

# ----- the two implementations of each operation ------------------------------------------


def fd_assoc_rq_decode() -> Any:
    return pdu.decode(RQ)


def pnd_assoc_rq_decode() -> Any:
    p = pnd_pdu.A_ASSOCIATE_RQ()
    p.decode(RQ)
    return p


def fd_assoc_rq_decode_fields() -> Any:
    # Decoding is lazy on the Python side: reading the fields builds the Python values.
    p = pdu.decode(RQ)
    return p.fields


_FD_RQ = pdu.decode(RQ)
_PND_RQ = pnd_assoc_rq_decode()


def fd_assoc_rq_encode() -> bytes:
    return _FD_RQ.encode()


def pnd_assoc_rq_encode() -> bytes:
    return _PND_RQ.encode()


def _fd_echo_rq() -> Any:
    return fd_primitives.make_c_echo_request(1, VERIFICATION)


def _pnd_echo_rq() -> Any:
    prim = pnd_primitives.C_ECHO()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = VERIFICATION
    return prim


def _fd_echo_rsp() -> Any:
    prim = fd_primitives.C_ECHO()
    prim.MessageIDBeingRespondedTo = 1
    prim.AffectedSOPClassUID = VERIFICATION
    prim.Status = 0x0000
    return prim


def _pnd_echo_rsp() -> Any:
    prim = pnd_primitives.C_ECHO()
    prim.MessageIDBeingRespondedTo = 1
    prim.AffectedSOPClassUID = VERIFICATION
    prim.Status = 0x0000
    return prim


_FD_ECHO_RQ, _PND_ECHO_RQ = _fd_echo_rq(), _pnd_echo_rq()
_FD_ECHO_RSP, _PND_ECHO_RSP = _fd_echo_rsp(), _pnd_echo_rsp()


def _fd_message_pdata(primitive: Any) -> bytes:
    # What fastdimse's DIMSE provider does with a primitive to send: command elements,
    # command set bytes, P-DATA-TF PDUs.
    pairs = fd_primitives.primitive_to_command_elements(primitive)
    return _core.fragment_message(1, _core.encode_command(pairs), None, PEER_MAX)


def _pnd_message_pdata(primitive: Any, cls: Any) -> bytes:
    # What pynetdicom's DIMSE provider and DUL do: message from primitive, P-DATA
    # primitives, P-DATA-TF PDUs.
    msg = cls()
    msg.primitive_to_message(primitive)
    out = b""
    for pdata in msg.encode_msg(1, PEER_MAX):
        p = pnd_pdu.P_DATA_TF()
        p.from_primitive(pdata)
        out += p.encode()
    return out


def fd_c_echo_rq_encode() -> bytes:
    return _fd_message_pdata(_FD_ECHO_RQ)


def pnd_c_echo_rq_encode() -> bytes:
    return _pnd_message_pdata(_PND_ECHO_RQ, pnd_messages.C_ECHO_RQ)


def fd_c_echo_rsp_encode() -> bytes:
    return _fd_message_pdata(_FD_ECHO_RSP)


def pnd_c_echo_rsp_encode() -> bytes:
    return _pnd_message_pdata(_PND_ECHO_RSP, pnd_messages.C_ECHO_RSP)


_ECHO_DS = Dataset()
_ECHO_DS.AffectedSOPClassUID = VERIFICATION
_ECHO_DS.CommandField = 0x0030
_ECHO_DS.MessageID = 1
_ECHO_DS.CommandDataSetType = 0x0101
_PND_ECHO_DS = Dataset()
_PND_ECHO_DS.CommandGroupLength = 56
for _elem in _ECHO_DS:
    _PND_ECHO_DS.add(_elem)


def fd_command_set_encode() -> bytes:
    return dimse.encode(_ECHO_DS)


def pnd_command_set_encode() -> bytes:
    # pynetdicom writes the group length it is given (its messages compute it first).
    return pnd_dsutils.encode(_PND_ECHO_DS, True, True)


def fd_command_set_decode() -> Dataset:
    return dimse.decode(ECHO_RQ_CMD)


def pnd_command_set_decode() -> Dataset:
    return pnd_dsutils.decode(io.BytesIO(ECHO_RQ_CMD), True, True)


def fd_command_set_decode_values() -> List[Any]:
    # Both decoders leave each value to pydicom to convert when it is read; this reads all.
    return [elem.value for elem in dimse.decode(ECHO_RQ_CMD)]


def pnd_command_set_decode_values() -> List[Any]:
    return [elem.value for elem in pnd_command_set_decode()]


def fd_pdata_decode() -> Any:
    return pdu.decode(ECHO_RQ_PDATA).pdvs


def pnd_pdata_decode() -> Any:
    p = pnd_pdu.P_DATA_TF()
    p.decode(ECHO_RQ_PDATA)
    return p.presentation_data_value_items


def fd_c_echo_rq_decode() -> Dataset:
    # P-DATA-TF bytes -> PDVs -> command set Dataset.
    return dimse.decode(pdu.decode(ECHO_RQ_PDATA).pdvs[0]["data"])


def pnd_c_echo_rq_decode() -> Dataset:
    p = pnd_pdu.P_DATA_TF()
    p.decode(ECHO_RQ_PDATA)
    msg = pnd_messages.DIMSEMessage()
    assert msg.decode_msg(p.to_primitive())
    return msg.command_set


OPERATIONS: Dict[str, Dict[str, Callable[[], Any]]] = {
    "assoc_rq_decode": {"fastdimse": fd_assoc_rq_decode, "pynetdicom": pnd_assoc_rq_decode},
    "assoc_rq_decode_fields": {
        "fastdimse": fd_assoc_rq_decode_fields,
        "pynetdicom": pnd_assoc_rq_decode,
    },
    "assoc_rq_encode": {"fastdimse": fd_assoc_rq_encode, "pynetdicom": pnd_assoc_rq_encode},
    "c_echo_rq_encode_pdata": {
        "fastdimse": fd_c_echo_rq_encode,
        "pynetdicom": pnd_c_echo_rq_encode,
    },
    "c_echo_rsp_encode_pdata": {
        "fastdimse": fd_c_echo_rsp_encode,
        "pynetdicom": pnd_c_echo_rsp_encode,
    },
    "command_set_encode": {
        "fastdimse": fd_command_set_encode,
        "pynetdicom": pnd_command_set_encode,
    },
    "command_set_decode_values": {
        "fastdimse": fd_command_set_decode_values,
        "pynetdicom": pnd_command_set_decode_values,
    },
    "pdata_decode": {"fastdimse": fd_pdata_decode, "pynetdicom": pnd_pdata_decode},
    "command_set_decode": {
        "fastdimse": fd_command_set_decode,
        "pynetdicom": pnd_command_set_decode,
    },
    "c_echo_rq_decode_pdata": {
        "fastdimse": fd_c_echo_rq_decode,
        "pynetdicom": pnd_c_echo_rq_decode,
    },
}

# ----- same results -----------------------------------------------------------------------


def test_same_results() -> None:
    """Both sides of every pair compute the same thing, so the timings compare like with like."""
    fd_rq = fd_assoc_rq_decode()
    pnd_rq = pnd_assoc_rq_decode()
    assert fd_rq.called_ae_title.strip() == pnd_rq.called_ae_title
    assert len(fd_rq.presentation_contexts) == len(pnd_rq.presentation_context)
    assert fd_assoc_rq_encode() == pnd_assoc_rq_encode() == RQ
    assert fd_c_echo_rq_encode() == pnd_c_echo_rq_encode() == ECHO_RQ_PDATA
    assert fd_c_echo_rsp_encode() == pnd_c_echo_rsp_encode() == ECHO_RSP_PDATA
    assert fd_command_set_encode() == pnd_command_set_encode() == ECHO_RQ_CMD
    assert fd_command_set_decode() == pnd_command_set_decode()
    assert fd_command_set_decode_values() == pnd_command_set_decode_values()
    assert fd_c_echo_rq_decode() == pnd_c_echo_rq_decode()
    fd_pdvs, pnd_pdvs = fd_pdata_decode(), pnd_pdata_decode()
    assert [bytes([p["message_control_header"]]) + p["data"] for p in fd_pdvs] == [
        p.presentation_data_value for p in pnd_pdvs
    ]


# ----- benchmarks -------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["fastdimse", "pynetdicom"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_codec(benchmark: Any, medians: Medians, operation: str, side: str) -> None:
    benchmark.group = operation
    benchmark.name = f"{operation}[{side}]"
    fn = OPERATIONS[operation][side]
    result = benchmark(fn)
    assert result is not None
    record(benchmark, medians, operation, side)
