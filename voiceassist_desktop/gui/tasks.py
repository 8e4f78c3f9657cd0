"""Background work for the window: a thread pool and a bridge for service events.

Workers never touch widgets. A task runs a plain function on the pool; its
result, error and progress travel back as queued signals to a QObject that lives
on the GUI thread, which then calls the caller's callbacks there.
"""

from __future__ import annotations

import itertools
import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QObject,
    QRunnable,
    Qt,
    QThread,
    QThreadPool,
    Signal,
    Slot,
)

from voiceassist_desktop.core.errors import EnvironmentProblem

logger = logging.getLogger(__name__)

Callback = Callable[[Any], None]


@dataclass
class _Pending:
    name: str
    on_done: Callback | None
    on_error: Callback | None
    on_progress: Callback | None


class _Relay(QObject):
    """Carries results from pool threads to the GUI thread (queued)."""

    done = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, object)


class _Runnable(QRunnable):
    def __init__(self, task_id: int, relay: _Relay, fn: Callable, report: bool):
        super().__init__()
        self.setAutoDelete(True)
        self._task_id = task_id
        self._relay = relay
        self._fn = fn
        self._report = report

    def run(self) -> None:
        def report(value: Any) -> None:
            self._relay.progress.emit(self._task_id, value)

        try:
            result = self._fn(report) if self._report else self._fn()
        except BaseException as exc:  # every failure reaches one error path
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._relay.failed.emit(self._task_id, exc)
        else:
            self._relay.done.emit(self._task_id, result)


class TaskRunner(QObject):
    """Runs functions off the GUI thread and calls back on it.

    Args:
        parent: The owning QObject (the window).
        max_threads: Pool size; twice the cores (at least 8) by default.
    """

    #: Emitted on the GUI thread for a task that failed and had no error callback.
    unhandled_error = Signal(str, object)
    #: Emitted whenever the number of running tasks changes.
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None, max_threads: int = 0) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        # Some tasks mostly wait (an import batch, a page render in its own
        # process), so the pool is wider than the cores: quick reads never
        # queue behind a long wait.
        cores = QThread.idealThreadCount()
        self._pool.setMaxThreadCount(max_threads or max(8, 2 * cores))
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._relay = _Relay()
        self._relay.done.connect(
            self._on_relay_done, Qt.ConnectionType.QueuedConnection
        )
        self._relay.failed.connect(
            self._on_relay_failed, Qt.ConnectionType.QueuedConnection
        )
        self._relay.progress.connect(
            self._on_relay_progress, Qt.ConnectionType.QueuedConnection
        )
        self._closed = False

    @property
    def active(self) -> int:
        """Tasks submitted and not yet reported back."""
        return len(self._pending)

    def submit(
        self,
        name: str,
        fn: Callable[..., Any],
        *,
        on_done: Callback | None = None,
        on_error: Callback | None = None,
        on_progress: Callback | None = None,
    ) -> int:
        """Runs `fn` on the pool.

        Args:
            name: What the task does, for logs and error messages.
            fn: The work. With `on_progress`, it is called with one argument,
                a `report(value)` function it may call from its thread.
            on_done: Called on the GUI thread with the result.
            on_error: Called on the GUI thread with the exception; without it
                the error goes to `unhandled_error`.
            on_progress: Called on the GUI thread with each reported value.

        Returns:
            The task's id; -1 when the runner is closed (the window is going
            away, so the work is dropped).
        """
        if self._closed:
            logger.debug("dropped after shutdown: %s", name)
            return -1
        task_id = next(self._ids)
        self._pending[task_id] = _Pending(name, on_done, on_error, on_progress)
        self.busy_changed.emit(len(self._pending))
        self._pool.start(
            _Runnable(task_id, self._relay, fn, report=on_progress is not None)
        )
        logger.debug("task %s started: %s", task_id, name)
        return task_id

    def wait(self, timeout_ms: int = -1) -> bool:
        """Blocks until the pool is idle (for shutdown and tests)."""
        return self._pool.waitForDone(timeout_ms)

    def close(self, timeout_ms: int = 30000) -> None:
        """Refuses new work, drops queued work and waits for running tasks."""
        self._closed = True
        self._pool.clear()
        if not self._pool.waitForDone(timeout_ms):
            logger.warning("background tasks still running at shutdown")
        self._pending.clear()

    @Slot(int, object)
    def _on_relay_done(self, task_id: int, result: Any) -> None:
        pending = self._pending.pop(task_id, None)
        self.busy_changed.emit(len(self._pending))
        if pending is None or pending.on_done is None:
            return
        self._call(pending, pending.on_done, result)

    @Slot(int, object)
    def _on_relay_failed(self, task_id: int, error: BaseException) -> None:
        pending = self._pending.pop(task_id, None)
        self.busy_changed.emit(len(self._pending))
        if pending is None:
            return
        if not isinstance(error, EnvironmentProblem):
            logger.error(
                "task %s failed: %s",
                pending.name,
                getattr(error, "__traceback_text__", repr(error)),
            )
        if pending.on_error is not None:
            self._call(pending, pending.on_error, error)
        else:
            self.unhandled_error.emit(pending.name, error)

    @Slot(int, object)
    def _on_relay_progress(self, task_id: int, value: Any) -> None:
        pending = self._pending.get(task_id)
        if pending is not None and pending.on_progress is not None:
            self._call(pending, pending.on_progress, value)

    def _call(self, pending: _Pending, callback: Callback, value: Any) -> None:
        try:
            callback(value)
        except Exception:
            # A bug in a callback goes to the crash dialog, not into silence.
            sys.excepthook(*sys.exc_info())


class EventBridge(QObject):
    """Forwards the app's event bus to the GUI thread as a Qt signal.

    The bus calls handlers on the publishing thread (often a worker); emitting
    a signal from there reaches slots on the GUI thread through the event loop.
    """

    received = Signal(str, dict)

    def __init__(self, bus: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = bus.subscribe("*", self._on_bus_event)

    def _on_bus_event(self, bus_event: Any) -> None:
        self.received.emit(bus_event.topic, dict(bus_event.data))

    def close(self) -> None:
        """Stops forwarding."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
