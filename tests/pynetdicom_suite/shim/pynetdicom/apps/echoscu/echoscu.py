"""pynetdicom's apps/echoscu/echoscu.py path, running fastdimse's echoscu."""

import sys

from fastdimse.apps.echoscu import main

import pynetdicom  # noqa: F401  (installs the guard in this process)

if __name__ == "__main__":
    sys.exit(main())
