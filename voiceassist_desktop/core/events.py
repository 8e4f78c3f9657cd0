"""A small Qt-free publish/subscribe hub for change events.

Domain operations say what changed (a document added, a job progressed, a
message saved); the window listens and refreshes. Handlers run on the thread
that publishes, so GUI listeners must hop to the GUI thread themselves.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]


@dataclass(frozen=True)
class Event:
    """Something that changed: a topic such as `document.added` and its data."""

    topic: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    """Delivers events to handlers subscribed to a topic or to `*`."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Registers `handler`; returns a function that unsubscribes it."""
        with self._lock:
            self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[topic]:
                    self._handlers[topic].remove(handler)

        return unsubscribe

    def publish(self, topic: str, **data: Any) -> None:
        """Sends an event; a failing handler is logged and the rest still run."""
        event = Event(topic, data)
        with self._lock:
            handlers = [*self._handlers.get(topic, ()), *self._handlers.get("*", ())]
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                logger.exception("event handler failed for %s", topic)
