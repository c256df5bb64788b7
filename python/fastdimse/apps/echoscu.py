"""echoscu: send C-ECHO requests to a peer, to check that it answers.

Options and exit codes are pynetdicom's echoscu's: 0 once an association was
established (whatever the echo statuses), 1 if it could not be, 2 for a bad
command line. Additions for health checks: ``--require-success`` makes the exit
code say whether every echo got a Success response (3: a non-Success status,
4: no response), ``--json`` prints one JSON object per echo (or one saying why
no association was made, with a stable ``error_kind``) on standard output,
``-to`` bounds the TCP connect, and verbose mode logs each echo's round-trip
time. See docs/apps.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fastdimse.apps import (
    DEFAULT_MAX_LENGTH,
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXIT_FAILURE,
    EXIT_USAGE,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    add_general_options,
    add_max_pdu_option,
    add_timeout_options,
    add_tls_options,
    ae_title,
    port_number,
    report_failure,
    seconds,
    setup_logging,
    tls_config,
    version,
    whole_number,
)
from fastdimse.apps.failures import (
    KIND_ACSE_TIMEOUT,
    KIND_ASSOCIATION_FAILED,
    KIND_DIMSE_TIMEOUT,
    KIND_FAILURE_STATUS,
    KIND_NAME_RESOLUTION,
    AppError,
    abort_fields,
    connect_failure,
    no_context_fields,
    rejection_fields,
)
from fastdimse.status import code_to_category, status_description

EXIT_OK = 0
EXIT_NO_ASSOCIATION = EXIT_FAILURE
EXIT_NOT_SUCCESS = 3
"""With --require-success: every echo was answered, but some status was not Success."""
EXIT_NO_RESPONSE = 4
"""With --require-success: some echo got no response (DIMSE timeout, abort, lost
association), so not every echo was sent or answered."""

EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as shells report it)."""

#: How long to wait for the abort notification that explains an echo without a response.
_ABORT_NOTICE_WAIT = 2.0

EPILOG = f"""\
exit status:
  {EXIT_OK}  an association was established (whatever the echo statuses, as pynetdicom's
     echoscu); with --require-success: every echo got a Success (0x0000) response
  {EXIT_NO_ASSOCIATION}  no association: name resolution, connection refused or timed out, rejected,
     aborted (--json says which); or, without --require-success, the association was
     lost before the last --repeat
  {EXIT_USAGE}  bad command line (usage and the bad value on standard error)
  {EXIT_NOT_SUCCESS}  with --require-success: every echo was answered, some not with Success
  {EXIT_NO_RESPONSE}  with --require-success: some echo got no response (DIMSE timeout, abort)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
"""

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
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        prefix_chars="-+",
    )
    params = parser.add_argument_group("Parameters")
    params.add_argument("addr", help="TCP/IP address of DICOM peer", type=str)
    params.add_argument("port", help="TCP/IP port number of peer", type=port_number(1))

    add_general_options(parser)

    net = parser.add_argument_group("Network Options")
    net.add_argument(
        "-aet",
        "--calling-aet",
        metavar="[a]etitle",
        help="set my calling AE title (default: ECHOSCU)",
        type=ae_title,
        default="ECHOSCU",
    )
    net.add_argument(
        "-aec",
        "--called-aet",
        metavar="[a]etitle",
        help="set called AE title of peer (default: ANY-SCP)",
        type=ae_title,
        default="ANY-SCP",
    )
    add_timeout_options(net)
    net.add_argument(
        "-to",
        "--timeout",
        metavar="[s]econds",
        help="timeout for the TCP connection (default: unlimited, as pynetdicom's)",
        type=seconds,
        default=None,
    )
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
        "--repeat",
        metavar="[n]umber",
        help="repeat echo request n times",
        type=whole_number(0),
        default=1,
    )
    misc.add_argument(
        "--abort", help="abort association instead of releasing it", action="store_true"
    )

    out = parser.add_argument_group("Output Options")
    out.add_argument(
        "--json",
        help=(
            "print one JSON object per echo on standard output (status, latency_ms, "
            "error_kind...), or one describing why no association was made"
        ),
        action="store_true",
    )
    out.add_argument(
        "--require-success",
        help=(
            "exit 0 only if every echo got a Success response: 3 if some status was not "
            "Success, 4 if some echo got no response (health checks)"
        ),
        action="store_true",
    )
    add_tls_options(parser, server=False)
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


def _base_record(args: argparse.Namespace) -> Dict[str, Any]:
    return {"addr": args.addr, "port": args.port, "called_aet": args.called_aet}


def echo_record(
    args: argparse.Namespace,
    number: int,
    message_id: int,
    status: Any,
    latency_ms: float,
    no_response: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The JSON object describing one echo; `status` is what send_c_echo() returned and
    `no_response` the fields saying why it holds no status (DIMSE timeout, abort)."""
    record: Dict[str, Any] = {
        **_base_record(args),
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
        if code == 0x0000:
            record.update(error=None, error_kind=None)
        else:
            record.update(
                error=f"status 0x{code:04X} is not Success", error_kind=KIND_FAILURE_STATUS
            )
    else:
        record.update(status=None, category=None, error="no valid response")
        record.update(no_response or {})
    return record


def association_failure_record(args: argparse.Namespace, fields: Dict[str, Any]) -> Dict[str, Any]:
    """The JSON object printed when no association was established; `fields` say why."""
    return {
        **_base_record(args),
        "echo": None,
        "status": None,
        "category": None,
        "latency_ms": None,
        **fields,
    }


class AbortWatch:
    """Remembers the A-ABORT (or A-P-ABORT) that ended the association, as EVT_ABORTED
    reports it: who aborted, with which source and reason."""

    def __init__(self) -> None:
        self.seen = threading.Event()
        self.by_peer = False
        self.source = 0
        self.reason = 0

    def __call__(self, event: Any) -> None:
        self.by_peer = bool(getattr(event, "by_peer", False))
        self.source = int(getattr(event, "source", 0) or 0)
        self.reason = int(getattr(event, "reason", 0) or 0)
        self.seen.set()

    def fields(self, wait: float = 0.0) -> Optional[Dict[str, Any]]:
        """The abort's JSON fields, or None if no abort was reported (within `wait` s)."""
        if not self.seen.wait(wait):
            return None
        return abort_fields(self.by_peer, self.source, self.reason)


def resolve(args: argparse.Namespace) -> None:
    """Fail with one line if the peer's host name does not resolve (before the core tries:
    it would only log the resolver's words, not the name)."""
    try:
        socket.getaddrinfo(args.addr, args.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        detail = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise AppError(
            f"cannot resolve host {args.addr!r}: {detail}",
            fields={"error": "name resolution failed", "error_kind": KIND_NAME_RESOLUTION},
        ) from exc


def association_failure(assoc: Any, aborts: AbortWatch) -> Dict[str, Any]:
    """JSON fields saying why `assoc` was not established."""
    error = getattr(assoc, "_connect_error", None)
    if error is not None:
        return connect_failure(error)
    rejection = getattr(assoc, "rejection", None)
    if getattr(assoc, "is_rejected", False) and rejection is not None:
        return rejection_fields(*rejection)
    rejected = getattr(assoc, "rejected_contexts", None)
    if rejected and not getattr(assoc, "accepted_contexts", None):
        # Negotiated, but nothing usable: aborted by us, as pynetdicom does.
        return no_context_fields(rejected)
    fields = aborts.fields(_ABORT_NOTICE_WAIT)
    if fields is None:
        return {"error": "association failed", "error_kind": KIND_ASSOCIATION_FAILED}
    if not aborts.by_peer and aborts.source == 0:
        # We aborted: the only reason during negotiation is the ACSE timeout.
        return {"error": "no answer within the ACSE timeout", "error_kind": KIND_ACSE_TIMEOUT}
    return fields


def no_response_fields(aborts: AbortWatch, dimse_timeout: float) -> Dict[str, Any]:
    """JSON fields saying why an echo got no response."""
    fields = aborts.fields(_ABORT_NOTICE_WAIT)
    if fields is None or (not aborts.by_peer and aborts.source == 0):
        # We aborted (or nothing was reported): during an echo only the DIMSE timeout does.
        return {
            "error": f"no response within the DIMSE timeout ({dimse_timeout:g} s)",
            "error_kind": KIND_DIMSE_TIMEOUT,
        }
    return fields


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
    try:
        return run(args, logger)
    except AppError as exc:
        if args.json and exc.fields:
            _print_json(association_failure_record(args, exc.fields))
        return report_failure("echoscu", exc, debug=args.log_type == "d")
    except Exception as exc:  # noqa: BLE001 - one line, see report_failure
        return report_failure("echoscu", exc, debug=args.log_type == "d")
    except KeyboardInterrupt:
        sys.stderr.write("echoscu: interrupted\n")
        return EXIT_INTERRUPTED


def run(args: argparse.Namespace, logger: Any) -> int:
    """Associate, echo, release: the app once its arguments are checked."""
    from fastdimse import AE, evt
    from fastdimse.sop_class import Verification

    ae = AE(ae_title=args.calling_aet)
    ae.add_requested_context(Verification, requested_transfer_syntaxes(args))
    ae.acse_timeout = args.acse_timeout
    ae.dimse_timeout = args.dimse_timeout
    ae.network_timeout = args.network_timeout
    ae.connection_timeout = args.timeout

    resolve(args)
    aborts = AbortWatch()
    tls = tls_config(args, server=False)
    tls_args = None
    if tls is not None:
        hostname = None if args.tls_peer == "none" else (args.tls_hostname or args.addr)
        tls_args = (tls, hostname)
    assoc = ae.associate(
        args.addr,
        args.port,
        ae_title=args.called_aet,
        max_pdu=args.max_pdu,
        tls_args=tls_args,
        evt_handlers=[(evt.EVT_ABORTED, aborts)],
    )
    if not assoc.is_established:
        if args.json:
            _print_json(association_failure_record(args, association_failure(assoc, aborts)))
        return EXIT_NO_ASSOCIATION

    try:
        exit_code, not_success, no_response = echo_all(args, assoc, aborts, logger)
    except BaseException:
        assoc.abort()  # an unexpected error or Ctrl-C: do not leave the peer waiting
        raise

    if assoc.is_established:
        if args.abort:
            assoc.abort()
        else:
            assoc.release()
    if args.require_success:
        return EXIT_NO_RESPONSE if no_response else EXIT_NOT_SUCCESS if not_success else EXIT_OK
    return exit_code


def echo_all(
    args: argparse.Namespace, assoc: Any, aborts: AbortWatch, logger: Any
) -> Tuple[int, bool, bool]:
    """Send the --repeat echoes; return (pynetdicom's exit code, some status was not
    Success, some echo got no response or was never sent)."""
    not_success = no_response = False
    for number in range(1, args.repeat + 1):
        if not assoc.is_established:
            logger.error("Association lost before all the echoes were sent")
            return EXIT_NO_ASSOCIATION, not_success, True
        message_id = (number - 1) % _MAX_MESSAGE_ID + 1
        started = time.perf_counter()
        status = assoc.send_c_echo(msg_id=message_id)
        latency_ms = (time.perf_counter() - started) * 1000.0
        code = getattr(status, "Status", None)
        missing: Optional[Dict[str, Any]] = None
        if not isinstance(code, int):
            no_response = True
            if args.json:
                missing = no_response_fields(aborts, args.dimse_timeout)
        else:
            logger.info(f"Echo response latency: {latency_ms:.3f} ms")
            not_success = not_success or code != 0x0000
        if args.json:
            _print_json(echo_record(args, number, message_id, status, latency_ms, missing))
    return EXIT_OK, not_success, no_response


__all__ = ["main", "build_parser", "DEFAULT_MAX_LENGTH", "EPILOG"]


if __name__ == "__main__":
    sys.exit(main())
