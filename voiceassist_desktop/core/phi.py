"""Offline detection and redaction of patient identifiers (PHI).

One detector serves three purposes: a logging filter keeps identifiers out of
log lines, the audit trail keeps them out of its details, and the router keeps
a question that holds one on this machine. It favours precision: a false alarm
keeps an ordinary clinical question from being answered remotely and spoils
useful log lines, so a person's name is found only beside a patient word or a
title ("patient John Smith", "Mrs Jones"), and dates only beside birth or
admission words. Eponyms ("Parkinson disease", "Wells score"), doses, lab
values, years, DOIs and clinicians ("Dr. Lip") are left alone.

The patterns are compiled once, their repetitions are bounded, and cheap
substring gates skip the ones whose context words are absent, so a scan costs
time linear in the text: this runs on every log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

NAME = "NAME"
DOB = "DOB"
DATE = "DATE"
MRN = "MRN"
PHONE = "PHONE"
EMAIL = "EMAIL"
ADDRESS = "ADDRESS"
SSN = "SSN"
ID = "ID"

KINDS = (NAME, DOB, DATE, MRN, PHONE, EMAIL, ADDRESS, SSN, ID)


@dataclass(frozen=True)
class PhiFinding:
    """One identifier found in a text.

    Attributes:
        kind: One of ``KINDS``; the redaction tag is ``[kind]``.
        start: Offset of the first character.
        end: Offset after the last character.
        text: The identifier as it appears.
    """

    kind: str
    start: int
    end: int
    text: str


# ---------------------------------------------------------------------------
# Building blocks

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
# A capitalised name word: Smith, O'Brien, McDonald, García, Smith-Jones.
_NAME_WORD = (
    rf"[{_UPPER}](?:['’][{_UPPER}])?[{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?"
    rf"(?:-[{_UPPER}][{_LOWER}]+)?"
)
_INITIAL = rf"[{_UPPER}]\."
# One to three words, a middle initial allowed: "Jane Doe", "John Q. Public".
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_INITIAL}|{_NAME_WORD})){{0,2}}"

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|"
    r"Jul(?:y)?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|"
    r"Dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_DATE = (
    r"(?:"
    r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"  # 03/04/1961, 4.3.61
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 1961-03-04
    rf"|{_DAY}[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+\d{{4}}"  # 4 March 1961
    rf"|{_MONTH}[ \t]+{_DAY},?[ \t]+\d{{4}}"  # March 4, 1961
    rf"|{_MONTH}[ \t]+\d{{4}}"  # March 1961
    r")"
)
# Words after which a date is the patient's (HIPAA counts all date elements
# finer than the year as identifiers).
_BIRTH_WORDS = (
    r"(?i:\bD\.?O\.?B\b\.?|\bdate[ \t]+of[ \t]+birth\b|\bbirth[ \t]?date\b|"
    r"\bbirthday\b|\bborn\b)"
)
_EVENT_WORDS = (
    r"(?i:\badmitted\b|\badmission(?:[ \t]+date)?\b|\bdischarged\b|"
    r"\bdischarge(?:[ \t]+date)?\b|\bdate[ \t]+of[ \t]+(?:death|admission|"
    r"discharge|service|visit)\b|\bdied\b|\bdeceased\b|\bDOS\b)"
)
_LINK = r"[ \t]*(?:[:=\-–][ \t]*)?(?:(?i:is|was|on|in)[ \t]+){0,2}"

_PATIENT_WORDS = (
    r"(?:(?i:\bpatient(?:['’]s)?(?:[ \t]+name)?|\bname[ \t]+of[ \t]+(?:the[ \t]+)?"
    r"patient)|\b[Pp]t(?:[ \t]+name)?\b\.?)"
)
_TITLES = r"\b(?:Mr|Mrs|Ms|Miss|Mx|Mister|Missus)\b\.?"

_NAME_AFTER_PATIENT = re.compile(
    rf"{_PATIENT_WORDS}(?P<link>[ \t]*(?:(?:[:#,]|(?<=[ \t])[\-–])[ \t]*)?"
    r"(?:(?i:is|named|called)[ \t]+)?)"
    rf"(?P<v>{_NAME}(?:,[ \t]*{_NAME_WORD}(?![ \t]*\d))?)"
)
_DETERMINER_RE = re.compile(
    r"(?i:\b(?:this|the|a|an|each|every|that|which|any|such|same|other))[ \t]+$"
)
_VERB_BEFORE_MISS_RE = re.compile(
    r"(?i:\b(?:i|we|you|they|he|she|it|to|not|will|would|may|might|can|could|"
    r"never|did|do|does|don't|didn't))[ \t]+$"
)
# An age right after a name: "Smith, 81", "Smith (81 y)", "Smith aged 81".
_AGE_AFTER_RE = re.compile(r",?[ \t]*\(?(?:aged[ \t]+)?\d{1,3}\b(?![.,]\d)")
_TITLE_START_RE = re.compile(rf"{_TITLES}\b")
_NAME_AFTER_TITLE = re.compile(rf"{_TITLES}[ \t]+(?P<v>{_NAME})")

_DOB_RE = re.compile(rf"{_BIRTH_WORDS}{_LINK}(?P<v>{_DATE})(?!\d)")
_EVENT_DATE_RE = re.compile(rf"{_EVENT_WORDS}{_LINK}(?P<v>{_DATE})(?!\d)")

_MRN_RE = re.compile(
    r"(?i:\bMRN\b|\bmedical[ \t]+record(?:[ \t]+(?:number|no\b\.?|num\b\.?|#))?"
    r"|\b(?:hospital|chart|case|record|patient|pt)[ \t]+"
    r"(?:number|no\b\.?|num\b\.?|#|id\b)|\bMR#)"
    r"[ \t]*(?:[:#=][ \t]*)?(?:(?i:is)[ \t]+)?"
    r"(?P<v>[A-Za-z]{0,3}-?\d{4,12}[A-Za-z]?)(?![\w/.-]\w)"
)

# A full name right before a birth date or record number: "John Smith, DOB
# 03/14/1952", "Jane Doe (dob 1/2/1950)", "Ann Lee, MRN 1234567".
_NAME_BEFORE_IDENTIFIER = re.compile(
    rf"(?P<v>{_NAME_WORD}(?:[ \t]+(?:{_INITIAL}|{_NAME_WORD})){{1,2}})"
    r"[ \t]*[,(;:][ \t]*(?=(?:"
    + _DOB_RE.pattern.replace("(?P<v>", "(?:")
    + ")|(?:"
    + _MRN_RE.pattern.replace("(?P<v>", "(?:")
    + "))"
)
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])(?P<v>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9-]{1,63}\.)+(?:[a-z]{2,24}|[A-Z]{2,24}))(?![\w-])"
)

_SSN_RE = re.compile(
    r"(?<![\d-])(?P<v>(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4})(?![\d-])"
)
_SSN_CONTEXT_RE = re.compile(
    r"(?i:\bSSN\b|\bsocial[ \t]+security(?:[ \t]+(?:number|no\b\.?|#))?)"
    r"[ \t]*(?:[:#][ \t]*)?(?P<v>\d{3}[ \t]?\d{2}[ \t]?\d{4})(?!\d)"
)

# NHS numbers: ten digits, 3-3-4 when written out, with a mod-11 check digit.
_NHS_RE = re.compile(r"(?<![\d-])(?P<v>\d{3}([ -]?)\d{3}\2\d{4})(?![\d-])")
_NHS_CONTEXT_RE = re.compile(
    r"(?i:\bNHS(?:[ \t]+(?:number|no\b\.?|#))?)[ \t]*:?[ \t]*$"
)
_ID_CONTEXT_RE = re.compile(
    r"(?i:\b(?:national[ \t]+(?:insurance|id(?:entity)?)|passport|"
    r"driver'?s?[ \t]+licen[cs]e|health[ \t]+(?:card|insurance)|medicare|"
    r"medicaid|insurance|member|beneficiary|subscriber)"
    r"[ \t]+(?:number|no\b\.?|#|id\b))[ \t]*(?:[:#][ \t]*)?"
    r"(?P<v>(?=(?:[A-Z-]*\d){3})[A-Z0-9][A-Z0-9-]{5,17}[A-Z0-9])\b"
)

_PHONE_SEP = r"[ \t.\-]"
_PHONE_RE = re.compile(
    r"(?<![\w.+/-])(?P<v>"
    # US with country code or parentheses: +1 555 123 4567, (555) 123-4567
    r"(?:\+1[ \t.\-]?\(?[2-9]\d{2}\)?[ \t.\-]?\d{3}[ \t.\-]?\d{4}"
    r"|(?:1[ \t.\-]?)?\([2-9]\d{2}\)[ \t]?\d{3}[ \t.\-]\d{4}"
    # US with dashes or dots, same separator twice: 555-123-4567
    r"|(?:1[-–])?[2-9]\d{2}(?P<sep>[-–])\d{3}(?P=sep)\d{4}"
    r"|[2-9]\d{2}\.\d{3}\.\d{4}"
    # International: + country code, then 2 to 5 groups of digits
    rf"|\+(?!1[ \t.\-]?\d)[1-9]\d{{0,2}}(?:{_PHONE_SEP}?\(0\))?"
    rf"(?:{_PHONE_SEP}?\d{{1,5}}){{2,5}}"
    r"))(?![\w.\-]?\d)"
)
_PHONE_CONTEXT_RE = re.compile(
    r"(?i:\b(?:phone|telephone|tel|mobile|cell|fax|pager|contact[ \t]+number|"
    r"call)\b\.?(?:[ \t]+(?:number|no\b\.?|#))?)[ \t]*(?:[:#][ \t]*)?"
    r"(?:(?i:is|on|at)[ \t]+)?"
    r"(?P<v>\+?\(?\d{2,5}\)?(?:[ \t.\-]?\d{2,5}){1,4})(?![\w.\-]?\d)"
)

# "St" and "Dr" before a capitalised word are Saint and Doctor ("St John's
# wort", "Dr Smith"), not a street.
_STREET_TYPES = (
    r"(?:(?:St|Dr)(?!\.?[ \t]+[A-Z][a-z])|"
    r"Street|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct|"
    r"Way|Place|Pl|Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|"
    r"Close|Crescent|Cres|Grove|Gardens|Row|Mews|Trail|Trl|Alley)"
)
_ADDRESS_RE = re.compile(
    r"(?<![\w.,/-])(?P<v>\d{1,6}[A-Za-z]?[ \t]+"
    rf"(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    rf"(?:{_NAME_WORD}[ \t]+|\d{{1,3}}(?:st|nd|rd|th)[ \t]+){{1,3}}"
    rf"{_STREET_TYPES}\b"
    # optional unit, city, state and ZIP or UK postcode
    r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Unit|Flat|#)\.?[ \t]*[\w-]{1,6})?"
    rf"(?:,[ \t]*{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?"
    r"(?:,?[ \t]+[A-Z]{2}(?:[ \t]+\d{5}(?:-\d{4})?)?)?"
    r"(?:,?[ \t]+[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})?)?"
    r")"
)

# Capitalised words that follow "patient" in headings and labels, and so are
# not names ("Patient Information", "Patient Counseling").
_NOT_NAMES = frozenset(
    """
    a an and as at by for from in into of on or the to with without
    he she they his her their it its this that these those who whom which
    is was were are be been being has had have having will would should could
    true false correct incorrect none all both either neither other others
    may might must can did does do not no yes if then than also but
    patient patients pt pts name names id number age sex gender dob mrn
    information info counseling counselling education educational safety
    care guide guides leaflet leaflets labeling labelling label package insert
    medication medications medicine medicines drug drugs instructions
    population populations characteristics selection assessment assessments
    monitoring management outcome outcomes reported report reports health
    protection privacy portal history demographics data record records
    consent rights experience experiences satisfaction preference preferences
    access advocacy advocate navigator navigators registry registries
    centered centred focused level levels group groups cohort cohorts
    visit visits encounter encounters admission admissions discharge transfer
    room rooms bed beds unit units chart charts flow list lists
    identifier identifiers identification factors factor risk risks
    summary summaries table tables figure figures appendix section chapter
    page pages note notes study studies trial trials review reviews
    guideline guidelines recommendation recommendations protocol protocols
    questionnaire questionnaires survey surveys interview interviews
    sample samples specimen specimens case cases series
    male female man woman men women child children adult adults infant
    infants boy girl baby elderly older young pregnant
    wife husband mother father daughter son sister brother family partner
    spouse caregiver carer parent parents relative relatives friend
    global weight height tracker insights portal voice voices journey
    educ couns relat saf prefer adherence meas qual
    presents presented presenting presentation complains complained
    reports reporting denies denied states stated has have had with without
    should must may can will received receiving receives treated treatment
    therapy therapies response responses status condition conditions
    population-based self self-management self-care home
    advisory alert alerts handout handouts brochure brochures version
    medical clinical hospital clinic clinics primary secondary tertiary
    out in inpatient outpatient ambulatory emergency
    baseline demographic
    monday tuesday wednesday thursday friday saturday sunday today yesterday
    january february march july september october november december
    """.split()
)
_NOT_NAME_SUFFIXES = (
    "tion",
    "sion",
    "ment",
    "ness",
    "ity",
    "ics",
    "ance",
    "ence",
    "ship",
    "ogy",
    "ised",
    "ized",
    "ing",
    # drug stems, disease and procedure endings, clinical adjectives
    "mycin",
    "cillin",
    "azole",
    "pril",
    "olol",
    "sartan",
    "statin",
    "xaban",
    "parin",
    "oxacin",
    "cycline",
    "dipine",
    "tinib",
    "mab",
    "prazole",
    "tidine",
    "gatran",
    "platin",
    "osis",
    "itis",
    "emia",
    "aemia",
    "ectomy",
    "otomy",
    "pathy",
    "ous",
    "ular",
)
# Clinical prefixes that begin no common surname.
_NOT_NAME_PREFIXES = ("intra", "inter", "hyper", "hypo", "anti", "endo")
# Names that end in -ing are rare but real; these keep their place.
_ING_NAMES = frozenset({"king", "fielding", "manning", "browning", "channing"})

# Cheap gates. Each pattern runs only when its context can be present: most
# log lines hold no digit, no "@" and no patient word, and a substring test on
# the lowered text costs far less than a scan by a case-insensitive pattern.
_DIGIT_RE = re.compile(r"\d")
_TITLE_GATE_RE = re.compile(r"M(?:rs?|s|iss|x|ister|issus)\b")
_ALWAYS: tuple[str, ...] = ()
# (kind, pattern, substrings of the lowered text one of which must be present;
# empty: no gate beyond a digit). Every pattern but e-mail needs a digit.
_GATED = (
    (DOB, _DOB_RE, ("dob", "d.o.b", "birth", "born")),
    (
        DATE,
        _EVENT_DATE_RE,
        ("admi", "discharg", "died", "death", "deceased", "dos", "date of"),
    ),
    (
        MRN,
        _MRN_RE,
        ("mrn", "mr#", "record", "hospital", "chart", "case", "pt", "patient"),
    ),
    (SSN, _SSN_RE, ("-",)),
    (SSN, _SSN_CONTEXT_RE, ("ssn", "social security")),
    (
        ID,
        _ID_CONTEXT_RE,
        (
            "national",
            "passport",
            "licen",
            "health",
            "medicare",
            "medicaid",
            "insurance",
            "member",
            "beneficiary",
            "subscriber",
        ),
    ),
    (PHONE, _PHONE_RE, _ALWAYS),
    (
        PHONE,
        _PHONE_CONTEXT_RE,
        ("phone", "tel", "mobile", "cell", "fax", "pager", "contact", "call"),
    ),
    (ADDRESS, _ADDRESS_RE, _ALWAYS),
)


def _is_name_word(word: str) -> bool:
    lower = word.lower()
    if lower in _NOT_NAMES or lower.startswith(_NOT_NAME_PREFIXES):
        return False
    if lower.endswith(_NOT_NAME_SUFFIXES) and lower not in _ING_NAMES:
        return False
    return len(word) >= 2


def _trim_name(text: str) -> str:
    """Keep the leading name words of a match; '' when it is no name at all."""
    words = re.split(r"([ \t]+|,[ \t]*)", text)
    kept: list[str] = []
    for i in range(0, len(words), 2):
        word = words[i]
        if word.endswith(".") and len(word) == 2:
            kept.append(word)
            continue
        if not _is_name_word(word):
            break
        kept.append(word)
    while kept and kept[-1].endswith(".") and len(kept[-1]) == 2:
        kept.pop()
    if not kept:
        return ""
    # Rebuild with the original separators between the kept words.
    pieces: list[str] = []
    for i, word in enumerate(kept):
        pieces.append(word)
        if i < len(kept) - 1:
            pieces.append(words[2 * i + 1])
    return "".join(pieces)


def _nhs_checksum_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# TODO(phi): a name with neither a patient word, a title nor a birth date or
# record number after it ("John Smith, 54, presented with ...") and a
# lower-case name from a speech transcript are not found; a name gazetteer or
# a small NER model shipped in a package would find them, at some cost in
# precision and speed.
# TODO(phi): a titled name that is no patient ("we thank Ms Sylva Schwager")
# is flagged; harmless for routing, it over-redacts quoted acknowledgements.
def _names(text: str, lower: str) -> Iterator[PhiFinding]:
    titled = _TITLE_GATE_RE.search(text) is not None
    for m in _NAME_AFTER_TITLE.finditer(text) if titled else ():
        # "Miss" is also a verb: "Will We Miss Cancers", "you Miss Doses".
        if m.group(0).startswith("Miss ") and _VERB_BEFORE_MISS_RE.search(
            text, max(0, m.start() - 8), m.start()
        ):
            continue
        name = _trim_name(m.group("v"))
        if name:
            yield PhiFinding(NAME, m.start("v"), m.start("v") + len(name), name)

    for m in _NAME_BEFORE_IDENTIFIER.finditer(text):
        name = _trim_name(m.group("v"))
        # "Mrs Smith, DOB ..." is the titled-name rule's.
        if (
            name
            and len(re.findall(_NAME_WORD, name)) >= 2
            and not _TITLE_START_RE.match(name)
        ):
            yield PhiFinding(NAME, m.start("v"), m.start("v") + len(name), name)

    if "patient" not in lower and "pt" not in lower:
        return
    for m in _NAME_AFTER_PATIENT.finditer(text):
        name = _trim_name(m.group("v"))
        if not name:
            continue
        # A lone capitalised word after "patient" is usually a heading
        # ("Patient Tracker", "Patient Insights"), and after a determiner the
        # text speaks of a patient rather than naming one ("this patient:
        # Anion gap ..."). One word counts only when the text calls it a name,
        # or marks it with a colon or an age ("pt: Smith", "pt Smith, 81")
        # without a determiner before "patient".
        prefix = m.group(0)[: m.start("v") - m.start()].lower()
        named = "name" in prefix or "called" in prefix
        marked = m.group("link").strip() or _AGE_AFTER_RE.match(
            text, m.start("v") + len(name)
        )
        generic = _DETERMINER_RE.search(text, max(0, m.start() - 8), m.start())
        single = len(re.findall(_NAME_WORD, name)) == 1
        if single and not named and (generic or not marked):
            continue
        yield PhiFinding(NAME, m.start("v"), m.start("v") + len(name), name)


def _simple(text: str, lower: str) -> Iterator[PhiFinding]:
    for kind, pattern, words in _GATED:
        if words and not any(w in lower for w in words):
            continue
        for m in pattern.finditer(text):
            value = m.group("v")
            if kind == PHONE and not 7 <= sum(c.isdigit() for c in value) <= 15:
                continue
            yield PhiFinding(kind, m.start("v"), m.end("v"), value)


def _nhs_numbers(text: str) -> Iterator[PhiFinding]:
    for m in _NHS_RE.finditer(text):
        value = m.group("v")
        digits = re.sub(r"\D", "", value)
        if not _nhs_checksum_ok(digits):
            continue
        # A bare run of ten digits is too common (phone numbers, counts) to
        # call an NHS number without the word; spaced 3-3-4 with a valid
        # check digit is distinctive enough on its own.
        if m.group(2) or _NHS_CONTEXT_RE.search(
            text, max(0, m.start() - 20), m.start()
        ):
            yield PhiFinding(ID, m.start("v"), m.end("v"), value)


def detect(text: str) -> list[PhiFinding]:
    """Find patient identifiers in a text.

    Args:
        text: Any text: a question, a log message, an audit detail.

    Returns:
        Non-overlapping findings in text order. Where two overlap, the one
        that starts first wins, then the longer one.
    """
    if not text:
        return []

    lower = text.lower()
    found = [*_names(text, lower)]
    if "@" in text:
        found.extend(
            PhiFinding(EMAIL, m.start("v"), m.end("v"), m.group("v"))
            for m in _EMAIL_RE.finditer(text)
        )
    if _DIGIT_RE.search(text):
        found.extend(_nhs_numbers(text))
        found.extend(_simple(text, lower))
    # An NHS number with its word or an SSN is more specific than a phone
    # match over the same digits, so they go first among equals.
    priority = {ID: 0, SSN: 0, MRN: 0}
    found.sort(key=lambda f: (f.start, -(f.end - f.start), priority.get(f.kind, 1)))

    kept: list[PhiFinding] = []
    for finding in found:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def contains_phi(text: str) -> bool:
    """Whether the text holds any patient identifier."""
    return bool(detect(text))


def redact(text: str) -> str:
    """Replace each identifier with its tag, e.g. ``[NAME]`` or ``[MRN]``.

    Context words stay, so "MRN 12345678" becomes "MRN [MRN]".
    """
    findings = detect(text)
    if not findings:
        return text
    pieces: list[str] = []
    position = 0
    for finding in findings:
        pieces.append(text[position : finding.start])
        pieces.append(f"[{finding.kind}]")
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


def redact_obj(obj: Any) -> Any:
    """Redact every string inside dicts, lists and tuples, recursively.

    Keys of dicts are redacted too, since a caller may key by a value. Other
    values (numbers, booleans, None) are returned as they are. The input is
    not changed.
    """
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {
            (redact(k) if isinstance(k, str) else k): redact_obj(v)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [redact_obj(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(redact_obj(v) for v in obj)
    return obj
