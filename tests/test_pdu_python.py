"""The PDU codec from Python: every captured PDU through
``fastdimse.pdu``, its fields against the vector's ``decode`` and against pynetdicom 3.0.4's
decoding of the same bytes, ``from_fields`` round trips, and malformed or random input.
"""

from __future__ import annotations

import glob
import json
import os
import random
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from fastdimse import pdu
from fastdimse.exceptions import FastDimseError, PDUDecodeError

VECTOR_DIR = os.path.join(os.path.dirname(__file__), "vectors")
VECTOR_FILES = sorted(glob.glob(os.path.join(VECTOR_DIR, "*.json")))
ECHO_VECTOR = os.path.join(VECTOR_DIR, "pynetdicom_scu__pynetdicom_scp__echo.json")


def _load(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _all_pdus() -> Iterator[Tuple[str, Dict[str, Any]]]:
    for path in VECTOR_FILES:
        vec = _load(path)
        cross = {int(c["index"]): c for c in vec["crosscheck"]["pynetdicom"]}
        for p in vec["pdus"]:
            yield f"{vec['name']}[{p['index']}]", dict(p, pynetdicom=cross[p["index"]])


ALL_PDUS = list(_all_pdus())
PDU_IDS = [name for name, _ in ALL_PDUS]
PDUS = [p for _, p in ALL_PDUS]


def test_vectors_are_present() -> None:
    # The README lists 44 captures; every PDU type appears at least once.
    assert len(VECTOR_FILES) == 44
    assert {p["type"] for p in PDUS} == {1, 2, 3, 4, 5, 6, 7}


# ----- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_decode_encode_round_trip(vp: Dict[str, Any]) -> None:
    data = bytes.fromhex(vp["hex"])
    p = pdu.decode(data)
    assert p.pdu_type == vp["type"]
    assert p.name == vp["decode"]["pdu"]
    assert len(p) == len(data)
    assert p.encode() == data


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_from_fields_reproduces_bytes(vp: Dict[str, Any]) -> None:
    data = bytes.fromhex(vp["hex"])
    p = pdu.decode(data)
    rebuilt = pdu.from_fields(p.fields)
    assert rebuilt.encode() == data
    assert rebuilt == p


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_from_fields_through_json_shaped_copy(vp: Dict[str, Any]) -> None:
    """A dict rebuilt from plain lists/dicts (no PDU object behind it) encodes the same."""
    data = bytes.fromhex(vp["hex"])
    fields = pdu.decode(data).fields

    def copy(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: copy(x) for k, x in v.items()}
        if isinstance(v, list):
            return [copy(x) for x in v]
        return v

    assert pdu.from_fields(copy(fields)).encode() == data


# ----- fields against the vector's decode --------------------------------------------------


def _hex_int(s: str) -> int:
    return int.from_bytes(bytes.fromhex(s), "big")


# Keys of the vector's sub-item decode that describe the encoding (lengths, names, notes)
# rather than values.
_DESCRIPTIVE = {
    "item_name",
    "length",
    "odd_length",
    "uid_length",
    "padding",
    "user_identity_type_name",
    "primary_field_length",
    "secondary_field_length",
    "server_response_length",
    "related_general_sop_class_identification_length",
}


def _expected_sub_item(s: Dict[str, Any]) -> Dict[str, Any]:
    out = {k: v for k, v in s.items() if k not in _DESCRIPTIVE}
    t = s["item_type"]
    if t == 0x56:
        out["service_class_application_information"] = bytes.fromhex(
            s["service_class_application_information"]
        )
    if t == 0x58:
        out["primary_field"] = s["primary_field"].encode("latin-1")
        out["secondary_field"] = s["secondary_field"].encode("latin-1")
    if t == 0x59:
        out["server_response"] = s["server_response"].encode("latin-1")
    return out


def _check_associate(fields: Dict[str, Any], dec: Dict[str, Any], rq: bool) -> None:
    assert fields["protocol_version"] == dec["protocol_version"]
    assert fields["reserved_8_9"] == _hex_int(dec["reserved_8_9"])
    # Exactly as on the wire: 16 characters, space padded.
    assert fields["called_ae_title"] == dec["called_ae_title"]
    assert fields["calling_ae_title"] == dec["calling_ae_title"]
    assert len(fields["called_ae_title"]) == 16
    if "reserved_42_73_nonzero" in dec:
        assert fields["reserved_42_73"] != bytes(32)
    else:
        assert fields["reserved_42_73"] == bytes(32)

    assert [f"0x{i['item_type']:02x}" for i in fields["items"]] == dec["item_order"]
    assert (
        fields["application_context_name"] == dec["application_context"]["application_context_name"]
    )

    pcs = fields["presentation_contexts"]
    assert len(pcs) == len(dec["presentation_contexts"])
    for got, want in zip(pcs, dec["presentation_contexts"]):
        assert got["item_type"] == want["item_type"]
        assert got["context_id"] == want["context_id"]
        if rq:
            assert got["abstract_syntax"] == want["abstract_syntax"]
            assert got["transfer_syntaxes"] == want["transfer_syntaxes"]
            reserved = bytes(want.get("reserved_item_bytes_6_7_8", [0, 0, 0]))
            assert got["reserved"] == reserved
        else:
            assert got["result"] == want["result"]
            assert got["transfer_syntax"] == want.get("transfer_syntax")

    ui = dec["user_information"]
    subs = fields["user_information"]
    assert [f"0x{s['item_type']:02x}" for s in subs] == ui["sub_item_order"]
    assert subs == [_expected_sub_item(s) for s in ui["sub_items"]]


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_fields_equal_vector_decode(vp: Dict[str, Any]) -> None:
    p = pdu.decode(bytes.fromhex(vp["hex"]))
    fields = p.fields
    dec = vp["decode"]
    assert fields["pdu_type"] == dec["type"]
    assert fields["name"] == dec["pdu"]
    t = vp["type"]
    if t in (1, 2):
        _check_associate(fields, dec, rq=t == 1)
    elif t == 3:
        assert (fields["reserved_6"], fields["result"], fields["source"], fields["reason"]) == (
            dec["reserved_byte_6"],
            dec["result"],
            dec["source"],
            dec["reason"],
        )
    elif t == 4:
        assert len(fields["pdvs"]) == len(dec["pdvs"])
        for got, want in zip(fields["pdvs"], dec["pdvs"]):
            assert got["context_id"] == want["context_id"]
            assert got["message_control_header"] == int(want["message_control_header"], 16)
            assert got["is_command"] is want["is_command"]
            assert got["is_last_fragment"] is want["is_last_fragment"]
            assert got["data"] == bytes.fromhex(want["fragment_hex"])
            assert len(got["data"]) + 2 == want["item_length"]
    elif t in (5, 6):
        assert fields["reserved"] == bytes.fromhex(dec["reserved_6_9"])
    elif t == 7:
        assert fields["reserved"] == bytes.fromhex(dec["reserved_6_7"])
        assert (fields["source"], fields["reason"]) == (dec["source"], dec["reason"])


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_attribute_access_matches_fields(vp: Dict[str, Any]) -> None:
    p = pdu.decode(bytes.fromhex(vp["hex"]))
    for key, value in p.fields.items():
        assert getattr(p, key) == value
    with pytest.raises(AttributeError, match="no field 'no_such_field'"):
        p.no_such_field  # noqa: B018


def test_dcmtk_reserved_byte_is_kept() -> None:
    """DCMTK's 0xFF in the presentation context item survives decode, fields and encode."""
    vec = _load(os.path.join(VECTOR_DIR, "dcmtk_echoscu__dcmtk_storescp__echo.json"))
    data = bytes.fromhex(vec["pdus"][0]["hex"])
    p = pdu.decode(data)
    assert p.presentation_contexts[0]["reserved"] == b"\x00\xff\x00"
    assert p.encode() == data
    fields = dict(p.fields)
    items = [dict(i) for i in fields["items"]]
    for i in items:
        if i["item_type"] == 0x20:
            i["reserved"] = b"\x00\x00\x00"
    fields["items"] = items
    zeroed = pdu.from_fields(fields).encode()
    assert zeroed != data
    # Only the reserved byte of each context item changed.
    assert [i for i, (a, b) in enumerate(zip(zeroed, data)) if a != b] == [
        i for i in range(len(data)) if data[i] == 0xFF and i > 73
    ]


# ----- against pynetdicom 3.0.4 ------------------------------------------------------------


def _strip_uid(v: Any) -> str:
    return str(v).rstrip("\x00 ")


def _pynetdicom_sub_items(user_data: List[Any]) -> List[Dict[str, Any]]:
    out = []
    for s in user_data:
        t = s.item_type
        if t == 0x51:
            d = {"maximum_length_received": s.maximum_length_received}
        elif t == 0x52:
            d = {"implementation_class_uid": _strip_uid(s.implementation_class_uid)}
        elif t == 0x53:
            d = {
                "max_operations_invoked": s.maximum_number_operations_invoked,
                "max_operations_performed": s.maximum_number_operations_performed,
            }
        elif t == 0x54:
            d = {
                "sop_class_uid": _strip_uid(s.sop_class_uid),
                "scu_role": s.scu_role,
                "scp_role": s.scp_role,
            }
        elif t == 0x55:
            d = {"implementation_version_name": str(s.implementation_version_name).strip()}
        elif t == 0x56:
            d = {
                "sop_class_uid": _strip_uid(s.sop_class_uid),
                "service_class_application_information": bytes(
                    s.service_class_application_information
                ),
            }
        elif t == 0x57:
            d = {
                "sub_item_version": s.sub_item_version,
                "sop_class_uid": _strip_uid(s.sop_class_uid),
                "service_class_uid": _strip_uid(s.service_class_uid),
                "related_general_sop_class_uids": [
                    _strip_uid(u) for u in s.related_general_sop_class_identification
                ],
            }
        elif t == 0x58:
            d = {
                "user_identity_type": s.user_identity_type,
                "positive_response_requested": s.positive_response_requested,
                "primary_field": bytes(s.primary_field),
                "secondary_field": bytes(s.secondary_field or b""),
            }
        elif t == 0x59:
            d = {"server_response": bytes(s.server_response)}
        else:  # pragma: no cover - the vectors hold no other sub-item
            raise AssertionError(f"unexpected sub-item {t:#x}")
        d["item_type"] = t
        out.append(d)
    return out


def _our_sub_items(subs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Our sub-items normalised the way pynetdicom presents them (UIDs without padding)."""
    out = []
    for s in subs:
        d = dict(s)
        for k in ("implementation_class_uid", "sop_class_uid", "service_class_uid"):
            if k in d:
                d[k] = _strip_uid(d[k])
        if "implementation_version_name" in d:
            d["implementation_version_name"] = d["implementation_version_name"].strip()
        if "related_general_sop_class_uids" in d:
            d["related_general_sop_class_uids"] = [
                _strip_uid(u) for u in d["related_general_sop_class_uids"]
            ]
        out.append(d)
    return out


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_fields_equal_pynetdicom(vp: Dict[str, Any]) -> None:
    from pynetdicom import pdu as pnd

    data = bytes.fromhex(vp["hex"])
    ours = pdu.decode(data).fields
    t = vp["type"]
    theirs: Any = {
        1: pnd.A_ASSOCIATE_RQ,
        2: pnd.A_ASSOCIATE_AC,
        3: pnd.A_ASSOCIATE_RJ,
        4: pnd.P_DATA_TF,
        5: pnd.A_RELEASE_RQ,
        6: pnd.A_RELEASE_RP,
        7: pnd.A_ABORT_RQ,
    }[t]()
    theirs.decode(data)
    assert theirs.pdu_type == ours["pdu_type"]
    assert theirs.pdu_length == len(data) - 6

    if t in (1, 2):
        assert ours["called_ae_title"].strip() == theirs.called_ae_title
        assert ours["calling_ae_title"].strip() == theirs.calling_ae_title
        assert ours["protocol_version"] == theirs.protocol_version
        assert _strip_uid(ours["application_context_name"]) == _strip_uid(
            theirs.application_context_name
        )
        pcs = theirs.presentation_context
        assert len(ours["presentation_contexts"]) == len(pcs)
        for got, want in zip(ours["presentation_contexts"], pcs):
            assert got["context_id"] == want.context_id
            if t == 1:
                assert _strip_uid(got["abstract_syntax"]) == _strip_uid(want.abstract_syntax)
                assert [_strip_uid(x) for x in got["transfer_syntaxes"]] == [
                    _strip_uid(x) for x in want.transfer_syntax
                ]
            else:
                assert got["result"] == want.result
                assert _strip_uid(got["transfer_syntax"]) == _strip_uid(want.transfer_syntax)
        ui = theirs.user_information
        assert _our_sub_items(ours["user_information"]) == _pynetdicom_sub_items(ui.user_data)
        max_len = [
            s["maximum_length_received"] for s in ours["user_information"] if s["item_type"] == 0x51
        ]
        assert max_len == [ui.maximum_length]
        impl = [
            s["implementation_class_uid"]
            for s in ours["user_information"]
            if s["item_type"] == 0x52
        ]
        assert [_strip_uid(u) for u in impl] == [_strip_uid(ui.implementation_class_uid)]
        versions = [
            s["implementation_version_name"]
            for s in ours["user_information"]
            if s["item_type"] == 0x55
        ]
        if versions:
            assert versions == [str(ui.implementation_version_name)]
        else:
            assert ui.implementation_version_name is None
    elif t == 3:
        assert (ours["result"], ours["source"], ours["reason"]) == (
            theirs.result,
            theirs.source,
            theirs.reason_diagnostic,
        )
    elif t == 4:
        items = theirs.presentation_data_value_items
        assert len(ours["pdvs"]) == len(items)
        for got, want in zip(ours["pdvs"], items):
            assert got["context_id"] == want.presentation_context_id
            value = bytes(want.presentation_data_value)
            assert bytes([got["message_control_header"]]) + got["data"] == value
    elif t == 7:
        assert (ours["source"], ours["reason"]) == (theirs.source, theirs.reason_diagnostic)


@pytest.mark.parametrize("vp", PDUS, ids=PDU_IDS)
def test_pynetdicom_decodes_our_encoding(vp: Dict[str, Any]) -> None:
    """What we encode from fields is what pynetdicom re-encodes (bar DCMTK's 0xFF byte)."""
    from pynetdicom import pdu as pnd

    data = bytes.fromhex(vp["hex"])
    ours = pdu.from_fields(pdu.decode(data).fields).encode()
    cls = {
        1: pnd.A_ASSOCIATE_RQ,
        2: pnd.A_ASSOCIATE_AC,
        3: pnd.A_ASSOCIATE_RJ,
        4: pnd.P_DATA_TF,
        5: pnd.A_RELEASE_RQ,
        6: pnd.A_RELEASE_RP,
        7: pnd.A_ABORT_RQ,
    }[vp["type"]]
    theirs = cls()
    theirs.decode(ours)
    reencoded = theirs.encode()
    if str(vp["pynetdicom"]["roundtrip_identical"]) != "True":
        # pynetdicom 3.0.4 writes the reserved byte DCMTK sets to 0xFF as 0x00; the
        # vector's crosscheck records the bytes it produces.
        assert vp["type"] == 1 and b"\x00\xff\x00" in data[99:]
        assert reencoded == bytes.fromhex(vp["pynetdicom"]["pynetdicom_reencoded_hex"])
        assert reencoded != ours
    else:
        assert reencoded == ours


# ----- malformed input ---------------------------------------------------------------------


def _echo_pdus() -> List[bytes]:
    return [bytes.fromhex(p["hex"]) for p in _load(ECHO_VECTOR)["pdus"]]


def _patched(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def _malformed_cases() -> List[Tuple[str, bytes, str]]:
    rq, _ac, pdata, *_ = _echo_pdus()
    assert len(rq) == 287 and rq[99] == 0x20 and rq[221] == 0x50 and rq[225] == 0x51
    return [
        ("empty", b"", "malformed unknown PDU at offset 0: truncated: needs 6 bytes, 0 available"),
        (
            "short header",
            b"\x01\x00\x00",
            "malformed A-ASSOCIATE-RQ at offset 3: truncated: needs 6 bytes, 3 available",
        ),
        (
            "unknown type",
            b"\x08\x00\x00\x00\x00\x04\x00\x00\x00\x00",
            "malformed unknown PDU at offset 0: unknown PDU type 08H",
        ),
        (
            "type zero",
            b"\x00\x00\x00\x00\x00\x00",
            "malformed unknown PDU at offset 0: unknown PDU type 00H",
        ),
        (
            "RQ truncated body",
            rq[:-1],
            "malformed A-ASSOCIATE-RQ at offset 286: truncated: needs 287 bytes, 286 available",
        ),
        (
            "RQ trailing byte",
            rq + b"\x00",
            "malformed A-ASSOCIATE-RQ at offset 2: length field is 281, expected 282",
        ),
        (
            "absurd PDU length",
            b"\x01\x00\xff\xff\xff\xff" + bytes(10),
            "malformed A-ASSOCIATE-RQ at offset 16: truncated: needs 4294967301 bytes, "
            "16 available",
        ),
        (
            "RQ shorter than its fixed fields",
            b"\x01\x00\x00\x00\x00\x04\x00\x01\x00\x00",
            "malformed A-ASSOCIATE-RQ at offset 2: length field is 4, minimum is 68",
        ),
        (
            "presentation context longer than the PDU",
            _patched(rq, 102, b"\xff"),
            "malformed A-ASSOCIATE-RQ, Presentation Context (20H) at offset 99: item ends at "
            "offset 358, beyond its container's end at 287",
        ),
        (
            "presentation context too short for its fields",
            _patched(rq, 102, b"\x03"),
            "malformed A-ASSOCIATE-RQ, Presentation Context (20H) at offset 103: truncated: "
            "needs 4 bytes, 3 available",
        ),
        (
            "empty application context name",
            _patched(rq, 76, b"\x00\x00"),
            "malformed A-ASSOCIATE-RQ, Application Context (10H) at offset 74: zero-length "
            "value where one is required",
        ),
        (
            "empty abstract syntax",
            _patched(rq, 110, b"\x00"),
            "malformed A-ASSOCIATE-RQ, Abstract Syntax (30H) at offset 107: zero-length value "
            "where one is required",
        ),
        (
            "user information longer than the PDU",
            _patched(rq, 224, b"\xff"),
            "malformed A-ASSOCIATE-RQ, User Information (50H) at offset 221: item ends at "
            "offset 480, beyond its container's end at 287",
        ),
        (
            "maximum length sub-item overruns its item",
            _patched(rq, 228, b"\xc8"),
            "malformed A-ASSOCIATE-RQ, Maximum Length (51H) at offset 225: item ends at offset "
            "429, beyond its container's end at 287",
        ),
        (
            "maximum length sub-item of 3 bytes",
            _patched(rq, 228, b"\x03"),
            "malformed A-ASSOCIATE-RQ, Maximum Length (51H) at offset 225: length field is 3, "
            "expected 4",
        ),
        (
            "P-DATA-TF without PDV",
            b"\x04\x00\x00\x00\x00\x00",
            "malformed P-DATA-TF, PDV item at offset 6: P-DATA-TF without any PDV item",
        ),
        (
            "PDV item length 0",
            b"\x04\x00\x00\x00\x00\x04\x00\x00\x00\x00",
            "malformed P-DATA-TF, PDV item at offset 6: length field is 0, minimum is 2",
        ),
        (
            "PDV item length 1",
            b"\x04\x00\x00\x00\x00\x05\x00\x00\x00\x01\x01",
            "malformed P-DATA-TF, PDV item at offset 6: length field is 1, minimum is 2",
        ),
        (
            "PDV longer than the PDU",
            _patched(pdata, 6, b"\x00\x00\x00\x50"),
            "malformed P-DATA-TF, PDV item at offset 6: item ends at offset 90, beyond its "
            "container's end at 80",
        ),
        (
            "truncated second PDV header",
            pdata[:5] + bytes([pdata[5] + 2]) + pdata[6:] + b"\x00\x00",
            "malformed P-DATA-TF, PDV item at offset 80: truncated: needs 4 bytes, 2 available",
        ),
        (
            "A-ABORT body of 3 bytes",
            b"\x07\x00\x00\x00\x00\x03\x00\x00\x00",
            "malformed A-ABORT at offset 2: length field is 3, minimum is 4",
        ),
        (
            "A-RELEASE-RQ body of 2 bytes",
            b"\x05\x00\x00\x00\x00\x02\x00\x00",
            "malformed A-RELEASE-RQ at offset 2: length field is 2, minimum is 4",
        ),
        (
            "A-ASSOCIATE-RJ body of 0 bytes",
            b"\x03\x00\x00\x00\x00\x00",
            "malformed A-ASSOCIATE-RJ at offset 2: length field is 0, minimum is 4",
        ),
    ]


MALFORMED = _malformed_cases()


@pytest.mark.parametrize(
    "data,message", [(d, m) for _, d, m in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_raises_pdu_decode_error(data: bytes, message: str) -> None:
    with pytest.raises(PDUDecodeError) as info:
        pdu.decode(data)
    assert str(info.value) == message
    assert isinstance(info.value, FastDimseError)


def test_exception_hierarchy() -> None:
    assert issubclass(PDUDecodeError, FastDimseError)
    assert issubclass(FastDimseError, Exception)


def test_fixed_pdu_excess_bytes_are_ignored() -> None:
    """Documented leniency (rust/pdu/decode.rs fixed_body): bytes after the 4-byte body of
    A-ABORT/A-RELEASE/A-ASSOCIATE-RJ are ignored; encode writes the canonical PDU."""
    p = pdu.decode(b"\x07\x00\x00\x00\x00\x05\x00\x00\x02\x06\xee")
    assert (p.source, p.reason) == (2, 6)
    assert p.encode() == b"\x07\x00\x00\x00\x00\x04\x00\x00\x02\x06"


def test_non_ascii_text_survives_fields() -> None:
    """A peer may send bytes outside ISO 646 in AE titles and UIDs: ``fields`` shows each
    byte as one character (Latin-1) so ``from_fields`` rebuilds the same bytes."""
    rq = _echo_pdus()[0]
    data = _patched(rq, 26, b"\xc4\xff\x80Z" + b" " * 12)  # calling AE title
    data = _patched(data, 78, b"\xe9")  # first byte of the application context name
    p = pdu.decode(data)
    assert p.calling_ae_title == "\xc4\xff\x80Z" + " " * 12
    assert p.application_context_name == "\xe9.2.840.10008.3.1.1.1"
    assert p.encode() == data
    assert pdu.from_fields(p.fields).encode() == data


def test_from_fields_refuses_text_outside_one_byte() -> None:
    fields = dict(pdu.decode(_echo_pdus()[0]).fields)
    fields["calling_ae_title"] = "\u20ac"
    with pytest.raises(ValueError, match="calling_ae_title"):
        pdu.from_fields(fields)


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(TypeError):
        pdu.decode("01000000")  # type: ignore[arg-type]


# ----- random input ------------------------------------------------------------------------


def _fixed_with_excess(data: bytes) -> bool:
    return len(data) > 10 and data[0] in (3, 5, 6, 7)


def _check_random(data: bytes) -> None:
    """Decoding either fails with PDUDecodeError naming a PDU and an offset, or succeeds
    and the PDU re-encodes to the same bytes (see the exceptions below)."""
    try:
        p = pdu.decode(data)
    except PDUDecodeError as e:
        msg = str(e)
        assert msg.startswith("malformed "), msg
        assert " at offset " in msg, msg
        return
    encoded = p.encode()
    if data[0] in (1, 2):
        # Unrecognised sub-items inside a presentation context item are skipped (PS3.8
        # 9.3.1) and not re-encoded, so the exact bytes may differ; encoding must still be
        # a fixed point and never grow the PDU.
        again = pdu.decode(encoded)
        assert again == p and again.encode() == encoded
        assert len(encoded) <= len(data)
    elif not _fixed_with_excess(data):
        # Byte 1 of the header is reserved and not kept (PS3.8: not tested when received).
        assert encoded == data[:1] + b"\x00" + data[2:]
    p.fields  # noqa: B018 - building the fields must not fail either
    assert pdu.from_fields(p.fields).encode() == p.encode()


def test_random_bytes_never_crash() -> None:
    rng = random.Random(20261125)
    for _ in range(3000):
        n = rng.randrange(0, 300)
        data = bytes(rng.getrandbits(8) for _ in range(n))
        _check_random(data)
        # The same bytes behind a plausible header of each type, length field consistent.
        t = rng.randrange(1, 8)
        _check_random(bytes([t, 0]) + len(data).to_bytes(4, "big") + data)


def test_mutated_vectors_never_crash() -> None:
    """Byte flips, truncations and length edits of every captured PDU."""
    rng = random.Random(7)
    sources = [bytes.fromhex(p["hex"]) for p in PDUS]
    for _ in range(4000):
        data = bytearray(rng.choice(sources))
        op = rng.randrange(4)
        if op == 0:
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
        elif op == 1:
            del data[rng.randrange(len(data)) :]
        elif op == 2 and len(data) > 8:
            # Edit a byte that is likely part of an item length field.
            i = rng.randrange(6, len(data))
            data[i] = rng.choice([0, 1, 2, 3, 0x7F, 0xFF])
        else:
            data += bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 8)))
            data[2:6] = (len(data) - 6).to_bytes(4, "big")
        _check_random(bytes(data))


def test_split_stream_into_pdus() -> None:
    pdus = _echo_pdus()
    stream = b"".join(pdus)
    got, rest = pdu.split(stream + pdus[0][:10])
    assert got == pdus
    assert rest == pdus[0][:10]
