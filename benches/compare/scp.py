"""A Verification SCP for the benchmarks: fastdimse or pynetdicom, started by run.py.

    python benches/compare/scp.py fastdimse|pynetdicom [--handler] [--max-assoc N]
        [--network-timeout S] [--tls KEY CERT CA]

Listens on 127.0.0.1 on a free port, prints ``PORT <n>`` once it accepts connections and
serves until stdin closes or SIGTERM arrives. ``--handler`` binds an EVT_C_ECHO handler that
returns 0x0000, so every C-ECHO goes through Python. ``--tls`` serves DICOM over TLS with
the ``ssl.SSLContext`` pynetdicom's documentation builds (client certificates required and
verified against CA), the same code for both libraries.
"""

from __future__ import annotations

import argparse
import resource
import signal
import ssl
import sys
import threading


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=["fastdimse", "pynetdicom"])
    parser.add_argument("--handler", action="store_true")
    parser.add_argument("--max-assoc", type=int, default=256)
    parser.add_argument("--network-timeout", type=float, default=60.0)
    parser.add_argument("--tls", nargs=3, metavar=("KEY", "CERT", "CA"))
    args = parser.parse_args()
    _raise_nofile()

    if args.impl == "fastdimse":
        from fastdimse import AE, evt
        from fastdimse.sop_class import Verification
    else:
        from pynetdicom import AE, evt  # type: ignore[no-redef]
        from pynetdicom.sop_class import Verification  # type: ignore[no-redef]

    ae = AE(ae_title="ANY-SCP")
    ae.add_supported_context(Verification)
    ae.maximum_associations = args.max_assoc
    ae.network_timeout = args.network_timeout

    def on_echo(event: object) -> int:
        return 0x0000

    handlers = [(evt.EVT_C_ECHO, on_echo)] if args.handler else []
    ssl_context = None
    if args.tls:  # created after the import: fastdimse records what a context is given
        key, cert, ca = args.tls
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca)
        ssl_context.verify_mode = ssl.CERT_REQUIRED
        ssl_context.load_cert_chain(certfile=cert, keyfile=key)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=handlers, ssl_context=ssl_context
    )
    print(f"PORT {server.server_address[1]}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
