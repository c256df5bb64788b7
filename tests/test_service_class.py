"""ServiceClass helpers and every outcome of the Verification SCP's EVT_C_ECHO handler."""

from __future__ import annotations

import logging
from typing import Any, Callable

import pytest
from fastdimse import evt
from fastdimse.dimse_primitives import C_ECHO, make_c_echo_request, primitive_to_command_elements
from fastdimse.evt import PresentationContextTuple
from fastdimse.service_class import ServiceClass, VerificationServiceClass
from fastdimse.sop_class import SOPClass, Verification, uid_to_service_class, uid_to_sop_class
from fastdimse.status import GENERAL_STATUS
from pydicom.dataset import Dataset
from pydicom.uid import UID

VERIFICATION = "1.2.840.10008.1.1"
FAILED = (
    "Exception in the handler bound to 'evt.EVT_C_ECHO', responding with a "
    "default 'Status' value of 0x0000 (Success)"
)


class FakeDimse:
    def __init__(self) -> None:
        self.sent: list[tuple[C_ECHO, int]] = []
        self.cancelled: set[int] = set()

    def send_msg(self, primitive: C_ECHO, context_id: int) -> None:
        self.sent.append((primitive, context_id))

    def is_cancelled(self, msg_id: int) -> bool:
        if msg_id in self.cancelled:
            self.cancelled.discard(msg_id)
            return True
        return False


class FakeAssoc:
    def __init__(self) -> None:
        self.ae = object()
        self.dimse = FakeDimse()
        self.handlers: dict[Any, Any] = {}
        evt.bind_defaults(self.handlers)
        self.is_established = True
        self.is_released = False
        self.is_aborted = False

    def get_handlers(self, event: Any) -> Any:
        return self.handlers.get(event, [])

    def bind(self, handler: Callable[..., Any], args: list[Any] | None = None) -> None:
        evt._add_handler(evt.EVT_C_ECHO, self.handlers, (handler, args))

    def release(self) -> None:
        self.is_established = False
        self.is_released = True

    def abort(self) -> None:
        self.is_established = False
        self.is_aborted = True


class FakeContext:
    context_id = 3
    abstract_syntax = UID(VERIFICATION)
    transfer_syntax = UID("1.2.840.10008.1.2")

    @property
    def as_tuple(self) -> PresentationContextTuple:
        return PresentationContextTuple(self.context_id, self.abstract_syntax, self.transfer_syntax)


def echo(
    handler: Callable[..., Any] | None = None,
    msg_id: int = 7,
    sop_class: str = VERIFICATION,
    args: list[Any] | None = None,
) -> tuple[FakeAssoc, list[tuple[C_ECHO, int]]]:
    """Run VerificationServiceClass.SCP once; return the association and what was sent."""
    assoc = FakeAssoc()
    if handler is not None:
        assoc.bind(handler, args)
    VerificationServiceClass(assoc).SCP(make_c_echo_request(msg_id, sop_class), FakeContext())
    return assoc, assoc.dimse.sent


def sent_elements(sent: list[tuple[C_ECHO, int]]) -> list[tuple[int, Any]]:
    assert len(sent) == 1
    rsp, context_id = sent[0]
    assert context_id == 3
    return primitive_to_command_elements(rsp)


def rsp_elements(status: int, msg_id: int = 7, comment: str | None = None) -> list[Any]:
    elements: list[Any] = [
        (0x00000002, VERIFICATION),
        (0x00000100, 0x8030),
        (0x00000120, msg_id),
        (0x00000800, 0x0101),
        (0x00000900, status),
    ]
    if comment is not None:
        elements.append((0x00000902, comment))
    return elements


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


@pytest.fixture(autouse=True)
def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="fastdimse")


# --- outcomes ----------------------------------------------------------------------


def test_default_handler_answers_success(caplog: pytest.LogCaptureFixture) -> None:
    _, sent = echo(msg_id=1)
    assert sent_elements(sent) == rsp_elements(0x0000, msg_id=1)
    assert messages(caplog, logging.WARNING) == messages(caplog, logging.ERROR) == []


def test_handler_sees_the_request_and_context() -> None:
    seen: list[Any] = []

    def handler(event: evt.Event, tag: str) -> int:
        seen.append((event.event, event.message_id, event.request.AffectedSOPClassUID, tag))
        seen.append(event.context)
        return 0

    assoc, sent = echo(handler, msg_id=65535, args=["x"])
    assert seen == [
        (evt.EVT_C_ECHO, 65535, VERIFICATION, "x"),
        PresentationContextTuple(3, UID(VERIFICATION), UID("1.2.840.10008.1.2")),
    ]
    assert sent_elements(sent) == rsp_elements(0, msg_id=65535)


@pytest.mark.parametrize("status", [0x0000, 0x0122, 0x0210, 0x0211, 0x0212, 0xFE00])
def test_known_int_status_is_sent(status: int, caplog: pytest.LogCaptureFixture) -> None:
    _, sent = echo(lambda e: status)
    assert sent_elements(sent) == rsp_elements(status)
    assert messages(caplog, logging.WARNING) == []


@pytest.mark.parametrize("status", [0x0001, 0xC000, 0xFFFF, 0xB123])
def test_unknown_int_status_is_sent_with_a_warning(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    _, sent = echo(lambda e: status)
    assert sent_elements(sent) == rsp_elements(status)
    assert messages(caplog, logging.WARNING) == [
        f"Unknown 'status' value returned by the handler bound to 'evt.EVT_C_ECHO' - 0x{status:04X}"
    ]


@pytest.mark.parametrize("status", [-1, 0x10000, 2**63])
def test_unencodable_int_status_answers_success_with_an_error(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    _, sent = echo(lambda e: status)
    assert sent_elements(sent) == rsp_elements(0x0000)
    errors = messages(caplog, logging.ERROR)
    assert errors[0] == FAILED
    assert str(status) in errors[1]


def test_dataset_with_status_and_error_comment(caplog: pytest.LogCaptureFixture) -> None:
    def handler(event: evt.Event) -> Dataset:
        ds = Dataset()
        ds.Status = 0x0210
        ds.ErrorComment = "Duplicate invocation (test)"
        return ds

    _, sent = echo(handler, msg_id=1)
    assert sent_elements(sent) == rsp_elements(0x0210, 1, "Duplicate invocation (test)")
    assert messages(caplog, logging.WARNING) == []


def test_dataset_elements_the_response_lacks_are_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(event: evt.Event) -> Dataset:
        ds = Dataset()
        ds.Status = 0x0210
        ds.ErrorComment = "Duplicate invocation (test)"
        ds.ErrorID = 0x1234
        ds.MessageIDBeingRespondedTo = 99
        ds.PatientName = "X"
        return ds

    _, sent = echo(handler, msg_id=1)
    # Matches the captured pynetdicom reply: Status and ErrorComment only.
    assert sent_elements(sent) == rsp_elements(0x0210, 1, "Duplicate invocation (test)")
    prefix = (
        "The 'status' dataset returned by the handler bound to 'evt.EVT_C_ECHO' "
        "contained an unsupported Element "
    )
    assert messages(caplog, logging.WARNING) == [
        prefix + "'MessageIDBeingRespondedTo'",
        prefix + "'ErrorID'",
        prefix + "'PatientName'",
    ]


def test_dataset_with_unknown_status_warns(caplog: pytest.LogCaptureFixture) -> None:
    ds = Dataset()
    ds.Status = 0xA700
    _, sent = echo(lambda e: ds)
    assert sent_elements(sent) == rsp_elements(0xA700)
    assert messages(caplog, logging.WARNING) == [
        "Unknown 'status' value returned by the handler bound to 'evt.EVT_C_ECHO' - 0xA700"
    ]


@pytest.mark.filterwarnings("ignore:.*VR:UserWarning")
def test_dataset_with_unusable_error_comment_keeps_the_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ds = Dataset()
    ds.Status = 0x0122
    ds.ErrorComment = "x" * 65
    _, sent = echo(lambda e: ds)
    assert sent_elements(sent) == rsp_elements(0x0122)
    errors = messages(caplog, logging.ERROR)
    assert len(errors) == 1
    assert "Invalid 'ErrorComment'" in errors[0]


def _dataset_without_status() -> Dataset:
    ds = Dataset()
    ds.ErrorComment = "no status"
    return ds


def _dataset_with_empty_status() -> Dataset:
    ds = Dataset()
    ds.Status = None
    return ds


def _dataset_with_big_status() -> Dataset:
    ds = Dataset()
    ds.add_new(0x00000900, "US", 0x10000)
    return ds


def _raise(event: evt.Event) -> int:
    raise RuntimeError("handler failed")


@pytest.mark.filterwarnings("ignore:.*VR:UserWarning")
@pytest.mark.parametrize(
    "handler",
    [
        _raise,
        lambda e: None,
        lambda e: "0x0000",
        lambda e: 1.0,
        lambda e: (0, None),
        lambda e: _dataset_without_status(),
        lambda e: _dataset_with_empty_status(),
        lambda e: _dataset_with_big_status(),
    ],
    ids=[
        "raises",
        "none",
        "str",
        "float",
        "tuple",
        "dataset-without-status",
        "dataset-empty-status",
        "dataset-status-too-big",
    ],
)
def test_bad_handler_outcomes_answer_success_with_an_error(
    handler: Callable[[evt.Event], Any], caplog: pytest.LogCaptureFixture
) -> None:
    _, sent = echo(handler)
    assert sent_elements(sent) == rsp_elements(0x0000)
    errors = messages(caplog, logging.ERROR)
    assert errors[0] == FAILED
    assert len(errors) == 2


def test_exception_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    echo(_raise)
    with_exc = [r for r in caplog.records if r.exc_info]
    assert len(with_exc) == 1
    assert isinstance(with_exc[0].exc_info[1], RuntimeError)  # type: ignore[index]


@pytest.mark.parametrize("how", ["release", "abort"])
def test_nothing_is_sent_when_the_handler_ends_the_association(how: str) -> None:
    def handler(event: evt.Event) -> int:
        getattr(event.assoc, how)()
        return 0

    _, sent = echo(handler)
    assert sent == []


def test_nothing_is_sent_when_the_handler_ends_the_association_then_raises() -> None:
    def handler(event: evt.Event) -> int:
        event.assoc.abort()
        raise RuntimeError("after abort")

    _, sent = echo(handler)
    assert sent == []


@pytest.mark.parametrize(
    "state",
    [
        {"is_established": False},
        {"is_released": True},
        {"is_aborted": True},
    ],
)
def test_association_state_flags_each_stop_the_response(state: dict[str, bool]) -> None:
    def handler(event: evt.Event) -> int:
        for name, value in state.items():
            setattr(event.assoc, name, value)
        return 0

    _, sent = echo(handler)
    assert sent == []


@pytest.mark.parametrize("sop_class", ["1.2.840.10008.5.1.4.1.1.2", "1.2.3"])
def test_other_affected_sop_class_is_refused_without_calling_the_handler(
    sop_class: str, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[bool] = []

    def handler(event: evt.Event) -> int:
        called.append(True)
        return 0

    _, sent = echo(handler, sop_class=sop_class)
    assert called == []
    rsp, _ = sent[0]
    assert primitive_to_command_elements(rsp) == [
        (0x00000002, sop_class),
        (0x00000100, 0x8030),
        (0x00000120, 7),
        (0x00000800, 0x0101),
        (0x00000900, 0x0122),
    ]
    assert any(sop_class in m for m in messages(caplog, logging.ERROR))


def test_request_without_affected_sop_class_is_refused() -> None:
    assoc = FakeAssoc()
    req = C_ECHO()
    req.MessageID = 2
    VerificationServiceClass(assoc).SCP(req, FakeContext())
    rsp, _ = assoc.dimse.sent[0]
    assert primitive_to_command_elements(rsp) == [
        (0x00000100, 0x8030),
        (0x00000120, 2),
        (0x00000800, 0x0101),
        (0x00000900, 0x0122),
    ]


def test_handler_can_poll_for_cancellation() -> None:
    results: list[bool] = []

    def handler(event: evt.Event) -> int:
        results.append(event.is_cancelled)
        event.assoc.dimse.cancelled.add(event.message_id)
        results.append(event.is_cancelled)
        results.append(event.is_cancelled)
        return 0

    echo(handler, msg_id=9)
    assert results == [False, True, False]


# --- ServiceClass helpers ----------------------------------------------------------


def test_service_class_properties() -> None:
    assoc = FakeAssoc()
    service = VerificationServiceClass(assoc)
    assert service.assoc is assoc
    assert service.ae is assoc.ae
    assert service.dimse is assoc.dimse
    assert service.statuses is GENERAL_STATUS
    assert ServiceClass.statuses is GENERAL_STATUS


def test_is_cancelled_is_one_shot() -> None:
    assoc = FakeAssoc()
    assoc.dimse.cancelled.add(4)
    service = ServiceClass(assoc)
    assert service.is_cancelled(3) is False
    assert service.is_cancelled(4) is True
    assert service.is_cancelled(4) is False


def test_is_valid_status() -> None:
    service = VerificationServiceClass(FakeAssoc())
    assert all(service.is_valid_status(code) for code in GENERAL_STATUS)
    assert len(GENERAL_STATUS) == 24
    for code in (0x0001, 0xFF00, 0xC000, 0x10000, -1):
        assert not service.is_valid_status(code)


def _rsp() -> C_ECHO:
    rsp = C_ECHO()
    rsp.MessageIDBeingRespondedTo = 1
    return rsp


def test_validate_status_int(caplog: pytest.LogCaptureFixture) -> None:
    service = ServiceClass(FakeAssoc())
    assert service.validate_status(0x0122, _rsp()).Status == 0x0122
    assert messages(caplog, logging.WARNING) == []
    assert service.validate_status(0xC123, _rsp()).Status == 0xC123
    assert messages(caplog, logging.WARNING) == [
        "Unknown status value returned by callback - 0xC123"
    ]


def test_validate_status_dataset(caplog: pytest.LogCaptureFixture) -> None:
    ds = Dataset()
    ds.Status = 0x0122
    ds.ErrorComment = "nope"
    ds.ErrorID = 5
    rsp = ServiceClass(FakeAssoc()).validate_status(ds, _rsp())
    assert (rsp.Status, rsp.ErrorComment) == (0x0122, "nope")
    assert messages(caplog, logging.WARNING) == [
        "Status dataset returned by callback contained an unsupported Element 'ErrorID'"
    ]


def test_validate_status_dataset_without_status(caplog: pytest.LogCaptureFixture) -> None:
    ds = Dataset()
    ds.ErrorComment = "nope"
    rsp = ServiceClass(FakeAssoc()).validate_status(ds, _rsp())
    assert rsp.Status == 0xC001
    assert rsp.ErrorComment is None
    assert messages(caplog, logging.ERROR) == [
        "User callback returned a `Dataset` without a Status element"
    ]
    assert messages(caplog, logging.WARNING) == [
        "Unknown status value returned by callback - 0xC001"
    ]


@pytest.mark.parametrize("status", [None, "0", 1.5, -1, 0x10000])
def test_validate_status_wrong_type(status: Any, caplog: pytest.LogCaptureFixture) -> None:
    rsp = ServiceClass(FakeAssoc()).validate_status(status, _rsp())
    assert rsp.Status == 0xC002
    assert len(messages(caplog, logging.ERROR)) == 1


@pytest.mark.filterwarnings("ignore:.*VR:UserWarning")
def test_validate_status_dataset_with_unusable_status() -> None:
    for value in (None, 0x10000):
        ds = Dataset()
        ds.add_new(0x00000900, "US", value)
        assert ServiceClass(FakeAssoc()).validate_status(ds, _rsp()).Status == 0xC002


def test_base_scp_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="1.2.840.10008.1.1"):
        ServiceClass(FakeAssoc()).SCP(make_c_echo_request(1, VERIFICATION), FakeContext())


# --- SOP classes -------------------------------------------------------------------


def test_verification_sop_class() -> None:
    assert Verification == VERIFICATION
    assert isinstance(Verification, SOPClass) and isinstance(Verification, UID)
    assert Verification.name == "Verification SOP Class"
    assert Verification.keyword == "Verification"
    assert Verification.service_class is VerificationServiceClass


def test_uid_lookups() -> None:
    assert uid_to_service_class(VERIFICATION) is VerificationServiceClass
    assert uid_to_service_class("1.2.840.10008.5.1.4.1.1.2") is ServiceClass
    assert uid_to_sop_class(VERIFICATION) is Verification
    other = uid_to_sop_class("1.2.3.4")
    assert other == "1.2.3.4" and other.service_class is ServiceClass
    assert SOPClass(Verification) is Verification
