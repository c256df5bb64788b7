"""The DIMSE command-set codec and fragmentation from Python: every
captured command set through ``fastdimse.dimse`` against pydicom's reading of the same
bytes, exact re-encoding, value checks, fragmentation for any peer maximum, and malformed
command sets.
"""

from __future__ import annotations

import glob
import io
import json
import os
import random
from typing import Any, Dict, List, Optional, Tuple

import pytest
from fastdimse import _core, dimse
from fastdimse.exceptions import CommandSetError, FastDimseError
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pydicom.tag import Tag

VECTOR_DIR = os.path.join(os.path.dirname(__file__), "vectors")
VECTOR_FILES = sorted(glob.glob(os.path.join(VECTOR_DIR, "*.json")))
VERIFICATION = "1.2.840.10008.1.1"


def _load(name: str) -> Dict[str, Any]:
    with open(os.path.join(VECTOR_DIR, name), encoding="utf-8") as f:
        return json.load(f)


def _reassembled() -> List[Tuple[str, bytes, Dict[str, Any], Optional[bytes]]]:
    """Every command set of every vector, reassembled from its PDV fragments in wire order
    (per direction), with the vector's decode of it and the data set that follows, if any."""
    out = []
    for path in VECTOR_FILES:
        with open(path, encoding="utf-8") as f:
            vec = json.load(f)
        pending: Dict[str, bytearray] = {"rq": bytearray(), "rsp": bytearray()}
        data: Dict[str, bytearray] = {"rq": bytearray(), "rsp": bytearray()}
        last: Dict[str, Optional[int]] = {"rq": None, "rsp": None}
        for p in vec["pdus"]:
            if p["type"] != 4:
                continue
            d = p["dir"]
            for pdv in p["decode"]["pdvs"]:
                frag = bytes.fromhex(pdv["fragment_hex"])
                if pdv["is_command"]:
                    pending[d] += frag
                    if pdv["is_last_fragment"]:
                        cs = pdv["command_set"]
                        out.append((f"{vec['name']}[{p['index']}]", bytes(pending[d]), cs, None))
                        last[d] = len(out) - 1
                        pending[d] = bytearray()
                else:
                    data[d] += frag
                    if pdv["is_last_fragment"]:
                        i = last[d]
                        assert i is not None
                        name, raw, cs, _ = out[i]
                        out[i] = (name, raw, cs, bytes(data[d]))
                        assert bytes(data[d]) == bytes.fromhex(pdv["data_set"]["raw_hex"])
                        data[d] = bytearray()
    return out


COMMANDS = _reassembled()
IDS = [name for name, *_ in COMMANDS]


def _pydicom_read(raw: bytes) -> Dataset:
    return read_dataset(io.BytesIO(raw), is_implicit_VR=True, is_little_endian=True)


def test_every_message_kind_is_covered() -> None:
    kinds = {cs["message"] for _, _, cs, _ in COMMANDS}
    assert kinds == {
        "C-ECHO-RQ",
        "C-ECHO-RSP",
        "C-CANCEL-RQ",
        "C-FIND-RQ",
        "C-FIND-RSP",
        "C-STORE-RQ",
        "C-STORE-RSP",
    }
    assert len(COMMANDS) == 79


@pytest.mark.parametrize("raw,cs", [(r, c) for _, r, c, _ in COMMANDS], ids=IDS)
def test_reassembled_bytes_equal_vector(raw: bytes, cs: Dict[str, Any]) -> None:
    assert raw.hex() == cs["raw_hex"]
    assert len(raw) == cs["length"]


@pytest.mark.parametrize("raw", [r for _, r, _, _ in COMMANDS], ids=IDS)
def test_decode_equals_pydicom(raw: bytes) -> None:
    ours = dimse.decode(raw)
    theirs = _pydicom_read(raw)
    assert isinstance(ours, Dataset)
    assert [int(e.tag) for e in ours] == [int(e.tag) for e in theirs]
    for a, b in zip(ours, theirs):
        assert a.VR == b.VR, a.tag
        assert a.value == b.value, a.tag
    assert ours == theirs
    assert ours.CommandGroupLength == len(raw) - 12


@pytest.mark.parametrize("raw,cs", [(r, c) for _, r, c, _ in COMMANDS], ids=IDS)
def test_decode_equals_vector_elements(raw: bytes, cs: Dict[str, Any]) -> None:
    ours = dimse.decode(raw)
    assert len(ours) == len(cs["elements"])
    for elem, want in zip(ours, cs["elements"]):
        g, e = want["tag"].strip("()").split(",")
        assert int(elem.tag) == int(g + e, 16)
        assert elem.keyword == want["keyword"]
        assert elem.VR == want["vr"]
        value = want["value"]
        if isinstance(value, str):
            # The vector keeps padding; the Dataset holds values as pydicom gives them.
            value = value.rstrip("\x00 ")
        assert elem.value == value, want["keyword"]


@pytest.mark.parametrize("raw", [r for _, r, _, _ in COMMANDS], ids=IDS)
def test_encode_reproduces_raw(raw: bytes) -> None:
    assert dimse.encode(dimse.decode(raw)) == raw
    # pydicom's own Dataset of the same bytes encodes the same.
    assert dimse.encode(_pydicom_read(raw)) == raw


@pytest.mark.parametrize("raw", [r for _, r, _, _ in COMMANDS], ids=IDS)
def test_encode_ignores_given_group_length(raw: bytes) -> None:
    ds = dimse.decode(raw)
    ds.CommandGroupLength = 9999
    assert dimse.encode(ds) == raw
    del ds.CommandGroupLength
    assert dimse.encode(ds) == raw


def test_encode_sorts_elements_and_pads() -> None:
    ds = Dataset()
    ds.CommandDataSetType = 0x0101
    ds.MessageID = 1
    ds.CommandField = 0x0030
    ds.AffectedSOPClassUID = VERIFICATION
    echo = _load("pynetdicom_scu__pynetdicom_scp__echo.json")
    assert dimse.encode(ds).hex() == echo["pdus"][2]["decode"]["pdvs"][0]["command_set"]["raw_hex"]


def test_encode_error_comment_padded_with_space() -> None:
    ds = Dataset()
    ds.CommandField = 0x8030
    ds.MessageIDBeingRespondedTo = 1
    ds.CommandDataSetType = 0x0101
    ds.Status = 0x0210
    ds.ErrorComment = "odd"
    raw = dimse.encode(ds)
    assert raw.endswith(bytes.fromhex("00000209") + (4).to_bytes(4, "little") + b"odd ")
    assert dimse.decode(raw).ErrorComment == "odd"


def test_at_values_round_trip() -> None:
    ds = Dataset()
    ds.CommandField = 0x8030
    ds.MessageIDBeingRespondedTo = 1
    ds.CommandDataSetType = 0x0101
    ds.Status = 0x0106
    ds.OffendingElement = [0x00100010, 0x00100020]
    raw = dimse.encode(ds)
    assert bytes.fromhex("00000109080000001000100010002000") in raw
    back = dimse.decode(raw)
    assert [int(t) for t in back.OffendingElement] == [0x00100010, 0x00100020]
    assert back == _pydicom_read(raw)


# ----- invalid values ----------------------------------------------------------------------


def _echo_rq() -> Dataset:
    ds = Dataset()
    ds.AffectedSOPClassUID = VERIFICATION
    ds.CommandField = 0x0030
    ds.MessageID = 1
    ds.CommandDataSetType = 0x0101
    return ds


@pytest.mark.parametrize(
    "keyword,value,exc",
    [
        ("MessageID", 65536, ValueError),
        ("MessageID", -1, ValueError),
        ("MessageID", "one", ValueError),
        ("CommandField", 1.5, ValueError),
        ("Priority", 2**20, ValueError),
        ("AffectedSOPClassUID", "1.2.x", ValueError),
        ("AffectedSOPClassUID", "1." * 40, ValueError),
        ("MoveDestination", "A" * 17, ValueError),
        ("MoveOriginatorApplicationEntityTitle", "caf\u00e9", ValueError),
        ("ErrorComment", "x" * 65, ValueError),
        ("NumberOfRemainingSuboperations", "many", ValueError),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom's own warning on assignment
def test_invalid_value_names_the_element(keyword: str, value: Any, exc: type) -> None:
    ds = _echo_rq()
    # Bypass pydicom's own validation: the codec must check what it is given.
    ds.add_new(Tag(keyword), _VR[keyword], value)
    with pytest.raises(exc) as info:
        dimse.encode(ds)
    assert keyword in str(info.value)


_VR = {kw: vr for _tag, kw, vr in _core.command_dictionary()}
_TAGS = {tag for tag, _kw, _vr in _core.command_dictionary()}


def test_element_outside_group_0000_is_refused() -> None:
    ds = _echo_rq()
    ds.PatientName = "X"
    with pytest.raises(ValueError, match="PatientName"):
        dimse.encode(ds)


def test_unknown_command_element_needs_bytes() -> None:
    ds = _echo_rq()
    ds.add_new(0x00000999, "US", 1)
    with pytest.raises(TypeError, match=r"\(0000,0999\)"):
        dimse.encode(ds)
    ds = _echo_rq()
    ds.add_new(0x00000999, "OB", b"\x01\x02")
    raw = dimse.encode(ds)
    assert bytes.fromhex("00009909020000000102") in raw
    assert dimse.decode(raw)[0x00000999].value == b"\x01\x02"


# ----- malformed command sets --------------------------------------------------------------

ECHO_RQ = bytes.fromhex(
    "0000000004000000380000000000020012000000312e322e3834302e31303030382e312e3100"
    "000000010200000030000000100102000000010000000008020000000101"
)


def _el(tag: int, value: bytes) -> bytes:
    return (
        (tag >> 16).to_bytes(2, "little")
        + (tag & 0xFFFF).to_bytes(2, "little")
        + len(value).to_bytes(4, "little")
        + value
    )


def _with_length(body: bytes) -> bytes:
    return _el(0, len(body).to_bytes(4, "little")) + body


MALFORMED = [
    ("empty", b"", "empty command set: CommandGroupLength (0000,0000) missing"),
    (
        "header cut short",
        ECHO_RQ[:5],
        "command set truncated at offset 0: element needs 8 bytes, 5 left",
    ),
    (
        "no group length",
        ECHO_RQ[12:],
        "command set starts with (0000,0002) AffectedSOPClassUID instead of a 4-byte "
        "CommandGroupLength (0000,0000)",
    ),
    (
        "group length too large",
        _el(0, (57).to_bytes(4, "little")) + ECHO_RQ[12:],
        "CommandGroupLength (0000,0000) says 57 bytes follow, 56 do",
    ),
    (
        "value cut short",
        _with_length(ECHO_RQ[12:-1]),
        "command set truncated at offset 58: element needs 10 bytes, 9 left",
    ),
    (
        "tags not ascending",
        _with_length(_el(0x0110, b"\x01\x00") + _el(0x0100, b"\x30\x00")),
        "element (0000,0100) CommandField at offset 22 does not follow (0000,0110) MessageID "
        "in ascending tag order",
    ),
    (
        "repeated tag",
        _with_length(_el(0x0110, b"\x01\x00") + _el(0x0110, b"\x02\x00")),
        "element (0000,0110) MessageID at offset 22 does not follow (0000,0110) MessageID "
        "in ascending tag order",
    ),
    (
        "odd value length",
        _with_length(_el(0x0002, b"1.2.3")),
        "element (0000,0002) AffectedSOPClassUID at offset 12 has odd value length 5",
    ),
    (
        "element of another group",
        _with_length(_el(0x00080016, b"1.2\x00")),
        "element (0008,0016) at offset 12 is not in command group 0000",
    ),
    (
        "US of four bytes",
        _with_length(_el(0x0110, b"\x01\x00\x00\x00")),
        "element (0000,0110) MessageID has a value length of 4, which its VR does not allow",
    ),
]


@pytest.mark.parametrize(
    "data,message", [(d, m) for _, d, m in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_command_set_raises(data: bytes, message: str) -> None:
    with pytest.raises(CommandSetError) as info:
        dimse.decode(data)
    assert str(info.value) == message
    assert isinstance(info.value, FastDimseError)


# pydicom warns about the values it reads from mutated bytes; what matters is our result.
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_random_command_sets_raise_only_command_set_error() -> None:
    rng = random.Random(1125)
    for _ in range(3000):
        data = bytearray(ECHO_RQ)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)) :]
        try:
            ds = dimse.decode(bytes(data))
        except CommandSetError:
            continue
        # Whatever decodes is a valid command set that pydicom reads the same way; tags
        # outside our dictionary (pydicom knows retired ones) come as raw bytes.
        assert ds.CommandGroupLength == len(data) - 12
        theirs = _pydicom_read(bytes(data))
        assert list(ds.keys()) == list(theirs.keys())
        for elem in ds:
            if int(elem.tag) in _TAGS:
                assert elem == theirs[elem.tag]
            else:
                assert isinstance(elem.value, bytes)
    for _ in range(2000):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80)))
        try:
            dimse.decode(data)
        except CommandSetError:
            pass


# ----- fragmentation -----------------------------------------------------------------------


def _split_pdus(stream: bytes) -> List[bytes]:
    out = []
    i = 0
    while i < len(stream):
        assert stream[i] == 0x04 and stream[i + 1] == 0
        n = int.from_bytes(stream[i + 2 : i + 6], "big")
        out.append(stream[i : i + 6 + n])
        i += 6 + n
    assert i == len(stream)
    return out


def _check_fragments(
    stream: bytes, ctx: int, cmd: bytes, dataset: Optional[bytes], peer_max: int
) -> List[bytes]:
    """Checks every PDU of `stream` and returns them."""
    pdus = _split_pdus(stream)
    got_cmd = bytearray()
    got_ds = bytearray()
    kinds = []
    for p in pdus:
        length = int.from_bytes(p[2:6], "big")
        if peer_max:
            assert length <= peer_max, (length, peer_max)
        item_len = int.from_bytes(p[6:10], "big")
        assert item_len == length - 4, "one PDV per PDU"
        assert p[10] == ctx
        mch = p[11]
        frag = p[12:]
        assert len(frag) == item_len - 2
        if peer_max == 0 or peer_max >= 8:
            assert len(frag) % 2 == 0, (len(frag), peer_max)
        kinds.append(mch)
        (got_cmd if mch & 1 else got_ds).extend(frag)
    assert bytes(got_cmd) == cmd
    assert bytes(got_ds) == (dataset or b"")
    n_cmd = sum(1 for m in kinds if m & 1)
    assert kinds[:n_cmd] == [0x01] * (n_cmd - 1) + [0x03]
    if dataset is not None:
        assert kinds[n_cmd:] == [0x00] * (len(kinds) - n_cmd - 1) + [0x02]
    else:
        assert len(kinds) == n_cmd
    return pdus


LEGAL_MAXIMA = [0, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32, 33, 73, 74, 75, 100, 16382]


@pytest.mark.parametrize("peer_max", LEGAL_MAXIMA)
def test_fragment_command_obeys_peer_max(peer_max: int) -> None:
    pdus = _check_fragments(
        _core.fragment_message(1, ECHO_RQ, None, peer_max), 1, ECHO_RQ, None, peer_max
    )
    if peer_max == 0 or peer_max >= 74:
        assert len(pdus) == 1
    else:
        # Every PDU but the last is as full as an even fragment allows.
        room = (peer_max - 6) & ~1
        assert [len(p) - 12 for p in pdus[:-1]] == [room] * (len(pdus) - 1)
        assert len(pdus) == -(-len(ECHO_RQ) // room)


@pytest.mark.parametrize("peer_max", LEGAL_MAXIMA + [2**32 - 1])
def test_fragment_with_dataset_obeys_peer_max(peer_max: int) -> None:
    rng = random.Random(peer_max)
    dataset = bytes(rng.getrandbits(8) for _ in range(2 * rng.randrange(1, 200)))
    stream = _core.fragment_message(7, ECHO_RQ, dataset, peer_max)
    _check_fragments(stream, 7, ECHO_RQ, dataset, peer_max)


def test_fragment_random_maxima() -> None:
    rng = random.Random(99)
    for _ in range(300):
        peer_max = rng.choice([0, rng.randrange(8, 64), rng.randrange(8, 5000)])
        cmd = ECHO_RQ if rng.random() < 0.5 else dimse.encode(_echo_rq())
        dataset = None if rng.random() < 0.5 else bytes(2 * rng.randrange(0, 3000) * [0x5A])
        stream = _core.fragment_message(rng.randrange(1, 256, 2), cmd, dataset, peer_max)
        _check_fragments(stream, stream[10], cmd, dataset, peer_max)


def test_empty_dataset_is_one_last_fragment() -> None:
    stream = _core.fragment_message(1, ECHO_RQ, b"", 0)
    pdus = _split_pdus(stream)
    assert pdus[-1] == bytes.fromhex("040000000006000000020102")


def test_fragment_odd_input_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        _core.fragment_message(1, ECHO_RQ[:-1], None, 0)
    with pytest.raises(ValueError, match="even"):
        _core.fragment_message(1, ECHO_RQ, b"\x00", 0)


def _vector_stream(name: str, direction: str) -> bytes:
    vec = _load(name)
    return b"".join(
        bytes.fromhex(p["hex"]) for p in vec["pdus"] if p["type"] == 4 and p["dir"] == direction
    )


@pytest.mark.parametrize(
    "name,peer_max",
    [
        ("pynetdicom_scu__pynetdicom_scp__echo.json", 16382),
        ("pynetdicom_scu__pynetdicom_scp__echo.json", 0),
        ("small_pdu_32__pynetdicom_scu__pynetdicom_scp.json", 32),
        # pynetdicom sends 1-byte fragments for a peer maximum of 7, and so do we.
        ("small_pdu_7__pynetdicom_scu__pynetdicom_scp.json", 7),
    ],
)
def test_fragmentation_equals_pynetdicom_on_the_wire(name: str, peer_max: int) -> None:
    """The C-ECHO-RQ (SCU side) and C-ECHO-RSP (SCP side) fragment exactly as captured."""
    msgs = {cs["message"]: raw for n, raw, cs, _ in COMMANDS if n.startswith(name[:-5] + "[")}
    for direction, message in (("rq", "C-ECHO-RQ"), ("rsp", "C-ECHO-RSP")):
        wire = _vector_stream(name, direction)
        assert _core.fragment_message(wire[10], msgs[message], None, peer_max) == wire


def test_fragmentation_of_command_and_dataset_equals_pynetdicom() -> None:
    """pynetdicom's C-FIND-RQ: command set then data set, each in its own P-DATA-TF."""
    name = "c_cancel_find__pynetdicom_scu__pynetdicom_scp"
    vec = _load(name + ".json")
    rq_pdus = [bytes.fromhex(p["hex"]) for p in vec["pdus"] if p["type"] == 4 and p["dir"] == "rq"]
    find = [
        (raw, ds)
        for n, raw, cs, ds in COMMANDS
        if n.startswith(name) and cs["message"] == "C-FIND-RQ"
    ]
    assert len(find) == 1
    raw, dataset = find[0]
    assert dataset is not None
    ctx = rq_pdus[0][10]
    assert _core.fragment_message(ctx, raw, dataset, 16382) == b"".join(rq_pdus[:2])


def _echo_rsp(**extra: Any) -> bytes:
    ds = Dataset()
    ds.AffectedSOPClassUID = VERIFICATION
    ds.CommandField = 0x8030
    ds.MessageIDBeingRespondedTo = 1
    ds.CommandDataSetType = 0x0101
    ds.Status = extra.pop("Status", 0x0000)
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return dimse.encode(ds)


_DETAILS = {"OffendingElement", "ErrorComment", "ErrorID"}
_CAPTURED_ECHO_RSPS = [
    (raw, any(e["keyword"] in _DETAILS for e in cs["elements"]))
    for _name, raw, cs, _data in COMMANDS
    if cs["message"] == "C-ECHO-RSP"
]


def test_the_vectors_hold_c_echo_responses() -> None:
    assert len(_CAPTURED_ECHO_RSPS) >= 10
    assert any(details for _raw, details in _CAPTURED_ECHO_RSPS)


@pytest.mark.parametrize(
    "raw, details",
    _CAPTURED_ECHO_RSPS
    + [
        (_echo_rsp(), False),
        (_echo_rsp(Status=0xC000), False),
        (_echo_rsp(Status=0x0210, ErrorComment="duplicate"), True),
        (_echo_rsp(Status=0x0110, ErrorID=7), True),
        (_echo_rsp(Status=0x0106, OffendingElement=[0x00100010]), True),
        (b"\x00\x00", True),
    ],
)
def test_send_c_echo_result_skips_decoding_only_when_there_is_nothing_but_a_status(
    raw: bytes, details: bool
) -> None:
    """``send_c_echo`` builds its Dataset straight from the core's status unless the
    response carries an Offending Element, Error Comment or Error ID; either way the
    Dataset is the one the full decode gives."""
    from fastdimse.association import Association
    from fastdimse.dimse_primitives import status_dataset_from_command

    assert _core.has_status_details(raw) is details
    if raw == b"\x00\x00":
        return
    elements = {tag: value for tag, _kw, _vr, value in _core.decode_command(raw)}
    expected = status_dataset_from_command(elements)
    got = Association._echo_result((elements[0x00000900], raw))
    assert got == expected
    assert [(e.tag, e.VR, e.value) for e in got] == [(e.tag, e.VR, e.value) for e in expected]


@pytest.mark.parametrize(
    "message_id, status, uid",
    [
        (1, 0x0000, "1.2.840.10008.1.1"),
        (65535, 0xFFFF, "1.2.840.10008.1.1"),
        (7, 0x0122, "1.2.3"),  # odd length: padded with a null
        (300, 0xC000, None),  # no Affected SOP Class UID
        (2, 0x0000, ""),
    ],
)
def test_the_cores_echo_response_equals_the_general_encoder(
    message_id: int, status: int, uid: Optional[str]
) -> None:
    """``send_msg`` hands a plain C-ECHO-RSP to the core to encode: it must be the bytes the
    general path (primitive -> elements -> ``encode_command``) gives."""
    from fastdimse.dimse_primitives import C_ECHO, primitive_to_command_elements

    rsp = C_ECHO()
    rsp.MessageIDBeingRespondedTo = message_id
    rsp.Status = status
    if uid is not None:
        rsp.AffectedSOPClassUID = uid
    general = bytes(_core.encode_command(primitive_to_command_elements(rsp)))
    # What send_msg passes on ("" is no UID, as for pynetdicom's primitive).
    held = rsp.AffectedSOPClassUID
    assert _core.encode_echo_rsp(message_id, status, None if held is None else str(held)) == general


class _RecordingCore:
    def __init__(self) -> None:
        self.calls: List[Tuple[Any, ...]] = []

    def send_echo_rsp(self, *args: Any) -> None:
        self.calls.append(("send_echo_rsp",) + args)

    def send_command(self, *args: Any) -> None:
        self.calls.append(("send_command",) + args)


def _provider(core: _RecordingCore) -> dimse.DIMSEServiceProvider:
    class _Assoc:
        _core = core

    return dimse.DIMSEServiceProvider(_Assoc())  # type: ignore[arg-type]


def test_send_msg_uses_the_cores_encoder_only_for_a_plain_response() -> None:
    from fastdimse.dimse_primitives import C_ECHO, primitive_to_command_elements

    plain = C_ECHO()
    plain.MessageIDBeingRespondedTo = 5
    plain.AffectedSOPClassUID = "1.2.840.10008.1.1"
    plain.Status = 0x0000
    commented = C_ECHO()
    commented.MessageIDBeingRespondedTo = 6
    commented.AffectedSOPClassUID = "1.2.840.10008.1.1"
    commented.Status = 0xC000
    commented.ErrorComment = "no"

    core = _RecordingCore()
    provider = _provider(core)
    provider.send_msg(plain, 3)
    provider.send_msg(commented, 3)
    assert core.calls[0] == ("send_echo_rsp", 3, 5, 0x0000, "1.2.840.10008.1.1")
    expected = bytes(_core.encode_command(primitive_to_command_elements(commented)))
    assert core.calls[1] == ("send_command", 3, expected)
    # A request is not a response: the general path (and its checks) handles it.
    request = C_ECHO()
    request.MessageID = 9
    request.AffectedSOPClassUID = "1.2.840.10008.1.1"
    provider.send_msg(request, 1)
    assert core.calls[2][0] == "send_command"
