"""Service classes: what an SCP does with a request it received.

A service class instance serves one association. It needs from that
association object:

* ``ae``: the application entity;
* ``dimse``: the DIMSE provider, with ``send_msg(primitive, context_id)`` and
  ``is_cancelled(message_id) -> bool`` (one-shot);
* ``get_handlers(event)``: see :func:`fastdimse.evt.trigger`;
* ``is_established`` and, when it has them, ``is_released`` and ``is_aborted``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

from pydicom.dataset import Dataset

from fastdimse import evt
from fastdimse.dimse_primitives import C_ECHO
from fastdimse.exceptions import AssociationError
from fastdimse.status import GENERAL_STATUS, VERIFICATION_SERVICE_CLASS_STATUS, StatusDictType

if TYPE_CHECKING:  # pragma: no cover
    from typing import Protocol

    from fastdimse.evt import PresentationContextTuple

    class _Context(Protocol):
        context_id: int
        abstract_syntax: str
        transfer_syntax: str

        @property
        def as_tuple(self) -> PresentationContextTuple: ...


LOGGER = logging.getLogger(__name__)

VERIFICATION_UID = "1.2.840.10008.1.1"

_US_MAX = 0xFFFF
_SOP_CLASS_NOT_SUPPORTED = 0x0122
_CANNOT_UNDERSTAND_NO_STATUS = 0xC001
_CANNOT_UNDERSTAND_BAD_TYPE = 0xC002

_T = TypeVar("_T", bound=C_ECHO)

_ECHO_HANDLER_FAILED = (
    "Exception in the handler bound to 'evt.EVT_C_ECHO', responding with a "
    "default 'Status' value of 0x0000 (Success)"
)


class ServiceClass:
    """The part every service class shares.

    Attributes
    ----------
    assoc
        The association this instance serves.
    statuses
        ``{code: (category, description)}``: the statuses this service may send.
    """

    statuses: StatusDictType = GENERAL_STATUS

    def __init__(self, assoc: Any) -> None:
        self.assoc = assoc

    @property
    def ae(self) -> Any:
        """The association's application entity."""
        return self.assoc.ae

    @property
    def dimse(self) -> Any:
        """The association's DIMSE provider."""
        return self.assoc.dimse

    def is_cancelled(self, msg_id: int) -> bool:
        """True if a C-CANCEL for the request `msg_id` arrived since the last check.

        Each C-CANCEL is reported once, then forgotten.
        """
        return bool(self.dimse.is_cancelled(msg_id))

    def is_valid_status(self, status: int) -> bool:
        """True if `status` is one of :attr:`statuses`."""
        return status in self.statuses

    def validate_status(self, status: Union[int, Dataset], rsp: _T) -> _T:
        """Put the handler's `status` into `rsp` and return `rsp`.

        * an :class:`int`: the Status (kept even when unknown, with a warning);
        * a Dataset with *Status*: each element whose keyword `rsp` has is
          copied; the others are dropped with a warning;
        * a Dataset without *Status*: 0xC001, with an error;
        * anything else, or a Status that does not fit in an unsigned 16-bit
          value: 0xC002, with an error.
        """
        if isinstance(status, Dataset):
            if "Status" in status:
                for elem in status:
                    keyword = elem.keyword or str(elem.tag)
                    if not _has_parameter(rsp, keyword):
                        LOGGER.warning(
                            "Status dataset returned by callback contained an "
                            f"unsupported Element '{keyword}'"
                        )
                        continue
                    try:
                        setattr(rsp, keyword, elem.value)
                    except (TypeError, ValueError) as exc:
                        LOGGER.error(f"Invalid '{keyword}' returned by callback: {exc}")
                        if keyword == "Status":
                            rsp.Status = _CANNOT_UNDERSTAND_BAD_TYPE
                if rsp.Status is None:
                    LOGGER.error("User callback returned a `Dataset` with an empty Status")
                    rsp.Status = _CANNOT_UNDERSTAND_BAD_TYPE
            else:
                LOGGER.error("User callback returned a `Dataset` without a Status element")
                rsp.Status = _CANNOT_UNDERSTAND_NO_STATUS
        elif isinstance(status, int) and 0 <= status <= _US_MAX:
            rsp.Status = status
        else:
            LOGGER.error(f"Invalid status returned by callback: {status!r}")
            rsp.Status = _CANNOT_UNDERSTAND_BAD_TYPE

        if rsp.Status is not None and not self.is_valid_status(rsp.Status):
            LOGGER.warning(f"Unknown status value returned by callback - 0x{rsp.Status:04X}")

        return rsp

    def SCP(self, req: Any, context: _Context) -> None:
        """Serve `req`; subclasses implement it."""
        raise NotImplementedError(
            "No service class has been implemented for the SOP Class UID "
            f"'{context.abstract_syntax}'"
        )

    def _can_send(self) -> bool:
        """False once the association is gone (a handler released or aborted it)."""
        assoc = self.assoc
        can_send = getattr(assoc, "_can_send_dimse", None)
        if can_send is not None:
            return bool(can_send())
        if getattr(assoc, "is_released", False) or getattr(assoc, "is_aborted", False):
            return False
        return bool(getattr(assoc, "is_established", True))


def _has_parameter(rsp: C_ECHO, keyword: str) -> bool:
    """True if `keyword` is a status parameter a handler may set on `rsp`."""
    return keyword == "Status" or keyword in rsp.STATUS_OPTIONAL_KEYWORDS


class VerificationServiceClass(ServiceClass):
    """The Verification service: answers C-ECHO requests."""

    statuses = VERIFICATION_SERVICE_CLASS_STATUS

    def SCP(self, req: C_ECHO, context: _Context) -> None:
        """Answer the C-ECHO request `req` received on presentation context `context`.

        The handler bound to ``evt.EVT_C_ECHO`` (by default one returning
        0x0000) chooses the status:

        * an :class:`int` from 0 to 0xFFFF is sent as is (with a warning when
          it is not a known status);
        * a Dataset with *Status*: its Status and Error Comment are sent, any
          other element is dropped with a warning;
        * an exception, None, another type, a Dataset without *Status* or a
          status outside 0 to 0xFFFF: 0x0000 is sent and an error logged.

        A request whose Affected SOP Class UID is not Verification gets 0x0122
        (SOP class not supported) without calling the handler. Nothing is sent
        if the handler released or aborted the association.
        """
        rsp = C_ECHO()
        rsp.MessageIDBeingRespondedTo = req.MessageID
        rsp.AffectedSOPClassUID = req.AffectedSOPClassUID

        if req.AffectedSOPClassUID != VERIFICATION_UID:
            LOGGER.error(
                "C-ECHO request with an Affected SOP Class UID of "
                f"'{req.AffectedSOPClassUID}' instead of Verification, responding "
                "with 0x0122 (Refused: SOP Class Not Supported)"
            )
            rsp.Status = _SOP_CLASS_NOT_SUPPORTED
        else:
            rsp.Status = self._status_from_handler(req, context, rsp)

        if not self._can_send():
            return

        try:
            self.dimse.send_msg(rsp, context.context_id)
        except AssociationError:
            if self._can_send():
                raise
            # Aborted (or released by the handler's own thread) between the check and
            # the send: there is no one to answer, as in pynetdicom.
            LOGGER.debug("The association ended before the C-ECHO response was sent")

    def _status_from_handler(self, req: C_ECHO, context: _Context, rsp: C_ECHO) -> int:
        """Run the EVT_C_ECHO handler; return the Status to send (ErrorComment goes on `rsp`)."""
        try:
            result = evt.trigger(
                self.assoc,
                evt.EVT_C_ECHO,
                {
                    "request": req,
                    "context": context.as_tuple,
                    "_is_cancelled": self.is_cancelled,
                },
            )
        except Exception as exc:
            LOGGER.error(_ECHO_HANDLER_FAILED)
            LOGGER.exception(exc)
            return 0x0000

        if isinstance(result, Dataset):
            return self._status_from_dataset(result, rsp)
        if isinstance(result, int):
            return self._checked_status(result)

        LOGGER.error(_ECHO_HANDLER_FAILED)
        LOGGER.error(
            f"Invalid 'status' returned by the handler bound to 'evt.EVT_C_ECHO': {result!r}"
        )
        return 0x0000

    def _status_from_dataset(self, result: Dataset, rsp: C_ECHO) -> int:
        if "Status" not in result:
            LOGGER.error(_ECHO_HANDLER_FAILED)
            LOGGER.error(
                "The 'status' dataset returned by the handler bound to "
                "'evt.EVT_C_ECHO' must contain a (0000,0900) Status element"
            )
            return 0x0000

        status: Optional[int] = None
        for elem in result:
            keyword = elem.keyword or str(elem.tag)
            if keyword == "Status":
                value = elem.value
                status = self._checked_status(value) if isinstance(value, int) else None
                if status is None:
                    LOGGER.error(_ECHO_HANDLER_FAILED)
                    LOGGER.error(
                        "Invalid 'Status' in the dataset returned by the handler bound "
                        f"to 'evt.EVT_C_ECHO': {value!r}"
                    )
                    status = 0x0000
            elif _has_parameter(rsp, keyword):
                try:
                    setattr(rsp, keyword, elem.value)
                except (TypeError, ValueError) as exc:
                    LOGGER.error(
                        f"Invalid '{keyword}' in the dataset returned by the handler bound "
                        f"to 'evt.EVT_C_ECHO', not sent: {exc}"
                    )
            else:
                LOGGER.warning(
                    "The 'status' dataset returned by the handler bound to "
                    "'evt.EVT_C_ECHO' contained an unsupported Element "
                    f"'{keyword}'"
                )
        return 0x0000 if status is None else status

    def _checked_status(self, value: int) -> int:
        """Return `value` if it fits in US (warning if unknown), else 0x0000 with an error."""
        if not 0 <= value <= _US_MAX:
            LOGGER.error(_ECHO_HANDLER_FAILED)
            LOGGER.error(
                "The 'status' returned by the handler bound to 'evt.EVT_C_ECHO' "
                f"cannot be encoded as an unsigned 16-bit value: {value}"
            )
            return 0x0000
        if not self.is_valid_status(value):
            LOGGER.warning(
                "Unknown 'status' value returned by the handler bound to "
                f"'evt.EVT_C_ECHO' - 0x{value:04X}"
            )
        return int(value)


__all__ = ["ServiceClass", "VerificationServiceClass", "VERIFICATION_UID"]
