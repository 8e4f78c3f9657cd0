"""Health checks shared by `voiceassist doctor` and the window's status bar."""

from __future__ import annotations

import enum
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


class Severity(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"  # the app works, with something missing
    ERROR = "error"  # the app cannot work without it


@dataclass(frozen=True)
class HealthItem:
    """One component's state, with what to do when it is not healthy."""

    name: str
    severity: Severity
    message: str
    remedy: str = ""

    @property
    def ok(self) -> bool:
        return self.severity is Severity.OK

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "status": self.severity.value,
            "message": self.message,
            "remedy": self.remedy,
        }


MIN_FREE_BYTES = 200 * 1024 * 1024
LOW_FREE_BYTES = 2 * 1024 * 1024 * 1024


def check_folder(name: str, folder: Path) -> HealthItem:
    """Whether a folder exists and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        return HealthItem(
            f"folder: {name}",
            Severity.ERROR,
            f"{folder} is not writable ({exc.strerror or exc}).",
            "Check the folder's permissions, or choose another data folder with "
            "--data-dir.",
        )
    return HealthItem(f"folder: {name}", Severity.OK, str(folder))


def check_free_disk(folder: Path) -> HealthItem:
    free = shutil.disk_usage(folder).free
    gib = free / 1024**3
    if free < MIN_FREE_BYTES:
        return HealthItem(
            "free disk",
            Severity.ERROR,
            f"only {gib:.2f} GiB free where the data lives",
            "Free disk space before importing documents.",
        )
    if free < LOW_FREE_BYTES:
        return HealthItem(
            "free disk",
            Severity.WARNING,
            f"{gib:.1f} GiB free where the data lives",
            "Large imports may fill the disk.",
        )
    return HealthItem("free disk", Severity.OK, f"{gib:.1f} GiB free")
