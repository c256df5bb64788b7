"""What pynetdicom users read back from an association and its logs: the A-ASSOCIATE-RQ as
``requestor.primitive``, ``requested_contexts``, ``local``/``remote``, the ``-d`` parameter
dumps, the server's ``address_info``, and the state a release leaves both ends in."""

from __future__ import annotations

import logging
import socket
from typing import Any, Iterator, List

import pytest
from fastdimse import AE, evt
from fastdimse.association import Association
from fastdimse.pdu_primitives import SCP_SCU_RoleSelectionNegotiation, UserIdentityNegotiation
from fastdimse.sop_class import Verification

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"


@pytest.fixture
def server() -> Iterator[Any]:
    """A Verification SCP on a free loopback port, recording its associations."""
    seen: List[Any] = []
    ae = AE(ae_title="DETAILS-SCP")
    ae.add_supported_context(Verification)
    scp = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_ESTABLISHED, lambda event: seen.append(event.assoc))],
    )
    scp.seen = seen
    yield scp
    scp.shutdown()


def test_acceptor_reads_the_request_as_sent(server: Any) -> None:
    ae = AE(ae_title="  PADDED  ")
    ae.add_requested_context(Verification, [EXPLICIT_LE, IMPLICIT_LE])
    assoc = ae.associate("127.0.0.1", server.server_address[1], ae_title="CALLED")
    assert assoc.is_established
    # Our end keeps the padding it was given; the wire does not carry it.
    assert ae.ae_title == "  PADDED  "
    assert assoc.requestor.requested_contexts[0].context_id == 1
    assert assoc.requestor.primitive.called_ae_title == "CALLED"
    assoc.release()
    (child,) = server.seen
    primitive = child.requestor.primitive
    assert primitive.calling_ae_title == "PADDED"
    assert primitive.called_ae_title == "CALLED"
    (cx,) = primitive.presentation_context_definition_list
    assert (cx.context_id, cx.abstract_syntax) == (1, Verification)
    assert cx.transfer_syntax == [EXPLICIT_LE, IMPLICIT_LE]
    assert child.requestor.extended_negotiation == []
    assert child.remote["ae_title"] == "PADDED"
    assert child.local["mode"] == "acceptor"
    assert assoc.remote["port"] == server.server_address[1]


def test_association_mode_as_pynetdicom() -> None:
    with pytest.raises(ValueError, match="Invalid association `mode` value"):
        Association(None, "nope")  # type: ignore[arg-type]
    assoc = Association(AE(), "acceptor")
    assert assoc.is_acceptor
    assert not assoc.is_aborted and not assoc.is_established
    assert assoc.remote == {"ae_title": "", "address": None, "port": None, "mode": "requestor"}


def test_release_by_the_acceptor_leaves_the_requestor_released(server: Any) -> None:
    ae = AE()
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", server.server_address[1])
    assert assoc.is_established
    server.active_associations[0].release()
    # The acceptor's release() returns once it holds the A-RELEASE-RP: the requestor is
    # released by then.
    assert assoc.is_released


def test_debug_dumps_of_the_associate_pdus(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ae = AE()
    ae.add_requested_context(Verification)
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.primary_field = b"alice"
    identity.secondary_field = b"s3cret"
    with caplog.at_level(logging.DEBUG, logger="fastdimse"):
        assoc = ae.associate("127.0.0.1", server.server_address[1], ext_neg=[identity])
        assert assoc.is_established
        assoc.send_c_echo()
        assoc.release()
    text = caplog.text
    for line in (
        "Request Parameters:",
        " OUTGOING A-ASSOCIATE-RQ PDU ",
        " INCOMING A-ASSOCIATE-RQ PDU ",
        "Accept Parameters:",
        " OUTGOING A-ASSOCIATE-AC PDU ",
        " INCOMING A-ASSOCIATE-AC PDU ",
        "    Abstract Syntax: =Verification SOP Class",
        "    Accepted Transfer Syntax: =Implicit VR Little Endian",
        "  Username: [alice]",
        'pydicom.read_dataset() TransferSyntax="Little Endian Implicit"',
    ):
        assert line in text, line
    # A password is never logged, only its length.
    assert "s3cret" not in text
    assert "Password: (not dumped) length: 6" in text


def test_role_selection_item_in_ext_neg_is_proposed() -> None:
    ae = AE()
    ae.add_supported_context(Verification, scu_role=True, scp_role=True)
    ae.add_requested_context(Verification)
    scp = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        role = SCP_SCU_RoleSelectionNegotiation()
        role.sop_class_uid = Verification
        role.scp_role = True
        assoc = ae.associate("127.0.0.1", scp.server_address[1], ext_neg=[role])
        assert assoc.is_established
        cx = assoc.accepted_contexts[0]
        assert (cx.as_scu, cx.as_scp) == (False, True)
        assoc.release()
    finally:
        scp.shutdown()


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
def test_address_info() -> None:
    ae = AE()
    ae.add_supported_context(Verification)
    scp = ae.start_server(("::1", 0, 1, 2), block=False)
    try:
        info = scp.address_info
        assert info.is_ipv6 and not info.is_ipv4
        assert (info.flowinfo, info.scope_id) == (1, 2)
        assert info.port == scp.server_address[1]
    finally:
        scp.shutdown()
