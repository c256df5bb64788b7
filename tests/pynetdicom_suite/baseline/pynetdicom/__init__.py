"""Baseline: the real pynetdicom, with the copied tests in this folder as its ``tests``.

``__path__`` lists this folder first (the copied ``tests`` and ``apps``) and the real
package folder second (everything else); the real ``__init__`` then runs here.
"""

import os

_REAL = os.environ["FASTDIMSE_SUITE_REAL"]
__path__.append(_REAL)  # noqa: F821  (set by the import system for a package)
_INIT = os.path.join(_REAL, "__init__.py")
with open(_INIT, encoding="utf-8") as _f:
    exec(compile(_f.read(), _INIT, "exec"))
