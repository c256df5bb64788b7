"""pynetdicom's module-level switches (``from pynetdicom import _config``), by the same names.

pynetdicom's users set these; code that sets them keeps working with fastdimse. Each says
whether fastdimse reads it. The ones that belong to services fastdimse does not implement
(storage, query/retrieve) are kept so that setting them is harmless, and are never read.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

LOG_HANDLER_LEVEL: str = "standard"
"""pynetdicom: ``"standard"`` makes its default handlers log association negotiation and
DIMSE messages, ``"none"`` silences them. Not read: fastdimse's core writes those records
under the ``fastdimse`` logger; set that logger's level to silence them."""

ENFORCE_UID_CONFORMANCE: bool = False
"""``True``: a UID that does not conform to PS3.5 9.1 (only digits and dots, no leading
zero in a component, at most 64 characters) is refused; ``False``: it is accepted if it is
at most 64 characters. Read by ``VALIDATORS["UI"]``."""

USE_SHORT_DIMSE_AET: bool = True
"""C-MOVE destination AE titles without padding (pynetdicom). Not read: no C-MOVE."""

LOG_RESPONSE_IDENTIFIERS: bool = True
"""Log the identifiers of C-FIND/C-GET/C-MOVE responses (pynetdicom). Not read."""

LOG_REQUEST_IDENTIFIERS: bool = True
"""Log the identifiers of C-FIND/C-GET/C-MOVE requests (pynetdicom). Not read."""

STORE_SEND_CHUNKED_DATASET: bool = False
"""Send C-STORE datasets from file in chunks (pynetdicom). Not read: no C-STORE."""

STORE_RECV_CHUNKED_DATASET: bool = False
"""Write received C-STORE datasets to file in chunks (pynetdicom). Not read: no C-STORE."""

PASS_CONTEXTVARS: bool = False
"""Run handlers in the context variables of the thread that started the server or
association (pynetdicom). Not read: fastdimse's handlers run on its handler threads in a
fresh context."""

WINDOWS_TIMER_RESOLUTION: Optional[float] = 1
"""The Windows timer resolution pynetdicom sets while an association is active. Not read:
fastdimse's waits do not depend on it."""

CODECS: Tuple[str, ...] = ("ascii",)
"""Codecs pynetdicom tries when decoding text of the command set. Not read: a C-ECHO's text
(Error Comment) is ASCII."""


def _validate_ae(value: str) -> Tuple[bool, str]:
    """AE title check (PS3.5 table 6.2-1, AE): ASCII, at most 16 characters, no backslash
    or control characters."""
    if not isinstance(value, str):
        return False, "must be str"
    if len(value) > 16:
        return False, "must not exceed 16 characters"
    if not value.isascii():
        return False, "must only contain ASCII characters"
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return False, "must not contain control characters or backslashes"
    return True, ""


def _validate_ui(value: str) -> Tuple[bool, str]:
    """UID check: conformance to PS3.5 9.1 when ``ENFORCE_UID_CONFORMANCE``, otherwise 1 to
    64 characters."""
    from pydicom import config
    from pydicom.uid import UID

    if not isinstance(value, str):
        return False, "must be pydicom.uid.UID"
    if ENFORCE_UID_CONFORMANCE:
        conformant = UID(value, validation_mode=config.IGNORE).is_valid
        return (True, "") if conformant else (False, "UID is non-conformant")
    if not value:
        return False, "must not be an empty str"
    if len(value) > 64:
        return False, "must not exceed 64 characters"
    return True, ""


VALIDATORS: Dict[str, Callable[[Any], Tuple[bool, str]]] = {
    "AE": _validate_ae,
    "UI": _validate_ui,
}
"""Validation functions by VR, as pynetdicom's. Not read by fastdimse, which checks AE
titles and UIDs in its own setters."""

UNRESTRICTED_STORAGE_SERVICE: bool = False
"""Accept storage of any SOP class (pynetdicom). Not read: no C-STORE."""
