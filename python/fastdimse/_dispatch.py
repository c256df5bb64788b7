"""The bridge the Rust core calls: notifications, C-ECHO requests and user identity.

The core asks only for what is observed: ``observed`` is a bit set of the notification
events some handler is bound to, and ``handles_echo`` is False while EVT_C_ECHO has its
default handler, in which case the core answers Success without entering Python at all.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

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
}
_EVENTS = {name: getattr(evt, f"EVT_{name}") for name in _NOTIFICATION_BITS}


def observed_mask(handlers: Dict[Any, Any]) -> int:
    """The core's bit set for the notification events bound in `handlers`."""
    mask = 0
    for name, bit in _NOTIFICATION_BITS.items():
        if handlers.get(_EVENTS[name]):
            mask |= 1 << bit
    return mask


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

    def association(self, core: Any) -> Association:
        assoc = core.user
        if assoc is None:
            assoc = wrap(self.ae, core, self.handlers)
            if self._on_new is not None:
                self._on_new(assoc)
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
