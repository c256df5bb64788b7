"""Command-line applications: ``python -m fastdimse echoscu|echoscp``.

Their options, defaults, output and exit codes follow pynetdicom's apps of
the same names, so scripts written for those keep working.
"""

from __future__ import annotations

import argparse
import logging
from typing import List

from fastdimse._logging import LOG_FORMAT, LOGGER_NAME

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
            type=float,
            default=30,
        )


def add_max_pdu_option(group: argparse._ArgumentGroup) -> None:
    """Add -pdu/--max-pdu."""
    group.add_argument(
        "-pdu",
        "--max-pdu",
        metavar="[n]umber of bytes",
        help=f"set max receive pdu to n bytes (0 for unlimited, default: {DEFAULT_MAX_LENGTH})",
        type=int,
        default=DEFAULT_MAX_LENGTH,
    )


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
    "DEFAULT_MAX_LENGTH",
    "add_general_options",
    "add_max_pdu_option",
    "add_timeout_options",
    "setup_logging",
]
