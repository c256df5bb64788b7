"""The DIMSE service primitives of the Verification service: C-ECHO and C-CANCEL.

A primitive holds the parameters of one request or response as Python values,
validated on assignment so that whatever it holds can be encoded. Attribute
names are the DICOM keywords of the command elements (``MessageID``, ``Status``...).

The helpers at the bottom convert between primitives and command sets given as
``(tag, value)`` pairs, the form the Rust core encodes and decodes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any, ClassVar, Iterable, List, Mapping, Optional, Tuple, Union

from pydicom import config
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID

from . import _config

LOGGER = logging.getLogger(__name__)

# Command element tags (group 0000), PS3.7 Annex E.
TAG_AFFECTED_SOP_CLASS_UID = 0x00000002
TAG_COMMAND_FIELD = 0x00000100
TAG_MESSAGE_ID = 0x00000110
TAG_MESSAGE_ID_BEING_RESPONDED_TO = 0x00000120
TAG_COMMAND_DATA_SET_TYPE = 0x00000800
TAG_STATUS = 0x00000900
TAG_OFFENDING_ELEMENT = 0x00000901
TAG_ERROR_COMMENT = 0x00000902
TAG_ERROR_ID = 0x00000903

# Command Field values.
C_ECHO_RQ = 0x0030
C_ECHO_RSP = 0x8030
C_CANCEL_RQ = 0x0FFF

NO_DATA_SET = 0x0101
"""Command Data Set Type value meaning that no data set follows."""

_US_MAX = 0xFFFF
_UI_MAX_LEN = 64
_LO_MAX_LEN = 64

CommandElements = List[Tuple[int, Any]]
"""A command set as ``[(tag, value), ...]`` in ascending tag order, without the group length."""


def _check_us(value: object, name: str) -> Optional[int]:
    """Return `value` if it is None or an int that fits in US, else raise."""
    if value is None:
        return None
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__} {value!r}")
    if not 0 <= value <= _US_MAX:
        raise ValueError(f"{name} must be between 0 and 65535, inclusive, not {value}")
    return int(value)


# Conformant UIDs already checked, by the str they came as: every request and response of
# a service carries the same few, and a handled C-ECHO checks its UID twice. Bounded, so
# that a peer sending ever new UIDs only fills it once. Non-conformant values are not kept:
# each use is logged.
_KNOWN_UIDS: dict[str, UID] = {}
_KNOWN_UIDS_MAX = 1024


def _check_uid(value: object, name: str) -> Optional[UID]:
    """Return `value` as a UID (None and empty values give None), else raise.

    Trailing NUL and space padding is removed. Any printable ASCII value of 1
    to 64 characters is accepted: conformance is the peer's business, but an
    encoder must be able to write it.
    """
    if value is None:
        return None
    if isinstance(value, str):
        known = _KNOWN_UIDS.get(value)
        if known is not None:
            return known
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{name} must be ASCII, not {value!r}") from None
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be str, bytes, UID or None, not {type(value).__name__} {value!r}"
        )
    text = value.rstrip("\x00 ")
    if not text:
        return None
    if len(text) > _UI_MAX_LEN:
        raise ValueError(f"{name} must not exceed 64 characters, not {len(text)}: {text!r}")
    if not (text.isascii() and text.isprintable()):
        raise ValueError(f"{name} must be printable ASCII, not {text!r}")
    uid = UID(text, validation_mode=config.IGNORE)
    if not _is_conformant(text):
        if _config.ENFORCE_UID_CONFORMANCE:
            raise ValueError(f"Invalid '{name}' value '{text}' - UID is non-conformant")
        LOGGER.warning(f"Non-conformant '{name}' value '{text}'")
    elif len(_KNOWN_UIDS) < _KNOWN_UIDS_MAX:
        _KNOWN_UIDS[value] = uid
    return uid


@functools.lru_cache(maxsize=256)
def _is_conformant(text: str) -> bool:
    """PS3.5 UID syntax, remembered: the same few UIDs come with every request."""
    return bool(UID(text, validation_mode=config.IGNORE).is_valid)


def _check_lo(value: object, name: str) -> Optional[str]:
    """Return `value` if it is None or a str a LO element can hold, else raise."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{name} must be ASCII, not {value!r}") from None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__} {value!r}")
    text = value.rstrip(" \x00")
    if len(text) > _LO_MAX_LEN:
        raise ValueError(f"{name} must not exceed 64 characters, not {len(text)}: {text!r}")
    if not (text.isascii() and text.isprintable()) or "\\" in text:
        raise ValueError(f"{name} must be printable ASCII without backslash, not {text!r}")
    return text


def _check_at(value: object, name: str) -> Optional[List[BaseTag]]:
    """Return `value` as a list of tags (one tag or a sequence of them), else raise."""
    if value is None:
        return None
    items: Iterable[object]
    if isinstance(value, (int, str, tuple)) and not isinstance(value, bool):
        # A single tag: 0x00100010, "PatientName" or (0x0010, 0x0010).
        items = [value]
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = value
    else:
        raise TypeError(
            f"{name} must be a tag, a list of tags or None, not {type(value).__name__} {value!r}"
        )
    tags: List[BaseTag] = []
    for item in items:
        try:
            tags.append(Tag(item))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{name} holds an invalid tag {item!r}: {exc}") from None
    return tags or None


class DIMSEPrimitive:
    """What C-ECHO and the response side of every DIMSE-C primitive share."""

    STATUS_OPTIONAL_KEYWORDS: ClassVar[Tuple[str, ...]] = ()
    """Status-related response parameters this primitive carries besides Status."""
    REQUEST_KEYWORDS: ClassVar[Tuple[str, ...]] = ()
    """Parameters a request must have."""
    RESPONSE_KEYWORDS: ClassVar[Tuple[str, ...]] = ("MessageIDBeingRespondedTo", "Status")
    """Parameters a response must have."""

    def __init__(self) -> None:
        self._message_id: Optional[int] = None
        self._message_id_being_responded_to: Optional[int] = None
        self._affected_sop_class_uid: Optional[UID] = None
        self._status: Optional[int] = None

    @property
    def MessageID(self) -> Optional[int]:
        """The *Message ID* (0000,0110), US: identifies a request on its association."""
        return self._message_id

    @MessageID.setter
    def MessageID(self, value: Optional[int]) -> None:
        self._message_id = _check_us(value, "Message ID")

    @property
    def MessageIDBeingRespondedTo(self) -> Optional[int]:
        """The *Message ID Being Responded To* (0000,0120), US: the request answered."""
        return self._message_id_being_responded_to

    @MessageIDBeingRespondedTo.setter
    def MessageIDBeingRespondedTo(self, value: Optional[int]) -> None:
        self._message_id_being_responded_to = _check_us(value, "Message ID Being Responded To")

    @property
    def AffectedSOPClassUID(self) -> Optional[UID]:
        """The *Affected SOP Class UID* (0000,0002), UI; str and bytes are converted."""
        return self._affected_sop_class_uid

    @AffectedSOPClassUID.setter
    def AffectedSOPClassUID(self, value: Union[str, bytes, None]) -> None:
        self._affected_sop_class_uid = _check_uid(value, "Affected SOP Class UID")

    @property
    def Status(self) -> Optional[int]:
        """The *Status* (0000,0900), US: the outcome carried by a response."""
        return self._status

    @Status.setter
    def Status(self, value: Optional[int]) -> None:
        self._status = _check_us(value, "Status")

    @property
    def is_valid_request(self) -> bool:
        """True if every parameter a request needs is set."""
        return all(getattr(self, keyword) is not None for keyword in self.REQUEST_KEYWORDS)

    @property
    def is_valid_response(self) -> bool:
        """True if every parameter a response needs is set."""
        return all(getattr(self, keyword) is not None for keyword in self.RESPONSE_KEYWORDS)

    @property
    def msg_type(self) -> str:
        """The service name: ``"C-ECHO"``."""
        return type(self).__name__.replace("_", "-")

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{keyword}={getattr(self, keyword)!r}"
            for keyword in _KEYWORD_TO_TAG
            if getattr(self, keyword, None) is not None
        )
        return f"{type(self).__name__}({fields})"


class C_ECHO(DIMSEPrimitive):
    """A C-ECHO request or response (PS3.7 9.1.5).

    ============================  =======  ========
    Parameter                     Request  Response
    ============================  =======  ========
    MessageID                     M        U
    MessageIDBeingRespondedTo     -        M
    AffectedSOPClassUID           M        U(=)
    Status                        -        M
    ErrorComment                  -        C
    ============================  =======  ========

    (The response's Message ID is a retired usage and is never encoded.)
    """

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment",)
    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")

    def __init__(self) -> None:
        super().__init__()
        self._error_comment: Optional[str] = None

    @property
    def ErrorComment(self) -> Optional[str]:
        """The *Error Comment* (0000,0902), LO: up to 64 ASCII characters describing a failure."""
        return self._error_comment

    @ErrorComment.setter
    def ErrorComment(self, value: Optional[str]) -> None:
        self._error_comment = _check_lo(value, "Error Comment")


class C_CANCEL:
    """A C-CANCEL request (PS3.7 9.3.2.3): it has one parameter and no response."""

    def __init__(self) -> None:
        self._message_id_being_responded_to: Optional[int] = None

    @property
    def MessageIDBeingRespondedTo(self) -> Optional[int]:
        """The *Message ID Being Responded To* (0000,0120): the request to cancel."""
        return self._message_id_being_responded_to

    @MessageIDBeingRespondedTo.setter
    def MessageIDBeingRespondedTo(self, value: Optional[int]) -> None:
        self._message_id_being_responded_to = _check_us(value, "Message ID Being Responded To")

    @property
    def is_valid_request(self) -> bool:
        """True if the Message ID Being Responded To is set."""
        return self._message_id_being_responded_to is not None

    @property
    def msg_type(self) -> str:
        """The service name: ``"C-CANCEL"``."""
        return "C-CANCEL"

    def __repr__(self) -> str:
        return f"C_CANCEL(MessageIDBeingRespondedTo={self._message_id_being_responded_to!r})"


DimsePrimitiveType = Union[C_ECHO, C_CANCEL]

_KEYWORD_TO_TAG = {
    "AffectedSOPClassUID": TAG_AFFECTED_SOP_CLASS_UID,
    "MessageID": TAG_MESSAGE_ID,
    "MessageIDBeingRespondedTo": TAG_MESSAGE_ID_BEING_RESPONDED_TO,
    "Status": TAG_STATUS,
    "OffendingElement": TAG_OFFENDING_ELEMENT,
    "ErrorComment": TAG_ERROR_COMMENT,
    "ErrorID": TAG_ERROR_ID,
}


def primitive_to_command_elements(primitive: DimsePrimitiveType) -> CommandElements:
    """Return the command set that carries `primitive`, without the group length.

    A :class:`C_ECHO` whose Status is set is a C-ECHO-RSP, otherwise a
    C-ECHO-RQ. Values are Python values (UIDs as unpadded :class:`str`, US as
    :class:`int`, LO as :class:`str`); elements come in ascending tag order and
    include Command Field and Command Data Set Type (no data set).

    Raises
    ------
    ValueError
        If a parameter the message needs is missing.
    TypeError
        If `primitive` is not a C_ECHO or C_CANCEL.
    """
    if isinstance(primitive, C_CANCEL):
        if not primitive.is_valid_request:
            raise ValueError("C-CANCEL-RQ needs a Message ID Being Responded To")
        return [
            (TAG_COMMAND_FIELD, C_CANCEL_RQ),
            (TAG_MESSAGE_ID_BEING_RESPONDED_TO, primitive.MessageIDBeingRespondedTo),
            (TAG_COMMAND_DATA_SET_TYPE, NO_DATA_SET),
        ]
    if not isinstance(primitive, C_ECHO):
        raise TypeError(f"expected C_ECHO or C_CANCEL, not {type(primitive).__name__}")

    elements: CommandElements = []
    if primitive.Status is None:
        if not primitive.is_valid_request:
            raise ValueError("C-ECHO-RQ needs a Message ID and an Affected SOP Class UID")
        elements.append((TAG_AFFECTED_SOP_CLASS_UID, str(primitive.AffectedSOPClassUID)))
        elements.append((TAG_COMMAND_FIELD, C_ECHO_RQ))
        elements.append((TAG_MESSAGE_ID, primitive.MessageID))
        elements.append((TAG_COMMAND_DATA_SET_TYPE, NO_DATA_SET))
        return elements

    if primitive.MessageIDBeingRespondedTo is None:
        raise ValueError("C-ECHO-RSP needs a Message ID Being Responded To")
    if primitive.AffectedSOPClassUID is not None:
        elements.append((TAG_AFFECTED_SOP_CLASS_UID, str(primitive.AffectedSOPClassUID)))
    elements.append((TAG_COMMAND_FIELD, C_ECHO_RSP))
    elements.append((TAG_MESSAGE_ID_BEING_RESPONDED_TO, primitive.MessageIDBeingRespondedTo))
    elements.append((TAG_COMMAND_DATA_SET_TYPE, NO_DATA_SET))
    elements.append((TAG_STATUS, primitive.Status))
    if primitive.ErrorComment is not None:
        elements.append((TAG_ERROR_COMMENT, primitive.ErrorComment))
    return elements


def _command_mapping(
    command: Union[Mapping[int, Any], Iterable[Tuple[int, Any]], Dataset],
) -> Mapping[int, Any]:
    if isinstance(command, Dataset):
        return {int(elem.tag): elem.value for elem in command}
    if isinstance(command, Mapping):
        return command
    return dict(command)


def command_elements_to_primitive(
    command: Union[Mapping[int, Any], Iterable[Tuple[int, Any]], Dataset],
) -> DimsePrimitiveType:
    """Return the primitive a received command set carries.

    `command` maps tags to values (a mapping, ``(tag, value)`` pairs, or a
    pydicom Dataset of group 0000). Elements a C-ECHO or C-CANCEL does not
    have are ignored; Error ID and Offending Element of a response are read
    with :func:`status_dataset_from_command` instead.

    Raises
    ------
    ValueError
        If the Command Field is missing or is not C-ECHO-RQ, C-ECHO-RSP or
        C-CANCEL-RQ, or a value cannot be held by its parameter.
    """
    elements = _command_mapping(command)
    field = elements.get(TAG_COMMAND_FIELD)
    try:
        if field == C_CANCEL_RQ:
            cancel = C_CANCEL()
            cancel.MessageIDBeingRespondedTo = elements.get(TAG_MESSAGE_ID_BEING_RESPONDED_TO)
            return cancel
        if field == C_ECHO_RQ:
            echo = C_ECHO()
            echo.MessageID = elements.get(TAG_MESSAGE_ID)
            echo.AffectedSOPClassUID = elements.get(TAG_AFFECTED_SOP_CLASS_UID)
            return echo
        if field == C_ECHO_RSP:
            echo = C_ECHO()
            echo.MessageIDBeingRespondedTo = elements.get(TAG_MESSAGE_ID_BEING_RESPONDED_TO)
            echo.AffectedSOPClassUID = elements.get(TAG_AFFECTED_SOP_CLASS_UID)
            echo.Status = elements.get(TAG_STATUS)
            echo.ErrorComment = elements.get(TAG_ERROR_COMMENT)
            return echo
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    shown = f"0x{field:04X}" if isinstance(field, int) else repr(field)
    raise ValueError(f"not a C-ECHO or C-CANCEL command set: Command Field {shown}")


def status_dataset_from_command(
    command: Union[Mapping[int, Any], Iterable[Tuple[int, Any]], Dataset],
) -> Dataset:
    """Return what ``send_c_echo()`` returns for a received response command set.

    A Dataset with *Status* and, when the peer sent them, *Error Comment*,
    *Error ID* and *Offending Element*. An empty Dataset if the command set has
    no usable Status (the caller treats that as an invalid response).
    Unusable optional elements are left out rather than failing the echo.
    """
    elements = _command_mapping(command)
    ds = Dataset()
    try:
        status = _check_us(elements.get(TAG_STATUS), "Status")
    except (TypeError, ValueError):
        status = None
    if status is None:
        return ds
    ds.Status = status
    for tag, keyword, check in (
        (TAG_ERROR_COMMENT, "ErrorComment", _check_lo),
        (TAG_ERROR_ID, "ErrorID", _check_us),
        (TAG_OFFENDING_ELEMENT, "OffendingElement", _check_at),
    ):
        raw = elements.get(tag)
        if raw is None:
            continue
        try:
            value = check(raw, keyword)
        except (TypeError, ValueError):
            continue
        if value is not None:
            setattr(ds, keyword, value)
    return ds


def make_c_echo_request(message_id: int, affected_sop_class_uid: str) -> C_ECHO:
    """Return a C-ECHO request primitive with `message_id` and `affected_sop_class_uid`.

    Raises
    ------
    TypeError
        If `message_id` is not an int or the UID not a str or bytes.
    ValueError
        If `message_id` is outside 0-65535 or the UID is invalid.
    """
    request = C_ECHO()
    request.MessageID = message_id
    request.AffectedSOPClassUID = affected_sop_class_uid
    return request


def make_c_cancel_request(message_id_being_responded_to: int) -> C_CANCEL:
    """Return a C-CANCEL request primitive for the request `message_id_being_responded_to`.

    Raises
    ------
    TypeError
        If `message_id_being_responded_to` is not an int.
    ValueError
        If it is outside 0-65535.
    """
    cancel = C_CANCEL()
    cancel.MessageIDBeingRespondedTo = message_id_being_responded_to
    return cancel


__all__ = [
    "C_ECHO",
    "C_CANCEL",
    "DIMSEPrimitive",
    "DimsePrimitiveType",
    "CommandElements",
    "primitive_to_command_elements",
    "command_elements_to_primitive",
    "status_dataset_from_command",
    "make_c_echo_request",
    "make_c_cancel_request",
    "C_ECHO_RQ",
    "C_ECHO_RSP",
    "C_CANCEL_RQ",
    "NO_DATA_SET",
]
