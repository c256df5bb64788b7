"""Certificates for the TLS benchmarks, made at run time with the ``openssl`` command line
tool in a temporary directory: an EC P-256 CA, a server certificate for localhost and
127.0.0.1 and a client certificate (every pair runs mutual TLS, DCMTK's default).

P-256 with ECDSA is what a DICOM site's private CA typically issues today, and every peer
here (rustls with ring, OpenSSL for DCMTK and Python's ``ssl``) supports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

OPENSSL = shutil.which("openssl") or "openssl"
_P256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


@dataclass
class Pki:
    dir: str
    ca: str  # CA certificate (PEM), trusted by every side
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str


def _openssl(cwd: str, *args: str) -> None:
    p = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {p.stderr.strip()}")


def _leaf(d: str, name: str, san: str) -> None:
    """`name`.key and `name`.pem, signed by the CA: not a CA itself, with these SANs."""
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(
            f"basicConstraints = critical, CA:FALSE\n"
            f"keyUsage = critical, digitalSignature\n"
            f"subjectAltName = {san}\n"
        )
    _openssl(
        d,
        "req",
        *_P256,
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        f"/CN={name}/O=fastdimse benchmarks",
    )
    _openssl(
        d,
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-sha256",
        "-extfile",
        ext,
        "-out",
        f"{name}.pem",
    )


def make(d: str) -> Pki:
    """A CA, a server and a client certificate under directory `d`."""
    _openssl(
        d,
        "req",
        "-x509",
        *_P256,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=fastdimse benchmark CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    _leaf(d, "server", "DNS:localhost,IP:127.0.0.1")
    _leaf(d, "client", "DNS:client.localhost")
    j = lambda n: os.path.join(d, n)  # noqa: E731
    return Pki(d, j("ca.pem"), j("server.pem"), j("server.key"), j("client.pem"), j("client.key"))
