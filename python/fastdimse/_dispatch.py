"""The bridge the Rust core calls: notifications, C-ECHO requests, user identity and SOP
class (common) extended negotiation.

The core asks only for what is observed: ``observed`` is a bit set of the notification
events some handler is bound to, and ``handles_echo`` is False while EVT_C_ECHO has its
default handler, in which case the core answers Success without entering Python at all.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from pydicom import config
from pydicom.uid import UID

from . import _core, evt
from .association import Association, wrap
from .dimse import decode as decode_command
from .dimse_primitives import command_elements_to_primitive, make_c_echo_request
from .presentation import PresentationContext, _negotiated
from .service_class import VerificationServiceClass

if TYPE_CHECKING:  # pragma: no cover
    from .ae import ApplicationEntity

LOGGER = logging.getLogger("fastdimse")

# Bit positions of the core's notification kinds (rust/net/hooks.rs, NotificationKind).
_NOTIFICATION_BITS = {
    "CONN_OPEN": 0,
    "CONN_CLOSE": 1,
    "REQUESTED": 2,
    "ACCEPTED": 3,
    "REJECTED": 4,
    "ESTABLISHED": 5,
    "RELEASED": 6,
    "ABORTED": 7,
    "DIMSE_RECV": 8,
    "DIMSE_SENT": 9,
    "DATA_RECV": 10,
    "DATA_SENT": 11,
}
_EVENTS = {name: getattr(evt, f"EVT_{name}") for name in _NOTIFICATION_BITS}


def observed_mask(handlers: Dict[Any, Any]) -> int:
    """The core's bit set for the notification events bound in `handlers`."""
    mask = 0
    for name, bit in _NOTIFICATION_BITS.items():
        if handlers.get(_EVENTS[name]):
            mask |= 1 << bit
    return mask


def peer_socket_address(core: Any) -> Tuple[Any, ...]:
    """The peer's address as Python's sockets give it (pynetdicom's ``event.address`` for
    EVT_CONN_OPEN and EVT_CONN_CLOSE, in both roles): ``(host, port)`` over IPv4,
    ``(host, port, flowinfo, scope_id)`` over IPv6."""
    host, port = core.peer_address
    flow_scope = core.peer_flow_scope
    if flow_scope is None:
        return (host, port)
    return (host, port, flow_scope[0], flow_scope[1])


def _is_bound(handlers: Dict[Any, Any], event: Any) -> bool:
    binding = handlers.get(event)
    return binding is not None and not evt.is_default_handler(event, binding[0])


def handles_echo(handlers: Dict[Any, Any]) -> bool:
    """Whether C-ECHO-RQs must reach Python: a handler other than the default is bound."""
    return _is_bound(handlers, evt.EVT_C_ECHO)


class Dispatcher:
    """Runs the Python side of one server's (or one requested association's) events.

    `handlers` is shared with the owner (the server or the AE's associate call), so
    handlers bound later are seen by new associations.
    """

    def __init__(
        self,
        ae: ApplicationEntity,
        handlers: Dict[Any, Any],
        on_new: Optional[Callable[[Association], None]] = None,
    ) -> None:
        self.ae = ae
        self.handlers = handlers
        self._on_new = on_new

    @property
    def observed(self) -> int:
        return observed_mask(self.handlers)

    @property
    def handles_echo(self) -> bool:
        return _is_bound(self.handlers, evt.EVT_C_ECHO)

    @property
    def handles_user_identity(self) -> bool:
        return _is_bound(self.handlers, evt.EVT_USER_ID)

    @property
    def handles_sop_class_extended(self) -> bool:
        return _is_bound(self.handlers, evt.EVT_SOP_EXTENDED) or _is_bound(
            self.handlers, evt.EVT_SOP_COMMON
        )

    def association(self, core: Any) -> Association:
        assoc = core.user
        if assoc is None:
            assoc = wrap(self.ae, core, self.handlers)
            if self._on_new is not None:
                self._on_new(assoc)
        elif assoc._accepted is None:
            # Created by a negotiation handler (EVT_USER_ID, EVT_SOP_EXTENDED...) before
            # negotiation finished: what it settled is filled in once it is known.
            assoc._refresh()
        return assoc  # type: ignore[no-any-return]

    def notify(self, core: Any, name: str, info: Dict[str, Any]) -> None:
        assoc = self.association(core)
        if name in ("ACCEPTED", "ESTABLISHED"):
            assoc._fill_users()
        attrs: Dict[str, Any] = {}
        if name in ("DIMSE_RECV", "DIMSE_SENT"):
            command = info["command"]
            try:
                # Straight from the core's values: the primitive reads every element, which
                # a Dataset would convert one by one in pydicom.
                elements = {tag: value for tag, _kw, _vr, value in _core.decode_command(command)}
                attrs["message"] = command_elements_to_primitive(elements)
            except ValueError:
                attrs["message"] = decode_command(command)
        elif name in ("DATA_RECV", "DATA_SENT"):
            attrs["data"] = info["data"]
        elif name in ("CONN_OPEN", "CONN_CLOSE"):
            attrs["address"] = peer_socket_address(core)
        elif name == "ABORTED":
            attrs.update(info)
        elif name == "REJECTED":
            attrs.update(info)
        evt.trigger(assoc, _EVENTS[name], attrs)

    def c_echo(
        self, core: Any, context_id: int, message_id: int, affected_uid: str, command: bytes
    ) -> None:
        """Serve one C-ECHO-RQ through VerificationServiceClass.SCP (runs the handler)."""
        assoc = self.association(core)
        req = make_c_echo_request(message_id, affected_uid)
        context = self._context(assoc, context_id)
        VerificationServiceClass(assoc).SCP(req, context)

    @staticmethod
    def _context(assoc: Association, context_id: int) -> PresentationContext:
        contexts = assoc._contexts_by_id
        if contexts is None:
            contexts = {c.context_id: c for c in assoc.accepted_contexts}
            assoc._contexts_by_id = contexts
        context = contexts.get(context_id)
        if context is None:
            return _negotiated(context_id, "1.2.840.10008.1.1", "1.2.840.10008.1.2", 0, False, True)
        return context

    def user_identity(
        self, core: Any, identity_type: int, primary: bytes, secondary: bytes, positive: bool
    ) -> Tuple[bool, Optional[bytes]]:
        assoc = self.association(core)
        attrs = {
            "user_id_type": identity_type,
            "primary_field": primary,
            "secondary_field": secondary,
        }
        try:
            result = evt.trigger(assoc, evt.EVT_USER_ID, attrs)
            is_authorised, response = result
        except Exception as exc:
            LOGGER.error("Exception in handler bound to 'evt.EVT_USER_ID'")
            LOGGER.exception(exc)
            return False, None
        if response is not None and not isinstance(response, bytes):
            LOGGER.error("The user identity response must be bytes or None")
            response = None
        return bool(is_authorised), response if positive else None

    def sop_class_extended(
        self,
        core: Any,
        requested: Sequence[Tuple[str, bytes]],
        common: Sequence[Tuple[str, str, Sequence[str]]],
    ) -> List[Tuple[str, bytes]]:
        """Runs the EVT_SOP_EXTENDED and EVT_SOP_COMMON handlers that are bound (as
        pynetdicom does, on every request, items or none) and returns the SOP class
        extended negotiation answers to send, as (SOP Class UID, information)."""
        assoc = self.association(core)
        # Negotiation has not finished: the requestor's items are filled in from here, for
        # handlers that look at ``event.assoc.requestor``.
        assoc._fill_sop_class_extended(
            {"sop_class_extended": requested, "sop_class_common_extended": common}
        )
        answers: List[Tuple[str, bytes]] = []
        if _is_bound(self.handlers, evt.EVT_SOP_EXTENDED):
            answers = _extended_answers(assoc, requested)
        if _is_bound(self.handlers, evt.EVT_SOP_COMMON):
            _check_common(assoc, common)
        return answers


def _extended_answers(
    assoc: Association, requested: Sequence[Tuple[str, bytes]]
) -> List[Tuple[str, bytes]]:
    """The EVT_SOP_EXTENDED handler's answers to `requested`, each checked (pynetdicom's
    log messages): a handler that raises or returns something other than a dict answers
    nothing; an answer that is not a valid item, or is for a SOP class not proposed, is
    left out."""
    from .pdu_primitives import SOPClassExtendedNegotiation

    app_info = {UID(uid, validation_mode=config.IGNORE): info for uid, info in requested}
    try:
        response = evt.trigger(assoc, evt.EVT_SOP_EXTENDED, {"app_info": app_info})
    except Exception as exc:
        LOGGER.error("Exception raised in handler bound to 'evt.EVT_SOP_EXTENDED'")
        LOGGER.exception(exc)
        return []
    if not isinstance(response, (type(None), dict)):
        LOGGER.error("Invalid type returned by handler bound to 'evt.EVT_SOP_EXTENDED'")
        return []
    answers: List[Tuple[str, bytes]] = []
    for sop_class, info in (response or {}).items():
        item = SOPClassExtendedNegotiation()
        try:
            item.sop_class_uid = sop_class
            item.service_class_application_information = info
            item.from_primitive().encode()  # fits its sub-item
        except Exception as exc:
            LOGGER.error(
                "Unable to set the SOP Class Extended Negotiation response values for the "
                f"SOP Class UID {sop_class}"
            )
            LOGGER.exception(exc)
            continue
        if item.sop_class_uid not in app_info:
            LOGGER.error(
                f"The SOP Class Extended Negotiation response for '{item.sop_class_uid}' is "
                "not sent: the requestor proposed no item for that SOP class"
            )
            continue
        answers.append((str(item.sop_class_uid), bytes(info)))
    return answers


def _check_common(assoc: Association, common: Sequence[Tuple[str, str, Sequence[str]]]) -> None:
    """Runs the EVT_SOP_COMMON handler on the requestor's items (as received, unchecked)
    and checks what it returns. Nothing is sent back: PS3.7 D.3.3.6 defines no answer."""
    from .pdu_primitives import SOPClassCommonExtendedNegotiation

    items = {
        UID(item[0], validation_mode=config.IGNORE): SOPClassCommonExtendedNegotiation._received(
            *item
        )
        for item in common
    }
    try:
        response = evt.trigger(assoc, evt.EVT_SOP_COMMON, {"items": items})
    except Exception as exc:
        LOGGER.error("Exception raised in handler bound to 'evt.EVT_SOP_COMMON'")
        LOGGER.exception(exc)
        return
    if not isinstance(response, dict):
        LOGGER.error("Invalid type returned by handler bound to 'evt.EVT_SOP_COMMON'")
