"""DICOM over TLS end to end, as a pynetdicom user writes it: ``start_server(ssl_context=...)``
and ``associate(..., tls_args=(ctx, hostname))`` with the standard ``ssl.SSLContext``, our
SCU against our SCP, pynetdicom and DCMTK in both directions, certificate failures on both
sides, plain/TLS mismatches, and stalled handshakes that must not hold anyone up."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from types import SimpleNamespace
from typing import Any, Iterator, List, Tuple

import pytest
from fastdimse import AE, evt
from fastdimse.sop_class import Verification
from tls_pki import OPENSSL, make_pki

pytestmark = [
    pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command"),
    pytest.mark.timeout(120),
]

ECHOSCU = "/usr/bin/echoscu"
STORESCP = "/usr/bin/storescp"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    return make_pki(tmp_path_factory.mktemp("pki"))


def server_context(pki: SimpleNamespace, cert: Tuple[str, str] = (), require: bool = True) -> Any:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.verify_mode = ssl.CERT_REQUIRED if require else ssl.CERT_NONE
    ctx.load_cert_chain(*(cert or pki.server))
    ctx.load_verify_locations(cafile=pki.ca)
    return ctx


def client_context(pki: SimpleNamespace, cert: Tuple[str, str] = (), ca: str = "") -> Any:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca or pki.ca)
    ctx.load_cert_chain(*(cert or pki.client))
    return ctx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A fastdimse SCP over TLS on a free port, recording what its handlers saw."""

    def __init__(self, ctx: Any, **ae_settings: Any) -> None:
        self.subjects: List[Any] = []
        self.ae = AE(ae_title="TLSSCP")
        self.ae.add_supported_context(Verification)
        for k, v in ae_settings.items():
            setattr(self.ae, k, v)

        def on_echo(event: Any) -> int:
            self.subjects.append(event.peer_certificate_subject)
            return 0x0000

        self.server = self.ae.start_server(
            ("127.0.0.1", 0),
            block=False,
            ssl_context=ctx,
            evt_handlers=[(evt.EVT_C_ECHO, on_echo)],
        )
        self.port = self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def tls_server(pki: SimpleNamespace) -> Iterator[Server]:
    srv = Server(server_context(pki))
    yield srv
    srv.close()


def echo(port: int, tls_args: Any, **settings: Any) -> Any:
    ae = AE(ae_title="TLSSCU")
    ae.add_requested_context(Verification)
    ae.acse_timeout = settings.pop("acse_timeout", 5)
    assoc = ae.associate("127.0.0.1", port, tls_args=tls_args)
    if not assoc.is_established:
        return assoc, None
    status = assoc.send_c_echo()
    assoc.release()
    return assoc, status


# ----- fastdimse <-> fastdimse ----------------------------------------------------------------


def test_mutual_tls_echo_and_the_peer_subject_reach_handlers(
    pki: SimpleNamespace, tls_server: Server
) -> None:
    assoc, status = echo(tls_server.port, (client_context(pki), "localhost"))
    assert status.Status == 0x0000
    assert tls_server.subjects == ["O=fastdimse tests,CN=client"]
    assert assoc.peer_certificate_subject == "O=fastdimse tests,CN=server"
    sans = assoc.peer_certificate["subjectAltName"]
    assert assoc.peer_certificate["subject"] == (
        (("commonName", "server"),),
        (("organizationName", "fastdimse tests"),),
    )
    assert ("DNS", "localhost") in sans and ("IP Address", "127.0.0.1") in sans


def test_client_without_certificate_is_refused_when_one_is_required(
    pki: SimpleNamespace, tls_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki.ca)
    assoc, _ = echo(tls_server.port, (ctx, "localhost"))
    assert not assoc.is_established
    assert assoc.is_aborted
    assert tls_server.subjects == []


def test_optional_client_certificate(pki: SimpleNamespace) -> None:
    srv = Server(server_context(pki, require=False))
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki.ca)
        _, status = echo(srv.port, (ctx, "localhost"))
        assert status.Status == 0x0000
        assert srv.subjects == [None]
    finally:
        srv.close()


@pytest.mark.parametrize(
    "case, expect",
    [
        ("unknown CA", "unknown CA"),
        ("expired", "expired"),
        ("hostname mismatch", "hostname mismatch"),
    ],
)
def test_server_certificate_failures_are_named(
    pki: SimpleNamespace, case: str, expect: str, caplog: pytest.LogCaptureFixture
) -> None:
    cert = {"unknown CA": pki.stranger, "expired": pki.expired, "hostname mismatch": pki.elsewhere}
    srv = Server(server_context(pki, cert=cert[case]))
    try:
        assoc, _ = echo(srv.port, (client_context(pki), "localhost"))
        assert assoc.is_aborted and not assoc.is_established
        assert any(expect in r.getMessage() for r in caplog.records), [
            r.getMessage() for r in caplog.records
        ]
    finally:
        srv.close()


def test_client_certificate_from_an_unknown_ca_is_refused(
    pki: SimpleNamespace, tls_server: Server
) -> None:
    assoc, _ = echo(tls_server.port, (client_context(pki, cert=pki.stranger), "localhost"))
    assert not assoc.is_established
    assert tls_server.subjects == []


def test_check_hostname_false_accepts_another_name(pki: SimpleNamespace) -> None:
    srv = Server(server_context(pki, cert=pki.elsewhere))
    try:
        ctx = client_context(pki)
        ctx.check_hostname = False
        _, status = echo(srv.port, (ctx, "localhost"))
        assert status.Status == 0x0000
    finally:
        srv.close()


def test_associate_async_takes_tls_args(pki: SimpleNamespace, tls_server: Server) -> None:
    import asyncio

    async def run() -> int:
        ae = AE(ae_title="ASYNC")
        ae.add_requested_context(Verification)
        assoc = await ae.associate_async(
            "127.0.0.1", tls_server.port, tls_args=(client_context(pki), "localhost")
        )
        assert assoc.is_established
        status = await assoc.send_c_echo_async()
        await assoc.release_async()
        return int(status.Status)

    assert asyncio.run(run()) == 0x0000
    assert tls_server.subjects == ["O=fastdimse tests,CN=client"]


@pytest.mark.parametrize("bad", [("ctx",), "ctx", (None, "localhost")])
def test_bad_tls_args_are_refused_with_the_value_named(bad: Any) -> None:
    ae = AE()
    ae.add_requested_context(Verification)
    with pytest.raises((TypeError, ValueError)):
        ae.associate("127.0.0.1", 9, tls_args=bad)


# ----- mismatches and stalls -----------------------------------------------------------------


def test_plain_client_on_a_tls_server_is_named_and_closed(
    tls_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    assoc, _ = echo(tls_server.port, None)
    assert not assoc.is_established
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        "not using TLS" in r.getMessage() for r in caplog.records
    ):
        time.sleep(0.01)
    assert any("not using TLS" in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]


def test_tls_client_on_a_plain_server_is_named(
    pki: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    ae = AE(ae_title="PLAIN")
    ae.add_supported_context(Verification)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        assoc, _ = echo(server.server_address[1], (client_context(pki), "localhost"))
        assert not assoc.is_established
        messages = [r.getMessage() for r in caplog.records]
        assert any("looks like a TLS handshake" in m for m in messages), messages
    finally:
        server.shutdown()


def _closed_by(s: socket.socket, deadline: float) -> bool:
    """True when the peer closes (or resets) `s` before `deadline`; whatever it sends first
    (a TLS alert) is read and dropped."""
    try:
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            if not s.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_stalled_handshakes_do_not_hold_up_a_good_client(pki: SimpleNamespace) -> None:
    srv = Server(server_context(pki), acse_timeout=1.0)
    stalled = []
    try:
        for _ in range(200):
            stalled.append(socket.create_connection(("127.0.0.1", srv.port)))
        # Half of them send the start of a ClientHello and then nothing; half send nothing.
        for s in stalled[::2]:
            s.sendall(b"\x16\x03\x01\x02\x00\x01")
        t0 = time.monotonic()
        for _ in range(5):
            _, status = echo(srv.port, (client_context(pki), "localhost"))
            assert status.Status == 0x0000
        assert time.monotonic() - t0 < 5.0, time.monotonic() - t0
        # Every stalled one is closed at its deadline (ARTIM: the ACSE timeout, 1 s).
        deadline = t0 + 10
        assert all(_closed_by(s, deadline) for s in stalled)
    finally:
        for s in stalled:
            s.close()
        srv.close()


def test_garbage_after_the_handshake_aborts_only_that_association(
    pki: SimpleNamespace, tls_server: Server
) -> None:
    import os

    raw = socket.create_connection(("127.0.0.1", tls_server.port))
    tls = client_context(pki).wrap_socket(raw, server_hostname="localhost")
    # Behind the TLS layer's back: an application-data record that no key decrypts.
    with socket.socket(fileno=os.dup(tls.fileno())) as under:
        under.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
        assert _closed_by(under, time.monotonic() + 5)
    tls.close()
    _, status = echo(tls_server.port, (client_context(pki), "localhost"))
    assert status.Status == 0x0000


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_tls_1_1_only_client_is_refused(pki: SimpleNamespace, tls_server: Server) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=pki.ca)
    ctx.check_hostname = False
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except ValueError:
        pytest.skip("this OpenSSL cannot be limited to TLS 1.1")
    with socket.create_connection(("127.0.0.1", tls_server.port)) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.do_handshake()


# ----- interop: pynetdicom ---------------------------------------------------------------------


def test_pynetdicom_tls_scu_to_our_scp(pki: SimpleNamespace, tls_server: Server) -> None:
    from pynetdicom import AE as PAE

    ae = PAE(ae_title="PYSCU")
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate("127.0.0.1", tls_server.port, tls_args=(client_context(pki), "localhost"))
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert tls_server.subjects == ["O=fastdimse tests,CN=client"]


def test_our_scu_to_pynetdicom_tls_scp(pki: SimpleNamespace) -> None:
    from pynetdicom import AE as PAE

    ae = PAE(ae_title="PYSCP")
    ae.add_supported_context("1.2.840.10008.1.1")
    server = ae.start_server(("127.0.0.1", 0), block=False, ssl_context=server_context(pki))
    try:
        _, status = echo(server.server_address[1], (client_context(pki), "localhost"))
        assert status.Status == 0x0000
    finally:
        server.shutdown()


# ----- interop: DCMTK --------------------------------------------------------------------------

dcmtk = pytest.mark.skipif(
    not (shutil.which(ECHOSCU) and shutil.which(STORESCP)), reason="needs DCMTK"
)


@dcmtk
def test_dcmtk_echoscu_tls_to_our_scp(pki: SimpleNamespace, tls_server: Server) -> None:
    out = subprocess.run(
        [ECHOSCU, "-v", "+tls", pki.client[1], pki.client[0], "+cf", pki.ca,
         "127.0.0.1", str(tls_server.port)],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Received Echo Response (Success)" in out.stdout + out.stderr
    assert tls_server.subjects == ["O=fastdimse tests,CN=client"]


@dcmtk
def test_dcmtk_echoscu_without_certificate_is_refused(
    pki: SimpleNamespace, tls_server: Server
) -> None:
    out = subprocess.run(
        [ECHOSCU, "+tla", "+cf", pki.ca, "127.0.0.1", str(tls_server.port)],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode != 0
    assert tls_server.subjects == []


@dcmtk
def test_our_scu_to_dcmtk_storescp_tls(pki: SimpleNamespace) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [STORESCP, "+tls", pki.server[1], pki.server[0], "+cf", pki.ca, str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "storescp did not start"
                time.sleep(0.05)
        _, status = echo(port, (client_context(pki), "localhost"))
        assert status.Status == 0x0000
    finally:
        proc.terminate()
        proc.wait(10)
