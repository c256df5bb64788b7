"""TLS configuration from Python: ``ssl.SSLContext`` and ``fastdimse.TLSConfig`` turned into
the core's settings (``fastdimse._tls``) and loaded by ``_core.CoreTlsConfig``.

Certificates are made at test time with the ``openssl`` command line tool (Debian has it);
the tests that need it are skipped without it.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import fastdimse
import pytest
from fastdimse import TLSConfig
from fastdimse._core import TLS_CIPHER_SUITES, CoreTlsConfig
from fastdimse._tls import BCP195_SUITES, core_config, settings_from_context

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


def _leaf(d: Path, name: str, newkey: list, san: str) -> None:
    _openssl("req", "-newkey", *newkey, "-nodes", "-keyout", f"{name}.key", "-out",
             f"{name}.csr", "-subj", f"/CN={name}/O=fastdimse tests", cwd=d)
    (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile",
             f"{name}.ext", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A test CA, an RSA server certificate (localhost, 127.0.0.1), an EC client
    certificate, the server key encrypted with a password, and a CA directory."""
    d = tmp_path_factory.mktemp("pki")
    ec = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _openssl("req", "-x509", "-newkey", *ec, "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=fastdimse test CA", "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _leaf(d, "server", ["rsa:2048"], "DNS:localhost,IP:127.0.0.1")
    _leaf(d, "client", ec, "DNS:client.example")
    _openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret", "-out",
             "server-enc.key", cwd=d)
    (d / "cadir").mkdir()
    shutil.copy(d / "ca.pem", d / "cadir" / "ca.pem")
    (d / "cadir" / "README").write_text("not a certificate\n")
    (d / "combined.pem").write_text((d / "server.pem").read_text() + (d / "server.key").read_text())
    return SimpleNamespace(
        dir=d,
        ca=str(d / "ca.pem"),
        cadir=str(d / "cadir"),
        server=(str(d / "server.pem"), str(d / "server.key")),
        client=(str(d / "client.pem"), str(d / "client.key")),
        server_enc_key=str(d / "server-enc.key"),
        combined=str(d / "combined.pem"),
    )


def server_context(pki: SimpleNamespace, mode: ssl.VerifyMode = ssl.CERT_REQUIRED):
    """The acceptor's context as pynetdicom's documentation builds it."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.verify_mode = mode
    ctx.load_cert_chain(*pki.server)
    ctx.load_verify_locations(cafile=pki.ca)
    return ctx


# ----- SSLContext as a server -----------------------------------------------------------------


def test_server_context_cert_required(pki):
    s = settings_from_context(server_context(pki), server_side=True)
    assert s["server_side"] is True
    assert s["verify_peer"] == "require"
    assert s["check_hostname"] is False
    assert s["server_hostname"] is None
    assert s["cert_chain"][0] == "pem" and pki.server[0] in s["cert_chain"][2]
    assert s["private_key"][1] == Path(pki.server[1]).read_bytes()
    # create_default_context(CLIENT_AUTH) loads no system CAs (its verify_mode is CERT_NONE
    # then): only our CA is trusted.
    assert s["ca"] == [("pem", Path(pki.ca).read_bytes(), f"'{pki.ca}' (cafile)")]
    assert (s["min_version"], s["max_version"]) == ("TLSv1.2", "TLSv1.3")
    assert s["cipher_suites"] == list(BCP195_SUITES)
    core = CoreTlsConfig(s)
    assert core.server_side and core.verify_peer == "require"
    assert core.cipher_suites == list(BCP195_SUITES)
    assert "server" in repr(core)


@pytest.mark.parametrize(
    "mode, expected",
    [(ssl.CERT_REQUIRED, "require"), (ssl.CERT_OPTIONAL, "optional"), (ssl.CERT_NONE, "none")],
)
def test_server_verify_modes(pki, mode, expected):
    s = settings_from_context(server_context(pki, mode), server_side=True)
    assert s["verify_peer"] == expected
    assert CoreTlsConfig(s).verify_peer == expected


def test_server_without_certificate_names_the_fix(pki):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with pytest.raises(ValueError, match="load_cert_chain"):
        core_config(ctx, server_side=True)


def test_key_in_the_certificate_file(pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.combined)
    s = settings_from_context(ctx, server_side=True)
    assert s["private_key"] is None  # the core looks in the chain file
    assert CoreTlsConfig(s).verify_peer == "none"


def test_subclass_is_recorded(pki):
    class MyContext(ssl.SSLContext):
        pass

    ctx = MyContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*pki.server)
    assert CoreTlsConfig(settings_from_context(ctx, server_side=True)).server_side


# ----- SSLContext as a client -----------------------------------------------------------------


def test_client_default_context_checks_hostname(pki):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki.ca)
    s = settings_from_context(ctx, server_side=False, server_hostname="localhost")
    assert s["verify_peer"] == "require" and s["check_hostname"] is True
    assert s["server_hostname"] == "localhost"
    assert s["hostname_checks_common_name"] is True  # Python's default
    assert s["cert_chain"] is None
    core = core_config(ctx, server_side=False, server_hostname="localhost")
    assert not core.server_side and core.server_hostname == "localhost"
    # As Python's ssl: no name with check_hostname is an error.
    with pytest.raises(ValueError, match="check_hostname requires server_hostname"):
        core_config(ctx, server_side=False, server_hostname=None)


def test_client_check_hostname_false_and_cert_none(pki):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki.ca)
    ctx.hostname_checks_common_name = False
    s = settings_from_context(ctx, server_side=False, server_hostname="localhost")
    assert s["hostname_checks_common_name"] is False
    ctx.check_hostname = False
    s = settings_from_context(ctx, server_side=False)
    assert (s["verify_peer"], s["check_hostname"]) == ("require", False)
    CoreTlsConfig(s)
    ctx.verify_mode = ssl.CERT_NONE
    s = settings_from_context(ctx, server_side=False)
    assert s["verify_peer"] == "none"
    assert CoreTlsConfig(s).verify_peer == "none"


def test_client_cert_optional_means_required(pki):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki.ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    assert settings_from_context(ctx, False, "localhost")["verify_peer"] == "require"


def test_pynetdicom_documented_client_context(pki):
    """pynetdicom's docs build the requestor's context with Purpose.CLIENT_AUTH."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=pki.server[0])
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(certfile=pki.client[0], keyfile=pki.client[1])
    core = core_config(ctx, server_side=False, server_hostname=None)
    assert (core.verify_peer, core.check_hostname) == ("require", False)
    s = settings_from_context(ctx, server_side=False)
    assert pki.client[0] in s["cert_chain"][2]


def test_client_without_ca_names_the_fix(pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ValueError, match="load_verify_locations"):
        core_config(ctx, server_side=False, server_hostname="localhost")


def test_ca_sources(pki):
    der = ssl.PEM_cert_to_DER_cert(Path(pki.ca).read_text())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(capath=pki.cadir)
    ctx.load_verify_locations(cadata=Path(pki.ca).read_text())
    ctx.load_verify_locations(cadata=der + der)
    s = settings_from_context(ctx, server_side=False, server_hostname="localhost")
    assert s["ca"][0] == ("dir", pki.cadir)
    assert s["ca"][1][0] == "pem"
    assert s["ca"][2:] == [("der", der), ("der", der)]
    CoreTlsConfig(s)
    # Each source alone is enough to build.
    for source in s["ca"]:
        CoreTlsConfig(dict(s, ca=[source]))


# ----- What is refused, and how ---------------------------------------------------------------


def test_context_created_before_import_is_refused(pki):
    code = (
        "import ssl\n"
        "ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n"
        f"ctx.load_cert_chain({pki.server[0]!r}, {pki.server[1]!r})\n"
        "import fastdimse._tls as t\n"
        "try:\n"
        "    t.settings_from_context(ctx, True)\n"
        "except ValueError as e:\n"
        "    print(e)\n"
        "ctx2 = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n"
        f"ctx2.load_cert_chain({pki.server[0]!r}, {pki.server[1]!r})\n"
        "print(t.settings_from_context(ctx2, True)['verify_peer'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "created before fastdimse was imported" in out
    assert "fastdimse.TLSConfig" in out
    assert out.strip().endswith("none")


def test_encrypted_key_with_password(pki):
    pytest.importorskip("cryptography")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server[0], pki.server_enc_key, password="secret")
    s = settings_from_context(ctx, server_side=True)
    assert b"ENCRYPTED" not in s["private_key"][1]
    CoreTlsConfig(s)
    # A password callable, as ssl accepts it.
    ctx.load_cert_chain(pki.server[0], pki.server_enc_key, password=lambda: b"secret")
    CoreTlsConfig(settings_from_context(ctx, server_side=True))


def test_encrypted_key_without_cryptography(pki, monkeypatch):
    monkeypatch.setitem(sys.modules, "cryptography", None)
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives", None)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server[0], pki.server_enc_key, password="secret")
    with pytest.raises(ValueError, match="encrypted.*cryptography") as info:
        settings_from_context(ctx, server_side=True)
    assert pki.server_enc_key in str(info.value)


def test_encrypted_key_refused_by_the_core(pki):
    s = TLSConfig(*pki.server, verify_mode="none").settings(server_side=True)
    s["private_key"] = ("path", pki.server_enc_key)
    with pytest.raises(ValueError, match="encrypted") as info:
        CoreTlsConfig(s)
    assert pki.server_enc_key in str(info.value)


def test_missing_files(pki, tmp_path):
    missing = str(tmp_path / "nowhere" / "server.pem")
    # ssl itself raises at load time, as it always did.
    with pytest.raises(FileNotFoundError):
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(missing)
    # A TLSConfig's files are read when it is used: the error names the file.
    with pytest.raises(ValueError, match="nowhere/server.pem"):
        core_config(TLSConfig(missing, verify_mode="none"), server_side=True)
    with pytest.raises(ValueError, match="nowhere/ca.pem"):
        core_config(TLSConfig(cafile=str(tmp_path / "nowhere" / "ca.pem")), False, "localhost")
    with pytest.raises(ValueError, match="not-a-dir"):
        core_config(TLSConfig(capath=str(tmp_path / "not-a-dir")), False, "localhost")


def test_key_of_another_certificate(pki):
    config = TLSConfig(pki.server[0], pki.client[1], verify_mode="none")
    with pytest.raises(ValueError, match="cannot be used with the certificate"):
        core_config(config, server_side=True)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_minimum_version_below_tls12_is_raised_with_a_warning(pki):
    ctx = server_context(pki)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    with pytest.warns(RuntimeWarning, match="below TLS 1.2"):
        s = settings_from_context(ctx, server_side=True)
    assert s["min_version"] == "TLSv1.2"
    CoreTlsConfig(s)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_maximum_version_below_tls12_is_refused(pki):
    ctx = server_context(pki)
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="TLSv1_1.*below TLS 1.2"):
            settings_from_context(ctx, server_side=True)


def test_fixed_old_protocol_is_refused(pki):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1_1)
        with pytest.raises(ValueError, match="only TLS 1.1"):
            settings_from_context(ctx, server_side=False)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
        ctx.verify_mode = ssl.CERT_NONE
        s = settings_from_context(ctx, server_side=False)
    assert (s["min_version"], s["max_version"]) == ("TLSv1.2", "TLSv1.2")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_version_settings(pki):
    ctx = server_context(pki)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    s = settings_from_context(ctx, server_side=True)
    assert (s["min_version"], s["max_version"]) == ("TLSv1.3", "TLSv1.3")
    assert CoreTlsConfig(s).min_version == "TLSv1.3"
    ctx = server_context(pki)
    ctx.options |= ssl.OP_NO_TLSv1_3
    s = settings_from_context(ctx, server_side=True)
    assert s["max_version"] == "TLSv1.2"
    assert CoreTlsConfig(s).max_version == "TLSv1.2"


def test_set_ciphers_restricts_the_tls12_suites(pki):
    ctx = server_context(pki)
    ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    s = settings_from_context(ctx, server_side=True)
    assert s["cipher_suites"] == [*BCP195_SUITES[:3], "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    assert CoreTlsConfig(s).cipher_suites == s["cipher_suites"]
    # Only suites rustls lacks (DHE) for TLS 1.2: TLS 1.3 only, with a warning.
    ctx.set_ciphers("DHE-RSA-AES256-GCM-SHA384")
    with pytest.warns(RuntimeWarning, match="TLS 1.3 only"):
        s = settings_from_context(ctx, server_side=True)
    assert s["min_version"] == "TLSv1.3"
    CoreTlsConfig(s)


def _crl_pem(pki, revoked_serial: int) -> bytes:
    """A CRL from the test CA revoking one serial number, made with ``cryptography``."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    ca_key = serialization.load_pem_private_key((pki.dir / "ca.key").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(Path(pki.ca).read_bytes())
    now = datetime.datetime.now(datetime.timezone.utc)
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(revoked_serial)
        .revocation_date(now)
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + datetime.timedelta(days=1))
        .add_revoked_certificate(revoked)
        .add_extension(x509.CRLNumber(1), critical=False)  # RFC 5280 5.2.3: required
        .sign(ca_key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM)


def test_crl_checking(pki, tmp_path):
    ctx = server_context(pki)
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    s = settings_from_context(ctx, server_side=True)
    assert s["crl_check"] == "leaf"
    # No CRL loaded: every client would fail, so it is refused at once.
    with pytest.raises(ValueError, match="no CRL is loaded"):
        CoreTlsConfig(s)
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    assert settings_from_context(ctx, server_side=True)["crl_check"] == "chain"
    ctx.verify_mode = ssl.CERT_NONE
    assert settings_from_context(ctx, server_side=True)["crl_check"] == "none"
    pytest.importorskip("cryptography")
    crl_file = tmp_path / "crl.pem"
    crl_file.write_bytes(_crl_pem(pki, 12345))
    ctx = server_context(pki)
    ctx.load_verify_locations(cafile=str(crl_file))
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    assert CoreTlsConfig(settings_from_context(ctx, server_side=True)).verify_peer == "require"
    config = TLSConfig(*pki.server, cafile=pki.ca, capath=str(tmp_path), crl_check="chain")
    assert core_config(config, server_side=True).server_side


def test_key_log_file(pki, tmp_path, monkeypatch):
    log = tmp_path / "keys.txt"
    ctx = server_context(pki)
    ctx.keylog_filename = str(log)
    s = settings_from_context(ctx, server_side=True)
    assert s["key_log"] == str(log)
    CoreTlsConfig(s)
    assert log.exists()
    monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "env-keys.txt"))
    assert TLSConfig().keylog_filename == str(tmp_path / "env-keys.txt")
    assert TLSConfig(keylog_filename=log).keylog_filename == str(log)
    with pytest.raises(ValueError, match="nowhere/keys.txt"):
        core_config(TLSConfig(*pki.server, verify_mode="none", keylog_filename=tmp_path
                              / "nowhere" / "keys.txt"), server_side=True)


def test_not_a_context():
    with pytest.raises(TypeError, match="ssl.SSLContext or a fastdimse.TLSConfig"):
        settings_from_context(object(), server_side=True)


def test_core_settings_are_checked():
    with pytest.raises(ValueError, match="missing TLS setting"):
        CoreTlsConfig({})
    base = TLSConfig(verify_mode="none", check_hostname=False).settings(server_side=False)
    with pytest.raises(ValueError, match="verify_peer"):
        CoreTlsConfig(dict(base, verify_peer="sometimes"))
    with pytest.raises(ValueError, match="TLSv1.2"):
        CoreTlsConfig(dict(base, min_version="TLSv1.1"))
    with pytest.raises(ValueError, match="TLS_RSA_WITH_AES_128_CBC_SHA"):
        CoreTlsConfig(dict(base, cipher_suites=["TLS_RSA_WITH_AES_128_CBC_SHA"]))
    assert tuple(TLS_CIPHER_SUITES) == BCP195_SUITES


# ----- TLSConfig ------------------------------------------------------------------------------


def test_tls_config_server_and_client(pki):
    server = TLSConfig(*pki.server, cafile=pki.ca)
    core = core_config(server, server_side=True)
    assert (core.server_side, core.verify_peer) == (True, "require")
    client = TLSConfig(*pki.client, cafile=pki.ca, server_hostname="localhost")
    core = core_config(client, server_side=False)
    assert core.server_hostname == "localhost" and core.check_hostname
    # The hostname of tls_args wins over the configured one.
    assert core_config(client, False, "127.0.0.1").server_hostname == "127.0.0.1"
    assert core_config(TLSConfig(cafile=pki.ca), False, "localhost").verify_peer == "require"
    assert fastdimse.TLSConfig is TLSConfig
    assert "certfile=" in repr(server)


def test_tls_config_options(pki):
    assert TLSConfig(verify_mode=ssl.CERT_OPTIONAL).verify_mode == "optional"
    assert TLSConfig(verify_mode="none", check_hostname=False).verify_mode == "none"
    with pytest.raises(ValueError, match="verify_mode"):
        TLSConfig(verify_mode="sometimes")
    assert TLSConfig(verify_mode=ssl.CERT_NONE).check_hostname is False
    with pytest.raises(ValueError, match="check_hostname"):
        TLSConfig(verify_mode=ssl.CERT_NONE, check_hostname=True)
    with pytest.raises(ValueError, match="below TLS 1.2"):
        TLSConfig(minimum_version=ssl.TLSVersion.TLSv1_1)
    with pytest.raises(ValueError, match="keyfile needs certfile"):
        TLSConfig(keyfile=pki.server[1])
    with pytest.raises(ValueError, match="crl_check"):
        TLSConfig(crl_check="sometimes")
    with pytest.raises(ValueError, match="not among the BCP 195"):
        TLSConfig(cipher_suites=["TLS_RSA_WITH_AES_128_CBC_SHA"])
    with pytest.raises(TypeError, match="certfile"):
        TLSConfig(certfile=12)
    only12 = TLSConfig(cafile=pki.ca, cipher_suites=["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
    core = core_config(only12, False, "localhost")
    assert (core.min_version, core.max_version) == ("TLSv1.2", "TLSv1.2")
    with pytest.raises(ValueError, match="encrypted and no password"):
        core_config(TLSConfig(pki.server[0], pki.server_enc_key), server_side=True)


def test_tls_config_encrypted_key_with_password(pki):
    pytest.importorskip("cryptography")
    config = TLSConfig(pki.server[0], pki.server_enc_key, password="secret", verify_mode="none")
    assert core_config(config, server_side=True).server_side
    with pytest.raises(ValueError, match="cannot decrypt"):
        core_config(
            TLSConfig(pki.server[0], pki.server_enc_key, password="wrong", verify_mode="none"),
            server_side=True,
        )


def test_core_config_is_shared_until_the_context_changes(pki):
    ctx = server_context(pki)
    first = core_config(ctx, server_side=True)
    assert core_config(ctx, server_side=True) is first
    ctx.verify_mode = ssl.CERT_OPTIONAL
    second = core_config(ctx, server_side=True)
    assert second is not first and second.verify_peer == "optional"
    config = TLSConfig(*pki.server, cafile=pki.ca)
    assert core_config(config, True) is core_config(config, True)


def test_system_store(pki):
    """create_default_context(SERVER_AUTH) trusts the system store, as in Python."""
    ctx = ssl.create_default_context()
    s = settings_from_context(ctx, server_side=False, server_hostname="example.org")
    assert s["ca"] == [("system",)]
    has_system_cas = bool(ssl.create_default_context().get_ca_certs()) or os.path.isdir(
        "/etc/ssl/certs"
    )
    if has_system_cas:
        assert CoreTlsConfig(s).verify_peer == "require"


# ----- The peer certificate's identity --------------------------------------------------------


def test_cert_identity_matches_python_getpeercert(pki, tmp_path):
    """The core's DER walk gives what ``getpeercert()`` gives (OpenSSL's decoding)."""
    from fastdimse._core import tls_cert_identity

    (tmp_path / "odd.ext").write_text(
        "subjectAltName=DNS:pacs.example,IP:2001:db8::1,email:pacs@example.org,"
        "URI:https://example.org/pacs\n"
    )
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "odd.key", "-out", "odd.csr", "-utf8", "-multivalue-rdn", "-subj",
             "/C=DE/ST=Bayern/L=München/O=Ärzte, Praxis/OU=PACS+CN=pacs #1/"
             "emailAddress=pacs@example.org", cwd=tmp_path)
    _openssl("x509", "-req", "-in", "odd.csr", "-CA", pki.ca, "-CAkey",
             str(pki.dir / "ca.key"), "-CAcreateserial", "-days", "2", "-out", "odd.pem",
             "-extfile", "odd.ext", cwd=tmp_path)
    for path in (pki.server[0], pki.client[0], str(tmp_path / "odd.pem")):
        expected = ssl._ssl._test_decode_cert(path)
        der = ssl.PEM_cert_to_DER_cert(Path(path).read_text())
        ours = tls_cert_identity(der)
        assert ours["subject"] == expected["subject"], path
        assert ours["subjectAltName"] == expected["subjectAltName"], path
    assert ours["subject_rfc4514"] == (
        "emailAddress=pacs@example.org,OU=PACS+CN=pacs #1,O=Ärzte\\, Praxis,L=München,"
        "ST=Bayern,C=DE"
    )
    assert tls_cert_identity(b"\x30\x03\x02\x01\x00") is None
