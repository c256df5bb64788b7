"""Names and behaviours pynetdicom users rely on, kept by fastdimse.

Each is something pynetdicom's own test suite (run by ``tests/pynetdicom_suite``) found
missing or different: socket failures are ``OSError``, the ``_config`` switches exist,
user information primitives print as pynetdicom's, the implementation constants exist under
pynetdicom's names.
"""

from __future__ import annotations

import socket

import fastdimse
import pytest
from fastdimse import AE, _config
from fastdimse.exceptions import FastDimseError, NetworkError
from fastdimse.pdu_primitives import (
    AsynchronousOperationsWindowNegotiation,
    UserIdentityNegotiation,
)

VERIFICATION = "1.2.840.10008.1.1"


def test_address_in_use_is_an_oserror_with_errno() -> None:
    """pynetdicom lets ``OSError: [Errno 98] Address already in use`` through; code that
    catches OSError must keep catching ours, and FastDimseError still catches it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ae = AE()
        ae.add_supported_context(VERIFICATION)
        with pytest.raises(OSError) as info:
            ae.start_server(("127.0.0.1", taken.getsockname()[1]), block=False)
    assert isinstance(info.value, NetworkError)
    assert isinstance(info.value, FastDimseError)
    assert info.value.errno == 98
    assert str(info.value) == "[Errno 98] Address already in use"


def test_config_switches_exist_with_pynetdicom_defaults() -> None:
    import pynetdicom._config as theirs

    for name in (
        "LOG_HANDLER_LEVEL",
        "ENFORCE_UID_CONFORMANCE",
        "USE_SHORT_DIMSE_AET",
        "LOG_RESPONSE_IDENTIFIERS",
        "LOG_REQUEST_IDENTIFIERS",
        "STORE_SEND_CHUNKED_DATASET",
        "STORE_RECV_CHUNKED_DATASET",
        "PASS_CONTEXTVARS",
        "WINDOWS_TIMER_RESOLUTION",
        "CODECS",
        "UNRESTRICTED_STORAGE_SERVICE",
    ):
        assert getattr(_config, name) == getattr(theirs, name), name
    assert set(_config.VALIDATORS) == {"AE", "UI"}


def test_config_validators(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config.VALIDATORS["AE"]("ECHOSCU") == (True, "")
    assert _config.VALIDATORS["AE"]("A" * 17)[0] is False
    assert _config.VALIDATORS["AE"]("A\\B")[0] is False
    assert _config.VALIDATORS["UI"]("1.2.04") == (True, "")
    assert _config.VALIDATORS["UI"]("")[0] is False
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", True)
    assert _config.VALIDATORS["UI"]("1.2.04") == (False, "UID is non-conformant")


def test_user_information_primitives_print_as_pynetdicom() -> None:
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = 10
    window.maximum_number_operations_performed = 0
    assert "invoked: 10" in str(window) and "performed: 0" in str(window)

    identity = UserIdentityNegotiation()
    identity.user_identity_type = 1
    identity.positive_response_requested = True
    identity.primary_field = b"user"
    text = str(identity)
    assert "User identity type: 1" in text and "requested: True" in text
    assert "Primary field: b'user'" in text
    with pytest.raises(TypeError):
        identity.user_identity_type = "a"  # type: ignore[assignment]
    with pytest.raises(ValueError):
        identity.user_identity_type = 6


def test_implementation_constants_under_pynetdicom_names() -> None:
    """The constants exist, and hold what fastdimse announces (not pynetdicom's values)."""
    ae = AE()
    assert fastdimse.PYNETDICOM_IMPLEMENTATION_UID == ae.implementation_class_uid
    assert fastdimse.PYNETDICOM_IMPLEMENTATION_VERSION == ae.implementation_version_name


def test_enforced_uid_conformance_refuses_in_primitives(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastdimse.dimse_primitives import C_ECHO

    primitive = C_ECHO()
    primitive.AffectedSOPClassUID = "abc"  # accepted (with a warning) by default
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", True)
    with pytest.raises(ValueError, match="non-conformant"):
        primitive.AffectedSOPClassUID = "abc"
    primitive.AffectedSOPClassUID = VERIFICATION
    assert primitive.AffectedSOPClassUID == VERIFICATION


def test_positive_response_requested_is_a_bool() -> None:
    identity = UserIdentityNegotiation()
    assert identity.positive_response_requested is False
    identity.positive_response_requested = True
    with pytest.raises(TypeError):
        identity.positive_response_requested = "yes"  # type: ignore[assignment]
    assert identity.positive_response_requested is True
