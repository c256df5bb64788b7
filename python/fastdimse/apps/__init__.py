"""Command-line applications: ``python -m fastdimse echoscu|echoscp``.

Their options, defaults, output and exit codes follow pynetdicom's apps of
the same names, so scripts written for those keep working. What they add (see
docs/apps.md): bad option values are usage errors naming the value (exit 2),
run-time failures are one line on standard error (exit 1) with the traceback
only in debug mode, and echoscu's --json and --require-success for health checks.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import traceback
from typing import Any, Callable, List, Optional

from fastdimse._logging import LOG_FORMAT, LOGGER_NAME
from fastdimse.apps.failures import AppError

DEFAULT_MAX_LENGTH = 16382
"""Default maximum PDU length we announce (pynetdicom's default)."""

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"

# Every transfer syntax an SCP accepts by default, in order of preference: the
# uncompressed ones first, then the encapsulated ones of PS3.6 Table A-1.
ALL_TRANSFER_SYNTAXES: List[str] = [
    IMPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    *(
        f"1.2.840.10008.1.2.4.{suffix}"
        for suffix in (
            "50",
            "51",
            "57",
            "70",
            "80",
            "81",
            "90",
            "91",
            "92",
            "93",
            "94",
            "95",
            "100",
            "100.1",
            "101",
            "101.1",
            "102",
            "102.1",
            "103",
            "103.1",
            "104",
            "104.1",
            "105",
            "105.1",
            "106",
            "106.1",
            "107",
            "108",
            "110",
            "111",
            "112",
            "201",
            "202",
            "203",
            "204",
            "205",
        )
    ),  # fmt: skip
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.7.1",
    "1.2.840.10008.1.2.7.2",
    "1.2.840.10008.1.2.7.3",
    "1.2.840.10008.1.2.8.1",
]

EXIT_OK = 0
EXIT_FAILURE = 1
"""A runtime failure: no association, port taken... (an uncaught exception's code, as
pynetdicom's apps exit with one)."""
EXIT_USAGE = 2
"""A bad command line (argparse's code: usage and one error line)."""

MAX_SECONDS = 365 * 24 * 3600
"""The longest timeout accepted (a year): longer ones cannot be scheduled by the core."""

MAX_PDU = 0xFFFFFFFF
"""The largest maximum PDU length the 4-byte field can carry (0 means unlimited)."""

_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


def version() -> str:
    """The installed fastdimse version, as the apps print it."""
    from fastdimse import __version__

    return __version__


# ----- argument types: a bad value is a usage error (exit 2) naming the value ---------------


def port_number(minimum: int) -> Callable[[str], int]:
    """An argparse type for a TCP port from `minimum` (0 or 1) to 65535."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
        if not minimum <= value <= 0xFFFF:
            raise argparse.ArgumentTypeError(f"{value} is out of range ({minimum}-65535)")
        return value

    return parse


def whole_number(minimum: int, maximum: Optional[int] = None) -> Callable[[str], int]:
    """An argparse type for an integer from `minimum` to `maximum` (if any)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{value} is more than {maximum}")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse type for a timeout: a finite number of seconds from 0 to a year."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative (seconds must be 0 or more)")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text} is more than {MAX_SECONDS} seconds (a year)")
    return value


def ae_title(text: str) -> str:
    """An argparse type for an AE title, checked as the AE checks it."""
    from fastdimse.ae import _ae_problem

    problem = _ae_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"Invalid AE title {text!r}: {problem}")
    return text


# ----- failures: one line on stderr, the traceback only in debug mode -----------------------


def report_failure(prog: str, exc: BaseException, debug: bool) -> int:
    """Print `exc` as ``<prog>: <message>`` on standard error (after its traceback in debug
    mode) and return the exit code to use.

    An :class:`AppError` carries its message and code; anything else is unexpected and
    reported by its type and text with exit code 1. The line is printed even in quiet
    mode: it is why the app stopped, as DCMTK prints fatal errors with ``-q``.
    """
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    if isinstance(exc, AppError):
        message, code = exc.message, exc.exit_code
    else:
        message, code = f"unexpected error: {type(exc).__name__}: {exc}", EXIT_FAILURE
        if not debug:
            message += " (run with -d for the traceback)"
    sys.stderr.write(f"{prog}: {message}\n")
    sys.stderr.flush()
    return code


def add_general_options(parser: argparse.ArgumentParser) -> None:
    """Add --version, -q/-v/-d and -ll, the options every app shares."""
    group = parser.add_argument_group("General Options")
    group.add_argument("--version", help="print version information and exit", action="store_true")
    output = group.add_mutually_exclusive_group()
    for short, long, text, const in (
        ("-q", "--quiet", "quiet mode, print no warnings and errors", "q"),
        ("-v", "--verbose", "verbose mode, print processing details", "v"),
        ("-d", "--debug", "debug mode, print debug information", "d"),
    ):
        output.add_argument(
            short, long, help=text, action="store_const", dest="log_type", const=const
        )
    group.add_argument(
        "-ll",
        "--log-level",
        metavar="[l]",
        help="use level l for the logger (critical, error, warn, info, debug)",
        type=str,
        choices=list(_LEVELS),
    )


def add_timeout_options(group: argparse._ArgumentGroup) -> None:
    """Add -ta, -td and -tn (seconds, default 30 each)."""
    for short, long, what in (
        ("-ta", "--acse-timeout", "ACSE messages"),
        ("-td", "--dimse-timeout", "DIMSE messages"),
        ("-tn", "--network-timeout", "the network"),
    ):
        group.add_argument(
            short,
            long,
            metavar="[s]econds",
            help=f"timeout for {what} (default: 30 s)",
            type=seconds,
            default=30,
        )


def add_max_pdu_option(group: argparse._ArgumentGroup) -> None:
    """Add -pdu/--max-pdu."""
    group.add_argument(
        "-pdu",
        "--max-pdu",
        metavar="[n]umber of bytes",
        help=f"set max receive pdu to n bytes (0 for unlimited, default: {DEFAULT_MAX_LENGTH})",
        type=whole_number(0, MAX_PDU),
        default=DEFAULT_MAX_LENGTH,
    )


def add_tls_options(parser: argparse.ArgumentParser, server: bool) -> None:
    """Add the TLS options, with DCMTK's spellings (``+tls KEY CERT``, ``+cf FILE``,
    ``-rc``/``-vc``/``-ic``) and long names. The parser must accept ``+`` as a prefix."""
    group = parser.add_argument_group(
        "TLS Options",
        "DICOM over TLS (PS3.15 B.12: TLS 1.2 and 1.3, BCP 195 cipher suites). "
        "See docs/tls.md.",
    )
    group.add_argument(
        "+tls",
        "--enable-tls",
        nargs=2,
        metavar=("KEY", "CERT"),
        dest="tls",
        help="use TLS with this private key and certificate (PEM files, DCMTK's order)"
        + ("" if server else "; the certificate is sent to servers that ask for one"),
    )
    if not server:
        group.add_argument(
            "+tla",
            "--anonymous-tls",
            action="store_true",
            dest="tls_anonymous",
            help="use TLS without a certificate of our own",
        )
    group.add_argument(
        "+cf",
        "--add-cert-file",
        metavar="FILE",
        action="append",
        dest="tls_ca",
        default=[],
        help="trust the CA certificate(s) in this PEM file (repeatable)",
    )
    peer = group.add_mutually_exclusive_group()
    peer.add_argument(
        "-rc",
        "--require-peer-cert",
        action="store_const",
        dest="tls_peer",
        const="require",
        help="require and verify the peer's certificate (default)",
    )
    if server:
        peer.add_argument(
            "-vc",
            "--verify-peer-cert",
            action="store_const",
            dest="tls_peer",
            const="optional",
            help="verify the peer's certificate if it sends one",
        )
    peer.add_argument(
        "-ic",
        "--ignore-peer-cert",
        action="store_const",
        dest="tls_peer",
        const="none",
        help="do not verify the peer's certificate (not asked for, as a server)",
    )
    if not server:
        group.add_argument(
            "--tls-hostname",
            metavar="NAME",
            help="the name the server's certificate must match and that is sent as SNI "
            "(default: addr); with -ic no name is checked",
        )


def tls_config(args: argparse.Namespace, server: bool) -> Any:
    """The ``TLSConfig`` the TLS options ask for, or None without them. A file that cannot
    be read is an error naming it (``AppError``), not a traceback."""
    anonymous = getattr(args, "tls_anonymous", False)
    if not args.tls and not anonymous:
        if args.tls_ca or args.tls_peer:
            raise AppError("TLS options need +tls KEY CERT (or +tla for echoscu)")
        return None
    import os

    from fastdimse import TLSConfig

    files = list(args.tls or ()) + list(args.tls_ca)
    for path in files:
        if not os.access(path, os.R_OK):
            raise AppError(f"cannot read {path!r}: no such file or no permission")
    key, cert = args.tls if args.tls else (None, None)
    verify = args.tls_peer or "require"
    if verify != "none" and not args.tls_ca:
        raise AppError("verifying the peer needs its CA: +cf FILE (or -ic not to verify)")
    try:
        return TLSConfig(
            certfile=cert,
            keyfile=key,
            cafile=None,
            cadata="".join(_read_text(p) for p in args.tls_ca) or None,
            verify_mode=verify,
            check_hostname=(verify != "none") and not server,
        )
    except (TypeError, ValueError) as exc:
        raise AppError(str(exc)) from exc


def _read_text(path: str) -> str:
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


def setup_logging(args: argparse.Namespace, app_name: str) -> logging.Logger:
    """Configure the library's and the app's loggers from -q/-v/-d/-ll; return the app's.

    Both print ``L: message`` on standard error, errors only unless asked for
    more; quiet mode prints nothing at all.
    """
    formatter = logging.Formatter(LOG_FORMAT)

    library = logging.getLogger(LOGGER_NAME)
    if not any(type(h) is logging.StreamHandler for h in library.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(formatter)
        library.addHandler(handler)
        library.setLevel(logging.ERROR)

    app = logging.getLogger(app_name)
    if app.handlers:
        return app
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    app.addHandler(handler)
    app.setLevel(logging.ERROR)

    log_type = getattr(args, "log_type", None)
    if log_type == "q":
        for logger in (app, library):
            logger.handlers = [logging.NullHandler()]
    elif log_type == "v":
        app.setLevel(logging.INFO)
        library.setLevel(logging.INFO)
    elif log_type == "d":
        app.setLevel(logging.DEBUG)
        library.setLevel(logging.DEBUG)

    level = getattr(args, "log_level", None)
    if level:
        app.setLevel(_LEVELS[level])
        library.setLevel(_LEVELS[level])

    return app


__all__ = [
    "ALL_TRANSFER_SYNTAXES",
    "AppError",
    "DEFAULT_MAX_LENGTH",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "ae_title",
    "port_number",
    "report_failure",
    "seconds",
    "whole_number",
    "add_general_options",
    "add_max_pdu_option",
    "add_timeout_options",
    "setup_logging",
]
