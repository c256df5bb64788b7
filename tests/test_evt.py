"""Event types, the Event object, handler binding and triggering."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest
from fastdimse import evt
from fastdimse.dimse_primitives import make_c_echo_request
from fastdimse.evt import (
    Event,
    InterventionEvent,
    NotificationEvent,
    PresentationContextTuple,
    _add_handler,
    _remove_handler,
    bind_defaults,
    bind_handlers,
    get_default_handler,
    is_default_handler,
    trigger,
)
from pydicom.uid import UID

NOTIFICATION_NAMES = [
    "EVT_ABORTED", "EVT_ACCEPTED", "EVT_ACSE_RECV", "EVT_ACSE_SENT", "EVT_CONN_CLOSE",
    "EVT_CONN_OPEN", "EVT_DATA_RECV", "EVT_DATA_SENT", "EVT_DIMSE_RECV", "EVT_DIMSE_SENT",
    "EVT_ESTABLISHED", "EVT_FSM_TRANSITION", "EVT_PDU_RECV", "EVT_PDU_SENT", "EVT_REJECTED",
    "EVT_RELEASED", "EVT_REQUESTED",
]  # fmt: skip
INTERVENTION_NAMES = [
    "EVT_ASYNC_OPS", "EVT_SOP_COMMON", "EVT_SOP_EXTENDED", "EVT_USER_ID", "EVT_C_ECHO",
    "EVT_C_FIND", "EVT_C_GET", "EVT_C_MOVE", "EVT_C_STORE", "EVT_N_ACTION", "EVT_N_CREATE",
    "EVT_N_DELETE", "EVT_N_EVENT_REPORT", "EVT_N_GET", "EVT_N_SET",
]  # fmt: skip


class FakeAssoc:
    """Only what trigger() needs: get_handlers over a handlers dict."""

    def __init__(self) -> None:
        self.handlers: dict[Any, Any] = {}

    def get_handlers(self, event: Any) -> Any:
        return self.handlers.get(event, [])


# --- event types -------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTIFICATION_NAMES)
def test_notification_events(name: str) -> None:
    event = getattr(evt, name)
    assert isinstance(event, NotificationEvent)
    assert event.name == name
    assert str(event) == name
    assert event.description
    assert event.is_notification and not event.is_intervention


@pytest.mark.parametrize("name", INTERVENTION_NAMES)
def test_intervention_events(name: str) -> None:
    event = getattr(evt, name)
    assert isinstance(event, InterventionEvent)
    assert event.name == name
    assert event.is_intervention and not event.is_notification


def test_event_lists_are_complete() -> None:
    assert sorted(e.name for e in evt._NOTIFICATION_EVENTS) == sorted(NOTIFICATION_NAMES)
    assert sorted(e.name for e in evt._INTERVENTION_EVENTS) == sorted(INTERVENTION_NAMES)
    assert set(NOTIFICATION_NAMES + INTERVENTION_NAMES) <= set(evt.__all__)


def test_descriptions_of_the_events_a_verification_user_sees() -> None:
    assert evt.EVT_C_ECHO.description == "C-ECHO request received"
    assert evt.EVT_ACCEPTED.description == "Association request accepted"
    assert evt.EVT_RELEASED.description == "Association released"
    assert evt.EVT_ABORTED.description == "Association aborted"


# --- Event -------------------------------------------------------------------------


def _context() -> PresentationContextTuple:
    return PresentationContextTuple(1, UID("1.2.840.10008.1.1"), UID("1.2.840.10008.1.2"))


def test_event_attributes() -> None:
    assoc = FakeAssoc()
    req = make_c_echo_request(42, "1.2.840.10008.1.1")
    before = datetime.now()
    event = Event(assoc, evt.EVT_C_ECHO, {"request": req, "context": _context()})
    assert event.assoc is assoc
    assert event.event is evt.EVT_C_ECHO
    assert before <= event.timestamp <= datetime.now()
    assert event.request is req
    assert event.message_id == 42
    assert event.context.context_id == 1
    assert event.context.abstract_syntax == "1.2.840.10008.1.1"
    assert event.context.transfer_syntax == "1.2.840.10008.1.2"
    assert event.is_cancelled is False


def test_event_without_request() -> None:
    event = Event(FakeAssoc(), evt.EVT_ACCEPTED)
    with pytest.raises(AttributeError, match="not a DIMSE service request"):
        _ = event.message_id
    assert event.is_cancelled is False
    with pytest.raises(AttributeError):
        _ = event.context


def test_event_refuses_attrs_that_shadow_its_own() -> None:
    with pytest.raises(AttributeError, match="already has an attribute 'assoc'"):
        Event(FakeAssoc(), evt.EVT_ACCEPTED, {"assoc": 1})
    with pytest.raises(AttributeError, match="already has an attribute 'message_id'"):
        Event(FakeAssoc(), evt.EVT_ACCEPTED, {"message_id": 1})


def test_event_refuses_what_hasattr_finds_on_its_class_and_keeps_the_rest() -> None:
    """The names are looked up once per class, so the check must still find a method,
    a property, a name the class gets from its metaclass, and an attribute set in
    __init__."""
    for name in ("is_cancelled", "event", "message_id", "mro", "__name__", "timestamp"):
        with pytest.raises(AttributeError, match=f"already has an attribute '{name}'"):
            Event(FakeAssoc(), evt.EVT_ACCEPTED, {name: 1})
    event = Event(FakeAssoc(), evt.EVT_C_ECHO, {"request": 1, "context": 2, "extra": 3})
    assert (event.request, event.context, event.extra) == (1, 2, 3)


def test_is_cancelled_asks_the_callable_with_the_message_id() -> None:
    asked: list[int] = []
    pending = {7}

    def check(msg_id: int) -> bool:
        asked.append(msg_id)
        if msg_id in pending:
            pending.discard(msg_id)
            return True
        return False

    req = make_c_echo_request(7, "1.2.840.10008.1.1")
    event = Event(FakeAssoc(), evt.EVT_C_ECHO, {"request": req, "_is_cancelled": check})
    assert event.is_cancelled is True
    assert event.is_cancelled is False
    assert asked == [7, 7]


# --- defaults ----------------------------------------------------------------------


def test_default_handlers() -> None:
    event = Event(FakeAssoc(), evt.EVT_C_ECHO)
    assert get_default_handler(evt.EVT_C_ECHO)(event) == 0x0000
    assert get_default_handler(evt.EVT_SOP_COMMON)(event) == {}
    assert get_default_handler(evt.EVT_SOP_EXTENDED)(event) == {}
    with pytest.raises(NotImplementedError, match="EVT_USER_ID"):
        get_default_handler(evt.EVT_USER_ID)(event)
    with pytest.raises(NotImplementedError, match="EVT_ASYNC_OPS"):
        get_default_handler(evt.EVT_ASYNC_OPS)(event)
    with pytest.raises(NotImplementedError, match="EVT_C_STORE"):
        get_default_handler(evt.EVT_C_STORE)(event)
    with pytest.raises(TypeError):
        get_default_handler(evt.EVT_ACCEPTED)  # type: ignore[arg-type]


def test_is_default_handler() -> None:
    assert is_default_handler(evt.EVT_C_ECHO, get_default_handler(evt.EVT_C_ECHO))
    assert is_default_handler(evt.EVT_C_ECHO, None)
    assert not is_default_handler(evt.EVT_C_ECHO, lambda e: 0)


def test_bind_defaults_fills_every_intervention_event_once() -> None:
    mine = (lambda e: 1, None)
    handlers: dict[Any, Any] = {evt.EVT_C_ECHO: mine}
    bind_defaults(handlers)
    assert set(handlers) == set(evt._INTERVENTION_EVENTS)
    assert handlers[evt.EVT_C_ECHO] is mine
    assert handlers[evt.EVT_USER_ID] == (get_default_handler(evt.EVT_USER_ID), None)


# --- binding -----------------------------------------------------------------------


def h1(event: Event) -> None:
    pass


def h2(event: Event) -> None:
    pass


def test_notification_events_keep_every_distinct_binding_in_order() -> None:
    handlers: dict[Any, Any] = {}
    _add_handler(evt.EVT_ACCEPTED, handlers, (h1, None))
    _add_handler(evt.EVT_ACCEPTED, handlers, (h2, None))
    _add_handler(evt.EVT_ACCEPTED, handlers, (h1, None))  # duplicate: kept once
    _add_handler(evt.EVT_ACCEPTED, handlers, (h1, ["x"]))  # other args: a new binding
    assert handlers[evt.EVT_ACCEPTED] == [(h1, None), (h2, None), (h1, ["x"])]


def test_intervention_events_have_one_handler() -> None:
    handlers: dict[Any, Any] = {}
    _add_handler(evt.EVT_C_ECHO, handlers, (h1, None))
    _add_handler(evt.EVT_C_ECHO, handlers, (h2, [1, 2]))
    assert handlers[evt.EVT_C_ECHO] == (h2, [1, 2])


def test_remove_notification_handler() -> None:
    handlers: dict[Any, Any] = {}
    _add_handler(evt.EVT_ACCEPTED, handlers, (h1, None))
    _add_handler(evt.EVT_ACCEPTED, handlers, (h2, None))
    _add_handler(evt.EVT_ACCEPTED, handlers, (h1, ["x"]))
    _remove_handler(evt.EVT_ACCEPTED, handlers, h1)
    assert handlers[evt.EVT_ACCEPTED] == [(h2, None)]
    _remove_handler(evt.EVT_ACCEPTED, handlers, h2)
    assert evt.EVT_ACCEPTED not in handlers
    _remove_handler(evt.EVT_ACCEPTED, handlers, h2)  # not bound: nothing happens
    _remove_handler(evt.EVT_RELEASED, handlers, h2)
    assert handlers == {}


def test_remove_intervention_handler_restores_the_default() -> None:
    handlers: dict[Any, Any] = {}
    _add_handler(evt.EVT_C_ECHO, handlers, (h1, None))
    _remove_handler(evt.EVT_C_ECHO, handlers, h2)  # not the bound one: kept
    assert handlers[evt.EVT_C_ECHO] == (h1, None)
    _remove_handler(evt.EVT_C_ECHO, handlers, h1)
    assert handlers[evt.EVT_C_ECHO] == (get_default_handler(evt.EVT_C_ECHO), None)


@pytest.mark.parametrize(
    ("event", "handler_arg", "fragment"),
    [
        ("EVT_C_ECHO", (h1, None), "must be one of the evt.EVT_* events"),
        (evt.EVT_C_ECHO, (5, None), "must be callable, not 5"),
        (evt.EVT_C_ECHO, (h1, "ab"), "must be a list or None, not 'ab'"),
        (evt.EVT_C_ECHO, (h1, 3), "must be a list or None, not 3"),
        (evt.EVT_C_ECHO, h1, "must be a (handler, args) pair"),
    ],
)
def test_add_handler_rejects(event: Any, handler_arg: Any, fragment: str) -> None:
    handlers: dict[Any, Any] = {}
    with pytest.raises(TypeError) as info:
        _add_handler(event, handlers, handler_arg)
    assert fragment in str(info.value)
    assert handlers == {}


def test_bind_handlers_takes_user_tuples() -> None:
    handlers: dict[Any, Any] = {}
    bind_handlers(
        handlers,
        [(evt.EVT_C_ECHO, h1), (evt.EVT_ACCEPTED, h2, ["a", 1]), [evt.EVT_RELEASED, h1]],
    )
    assert handlers == {
        evt.EVT_C_ECHO: (h1, None),
        evt.EVT_ACCEPTED: [(h2, ["a", 1])],
        evt.EVT_RELEASED: [(h1, None)],
    }
    bind_handlers(handlers, None)
    bind_handlers(handlers, [])


@pytest.mark.parametrize(
    "bad",
    [
        (evt.EVT_C_ECHO,),
        (evt.EVT_C_ECHO, h1, None, None),
        (h1, evt.EVT_C_ECHO),
        "EVT_C_ECHO",
    ],
)
def test_bind_handlers_checks_every_item_before_binding_any(bad: Any) -> None:
    handlers: dict[Any, Any] = {}
    with pytest.raises(TypeError):
        bind_handlers(handlers, [(evt.EVT_ACCEPTED, h1), bad])
    assert handlers == {}


# --- trigger -----------------------------------------------------------------------


def test_trigger_notification_calls_every_handler_with_args() -> None:
    calls: list[tuple[str, Any]] = []
    assoc = FakeAssoc()

    def first(event: Event) -> str:
        calls.append(("first", event.event))
        return "ignored"

    def second(event: Event, a: int, b: int) -> None:
        calls.append(("second", (a, b, event.assoc is assoc)))

    bind_handlers(assoc.handlers, [(evt.EVT_ACCEPTED, first), (evt.EVT_ACCEPTED, second, [1, 2])])
    assert trigger(assoc, evt.EVT_ACCEPTED, {}) is None
    assert calls == [("first", evt.EVT_ACCEPTED), ("second", (1, 2, True))]


def test_trigger_notification_shares_one_event_and_sets_attrs() -> None:
    seen: list[Event] = []
    assoc = FakeAssoc()
    bind_handlers(assoc.handlers, [(evt.EVT_PDU_RECV, seen.append), (evt.EVT_PDU_RECV, h1)])
    bind_handlers(assoc.handlers, [(evt.EVT_PDU_RECV, lambda e: seen.append(e))])
    trigger(assoc, evt.EVT_PDU_RECV, {"pdu": b"\x05"})
    assert len(seen) == 2 and seen[0] is seen[1]
    assert seen[0].pdu == b"\x05"  # type: ignore[attr-defined]


def test_trigger_notification_with_no_handlers_creates_nothing() -> None:
    class NoEvents(FakeAssoc):
        def get_handlers(self, event: Any) -> Any:
            return []

    assert trigger(NoEvents(), evt.EVT_ACCEPTED, {"assoc": "would fail if built"}) is None


def test_trigger_notification_logs_and_continues_after_an_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []
    assoc = FakeAssoc()

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bind_handlers(
        assoc.handlers,
        [(evt.EVT_RELEASED, broken), (evt.EVT_RELEASED, lambda e: calls.append("after"))],
    )
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        assert trigger(assoc, evt.EVT_RELEASED) is None
    assert calls == ["after"]
    messages = [r.getMessage() for r in caplog.records]
    assert "Exception raised in user's 'evt.EVT_RELEASED' event handler 'broken'" in messages
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_trigger_intervention_returns_the_handler_result() -> None:
    assoc = FakeAssoc()
    bind_handlers(assoc.handlers, [(evt.EVT_C_ECHO, lambda e, x: x + e.message_id, [0x0100])])
    req = make_c_echo_request(0x22, "1.2.840.10008.1.1")
    assert trigger(assoc, evt.EVT_C_ECHO, {"request": req}) == 0x0122


@pytest.mark.parametrize("unbound", [[], (None, None), None])
def test_trigger_intervention_falls_back_to_the_default(unbound: Any) -> None:
    class Unbound(FakeAssoc):
        def get_handlers(self, event: Any) -> Any:
            return unbound

    assert trigger(Unbound(), evt.EVT_C_ECHO, {}) == 0x0000
    with pytest.raises(NotImplementedError):
        trigger(Unbound(), evt.EVT_USER_ID, {})


def test_trigger_intervention_lets_exceptions_through() -> None:
    assoc = FakeAssoc()

    def broken(event: Event) -> int:
        raise KeyError("nope")

    bind_handlers(assoc.handlers, [(evt.EVT_C_ECHO, broken)])
    with pytest.raises(KeyError, match="nope"):
        trigger(assoc, evt.EVT_C_ECHO, {})


def test_trigger_rejects_non_events() -> None:
    with pytest.raises(TypeError):
        trigger(FakeAssoc(), "EVT_C_ECHO", {})  # type: ignore[arg-type]
