"""The package loggers, placed under pynetdicom's, and a one-call console setup.

Every module logs under the ``fastdimse`` logger (module loggers are its children), so
that its records stay apart from those of a pynetdicom installed alongside (fastdimse
does Verification only, so both are often used together). The ``fastdimse`` logger is in
turn made a child of the ``pynetdicom`` logger: records go ``fastdimse.*`` ->
``fastdimse`` -> ``pynetdicom`` -> root, and unless ``fastdimse`` is given a level of its
own, its level is the ``pynetdicom`` logger's. An application that changed only its
import line therefore keeps controlling the library through ``pynetdicom``: its level, its
handlers, ``caplog.at_level(..., logger="pynetdicom")``.

A :class:`logging.NullHandler` is attached (to ``fastdimse``, and to ``pynetdicom`` when
that logger has no handler yet, as pynetdicom does at its import) so that an application
that configures no logging sees nothing, as the library-logging guidelines ask.
"""

from __future__ import annotations

import logging
import sys

from . import _core

LOGGER_NAME = "fastdimse"
PARENT_LOGGER_NAME = "pynetdicom"
LOG_FORMAT = "%(levelname).1s: %(message)s"

LOGGER = logging.getLogger(LOGGER_NAME)
LOGGER.addHandler(logging.NullHandler())


def _watch_levels() -> None:
    """Keep the Rust core's copy of the logging levels current.

    Records from the core reach Python logging through a bridge that caches each
    logger's level, so that a disabled level costs no GIL acquisition on the I/O
    threads. Python calls ``manager._clear_cache()`` whenever any logger's level
    changes (``setLevel``, ``basicConfig``, pytest's ``caplog``), the ``pynetdicom``
    logger's included; wrapping it tells the core to forget its cached levels at that
    moment.
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


def _attach_to_parent() -> logging.Logger:
    """Make ``fastdimse`` a child of the ``pynetdicom`` logger; return that logger.

    The logging module derives a logger's parent from its dotted name only when the
    logger is created, and never recomputes it, so the assignment holds. Levels cached
    before it (Python's per-logger cache and the core's) are cleared.
    """
    parent = logging.getLogger(PARENT_LOGGER_NAME)
    if not parent.handlers:
        # What pynetdicom's import does; when pynetdicom is imported after us it adds
        # its own, and a second NullHandler changes nothing.
        parent.addHandler(logging.NullHandler())
    LOGGER.parent = parent
    logging.Logger.manager._clear_cache()
    return parent


_watch_levels()
PARENT_LOGGER = _attach_to_parent()

# Marks the handler installed by debug_logger() so that a second call replaces
# it instead of stacking another one (and so that user handlers are left alone).
_DEBUG_HANDLER_FLAG = "_fastdimse_debug_handler"


def _installed_by_debug_logger(handler: logging.Handler) -> bool:
    """True for a handler that ``debug_logger()`` replaces on the ``pynetdicom`` logger.

    That is the one it installed earlier, the one pynetdicom's ``debug_logger()``
    installs (a plain stream handler on standard error in the same format: keeping it
    would print every line twice) and a :class:`logging.NullHandler` (which does nothing).
    """
    if getattr(handler, _DEBUG_HANDLER_FLAG, False):
        return True
    if isinstance(handler, logging.NullHandler):
        return True
    return (
        type(handler) is logging.StreamHandler
        and handler.stream is sys.stderr
        and handler.formatter is not None
        and handler.formatter._fmt == LOG_FORMAT
    )


def debug_logger() -> None:
    """Print everything the package logs, down to DEBUG, on standard error.

    Does to the ``pynetdicom`` logger what pynetdicom's ``debug_logger()`` does: one
    stream handler in its one-letter level format (``I: Association Accepted``) and the
    level DEBUG, so records of a pynetdicom used alongside are printed too. The
    ``fastdimse`` logger's own level is cleared so that it follows. Calling it again
    does not add a second handler; handlers the application added are left in place.
    """
    for handler in list(PARENT_LOGGER.handlers):
        if _installed_by_debug_logger(handler):
            PARENT_LOGGER.removeHandler(handler)

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    setattr(handler, _DEBUG_HANDLER_FLAG, True)
    PARENT_LOGGER.addHandler(handler)
    PARENT_LOGGER.setLevel(logging.DEBUG)
    LOGGER.setLevel(logging.NOTSET)
    _core.reset_log_cache()


__all__ = [
    "LOGGER",
    "LOGGER_NAME",
    "LOG_FORMAT",
    "PARENT_LOGGER",
    "PARENT_LOGGER_NAME",
    "debug_logger",
]
