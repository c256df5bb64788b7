"""echoscp: a Verification SCP that answers every C-ECHO with Success.

Options are pynetdicom's echoscp's. It runs until interrupted. Ctrl-C stops the
server cleanly with exit status 0, as pynetdicom's does. SIGTERM (what ``kill``,
container runtimes and service managers send) stops it just as cleanly (open
associations aborted, the port closed, running event handlers waited for) and then
ends the process by SIGTERM itself, as the Unix convention asks: the parent sees
"terminated by SIGTERM" (a shell reports 143, Python's ``returncode`` is -15), as
with pynetdicom's echoscp and DCMTK's storescp. Where the signal cannot end it
(process 1 of a container ignores it), the exit status is 143. A second SIGTERM
during that shutdown ends it at once. A bad option value exits with 2 and
argparse's usage; a server that cannot start (port taken, address not on this
machine) prints one line naming the cause and exits with 1, the traceback only in
debug mode (-d).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType
from typing import Any, List, Optional, Sequence

from fastdimse.apps import (
    ALL_TRANSFER_SYNTAXES,
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
    setup_logging,
    tls_config,
    version,
    whole_number,
)
from fastdimse.apps.failures import listen_failure

EXIT_OK = 0

#: The exit status a shell reports for a process ended by SIGTERM (128 + 15); echoscp
#: returns it only if dying by the signal did not end the process (the embedding program
#: handles or ignores SIGTERM).
EXIT_TERMINATED = 128 + signal.SIGTERM

EPILOG = f"""\
exit status:
  {EXIT_OK}  stopped by Ctrl-C
  {EXIT_FAILURE}  the server could not start (port in use, address not on this machine...):
     one line on standard error says why (with the traceback in debug mode, -d)
  {EXIT_USAGE}  bad command line (usage and the bad value on standard error)
  stopped by SIGTERM: shuts down cleanly, then ends by that signal (shells show {EXIT_TERMINATED})
"""

#: echoscp's default limit on concurrent associations. pynetdicom's echoscp keeps the AE's
#: default of 10, so an eleventh monitor pinging at the same moment is rejected; an echo
#: responder that load balancers and monitors hit at once should not be the reason a check
#: fails, and an association costs about 10 KiB here.
DEFAULT_MAX_ASSOCIATIONS = 1000


def build_parser() -> argparse.ArgumentParser:
    """Return echoscp's argument parser."""
    parser = argparse.ArgumentParser(
        prog="echoscp",
        description=(
            "The echoscp application implements a Service Class Provider (SCP) for "
            "the Verification SOP Class. It listens for a DICOM C-ECHO message from "
            "a Service Class User (SCU) and sends a response. The application can be "
            "used to verify basic DICOM connectivity."
        ),
        usage="echoscp [options] port",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        prefix_chars="-+",
    )
    params = parser.add_argument_group("Parameters")
    params.add_argument(
        "port",
        help="TCP/IP port number to listen on (0: any free port)",
        type=port_number(0),
    )

    add_general_options(parser)

    net = parser.add_argument_group("Network Options")
    net.add_argument(
        "-aet",
        "--ae-title",
        metavar="[a]etitle",
        help="set my AE title (default: ECHOSCP)",
        type=ae_title,
        default="ECHOSCP",
    )
    add_timeout_options(net)
    add_max_pdu_option(net)
    net.add_argument(
        "-ma",
        "--max-associations",
        metavar="[n]umber",
        help=(
            "accept at most n concurrent associations and reject the rest (A-ASSOCIATE-RJ, "
            f"transient, local limit exceeded) (default: {DEFAULT_MAX_ASSOCIATIONS})"
        ),
        type=whole_number(1, 0xFFFFFFFF),
        default=DEFAULT_MAX_ASSOCIATIONS,
    )
    net.add_argument(
        "-ba",
        "--bind-address",
        metavar="[a]ddress",
        help=(
            "The address of the network interface to listen on. If unset, listen on all interfaces."
        ),
        default="",
    )

    ts = parser.add_argument_group("Preferred Transfer Syntaxes").add_mutually_exclusive_group()
    ts.add_argument(
        "-x=", "--prefer-uncompr", help="prefer explicit VR local byte order", action="store_true"
    )
    ts.add_argument(
        "-xe", "--prefer-little", help="prefer explicit VR little endian TS", action="store_true"
    )
    ts.add_argument(
        "-xb", "--prefer-big", help="prefer explicit VR big endian TS", action="store_true"
    )
    ts.add_argument(
        "-xi", "--implicit", help="accept implicit VR little endian TS only", action="store_true"
    )
    add_tls_options(parser, server=True)
    return parser


def supported_transfer_syntaxes(args: argparse.Namespace) -> List[str]:
    """The transfer syntaxes to accept, in order of preference, from -x=/-xe/-xb/-xi."""
    syntaxes = list(ALL_TRANSFER_SYNTAXES)
    if args.prefer_uncompr:
        syntaxes.remove(IMPLICIT_VR_LITTLE_ENDIAN)
        syntaxes.append(IMPLICIT_VR_LITTLE_ENDIAN)
    elif args.prefer_little:
        syntaxes.remove(EXPLICIT_VR_LITTLE_ENDIAN)
        syntaxes.insert(0, EXPLICIT_VR_LITTLE_ENDIAN)
    elif args.prefer_big:
        syntaxes.remove(EXPLICIT_VR_BIG_ENDIAN)
        syntaxes.insert(0, EXPLICIT_VR_BIG_ENDIAN)
    elif args.implicit:
        syntaxes = [IMPLICIT_VR_LITTLE_ENDIAN]
    return syntaxes


class _Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds the server loop as Ctrl-C does, but is told apart."""


def _on_sigterm(signum: int, frame: Optional[FrameType]) -> None:
    # A second SIGTERM while the first one's shutdown runs ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise _Terminated


def _end_by_sigterm(previous: Any) -> int:
    """End the process by SIGTERM, after the clean shutdown, so the parent sees why.

    Dying by the signal skips the interpreter's own exit, so what it would do for
    fastdimse is done first: event handlers still running are waited for (the core's exit
    gate, otherwise closed by ``atexit``), and output is flushed. With `previous` (the
    disposition echoscp found) restored, the signal is raised again: the default
    disposition ends the process here. If the process survives it (process 1 of a
    container; an embedding program's handler that returns), ``EXIT_TERMINATED`` is
    returned instead. The gate is closed only when the default disposition is restored:
    a program that handles SIGTERM itself may go on using fastdimse.
    """
    if previous == signal.SIG_DFL:
        from fastdimse import _core

        _core.close_gate()
    manager = logging.Logger.manager
    loggers = [logging.getLogger()]
    loggers += [lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for handler in {id(h): h for lg in loggers for h in lg.handlers}.values():
        handler.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    signal.signal(signal.SIGTERM, previous)
    signal.raise_signal(signal.SIGTERM)
    return EXIT_TERMINATED


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run echoscp with `argv` (default: the command line) until interrupted.

    Returns the exit status (Ctrl-C: 0). After SIGTERM it does not return: once the server
    is shut down, it ends the process by SIGTERM (see the module's description).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--version" in argv:
        print(f"echoscp.py v{version()}")
        return EXIT_OK
    args = build_parser().parse_args(argv)

    logger = setup_logging(args, "echoscp")
    logger.debug(f"echoscp.py v{version()}")
    logger.debug("")

    from fastdimse import AE
    from fastdimse.exceptions import FastDimseError
    from fastdimse.sop_class import Verification

    ae: Any = AE(ae_title=args.ae_title)
    ae.add_supported_context(Verification, supported_transfer_syntaxes(args))
    ae.maximum_pdu_size = args.max_pdu
    ae.network_timeout = args.network_timeout
    ae.acse_timeout = args.acse_timeout
    ae.dimse_timeout = args.dimse_timeout
    ae.maximum_associations = args.max_associations

    # No EVT_C_ECHO handler is bound: the default one answers 0x0000, and with
    # no Python handler the core can answer without entering the interpreter.
    previous = signal.getsignal(signal.SIGTERM)
    if previous is None:  # set outside Python: not one signal.signal() can restore
        previous = signal.SIG_DFL
    signal.signal(signal.SIGTERM, _on_sigterm)
    terminated = False
    try:
        try:
            server = ae.start_server(
                (args.bind_address, args.port),
                block=False,
                ssl_context=tls_config(args, server=True),
            )
        except (OSError, ValueError, FastDimseError) as exc:
            raise listen_failure(exc, args.bind_address, args.port) from exc
        server.serve_forever()
    except _Terminated:
        terminated = True
        logger.info("Terminated (SIGTERM), shutting down")
    except KeyboardInterrupt:
        logger.info("Interrupted, shutting down")
    except Exception as exc:  # noqa: BLE001 - reported as one line, see report_failure
        return report_failure("echoscp", exc, debug=args.log_type == "d")
    finally:
        if not terminated:
            # From here SIGTERM does what it did before echoscp started (by default: end
            # the process), rather than interrupt this shutdown with an exception.
            signal.signal(signal.SIGTERM, previous)
        ae.shutdown()
    if terminated:
        return _end_by_sigterm(previous)
    return EXIT_OK


__all__ = ["main", "build_parser"]


if __name__ == "__main__":
    sys.exit(main())
