"""DIMSE status codes: the tables, their categories and named constants.

The general table is PS3.7 Annex C; the Verification service uses it as is.
:func:`code_to_category` classifies any 16-bit code, including codes no table
lists, by the ranges PS3.7 reserves for each category.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Dict, Tuple

from pydicom.dataset import Dataset

STATUS_SUCCESS = "Success"
STATUS_FAILURE = "Failure"
STATUS_WARNING = "Warning"
STATUS_CANCEL = "Cancel"
STATUS_PENDING = "Pending"
STATUS_UNKNOWN = "Unknown"

StatusDictType = Dict[int, Tuple[str, str]]
"""``{code: (category, description)}``."""

GENERAL_STATUS: StatusDictType = {
    0x0000: (STATUS_SUCCESS, ""),
    0x0105: (STATUS_FAILURE, "No Such Attribute"),
    0x0106: (STATUS_FAILURE, "Invalid Attribute Value"),
    0x0107: (STATUS_WARNING, "Attribute List Error"),
    0x0110: (STATUS_FAILURE, "Processing Failure"),
    0x0111: (STATUS_FAILURE, "Duplication SOP Instance"),
    0x0112: (STATUS_FAILURE, "No Such SOP Instance"),
    0x0113: (STATUS_FAILURE, "No Such Event Type"),
    0x0114: (STATUS_FAILURE, "No Such Argument"),
    0x0115: (STATUS_FAILURE, "Invalid Argument Value"),
    0x0116: (STATUS_WARNING, "Attribute Value Out of Range"),
    0x0117: (STATUS_FAILURE, "Invalid Object Instance"),
    0x0118: (STATUS_FAILURE, "No Such SOP Class"),
    0x0119: (STATUS_FAILURE, "Class-Instance Conflict"),
    0x0120: (STATUS_FAILURE, "Missing Attribute"),
    0x0121: (STATUS_FAILURE, "Missing Attribute Value"),
    0x0122: (STATUS_FAILURE, "Refused: SOP Class Not Supported"),
    0x0123: (STATUS_FAILURE, "No Such Action"),
    0x0124: (STATUS_FAILURE, "Refused: Not Authorised"),
    0x0210: (STATUS_FAILURE, "Duplicate Invocation"),
    0x0211: (STATUS_FAILURE, "Unrecognised Operation"),
    0x0212: (STATUS_FAILURE, "Mistyped Argument"),
    0x0213: (STATUS_FAILURE, "Resource Limitation"),
    0xFE00: (STATUS_CANCEL, ""),
}
"""Statuses every DIMSE service may return (PS3.7 Annex C), 24 codes."""

VERIFICATION_SERVICE_CLASS_STATUS: StatusDictType = GENERAL_STATUS
"""The statuses a Verification SCP may send: the general table (same object)."""

C_ECHO_STATUS: StatusDictType = {
    code: GENERAL_STATUS[code] for code in (0x0000, 0x0122, 0x0210, 0x0211, 0x0212)
}
"""The statuses PS3.7 names for the C-ECHO service itself (a subset of the general table)."""

# Failure codes below 0xA000 (everything from 0xA000 up is classified by range).
_LOW_FAILURE_CODES = frozenset(
    code
    for code, (category, _) in GENERAL_STATUS.items()
    if category == STATUS_FAILURE and code < 0xA000
)
_LOW_WARNING_CODES = frozenset({0x0001, 0x0107, 0x0116})
_PENDING_CODES = frozenset({0xFF00, 0xFF01})


def _check_code(code: object) -> int:
    if isinstance(code, int) and code >= 0:
        return code
    raise ValueError(f"'code' must be a positive integer, not {code!r}")


def code_to_category(code: int) -> str:
    """Return the category of the status `code`.

    One of ``"Success"``, ``"Warning"``, ``"Failure"``, ``"Cancel"``,
    ``"Pending"``, or ``"Unknown"`` for a code that no category claims.

    Raises
    ------
    ValueError
        If `code` is not a non-negative :class:`int`.
    """
    value = _check_code(code)
    if value == 0x0000:
        return STATUS_SUCCESS
    if value in _PENDING_CODES:
        return STATUS_PENDING
    if value == 0xFE00:
        return STATUS_CANCEL
    if value in _LOW_FAILURE_CODES:
        return STATUS_FAILURE
    if 0xA000 <= value <= 0xAFFF or 0xC000 <= value <= 0xCFFF:
        return STATUS_FAILURE
    if value in _LOW_WARNING_CODES or 0xB000 <= value <= 0xBFFF:
        return STATUS_WARNING
    return STATUS_UNKNOWN


def code_to_status(code: int) -> Dataset:
    """Return a :class:`~pydicom.dataset.Dataset` whose *Status* is `code`.

    Raises
    ------
    ValueError
        If `code` is not a non-negative :class:`int`.
    """
    value = _check_code(code)
    ds = Dataset()
    ds.Status = value
    return ds


def status_description(code: int, table: StatusDictType = GENERAL_STATUS) -> str:
    """Return a short human description of `code`: ``"Failure: Duplicate Invocation"``.

    Codes missing from `table` are described by their category alone.
    """
    category = code_to_category(code)
    description = table.get(code, (category, ""))[1]
    return f"{category}: {description}" if description else category


class Status(IntEnum):
    """Named status codes, for handlers that prefer names to numbers.

    More names can be added with ``Status.add(name, code)``; they are plain
    class attributes holding the :class:`int`.
    """

    SUCCESS = 0x0000
    """``0x0000``: success."""
    CANCEL = 0xFE00
    """``0xFE00``: the operation was cancelled."""
    PENDING = 0xFF00
    """``0xFF00``: more responses follow."""
    MOVE_DESTINATION_UNKNOWN = 0xA801
    """``0xA801``: C-MOVE destination unknown."""

    @classmethod
    def add(cls, name: str, code: int) -> None:
        """Add the constant `name` with the value `code`."""
        setattr(cls, name, code)


__all__ = [
    "STATUS_SUCCESS",
    "STATUS_FAILURE",
    "STATUS_WARNING",
    "STATUS_CANCEL",
    "STATUS_PENDING",
    "STATUS_UNKNOWN",
    "StatusDictType",
    "GENERAL_STATUS",
    "VERIFICATION_SERVICE_CLASS_STATUS",
    "C_ECHO_STATUS",
    "code_to_category",
    "code_to_status",
    "status_description",
    "Status",
]
