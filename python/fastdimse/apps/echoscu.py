"""echoscu: send C-ECHO requests to a peer, to check that it answers.

Options and exit codes are pynetdicom's echoscu's: 0 once an association was
established (whatever the echo statuses), 1 if it could not be. Two additions
for health checks: ``--json`` prints one JSON object per echo on standard
output, and verbose mode logs each echo's round-trip time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

from fastdimse.apps import (
    DEFAULT_MAX_LENGTH,
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    add_general_options,
    add_max_pdu_option,
    add_timeout_options,
    setup_logging,
    version,
)
from fastdimse.status import code_to_category, status_description

EXIT_OK = 0
EXIT_NO_ASSOCIATION = 1

_MAX_MESSAGE_ID = 0xFFFF


def build_parser() -> argparse.ArgumentParser:
    """Return echoscu's argument parser."""
    parser = argparse.ArgumentParser(
        prog="echoscu",
        description=(
            "The echoscu application implements a Service Class User (SCU) for the "
            "Verification Service Class. It sends a DICOM C-ECHO message to a "
            "Service Class Provider (SCP) and waits for a response. The application "
            "can be used to verify basic DICOM connectivity."
        ),
        usage="echoscu [options] addr port",
    )
    params = parser.add_argument_group("Parameters")
    params.add_argument("addr", help="TCP/IP address of DICOM peer", type=str)
    params.add_argument("port", help="TCP/IP port number of peer", type=int)

    add_general_options(parser)

    net = parser.add_argument_group("Network Options")
    net.add_argument(
        "-aet",
        "--calling-aet",
        metavar="[a]etitle",
        help="set my calling AE title (default: ECHOSCU)",
        type=str,
        default="ECHOSCU",
    )
    net.add_argument(
        "-aec",
        "--called-aet",
        metavar="[a]etitle",
        help="set called AE title of peer (default: ANY-SCP)",
        type=str,
        default="ANY-SCP",
    )
    add_timeout_options(net)
    add_max_pdu_option(net)

    ts = parser.add_argument_group("Transfer Syntax Options").add_mutually_exclusive_group()
    ts.add_argument(
        "-xe",
        "--request-little",
        help="request explicit VR little endian TS only",
        action="store_true",
    )
    ts.add_argument(
        "-xb", "--request-big", help="request explicit VR big endian TS only", action="store_true"
    )
    ts.add_argument(
        "-xi",
        "--request-implicit",
        help="request implicit VR little endian TS only",
        action="store_true",
    )

    misc = parser.add_argument_group("Miscellaneous Options")
    misc.add_argument(
        "--repeat", metavar="[n]umber", help="repeat echo request n times", type=int, default=1
    )
    misc.add_argument(
        "--abort", help="abort association instead of releasing it", action="store_true"
    )

    out = parser.add_argument_group("Output Options")
    out.add_argument(
        "--json",
        help=(
            "print one JSON object per echo on standard output (status, latency_ms...), "
            "or one describing why no association was made"
        ),
        action="store_true",
    )
    return parser


def requested_transfer_syntaxes(args: argparse.Namespace) -> List[str]:
    """The transfer syntaxes to propose, from -xe/-xb/-xi (default: all four uncompressed)."""
    if args.request_little:
        return [EXPLICIT_VR_LITTLE_ENDIAN]
    if args.request_big:
        return [EXPLICIT_VR_BIG_ENDIAN]
    if args.request_implicit:
        return [IMPLICIT_VR_LITTLE_ENDIAN]
    return [
        EXPLICIT_VR_LITTLE_ENDIAN,
        IMPLICIT_VR_LITTLE_ENDIAN,
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
    ]


def echo_record(
    args: argparse.Namespace, number: int, message_id: int, status: Any, latency_ms: float
) -> Dict[str, Any]:
    """The JSON object describing one echo; `status` is what send_c_echo() returned."""
    record: Dict[str, Any] = {
        "addr": args.addr,
        "port": args.port,
        "called_aet": args.called_aet,
        "echo": number,
        "message_id": message_id,
        "latency_ms": round(latency_ms, 3),
    }
    code = getattr(status, "Status", None) if status is not None else None
    if isinstance(code, int):
        record.update(
            status=code,
            status_hex=f"0x{code:04X}",
            category=code_to_category(code),
            description=status_description(code),
        )
        comment = getattr(status, "ErrorComment", None)
        if comment:
            record["error_comment"] = str(comment)
    else:
        record.update(status=None, category=None, error="no valid response")
    return record


def association_failure_record(args: argparse.Namespace, assoc: Any) -> Dict[str, Any]:
    """The JSON object printed when no association was established."""
    if getattr(assoc, "is_rejected", False):
        reason = "association rejected"
    elif getattr(assoc, "is_aborted", False):
        reason = "association aborted"
    else:
        reason = "association failed"
    return {
        "addr": args.addr,
        "port": args.port,
        "called_aet": args.called_aet,
        "echo": None,
        "status": None,
        "category": None,
        "latency_ms": None,
        "error": reason,
    }


def _print_json(record: Dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=False), flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run echoscu with `argv` (default: the command line) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--version" in argv:
        print(f"echoscu.py v{version()}")
        return EXIT_OK
    args = build_parser().parse_args(argv)

    logger = setup_logging(args, "echoscu")
    logger.debug(f"echoscu.py v{version()}")
    logger.debug("")

    from fastdimse import AE
    from fastdimse.sop_class import Verification

    ae = AE(ae_title=args.calling_aet)
    ae.add_requested_context(Verification, requested_transfer_syntaxes(args))
    ae.acse_timeout = args.acse_timeout
    ae.dimse_timeout = args.dimse_timeout
    ae.network_timeout = args.network_timeout

    assoc = ae.associate(args.addr, args.port, ae_title=args.called_aet, max_pdu=args.max_pdu)
    if not assoc.is_established:
        if args.json:
            _print_json(association_failure_record(args, assoc))
        return EXIT_NO_ASSOCIATION

    exit_code = EXIT_OK
    for number in range(1, args.repeat + 1):
        if not assoc.is_established:
            logger.error("Association lost before all the echoes were sent")
            exit_code = EXIT_NO_ASSOCIATION
            break
        message_id = (number - 1) % _MAX_MESSAGE_ID + 1
        started = time.perf_counter()
        status = assoc.send_c_echo(msg_id=message_id)
        latency_ms = (time.perf_counter() - started) * 1000.0
        logger.info(f"Echo response latency: {latency_ms:.3f} ms")
        if args.json:
            _print_json(echo_record(args, number, message_id, status, latency_ms))

    if assoc.is_established:
        if args.abort:
            assoc.abort()
        else:
            assoc.release()
    return exit_code


__all__ = ["main", "build_parser", "DEFAULT_MAX_LENGTH"]


if __name__ == "__main__":
    sys.exit(main())
