"""Errors the user can act on, kept apart from bugs.

An `EnvironmentProblem` is something outside the code (disk full, database locked,
another copy running, no microphone): the window shows its message and what to
do. Anything else that escapes is a bug and gets the crash dialog.
"""

from __future__ import annotations


class VoiceAssistError(Exception):
    """Base class for the app's own errors."""


class EnvironmentProblem(VoiceAssistError):
    """A problem in the machine or its setup, with a plain remedy.

    Args:
        message: What is wrong, in plain words.
        remedy: What the user can do about it.
    """

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message} {self.remedy}".strip()


class DatabaseTooNew(EnvironmentProblem):
    """The database was written by a newer version of the app."""


class AlreadyRunning(EnvironmentProblem):
    """Another copy of the app holds the data folder."""


class ValidationFailed(VoiceAssistError):
    """A record or an input does not satisfy its schema.

    Args:
        field: The offending field, as a dotted path.
        reason: Why it was refused.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(VoiceAssistError):
    """A record asked for by id does not exist."""
