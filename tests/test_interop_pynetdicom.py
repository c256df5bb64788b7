"""Interoperability with pynetdicom 3.0.4, both directions, on loopback.

pynetdicom SCU -> our SCP: the statuses our handlers return arrive exactly, our rejections
carry the exact (result, source, diagnostic), mixed presentation context results, user identity
reaching our EVT_USER_ID handler. Our SCU -> pynetdicom SCP: statuses and ErrorComment arrive
exactly, an abort in pynetdicom's handler, pynetdicom's rejections, mixed contexts, our user
identity reaching its EVT_USER_ID handler.

pynetdicom's server takes ~0.5 s to shut down, so one pynetdicom SCP serves the whole module;
the tests that change its settings restore them.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from pydicom.dataset import Dataset

pynetdicom = pytest.importorskip("pynetdicom")
from conftest import assert_window_kept_synchronous  # noqa: E402
from fastdimse import AE, evt  # noqa: E402
from pynetdicom import AE as PAE  # noqa: E402
from pynetdicom import evt as pevt  # noqa: E402
from pynetdicom.pdu_primitives import UserIdentityNegotiation  # noqa: E402

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"

# ---------------------------------------------------------------------------------------------
# helpers


def status_ds(code: int, comment: Optional[str] = None, error_id: Optional[int] = None) -> Dataset:
    ds = Dataset()
    ds.Status = code
    if comment is not None:
        ds.ErrorComment = comment
    if error_id is not None:
        ds.ErrorID = error_id
    return ds


def elements(ds: Dataset) -> Dict[str, Any]:
    """Keyword -> value of every element of `ds` (exact comparison of a whole response)."""
    return {elem.keyword: elem.value for elem in ds}


def _requestor(
    ae_class: Any, ae_title: str, contexts: Optional[List[Tuple[str, List[str]]]]
) -> Any:
    """An SCU of either library, with the same contexts and 2 s timeouts."""
    ae = ae_class(ae_title=ae_title)
    for abstract, syntaxes in contexts or [(VERIFICATION, [IMPLICIT])]:
        ae.add_requested_context(abstract, syntaxes)
    ae.acse_timeout = 2
    ae.dimse_timeout = 2
    ae.network_timeout = 2
    return ae


def our_scu(
    ae_title: str = "OURSCU", contexts: Optional[List[Tuple[str, List[str]]]] = None
) -> Any:
    return _requestor(AE, ae_title, contexts)


def pynetdicom_scu(
    ae_title: str = "PYNDSCU", contexts: Optional[List[Tuple[str, List[str]]]] = None
) -> Any:
    return _requestor(PAE, ae_title, contexts)


def pynetdicom_associate_rejected(ae_title: str, port: int, called: str) -> Any:
    """pynetdicom's association request to a peer expected to reject it.

    pynetdicom 3.0.4 has a race of its own: after sending the A-ASSOCIATE-RQ its main thread
    checks that the socket is still connected, and when the A-ASSOCIATE-RJ arrives (and its
    reactor closes the socket, AE-4) before that check, it aborts without looking at the
    RJ (``acse._negotiate_as_requestor``). A fast acceptor makes that likely. Such a run
    has no acceptor primitive at all; it is retried, and every run where pynetdicom did
    read our answer is checked in full by the caller.
    """
    for _ in range(20):
        assoc = pynetdicom_scu(ae_title).associate("127.0.0.1", port, ae_title=called)
        if assoc.acceptor.primitive is not None or not assoc.is_aborted:
            return assoc
    raise AssertionError("pynetdicom never read the acceptor's answer in 20 attempts")


@pytest.fixture
def our_server() -> Iterator[Callable[..., Any]]:
    """Start our SCP (non-blocking); every server is shut down after the test."""
    servers: List[Any] = []

    def start(
        handlers: Optional[list] = None, syntaxes: Optional[List[str]] = None, **settings: Any
    ) -> Any:
        ae = AE(ae_title="OURSCP")
        ae.add_supported_context(VERIFICATION, syntaxes or [IMPLICIT])
        ae.acse_timeout = 2
        ae.dimse_timeout = 2
        ae.network_timeout = 2
        for key, value in settings.items():
            setattr(ae, key, value)
        server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers or [])
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()


class PynetdicomSCP:
    """One pynetdicom SCP for the module; each test installs the behaviour it needs."""

    def __init__(self) -> None:
        self.ae = PAE(ae_title="PYNDSCP")
        self.ae.add_supported_context(VERIFICATION, [IMPLICIT])
        self.ae.acse_timeout = 2
        self.ae.dimse_timeout = 2
        self.ae.network_timeout = 2
        self.echo: Callable[[Any], Any] = lambda event: 0x0000
        self.user_id: Callable[[Any], Any] = lambda event: (True, None)
        self.sop_extended: Callable[[Any], Any] = lambda event: {}
        self.sop_common: Callable[[Any], Any] = lambda event: {}
        self.server = self.ae.start_server(
            ("127.0.0.1", 0),
            block=False,
            evt_handlers=[
                (pevt.EVT_C_ECHO, lambda event: self.echo(event)),
                (pevt.EVT_USER_ID, lambda event: self.user_id(event)),
                (pevt.EVT_SOP_EXTENDED, lambda event: self.sop_extended(event)),
                (pevt.EVT_SOP_COMMON, lambda event: self.sop_common(event)),
            ],
        )
        self.port = self.server.server_address[1]

    def settle(self) -> None:
        """Wait until the associations of earlier tests have ended (their threads exit a
        little after the release or abort), so that limits count only this test's."""
        for assoc in self.ae.active_associations:
            assoc.join(5)
        assert self.ae.active_associations == []

    def reset(self) -> None:
        self.echo = lambda event: 0x0000
        self.user_id = lambda event: (True, None)
        self.sop_extended = lambda event: {}
        self.sop_common = lambda event: {}
        self.ae.require_called_aet = False
        self.ae.require_calling_aet = []
        self.ae.maximum_associations = 10


@pytest.fixture(scope="module")
def pyndscp_module() -> Iterator[PynetdicomSCP]:
    scp = PynetdicomSCP()
    try:
        yield scp
    finally:
        scp.server.shutdown()


@pytest.fixture
def pyndscp(pyndscp_module: PynetdicomSCP) -> Iterator[PynetdicomSCP]:
    pyndscp_module.reset()
    try:
        yield pyndscp_module
    finally:
        pyndscp_module.reset()


# ---------------------------------------------------------------------------------------------
# pynetdicom SCU -> our SCP


def test_pynetdicom_scu_gets_exact_statuses_from_our_handler(
    our_server: Callable[..., Any],
) -> None:
    answers = {
        1: 0x0000,
        2: 0x0122,
        3: status_ds(0x0210, "duplicate invocation"),
        4: status_ds(0xC123, "with extras", error_id=7),
        5: 0xFF00,
    }
    seen: List[Tuple[int, int, str, str]] = []

    def on_echo(event: Any) -> Any:
        seen.append(
            (
                event.message_id,
                event.context.context_id,
                event.context.abstract_syntax,
                event.context.transfer_syntax,
            )
        )
        return answers[event.message_id]

    server = our_server([(evt.EVT_C_ECHO, on_echo)])
    assoc = pynetdicom_scu().associate("127.0.0.1", server.server_address[1], ae_title="OURSCP")
    try:
        assert assoc.is_established
        responses = {msg_id: assoc.send_c_echo(msg_id=msg_id) for msg_id in answers}
    finally:
        assoc.release()
    assert assoc.is_released
    assert seen == [(m, 1, VERIFICATION, IMPLICIT) for m in answers]
    assert elements(responses[1]) == {"Status": 0x0000}
    assert elements(responses[2]) == {"Status": 0x0122}
    assert elements(responses[3]) == {"Status": 0x0210, "ErrorComment": "duplicate invocation"}
    # ErrorID is not a C-ECHO-RSP parameter (pynetdicom's C_ECHO has only ErrorComment).
    assert elements(responses[4]) == {"Status": 0xC123, "ErrorComment": "with extras"}
    assert elements(responses[5]) == {"Status": 0xFF00}


@pytest.mark.parametrize(
    "settings, scu_title, called, expected",
    [
        ({"require_called_aet": True}, "PYNDSCU", "WRONG", (1, 1, 7)),
        ({"require_calling_aet": ["ALLOWED"]}, "PYNDSCU", "OURSCP", (1, 1, 3)),
    ],
    ids=["called-aet-1-1-7", "calling-aet-1-1-3"],
)
def test_our_rejections_seen_by_pynetdicom(
    our_server: Callable[..., Any],
    settings: Dict[str, Any],
    scu_title: str,
    called: str,
    expected: Tuple[int, int, int],
) -> None:
    rejected = threading.Event()
    server = our_server([(evt.EVT_REJECTED, lambda event: rejected.set())], **settings)
    assoc = pynetdicom_associate_rejected(scu_title, server.server_address[1], called)
    assert assoc.is_rejected and not assoc.is_established
    rsp = assoc.acceptor.primitive
    assert (rsp.result, rsp.result_source, rsp.diagnostic) == expected
    assert rejected.wait(2)


def test_our_association_limit_seen_by_pynetdicom(our_server: Callable[..., Any]) -> None:
    server = our_server(maximum_associations=1)
    port = server.server_address[1]
    first = pynetdicom_scu().associate("127.0.0.1", port, ae_title="OURSCP")
    try:
        assert first.is_established
        second = pynetdicom_associate_rejected("PYNDSCU", port, "OURSCP")
        assert second.is_rejected
        rsp = second.acceptor.primitive
        assert (rsp.result, rsp.result_source, rsp.diagnostic) == (2, 3, 2)
        # The first one is unaffected.
        assert first.send_c_echo().Status == 0x0000
    finally:
        first.release()


def test_mixed_context_results_pynetdicom_scu_to_our_scp(our_server: Callable[..., Any]) -> None:
    ours: List[Any] = []
    accepted = threading.Event()

    def on_accepted(event: Any) -> None:
        ours.append(
            (
                [
                    (c.context_id, c.abstract_syntax, c.transfer_syntax[0], c.result)
                    for c in event.assoc.accepted_contexts
                ],
                [
                    (c.context_id, c.abstract_syntax, c.result)
                    for c in event.assoc.rejected_contexts
                ],
            )
        )
        accepted.set()

    server = our_server([(evt.EVT_ACCEPTED, on_accepted)])
    scu = pynetdicom_scu(
        contexts=[
            (VERIFICATION, [IMPLICIT]),
            (CT_IMAGE_STORAGE, [IMPLICIT]),
            (VERIFICATION, [EXPLICIT_BIG]),
        ]
    )
    assoc = scu.associate("127.0.0.1", server.server_address[1], ae_title="OURSCP")
    try:
        assert assoc.is_established
        assert [
            (c.context_id, c.abstract_syntax, c.transfer_syntax[0], c.result)
            for c in assoc.accepted_contexts
        ] == [(1, VERIFICATION, IMPLICIT, 0)]
        assert sorted(
            (c.context_id, c.abstract_syntax, c.result) for c in assoc.rejected_contexts
        ) == [
            (3, CT_IMAGE_STORAGE, 3),
            (5, VERIFICATION, 4),
        ]
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert accepted.wait(2)
    assert ours == [
        (
            [(1, VERIFICATION, IMPLICIT, 0)],
            [(3, CT_IMAGE_STORAGE, 3), (5, VERIFICATION, 4)],
        )
    ]


def test_pynetdicom_user_identity_reaches_our_handler(our_server: Callable[..., Any]) -> None:
    seen: List[Tuple[int, bytes, bytes]] = []

    def on_user_id(event: Any) -> Tuple[bool, Optional[bytes]]:
        seen.append((event.user_id_type, event.primary_field, event.secondary_field))
        return event.primary_field != b"mallory", b"server-token"

    server = our_server([(evt.EVT_USER_ID, on_user_id)])
    port = server.server_address[1]

    ok = UserIdentityNegotiation()
    ok.user_identity_type = 2
    ok.primary_field = b"alice"
    ok.secondary_field = b"s3cret"
    ok.positive_response_requested = False
    assoc = pynetdicom_scu().associate("127.0.0.1", port, ae_title="OURSCP", ext_neg=[ok])
    try:
        assert assoc.is_established
    finally:
        assoc.release()

    # Type 3 (Kerberos) with a positive response requested: the server response comes back.
    kerberos = UserIdentityNegotiation()
    kerberos.user_identity_type = 3
    kerberos.primary_field = b"ticket"
    kerberos.positive_response_requested = True
    assoc = pynetdicom_scu().associate("127.0.0.1", port, ae_title="OURSCP", ext_neg=[kerberos])
    try:
        assert assoc.is_established
        assert assoc.acceptor.user_identity is not None
        assert assoc.acceptor.user_identity.server_response == b"server-token"
    finally:
        assoc.release()

    bad = UserIdentityNegotiation()
    bad.user_identity_type = 1
    bad.primary_field = b"mallory"
    assoc = pynetdicom_scu().associate("127.0.0.1", port, ae_title="OURSCP", ext_neg=[bad])
    assert assoc.is_rejected
    rsp = assoc.acceptor.primitive
    assert (rsp.result, rsp.result_source, rsp.diagnostic) == (2, 2, 1)

    assert seen == [(2, b"alice", b"s3cret"), (3, b"ticket", b""), (1, b"mallory", b"")]


# ---------------------------------------------------------------------------------------------
# our SCU -> pynetdicom SCP


def test_our_scu_gets_exact_statuses_from_pynetdicom(pyndscp: PynetdicomSCP) -> None:
    answers = {
        1: 0x0000,
        2: 0x0122,
        3: status_ds(0x0210, "duplicate invocation"),
        4: status_ds(0xC000, "failed here", error_id=42),
        5: 0xB000,
    }
    seen: List[int] = []

    def on_echo(event: Any) -> Any:
        seen.append(event.request.MessageID)
        return answers[event.request.MessageID]

    pyndscp.echo = on_echo
    assoc = our_scu().associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP")
    try:
        assert assoc.is_established
        responses = {msg_id: assoc.send_c_echo(msg_id=msg_id) for msg_id in answers}
    finally:
        assoc.release()
    assert assoc.is_released and not assoc.is_established and not assoc.is_aborted
    assert seen == list(answers)
    assert elements(responses[1]) == {"Status": 0x0000}
    assert elements(responses[2]) == {"Status": 0x0122}
    assert elements(responses[3]) == {"Status": 0x0210, "ErrorComment": "duplicate invocation"}
    # pynetdicom drops ErrorID from C-ECHO responses (see tests/vectors): only what arrives.
    assert elements(responses[4]) == {"Status": 0xC000, "ErrorComment": "failed here"}
    assert elements(responses[5]) == {"Status": 0xB000}


def test_pynetdicom_aborting_in_handler(pyndscp: PynetdicomSCP) -> None:
    def on_echo(event: Any) -> int:
        event.assoc.abort()
        return 0x0000

    pyndscp.echo = on_echo
    aborted = threading.Event()
    assoc = our_scu().associate(
        "127.0.0.1",
        pyndscp.port,
        ae_title="PYNDSCP",
        evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())],
    )
    assert assoc.is_established
    rsp = assoc.send_c_echo()
    assert isinstance(rsp, Dataset) and len(rsp) == 0
    assert assoc.is_aborted and not assoc.is_established and not assoc.is_released
    assert aborted.wait(2)


@pytest.mark.parametrize(
    "setting, value, scu_title, called, expected",
    [
        ("require_called_aet", True, "OURSCU", "NOT-PYNDSCP", (1, 1, 7)),
        ("require_calling_aet", ["SOMEONE"], "OURSCU", "PYNDSCP", (1, 1, 3)),
    ],
    ids=["called-aet-1-1-7", "calling-aet-1-1-3"],
)
def test_pynetdicom_rejections_seen_by_our_scu(
    pyndscp: PynetdicomSCP,
    setting: str,
    value: Any,
    scu_title: str,
    called: str,
    expected: Tuple[int, int, int],
) -> None:
    setattr(pyndscp.ae, setting, value)
    rejected = threading.Event()
    assoc = our_scu(scu_title).associate(
        "127.0.0.1",
        pyndscp.port,
        ae_title=called,
        evt_handlers=[(evt.EVT_REJECTED, lambda e: rejected.set())],
    )
    assert assoc.is_rejected
    assert not assoc.is_established and not assoc.is_aborted and not assoc.is_released
    assert assoc.rejection == expected
    assert rejected.wait(2)
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()


def test_pynetdicom_association_limit_seen_by_our_scu(pyndscp: PynetdicomSCP) -> None:
    pyndscp.settle()
    pyndscp.ae.maximum_associations = 1
    first = our_scu().associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP")
    try:
        assert first.is_established
        second = our_scu().associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP")
        assert second.is_rejected
        assert second.rejection == (2, 3, 2)
        assert first.send_c_echo().Status == 0x0000
    finally:
        first.release()
    assert first.is_released


def test_mixed_context_results_our_scu_to_pynetdicom(pyndscp: PynetdicomSCP) -> None:
    scu = our_scu(
        contexts=[
            (VERIFICATION, [IMPLICIT]),
            (CT_IMAGE_STORAGE, [IMPLICIT]),
            (VERIFICATION, [EXPLICIT_BIG]),
        ]
    )
    assoc = scu.associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP")
    try:
        assert assoc.is_established
        assert [
            (c.context_id, c.abstract_syntax, c.transfer_syntax, c.result)
            for c in assoc.accepted_contexts
        ] == [(1, VERIFICATION, [IMPLICIT], 0)]
        assert sorted(
            (c.context_id, c.abstract_syntax, c.result) for c in assoc.rejected_contexts
        ) == [
            (3, CT_IMAGE_STORAGE, 3),
            (5, VERIFICATION, 4),
        ]
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


def test_our_user_identity_reaches_pynetdicom(pyndscp: PynetdicomSCP) -> None:
    seen: List[Tuple[int, bytes, Optional[bytes]]] = []

    def on_user_id(event: Any) -> Tuple[bool, Optional[bytes]]:
        seen.append((event.user_id_type, event.primary_field, event.secondary_field))
        return event.primary_field == b"alice", None

    pyndscp.user_id = on_user_id

    ok = UserIdentityNegotiation()
    ok.user_identity_type = 2
    ok.primary_field = b"alice"
    ok.secondary_field = b"s3cret"
    assoc = our_scu().associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP", ext_neg=[ok])
    try:
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()

    bad = UserIdentityNegotiation()
    bad.user_identity_type = 1
    bad.primary_field = b"mallory"
    assoc = our_scu().associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP", ext_neg=[bad])
    assert assoc.is_rejected
    assert assoc.rejection == (2, 2, 1)

    assert [s[:2] for s in seen] == [(2, b"alice"), (1, b"mallory")]
    assert seen[0][2] == b"s3cret"
    assert seen[1][2] in (b"", None)


def test_server_response_from_pynetdicom_reaches_our_scu(pyndscp: PynetdicomSCP) -> None:
    """A positive-response request: pynetdicom's 0x59 answer lands on our acceptor.

    pynetdicom answers with a server response only for Kerberos, SAML and JWT (3-5).
    """

    def on_user_id(event: Any) -> Tuple[bool, Optional[bytes]]:
        return True, b"ticket-for-" + event.primary_field

    pyndscp.user_id = on_user_id
    from fastdimse.pdu_primitives import UserIdentityNegotiation as OurIdentity

    rq = OurIdentity()
    rq.user_identity_type = 5
    rq.primary_field = b"alice"
    rq.positive_response_requested = True
    assoc = our_scu().associate("127.0.0.1", pyndscp.port, ae_title="PYNDSCP", ext_neg=[rq])
    try:
        assert assoc.is_established
        assert assoc.acceptor.user_identity is not None
        assert assoc.acceptor.user_identity.server_response == b"ticket-for-alice"
    finally:
        assoc.release()


# ---------------------------------------------------------------------------------------------
# SOP class (common) extended negotiation, both directions


def _extended_items(module: Any) -> List[Any]:
    """Two SOP class extended items and a common extended one, of `module`'s classes."""
    first = module.SOPClassExtendedNegotiation()
    first.sop_class_uid = "1.2.840.10008.5.1.4.1.2.2.1"
    first.service_class_application_information = b"\x01\x01\x00\x01"
    second = module.SOPClassExtendedNegotiation()
    second.sop_class_uid = "1.2.3"
    second.service_class_application_information = b"\x02"
    common = module.SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = CT_IMAGE_STORAGE
    common.service_class_uid = "1.2.840.10008.4.2"
    common.related_general_sop_class_identification = ["1.2.840.10008.5.1.4.1.1.2.1"]
    return [first, second, common]


def _recording_common(seen: Dict[str, Any]) -> Callable[[Any], Dict[str, Any]]:
    """An EVT_SOP_COMMON handler that records each item's service class and related general
    SOP classes under ``seen["items"]`` and accepts them all."""

    def on_common(event: Any) -> Dict[str, Any]:
        seen["items"] = {
            uid: (item.service_class_uid, item.related_general_sop_class_identification)
            for uid, item in event.items.items()
        }
        return event.items

    return on_common


def test_pynetdicom_extended_negotiation_answered_by_our_handler(
    our_server: Callable[..., Any],
) -> None:
    import pynetdicom.pdu_primitives as theirs

    seen: Dict[str, Any] = {}

    def on_extended(event: Any) -> Dict[str, bytes]:
        seen["app_info"] = dict(event.app_info)
        return {"1.2.840.10008.5.1.4.1.2.2.1": b"\x01\x00\x00\x00"}

    on_common = _recording_common(seen)

    server = our_server([(evt.EVT_SOP_EXTENDED, on_extended), (evt.EVT_SOP_COMMON, on_common)])
    assoc = pynetdicom_scu().associate(
        "127.0.0.1", server.server_address[1], ae_title="OURSCP", ext_neg=_extended_items(theirs)
    )
    try:
        assert assoc.is_established
        assert assoc.acceptor.sop_class_extended == {
            "1.2.840.10008.5.1.4.1.2.2.1": b"\x01\x00\x00\x00"
        }
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert seen["app_info"] == {
        "1.2.840.10008.5.1.4.1.2.2.1": b"\x01\x01\x00\x01",
        "1.2.3": b"\x02",
    }
    assert seen["items"] == {
        CT_IMAGE_STORAGE: ("1.2.840.10008.4.2", ["1.2.840.10008.5.1.4.1.1.2.1"])
    }


def test_our_extended_negotiation_answered_by_pynetdicom(pyndscp: PynetdicomSCP) -> None:
    import fastdimse.pdu_primitives as ours

    seen: Dict[str, Any] = {}

    def on_extended(event: Any) -> Dict[str, bytes]:
        seen["app_info"] = dict(event.app_info)
        return {"1.2.3": b"\x09\x09"}

    on_common = _recording_common(seen)

    pyndscp.sop_extended = on_extended
    pyndscp.sop_common = on_common
    assoc = our_scu().associate(
        "127.0.0.1", pyndscp.port, ae_title="PYNDSCP", ext_neg=_extended_items(ours)
    )
    try:
        assert assoc.is_established
        assert assoc.acceptor.sop_class_extended == {"1.2.3": b"\x09\x09"}
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert seen["app_info"] == {
        "1.2.840.10008.5.1.4.1.2.2.1": b"\x01\x01\x00\x01",
        "1.2.3": b"\x02",
    }
    assert seen["items"] == {
        CT_IMAGE_STORAGE: ("1.2.840.10008.4.2", ["1.2.840.10008.5.1.4.1.1.2.1"])
    }


# ---------------------------------------------------------------------------------------------
# the asynchronous operations window, both directions


def test_pynetdicom_scu_proposing_a_window_reads_ours(our_server: Callable[..., Any]) -> None:
    """pynetdicom proposes (8, 8): our SCP grants 8 of its requests and invokes one at a
    time, pynetdicom reads exactly that answer, and our side reports both."""
    from pynetdicom.pdu_primitives import AsynchronousOperationsWindowNegotiation as PWindow

    proposal = PWindow()
    proposal.maximum_number_operations_invoked = 8
    proposal.maximum_number_operations_performed = 8
    seen: List[Tuple[Any, Any]] = []
    accepted = threading.Event()

    def on_accepted(event: Any) -> None:
        ours = event.assoc
        seen.append((ours.requestor.asynchronous_operations, ours.acceptor.asynchronous_operations))
        accepted.set()

    port = our_server(handlers=[(evt.EVT_ACCEPTED, on_accepted)]).server_address[1]
    assoc = pynetdicom_scu().associate("127.0.0.1", port, ext_neg=[proposal])
    try:
        assert assoc.is_established
        assert assoc.acceptor.asynchronous_operations == (8, 1)
        assert accepted.wait(5)
        assert seen == [((8, 8), (8, 1))]
        assert assoc.send_c_echo(msg_id=1).Status == 0x0000
    finally:
        assoc.release()


def test_our_window_proposal_to_pynetdicom_stays_synchronous(pyndscp: PynetdicomSCP) -> None:
    """pynetdicom's SCP does not answer the proposal (it would answer (1, 1) with an
    EVT_ASYNC_OPS handler bound): our SCU then keeps one request outstanding."""
    assert_window_kept_synchronous(our_scu(), pyndscp.port, "PYNDSCP")
