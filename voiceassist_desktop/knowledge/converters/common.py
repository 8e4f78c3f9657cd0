"""Text helpers shared by the converters: identifiers, headings, text quality."""

from __future__ import annotations

import re
import unicodedata

from voiceassist_desktop.knowledge.document import Heading

DOI_PATTERN = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>]+)", re.IGNORECASE)
ISBN_PATTERN = re.compile(
    r"\bISBN(?:-1[03])?(?:\s*\(?[a-z]*\)?)?[:\s]\s*"
    r"((?:97[89][- ]?)?[0-9][-0-9 ]{7,14}[0-9Xx])\b",
    re.IGNORECASE,
)
HYPHENATED_BREAK = re.compile(r"(?<=[a-z]{2})-\n(?=[a-z]{2})")
YEAR_PATTERN = re.compile(r"(19|20)\d{2}")

# Lines such as "2.3 Safety of the needle" or "4. METHODS".
# How a line that closes a sentence ends: "... (12.3)]." or "... daily."
SENTENCE_ENDS = (".", ".)", ".]", ")]", "].", ":", "?", "!")
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^\n]{2,90})$")


def find_doi(text: str) -> str | None:
    """Return the first DOI in `text`, without trailing punctuation."""
    match = DOI_PATTERN.search(text)
    if match is None:
        return None
    return match.group(1).rstrip(".,;:)]}")


def find_isbn(text: str) -> str | None:
    """Return the first ISBN in `text` whose check digit is right, as digits."""
    for match in ISBN_PATTERN.finditer(text):
        digits = re.sub(r"[^0-9Xx]", "", match.group(1)).upper()
        if _isbn_valid(digits):
            return digits
    return None


def _isbn_valid(digits: str) -> bool:
    if len(digits) == 10:
        total = 0
        for position, char in enumerate(digits):
            value = 10 if char == "X" else int(char) if char.isdigit() else -1
            if value < 0 or (char == "X" and position != 9):
                return False
            total += (10 - position) * value
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def find_year(text: str | None) -> int | None:
    """Return the first plausible year (1900-2099) in `text`."""
    if not text:
        return None
    match = YEAR_PATTERN.search(text)
    return int(match.group(0)) if match else None


def split_authors(value: str | None) -> list[str]:
    """Split an author field ("A; B and C") into names, dropping blanks."""
    if not value:
        return []
    parts = re.split(r";|\band\b|&|\n", value)
    names = []
    for part in parts:
        name = re.sub(r"\{?et al\.?\}?", "", part).strip(" ,.\u00a0\t")
        if len(name) >= 2 and any(char.isalpha() for char in name):
            names.append(name)
    return names


def plausible_title(value: str | None) -> str | None:
    """Return `value` when it reads like a real title, else None.

    Producers often leave file names or job ids in the title field
    ("label", "ipg1300180a", "Microsoft Word - draft.doc").
    """
    if not value:
        return None
    title = " ".join(value.split())
    lowered = title.lower()
    if lowered.startswith("microsoft word - ") or re.search(
        r"\.(docx?|pdf|indd|qxd|tex)$", lowered
    ):
        return None
    letters = sum(char.isalpha() for char in title)
    if " " not in title or letters < 6 or letters < len(title) / 2:
        return None
    return title


def detect_plain_headings(
    text: str, page_index: int = 0, *, numbered_after_sentence: bool = False
) -> list[Heading]:
    """Find obvious headings in plain text: numbered lines and ALL-CAPS lines.

    Only lines that stand alone (a blank line or the start of the text before
    them) count, so a capitalised word inside a paragraph is not taken for a
    heading. Numbered lines with a dotted number become level 2 and more.

    Args:
        text: Plain text with "\\n" line breaks.
        page_index: The page the text belongs to.
        numbered_after_sentence: Also take a numbered line ("8.7 Hepatic
            Impairment") that follows a line ending a sentence. PDF text has
            no blank line between a heading and the paragraph before it.

    Returns:
        Headings with character offsets into `text`.
    """
    headings: list[Heading] = []
    offset = 0
    previous_blank = True
    previous_ends_sentence = False

    for line in text.split("\n"):
        stripped = line.strip()
        start = offset + (len(line) - len(line.lstrip()))
        offset += len(line) + 1
        if not stripped:
            previous_blank = True
            continue
        level = None
        if previous_blank:
            level = heading_level(stripped)
        elif numbered_after_sentence and previous_ends_sentence:
            if NUMBERED_HEADING.match(stripped):
                level = heading_level(stripped)
        previous_blank = False
        previous_ends_sentence = stripped.endswith(SENTENCE_ENDS)
        if level is not None:
            title = " ".join(stripped.split())
            headings.append(Heading(title, level, page_index, start))
    return headings


def heading_level(line: str) -> int | None:
    """The heading level of a line that looks like a heading, else None.

    Numbered lines ("2.3 Safety") get one level per number part; short
    ALL-CAPS lines are level 1.
    """
    if len(line) > 90 or line.endswith((".", ",", ";", ":")) and not line.isupper():
        return None

    numbered = NUMBERED_HEADING.match(line)
    if numbered and not line.endswith("."):
        words = numbered.group(2).split()
        # A numbered line that is mostly lower-case prose is a list item.
        capitalised = sum(word[:1].isupper() for word in words)
        if len(words) <= 12 and capitalised * 2 >= len(words):
            return numbered.group(1).count(".") + 1

    letters = [char for char in line if char.isalpha()]
    if (
        len(letters) >= 4
        and all(char.isupper() for char in letters)
        and len(line.split()) <= 12
        and not line.endswith(",")
    ):
        return 1
    return None


def garbled(text: str) -> bool:
    """Tell whether a page's text layer is nonsense.

    Fonts without a Unicode mapping give control characters, private-use
    characters, runs of punctuation or glyph names ("/g437"). Real text is
    mostly letters and digits; Latin text also has vowels.

    Args:
        text: The extracted page text.

    Returns:
        True when the text should not be indexed as it is.
    """
    # Dot leaders in tables of contents are not words but are not nonsense.
    text = re.sub(r"(?:[.·…_-]\s?){4,}", " ", text)
    visible = [char for char in text if not char.isspace()]
    if not visible:
        return False

    if len(re.findall(r"/g\d+", text)) * 4 > len(visible) / 2:
        return True

    bad = 0
    word_chars = 0
    for char in visible:
        category = unicodedata.category(char)
        if category in ("Cc", "Co", "Cs", "Cn") or char == "\ufffd":
            bad += 1
        elif category[0] in ("L", "N", "M"):
            word_chars += 1
    if bad * 10 > len(visible) or word_chars * 2 < len(visible):
        return True

    latin = [char.lower() for char in visible if "a" <= char.lower() <= "z"]
    if len(latin) >= 200 and len(latin) * 2 > len(visible):
        vowels = sum(char in "aeiouy" for char in latin)
        if not 0.2 <= vowels / len(latin) <= 0.65:
            return True
    return False


def normalise_newlines(text: str) -> str:
    """Use "\\n" line ends; drop NUL, form feeds and soft hyphens; trim lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Soft hyphens; pdfium marks a word hyphenated at a line end with U+FFFE.
    text = text.replace("\ufffe\n", "").replace("\ufffe", "").replace("\u00ad", "")
    text = text.replace("\x00", "").replace("\x0c", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _running_key(line: str) -> str:
    """A line with its numbers and spacing blurred, to match it across pages."""
    return re.sub(r"[\d\s]+", " ", line).strip().lower()


def drop_running_headers(headings: list[Heading], min_pages: int = 3) -> list[Heading]:
    """Remove heading-like lines that repeat on many pages (running headers).

    Args:
        headings: Headings found page by page.
        min_pages: A title seen on this many pages or more is a running header.

    Returns:
        The headings that are not repeated.
    """
    pages_by_title: dict[str, set[int]] = {}
    for heading in headings:
        pages_by_title.setdefault(_running_key(heading.title), set()).add(
            heading.page_index
        )
    return [
        heading
        for heading in headings
        if len(pages_by_title[_running_key(heading.title)]) < min_pages
    ]


def join_hyphenated(text: str) -> str:
    """Join words hyphenated across a line end ("treat-\\nment": "treatment")."""
    return HYPHENATED_BREAK.sub("", text)
