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


def _watch_levels() -> None:
    """Keep the Rust core's copy of the logging levels current.

    Records from the core reach Python logging through a bridge that caches each
    logger's level, so that a disabled level costs no GIL acquisition on the I/O
    threads. Python calls ``manager._clear_cache()`` whenever any logger's level
    changes (``setLevel``, ``basicConfig``, pytest's ``caplog``); wrapping it tells the
    core to forget its cached levels at that moment.
    """
    from ._core import reset_log_cache

    manager = logging.Logger.manager
    original = manager._clear_cache
    if getattr(original, "_fastdimse", False):
        return

    def clear_cache() -> None:
        original()
        reset_log_cache()

    clear_cache._fastdimse = True  # type: ignore[attr-defined]
    manager._clear_cache = clear_cache  # type: ignore[method-assign]


_watch_levels()

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
