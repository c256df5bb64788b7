"""Connection and data events (EVT_CONN_OPEN/CLOSE, EVT_DATA_RECV/SENT) and the server's
socket, get_events() and get_handlers(), with exact values: addresses, PDU bytes."""

from __future__ import annotations

import logging
import struct
import threading
from typing import Any, List, Tuple

import pytest
from conftest import VERIFICATION, free_port
from fastdimse import AE, evt

RELEASE_RQ = b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00"
RELEASE_RP = b"\x06\x00\x00\x00\x00\x04\x00\x00\x00\x00"


def _element(tag: int, value: bytes) -> bytes:
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value


def _command_pdu(elements: List[Tuple[int, bytes]]) -> bytes:
    """The P-DATA-TF of one command set (implicit VR little endian, one last fragment, on
    presentation context 1), built by hand from PS3.7 and PS3.8 9.3.5."""
    body = b"".join(_element(tag, value) for tag, value in elements)
    command = _element(0x00000000, struct.pack("<I", len(body))) + body
    pdv = struct.pack(">I", len(command) + 2) + b"\x01\x03" + command
    return b"\x04\x00" + struct.pack(">I", len(pdv)) + pdv


UID = b"1.2.840.10008.1.1\x00"
ECHO_RQ = _command_pdu(
    [
        (0x00000002, UID),
        (0x00000100, struct.pack("<H", 0x0030)),
        (0x00000110, struct.pack("<H", 1)),
        (0x00000800, struct.pack("<H", 0x0101)),
    ]
)
ECHO_RSP = _command_pdu(
    [
        (0x00000002, UID),
        (0x00000100, struct.pack("<H", 0x8030)),
        (0x00000120, struct.pack("<H", 1)),
        (0x00000800, struct.pack("<H", 0x0101)),
        (0x00000900, struct.pack("<H", 0x0000)),
    ]
)


class Recorder:
    """A handler that records (event name, value of `attr`) under a lock."""

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.seen: List[Tuple[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        with self._lock:
            self.seen.append((event.event.name, getattr(event, self.attr)))

    def values(self, name: str) -> List[Any]:
        with self._lock:
            return [value for seen, value in self.seen if seen == name]


def _requestor() -> AE:
    ae = AE(ae_title="FASTSCU")
    ae.add_requested_context(VERIFICATION)
    return ae


def _wait_closed(server: Any) -> None:
    """Until the server's associations have ended (their handlers have all run)."""
    done = threading.Event()
    for _ in range(200):
        if not server.active_associations:
            return
        done.wait(0.025)
    raise AssertionError("the server's association did not end")


def test_conn_events_carry_the_peer_address_in_both_roles(fastdimse_server: Any) -> None:
    acceptor = Recorder("address")
    server = fastdimse_server(
        handlers=[(evt.EVT_CONN_OPEN, acceptor), (evt.EVT_CONN_CLOSE, acceptor)]
    )
    server_port = server.server_address[1]
    client_port = free_port()
    requestor = Recorder("address")
    assoc = _requestor().associate(
        "127.0.0.1",
        server_port,
        bind_address=("127.0.0.1", client_port),
        evt_handlers=[(evt.EVT_CONN_OPEN, requestor), (evt.EVT_CONN_CLOSE, requestor)],
    )
    assert assoc.is_established
    assoc.release()
    _wait_closed(server)
    # The acceptor sees the requestor's (host, port), the requestor the acceptor's.
    assert acceptor.seen == [
        ("EVT_CONN_OPEN", ("127.0.0.1", client_port)),
        ("EVT_CONN_CLOSE", ("127.0.0.1", client_port)),
    ]
    assert requestor.seen == [
        ("EVT_CONN_OPEN", ("127.0.0.1", server_port)),
        ("EVT_CONN_CLOSE", ("127.0.0.1", server_port)),
    ]


@pytest.mark.parametrize("python_echo_handler", [False, True])
def test_data_events_carry_each_pdu_in_order(
    fastdimse_server: Any, python_echo_handler: bool
) -> None:
    """Every PDU of an echo, byte for byte, on both sides. With a Python EVT_C_ECHO handler
    the response is sent from the handler's thread: it still gets its EVT_DATA_SENT."""
    acceptor = Recorder("data")
    handlers: List[Any] = [(evt.EVT_DATA_RECV, acceptor), (evt.EVT_DATA_SENT, acceptor)]
    if python_echo_handler:
        handlers.append((evt.EVT_C_ECHO, lambda event: 0x0000))
    server = fastdimse_server(handlers=handlers)
    requestor = Recorder("data")
    assoc = _requestor().associate(
        "127.0.0.1",
        server.server_address[1],
        evt_handlers=[(evt.EVT_DATA_RECV, requestor), (evt.EVT_DATA_SENT, requestor)],
    )
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    _wait_closed(server)

    sent = requestor.values("EVT_DATA_SENT")
    received = requestor.values("EVT_DATA_RECV")
    assert [pdu[:1] for pdu in sent] == [b"\x01", b"\x04", b"\x05"]
    assert sent[1:] == [ECHO_RQ, RELEASE_RQ]
    assert [pdu[:1] for pdu in received] == [b"\x02", b"\x04", b"\x06"]
    assert received[1:] == [ECHO_RSP, RELEASE_RP]
    assert all(isinstance(pdu, bytes) for pdu in sent + received)
    # Each PDU whole: its header's length is the rest.
    for pdu in sent + received:
        assert struct.unpack(">I", pdu[2:6])[0] == len(pdu) - 6
    # What one side sent is what the other received, in the same order.
    assert acceptor.values("EVT_DATA_RECV") == sent
    assert acceptor.values("EVT_DATA_SENT") == received


def test_data_events_bound_and_unbound_on_a_live_association(fastdimse_server: Any) -> None:
    server = fastdimse_server()
    assoc = _requestor().associate("127.0.0.1", server.server_address[1])
    assert assoc.is_established
    on_server = Recorder("data")
    on_client = Recorder("data")
    server.bind(evt.EVT_DATA_RECV, on_server)
    assoc.bind(evt.EVT_DATA_SENT, on_client)
    assert assoc.send_c_echo().Status == 0x0000
    server.unbind(evt.EVT_DATA_RECV, on_server)
    assoc.unbind(evt.EVT_DATA_SENT, on_client)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    _wait_closed(server)
    assert on_client.values("EVT_DATA_SENT") == [ECHO_RQ]
    assert on_server.values("EVT_DATA_RECV") == [ECHO_RQ]


def test_a_raising_data_handler_is_logged_and_the_association_goes_on(
    fastdimse_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(event: Any) -> None:
        raise NotImplementedError("Exception description")

    server = fastdimse_server(handlers=[(evt.EVT_DATA_SENT, handle), (evt.EVT_DATA_RECV, handle)])
    with caplog.at_level(logging.ERROR):
        assoc = _requestor().associate("127.0.0.1", server.server_address[1])
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
        assert assoc.is_released
        _wait_closed(server)
    for name in ("EVT_DATA_SENT", "EVT_DATA_RECV"):
        assert f"Exception raised in user's 'evt.{name}' event handler 'handle'" in caplog.text
    assert "Exception description" in caplog.text


def test_server_socket_get_events_and_get_handlers() -> None:
    def handle(event: Any) -> None:
        pass

    ae = AE()
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_DATA_SENT, handle), (evt.EVT_CONN_OPEN, handle)],
    )
    try:
        assert server.socket.getsockname() == server.server_address
        assert server.socket.fileno() != -1
        events = server.get_events()
        # Sorted by name; intervention events always have a handler (their default).
        assert [e.name for e in events] == sorted(e.name for e in events)
        assert evt.EVT_DATA_SENT in events and evt.EVT_CONN_OPEN in events
        assert evt.EVT_C_ECHO in events and evt.EVT_DATA_RECV not in events
        assert server.get_handlers(evt.EVT_DATA_SENT) == [(handle, None)]
        # Closing the socket object does not stop the server (the listener is the core's).
        server.socket.close()
        assoc = _requestor().associate("127.0.0.1", server.server_address[1])
        assert assoc.is_established
        assoc.release()
    finally:
        server.shutdown()
    assert server.socket.fileno() == -1
    assert not server._core.is_running


def test_shutdown_closes_the_server_socket() -> None:
    ae = AE()
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    port = server.server_address[1]
    assert server.socket.fileno() != -1
    server.shutdown()
    assert server.socket.fileno() == -1
    # Nothing listens any more: neither the core's listener nor the duplicate.
    assoc = _requestor().associate("127.0.0.1", port)
    assert not assoc.is_established
