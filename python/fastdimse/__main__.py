"""``python -m fastdimse <app> [options]``: run one of the command-line apps."""

from __future__ import annotations

import importlib
import sys
from typing import Optional, Sequence

_APPS = {
    "echoscu": "fastdimse.apps.echoscu",
    "echoscp": "fastdimse.apps.echoscp",
}

_USAGE = (
    "usage: python -m fastdimse {echoscu,echoscp} [options]\n"
    "       python -m fastdimse --version\n"
    "\n"
    "  echoscu   send C-ECHO requests to a peer (python -m fastdimse echoscu -h)\n"
    "  echoscp   answer C-ECHO requests (python -m fastdimse echoscp -h)\n"
)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Dispatch to the app named by the first argument; return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stderr.write(_USAGE)
        return 2
    if args[0] in ("-h", "--help"):
        sys.stdout.write(_USAGE)
        return 0
    if args[0] == "--version":
        from fastdimse import __version__

        print(__version__)
        return 0
    module_name = _APPS.get(args[0])
    if module_name is None:
        sys.stderr.write(_USAGE)
        sys.stderr.write(f"\nerror: unknown app {args[0]!r}\n")
        return 2
    app = importlib.import_module(module_name)
    return int(app.main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
