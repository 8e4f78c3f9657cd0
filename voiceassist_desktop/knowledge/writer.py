"""The single writer: every change to the database and the vector index of the
library runs on one thread, one unit at a time, so writes never interleave.

Workers parse, chunk and embed in parallel and hand the writer small units of
work (a callable); the writer runs them in order and returns their result
through a future.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class WriterClosed(RuntimeError):
    """The writer was stopped; no more units are accepted."""


class StoreWriter:
    """One thread that runs write units in submission order."""

    def __init__(self, name: str = "library-writer") -> None:
        self._queue: queue.Queue[tuple[Callable[[], Any], Future] | None] = (
            queue.Queue()
        )
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def on_writer_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, unit: Callable[[], T]) -> Future[T]:
        """Queues a unit; its result or exception arrives through the future."""
        future: Future[T] = Future()
        if self.on_writer_thread:
            # A unit that needs another unit runs it inline, or it would wait
            # for itself.
            try:
                future.set_result(unit())
            except BaseException as exc:
                future.set_exception(exc)
            return future
        with self._lock:
            if self._closed:
                raise WriterClosed("the library is closing")
            self._queue.put((unit, future))
        return future

    def call(self, unit: Callable[[], T], timeout: float | None = None) -> T:
        """Runs a unit on the writer thread and returns its result."""
        return self.submit(unit).result(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Runs what is queued, then stops the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("the library writer did not stop within %s s", timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            unit, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(unit())
            except BaseException as exc:
                future.set_exception(exc)
