"""Measures how long the GUI thread goes without running its event loop."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer


class StallMeter(QObject):
    """A timer ticking on the GUI thread; the gaps between ticks are stalls.

    Args:
        interval_ms: The tick; a gap much longer than it means the event loop
            was blocked (the window could not repaint or take input).
    """

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.gaps_ms: list[float] = []
        self._last: float | None = None
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.gaps_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps_ms.append((now - self._last) * 1000.0)
        self._last = now

    @property
    def longest_ms(self) -> float:
        """The longest gap between two ticks."""
        return max(self.gaps_ms, default=0.0)

    def over(self, threshold_ms: float) -> int:
        """How many gaps were longer than `threshold_ms`."""
        return sum(1 for gap in self.gaps_ms if gap > threshold_ms)

    def percentile(self, fraction: float) -> float:
        """The gap at `fraction` (0..1) of the sorted gaps."""
        if not self.gaps_ms:
            return 0.0
        ordered = sorted(self.gaps_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
