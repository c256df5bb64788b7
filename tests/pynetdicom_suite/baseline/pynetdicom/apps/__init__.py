"""Baseline: the copied ``apps/tests`` here, the real apps from the real package folder."""

import os

__path__.append(os.path.join(os.environ["FASTDIMSE_SUITE_REAL"], "apps"))  # noqa: F821
