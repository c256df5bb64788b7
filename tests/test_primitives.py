"""C-ECHO / C-CANCEL primitives: validation and conversion to and from command sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastdimse.dimse_primitives import (
    C_CANCEL,
    C_ECHO,
    command_elements_to_primitive,
    make_c_cancel_request,
    make_c_echo_request,
    primitive_to_command_elements,
    status_dataset_from_command,
)
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.uid import UID

VECTORS = Path(__file__).parent / "vectors"
VERIFICATION = "1.2.840.10008.1.1"


# --- C_ECHO parameters -------------------------------------------------------------


def test_new_c_echo_is_empty() -> None:
    echo = C_ECHO()
    assert echo.MessageID is None
    assert echo.MessageIDBeingRespondedTo is None
    assert echo.AffectedSOPClassUID is None
    assert echo.Status is None
    assert echo.ErrorComment is None
    assert echo.msg_type == "C-ECHO"
    assert not echo.is_valid_request
    assert not echo.is_valid_response
    assert C_ECHO.STATUS_OPTIONAL_KEYWORDS == ("ErrorComment",)
    assert C_ECHO.REQUEST_KEYWORDS == ("MessageID", "AffectedSOPClassUID")
    assert C_ECHO.RESPONSE_KEYWORDS == ("MessageIDBeingRespondedTo", "Status")


@pytest.mark.parametrize("keyword", ["MessageID", "MessageIDBeingRespondedTo", "Status"])
def test_us_parameters_accept_0_to_65535(keyword: str) -> None:
    echo = C_ECHO()
    for value in (0, 1, 0xFFFF):
        setattr(echo, keyword, value)
        assert getattr(echo, keyword) == value
    setattr(echo, keyword, None)
    assert getattr(echo, keyword) is None


@pytest.mark.parametrize("keyword", ["MessageID", "MessageIDBeingRespondedTo", "Status"])
@pytest.mark.parametrize("value", [-1, 0x10000, 2**40])
def test_us_parameters_reject_out_of_range_naming_the_value(keyword: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"between 0 and 65535, inclusive, not {value}"):
        setattr(C_ECHO(), keyword, value)


@pytest.mark.parametrize("keyword", ["MessageID", "MessageIDBeingRespondedTo", "Status"])
@pytest.mark.parametrize("value", ["1", 1.0, b"\x01", [1]])
def test_us_parameters_reject_other_types_naming_the_value(keyword: str, value: Any) -> None:
    with pytest.raises(TypeError, match="must be an int or None") as info:
        setattr(C_ECHO(), keyword, value)
    assert repr(value) in str(info.value)


def test_affected_sop_class_uid_conversions() -> None:
    echo = C_ECHO()
    echo.AffectedSOPClassUID = VERIFICATION
    assert isinstance(echo.AffectedSOPClassUID, UID)
    assert echo.AffectedSOPClassUID == VERIFICATION
    echo.AffectedSOPClassUID = b"1.2.840.10008.1.1\x00"
    assert echo.AffectedSOPClassUID == VERIFICATION
    echo.AffectedSOPClassUID = "1.2.3 "
    assert echo.AffectedSOPClassUID == "1.2.3"
    echo.AffectedSOPClassUID = ""
    assert echo.AffectedSOPClassUID is None
    echo.AffectedSOPClassUID = "1.02.3"  # non-conformant but encodable: kept
    assert echo.AffectedSOPClassUID == "1.02.3"


def test_a_uid_checked_before_is_the_same_value_and_a_non_conformant_one_warns_each_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Conformant UIDs are remembered once checked; what is set must not change with that.
    for _ in range(2):
        echo = C_ECHO()
        echo.AffectedSOPClassUID = "1.2.3 "
        assert echo.AffectedSOPClassUID == "1.2.3"
        assert isinstance(echo.AffectedSOPClassUID, UID)
    with caplog.at_level("WARNING", logger="fastdimse"):
        for _ in range(3):
            C_ECHO().AffectedSOPClassUID = "1.02.4"
    warned = [r for r in caplog.records if "Non-conformant" in r.getMessage()]
    assert len(warned) == 3


@pytest.mark.parametrize(
    ("value", "exc", "fragment"),
    [
        ("1." + "2" * 63, ValueError, "must not exceed 64 characters, not 65"),
        ("1.2.\u00e9", ValueError, "printable ASCII"),
        ("1.2\n", ValueError, "printable ASCII"),
        (b"\xff\xfe", ValueError, "must be ASCII"),
        (12, TypeError, "not int 12"),
    ],
)
def test_affected_sop_class_uid_rejects(value: Any, exc: type, fragment: str) -> None:
    with pytest.raises(exc, match="Affected SOP Class UID") as info:
        C_ECHO().AffectedSOPClassUID = value
    assert fragment in str(info.value)


def test_error_comment() -> None:
    echo = C_ECHO()
    echo.ErrorComment = "Duplicate invocation (test) "
    assert echo.ErrorComment == "Duplicate invocation (test)"
    echo.ErrorComment = b"abc"
    assert echo.ErrorComment == "abc"
    echo.ErrorComment = "x" * 64
    assert echo.ErrorComment == "x" * 64
    echo.ErrorComment = None
    assert echo.ErrorComment is None


@pytest.mark.parametrize(
    ("value", "exc"),
    [("x" * 65, ValueError), ("a\\b", ValueError), ("caf\u00e9", ValueError), (5, TypeError)],
)
def test_error_comment_rejects(value: Any, exc: type) -> None:
    with pytest.raises(exc, match="Error Comment"):
        C_ECHO().ErrorComment = value


def test_request_and_response_validity() -> None:
    echo = C_ECHO()
    echo.MessageID = 1
    assert not echo.is_valid_request
    echo.AffectedSOPClassUID = VERIFICATION
    assert echo.is_valid_request
    assert not echo.is_valid_response
    echo.MessageIDBeingRespondedTo = 1
    echo.Status = 0
    assert echo.is_valid_response


def test_c_cancel() -> None:
    cancel = C_CANCEL()
    assert cancel.MessageIDBeingRespondedTo is None
    assert not cancel.is_valid_request
    assert cancel.msg_type == "C-CANCEL"
    cancel.MessageIDBeingRespondedTo = 7
    assert cancel.is_valid_request
    with pytest.raises(ValueError, match="not 65536"):
        cancel.MessageIDBeingRespondedTo = 65536
    with pytest.raises(TypeError, match="'7'"):
        cancel.MessageIDBeingRespondedTo = "7"  # type: ignore[assignment]
    assert not hasattr(cancel, "Status")


def test_repr_shows_set_parameters() -> None:
    echo = make_c_echo_request(3, VERIFICATION)
    assert repr(echo) == "C_ECHO(AffectedSOPClassUID='1.2.840.10008.1.1', MessageID=3)"
    assert repr(make_c_cancel_request(9)) == "C_CANCEL(MessageIDBeingRespondedTo=9)"


# --- to command elements -----------------------------------------------------------


def test_c_echo_rq_elements() -> None:
    assert primitive_to_command_elements(make_c_echo_request(1, VERIFICATION)) == [
        (0x00000002, "1.2.840.10008.1.1"),
        (0x00000100, 0x0030),
        (0x00000110, 1),
        (0x00000800, 0x0101),
    ]


def test_c_echo_rsp_elements() -> None:
    rsp = C_ECHO()
    rsp.MessageID = 5  # retired in responses: never encoded
    rsp.MessageIDBeingRespondedTo = 5
    rsp.AffectedSOPClassUID = VERIFICATION
    rsp.Status = 0x0210
    rsp.ErrorComment = "Duplicate invocation (test)"
    assert primitive_to_command_elements(rsp) == [
        (0x00000002, "1.2.840.10008.1.1"),
        (0x00000100, 0x8030),
        (0x00000120, 5),
        (0x00000800, 0x0101),
        (0x00000900, 0x0210),
        (0x00000902, "Duplicate invocation (test)"),
    ]


def test_c_echo_rsp_without_affected_sop_class() -> None:
    rsp = C_ECHO()
    rsp.MessageIDBeingRespondedTo = 1
    rsp.Status = 0
    assert primitive_to_command_elements(rsp) == [
        (0x00000100, 0x8030),
        (0x00000120, 1),
        (0x00000800, 0x0101),
        (0x00000900, 0),
    ]


def test_c_cancel_elements() -> None:
    assert primitive_to_command_elements(make_c_cancel_request(7)) == [
        (0x00000100, 0x0FFF),
        (0x00000120, 7),
        (0x00000800, 0x0101),
    ]


def test_incomplete_primitives_are_refused() -> None:
    echo = C_ECHO()
    echo.MessageID = 1
    with pytest.raises(ValueError, match="C-ECHO-RQ needs"):
        primitive_to_command_elements(echo)
    rsp = C_ECHO()
    rsp.Status = 0
    with pytest.raises(ValueError, match="C-ECHO-RSP needs"):
        primitive_to_command_elements(rsp)
    with pytest.raises(ValueError, match="C-CANCEL-RQ needs"):
        primitive_to_command_elements(C_CANCEL())
    with pytest.raises(TypeError, match="Dataset"):
        primitive_to_command_elements(Dataset())  # type: ignore[arg-type]


# --- from command elements ---------------------------------------------------------


def _vector_command_sets() -> list[tuple[str, str, dict[int, Any]]]:
    found = []
    for path in sorted(VECTORS.glob("*.json")):
        data = json.loads(path.read_text())
        for pdu in data["pdus"]:
            if pdu["type"] != 4:
                continue
            for pdv in pdu["decode"]["pdvs"]:
                command = pdv.get("command_set")
                if command and command["message"] in ("C-ECHO-RQ", "C-ECHO-RSP", "C-CANCEL-RQ"):
                    elements = {
                        int(Tag(*(int(part, 16) for part in e["tag"][1:-1].split(",")))): e["value"]
                        for e in command["elements"]
                        if e["keyword"] != "CommandGroupLength"
                    }
                    found.append((path.name, command["message"], elements))
    return found


VECTOR_COMMANDS = _vector_command_sets()


def test_vectors_hold_all_three_messages() -> None:
    assert {message for _, message, _ in VECTOR_COMMANDS} == {
        "C-ECHO-RQ",
        "C-ECHO-RSP",
        "C-CANCEL-RQ",
    }


@pytest.mark.parametrize(
    ("name", "message", "elements"),
    VECTOR_COMMANDS,
    ids=[f"{name}-{message}" for name, message, _ in VECTOR_COMMANDS],
)
def test_captured_command_sets_round_trip(
    name: str, message: str, elements: dict[int, Any]
) -> None:
    primitive = command_elements_to_primitive(elements)
    expected = [
        (tag, value.rstrip("\x00 ") if isinstance(value, str) else value)
        for tag, value in sorted(elements.items())
    ]
    assert primitive_to_command_elements(primitive) == expected


def test_captured_0210_response_status_dataset() -> None:
    rsp = [
        e
        for n, m, e in VECTOR_COMMANDS
        if n.startswith("echo_status_0210_dataset") and m == "C-ECHO-RSP"
    ][0]
    ds = status_dataset_from_command(rsp)
    assert ds.Status == 0x0210
    assert ds.ErrorComment == "Duplicate invocation (test)"
    assert [int(t) for t in ds.keys()] == [0x00000900, 0x00000902]


def test_command_elements_to_primitive_accepts_pairs_and_datasets() -> None:
    pairs = [(0x00000100, 0x0FFF), (0x00000120, 3), (0x00000800, 0x0101)]
    cancel = command_elements_to_primitive(pairs)
    assert isinstance(cancel, C_CANCEL)
    assert cancel.MessageIDBeingRespondedTo == 3

    ds = Dataset()
    ds.AffectedSOPClassUID = VERIFICATION
    ds.CommandField = 0x0030
    ds.MessageID = 12
    ds.CommandDataSetType = 0x0101
    echo = command_elements_to_primitive(ds)
    assert isinstance(echo, C_ECHO)
    assert (echo.MessageID, echo.AffectedSOPClassUID, echo.Status) == (12, VERIFICATION, None)


def test_command_elements_to_primitive_rejects() -> None:
    with pytest.raises(ValueError, match="Command Field 0x0020"):
        command_elements_to_primitive({0x00000100: 0x0020})
    with pytest.raises(ValueError, match="Command Field None"):
        command_elements_to_primitive({})
    with pytest.raises(ValueError, match="Message ID"):
        command_elements_to_primitive({0x00000100: 0x0030, 0x00000110: "x"})


def test_status_dataset_reads_optional_failure_details() -> None:
    ds = status_dataset_from_command(
        {
            0x00000100: 0x8030,
            0x00000900: 0x0122,
            0x00000901: [0x00100010, 0x00100020],
            0x00000902: b"not here ",
            0x00000903: 17,
        }
    )
    assert ds.Status == 0x0122
    assert ds.ErrorComment == "not here"
    assert ds.ErrorID == 17
    assert list(ds.OffendingElement) == [0x00100010, 0x00100020]


def test_status_dataset_drops_unusable_details_and_missing_status() -> None:
    ds = status_dataset_from_command({0x00000900: 0, 0x00000903: -1, 0x00000902: "x" * 70})
    assert [int(t) for t in ds.keys()] == [0x00000900]
    assert len(status_dataset_from_command({0x00000100: 0x8030})) == 0
    assert len(status_dataset_from_command({0x00000900: 0x10000})) == 0
