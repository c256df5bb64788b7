"""The SCP side of the Python API, end to end over loopback.

Every outcome of the VerificationServiceClass contract (docs/migration.md, "Verification
SCP") as the SCU sees it; extra handler arguments; the Event attributes; notification events
and their order; C-CANCEL seen by a running handler; the server's active associations and
AE.shutdown(); pynetdicom's log wording under the ``fastdimse`` logger.

The SCU is fastdimse itself except where an independent reading of the wire is needed
(pynetdicom is used there).
"""

from __future__ import annotations

import datetime
import logging
import socket
import threading
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import fastdimse
import pytest
from fastdimse import AE, evt
from pydicom.dataset import Dataset

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"

NOTIFICATIONS = [
    evt.EVT_CONN_OPEN,
    evt.EVT_REQUESTED,
    evt.EVT_ACCEPTED,
    evt.EVT_REJECTED,
    evt.EVT_ESTABLISHED,
    evt.EVT_RELEASED,
    evt.EVT_ABORTED,
    evt.EVT_CONN_CLOSE,
]


def status_ds(code: Any = None, **elements: Any) -> Dataset:
    ds = Dataset()
    if code is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about out-of-range US values
            ds.Status = code
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


def elements(ds: Dataset) -> Dict[str, Any]:
    return {elem.keyword: elem.value for elem in ds}


@pytest.fixture
def server(fastdimse_server: Callable[..., Any]) -> Callable[..., Any]:
    """Start our SCP (OURSCP; 2 s ACSE and DIMSE, 5 s network timeouts); returns the
    server, shut down after the test."""

    def start(handlers: Optional[list] = None, ae: Any = None, **settings: Any) -> Any:
        if ae is None:
            ae = AE(ae_title="OURSCP")
            ae.add_supported_context(VERIFICATION, [IMPLICIT, EXPLICIT_LITTLE])
        timeouts = {"acse_timeout": 2, "dimse_timeout": 2, "network_timeout": 5}
        return fastdimse_server(ae, handlers, **{**timeouts, **settings})

    return start


def scu(**settings: Any) -> Any:
    ae = AE(ae_title="OURSCU")
    ae.add_requested_context(VERIFICATION, [IMPLICIT])
    ae.acse_timeout = 2
    ae.dimse_timeout = 2
    ae.network_timeout = 5
    for key, value in settings.items():
        setattr(ae, key, value)
    return ae


def associate(srv: Any, handlers: Optional[list] = None, **settings: Any) -> Any:
    assoc = scu(**settings).associate(
        "127.0.0.1", srv.server_address[1], ae_title="OURSCP", evt_handlers=handlers or []
    )
    assert assoc.is_established
    return assoc


# ---------------------------------------------------------------------------------------------
# handler outcomes


class Raising(Exception):
    pass


def _raise(event: Any) -> Any:
    raise Raising("handler failed")


OUTCOMES = [
    # (id, handler return value or callable, expected elements of the response, log level, log text)
    ("int-success", 0x0000, {"Status": 0x0000}, None, None),
    ("int-refused", 0x0122, {"Status": 0x0122}, None, None),
    ("int-duplicate", 0x0210, {"Status": 0x0210}, None, None),
    ("int-unknown", 0xA7FF, {"Status": 0xA7FF}, logging.WARNING, "0xA7FF"),
    ("int-max", 0xFFFF, {"Status": 0xFFFF}, logging.WARNING, "0xFFFF"),
    (
        "ds-status-comment",
        status_ds(0x0210, ErrorComment="duplicate"),
        {"Status": 0x0210, "ErrorComment": "duplicate"},
        None,
        None,
    ),
    (
        "ds-extra-elements",
        status_ds(
            0xC000,
            ErrorComment="failed",
            PatientName="Doe^John",
            ErrorID=3,
            OffendingElement=[0x00100010],
        ),
        {"Status": 0xC000, "ErrorComment": "failed"},
        logging.WARNING,
        "PatientName",
    ),
    (
        "ds-no-status",
        status_ds(None, ErrorComment="no status"),
        {"Status": 0x0000},
        logging.ERROR,
        "Status",
    ),
    ("ds-status-negative", status_ds(-1), {"Status": 0x0000}, logging.ERROR, "-1"),
    ("ds-status-too-big", status_ds(0x10000), {"Status": 0x0000}, logging.ERROR, "65536"),
    ("raises", _raise, {"Status": 0x0000}, logging.ERROR, "handler failed"),
    ("none", None, {"Status": 0x0000}, logging.ERROR, "EVT_C_ECHO"),
    ("str", "0x0000", {"Status": 0x0000}, logging.ERROR, "EVT_C_ECHO"),
    ("float", 1.5, {"Status": 0x0000}, logging.ERROR, "EVT_C_ECHO"),
    ("int-negative", -1, {"Status": 0x0000}, logging.ERROR, "-1"),
    ("int-too-big", 0x10000, {"Status": 0x0000}, logging.ERROR, "65536"),
]


@pytest.mark.parametrize(
    "answer, expected, level, text", [o[1:] for o in OUTCOMES], ids=[o[0] for o in OUTCOMES]
)
def test_handler_outcome_reaches_scu(
    server: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    answer: Any,
    expected: Dict[str, Any],
    level: Optional[int],
    text: Optional[str],
) -> None:
    calls: List[int] = []

    def on_echo(event: Any) -> Any:
        calls.append(event.message_id)
        return answer(event) if callable(answer) else answer

    caplog.set_level(logging.WARNING, logger="fastdimse")
    srv = server([(evt.EVT_C_ECHO, on_echo)])
    assoc = associate(srv)
    try:
        rsp = assoc.send_c_echo(msg_id=11)
        assert elements(rsp) == expected
        # The association is still usable afterwards: nothing was aborted.
        assert assoc.is_established
    finally:
        assoc.release()
    assert assoc.is_released
    assert calls == [11]
    if level is None:
        assert not [
            r
            for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith("fastdimse")
        ]
    else:
        matching = [r for r in caplog.records if r.levelno == level and text in r.getMessage()]
        assert matching, [(r.levelname, r.getMessage()) for r in caplog.records]


def test_default_handler_answers_success(server: Callable[..., Any]) -> None:
    srv = server()
    assoc = associate(srv)
    try:
        assert elements(assoc.send_c_echo()) == {"Status": 0x0000}
        assert elements(assoc.send_c_echo(msg_id=0)) == {"Status": 0x0000}
        assert elements(assoc.send_c_echo(msg_id=0xFFFF)) == {"Status": 0x0000}
    finally:
        assoc.release()


def test_handler_releasing_sends_nothing(server: Callable[..., Any]) -> None:
    state: List[Tuple[bool, bool]] = []
    handler_done = threading.Event()

    def on_echo(event: Any) -> int:
        event.assoc.release()
        state.append((event.assoc.is_released, event.assoc.is_established))
        handler_done.set()
        return 0x0000

    scp_released = threading.Event()
    srv = server([(evt.EVT_C_ECHO, on_echo), (evt.EVT_RELEASED, lambda e: scp_released.set())])
    scu_released = threading.Event()
    assoc = associate(srv, [(evt.EVT_RELEASED, lambda e: scu_released.set())])
    rsp = assoc.send_c_echo()
    # No response was sent: the SCU gets an empty Dataset and sees the release.
    assert elements(rsp) == {}
    assert scu_released.wait(2) and scp_released.wait(2)
    assert assoc.is_released and not assoc.is_established and not assoc.is_aborted
    assert handler_done.wait(2)
    assert state == [(True, False)]


def test_handler_aborting_sends_nothing(server: Callable[..., Any]) -> None:
    state: List[Tuple[bool, bool]] = []
    handler_done = threading.Event()

    def on_echo(event: Any) -> int:
        event.assoc.abort()
        state.append((event.assoc.is_aborted, event.assoc.is_established))
        handler_done.set()
        return 0x0000

    scu_aborted = threading.Event()
    srv = server([(evt.EVT_C_ECHO, on_echo)])
    assoc = associate(srv, [(evt.EVT_ABORTED, lambda e: scu_aborted.set())])
    rsp = assoc.send_c_echo()
    assert elements(rsp) == {}
    assert scu_aborted.wait(2)
    assert assoc.is_aborted and not assoc.is_established and not assoc.is_released
    assert handler_done.wait(2)
    assert state == [(True, False)]


# ---------------------------------------------------------------------------------------------
# handler arguments and Event attributes


def test_handler_extra_arguments(server: Callable[..., Any]) -> None:
    got: List[Tuple[Any, ...]] = []

    def on_echo(event: Any, first: str, second: Dict[str, int]) -> int:
        got.append((event.event, first, second))
        return second["status"]

    srv = server([(evt.EVT_C_ECHO, on_echo, ["one", {"status": 0x0122}])])
    assoc = associate(srv)
    try:
        assert assoc.send_c_echo().Status == 0x0122
    finally:
        assoc.release()
    assert got == [(evt.EVT_C_ECHO, "one", {"status": 0x0122})]


def test_notification_handler_extra_arguments(server: Callable[..., Any]) -> None:
    got: List[Tuple[str, int]] = []
    done = threading.Event()

    def on_established(event: Any, tag: str, number: int) -> None:
        got.append((tag, number))
        done.set()

    srv = server([(evt.EVT_ESTABLISHED, on_established, ["tag", 7])])
    assoc = associate(srv)
    assoc.release()
    assert done.wait(2)
    assert got == [("tag", 7)]


def test_echo_event_attributes(server: Callable[..., Any]) -> None:
    seen: List[Dict[str, Any]] = []

    def on_echo(event: Any) -> int:
        a = event.assoc
        seen.append(
            {
                "event": event.event,
                "is_acceptor": a.is_acceptor,
                "is_established": a.is_established,
                "requestor_aet": a.requestor.ae_title,
                "acceptor_aet": a.acceptor.ae_title,
                "context": (
                    event.context.context_id,
                    event.context.abstract_syntax,
                    event.context.transfer_syntax,
                ),
                "msg_id": event.request.MessageID,
                "message_id": event.message_id,
                "affected": event.request.AffectedSOPClassUID,
                "timestamp": event.timestamp,
                "in_active": a in srv.active_associations,
            }
        )
        return 0x0000

    srv = server([(evt.EVT_C_ECHO, on_echo)])
    ae = AE(ae_title="OURSCU")
    ae.add_requested_context("1.2.840.10008.5.1.4.1.1.2", [IMPLICIT])
    ae.add_requested_context(VERIFICATION, [EXPLICIT_LITTLE])
    before = datetime.datetime.now()
    assoc = ae.associate("127.0.0.1", srv.server_address[1], ae_title="OURSCP")
    try:
        assert assoc.is_established
        assert assoc.send_c_echo(msg_id=4242).Status == 0x0000
    finally:
        assoc.release()
    after = datetime.datetime.now()
    assert len(seen) == 1
    s = seen[0]
    assert s["event"] is evt.EVT_C_ECHO
    assert s["is_acceptor"] and s["is_established"]
    assert (s["requestor_aet"], s["acceptor_aet"]) == ("OURSCU", "OURSCP")
    assert s["context"] == (3, VERIFICATION, EXPLICIT_LITTLE)
    assert s["msg_id"] == s["message_id"] == 4242
    assert s["affected"] == VERIFICATION
    assert isinstance(s["timestamp"], datetime.datetime) and before <= s["timestamp"] <= after
    assert s["in_active"]


def test_message_id_on_a_notification_raises(server: Callable[..., Any]) -> None:
    got: List[str] = []
    done = threading.Event()

    def on_established(event: Any) -> None:
        try:
            _ = event.message_id
        except AttributeError as exc:
            got.append(str(exc))
        got.append(str(event.is_cancelled))
        done.set()

    srv = server([(evt.EVT_ESTABLISHED, on_established)])
    associate(srv).release()
    assert done.wait(2)
    assert len(got) == 2 and "Message ID" in got[0] and got[1] == "False"


# ---------------------------------------------------------------------------------------------
# notification events


def recorder(
    side: str, log: List[Tuple[str, str]], lock: threading.Lock
) -> Tuple[list, threading.Event]:
    closed = threading.Event()

    def note(event: Any) -> None:
        with lock:
            log.append((side, event.event.name))
        if event.event is evt.EVT_CONN_CLOSE:
            closed.set()

    return [(e, note) for e in NOTIFICATIONS], closed


def side(log: List[Tuple[str, str]], name: str) -> List[str]:
    return [e for s, e in log if s == name]


def test_notifications_in_order_on_release(server: Callable[..., Any]) -> None:
    log: List[Tuple[str, str]] = []
    lock = threading.Lock()
    scp_handlers, scp_closed = recorder("scp", log, lock)
    scu_handlers, scu_closed = recorder("scu", log, lock)
    srv = server(scp_handlers)
    assoc = associate(srv, scu_handlers)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert scu_closed.wait(2) and scp_closed.wait(2)
    expected = [
        "EVT_CONN_OPEN",
        "EVT_REQUESTED",
        "EVT_ACCEPTED",
        "EVT_ESTABLISHED",
        "EVT_RELEASED",
        "EVT_CONN_CLOSE",
    ]
    assert side(log, "scu") == expected
    assert side(log, "scp") == expected


@pytest.mark.parametrize("who", ["scu", "scp"])
def test_notifications_in_order_on_abort(server: Callable[..., Any], who: str) -> None:
    log: List[Tuple[str, str]] = []
    lock = threading.Lock()
    scp_handlers, scp_closed = recorder("scp", log, lock)
    scu_handlers, scu_closed = recorder("scu", log, lock)
    srv = server(scp_handlers)
    assoc = associate(srv, scu_handlers)
    if who == "scu":
        assoc.abort()
    else:
        (acceptor,) = srv.active_associations
        acceptor.abort()
    assert scu_closed.wait(2) and scp_closed.wait(2)
    expected = [
        "EVT_CONN_OPEN",
        "EVT_REQUESTED",
        "EVT_ACCEPTED",
        "EVT_ESTABLISHED",
        "EVT_ABORTED",
        "EVT_CONN_CLOSE",
    ]
    assert side(log, "scu") == expected
    assert side(log, "scp") == expected
    assert assoc.is_aborted and not assoc.is_released


def test_notifications_on_rejection(server: Callable[..., Any]) -> None:
    log: List[Tuple[str, str]] = []
    lock = threading.Lock()
    scp_handlers, scp_closed = recorder("scp", log, lock)
    scu_handlers, scu_closed = recorder("scu", log, lock)
    srv = server(scp_handlers, require_called_aet=True)
    assoc = scu().associate(
        "127.0.0.1", srv.server_address[1], ae_title="NOTYOU", evt_handlers=scu_handlers
    )
    assert assoc.is_rejected and assoc.rejection == (1, 1, 7)
    assert scu_closed.wait(2) and scp_closed.wait(2)
    assert side(log, "scu") == ["EVT_CONN_OPEN", "EVT_REQUESTED", "EVT_REJECTED", "EVT_CONN_CLOSE"]
    assert side(log, "scp") == ["EVT_CONN_OPEN", "EVT_REQUESTED", "EVT_REJECTED", "EVT_CONN_CLOSE"]


def test_server_bind_applies_to_new_associations(server: Callable[..., Any]) -> None:
    srv = server()
    first = associate(srv)
    try:
        assert first.send_c_echo().Status == 0x0000
        srv.bind(evt.EVT_C_ECHO, lambda event: 0x0122)
        second = associate(srv)
        try:
            assert second.send_c_echo().Status == 0x0122
        finally:
            second.release()
    finally:
        first.release()


# ---------------------------------------------------------------------------------------------
# C-CANCEL


def test_c_cancel_seen_once_by_running_handler(server: Callable[..., Any]) -> None:
    started = threading.Event()
    go = threading.Event()
    checks: List[Any] = []

    def on_echo(event: Any) -> int:
        started.set()
        checks.append(go.wait(5))
        # The C-CANCEL for this request has been recorded: seen once, then forgotten.
        checks.append(event.is_cancelled)
        checks.append(event.is_cancelled)
        return 0xFE00

    def on_recv(event: Any) -> None:
        # The second C-CANCEL names another request: when it is received, the core has
        # finished with the first one (messages are handled in order).
        if getattr(event.message, "MessageIDBeingRespondedTo", None) == 99:
            go.set()

    srv = server([(evt.EVT_C_ECHO, on_echo), (evt.EVT_DIMSE_RECV, on_recv)])
    assoc = associate(srv)
    try:
        result: List[Dataset] = []
        worker = threading.Thread(target=lambda: result.append(assoc.send_c_echo(msg_id=7)))
        worker.start()
        try:
            assert started.wait(5)
            context_id = assoc.accepted_contexts[0].context_id
            assoc.send_c_cancel(7, context_id)
            assoc.send_c_cancel(99, context_id)
        finally:
            worker.join(5)
        assert not worker.is_alive()
        assert checks == [True, True, False]
        assert elements(result[0]) == {"Status": 0xFE00}
        # A C-CANCEL never aborts the association.
        assert assoc.is_established
        assert assoc.send_c_echo(msg_id=8).Status == 0xFE00
        assert checks[3:] == [True, False, False]
    finally:
        assoc.release()
    assert assoc.is_released


def test_is_cancelled_false_without_cancel(server: Callable[..., Any]) -> None:
    checks: List[bool] = []

    def on_echo(event: Any) -> int:
        checks.append(event.is_cancelled)
        return 0x0000

    srv = server([(evt.EVT_C_ECHO, on_echo)])
    assoc = associate(srv)
    try:
        assert assoc.send_c_echo(msg_id=3).Status == 0x0000
    finally:
        assoc.release()
    assert checks == [False]


# ---------------------------------------------------------------------------------------------
# server and AE


def test_the_acceptor_is_established_once_the_requestor_holds_the_ac(
    server: Callable[..., Any],
) -> None:
    """The acceptor's side is marked established before its A-ASSOCIATE-AC goes out, so
    the moment associate() returns, the server lists it as established (it used to be
    marked after the write, and a fast requestor could look in between)."""
    srv = server()
    ae = scu()
    port = srv.server_address[1]
    for _ in range(300):
        assoc = ae.associate("127.0.0.1", port)
        assert assoc.is_established
        ours = [a for a in srv.active_associations if a.requestor.port == assoc.requestor.port]
        assert [a.is_established for a in ours] == [True]
        assoc.release()


def test_active_associations_and_server_shutdown(server: Callable[..., Any]) -> None:
    srv = server()
    assert srv.active_associations == []
    aborted = threading.Event()
    a1 = associate(srv)
    a2 = associate(srv, [(evt.EVT_ABORTED, lambda e: aborted.set())])
    active = srv.active_associations
    assert len(active) == 2
    assert all(a.is_acceptor and a.is_established for a in active)
    assert sorted(a.requestor.port for a in active) == sorted(
        [a1.requestor.port, a2.requestor.port]
    )
    a1.release()
    # Releasing one leaves the other. (The released one may stay listed until its connection
    # is closed, as a pynetdicom association thread does, but it is no longer established.)
    assert a1.is_released
    remaining = [a for a in srv.active_associations if a.is_established]
    assert [a.requestor.port for a in remaining] == [a2.requestor.port]
    srv.shutdown()
    # Shutting down aborts the open associations.
    assert aborted.wait(2)
    assert a2.is_aborted
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=1).close()


def test_ae_shutdown_stops_every_server() -> None:
    ae = AE(ae_title="OURSCP")
    ae.add_supported_context(VERIFICATION)
    s1 = ae.start_server(("127.0.0.1", 0), block=False)
    s2 = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        aborted = threading.Event()
        held = associate(s1, [(evt.EVT_ABORTED, lambda e: aborted.set())])
        assert len(ae.active_associations) == 1
        ae.shutdown()
        assert aborted.wait(2)
        assert held.is_aborted
        for srv in (s1, s2):
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=1).close()
        assert ae.active_associations == []
    finally:
        s1.shutdown()
        s2.shutdown()


# ---------------------------------------------------------------------------------------------
# logging


def test_pynetdicom_log_wording_at_info(
    server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastdimse")
    scp_aborted = threading.Event()
    srv = server([(evt.EVT_ABORTED, lambda e: scp_aborted.set())])
    assoc = associate(srv)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    other = associate(srv)
    other.abort()
    assert scp_aborted.wait(2)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("fastdimse")]
    for text in (
        "Requesting Association",
        "Accepting Association",
        "Association Accepted",
        "Sending Echo Request: MsgID 1",
        "Received Echo Request (MsgID 1)",
        "Received Echo Response (Status: Success)",
        "Releasing Association",
        "Association Released",
        "Aborting Association",
        "Association Aborted",
    ):
        assert text in messages, (text, messages)
    assert all(r.levelno >= logging.INFO for r in caplog.records)


def test_log_level_changes_are_seen_by_the_core(
    server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Records from the Rust core follow the Python level even when it is lowered after
    the core has logged (its log bridge caches levels: they must be refreshed)."""
    fastdimse._core.reset_log_cache()  # start as a fresh process would
    caplog.set_level(logging.WARNING, logger="fastdimse")
    srv = server()  # the core logs "Listening on" (DEBUG): the level is cached here
    associate(srv).release()
    assert not [r for r in caplog.records if r.getMessage() == "Association Accepted"]
    caplog.set_level(logging.INFO, logger="fastdimse")
    associate(srv).release()
    assert [r for r in caplog.records if r.getMessage() == "Association Accepted"]
    assert not [r for r in caplog.records if r.levelno < logging.INFO]
    caplog.set_level(logging.DEBUG, logger="fastdimse")
    second = server()
    assert [
        r
        for r in caplog.records
        if r.getMessage() == f"Listening on 127.0.0.1:{second.server_address[1]}"
    ]


def test_debug_logger_shows_core_debug_records(
    server: Callable[..., Any], capfd: pytest.CaptureFixture[str]
) -> None:
    logger = logging.getLogger("fastdimse")
    parent = logging.getLogger("pynetdicom")  # debug_logger() configures this one
    level, handlers = logger.level, list(logger.handlers)
    parent_level, parent_handlers = parent.level, list(parent.handlers)
    try:
        fastdimse._core.reset_log_cache()
        logger.setLevel(logging.WARNING)
        srv = server()
        associate(srv).release()
        assert "Association Accepted" not in capfd.readouterr().err
        fastdimse.debug_logger()
        associate(srv).release()
        second = server()
        err = capfd.readouterr().err
        assert "I: Association Accepted" in err
        # A DEBUG record of the core, logged before start_server() returns.
        assert f"D: Listening on 127.0.0.1:{second.server_address[1]}" in err
    finally:
        logger.setLevel(level)
        logger.handlers = handlers
        parent.setLevel(parent_level)
        parent.handlers = parent_handlers


def test_dimse_events_carry_every_field_of_the_echo(server: Callable[..., Any]) -> None:
    """EVT_DIMSE_RECV / EVT_DIMSE_SENT on both ends hand over the C-ECHO primitives with
    the values on the wire (and the SCU's request and response pair up)."""
    seen: List[Tuple[str, str, Any]] = []

    def record(side: str) -> Callable[[Any], None]:
        def on(event: Any) -> None:
            m = event.message
            fields = ("MessageID", "MessageIDBeingRespondedTo", "AffectedSOPClassUID", "Status")
            seen.append((side, event.event.name, tuple(getattr(m, f) for f in fields)))

        return on

    def on_echo(event: Any) -> int:
        return 0x0110

    srv = server(
        [
            (evt.EVT_C_ECHO, on_echo),
            (evt.EVT_DIMSE_RECV, record("scp")),
            (evt.EVT_DIMSE_SENT, record("scp")),
        ]
    )
    assoc = associate(
        srv, handlers=[(evt.EVT_DIMSE_RECV, record("scu")), (evt.EVT_DIMSE_SENT, record("scu"))]
    )
    try:
        assert assoc.send_c_echo(msg_id=321).Status == 0x0110
    finally:
        assoc.release()
    # release() returned: every notification before the release on both ends has run.
    rq = (321, None, VERIFICATION, None)
    rsp = (None, 321, VERIFICATION, 0x0110)
    assert len(seen) == 4
    assert {(side, name): fields for side, name, fields in seen} == {
        ("scu", "EVT_DIMSE_SENT"): rq,
        ("scp", "EVT_DIMSE_RECV"): rq,
        ("scp", "EVT_DIMSE_SENT"): rsp,
        ("scu", "EVT_DIMSE_RECV"): rsp,
    }


# ---------------------------------------------------------------------------------------------
# a handler that is itself an SCU (a gateway that checks the node behind it)


def test_handler_that_echoes_the_node_behind_it_relays_its_status(
    server: Callable[..., Any],
) -> None:
    """The handler runs on the server's handler threads and requests its own association,
    which runs on the I/O thread for requested associations: eight clients at once all get
    the status of the node behind the gateway, and every association ends released."""
    upstream = server([(evt.EVT_C_ECHO, lambda event: 0x0122)])
    upstream_port = upstream.server_address[1]
    relay_ae = scu()
    relayed: List[int] = []
    lock = threading.Lock()

    def relay(event: Any) -> int:
        behind = relay_ae.associate("127.0.0.1", upstream_port, ae_title="OURSCP")
        assert behind.is_established
        status = int(behind.send_c_echo().Status)
        behind.release()
        assert behind.is_released
        with lock:
            relayed.append(status)
        return status

    gateway = server([(evt.EVT_C_ECHO, relay)])
    results: List[Tuple[int, bool]] = []

    def client() -> None:
        assoc = associate(gateway)
        status = int(assoc.send_c_echo().Status)
        assoc.release()
        with lock:
            results.append((status, assoc.is_released))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert results == [(0x0122, True)] * 8
    assert relayed == [0x0122] * 8
