"""Qt-free helpers that turn service records into what the window shows."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Any

MARKER = re.compile(r"\[(\d+(?:\s*[,\u2013-]\s*\d+)*)\]")


def get(record: Any, name: str, default: Any = None) -> Any:
    """Reads a field from a dict, a dataclass or an ORM object alike."""
    if record is None:
        return default
    if isinstance(record, dict):
        value = record.get(name, default)
    else:
        value = getattr(record, name, default)
    return default if value is None else value


def enum_text(value: Any) -> str:
    """The plain value of an enum member, or the value itself as text."""
    return str(getattr(value, "value", value) or "")


def date_group(when: datetime | None, today: date | None = None) -> str:
    """Today, Yesterday, Previous 7 days or Older, in local time."""
    if when is None:
        return "Older"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local_day = when.astimezone().date()
    today = today or datetime.now().astimezone().date()
    if local_day >= today:
        return "Today"
    if local_day == today - timedelta(days=1):
        return "Yesterday"
    if local_day >= today - timedelta(days=7):
        return "Previous 7 days"
    return "Older"


DATE_GROUPS = ("Today", "Yesterday", "Previous 7 days", "Older")


def local_time(when: datetime | None, with_date: bool = True) -> str:
    """A timestamp in the machine's time zone, short."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def citation_number(citations: Sequence[Any], position: int) -> int:
    """The number a citation is shown with: its own, else its place (1-based)."""
    citation = citations[position]
    for key in ("number", "index", "marker"):
        value = get(citation, key)
        if isinstance(value, int):
            return value
    return position + 1


def citation_by_number(citations: Sequence[Any], number: int) -> Any | None:
    """The citation shown as [number], or None."""
    for position in range(len(citations)):
        if citation_number(citations, position) == number:
            return citations[position]
    return None


def _expand(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", group):
        bounds = re.split(r"\s*[\u2013-]\s*", part)
        if len(bounds) == 2 and all(b.isdigit() for b in bounds):
            low, high = int(bounds[0]), int(bounds[1])
            if 0 < high - low < 50:
                numbers.extend(range(low, high + 1))
                continue
        if part.isdigit():
            numbers.append(int(part))
    return numbers


def answer_html(text: str, message_id: str, known: Iterable[int]) -> str:
    """The answer as HTML, each known marker [n] a link `cite:<message>:<n>`."""
    known = set(known)
    out: list[str] = []
    position = 0
    for match in MARKER.finditer(text):
        out.append(html.escape(text[position : match.start()]))
        numbers = _expand(match.group(1))
        if numbers and all(n in known for n in numbers):
            links = ", ".join(
                f'<a href="cite:{message_id}:{n}" title="Open source {n}">{n}</a>'
                for n in numbers
            )
            out.append(f"[{links}]")
        else:
            out.append(html.escape(match.group(0)))
        position = match.end()
    out.append(html.escape(text[position:]))
    # Answers may carry light Markdown emphasis (a calculator's result line).
    body = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", "".join(out))
    paragraphs = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)


def reference_line(citation: Any) -> str:
    """One reference in plain words: title, heading, location."""
    parts = [get(citation, "title", "Untitled")]
    subtitle = get(citation, "subtitle") or get(citation, "heading")
    if subtitle:
        parts.append(str(subtitle))
    location = get(citation, "location")
    if not location and get(citation, "page_number"):
        location = f"p. {get(citation, 'page_number')}"
    if location:
        parts.append(str(location))
    return ", ".join(str(p) for p in parts)


def with_references(text: str, citations: Sequence[Any]) -> str:
    """An answer followed by its numbered references, for a clinical note."""
    if not citations:
        return text.strip()
    lines = [text.strip(), "", "References"]
    for position, citation in enumerate(citations):
        number = citation_number(citations, position)
        lines.append(f"[{number}] {reference_line(citation)}")
    return "\n".join(lines)


def import_summary(report: Any, titles: dict[str, str] | None = None) -> str:
    """What an import found, in plain words.

    "2 imported, 1 unchanged, 1 new version of X, 1 duplicate of Y,
    1 failed: a.pdf: encrypted: this PDF needs a password".

    Args:
        report: An ImportReport (lists of file outcomes by kind).
        titles: Document titles by id, to name versions and duplicates.
    """
    titles = titles or {}
    parts: list[str] = []
    imported = list(get(report, "imported", []))
    if imported:
        parts.append(f"{len(imported)} imported")
    unchanged = list(get(report, "unchanged", []))
    if unchanged:
        parts.append(f"{len(unchanged)} unchanged")
    for item in get(report, "new_versions", []):
        title = titles.get(get(item, "document_id", "")) or file_name(item)
        parts.append(f"1 new version of {title}")
    for item in get(report, "duplicates", []):
        original = titles.get(get(item, "duplicate_of", ""))
        of = original or "a document already in the library"
        parts.append(f"1 duplicate of {of} ({file_name(item)})")
    for item in get(report, "failed", []):
        reason = get(item, "reason") or "unknown reason"
        parts.append(f"1 failed: {file_name(item)}: {reason}")
    return ", ".join(parts) if parts else "Nothing was imported."


def file_name(item: Any) -> str:
    """The file name of a file outcome (or any record with a path)."""
    for name in ("file_name", "path"):
        value = get(item, name)
        if value:
            return PurePath(str(value)).name
    return "a file"


def human_size(count: int | None) -> str:
    """A count with thousands separators, or an empty string."""
    return "" if count is None else f"{count:,}"
