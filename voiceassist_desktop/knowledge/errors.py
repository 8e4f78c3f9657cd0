"""Errors raised while turning a file into text."""

from __future__ import annotations

from voiceassist_desktop.core.errors import VoiceAssistError


class ConversionError(VoiceAssistError):
    """A file could not be turned into text.

    Attributes:
        reason: A short plain sentence a clinician can act on, such as
            "encrypted: this PDF needs a password".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileChangedError(ConversionError):
    """The file changed on disk between its registration and its reading.

    Unlike other conversion errors it may pass: the user is often saving the
    file and importing it again, and the newer version, once registered,
    supersedes this job when it is retried.
    """
