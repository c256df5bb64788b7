"""The SCU side of the Python API: AE settings, associate(), Association state and operations.

Argument checks name the bad value; operations outside an established association raise;
negotiated parameters are reported as pynetdicom reports them; timeouts, refused connections,
aborts and rejections leave the Association in the state pynetdicom would; the GIL is released
while send_c_echo waits.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable, List, Optional

import fastdimse
import pytest
from fastdimse import AE, evt
from fastdimse.presentation import build_context
from pydicom.dataset import Dataset

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"


@pytest.fixture
def server(fastdimse_server: Callable[..., Any]) -> Callable[..., Any]:
    """Start our SCP (OURSCP, Verification in `syntaxes`; 2 s ACSE and DIMSE, 5 s network
    timeouts); returns the server, shut down after the test."""

    def start(
        handlers: Optional[list] = None, syntaxes: Optional[List[str]] = None, **settings: Any
    ) -> Any:
        ae = AE(ae_title="OURSCP")
        ae.add_supported_context(VERIFICATION, syntaxes or [EXPLICIT_LITTLE, IMPLICIT])
        timeouts = {"acse_timeout": 2, "dimse_timeout": 2, "network_timeout": 5}
        return fastdimse_server(ae, handlers, **{**timeouts, **settings})

    return start


def scu(*syntaxes: str, **settings: Any) -> Any:
    ae = AE(ae_title="OURSCU")
    ae.add_requested_context(VERIFICATION, list(syntaxes) or [IMPLICIT])
    ae.acse_timeout = 2
    ae.dimse_timeout = 2
    ae.network_timeout = 5
    for key, value in settings.items():
        setattr(ae, key, value)
    return ae


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# argument checks


@pytest.mark.parametrize(
    "name, value, error, text",
    [
        ("ae_title", "A" * 17, ValueError, "A" * 17),
        # pynetdicom's messages (its test_ae.py matches them): an empty or all-spaces title
        # is named by what is wrong with it, a wrong type by its type's name.
        ("ae_title", "", ValueError, "must not be an empty str"),
        ("ae_title", "    ", ValueError, "must not consist entirely of spaces"),
        ("ae_title", "BACK\\SLASH", ValueError, "BACK"),
        ("ae_title", 42, TypeError, "'int'"),
        ("maximum_pdu_size", 2**32, ValueError, str(2**32)),
        ("require_called_aet", "yes", TypeError, "'yes'"),
        ("require_calling_aet", "SINGLE", TypeError, "list"),
        ("implementation_class_uid", "not.a.uid!", ValueError, "not.a.uid!"),
        ("implementation_version_name", "X" * 17, ValueError, "X" * 17),
    ],
)
def test_ae_setting_checks_name_the_value(name: str, value: Any, error: type, text: str) -> None:
    ae = AE()
    before = getattr(ae, name)
    with pytest.raises(error) as info:
        setattr(ae, name, value)
    assert text in str(info.value)
    assert getattr(ae, name) == before


@pytest.mark.parametrize(
    "name, value, kept",
    [
        ("acse_timeout", -1, 30),
        ("dimse_timeout", -0.5, 30),
        ("network_timeout", -3, 60),
        ("connection_timeout", -2, None),
        ("connection_timeout", 0, None),
        ("acse_timeout", "5", 30),
        ("maximum_associations", 0, 1),
        ("maximum_associations", "10", 1),
        ("maximum_pdu_size", -1, 16382),
    ],
)
def test_ae_bad_setting_warns_and_uses_pynetdicoms_value(
    name: str, value: Any, kept: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """pynetdicom's setters do not raise for these: they log a warning and use the
    default (or, for maximum_pdu_size, keep the value), and its tests check that."""
    ae = AE()
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        setattr(ae, name, value)
    assert getattr(ae, name) == kept
    assert f"{name} set to" in caplog.text or "ACSE timeout set to" in caplog.text


def test_ae_defaults_are_pynetdicoms() -> None:
    ae = AE()
    assert ae.ae_title == "PYNETDICOM"
    assert (ae.acse_timeout, ae.dimse_timeout, ae.network_timeout, ae.connection_timeout) == (
        30,
        30,
        60,
        None,
    )
    assert ae.maximum_associations == 10
    assert ae.maximum_pdu_size == 16382
    assert ae.require_called_aet is False and ae.require_calling_aet == []
    assert ae.requested_contexts == [] and ae.supported_contexts == []
    # Valid edge values are accepted.
    ae.acse_timeout = 0
    ae.dimse_timeout = None
    ae.ae_title = "A" * 16
    ae.maximum_pdu_size = 0
    assert (ae.acse_timeout, ae.dimse_timeout, ae.ae_title, ae.maximum_pdu_size) == (
        0,
        None,
        "A" * 16,
        0,
    )


def test_requested_contexts_limit_is_128() -> None:
    ae = AE()
    for _ in range(128):
        ae.add_requested_context(VERIFICATION)
    assert len(ae.requested_contexts) == 128
    with pytest.raises(ValueError, match="maximum"):
        ae.add_requested_context(VERIFICATION)
    assert len(ae.requested_contexts) == 128


def test_associate_with_129_contexts_raises() -> None:
    ae = AE()
    contexts = [build_context(VERIFICATION) for _ in range(129)]
    with pytest.raises(ValueError, match="129"):
        ae.associate("127.0.0.1", 104, contexts=contexts)


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        # pynetdicom's types and messages (its test_ae.py matches them).
        ({"addr": 127}, TypeError, "'addr' must be str or tuple"),
        ({"port": 0}, ValueError, "0"),
        ({"port": 65536}, ValueError, "65536"),
        ({"port": "104"}, TypeError, "'port' must be int"),
        ({"ae_title": "C" * 17}, ValueError, "C" * 17),
        ({"max_pdu": -1}, ValueError, "-1"),
    ],
)
def test_associate_argument_checks(kwargs: dict, error: type, text: str) -> None:
    ae = scu()
    args = {"addr": "127.0.0.1", "port": 104, **kwargs}
    with pytest.raises(error) as info:
        ae.associate(**args)
    assert text in str(info.value)


def test_associate_without_requested_contexts_raises() -> None:
    with pytest.raises(RuntimeError, match="presentation context"):
        AE().associate("127.0.0.1", 104)


@pytest.mark.parametrize("msg_id", [-1, 65536, "1", 1.0, True])
def test_send_c_echo_bad_msg_id(server: Callable[..., Any], msg_id: Any) -> None:
    srv = server()
    assoc = scu().associate("127.0.0.1", srv.server_address[1])
    try:
        with pytest.raises(ValueError) as info:
            assoc.send_c_echo(msg_id=msg_id)
        assert repr(msg_id) in str(info.value)
        with pytest.raises(ValueError) as info:
            assoc.send_c_cancel(msg_id, 1)
        assert repr(msg_id) in str(info.value)
        # Nothing was sent: the association is still fine.
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


# ---------------------------------------------------------------------------------------------
# operations outside an established association


def test_operations_need_an_established_association(server: Callable[..., Any]) -> None:
    srv = server()
    assoc = scu().associate("127.0.0.1", srv.server_address[1])
    assert assoc.is_established
    assoc.release()
    assert assoc.is_released and not assoc.is_established
    with pytest.raises(RuntimeError, match="established"):
        assoc.send_c_echo()
    with pytest.raises(RuntimeError, match="established"):
        assoc.send_c_cancel(1, 1)
    # Releasing or aborting again does nothing.
    assoc.release()
    assoc.abort()
    assert assoc.is_released and not assoc.is_aborted

    aborted = scu().associate("127.0.0.1", srv.server_address[1])
    aborted.abort()
    assert aborted.is_aborted and not aborted.is_released
    with pytest.raises(RuntimeError):
        aborted.send_c_echo()


def test_refused_connection(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="fastdimse")
    assoc = scu().associate("127.0.0.1", unused_port())
    assert not assoc.is_established and not assoc.is_rejected and not assoc.is_released
    assert assoc.is_aborted
    assert assoc.accepted_contexts == [] and assoc.rejected_contexts == []
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()
    messages = [r.getMessage() for r in caplog.records]
    # pynetdicom logs this once per failed request.
    assert messages.count("Association request failed: unable to connect to remote") == 1, messages


def test_acse_timeout_when_peer_never_answers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fastdimse")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        assoc = scu(acse_timeout=0.3).associate("127.0.0.1", silent.getsockname()[1])
        elapsed = time.monotonic() - started
    assert not assoc.is_established and assoc.is_aborted and not assoc.is_rejected
    assert 0.25 <= elapsed < 2
    messages = [r.getMessage() for r in caplog.records]
    assert "ACSE timeout reached while waiting for response to association request" in messages
    assert "Aborting Association" in messages


def test_rejected_association_state(server: Callable[..., Any]) -> None:
    srv = server(require_called_aet=True)
    assoc = scu().associate("127.0.0.1", srv.server_address[1], ae_title="WRONG")
    assert assoc.is_rejected and assoc.rejection == (1, 1, 7)
    assert not assoc.is_established and not assoc.is_aborted and not assoc.is_released
    assert not assoc.is_alive()
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()


def test_no_verification_context_accepted(server: Callable[..., Any]) -> None:
    ae = AE(ae_title="OURSCP")
    ae.add_supported_context(CT_IMAGE_STORAGE, [IMPLICIT])
    srv = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        requester = AE(ae_title="OURSCU")
        requester.add_requested_context(VERIFICATION, [IMPLICIT])
        requester.add_requested_context(CT_IMAGE_STORAGE, [IMPLICIT])
        assoc = requester.associate("127.0.0.1", srv.server_address[1])
        try:
            assert assoc.is_established
            assert [(c.context_id, c.result) for c in assoc.rejected_contexts] == [(1, 3)]
            with pytest.raises(ValueError, match="Verification"):
                assoc.send_c_echo()
            assert assoc.is_established
        finally:
            assoc.release()
    finally:
        srv.shutdown()


def test_no_context_accepted_aborts(
    server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """An A-ASSOCIATE-AC that accepts nothing leaves nothing to send on: the requestor
    aborts, as pynetdicom's does (EVT_ACCEPTED, then EVT_ABORTED)."""
    caplog.set_level(logging.INFO, logger="fastdimse")
    scp_aborted = threading.Event()
    srv = server([(evt.EVT_ABORTED, lambda e: scp_aborted.set())], syntaxes=[IMPLICIT])
    events: List[str] = []
    closed = threading.Event()

    def note(event: Any) -> None:
        events.append(event.event.name)
        if event.event is evt.EVT_CONN_CLOSE:
            closed.set()

    handlers = [
        (e, note)
        for e in (evt.EVT_ACCEPTED, evt.EVT_ESTABLISHED, evt.EVT_ABORTED, evt.EVT_CONN_CLOSE)
    ]
    assoc = scu(EXPLICIT_BIG).associate("127.0.0.1", srv.server_address[1], evt_handlers=handlers)
    assert not assoc.is_established and assoc.is_aborted and not assoc.is_rejected
    assert [(c.context_id, c.result) for c in assoc.rejected_contexts] == [(1, 4)]
    assert assoc.accepted_contexts == []
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()
    assert closed.wait(2) and scp_aborted.wait(2)
    assert events == ["EVT_ACCEPTED", "EVT_ABORTED", "EVT_CONN_CLOSE"]
    messages = [r.getMessage() for r in caplog.records if r.name == "fastdimse"]
    assert "No accepted presentation contexts" in messages
    assert "Association Accepted" not in messages


def test_local_abort_log_wording(
    server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Our own abort says "Aborting Association"; the peer logs "Association Aborted".
    Neither is an A-P-ABORT (that one is the provider's)."""
    caplog.set_level(logging.INFO, logger="fastdimse")
    scp_aborted = threading.Event()
    srv = server([(evt.EVT_ABORTED, lambda e: scp_aborted.set())])
    assoc = scu().associate("127.0.0.1", srv.server_address[1])
    assoc.abort()
    assert scp_aborted.wait(2)
    messages = [r.getMessage() for r in caplog.records if r.name == "fastdimse"]
    assert messages.count("Aborting Association") == 1
    assert messages.count("Association Aborted") == 1  # the SCP's, for the A-ABORT it received
    assert "Association Aborted (A-P-ABORT)" not in messages


# ---------------------------------------------------------------------------------------------
# negotiated parameters


def test_accepted_context_details(server: Callable[..., Any]) -> None:
    srv = server(syntaxes=[EXPLICIT_LITTLE, IMPLICIT])
    ae = AE(ae_title="OURSCU")
    ae.add_requested_context(VERIFICATION, [IMPLICIT, EXPLICIT_LITTLE])  # id 1
    ae.add_requested_context(CT_IMAGE_STORAGE, [IMPLICIT])  # id 3: abstract syntax not supported
    ae.add_requested_context(VERIFICATION, [EXPLICIT_BIG])  # id 5: transfer syntax not supported
    assoc = ae.associate("127.0.0.1", srv.server_address[1], ae_title="OURSCP", max_pdu=32768)
    try:
        assert assoc.is_established
        (accepted,) = assoc.accepted_contexts
        # The acceptor's order of preference decides the transfer syntax.
        assert (
            accepted.context_id,
            accepted.abstract_syntax,
            accepted.transfer_syntax,
            accepted.result,
        ) == (
            1,
            VERIFICATION,
            [EXPLICIT_LITTLE],
            0,
        )
        assert (accepted.as_scu, accepted.as_scp) == (True, False)
        assert [(c.context_id, c.abstract_syntax, c.result) for c in assoc.rejected_contexts] == [
            (3, CT_IMAGE_STORAGE, 3),
            (5, VERIFICATION, 4),
        ]
        assert assoc.is_requestor and not assoc.is_acceptor
        assert assoc.requestor.ae_title == "OURSCU"
        assert assoc.acceptor.ae_title == "OURSCP"
        assert assoc.requestor.maximum_length == 32768
        assert assoc.acceptor.maximum_length == 16382
        assert assoc.acceptor.implementation_class_uid == fastdimse._core.IMPLEMENTATION_CLASS_UID
        assert (
            assoc.acceptor.implementation_version_name
            == fastdimse._core.IMPLEMENTATION_VERSION_NAME
        )
        assert assoc.acceptor.port == srv.server_address[1]
        assert assoc.requestor.address == "127.0.0.1"
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


def test_implementation_identity_reaches_the_peer(server: Callable[..., Any]) -> None:
    seen: List[Any] = []
    done = threading.Event()

    def on_accepted(event: Any) -> None:
        r = event.assoc.requestor
        seen.append((r.implementation_class_uid, r.implementation_version_name, r.maximum_length))
        done.set()

    srv = server([(evt.EVT_ACCEPTED, on_accepted)])
    ae = scu()
    ae.implementation_class_uid = "1.2.3.4.5"
    ae.implementation_version_name = "TEST_1"
    assoc = ae.associate("127.0.0.1", srv.server_address[1], max_pdu=0)
    assoc.release()
    assert done.wait(2)
    assert seen == [("1.2.3.4.5", "TEST_1", 0)]


# ---------------------------------------------------------------------------------------------
# responses, timeouts, aborts


def test_send_c_echo_returns_dataset_with_status(server: Callable[..., Any]) -> None:
    def on_echo(event: Any) -> Dataset:
        ds = Dataset()
        ds.Status = 0xC001
        ds.ErrorComment = f"id {event.message_id}"
        return ds

    srv = server([(evt.EVT_C_ECHO, on_echo)])
    assoc = scu().associate("127.0.0.1", srv.server_address[1])
    try:
        rsp = assoc.send_c_echo()
        assert isinstance(rsp, Dataset)
        assert [(e.tag, e.VR, e.value) for e in rsp] == [
            (0x00000900, "US", 0xC001),
            (0x00000902, "LO", "id 1"),
        ]
        assert assoc.send_c_echo(msg_id=0xFFFF).ErrorComment == "id 65535"
    finally:
        assoc.release()


def test_dimse_timeout_returns_empty_and_aborts(
    server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastdimse")
    release = threading.Event()
    scp_aborted = threading.Event()

    def slow(event: Any) -> int:
        release.wait(5)
        return 0x0000

    srv = server([(evt.EVT_C_ECHO, slow), (evt.EVT_ABORTED, lambda e: scp_aborted.set())])
    aborted = threading.Event()
    assoc = scu(dimse_timeout=0.3).associate(
        "127.0.0.1",
        srv.server_address[1],
        evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())],
    )
    try:
        started = time.monotonic()
        rsp = assoc.send_c_echo()
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert isinstance(rsp, Dataset) and len(rsp) == 0
    assert 0.25 <= elapsed < 2
    assert assoc.is_aborted and not assoc.is_established
    assert aborted.wait(2) and scp_aborted.wait(2)
    messages = [r.getMessage() for r in caplog.records]
    assert "DIMSE timeout reached while waiting for message response" in messages
    assert "Aborting Association" in messages


def test_peer_abort_seen_by_scu(
    server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastdimse")
    srv = server()
    aborted = threading.Event()
    assoc = scu().associate(
        "127.0.0.1",
        srv.server_address[1],
        evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())],
    )
    (acceptor,) = srv.active_associations
    acceptor.abort()
    assert aborted.wait(2)
    assert assoc.is_aborted and not assoc.is_established and not assoc.is_released
    assert acceptor.is_aborted
    assert "Association Aborted" in [r.getMessage() for r in caplog.records]
    assert len(assoc.accepted_contexts) == 1  # still readable after the end
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()


def test_gil_released_while_send_c_echo_waits(server: Callable[..., Any]) -> None:
    """A pure-Python thread has to make progress for the handler to answer at all."""
    progress = threading.Event()
    counter = [0]

    def worker() -> None:
        while counter[0] < 100_000:
            counter[0] += 1
        progress.set()

    def on_echo(event: Any) -> int:
        # The worker starts after send_c_echo began waiting (see below).
        return 0x0000 if progress.wait(5) else 0xC000

    srv = server([(evt.EVT_C_ECHO, on_echo)])
    assoc = scu().associate("127.0.0.1", srv.server_address[1])
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        rsp = assoc.send_c_echo()
        thread.join(5)
        assert rsp.Status == 0x0000
        assert counter[0] == 100_000
    finally:
        assoc.release()


def test_send_c_cancel_default_context(server: Callable[..., Any]) -> None:
    """Without a context ID the C-CANCEL goes on the Verification context; the SCP's
    running handler sees it."""
    started = threading.Event()
    go = threading.Event()
    received: List[Any] = []
    result: List[Any] = []

    def on_echo(event: Any) -> int:
        started.set()
        go.wait(2)
        return 0xFE00 if event.is_cancelled else 0x0000

    def on_recv(event: Any) -> None:
        received.append(
            (
                event.message.__class__.__name__,
                getattr(event.message, "MessageIDBeingRespondedTo", None),
            )
        )
        # Messages are handled in order: when the second cancel arrives the first is recorded.
        if received[-1][1] == 99:
            go.set()

    srv = server([(evt.EVT_C_ECHO, on_echo), (evt.EVT_DIMSE_RECV, on_recv)])
    assoc = scu().associate("127.0.0.1", srv.server_address[1])
    try:
        worker = threading.Thread(target=lambda: result.append(assoc.send_c_echo(msg_id=5)))
        worker.start()
        try:
            assert started.wait(2)
            assoc.send_c_cancel(5)
            assoc.send_c_cancel(99)
        finally:
            worker.join(5)
        assert received == [("C_ECHO", None), ("C_CANCEL", 5), ("C_CANCEL", 99)]
        assert result[0].Status == 0xFE00
        assert assoc.is_established
    finally:
        assoc.release()


def test_context_manager_releases(server: Callable[..., Any]) -> None:
    srv = server()
    with scu().associate("127.0.0.1", srv.server_address[1]) as assoc:
        assert assoc.send_c_echo().Status == 0x0000
    assert assoc.is_released


def test_bind_address_sets_the_local_address(fastdimse_server: Any) -> None:
    """``associate(bind_address=...)`` connects from that local address."""
    seen: List[Any] = []
    server = fastdimse_server(
        handlers=[(evt.EVT_CONN_OPEN, lambda event: seen.append(event.assoc.requestor.address))]
    )
    ae = AE(ae_title="BINDSCU")
    ae.add_requested_context(VERIFICATION)
    assoc = ae.associate("127.0.0.1", server.server_address[1], bind_address=("127.0.0.3", 0))
    try:
        assert assoc.is_established
        assert assoc.requestor.address == "127.0.0.3"
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert seen == ["127.0.0.3"]


def test_bind_address_is_checked() -> None:
    ae = AE()
    ae.add_requested_context(VERIFICATION)
    with pytest.raises(TypeError, match="bind_address"):
        ae.associate("127.0.0.1", 11112, bind_address="127.0.0.1")  # type: ignore[arg-type]
