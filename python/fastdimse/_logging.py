"""The package logger and a one-call console setup for debugging.

Every module logs under the ``fastdimse`` logger (module loggers are its
children). A :class:`logging.NullHandler` is attached so that an application
that configures no logging sees nothing, as the library-logging guidelines ask.
"""

from __future__ import annotations

import logging

from . import _core

LOGGER_NAME = "fastdimse"
LOG_FORMAT = "%(levelname).1s: %(message)s"

LOGGER = logging.getLogger(LOGGER_NAME)
LOGGER.addHandler(logging.NullHandler())


def _follow_level_changes() -> None:
    """Make the Rust core see every change of a logging level.

    The core's log bridge (pyo3-log) caches each logger's effective level the first time
    it logs, so without this a level lowered later (``debug_logger()``, ``setLevel``,
    ``logging.basicConfig``, pytest's ``caplog.set_level``) would never let the core's
    lower-level records through. Every level change in :mod:`logging` ends in
    ``Manager._clear_cache()``, so that is where the core's cache is dropped too.
    """
    manager = logging.Logger.manager
    clear = getattr(manager, "_clear_cache", None)
    if clear is None or getattr(clear, "_fastdimse_hook", False):
        return

    def clear_cache() -> None:
        clear()
        _core.reset_log_cache()

    clear_cache._fastdimse_hook = True  # type: ignore[attr-defined]
    manager._clear_cache = clear_cache  # type: ignore[attr-defined]


_follow_level_changes()

# Marks the handler installed by debug_logger() so that a second call replaces
# it instead of stacking another one (and so that user handlers are left alone).
_DEBUG_HANDLER_FLAG = "_fastdimse_debug_handler"


def debug_logger() -> None:
    """Print everything the package logs, down to DEBUG, on standard error.

    Uses the one-letter level format of pynetdicom (``I: Association Accepted``).
    Calling it again does not add a second handler.
    """
    for handler in list(LOGGER.handlers):
        if getattr(handler, _DEBUG_HANDLER_FLAG, False):
            LOGGER.removeHandler(handler)

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    setattr(handler, _DEBUG_HANDLER_FLAG, True)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG)
    _core.reset_log_cache()


__all__ = ["LOGGER", "LOGGER_NAME", "LOG_FORMAT", "debug_logger"]
