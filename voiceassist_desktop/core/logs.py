"""Logging set-up: a rotating file, a ring buffer for crash reports, no PHI.

Every handler the app installs carries `PhiFilter`, so patient identifiers that
reach a log call (a question quoted in a debug line, say) are redacted before
anything is written.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
from pathlib import Path

from voiceassist_desktop.core import phi

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
_APP_LOGGER = "voiceassist_desktop"


class PhiFilter(logging.Filter):
    """Rewrites each record's message with patient identifiers redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            return True
        redacted = phi.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class RingBufferHandler(logging.Handler):
    """Keeps the last lines in memory so a crash dialog can show them."""

    def __init__(self, capacity: int = 200) -> None:
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)


_ring = RingBufferHandler()


def recent_lines(count: int = 50) -> list[str]:
    """The most recent log lines, oldest first."""
    return list(_ring.lines)[-count:]


def configure_logging(
    log_dir: Path,
    level: str = "INFO",
    max_bytes: int = 5 * 1024 * 1024,
    backup_count: int = 5,
) -> Path:
    """Sends the app's log records to a rotating file and the ring buffer.

    Args:
        log_dir: The folder for `voiceassist.log`.
        level: The app's level (DEBUG, INFO, WARNING, ERROR).
        max_bytes: Size at which the file rotates.
        backup_count: Rotated files kept.

    Returns:
        The log file's path.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "voiceassist.log"
    app_logger = logging.getLogger(_APP_LOGGER)
    app_logger.setLevel(level)

    formatter = logging.Formatter(LOG_FORMAT)
    for handler in list(app_logger.handlers):
        if getattr(handler, "_voiceassist", False):
            app_logger.removeHandler(handler)
            handler.close()

    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    for handler in (file_handler, _ring):
        handler.setFormatter(formatter)
        handler.addFilter(PhiFilter())
        handler._voiceassist = True  # type: ignore[attr-defined]
        app_logger.addHandler(handler)
    return path
