"""Status tables, categories and named constants."""

from __future__ import annotations

import pytest
from fastdimse import status
from fastdimse.status import (
    C_ECHO_STATUS,
    GENERAL_STATUS,
    VERIFICATION_SERVICE_CLASS_STATUS,
    Status,
    code_to_category,
    code_to_status,
    status_description,
)


def test_general_table_has_the_24_annex_c_codes() -> None:
    assert sorted(GENERAL_STATUS) == [
        0x0000, 0x0105, 0x0106, 0x0107, 0x0110, 0x0111, 0x0112, 0x0113,
        0x0114, 0x0115, 0x0116, 0x0117, 0x0118, 0x0119, 0x0120, 0x0121,
        0x0122, 0x0123, 0x0124, 0x0210, 0x0211, 0x0212, 0x0213, 0xFE00,
    ]  # fmt: skip
    assert GENERAL_STATUS[0x0122] == ("Failure", "Refused: SOP Class Not Supported")
    assert GENERAL_STATUS[0x0107] == ("Warning", "Attribute List Error")
    assert GENERAL_STATUS[0xFE00] == ("Cancel", "")


def test_every_table_entry_agrees_with_code_to_category() -> None:
    for code, (category, _) in GENERAL_STATUS.items():
        assert code_to_category(code) == category, hex(code)


def test_verification_table_is_the_general_table() -> None:
    assert VERIFICATION_SERVICE_CLASS_STATUS is GENERAL_STATUS


def test_c_echo_statuses() -> None:
    assert sorted(C_ECHO_STATUS) == [0x0000, 0x0122, 0x0210, 0x0211, 0x0212]
    assert C_ECHO_STATUS[0x0210] == ("Failure", "Duplicate Invocation")
    assert C_ECHO_STATUS[0x0211] == ("Failure", "Unrecognised Operation")
    assert C_ECHO_STATUS[0x0212] == ("Failure", "Mistyped Argument")


@pytest.mark.parametrize(
    ("code", "category"),
    [
        (0x0000, "Success"),
        (0x0001, "Warning"),
        (0x0107, "Warning"),
        (0x0116, "Warning"),
        (0xB000, "Warning"),
        (0xBFFF, "Warning"),
        (0x0105, "Failure"),
        (0x0106, "Failure"),
        (0x0110, "Failure"),
        (0x0115, "Failure"),
        (0x0117, "Failure"),
        (0x0124, "Failure"),
        (0x0210, "Failure"),
        (0x0213, "Failure"),
        (0xA000, "Failure"),
        (0xAFFF, "Failure"),
        (0xA801, "Failure"),
        (0xC000, "Failure"),
        (0xCFFF, "Failure"),
        (0xFE00, "Cancel"),
        (0xFF00, "Pending"),
        (0xFF01, "Pending"),
        (0x0002, "Unknown"),
        (0x0104, "Unknown"),
        (0x0125, "Unknown"),
        (0x0214, "Unknown"),
        (0x9FFF, "Unknown"),
        (0xD000, "Unknown"),
        (0xFE01, "Unknown"),
        (0xFF02, "Unknown"),
        (0xFFFF, "Unknown"),
        (0x10000, "Unknown"),
    ],
)
def test_code_to_category(code: int, category: str) -> None:
    assert code_to_category(code) == category


def test_code_to_category_counts_over_the_whole_us_range() -> None:
    counts: dict[str, int] = {}
    for code in range(0x10000):
        category = code_to_category(code)
        counts[category] = counts.get(category, 0) + 1
    assert counts == {
        "Success": 1,
        "Warning": 3 + 0x1000,
        "Failure": 20 + 0x1000 + 0x1000,
        "Cancel": 1,
        "Pending": 2,
        "Unknown": 0x10000 - 1 - (3 + 0x1000) - (20 + 0x2000) - 1 - 2,
    }


@pytest.mark.parametrize("bad", [-1, 1.0, "0", None])
def test_code_to_category_rejects_non_codes(bad: object) -> None:
    with pytest.raises(ValueError, match="'code' must be a positive integer"):
        code_to_category(bad)  # type: ignore[arg-type]


def test_code_to_status() -> None:
    ds = code_to_status(0x0122)
    assert ds.Status == 0x0122
    assert list(ds.keys()) == [0x00000900]
    with pytest.raises(ValueError, match="-5"):
        code_to_status(-5)


def test_status_description() -> None:
    assert status_description(0x0000) == "Success"
    assert status_description(0x0210) == "Failure: Duplicate Invocation"
    assert status_description(0xC123) == "Failure"
    assert status_description(0x9999) == "Unknown"


def test_status_constants() -> None:
    assert Status.SUCCESS == 0x0000
    assert Status.CANCEL == 0xFE00
    assert Status.PENDING == 0xFF00
    assert Status.MOVE_DESTINATION_UNKNOWN == 0xA801
    assert isinstance(Status.SUCCESS, int)


def test_status_add() -> None:
    Status.add("UNABLE_TO_PROCESS_TEST", 0xC000)
    try:
        assert Status.UNABLE_TO_PROCESS_TEST == 0xC000  # type: ignore[attr-defined]
    finally:
        delattr(Status, "UNABLE_TO_PROCESS_TEST")


def test_category_names() -> None:
    assert (
        status.STATUS_SUCCESS,
        status.STATUS_WARNING,
        status.STATUS_FAILURE,
        status.STATUS_CANCEL,
        status.STATUS_PENDING,
        status.STATUS_UNKNOWN,
    ) == ("Success", "Warning", "Failure", "Cancel", "Pending", "Unknown")
