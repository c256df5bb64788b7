"""``python -m pynetdicom``: fastdimse's command-line entry point under the harness."""

import sys

from fastdimse.__main__ import main

import pynetdicom  # noqa: F401  (installs the guard in this process)

if __name__ == "__main__":
    sys.exit(main())
