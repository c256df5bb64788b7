"""TLS configuration: an ``ssl.SSLContext`` or a :class:`TLSConfig` as the core's settings.

fastdimse does TLS in its Rust core with rustls, so it cannot use the OpenSSL state inside an
``ssl.SSLContext``: OpenSSL does not give the private key back. pynetdicom's users build such a
context (``ssl.create_default_context(...)``, ``load_cert_chain``, ``load_verify_locations``,
``verify_mode``, ``check_hostname``) and pass it as ``tls_args=(ctx, hostname)`` or
``start_server(..., ssl_context=ctx)``. Three ways to honour that were weighed:

* **Record what the context was given** (chosen). When fastdimse is imported, :func:`install`
  wraps ``ssl.SSLContext.__new__``, ``load_cert_chain``, ``load_verify_locations``,
  ``set_default_verify_paths`` (which ``load_default_certs`` calls) and ``set_ciphers`` (to
  know when the cipher list changed): each wrapper calls the
  original first (so errors and behaviour are ``ssl``'s own) and then records its arguments
  for that context in a ``WeakKeyDictionary``. Files are read at that moment, as OpenSSL reads
  them. The other settings (``verify_mode``, ``check_hostname``, ``minimum_version``,
  ``maximum_version``, ``options``, ``verify_flags``, the cipher list) are read from the
  context itself when it is used. The handshake then runs in Rust on the association's own
  task: the fast path, with no Python per record.
* Python's ``ssl`` through memory BIOs (asyncio's approach): exact OpenSSL behaviour, but
  every record would cross into Python and back; not done.
* A native configuration from PEM paths: :class:`TLSConfig`, offered as well, accepted
  wherever an ``SSLContext`` is, and the only way for a context created before fastdimse was
  imported (its key cannot be recovered: :func:`settings_from_context` says so and names the
  fix).

What each ``SSLContext`` setting becomes, and what is refused, is in ``docs/tls.md``.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import sys
import threading
import warnings
import weakref
from typing import Any, Dict, List, Optional, Tuple, Union

from ._core import TLS_CIPHER_SUITES

__all__ = ["TLSConfig", "core_config", "install", "settings_from_context"]

TLS12, TLS13 = "TLSv1.2", "TLSv1.3"

#: The BCP 195 cipher suites the core implements, by IANA name, in order of preference
#: (PS3.15 B.12): the core's list, ``fastdimse._core.TLS_CIPHER_SUITES``.
BCP195_SUITES: Tuple[str, ...] = tuple(TLS_CIPHER_SUITES)

# OpenSSL's names (as ``SSLContext.get_ciphers()`` gives them) of the suites above.
_OPENSSL_NAMES = {
    "TLS_AES_256_GCM_SHA384": "TLS_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256": "TLS_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256": "TLS_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

_PRE_IMPORT = (
    "this ssl.SSLContext was created before fastdimse was imported, so fastdimse cannot see "
    "the certificate, private key and CA certificates loaded into it (rustls cannot read them "
    "back out of OpenSSL): import fastdimse before creating the context, or pass "
    "fastdimse.TLSConfig(certfile=..., keyfile=..., cafile=...) instead"
)

PemSource = Optional[Tuple[Any, ...]]


class _Record:
    """What one ``SSLContext`` was given, in the form of the core's settings."""

    __slots__ = ("complete", "cert_chain", "private_key", "key_error", "ca", "ca_error", "offered")

    def __init__(self, complete: bool) -> None:
        # False when the context existed before install(): its earlier loads are unknown.
        self.complete = complete
        self.cert_chain: PemSource = None
        self.private_key: PemSource = None
        self.key_error: Optional[str] = None
        self.ca: List[Tuple[Any, ...]] = []
        self.ca_error: Optional[str] = None
        # The BCP 195 suites among get_ciphers() (about 60 µs to ask), until set_ciphers.
        self.offered: Optional[List[str]] = None


_lock = threading.Lock()
_records: weakref.WeakKeyDictionary[ssl.SSLContext, _Record] = weakref.WeakKeyDictionary()
_installed = False


def _record(ctx: ssl.SSLContext) -> _Record:
    with _lock:
        rec = _records.get(ctx)
        if rec is None:
            rec = _records[ctx] = _Record(complete=False)
        return rec


def _read(path: Any) -> Tuple[bytes, str]:
    """The bytes of a file and its name for messages."""
    name = os.fsdecode(os.fspath(path))
    with open(name, "rb") as f:
        return f.read(), name


_ENCRYPTED = re.compile(rb"-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED")
_KEY_BLOCK = re.compile(
    rb"-----BEGIN ((?:ENCRYPTED |RSA |EC )?PRIVATE KEY)-----.*?-----END \1-----", re.DOTALL
)


def _decrypt_key(data: bytes, password: Any, name: str) -> Tuple[Optional[bytes], Optional[str]]:
    """An encrypted PEM key as unencrypted PKCS#8 PEM, through the ``cryptography`` package
    when it is installed (rustls reads no encrypted keys); else ``(None, reason)``."""
    if password is None:
        return None, f"the private key in '{name}' is encrypted and no password was given"
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        return None, (
            f"the private key in '{name}' is encrypted; fastdimse reads encrypted keys only "
            "with the 'cryptography' package installed: install it, or decrypt the key "
            "(openssl pkey -in KEY -out PLAIN) and keep that file readable only by the service"
        )
    if callable(password):
        password = password()
    if isinstance(password, str):
        password = password.encode("utf-8")
    block = _KEY_BLOCK.search(data)
    try:
        key = serialization.load_pem_private_key(block.group(0) if block else data, password)
    except (ValueError, TypeError) as exc:
        return None, f"cannot decrypt the private key in '{name}': {exc}"
    plain = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return plain, None


def _load_chain(
    certfile: Any, keyfile: Any, password: Any
) -> Tuple[PemSource, PemSource, Optional[str]]:
    """``load_cert_chain``'s arguments as (cert_chain, private_key, error) PEM sources."""
    cert_data, cert_name = _read(certfile)
    chain = ("pem", cert_data, f"'{cert_name}' (certfile)")
    if keyfile is not None:
        key_data, key_name = _read(keyfile)
        key: PemSource = ("pem", key_data, f"'{key_name}' (keyfile)")
    else:
        key_data, key_name, key = cert_data, cert_name, None
    if _ENCRYPTED.search(key_data):
        plain, error = _decrypt_key(key_data, password, key_name)
        if error is not None:
            return chain, key, error
        key = ("pem", plain, f"the decrypted key of '{key_name}'")
    return chain, key, None


def _split_der(data: bytes) -> List[bytes]:
    """Concatenated DER certificates (``cadata`` as bytes) one by one."""
    out, i = [], 0
    while i + 2 <= len(data):
        length, header = data[i + 1], 2
        if length & 0x80:
            n = length & 0x7F
            length, header = int.from_bytes(data[i + 2 : i + 2 + n], "big"), 2 + n
        out.append(bytes(data[i : i + header + length]))
        i += header + length
    return out


def _ca_sources(cafile: Any, capath: Any, cadata: Any) -> List[Tuple[Any, ...]]:
    """``load_verify_locations``' arguments as the core's CA sources."""
    out: List[Tuple[Any, ...]] = []
    if cafile is not None:
        data, name = _read(cafile)
        out.append(("pem", data, f"'{name}' (cafile)"))
    if capath is not None:
        out.append(("dir", os.fsdecode(os.fspath(capath))))
    if cadata is not None:
        if isinstance(cadata, str):
            out.append(("pem", cadata.encode("ascii"), "the cadata given"))
        else:
            out.extend(("der", der) for der in _split_der(bytes(cadata)))
    return out


def install() -> None:
    """Start recording what every ``ssl.SSLContext`` is given (idempotent; done at
    ``import fastdimse``). Each wrapper calls ``ssl``'s own method first, so behaviour and
    errors are unchanged; a failure to record (a file gone between the two reads) is kept and
    reported only if the context is used with fastdimse."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    cls = ssl.SSLContext
    orig_new = cls.__dict__["__new__"].__func__
    orig_chain = cls.load_cert_chain
    orig_verify = cls.load_verify_locations
    orig_default = cls.set_default_verify_paths
    orig_ciphers = cls.set_ciphers

    @functools.wraps(orig_new)
    def __new__(klass, *args, **kwargs):  # noqa: N807 - the name the class looks up
        ctx = orig_new(klass, *args, **kwargs)
        with _lock:
            _records[ctx] = _Record(complete=True)
        return ctx

    @functools.wraps(orig_chain)
    def load_cert_chain(self, certfile, keyfile=None, password=None):
        orig_chain(self, certfile, keyfile, password)
        rec = _record(self)
        try:
            rec.cert_chain, rec.private_key, rec.key_error = _load_chain(
                certfile, keyfile, password
            )
        except OSError as exc:
            rec.key_error = f"cannot read the files given to load_cert_chain: {exc}"

    @functools.wraps(orig_verify)
    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        orig_verify(self, cafile, capath, cadata)
        rec = _record(self)
        try:
            rec.ca.extend(_ca_sources(cafile, capath, cadata))
        except OSError as exc:
            rec.ca_error = f"cannot read the files given to load_verify_locations: {exc}"

    @functools.wraps(orig_default)
    def set_default_verify_paths(self):
        orig_default(self)
        _record(self).ca.append(("system",))

    @functools.wraps(orig_ciphers)
    def set_ciphers(self, cipherlist):
        orig_ciphers(self, cipherlist)
        _record(self).offered = None

    cls.__new__ = staticmethod(__new__)
    cls.set_ciphers = set_ciphers
    cls.load_cert_chain = load_cert_chain
    cls.load_verify_locations = load_verify_locations
    cls.set_default_verify_paths = set_default_verify_paths


def _version_floor(value: Any, what: str) -> str:
    """A ``minimum_version`` as the core's floor: below TLS 1.2 is raised to 1.2 with a
    warning (RFC 8996 and PS3.15 B.12 forbid TLS 1.0 / 1.1; OpenSSL 3's default security
    level refuses them too, so Python's ``ssl`` would not have negotiated them either)."""
    v = int(value)
    if v == ssl.TLSVersion.MINIMUM_SUPPORTED or v == ssl.TLSVersion.TLSv1_2:
        return TLS12
    if v == ssl.TLSVersion.TLSv1_3:
        return TLS13
    if v < ssl.TLSVersion.TLSv1_2:
        warnings.warn(
            f"{what} {ssl.TLSVersion(v)!r} is below TLS 1.2, which BCP 195 (RFC 8996, "
            "PS3.15 B.12) forbids: fastdimse uses TLS 1.2 as the minimum",
            RuntimeWarning,
            stacklevel=4,
        )
        return TLS12
    raise ValueError(f"{what} {value!r} is not a TLS version fastdimse knows")


def _version_ceiling(value: Any, what: str) -> str:
    """A ``maximum_version`` as the core's ceiling; below TLS 1.2 nothing is left: refused."""
    v = int(value)
    if v == ssl.TLSVersion.MAXIMUM_SUPPORTED or v == ssl.TLSVersion.TLSv1_3:
        return TLS13
    if v == ssl.TLSVersion.TLSv1_2:
        return TLS12
    raise ValueError(
        f"{what} {ssl.TLSVersion(v)!r} is below TLS 1.2: fastdimse speaks only TLS 1.2 and "
        "1.3 (BCP 195, RFC 8996, PS3.15 B.12)"
    )


def _context_versions(ctx: ssl.SSLContext) -> Tuple[str, str]:
    """The TLS versions a context allows, as (min, max) of the core's names."""
    fixed = {
        getattr(ssl, "PROTOCOL_TLSv1", None): "TLS 1.0",
        getattr(ssl, "PROTOCOL_TLSv1_1", None): "TLS 1.1",
    }
    fixed.pop(None, None)
    if ctx.protocol in fixed:
        raise ValueError(
            f"the SSLContext's protocol {ctx.protocol!r} allows only {fixed[ctx.protocol]}: "
            "fastdimse speaks only TLS 1.2 and 1.3 (BCP 195, RFC 8996, PS3.15 B.12)"
        )
    if ctx.protocol == getattr(ssl, "PROTOCOL_TLSv1_2", object()):
        return TLS12, TLS12
    lo = _version_floor(ctx.minimum_version, "the SSLContext's minimum_version")
    hi = _version_ceiling(ctx.maximum_version, "the SSLContext's maximum_version")
    if ctx.options & ssl.OP_NO_TLSv1_3:
        hi = TLS12
    if ctx.options & ssl.OP_NO_TLSv1_2:
        lo = TLS13
    if lo > hi:
        raise ValueError(
            f"the SSLContext allows no TLS version fastdimse speaks (minimum {lo}, maximum {hi})"
        )
    return lo, hi


def _suites_and_versions(
    allowed: List[str], lo: str, hi: str, what: str
) -> Tuple[List[str], str, str]:
    """The suites kept, with the versions narrowed to those that still have a suite: no TLS
    1.2 suite left raises the floor to 1.3 (with a warning: TLS 1.2 peers will fail), no TLS
    1.3 suite lowers the ceiling to 1.2; nothing left at all is refused."""
    tls12 = [s for s in allowed if "_WITH_" in s]
    tls13 = [s for s in allowed if "_WITH_" not in s]
    if not allowed or (lo == TLS13 and not tls13) or (hi == TLS12 and not tls12):
        raise ValueError(
            f"{what} leave no cipher suite fastdimse implements for TLS {lo[4:]} to {hi[4:]} "
            f"(the BCP 195 suites: {', '.join(BCP195_SUITES)})"
        )
    if lo == TLS12 and not tls12:
        warnings.warn(
            f"{what} leave no TLS 1.2 cipher suite among the BCP 195 suites fastdimse "
            f"implements ({', '.join(BCP195_SUITES[3:])}): TLS 1.3 only",
            RuntimeWarning,
            stacklevel=4,
        )
        lo = TLS13
    if hi == TLS13 and not tls13:
        hi = TLS12
    return allowed, lo, hi


def settings_from_context(
    ctx: Union[ssl.SSLContext, TLSConfig],
    server_side: bool,
    server_hostname: Optional[str] = None,
) -> Dict[str, Any]:
    """The core's TLS settings (the dictionary ``_core.CoreTlsConfig`` takes) for using
    ``ctx`` as a server (``server_side=True``, ``start_server(ssl_context=ctx)``) or as a
    client (``tls_args=(ctx, server_hostname)``).

    The role comes from the call, not from the context's ``protocol``: pynetdicom's
    documentation builds the requestor's context with ``Purpose.CLIENT_AUTH`` (a server
    context, which Python's ``ssl`` refuses on a client socket); here that code works and
    verifies the server as ``verify_mode`` says.

    Raises ``ValueError`` naming what cannot be used: a context created before fastdimse was
    imported, an encrypted key without the means to decrypt it, versions below TLS 1.2 only,
    no cipher suite left. ``TypeError`` for anything but an ``SSLContext`` or a
    :class:`TLSConfig`.
    """
    if isinstance(ctx, TLSConfig):
        return ctx.settings(server_side, server_hostname)
    if not isinstance(ctx, ssl.SSLContext):
        raise TypeError(
            f"expected an ssl.SSLContext or a fastdimse.TLSConfig, not {type(ctx).__name__}"
        )
    with _lock:
        rec = _records.get(ctx)
    if rec is None or not rec.complete:
        raise ValueError(_PRE_IMPORT)
    for error in (rec.key_error, rec.ca_error):
        if error is not None:
            raise ValueError(error)
    mode = ctx.verify_mode
    if server_side:
        verify = {ssl.CERT_NONE: "none", ssl.CERT_OPTIONAL: "optional"}.get(mode, "require")
        check_hostname, server_hostname = False, None
    else:
        # On a client, CERT_OPTIONAL means CERT_REQUIRED (the ssl module's documentation).
        verify = "none" if mode == ssl.CERT_NONE else "require"
        check_hostname = bool(ctx.check_hostname)
    common_name = bool(check_hostname and ctx.hostname_checks_common_name)
    crl_check = "none"
    if mode != ssl.CERT_NONE:
        if ctx.verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN == ssl.VERIFY_CRL_CHECK_CHAIN:
            crl_check = "chain"
        elif ctx.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF:
            crl_check = "leaf"
    lo, hi = _context_versions(ctx)
    allowed = rec.offered
    if allowed is None:
        names = {c["name"] for c in ctx.get_ciphers()}
        offered = {_OPENSSL_NAMES[n] for n in names if n in _OPENSSL_NAMES}
        allowed = rec.offered = [s for s in BCP195_SUITES if s in offered]
    suites, lo, hi = _suites_and_versions(list(allowed), lo, hi, "the SSLContext's ciphers")
    return {
        "server_side": bool(server_side),
        "cert_chain": rec.cert_chain,
        "private_key": rec.private_key,
        "ca": list(rec.ca),
        "verify_peer": verify,
        "check_hostname": check_hostname,
        "hostname_checks_common_name": common_name,
        "server_hostname": server_hostname,
        "min_version": lo,
        "max_version": hi,
        "crl_check": crl_check,
        "key_log": ctx.keylog_filename,
        "cipher_suites": suites,
    }


_VERIFY_NAMES = {"require": "require", "optional": "optional", "none": "none"}
_VERIFY_MODES = {ssl.CERT_REQUIRED: "require", ssl.CERT_OPTIONAL: "optional", ssl.CERT_NONE: "none"}


def _path(value: Any, what: str) -> Optional[str]:
    if value is None:
        return None
    try:
        return os.fsdecode(os.fspath(value))
    except TypeError:
        raise TypeError(f"{what} must be a path (str or os.PathLike), not {value!r}") from None


class TLSConfig:
    """fastdimse's own TLS configuration from PEM files: the fast path without an
    ``ssl.SSLContext``, accepted wherever one is (``tls_args=(TLSConfig(...), hostname)``,
    ``start_server(..., ssl_context=TLSConfig(...))``). Files are read, and every error naming
    its file raised, when the configuration is first used by ``start_server()`` or
    ``associate()``.

    Parameters
    ----------
    certfile, keyfile : path, optional
        Our certificate chain (PEM, leaf first) and private key (PEM; ``keyfile`` may be
        omitted when ``certfile`` holds the key too). Required for a server; for a client,
        they are the client certificate of mutual TLS.
    password : str, bytes or callable, optional
        Decrypts an encrypted key (needs the ``cryptography`` package).
    cafile, capath, cadata
        Trusted CA certificates, as ``SSLContext.load_verify_locations`` takes them.
    system_ca : bool
        Also trust the operating system's CA store (``load_default_certs``); default False,
        since DICOM peers usually have certificates from a private CA.
    verify_mode : ssl.VerifyMode or "require" / "optional" / "none"
        Server: require a client certificate, verify it if presented, or not ask for one.
        Client: verify the server ("require" / "optional") or not ("none"). Default
        ``CERT_REQUIRED``, as DCMTK requires the peer's certificate by default.
    check_hostname : bool, optional
        Client: the server's certificate must match ``server_hostname`` (DNS name or IP).
        Default: True unless ``verify_mode`` is none.
    hostname_checks_common_name : bool
        Client: a server certificate without DNS names matches through its subject CN, as
        OpenSSL (and so Python's ``ssl``, by default) allows; many DICOM test certificates
        made with ``openssl req -subj /CN=host`` have no DNS names. Default True.
    server_hostname : str, optional
        Client: the name used when ``tls_args`` gives none; sent as SNI (DNS names only).
    minimum_version, maximum_version : ssl.TLSVersion
        TLS 1.2 or 1.3 (``MINIMUM_SUPPORTED`` / ``MAXIMUM_SUPPORTED`` for 1.2 / 1.3); lower
        versions raise ``ValueError``.
    cipher_suites : list of str, optional
        IANA names, a subset of the BCP 195 suites (``BCP195_SUITES``), in order of preference.
    crl_check : "none", "leaf" or "chain"
        Check the peer's certificate (or its whole chain) against the CRLs (PEM ``X509 CRL``)
        found in ``cafile`` / ``capath`` / ``cadata``; at least one must be loaded.
    keylog_filename : path, optional
        Append the TLS secrets to this file (NSS key log format, for Wireshark); default
        ``$SSLKEYLOGFILE``, as ``ssl.create_default_context`` does.
    """

    __slots__ = (
        "certfile",
        "keyfile",
        "_password",
        "cafile",
        "capath",
        "cadata",
        "system_ca",
        "verify_mode",
        "check_hostname",
        "hostname_checks_common_name",
        "server_hostname",
        "minimum_version",
        "maximum_version",
        "cipher_suites",
        "crl_check",
        "keylog_filename",
        "__weakref__",
    )

    def __init__(
        self,
        certfile: Any = None,
        keyfile: Any = None,
        *,
        password: Any = None,
        cafile: Any = None,
        capath: Any = None,
        cadata: Union[str, bytes, None] = None,
        system_ca: bool = False,
        verify_mode: Union[ssl.VerifyMode, str] = ssl.CERT_REQUIRED,
        check_hostname: Optional[bool] = None,
        hostname_checks_common_name: bool = True,
        server_hostname: Optional[str] = None,
        minimum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
        maximum_version: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED,
        cipher_suites: Optional[List[str]] = None,
        crl_check: str = "none",
        keylog_filename: Any = None,
    ) -> None:
        self.certfile = _path(certfile, "certfile")
        self.keyfile = _path(keyfile, "keyfile")
        if self.keyfile is not None and self.certfile is None:
            raise ValueError("keyfile needs certfile: the key belongs to a certificate")
        self._password = password
        self.cafile = _path(cafile, "cafile")
        self.capath = _path(capath, "capath")
        if cadata is not None and not isinstance(cadata, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"cadata must be PEM text (str) or DER bytes, not {cadata!r}")
        self.cadata = cadata
        self.system_ca = bool(system_ca)
        if isinstance(verify_mode, str):
            if verify_mode not in _VERIFY_NAMES:
                raise ValueError(
                    f"verify_mode must be 'require', 'optional' or 'none', not {verify_mode!r}"
                )
            self.verify_mode = verify_mode
        elif verify_mode in _VERIFY_MODES:
            self.verify_mode = _VERIFY_MODES[verify_mode]
        else:
            raise ValueError(f"verify_mode must be an ssl.VerifyMode, not {verify_mode!r}")
        if check_hostname is None:
            check_hostname = self.verify_mode != "none"
        self.check_hostname = bool(check_hostname)
        self.hostname_checks_common_name = bool(hostname_checks_common_name)
        if self.check_hostname and self.verify_mode == "none":
            raise ValueError("check_hostname=True needs verify_mode other than CERT_NONE")
        if server_hostname is not None and not isinstance(server_hostname, str):
            raise TypeError(f"server_hostname must be a str, not {server_hostname!r}")
        self.server_hostname = server_hostname
        for value, what in (
            (minimum_version, "minimum_version"),
            (maximum_version, "maximum_version"),
        ):
            v = int(value)
            if v not in (-2, -1) and v < ssl.TLSVersion.TLSv1_2:
                raise ValueError(
                    f"{what} {value!r} is below TLS 1.2: fastdimse speaks only TLS 1.2 and "
                    "1.3 (BCP 195, RFC 8996, PS3.15 B.12)"
                )
        self.minimum_version = _version_floor(minimum_version, "minimum_version")
        self.maximum_version = _version_ceiling(maximum_version, "maximum_version")
        if self.minimum_version > self.maximum_version:
            raise ValueError(
                f"minimum_version {minimum_version!r} is above maximum_version {maximum_version!r}"
            )
        if cipher_suites is not None:
            unknown = [s for s in cipher_suites if s not in BCP195_SUITES]
            if unknown:
                raise ValueError(
                    f"cipher suites {unknown} are not among the BCP 195 suites fastdimse "
                    f"implements: {', '.join(BCP195_SUITES)}"
                )
            cipher_suites = list(cipher_suites)
        self.cipher_suites = cipher_suites
        if crl_check not in ("none", "leaf", "chain"):
            raise ValueError(f"crl_check must be 'none', 'leaf' or 'chain', not {crl_check!r}")
        self.crl_check = crl_check
        if keylog_filename is None and not sys.flags.ignore_environment:
            keylog_filename = os.environ.get("SSLKEYLOGFILE") or None
        self.keylog_filename = _path(keylog_filename, "keylog_filename")

    def settings(self, server_side: bool, server_hostname: Optional[str] = None) -> Dict[str, Any]:
        """The core's settings for this configuration in one role (see
        :func:`settings_from_context`); ``server_hostname`` overrides the configured one."""
        cert_chain: PemSource = None
        private_key: PemSource = None
        if self.certfile is not None:
            cert_chain = ("path", self.certfile)
            if self.keyfile is not None:
                private_key = ("path", self.keyfile)
            key_path = self.keyfile or self.certfile
            try:
                with open(key_path, "rb") as f:
                    encrypted = bool(_ENCRYPTED.search(f.read()))
            except OSError:
                encrypted = False  # the core names the file when it cannot read it
            if encrypted:
                data, _ = _read(key_path)
                plain, error = _decrypt_key(data, self._password, key_path)
                if error is not None:
                    raise ValueError(error)
                private_key = ("pem", plain, f"the decrypted key of '{key_path}'")
        ca: List[Tuple[Any, ...]] = []
        if self.cafile is not None:
            ca.append(("file", self.cafile))
        if self.capath is not None:
            ca.append(("dir", self.capath))
        if isinstance(self.cadata, str):
            ca.append(("pem", self.cadata.encode("ascii"), "the cadata given"))
        elif self.cadata is not None:
            ca.extend(("der", der) for der in _split_der(bytes(self.cadata)))
        if self.system_ca:
            ca.append(("system",))
        suites = list(self.cipher_suites) if self.cipher_suites is not None else list(BCP195_SUITES)
        suites, lo, hi = _suites_and_versions(
            suites, self.minimum_version, self.maximum_version, "the cipher_suites given"
        )
        hostname = None if server_side else (server_hostname or self.server_hostname)
        return {
            "server_side": bool(server_side),
            "cert_chain": cert_chain,
            "private_key": private_key,
            "ca": ca,
            "verify_peer": self.verify_mode,
            "check_hostname": False if server_side else self.check_hostname,
            "hostname_checks_common_name": not server_side and self.hostname_checks_common_name,
            "server_hostname": hostname,
            "min_version": lo,
            "max_version": hi,
            "crl_check": self.crl_check,
            "key_log": self.keylog_filename,
            "cipher_suites": suites,
        }

    def __repr__(self) -> str:
        parts = [
            f"{name}={getattr(self, name)!r}"
            for name in (
                "certfile",
                "keyfile",
                "cafile",
                "capath",
                "verify_mode",
                "check_hostname",
                "server_hostname",
            )
            if getattr(self, name) is not None
        ]
        return f"TLSConfig({', '.join(parts)})"


def _freeze(settings: Dict[str, Any]) -> Tuple[Any, ...]:
    """A settings dict as a hashable key (its keys always come in the same order)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in settings.values())


_cores: weakref.WeakKeyDictionary[Any, Dict[Any, Any]] = weakref.WeakKeyDictionary()


def core_config(
    ctx: Union[ssl.SSLContext, TLSConfig],
    server_side: bool,
    server_hostname: Optional[str] = None,
) -> Any:
    """The loaded ``_core.CoreTlsConfig`` for ``ctx`` in one role: built (files read, keys
    checked) the first time, then shared while the context's settings stay the same, so that
    every association of a requestor reuses one rustls configuration and with it TLS session
    resumption. A changed setting (``verify_mode``, another ``load_verify_locations``, ...)
    gives a new one. Raises what :func:`settings_from_context` and ``CoreTlsConfig`` raise."""
    from ._core import CoreTlsConfig

    settings = settings_from_context(ctx, server_side, server_hostname)
    key = _freeze(settings)
    with _lock:
        cached = _cores.get(ctx)
        if cached is not None and key in cached:
            return cached[key]
    core = CoreTlsConfig(settings)
    with _lock:
        per_ctx = _cores.setdefault(ctx, {})
        if len(per_ctx) >= 8:  # a context changed again and again: keep the newest few
            per_ctx.pop(next(iter(per_ctx)))
        per_ctx[key] = core
    return core


install()
