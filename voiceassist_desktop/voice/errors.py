"""Errors of the voice features, each with a plain message for the user."""

from __future__ import annotations

from voiceassist_desktop.core.errors import EnvironmentProblem


class VoiceUnavailable(EnvironmentProblem):
    """Voice input or output cannot start here (no microphone, no model...).

    Args:
        reason: What is missing, in plain words.
        remedy: What the user can do about it.
    """

    def __init__(self, reason: str, remedy: str = "") -> None:
        super().__init__(reason, remedy)
        self.reason = reason


class RecordingError(EnvironmentProblem):
    """A recording that had started failed (device unplugged, driver error).

    Args:
        reason: What went wrong, in plain words.
        remedy: What the user can do about it.
    """

    def __init__(self, reason: str, remedy: str = "") -> None:
        super().__init__(reason, remedy)
        self.reason = reason
