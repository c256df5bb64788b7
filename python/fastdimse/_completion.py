"""How the asyncio API awaits the core: one future per operation, completed on the loop.

Each event loop gets one completion queue in the core (``_core.Completions``) and watches
its file descriptor with ``add_reader``. The core's I/O thread queues an outcome without
the GIL and wakes the loop only when the queue was empty; the loop's reader drains every
outcome at once and sets the futures. Why not a callback through ``call_soon_threadsafe``:
the I/O thread would take the GIL for each response, and with many requests in flight it
and the loop's thread would trade the GIL on every one.

A loop without ``add_reader``, or a platform without eventfd, still gets that callback,
called from the core's thread.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Callable, Dict, Optional

from . import _core


class _LoopQueue:
    """One event loop's completion queue and the futures waiting on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue = _core.Completions()
        self.futures: Dict[int, asyncio.Future] = {}
        self._tokens = itertools.count(1)
        loop.add_reader(self.queue.fileno(), self._drain)

    def add(self, future: asyncio.Future) -> int:
        token: int = next(self._tokens)
        self.futures[token] = future
        return token

    def _drain(self) -> None:
        for token, value, error in self.queue.drain():
            future = self.futures.pop(token, None)
            if future is None or future.done():  # cancelled meanwhile
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)


# The loop's attribute holding its queue (None: the loop cannot watch a descriptor). Kept
# on the loop rather than in a registry keyed by it: the queue holds the futures, which
# hold the loop, so a registry would keep a loop closed with a request still out alive
# for ever. On the loop it is a cycle that the collector frees.
_ATTRIBUTE = "_fastdimse_completions"
_UNSET = object()


def _queue_of(loop: asyncio.AbstractEventLoop) -> Optional[_LoopQueue]:
    queue = getattr(loop, _ATTRIBUTE, _UNSET)
    if queue is not _UNSET:
        return queue  # type: ignore[return-value]
    try:
        setattr(loop, _ATTRIBUTE, None)
    except AttributeError:  # a loop that takes no attribute: callbacks
        return None
    try:
        queue = _LoopQueue(loop)
    except (NotImplementedError, OSError):
        return None
    setattr(loop, _ATTRIBUTE, queue)
    return queue  # type: ignore[no-any-return]


def _callback(loop: asyncio.AbstractEventLoop, future: asyncio.Future) -> Callable[[Any], None]:
    def settle(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    def callback(value: Any) -> None:
        try:
            loop.call_soon_threadsafe(settle, value)
        except RuntimeError:  # the loop was closed meanwhile: nobody waits any more
            pass

    return callback


def start(operation: Callable[[Any], None]) -> asyncio.Future:
    """Calls ``operation(target)``, which hands `target` to the core, and returns the
    future the core's outcome completes on the running loop."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    queue = _queue_of(loop)
    if queue is None:
        operation(_callback(loop, future))
        return future
    token = queue.add(future)
    try:
        operation(queue.queue.slot(token))
    except BaseException:
        del queue.futures[token]
        raise
    return future
