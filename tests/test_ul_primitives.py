"""pynetdicom's upper layer primitives (``fastdimse.pdu_primitives``) and the user
information sub-items their ``from_primitive()`` gives (``fastdimse.pdu_items``): checks,
messages, and the exact bytes, compared with what pynetdicom and DCMTK put on the wire
(tests/vectors); then SOP class (common) extended negotiation on live associations, read
byte by byte from a raw peer."""

from __future__ import annotations

import json
import logging
import struct
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from fastdimse import AE, _config, evt
from fastdimse.pdu_items import (
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    SCP_SCU_RoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentitySubItemAC,
    UserIdentitySubItemRQ,
)
from fastdimse.pdu_primitives import (
    A_ABORT,
    A_ASSOCIATE,
    A_P_ABORT,
    A_RELEASE,
    P_DATA,
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
)
from fastdimse.presentation import PresentationContext
from pydicom.uid import UID
from rawpeer import RELEASE_RP, RELEASE_RQ, VERIFICATION, RawPeer, RawSCP, associate_rq, item, pdu

VECTORS = Path(__file__).parent / "vectors"
CT = "1.2.840.10008.5.1.4.1.1.2"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"


@pytest.fixture(autouse=True)
def _conformance_restored() -> Any:
    before = _config.ENFORCE_UID_CONFORMANCE
    yield
    _config.ENFORCE_UID_CONFORMANCE = before


# ----- wire helpers -------------------------------------------------------------------------


def user_sub_items(assoc_pdu: bytes) -> List[bytes]:
    """Every sub-item (whole, header included) of the 50H item of an A-ASSOCIATE-RQ/AC."""
    pos = 74
    while pos + 4 <= len(assoc_pdu):
        item_type = assoc_pdu[pos]
        length = struct.unpack(">H", assoc_pdu[pos + 2 : pos + 4])[0]
        if item_type == 0x50:
            value = assoc_pdu[pos + 4 : pos + 4 + length]
            subs, at = [], 0
            while at < len(value):
                sub_len = struct.unpack(">H", value[at + 2 : at + 4])[0]
                subs.append(value[at : at + 4 + sub_len])
                at += 4 + sub_len
            return subs
        pos += 4 + length
    raise AssertionError("no user information item")


def vector_sub_item(name: str, index: int, item_type: int) -> bytes:
    """The sub-item of type `item_type` in PDU `index` of a captured vector."""
    pdus = json.loads((VECTORS / f"{name}.json").read_text())["pdus"]
    subs = [s for s in user_sub_items(bytes.fromhex(pdus[index]["hex"])) if s[0] == item_type]
    assert len(subs) == 1, subs
    return subs[0]


def uid_field(uid: str) -> bytes:
    return struct.pack(">H", len(uid)) + uid.encode()


def ext_item(uid: str, info: bytes) -> bytes:
    """A 56H sub-item, built here from PS3.7 table D.3-11."""
    return item(0x56, uid_field(uid) + info)


def common_item(uid: str, service: str, related: List[str]) -> bytes:
    """A 57H sub-item (version 0), built here from PS3.7 table D.3-12."""
    rel = b"".join(uid_field(r) for r in related)
    return item(0x57, uid_field(uid) + uid_field(service) + struct.pack(">H", len(rel)) + rel)


def rq_with(sub_items: bytes, calling: str = "RAWSCU") -> bytes:
    """rawpeer's A-ASSOCIATE-RQ with `sub_items` appended to its user information item."""
    rq = associate_rq(calling=calling)
    # The 50H item is last: lengthen it and the PDU by the added bytes.
    user_at = 74
    while rq[user_at] != 0x50:
        user_at += 4 + struct.unpack(">H", rq[user_at + 2 : user_at + 4])[0]
    user_len = struct.unpack(">H", rq[user_at + 2 : user_at + 4])[0]
    body = (
        rq[6:user_at]
        + item(0x50, rq[user_at + 4 : user_at + 4 + user_len] + sub_items)
        + rq[user_at + 4 + user_len :]
    )
    return pdu(1, body)


# ----- sub-items: the bytes pynetdicom and DCMTK send --------------------------------------


def _role() -> Any:
    p = SCP_SCU_RoleSelectionNegotiation()
    p.sop_class_uid = CT
    p.scu_role = p.scp_role = True
    return p


def _window() -> Any:
    p = AsynchronousOperationsWindowNegotiation()
    p.maximum_number_operations_invoked = 5
    p.maximum_number_operations_performed = 6
    return p


def _identity_rq() -> Any:
    p = UserIdentityNegotiation()
    p.user_identity_type = 2
    p.primary_field = b"alice"
    p.secondary_field = b"s3cret"
    p.positive_response_requested = True
    return p


def _extended() -> Any:
    p = SOPClassExtendedNegotiation()
    p.sop_class_uid = STUDY_ROOT_FIND
    p.service_class_application_information = b"\x01\x01\x00\x01"
    return p


def _common() -> Any:
    p = SOPClassCommonExtendedNegotiation()
    p.sop_class_uid = CT
    p.service_class_uid = "1.2.840.10008.4.2"
    p.related_general_sop_class_identification = ["1.2.840.10008.5.1.4.1.1.2.1"]
    return p


def _maximum() -> Any:
    return MaximumLengthNotification()


def _class_uid() -> Any:
    p = ImplementationClassUIDNotification()
    p.implementation_class_uid = "1.2.826.0.1.3680043.9.3811.3.0.4"
    return p


def _version() -> Any:
    p = ImplementationVersionNameNotification()
    p.implementation_version_name = "PYNETDICOM_304"
    return p


def _identity_ac() -> Any:
    p = UserIdentityNegotiation()
    p.server_response = b"SERVER-TOKEN-1"
    return p


EXT_NEG = "ext_neg__pynetdicom_scu__pynetdicom_scp"
JWT = "user_identity_jwt_posrsp__dcmtk_storescu__pynetdicom_scp"


@pytest.mark.parametrize(
    "build, vector, index, item_type, item_class",
    [
        (_maximum, EXT_NEG, 0, 0x51, MaximumLengthSubItem),
        (_class_uid, EXT_NEG, 0, 0x52, ImplementationClassUIDSubItem),
        (_version, EXT_NEG, 0, 0x55, None),
        (_window, EXT_NEG, 0, 0x53, AsynchronousOperationsWindowSubItem),
        (_role, EXT_NEG, 0, 0x54, SCP_SCU_RoleSelectionSubItem),
        (_identity_rq, EXT_NEG, 0, 0x58, UserIdentitySubItemRQ),
        (_extended, EXT_NEG, 0, 0x56, SOPClassExtendedNegotiationSubItem),
        (_extended, EXT_NEG, 1, 0x56, SOPClassExtendedNegotiationSubItem),
        (_common, EXT_NEG, 0, 0x57, SOPClassCommonExtendedNegotiationSubItem),
        (_identity_ac, JWT, 1, 0x59, UserIdentitySubItemAC),
    ],
)
def test_sub_item_bytes_are_those_captured_on_the_wire(
    build: Callable[[], Any], vector: str, index: int, item_type: int, item_class: Any
) -> None:
    primitive = build()
    sub = primitive.from_primitive()
    if item_class is not None:
        assert type(sub) is item_class
    wire = vector_sub_item(vector, index, item_type)
    assert sub.item_type == item_type
    assert sub.encode() == wire
    assert len(sub) == len(wire) and sub.item_length == len(wire) - 4
    # And back: the same primitive.
    assert sub.to_primitive() == primitive


def test_sub_items_hold_pynetdicoms_attributes() -> None:
    role = SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = CT
    role.scu_role = True
    sub = role.from_primitive()
    assert (sub.sop_class_uid, sub.scu_role, sub.scp_role) == (CT, 1, 0)
    assert sub.encode()[-2:] == b"\x01\x00"

    ext = _extended().from_primitive()
    assert ext.sop_class_uid == STUDY_ROOT_FIND
    assert ext.service_class_application_information == b"\x01\x01\x00\x01"
    assert ext == _extended().from_primitive()
    assert ext != _common().from_primitive()

    common = _common().from_primitive()
    assert common.related_general_sop_class_identification == ["1.2.840.10008.5.1.4.1.1.2.1"]
    # 57H carries its sub-item version (0) in byte 1.
    assert common.encode()[:2] == b"\x57\x00"


def test_sub_items_by_hand() -> None:
    # Maximum length 0 (no limit) and the highest one the 32-bit field holds.
    m = MaximumLengthNotification()
    m.maximum_length_received = 0
    assert m.from_primitive().encode() == bytes.fromhex("5100000400000000")
    m.maximum_length_received = 0xFFFFFFFF
    assert m.from_primitive().encode() == bytes.fromhex("51000004ffffffff")
    m.maximum_length_received = 0x1_0000_0000
    with pytest.raises(ValueError, match="maximum_length_received"):
        m.from_primitive().encode()

    # A common extended item with no related general SOP class.
    c = SOPClassCommonExtendedNegotiation()
    c.sop_class_uid = "1.2.3"
    c.service_class_uid = "2.3.4"
    assert c.from_primitive().encode() == common_item("1.2.3", "2.3.4", [])

    # A user identity request of type 1: empty secondary field.
    u = UserIdentityNegotiation()
    u.user_identity_type = 1
    u.primary_field = b"bob"
    assert u.from_primitive().encode() == item(0x58, b"\x01\x00\x00\x03bob\x00\x00")

    # Application information too long for the 16-bit length of the sub-item.
    e = SOPClassExtendedNegotiation()
    e.sop_class_uid = "1.2.3"
    e.service_class_application_information = bytes(65535 - 2 - 5)
    assert len(e.from_primitive().encode()) == 4 + 65535
    e.service_class_application_information = bytes(65535 - 2 - 4)
    with pytest.raises(ValueError, match="65535"):
        e.from_primitive().encode()


# ----- the primitives' checks --------------------------------------------------------------


def test_from_primitive_refuses_incomplete_items() -> None:
    with pytest.raises(ValueError, match="Implementation Class UID must be set"):
        ImplementationClassUIDNotification().from_primitive()
    with pytest.raises(ValueError, match="Implementation Version Name must be set"):
        ImplementationVersionNameNotification().from_primitive()
    role = SCP_SCU_RoleSelectionNegotiation()
    with pytest.raises(ValueError, match="'sop_class_uid' must be set"):
        role.from_primitive()
    role.sop_class_uid = CT
    role.scu_role = False
    with pytest.raises(ValueError, match=f"Roles cannot both be unsupported for '{CT}'"):
        role.from_primitive()
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = CT
    with pytest.raises(ValueError, match="Service Class Application Information must be set"):
        ext.from_primitive()
    common = SOPClassCommonExtendedNegotiation()
    common.service_class_uid = "1.2.3"
    with pytest.raises(ValueError, match="SOP Class UID and Service Class UID must be set"):
        common.from_primitive()
    identity = UserIdentityNegotiation()
    with pytest.raises(ValueError, match="User Identity Type and Primary Field"):
        identity.from_primitive()
    identity.user_identity_type = 2
    identity.primary_field = b"alice"
    for passcode in (None, b""):
        identity.secondary_field = passcode
        with pytest.raises(ValueError, match="Secondary Field must be set"):
            identity.from_primitive()


def test_extended_negotiation_setters() -> None:
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = b"1.2.840.10008.5.1.4.1.1.2"
    assert ext.sop_class_uid == UID(CT) and isinstance(ext.sop_class_uid, UID)
    for bad in (10, 45.2, ["1.2"]):
        with pytest.raises(TypeError):
            ext.sop_class_uid = bad  # type: ignore[assignment]
    with pytest.raises(TypeError, match="should be a bytes object"):
        ext.service_class_application_information = "text"  # type: ignore[assignment]

    common = SOPClassCommonExtendedNegotiation()
    common.related_general_sop_class_identification = [b"1.2.3", "1.2.4", UID("1.2.5")]
    assert common.related_general_sop_class_identification == ["1.2.3", "1.2.4", "1.2.5"]
    assert all(isinstance(u, UID) for u in common.related_general_sop_class_identification)
    for bad in ("1.2.3", ("1.2.3",), [None], [10]):
        with pytest.raises(TypeError, match="must be a list of pydicom.uid.UID, str or bytes"):
            common.related_general_sop_class_identification = bad  # type: ignore[assignment]
    with pytest.raises(ValueError):
        common.related_general_sop_class_identification = [""]
    with pytest.raises(ValueError):
        common.related_general_sop_class_identification = ["1" * 65]


def test_uid_conformance_switch_applies_to_every_uid() -> None:
    setters: List[Tuple[Any, str]] = [
        (A_ASSOCIATE(), "application_context_name"),
        (ImplementationClassUIDNotification(), "implementation_class_uid"),
        (SCP_SCU_RoleSelectionNegotiation(), "sop_class_uid"),
        (SOPClassExtendedNegotiation(), "sop_class_uid"),
        (SOPClassCommonExtendedNegotiation(), "sop_class_uid"),
        (SOPClassCommonExtendedNegotiation(), "service_class_uid"),
    ]
    _config.ENFORCE_UID_CONFORMANCE = False
    for obj, name in setters:
        setattr(obj, name, "abc")
        assert getattr(obj, name) == "abc"
        with pytest.raises(ValueError, match="must not exceed 64 characters"):
            setattr(obj, name, "1" * 65)
    _config.ENFORCE_UID_CONFORMANCE = True
    for obj, name in setters:
        with pytest.raises(ValueError, match="non-conformant"):
            setattr(obj, name, "abc")
        with pytest.raises(ValueError):
            setattr(obj, name, "1.02")
        setattr(obj, name, "1.2.3")
    common = SOPClassCommonExtendedNegotiation()
    with pytest.raises(ValueError):
        common.related_general_sop_class_identification = ["abc"]


def test_version_name_setter() -> None:
    name = ImplementationVersionNameNotification()
    name.implementation_version_name = "1234567890ABCDEF"
    with pytest.raises(
        ValueError,
        match="Invalid 'Implementation Version Name' value 'ABCD1234ABCD12345' - must not "
        "exceed 16 characters",
    ):
        name.implementation_version_name = "ABCD1234ABCD12345"
    with pytest.raises(TypeError, match="must be str or None, not 'bytes'"):
        name.implementation_version_name = b"NAME"  # type: ignore[assignment]
    name.implementation_version_name = ""
    assert name.implementation_version_name == ""
    assert "Implementation version name: " in str(name)


def test_user_information_items_compare_by_value() -> None:
    for cls in (
        MaximumLengthNotification,
        ImplementationClassUIDNotification,
        UserIdentityNegotiation,
        AsynchronousOperationsWindowNegotiation,
        SCP_SCU_RoleSelectionNegotiation,
        SOPClassExtendedNegotiation,
        SOPClassCommonExtendedNegotiation,
    ):
        assert cls() == cls() and not cls() != cls()
        assert cls() != "item"
        with pytest.raises(TypeError):
            hash(cls())
    a, b = MaximumLengthNotification(), MaximumLengthNotification()
    b.maximum_length_received = 12
    assert a != b


def test_a_associate() -> None:
    assoc = A_ASSOCIATE()
    assert (assoc.mode, assoc.presentation_requirements, assoc.session_requirements) == (
        "normal",
        "Presentation Kernel",
        "",
    )
    for read_only in ("mode", "presentation_requirements", "session_requirements"):
        with pytest.raises(AttributeError):
            setattr(assoc, read_only, "x")
    assert assoc.calling_ae_title == assoc.called_ae_title == "DEFAULT"
    with pytest.raises(TypeError, match="'Calling AE Title' must be str, not 'NoneType'"):
        assoc.calling_ae_title = None  # type: ignore[assignment]
    with pytest.raises(ValueError, match="must not be an empty str"):
        assoc.called_ae_title = ""
    with pytest.raises(ValueError, match="must not consist entirely of spaces"):
        assoc.called_ae_title = "    "
    assoc.called_ae_title = "ANY-SCP"
    assert assoc.responding_ae_title == "ANY-SCP"

    for name, good, bad in (
        ("result", (None, 0, 1, 2), (-1, 3)),
        ("result_source", (None, 1, 2, 3), (0, 4)),
        ("diagnostic", (None, 1, 2, 3, 7), (0, 4, 5, 6, 8)),
    ):
        for value in good:
            setattr(assoc, name, value)
            assert getattr(assoc, name) == value
        for value in bad:
            with pytest.raises(ValueError, match=f"Unknown A_ASSOCIATE.{name} value"):
                setattr(assoc, name, value)

    assoc.result, assoc.result_source, assoc.diagnostic = 1, 1, 3
    assert (assoc.result_str, assoc.source_str, assoc.reason_str) == (
        "Rejected Permanent",
        "Service User",
        "Calling AE title not recognised",
    )

    class Address:
        address, port = "10.0.0.1", 104

    assoc.calling_presentation_address = Address()
    assert assoc.calling_presentation_address.port == 104
    assoc.called_presentation_address = None
    for bad in (("10.0.0.1", 104), ["10.0.0.1", 104]):
        with pytest.raises(TypeError, match="must be an AddressInformation instance or None"):
            assoc.called_presentation_address = bad

    context = PresentationContext()
    context.context_id = 1
    assoc.presentation_context_definition_list = ["a", context]  # type: ignore[list-item]
    assert assoc.presentation_context_definition_list == [context]
    with pytest.raises(TypeError):
        assoc.presentation_context_definition_results_list = 45.2  # type: ignore[assignment]

    maximum = MaximumLengthNotification()
    assoc.user_information = ["a", maximum]
    assert assoc.user_information == [maximum]
    with pytest.raises(TypeError, match="must be a list"):
        assoc.user_information = 45.2  # type: ignore[assignment]


def test_a_associate_user_information_shortcuts() -> None:
    assoc = A_ASSOCIATE()
    assert assoc.maximum_length_received is None
    with pytest.raises(ValueError, match="Implementation Class UID has not been set"):
        _ = assoc.implementation_class_uid
    assoc.maximum_length_received = 31223
    assoc.maximum_length_received = 31224
    assoc.implementation_class_uid = "1.1.2.3.4"
    assert assoc.maximum_length_received == 31224
    assert assoc.implementation_class_uid == "1.1.2.3.4"
    assert [type(i).__name__ for i in assoc.user_information] == [
        "MaximumLengthNotification",
        "ImplementationClassUIDNotification",
    ]
    empty = A_ASSOCIATE()
    empty.user_information.append(ImplementationClassUIDNotification())
    with pytest.raises(ValueError, match="Implementation Class UID has not been set"):
        _ = empty.implementation_class_uid


def test_a_associate_words_for_unknown_values_log_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assoc = A_ASSOCIATE()
    assoc.result, assoc.result_source, assoc.diagnostic = 1, 2, 7
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        assert assoc.reason_str == "(no value available)"
        assoc.result = None
        assoc.result_source = None
        assert assoc.result_str == "(no value available)"
        assert assoc.source_str == "(no value available)"
    assert "Invalid A-ASSOCIATE 'Result Source' 2 and/or 'Diagnostic' 7 values" in caplog.text
    assert "Invalid A-ASSOCIATE 'Result' None" in caplog.text
    assert "Invalid A-ASSOCIATE 'Result Source' None" in caplog.text


def test_release_abort_and_p_abort() -> None:
    release = A_RELEASE()
    assert release.reason == "normal" and release.result is None
    release.result = "affirmative"
    with pytest.raises(ValueError, match="must be None or 'affirmative'"):
        release.result = "accepted"
    with pytest.raises(AttributeError):
        release.reason = "other"  # type: ignore[misc]

    abort = A_ABORT()
    with pytest.raises(ValueError, match="A_ABORT.abort_source value not set"):
        _ = abort.abort_source
    for source in (0, 1, 2):
        abort.abort_source = source
        assert abort.abort_source == source
    with pytest.raises(ValueError, match="Invalid A-ABORT 'Source' value '3'"):
        abort.abort_source = 3

    p_abort = A_P_ABORT()
    with pytest.raises(ValueError, match="value not set"):
        _ = p_abort.provider_reason
    for reason in (0, 1, 2, 4, 5, 6):
        p_abort.provider_reason = reason
        assert p_abort.provider_reason == reason
    for reason in (3, 7):
        with pytest.raises(ValueError):
            p_abort.provider_reason = reason


def test_p_data() -> None:
    data = P_DATA()
    data.presentation_data_value_list = [[1, b"\x03\x00"], [3, b"\x00"]]
    text = str(data)
    assert "Context ID: 1" in text and "Context ID: 3" in text
    assert "Message Control Header Byte: 00000011" in text
    assert "Command information, last fragment" in text
    assert "Dataset information, not the last fragment" in text
    for bad in ([1, b"\x00"], [[b"\x00", 1]], "test", [(1, b"\x00")], [[1]]):
        with pytest.raises(TypeError):
            data.presentation_data_value_list = bad  # type: ignore[assignment]


def test_notification_strings() -> None:
    assert "16382 bytes" in str(MaximumLengthNotification())
    uid = ImplementationClassUIDNotification()
    uid.implementation_class_uid = "1.2.3"
    assert "Implementation class UID: 1.2.3" in str(uid)


# ----- SOP class (common) extended negotiation on live associations ------------------------


def _ac_for(rq: bytes, sub_items: bytes = b"") -> bytes:
    """An A-ASSOCIATE-AC accepting every context of `rq`, with `sub_items` added."""
    from rawpeer import context_ids

    body = struct.pack(">HH", 1, 0) + rq[10:74] + item(0x10, b"1.2.840.10008.3.1.1.1")
    for ctx_id in context_ids(rq):
        body += item(0x21, bytes([ctx_id, 0, 0, 0]) + item(0x40, b"1.2.840.10008.1.2"))
    user = item(0x51, struct.pack(">I", 16384)) + item(0x52, b"2.25.99") + sub_items
    return pdu(2, body + item(0x50, user))


class _Capture:
    """A raw SCP that records the A-ASSOCIATE-RQ, answers it with an AC carrying
    `answer_items`, and answers the release."""

    def __init__(self, answer_items: bytes = b"") -> None:
        self.rq: Optional[bytes] = None
        self.answer_items = answer_items

    def __call__(self, peer: RawPeer) -> None:
        self.rq = peer.recv_pdu(5.0)
        peer.send(_ac_for(self.rq, self.answer_items))
        assert peer.recv_pdu(5.0) == RELEASE_RQ
        peer.send(RELEASE_RP)


def _requestor() -> AE:
    ae = AE(ae_title="FASTSCU")
    ae.add_requested_context(VERIFICATION)
    return ae


def test_associate_proposes_extended_items_and_reads_the_answers() -> None:
    ext_a = SOPClassExtendedNegotiation()
    ext_a.sop_class_uid = "1.1.1.1"
    ext_a.service_class_application_information = b"\x01\x02"
    ext_b = SOPClassExtendedNegotiation()
    ext_b.sop_class_uid = "1.1.1.2"
    ext_b.service_class_application_information = b""
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = "1.1.1.1"
    common.service_class_uid = "1.1.3"
    common.related_general_sop_class_identification = ["1.2.1", "1.2.2"]
    capture = _Capture(answer_items=ext_item("1.1.1.1", b"\x07"))
    with RawSCP(capture) as scp:
        assoc = _requestor().associate(
            "127.0.0.1", scp.port, ext_neg=[common, ext_a, ext_b]
        )
        assert assoc.is_established
        assert assoc.acceptor.sop_class_extended == {"1.1.1.1": b"\x07"}
        assert assoc.requestor.sop_class_extended == {"1.1.1.1": b"\x01\x02", "1.1.1.2": b""}
        sent_common = assoc.requestor.sop_class_common_extended["1.1.1.1"]
        assert sent_common == common
        assert [type(i).__name__ for i in assoc.requestor.extended_negotiation] == [
            "SOPClassExtendedNegotiation",
            "SOPClassExtendedNegotiation",
            "SOPClassCommonExtendedNegotiation",
        ]
        assoc.release()
        assert assoc.is_released
        assert scp.done.wait(5) and not scp.errors
    assert capture.rq is not None
    subs = user_sub_items(capture.rq)
    # 56H items in the order given, then 57H, after the others.
    assert subs[-3:] == [
        ext_item("1.1.1.1", b"\x01\x02"),
        ext_item("1.1.1.2", b""),
        common_item("1.1.1.1", "1.1.3", ["1.2.1", "1.2.2"]),
    ]
    assert [s[0] for s in subs] == [0x51, 0x52, 0x55, 0x56, 0x56, 0x57]


def test_associate_takes_pynetdicoms_items() -> None:
    theirs = pytest.importorskip("pynetdicom.pdu_primitives")
    ext = theirs.SOPClassExtendedNegotiation()
    ext.sop_class_uid = "1.2.3"
    ext.service_class_application_information = b"\x00\x01"
    common = theirs.SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = "1.2.3"
    common.service_class_uid = "2.3.4"
    capture = _Capture()
    with RawSCP(capture) as scp:
        assoc = _requestor().associate("127.0.0.1", scp.port, ext_neg=[ext, common])
        assert assoc.is_established
        assert assoc.acceptor.sop_class_extended == {}
        assoc.release()
        assert scp.done.wait(5) and not scp.errors
    assert capture.rq is not None
    assert user_sub_items(capture.rq)[-2:] == [
        ext_item("1.2.3", b"\x00\x01"),
        common_item("1.2.3", "2.3.4", []),
    ]


def test_associate_refuses_incomplete_extended_items() -> None:
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = "1.2.3"
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = "1.2.3"
    ae = _requestor()
    with pytest.raises(ValueError, match="Service Class Application Information must be set"):
        ae.associate("127.0.0.1", 11112, ext_neg=[ext])
    with pytest.raises(ValueError, match="Service Class UID must be set"):
        ae.associate("127.0.0.1", 11112, ext_neg=[common])


REQUESTED = (
    ext_item("1.2.3", b"\x00\x01")
    + ext_item("1.2.4", b"\x00\x02")
    + common_item("1.2.5", "1.2.840.10008.4.2", ["1.2.6"])
)


def _establish(port: int, sub_items: bytes) -> Tuple[RawPeer, bytes]:
    peer = RawPeer(port)
    peer.send(rq_with(sub_items))
    ac = peer.recv_pdu(5.0)
    assert ac[0] == 2, ac.hex()
    return peer, ac


def _release(peer: RawPeer) -> None:
    peer.send(RELEASE_RQ)
    assert peer.recv_pdu(5.0) == RELEASE_RP
    peer.close()


def test_scp_answers_from_the_sop_extended_handler(fastdimse_server: Any) -> None:
    seen: Dict[str, Any] = {}

    def extended(event: Any) -> Dict[str, bytes]:
        seen["app_info"] = dict(event.app_info)
        seen["requestor"] = dict(event.assoc.requestor.sop_class_extended)
        # An answer for each proposal (the second with other bytes), one for a SOP class
        # nobody proposed, and one that is not bytes.
        return {"1.2.4": b"\x09", "1.2.3": b"\x00\x01", "1.9.9": b"\x01", "1.2.5": 12}

    def common(event: Any) -> Dict[str, Any]:
        seen["items"] = dict(event.items)
        return event.items

    server = fastdimse_server(
        handlers=[(evt.EVT_SOP_EXTENDED, extended), (evt.EVT_SOP_COMMON, common)]
    )
    peer, ac = _establish(server.server_address[1], REQUESTED)
    try:
        assert seen["app_info"] == {"1.2.3": b"\x00\x01", "1.2.4": b"\x00\x02"}
        assert all(isinstance(k, UID) for k in seen["app_info"])
        assert seen["requestor"] == seen["app_info"]
        item57 = seen["items"]["1.2.5"]
        assert isinstance(item57, SOPClassCommonExtendedNegotiation)
        assert item57.service_class_uid == "1.2.840.10008.4.2"
        assert item57.related_general_sop_class_identification == ["1.2.6"]
        subs = user_sub_items(ac)
        # The answers in the handler's order; none for 1.9.9 or the bad value; no 57H.
        assert [s for s in subs if s[0] in (0x56, 0x57)] == [
            ext_item("1.2.4", b"\x09"),
            ext_item("1.2.3", b"\x00\x01"),
        ]
        scp_assoc = server.active_associations[0]
        assert scp_assoc.requestor.sop_class_extended == {
            "1.2.3": b"\x00\x01",
            "1.2.4": b"\x00\x02",
        }
        assert list(scp_assoc.requestor.sop_class_common_extended) == ["1.2.5"]
        assert scp_assoc.acceptor.sop_class_extended == {"1.2.4": b"\x09", "1.2.3": b"\x00\x01"}
        assert scp_assoc.acceptor.sop_class_common_extended == {}
    finally:
        _release(peer)


@pytest.mark.parametrize(
    "handlers, logged",
    [
        ([], None),
        ([(evt.EVT_SOP_EXTENDED, lambda event: None)], None),
        (
            [(evt.EVT_SOP_EXTENDED, lambda event: b"\x01")],
            "Invalid type returned by handler bound to 'evt.EVT_SOP_EXTENDED'",
        ),
        (
            [(evt.EVT_SOP_EXTENDED, lambda event: 1 / 0)],
            "Exception raised in handler bound to 'evt.EVT_SOP_EXTENDED'",
        ),
        (
            [(evt.EVT_SOP_COMMON, lambda event: 1 / 0)],
            "Exception raised in handler bound to 'evt.EVT_SOP_COMMON'",
        ),
        (
            [(evt.EVT_SOP_COMMON, lambda event: None)],
            "Invalid type returned by handler bound to 'evt.EVT_SOP_COMMON'",
        ),
        ([(evt.EVT_SOP_COMMON, lambda event: event.items)], None),
    ],
    ids=["no-handler", "none", "not-a-dict", "raises", "common-raises", "common-none", "common"],
)
def test_scp_answers_nothing_without_a_usable_answer(
    fastdimse_server: Any, handlers: Any, logged: Optional[str], caplog: pytest.LogCaptureFixture
) -> None:
    server = fastdimse_server(handlers=handlers)
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        peer, ac = _establish(server.server_address[1], REQUESTED)
        _release(peer)
    # Accepted, with no 56H or 57H answer.
    assert [s[0] for s in user_sub_items(ac)] == [0x51, 0x52, 0x55]
    if logged is None:
        assert "handler bound to 'evt.EVT_SOP" not in caplog.text
    else:
        assert logged in caplog.text


def test_handlers_are_asked_on_requests_without_items(fastdimse_server: Any) -> None:
    calls: List[Tuple[str, Any]] = []
    called = threading.Event()

    def extended(event: Any) -> Dict[str, bytes]:
        calls.append(("extended", dict(event.app_info)))
        return {"1.2.3": b"\x01"}

    def common(event: Any) -> Dict[str, Any]:
        calls.append(("common", dict(event.items)))
        called.set()
        return {}

    server = fastdimse_server(
        handlers=[(evt.EVT_SOP_EXTENDED, extended), (evt.EVT_SOP_COMMON, common)]
    )
    peer, ac = _establish(server.server_address[1], b"")
    _release(peer)
    assert called.is_set()
    assert calls == [("extended", {}), ("common", {})]
    # Nothing was proposed, so nothing is answered.
    assert [s[0] for s in user_sub_items(ac)] == [0x51, 0x52, 0x55]


def test_fastdimse_to_fastdimse_with_an_echo(fastdimse_server: Any) -> None:
    server = fastdimse_server(handlers=[(evt.EVT_SOP_EXTENDED, lambda event: event.app_info)])
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = "1.2.3"
    ext.service_class_application_information = b"\x01\x00\x01"
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = "1.2.3"
    common.service_class_uid = "2.3.4"
    assoc = _requestor().associate(
        "127.0.0.1", server.server_address[1], ae_title="FASTSCP", ext_neg=[ext, common]
    )
    assert assoc.is_established
    assert assoc.acceptor.sop_class_extended == {"1.2.3": b"\x01\x00\x01"}
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert assoc.is_released


def test_handler_bound_later_is_asked(fastdimse_server: Any) -> None:
    server = fastdimse_server()
    peer, ac = _establish(server.server_address[1], REQUESTED)
    _release(peer)
    assert 0x56 not in [s[0] for s in user_sub_items(ac)]
    server.bind(evt.EVT_SOP_EXTENDED, lambda event: {"1.2.3": b"\x05"})
    peer, ac = _establish(server.server_address[1], REQUESTED)
    _release(peer)
    assert [s for s in user_sub_items(ac) if s[0] == 0x56] == [ext_item("1.2.3", b"\x05")]
    server.unbind(evt.EVT_SOP_EXTENDED, server.get_handlers(evt.EVT_SOP_EXTENDED)[0])
    peer, ac = _establish(server.server_address[1], REQUESTED)
    _release(peer)
    assert 0x56 not in [s[0] for s in user_sub_items(ac)]


def test_debug_dump_lists_the_extended_items(
    fastdimse_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = fastdimse_server(handlers=[(evt.EVT_SOP_EXTENDED, lambda event: event.app_info)])
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = "1.2.3"
    ext.service_class_application_information = bytes(range(18))
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = "1.2.3"
    common.service_class_uid = "2.3.4"
    with caplog.at_level(logging.DEBUG, logger="fastdimse"):
        assoc = _requestor().associate(
            "127.0.0.1", server.server_address[1], ext_neg=[ext, common]
        )
        assert assoc.is_established
        assoc.release()
    text = caplog.text
    for line in (
        "Requested Extended Negotiation:",
        "  SOP Class: =1.2.3",
        "    00  01  02  03  04  05  06  07  08  09  0a  0b  0c  0d  0e  0f",
        "    10  11",
        "Requested Common Extended Negotiation:",
        "    Service Class: =2.3.4",
        "    Related General SOP Classes: None",
        "Accepted Extended Negotiation:",
    ):
        assert line in text, line
