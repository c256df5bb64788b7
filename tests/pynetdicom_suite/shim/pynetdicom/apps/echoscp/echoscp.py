"""pynetdicom's apps/echoscp/echoscp.py path, running fastdimse's echoscp."""

import sys

from fastdimse.apps.echoscp import main

import pynetdicom  # noqa: F401  (installs the guard in this process)

if __name__ == "__main__":
    sys.exit(main())
