"""Why an app failed, in one line for people and in stable fields for programs.

The apps turn what the library reports (a ``NetworkError`` whose text carries the OS error
number, an A-ASSOCIATE-RJ's result/source/reason, an A-ABORT's source/reason) into:

* :class:`AppError`: the one line printed on standard error (``echoscp: port 11112 is
  already in use on 0.0.0.0``) with the exit code, instead of a traceback;
* a dict of JSON fields, whose ``error_kind`` is one of the ``KIND_*`` names below, so that
  a monitoring check can branch on the cause without parsing prose.

The descriptions of the A-ASSOCIATE-RJ and A-ABORT values are PS3.8 Tables 9-21 and 9-26,
worded as the library logs them.
"""

from __future__ import annotations

import errno
import re
from typing import Any, Dict, Optional

KIND_NAME_RESOLUTION = "name_resolution"
KIND_CONNECTION_REFUSED = "connection_refused"
KIND_CONNECT_TIMEOUT = "connect_timeout"
KIND_UNREACHABLE = "unreachable"
KIND_CONNECTION_FAILED = "connection_failed"
KIND_REJECTED = "rejected"
KIND_ABORTED = "aborted"
KIND_ACSE_TIMEOUT = "acse_timeout"
KIND_ASSOCIATION_FAILED = "association_failed"
KIND_NO_ACCEPTED_CONTEXT = "no_accepted_context"
KIND_DIMSE_TIMEOUT = "dimse_timeout"
KIND_FAILURE_STATUS = "failure_status"

#: A-ASSOCIATE-RJ Result (PS3.8 Table 9-21).
REJECT_RESULTS = {1: "Rejected (Permanent)", 2: "Rejected (Transient)"}
#: A-ASSOCIATE-RJ Source.
REJECT_SOURCES = {
    1: "Service User",
    2: "Service Provider (ACSE)",
    3: "Service Provider (Presentation)",
}
#: A-ASSOCIATE-RJ Reason/Diag., read according to the source.
REJECT_REASONS = {
    (1, 1): "No reason given",
    (1, 2): "Application context name not supported",
    (1, 3): "Calling AE title not recognised",
    (1, 7): "Called AE title not recognised",
    (2, 1): "No reason given",
    (2, 2): "Protocol version not supported",
    (3, 1): "Temporary congestion",
    (3, 2): "Local limit exceeded",
}
#: A-ASSOCIATE-AC presentation context Result/Reason (PS3.8 Table 9-18).
CONTEXT_RESULTS = {
    0: "Acceptance",
    1: "User rejection",
    2: "Provider rejection (no reason)",
    3: "Abstract syntax not supported",
    4: "Transfer syntaxes not supported",
}
#: A-ABORT Source (PS3.8 Table 9-26; 1 is reserved).
ABORT_SOURCES = {0: "Service User", 2: "Service Provider"}
#: A-ABORT Reason/Diag., meaningful when the service provider aborted.
ABORT_REASONS = {
    0: "Reason not specified",
    1: "Unrecognised PDU",
    2: "Unexpected PDU",
    4: "Unrecognised PDU parameter",
    5: "Unexpected PDU parameter",
    6: "Invalid PDU parameter value",
}


class AppError(Exception):
    """A failure the app reports as one line ``<app>: <message>`` and `exit_code`.

    `fields` are the JSON fields describing it (``error``, ``error_kind``...), for apps that
    print JSON. The exception that caused it, if any, is ``__cause__`` (shown with -d).
    """

    def __init__(
        self, message: str, exit_code: int = 1, fields: Optional[Dict[str, Any]] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.fields = dict(fields or {})


_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def os_errno(exc: BaseException) -> Optional[int]:
    """The OS error number of `exc`: its ``errno``, or the ``(os error N)`` that the core's
    socket errors carry in their text; None if it has neither."""
    number = getattr(exc, "errno", None)
    if isinstance(number, int):
        return number
    match = _OS_ERROR.search(str(exc))
    return int(match.group(1)) if match else None


def _os_text(exc: BaseException) -> str:
    """The OS's words for `exc` ("Connection refused"), without the library's prefix."""
    text = str(exc)
    text = text.split(": ", 1)[1] if text.startswith("socket error: ") else text
    return _OS_ERROR.sub("", text).strip()


def connect_failure(exc: Optional[BaseException]) -> Dict[str, Any]:
    """JSON fields for a TCP connection that could not be made (`exc` as the core raised it)."""
    if exc is None:
        return {"error": "connection failed", "error_kind": KIND_CONNECTION_FAILED}
    number = os_errno(exc)
    text = str(exc)
    if number == errno.ECONNREFUSED:
        return {"error": "connection refused", "error_kind": KIND_CONNECTION_REFUSED}
    if number == errno.ETIMEDOUT or "connection timed out" in text.lower():
        return {"error": "connection timed out", "error_kind": KIND_CONNECT_TIMEOUT}
    if number in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN):
        return {"error": f"host unreachable: {_os_text(exc)}", "error_kind": KIND_UNREACHABLE}
    if "failed to lookup address" in text:
        return {"error": "name resolution failed", "error_kind": KIND_NAME_RESOLUTION}
    return {"error": f"connection failed: {_os_text(exc)}", "error_kind": KIND_CONNECTION_FAILED}


def rejection_fields(result: int, source: int, reason: int) -> Dict[str, Any]:
    """JSON fields for an A-ASSOCIATE-RJ: the three numbers and their descriptions."""
    return {
        "error": "association rejected",
        "error_kind": KIND_REJECTED,
        "result": result,
        "result_description": REJECT_RESULTS.get(result, "Unknown"),
        "source": source,
        "source_description": REJECT_SOURCES.get(source, "Unknown"),
        "reason": reason,
        "reason_description": REJECT_REASONS.get((source, reason), "Reserved"),
    }


def no_context_fields(rejected: Any) -> Dict[str, Any]:
    """JSON fields for an association whose every presentation context the peer rejected
    (`rejected`: the association's ``rejected_contexts``); it was then aborted."""
    return {
        "error": "no presentation context accepted",
        "error_kind": KIND_NO_ACCEPTED_CONTEXT,
        "rejected_contexts": [
            {
                "abstract_syntax": str(context.abstract_syntax),
                "result": context.result,
                "result_description": CONTEXT_RESULTS.get(context.result, "Unknown"),
            }
            for context in rejected
        ],
    }


def abort_fields(by_peer: bool, source: int, reason: int) -> Dict[str, Any]:
    """JSON fields for an A-ABORT (or A-P-ABORT) that ended the association."""
    return {
        "error": "association aborted",
        "error_kind": KIND_ABORTED,
        "by_peer": by_peer,
        "source": source,
        "source_description": ABORT_SOURCES.get(source, "Reserved"),
        "reason": reason,
        "reason_description": (
            ABORT_REASONS.get(reason, "Reserved") if source == 2 else "Not significant"
        ),
    }


def listen_failure(exc: BaseException, host: str, port: int) -> AppError:
    """The one line for a server that could not listen on `host`:`port`."""
    shown = host or "0.0.0.0"
    number = os_errno(exc)
    if number == errno.EADDRINUSE:
        message = f"port {port} is already in use on {shown}"
    elif number == errno.EADDRNOTAVAIL:
        message = f"cannot bind to {shown}: address not available on this machine"
    elif number == errno.EACCES:
        message = f"no permission to listen on port {port} of {shown}"
        if 0 < port < 1024:
            message += " (ports below 1024 need privileges)"
    elif "cannot resolve address" in str(exc) or "no address for" in str(exc):
        message = f"cannot resolve bind address {host!r}"
    else:
        message = f"cannot listen on {shown} port {port}: {_os_text(exc)}"
    return AppError(message)


__all__ = [
    "AppError",
    "abort_fields",
    "connect_failure",
    "listen_failure",
    "no_context_fields",
    "os_errno",
    "rejection_fields",
]
