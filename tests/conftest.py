"""Shared fixtures: free ports, servers that stop themselves, real peers when installed."""

from __future__ import annotations

import shutil
import socket
import threading
from typing import Any, Callable, Iterator, List

import pytest

VERIFICATION = "1.2.840.10008.1.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def fastdimse_server() -> Iterator[Callable[..., Any]]:
    """Start fastdimse servers (non-blocking) that are shut down after the test.

    ``fastdimse_server(ae=None, handlers=None, **ae_settings)`` returns the server; its
    port is ``server.server_address[1]``.
    """
    from fastdimse import AE

    servers: List[Any] = []

    def start(ae: Any = None, handlers: Any = None, **settings: Any) -> Any:
        if ae is None:
            ae = AE(ae_title="FASTSCP")
            ae.add_supported_context(VERIFICATION)
        for key, value in settings.items():
            setattr(ae, key, value)
        server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers or [])
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()


class HeldHandler:
    """An EVT_C_ECHO handler that holds every request until `release()`: `entered` is set
    once a request is inside it. For tests of what happens while a request is in flight."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._go = threading.Event()

    def __call__(self, event: Any) -> int:
        self.entered.set()
        self._go.wait(5)
        return 0x0000

    def release(self) -> None:
        self._go.set()


def assert_window_kept_synchronous(ae: Any, port: int, called: str) -> None:
    """`ae` proposes a window of (8, 8) to a peer that does not answer it: the association
    is one request at a time, (1, 1), so the core refuses two requests in flight and
    serves one at a time, and the association is released normally."""
    from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation

    proposal = AsynchronousOperationsWindowNegotiation()
    proposal.maximum_number_operations_invoked = 8
    proposal.maximum_number_operations_performed = 8
    assoc = ae.associate("127.0.0.1", port, ae_title=called, ext_neg=[proposal])
    try:
        assert assoc.is_established
        assert assoc._core.info()["async_ops_window"] is None
        assert assoc.acceptor.asynchronous_operations == (1, 1)
        with pytest.raises(ValueError, match="window of 1, not 2"):
            assoc._core.echo_many(2, 1, 2)
        assert assoc._core.echo_many(3, 1, 1) == 3
    finally:
        assoc.release()
    assert assoc.is_released


@pytest.fixture
def held_handler() -> Iterator[HeldHandler]:
    """A :class:`HeldHandler`, released at the end of the test whatever happened."""
    handler = HeldHandler()
    yield handler
    handler.release()


DCMTK_BIN = "/usr/bin"
"""Where Debian's DCMTK lives; pynetdicom installs scripts with the same names elsewhere."""

needs_dcmtk = pytest.mark.skipif(
    shutil.which("echoscu", path=DCMTK_BIN) is None
    or shutil.which("storescp", path=DCMTK_BIN) is None,
    reason="DCMTK (echoscu, storescp) is not installed: run scripts/setup.sh",
)
