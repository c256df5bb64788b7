"""A throwaway PKI for the TLS tests, made with the ``openssl`` command line tool: a CA, a
server certificate for localhost and 127.0.0.1, a client certificate, one for another host,
an expired one, and a CA the peers do not trust."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

OPENSSL = shutil.which("openssl")

_EC = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

_CA_CONFIG = """\
[ca]
default_ca = ca
[ca]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
organizationName = optional
"""


def _openssl(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


def _ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", *_EC, "-nodes", "-keyout", f"{name}.key", "-out",
             f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def _leaf(d: Path, ca: str, name: str, san: str, dates: tuple = ()) -> tuple:
    """A key and certificate signed by `ca`; `dates` = (start, end) as YYYYMMDDhhmmssZ."""
    _openssl("req", "-newkey", *_EC, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/CN={name}/O=fastdimse tests", "-addext", f"subjectAltName={san}",
             cwd=d)
    validity = ["-startdate", dates[0], "-enddate", dates[1]] if dates else ["-days", "2"]
    _openssl("ca", "-batch", "-config", "ca.cnf", "-cert", f"{ca}.pem", "-keyfile", f"{ca}.key",
             "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext", *validity, cwd=d)
    return (str(d / f"{name}.pem"), str(d / f"{name}.key"))


def make_pki(d: Path) -> SimpleNamespace:
    """Every certificate the TLS tests use, under `d`."""
    (d / "ca.cnf").write_text(_CA_CONFIG)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("01\n")
    _ca(d, "ca")
    _ca(d, "other-ca")
    server = _leaf(d, "ca", "server", "DNS:localhost,IP:127.0.0.1")
    client = _leaf(d, "ca", "client", "DNS:client.example")
    elsewhere = _leaf(d, "ca", "elsewhere", "DNS:elsewhere.example")
    expired = _leaf(d, "ca", "expired", "DNS:localhost,IP:127.0.0.1",
                    ("20200101000000Z", "20210101000000Z"))
    stranger = _leaf(d, "other-ca", "stranger", "DNS:localhost,IP:127.0.0.1")
    return SimpleNamespace(
        dir=d, ca=str(d / "ca.pem"), server=server, client=client, elsewhere=elsewhere,
        expired=expired, stranger=stranger,
    )
