"""Events a user can bind handlers to, the Event passed to them, and how they fire.

There are two kinds of events, as in pynetdicom:

* Notification events (``EVT_ACCEPTED``, ``EVT_RELEASED``...): any number of
  handlers, called in binding order; their return values are ignored and an
  exception in one is logged and does not stop the others.
* Intervention events (``EVT_C_ECHO``, ``EVT_USER_ID``...): exactly one handler
  (a default one until the user binds theirs); its return value is the answer
  and its exceptions reach the caller, which decides what to send.

Handlers are recorded in a dict ``{event: [(handler, args), ...]}`` for
notification events and ``{event: (handler, args)}`` for intervention events;
``args`` is None or a list of extra positional arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Tuple,
    Union,
    cast,
)

from pydicom.dataset import Dataset
from pydicom.uid import UID

if TYPE_CHECKING:  # pragma: no cover
    from fastdimse.dimse_primitives import C_ECHO

LOGGER = logging.getLogger(__name__)


class NotificationEvent(NamedTuple):
    """An event that only informs: many handlers, return values ignored."""

    name: str
    description: str
    is_intervention: bool = False
    is_notification: bool = True

    def __str__(self) -> str:
        return self.name


class InterventionEvent(NamedTuple):
    """An event whose single handler decides the outcome."""

    name: str
    description: str
    is_intervention: bool = True
    is_notification: bool = False

    def __str__(self) -> str:
        return self.name


EventType = Union[NotificationEvent, InterventionEvent]
HandlerArgs = Optional[List[Any]]
HandlerBinding = Tuple[Callable[..., Any], HandlerArgs]
"""A bound handler and its extra arguments (None for none)."""
EventHandlerType = Union[
    Tuple[EventType, Callable[..., Any]],
    Tuple[EventType, Callable[..., Any], List[Any]],
]
"""What users pass in ``evt_handlers``: ``(event, handler)`` or ``(event, handler, args)``."""
HandlerArgType = Union[List[HandlerBinding], HandlerBinding]
HandlersDict = Dict[EventType, HandlerArgType]

# Notification events.
EVT_ABORTED = NotificationEvent("EVT_ABORTED", "Association aborted")
EVT_ACCEPTED = NotificationEvent("EVT_ACCEPTED", "Association request accepted")
EVT_ACSE_RECV = NotificationEvent("EVT_ACSE_RECV", "ACSE primitive received from DUL")
EVT_ACSE_SENT = NotificationEvent("EVT_ACSE_SENT", "ACSE primitive sent to DUL")
EVT_CONN_CLOSE = NotificationEvent("EVT_CONN_CLOSE", "Connection closed")
EVT_CONN_OPEN = NotificationEvent("EVT_CONN_OPEN", "Connection opened")
EVT_DATA_RECV = NotificationEvent("EVT_DATA_RECV", "PDU data received from remote")
EVT_DATA_SENT = NotificationEvent("EVT_DATA_SENT", "PDU data sent to remote")
EVT_DIMSE_RECV = NotificationEvent("EVT_DIMSE_RECV", "Complete DIMSE message received and decoded")
EVT_DIMSE_SENT = NotificationEvent(
    "EVT_DIMSE_SENT", "DIMSE message encoded and P-DATA primitives sent to DUL"
)
EVT_ESTABLISHED = NotificationEvent("EVT_ESTABLISHED", "Association established")
EVT_FSM_TRANSITION = NotificationEvent("EVT_FSM_TRANSITION", "State machine about to transition")
EVT_PDU_RECV = NotificationEvent("EVT_PDU_RECV", "PDU received and decoded")
EVT_PDU_SENT = NotificationEvent("EVT_PDU_SENT", "PDU encoded and sent")
EVT_REJECTED = NotificationEvent("EVT_REJECTED", "Association request rejected")
EVT_RELEASED = NotificationEvent("EVT_RELEASED", "Association released")
EVT_REQUESTED = NotificationEvent("EVT_REQUESTED", "Association requested")

# Intervention events.
EVT_ASYNC_OPS = InterventionEvent("EVT_ASYNC_OPS", "Asynchronous operations negotiation requested")
EVT_SOP_COMMON = InterventionEvent(
    "EVT_SOP_COMMON", "SOP class common extended negotiation requested"
)
EVT_SOP_EXTENDED = InterventionEvent("EVT_SOP_EXTENDED", "SOP class extended negotiation requested")
EVT_USER_ID = InterventionEvent("EVT_USER_ID", "User identity negotiation requested")
EVT_C_ECHO = InterventionEvent("EVT_C_ECHO", "C-ECHO request received")
EVT_C_FIND = InterventionEvent("EVT_C_FIND", "C-FIND request received")
EVT_C_GET = InterventionEvent("EVT_C_GET", "C-GET request received")
EVT_C_MOVE = InterventionEvent("EVT_C_MOVE", "C-MOVE request received")
EVT_C_STORE = InterventionEvent("EVT_C_STORE", "C-STORE request received")
EVT_N_ACTION = InterventionEvent("EVT_N_ACTION", "N-ACTION request received")
EVT_N_CREATE = InterventionEvent("EVT_N_CREATE", "N-CREATE request received")
EVT_N_DELETE = InterventionEvent("EVT_N_DELETE", "N-DELETE request received")
EVT_N_EVENT_REPORT = InterventionEvent("EVT_N_EVENT_REPORT", "N-EVENT-REPORT request received")
EVT_N_GET = InterventionEvent("EVT_N_GET", "N-GET request received")
EVT_N_SET = InterventionEvent("EVT_N_SET", "N-SET request received")

_NOTIFICATION_EVENTS: List[NotificationEvent] = [
    value for value in list(globals().values()) if isinstance(value, NotificationEvent)
]
_INTERVENTION_EVENTS: List[InterventionEvent] = [
    value for value in list(globals().values()) if isinstance(value, InterventionEvent)
]


class PresentationContextTuple(NamedTuple):
    """The accepted presentation context a DIMSE message arrived on."""

    context_id: int
    abstract_syntax: UID
    transfer_syntax: UID


_CLASS_ATTRIBUTES: Dict[type, FrozenSet[str]] = {}


def _class_attributes(cls: type) -> FrozenSet[str]:
    """Every attribute name `cls` defines or inherits, looked up once per class: an Event
    is built for every handled request, and a failed ``hasattr`` costs an exception."""
    names = _CLASS_ATTRIBUTES.get(cls)
    if names is None:
        # What hasattr(cls, name) finds: the class's names and its metaclass's.
        candidates = set(dir(cls)) | set(dir(type(cls)))
        names = frozenset(name for name in candidates if hasattr(cls, name))
        _CLASS_ATTRIBUTES[cls] = names
    return names


class Event:
    """What a handler receives: the association, the event and its details.

    The details depend on the event and are set from `attrs` as attributes
    (``request`` and ``context`` for DIMSE service events, ``pdu`` or ``data``
    for the low-level ones...).

    Attributes
    ----------
    assoc
        The association the event happened on.
    timestamp : datetime.datetime
        When the Event was created, just after the event itself.
    """

    def __init__(
        self, assoc: Any, event: EventType, attrs: Optional[Dict[str, Any]] = None
    ) -> None:
        self.assoc = assoc
        self._event = event
        self.timestamp = datetime.now()

        # Set from `attrs` only for the events that have them.
        self.request: C_ECHO
        self.context: PresentationContextTuple
        self._is_cancelled: Callable[[int], bool]

        if attrs:
            taken = _class_attributes(type(self))
            for name in attrs:
                if name in taken or name in self.__dict__:
                    raise AttributeError(f"'Event' object already has an attribute '{name}'")
            # No name is a property or method of the class (checked above), so storing
            # in the instance dict is what setattr would do, without its lookups.
            self.__dict__.update(attrs)

    @property
    def event(self) -> EventType:
        """The event that happened."""
        return self._event

    @property
    def message_id(self) -> int:
        """The *Message ID* of the DIMSE request that raised this event.

        Raises
        ------
        AttributeError
            If the event has no DIMSE request.
        """
        try:
            return cast(int, self.request.MessageID)
        except AttributeError:
            raise AttributeError(
                "The corresponding event is not a DIMSE service request and "
                "has no 'Message ID' parameter"
            ) from None

    @property
    def is_cancelled(self) -> bool:
        """True if a C-CANCEL for this event's request has arrived since the last check.

        Each C-CANCEL is reported once. Always False for events that are not
        DIMSE requests or that were raised without a way to check.
        """
        try:
            check = self._is_cancelled
            message_id = self.request.MessageID
        except AttributeError:
            return False
        if message_id is None:
            return False
        return bool(check(message_id))

    @property
    def peer_certificate_subject(self) -> Optional[str]:
        """The subject of the peer's TLS certificate (``"CN=modality,O=Hospital"``), for
        handlers that authorise by it; ``None`` over plain TCP or without a certificate.
        The whole identity, with the subject alternative names, is
        ``event.assoc.peer_certificate``."""
        return getattr(self.assoc, "peer_certificate_subject", None)

    def __repr__(self) -> str:
        return f"Event({self._event.name}, {self.timestamp.isoformat()})"


# Default handlers for intervention events.


def _async_ops_handler(event: Event) -> Tuple[int, int]:
    raise NotImplementedError(
        "No handler has been bound to 'evt.EVT_ASYNC_OPS', so no Asynchronous "
        "Operations Window Negotiation response will be sent"
    )


def _sop_common_handler(event: Event) -> Dict[UID, Any]:
    return {}


def _sop_extended_handler(event: Event) -> Dict[UID, bytes]:
    return {}


def _user_identity_handler(event: Event) -> Tuple[bool, Optional[bytes]]:
    raise NotImplementedError(
        "No handler has been bound to 'evt.EVT_USER_ID', so the User Identity "
        "Negotiation will be ignored and the association accepted (unless "
        "rejected for another reason)"
    )


def _c_echo_handler(event: Event) -> Union[int, Dataset]:
    return 0x0000


def _not_implemented(event_name: str) -> Callable[[Event], Any]:
    def handler(event: Event) -> Any:
        raise NotImplementedError(f"No handler has been bound to 'evt.{event_name}'")

    handler.__name__ = f"_default_{event_name.lower()}_handler"
    return handler


_DEFAULT_HANDLERS: Dict[InterventionEvent, Callable[[Event], Any]] = {
    EVT_ASYNC_OPS: _async_ops_handler,
    EVT_SOP_COMMON: _sop_common_handler,
    EVT_SOP_EXTENDED: _sop_extended_handler,
    EVT_USER_ID: _user_identity_handler,
    EVT_C_ECHO: _c_echo_handler,
}
for _event in _INTERVENTION_EVENTS:
    _DEFAULT_HANDLERS.setdefault(_event, _not_implemented(_event.name))


def get_default_handler(event: InterventionEvent) -> Callable[[Event], Any]:
    """Return the handler used for intervention `event` when the user bound none.

    ``EVT_C_ECHO``'s returns 0x0000 (Success). ``EVT_SOP_COMMON`` and
    ``EVT_SOP_EXTENDED``'s return ``{}`` (no items). ``EVT_USER_ID`` and
    ``EVT_ASYNC_OPS``'s raise :class:`NotImplementedError`, meaning "no
    answer": the association is accepted without a response item.

    Raises
    ------
    TypeError
        If `event` is not an intervention event.
    """
    if not isinstance(event, InterventionEvent):
        raise TypeError(f"'event' must be an intervention event, not {event!r}")
    return _DEFAULT_HANDLERS[event]


def is_default_handler(event: InterventionEvent, handler: Optional[Callable[..., Any]]) -> bool:
    """True if `handler` is `event`'s default (so no user code would run)."""
    return handler is None or handler is _DEFAULT_HANDLERS.get(event)


def _check_binding(event: object, handler: object, args: object) -> HandlerBinding:
    if not isinstance(event, (NotificationEvent, InterventionEvent)):
        raise TypeError(f"'event' must be one of the evt.EVT_* events, not {event!r}")
    if not callable(handler):
        raise TypeError(
            f"the handler bound to 'evt.{event.name}' must be callable, not {handler!r}"
        )
    if args is not None and (not isinstance(args, Sequence) or isinstance(args, (str, bytes))):
        raise TypeError(
            f"the arguments for the handler bound to 'evt.{event.name}' must be a list "
            f"or None, not {args!r}"
        )
    return (handler, None if args is None else list(args))


def _add_handler(
    event: EventType, handlers_attr: HandlersDict, handler_arg: HandlerBinding
) -> None:
    """Record `handler_arg`, a ``(handler, args)`` pair, as bound to `event`.

    A notification event keeps every distinct pair, in binding order (binding
    the same pair twice keeps one). An intervention event has one handler: the
    new pair replaces the previous one.

    Raises
    ------
    TypeError
        If `event` is not an event, the handler is not callable or args is not
        a list or None.
    """
    if not isinstance(handler_arg, tuple) or len(handler_arg) != 2:
        raise TypeError(f"'handler_arg' must be a (handler, args) pair, not {handler_arg!r}")
    binding = _check_binding(event, handler_arg[0], handler_arg[1])
    if isinstance(event, NotificationEvent):
        bound = cast("List[HandlerBinding]", handlers_attr.setdefault(event, []))
        if binding not in bound:
            bound.append(binding)
    else:
        handlers_attr[event] = binding


def _remove_handler(
    event: EventType, handlers_attr: HandlersDict, handler: Callable[..., Any]
) -> None:
    """Unbind `handler` from `event`; unbinding what is not bound does nothing.

    A notification event loses every binding of `handler` (and its entry when
    none remain). An intervention event whose handler is `handler` goes back
    to its default handler.
    """
    if event not in handlers_attr:
        return
    if isinstance(event, NotificationEvent):
        bound = cast("List[HandlerBinding]", handlers_attr[event])
        remaining = [binding for binding in bound if binding[0] != handler]
        if remaining:
            handlers_attr[event] = remaining
        else:
            del handlers_attr[event]
    elif isinstance(event, InterventionEvent):
        current = cast(HandlerBinding, handlers_attr[event])
        if current[0] == handler:
            handlers_attr[event] = (get_default_handler(event), None)


def _unpack_evt_handler(item: object) -> Tuple[EventType, Callable[..., Any], HandlerArgs]:
    """Split one ``evt_handlers`` entry into (event, handler, args), validating it."""
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise TypeError(
            "each 'evt_handlers' item must be (event, handler) or (event, handler, args), "
            f"not {item!r}"
        )
    event, handler = item[0], item[1]
    args = item[2] if len(item) == 3 else None
    checked_handler, checked_args = _check_binding(event, handler, args)
    return cast(EventType, event), checked_handler, checked_args


def bind_handlers(
    handlers_attr: HandlersDict, evt_handlers: Optional[Iterable[EventHandlerType]]
) -> None:
    """Bind every ``(event, handler[, args])`` of a user's `evt_handlers` list.

    Every item is checked before any is bound, so a bad list binds nothing.
    """
    unpacked = [_unpack_evt_handler(item) for item in (evt_handlers or ())]
    for event, handler, args in unpacked:
        _add_handler(event, handlers_attr, (handler, args))


def bind_defaults(handlers_attr: HandlersDict) -> None:
    """Bind the default handler of every intervention event not yet bound."""
    for event in _INTERVENTION_EVENTS:
        if event not in handlers_attr:
            handlers_attr[event] = (_DEFAULT_HANDLERS[event], None)


def _call(binding: HandlerBinding, event: Event) -> Any:
    handler, args = binding
    if args:
        return handler(event, *args)
    return handler(event)


def trigger(assoc: Any, event: EventType, attrs: Optional[Dict[str, Any]] = None) -> Any:
    """Run the handler(s) bound to `event` on `assoc` and return the result.

    `assoc` must have ``get_handlers(event)``, returning a list of
    ``(handler, args)`` for a notification event and one ``(handler, args)``
    (or ``(None, None)`` / ``[]`` when nothing is bound) for an intervention
    event. Each handler receives one new :class:`Event` built from `attrs`.

    Notification events: every handler runs even if an earlier one raised;
    exceptions are logged and swallowed; returns None.

    Intervention events: the bound handler, or the default one, runs once and
    its return value is returned; its exceptions propagate.
    """
    handlers = assoc.get_handlers(event)

    if isinstance(event, NotificationEvent):
        if not handlers:
            return None
        evt = Event(assoc, event, attrs)
        for binding in list(cast("List[HandlerBinding]", handlers)):
            try:
                _call(binding, evt)
            except Exception as exc:
                name = getattr(binding[0], "__name__", repr(binding[0]))
                LOGGER.error(
                    f"Exception raised in user's 'evt.{event.name}' event handler '{name}'"
                )
                LOGGER.exception(exc)
        return None

    if not isinstance(event, InterventionEvent):
        raise TypeError(f"'event' must be one of the evt.EVT_* events, not {event!r}")

    bound = cast("Optional[HandlerBinding]", handlers or None)
    if bound is None or bound[0] is None:
        bound = (_DEFAULT_HANDLERS[event], None)
    return _call(bound, Event(assoc, event, attrs))


__all__ = [
    "NotificationEvent",
    "InterventionEvent",
    "EventType",
    "EventHandlerType",
    "HandlerArgType",
    "PresentationContextTuple",
    "Event",
    "get_default_handler",
    "is_default_handler",
    "trigger",
    "bind_handlers",
    "bind_defaults",
    "EVT_ABORTED",
    "EVT_ACCEPTED",
    "EVT_ACSE_RECV",
    "EVT_ACSE_SENT",
    "EVT_CONN_CLOSE",
    "EVT_CONN_OPEN",
    "EVT_DATA_RECV",
    "EVT_DATA_SENT",
    "EVT_DIMSE_RECV",
    "EVT_DIMSE_SENT",
    "EVT_ESTABLISHED",
    "EVT_FSM_TRANSITION",
    "EVT_PDU_RECV",
    "EVT_PDU_SENT",
    "EVT_REJECTED",
    "EVT_RELEASED",
    "EVT_REQUESTED",
    "EVT_ASYNC_OPS",
    "EVT_SOP_COMMON",
    "EVT_SOP_EXTENDED",
    "EVT_USER_ID",
    "EVT_C_ECHO",
    "EVT_C_FIND",
    "EVT_C_GET",
    "EVT_C_MOVE",
    "EVT_C_STORE",
    "EVT_N_ACTION",
    "EVT_N_CREATE",
    "EVT_N_DELETE",
    "EVT_N_EVENT_REPORT",
    "EVT_N_GET",
    "EVT_N_SET",
]
