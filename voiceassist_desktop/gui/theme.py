"""Light and dark themes, the font size, and icons drawn from the shipped SVGs."""

from __future__ import annotations

import functools
import logging
import weakref
from importlib import resources
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

logger = logging.getLogger(__name__)

_RESOURCES = "voiceassist_desktop.resources"


def resource_text(*parts: str) -> str:
    """The text of a shipped resource file, e.g. ("styles", "base.qss")."""
    node = resources.files(_RESOURCES)
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def resource_path(*parts: str):
    """A Traversable for a shipped resource (a folder or a file)."""
    node = resources.files(_RESOURCES)
    for part in parts:
        node = node.joinpath(part)
    return node


def palette_colours(name: str) -> dict[str, str]:
    """The colours of the light or dark palette file."""
    colours: dict[str, str] = {}
    for line in resource_text("styles", f"{name}.palette").splitlines():
        line = line.strip()
        if not line or line.startswith("#") and "=" not in line:
            continue
        key, _, value = line.partition("=")
        colours[key.strip()] = value.strip()
    return colours


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark scheme."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def resolve_scheme(setting: str) -> str:
    """'light' or 'dark' from the theme setting ('system', 'light', 'dark')."""
    if setting in ("light", "dark"):
        return setting
    return "dark" if system_is_dark() else "light"


class Theme:
    """The theme in force: its scheme, colours and font size."""

    scheme: str = "light"
    colours: dict[str, str] = {}
    font_size: int = 11


def apply_theme(app: QApplication, setting: str = "system", font_size: int = 11):
    """Applies the palette, style sheet and font size to the whole application.

    Args:
        app: The application.
        setting: 'system' follows the desktop; 'light' or 'dark' force one.
        font_size: Base font size in points.
    """
    scheme = resolve_scheme(setting)
    colours = palette_colours(scheme)
    Theme.scheme, Theme.colours, Theme.font_size = scheme, colours, font_size

    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for qt_role, key in (
        (role.Window, "window"),
        (role.Base, "base"),
        (role.AlternateBase, "card"),
        (role.Button, "card"),
        (role.Text, "text"),
        (role.WindowText, "text"),
        (role.ButtonText, "text"),
        (role.ToolTipBase, "card"),
        (role.ToolTipText, "text"),
        (role.PlaceholderText, "muted"),
        (role.Highlight, "accent"),
        (role.HighlightedText, "onaccent"),
        (role.Link, "accent"),
        (role.Mid, "border"),
    ):
        palette.setColor(qt_role, QColor(colours[key]))
    disabled = QPalette.ColorGroup.Disabled
    for qt_role in (role.Text, role.WindowText, role.ButtonText):
        palette.setColor(disabled, qt_role, QColor(colours["muted"]))
    app.setPalette(palette)

    font = app.font()
    font.setPointSize(font_size)
    app.setFont(font)

    sheet = resource_text("styles", "base.qss").replace("@font@", str(font_size))
    for key, value in colours.items():
        sheet = sheet.replace(f"@{key}@", value)
    app.setStyleSheet(sheet)
    icon.cache_clear()
    _refresh_themed()
    logger.debug("theme %s, font %spt", scheme, font_size)
    return scheme


@functools.lru_cache(maxsize=256)
def icon(name: str, colour: str | None = None) -> QIcon:
    """A shipped SVG icon drawn in the theme's text colour."""
    colour = colour or Theme.colours.get("text", "#1f2328")
    try:
        svg = resource_text("icons", f"{name}.svg").replace("#COLOR", colour)
    except FileNotFoundError:
        logger.warning("icon %s is missing", name)
        return QIcon()
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in (16, 24, 32, 48):
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


# Widgets and actions whose icon follows the theme's text colour.
_THEMED: list[tuple[weakref.ref, str, str | None]] = []


def themed(target: Any, name: str, colour: str | None = None) -> Any:
    """Gives a button or action a shipped icon that is redrawn with the theme."""
    target.setIcon(icon(name, colour))
    _THEMED.append((weakref.ref(target), name, colour))
    return target


def _refresh_themed() -> None:
    alive = []
    for reference, name, colour in _THEMED:
        target = reference()
        if target is None:
            continue
        try:
            target.setIcon(icon(name, colour))
        except RuntimeError:  # the Qt object behind it is gone
            continue
        alive.append((reference, name, colour))
    _THEMED[:] = alive
