"""VoiceAssist Desktop: an offline, cited medical library for clinicians."""

__version__ = "0.1.0"
