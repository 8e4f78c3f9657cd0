"""Clinical vocabulary that primes the recogniser, and mining of terms from text.

Whisper spells an unfamiliar drug name by its sound ("a big sub-un" for
apixaban) unless the name appears in the text it is given as preceding
context. We pass a short glossary there: the caller's own terms first (names
from the user's library), then the shipped list, cut to fit the prompt budget.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

logger = logging.getLogger(__name__)

#: Whisper keeps at most 223 tokens of preceding context; leave room for the
#: separators and the tokens the decoder adds itself.
DEFAULT_PROMPT_TOKENS = 200

_PROMPT_LEAD = "Glossary: "

# Stems that mark a drug name in English medical text.
DRUG_SUFFIXES = (
    "mab",
    "nib",
    "pril",
    "sartan",
    "olol",
    "alol",
    "ilol",
    "statin",
    "xaban",
    "gatran",
    "parin",
    "gliflozin",
    "glutide",
    "gliptin",
    "dipine",
    "azole",
    "prazole",
    "tidine",
    "cillin",
    "cycline",
    "mycin",
    "micin",
    "floxacin",
    "vir",
    "azepam",
    "zolam",
    "triptan",
    "setron",
    "semide",
    "thiazide",
    "sone",
    "olone",
    "tide",
    "platin",
    "taxel",
    "rubicin",
    "oxetine",
    "triptyline",
    "apine",
    "idone",
    "afil",
    "terol",
    "tropium",
    "lukast",
    "dronate",
    "barbital",
    "caine",
    "curonium",
    "grel",
    "plase",
    "poetin",
)
_DRUG_WORD = re.compile(
    r"\b[A-Za-z][a-z]{2,}(?:" + "|".join(DRUG_SUFFIXES) + r")\b",
)

# Words that end like a drug but are ordinary English or clinical words.
_NOT_DRUGS = frozenset(
    {
        "peptide",
        "nucleotide",
        "polypeptide",
        "response",
        "cortisone",
        "person",
        "reason",
        "season",
        "oversee",
        "outside",
        "override",
        "inside",
        "aside",
        "beside",
        "decide",
        "provide",
        "nucleoside",
        "riptide",
        "elevator",
    }
)

_CONDITION_HEADS = (
    "syndrome",
    "disease",
    "disorder",
    "failure",
    "fibrillation",
    "infarction",
    "insufficiency",
    "injury",
    "embolism",
    "thrombosis",
    "anaemia",
    "anemia",
    "arthritis",
    "hypertension",
    "diabetes",
    "cancer",
    "carcinoma",
    "infection",
    "deficiency",
    "encephalopathy",
    "cirrhosis",
    "pneumonia",
    "sepsis",
)
_CONDITION = re.compile(
    r"\b((?:[A-Z][a-z'’-]+|[a-z][a-z'’-]+)\s+){0,2}(?:"
    + "|".join(_CONDITION_HEADS)
    + r")\b",
    re.IGNORECASE,
)
# Two to four capitalised words in a row ("Chronic Kidney Disease").
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){1,3}\b")
_SMALL_WORDS = frozenset(
    "a an the of for in on and or with to by at from is are was be this that "
    "these those which what when how who if as it its into per not no had has "
    "have any some all other each every current such more most less new his "
    "her their our your than also only".split()
)


@lru_cache(maxsize=1)
def shipped_terms() -> tuple[str, ...]:
    """The clinical terms shipped with the app, most useful first."""
    from importlib.resources import files

    source = (
        files("voiceassist_desktop.resources") / "vocabulary" / "clinical_terms.txt"
    )
    lines = source.read_text(encoding="utf-8").splitlines()
    terms = [line.strip() for line in lines]
    return tuple(t for t in terms if t and not t.startswith("#"))


def _estimate_tokens(text: str) -> int:
    # Whisper's BPE spends about one token per three characters of rare words;
    # err on the high side so the real prompt never exceeds the budget.
    return max(1, -(-len(text) // 3))


def select_terms(
    library_terms: Iterable[str] = (),
    *,
    include_shipped: bool = True,
    max_tokens: int = DEFAULT_PROMPT_TOKENS,
    count_tokens: Callable[[str], int] | None = None,
    library_share: float = 0.6,
) -> list[str]:
    """Choose the terms that fit the prompt: the library's first, then shipped.

    The library's terms may take `library_share` of the budget when shipped
    terms follow, so the commonest drug names always keep some room.

    Args:
        library_terms: The caller's terms, most important first (drug names,
            conditions and headings from the user's library).
        include_shipped: Add the shipped list after the caller's terms.
        max_tokens: Budget for the whole prompt, in Whisper tokens.
        count_tokens: Counts the tokens of a text; a conservative estimate is
            used without it.
        library_share: Part of the budget the library's terms may use when
            shipped terms are included.

    Returns:
        The chosen terms, without duplicates (case-insensitive), in order.
    """
    count = count_tokens or _estimate_tokens
    chosen: list[str] = []
    seen: set[str] = set()
    used = count(_PROMPT_LEAD)

    def fill(terms: Iterable[str], budget: int) -> None:
        nonlocal used
        for term in terms:
            term = " ".join(str(term).split()).strip(" ,.;")
            key = term.casefold()
            if not term or key in seen:
                continue
            cost = count(" " + term + ",")
            if used + cost > budget:
                continue
            seen.add(key)
            chosen.append(term)
            used += cost

    library_budget = int(max_tokens * library_share) if include_shipped else max_tokens
    fill(library_terms, library_budget)
    if include_shipped:
        fill(shipped_terms(), max_tokens)
    return chosen


def build_prompt(terms: Sequence[str]) -> str:
    """Turn chosen terms into the text Whisper reads as preceding context."""
    if not terms:
        return ""
    return _PROMPT_LEAD + ", ".join(terms) + "."


def prompt_for(
    library_terms: Iterable[str] = (),
    *,
    include_shipped: bool = True,
    max_tokens: int = DEFAULT_PROMPT_TOKENS,
    count_tokens: Callable[[str], int] | None = None,
) -> str:
    """Select terms within the budget and build the prompt in one call."""
    terms = select_terms(
        library_terms,
        include_shipped=include_shipped,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    return build_prompt(terms)


def extract_terms(text: str, *, limit: int | None = None) -> list[str]:
    """Find drug names and condition names in free text, commonest first.

    Drug names are recognised by their stems (-mab, -pril, -sartan, -olol,
    -statin, -xaban, -gliflozin, -glutide...); conditions by a head noun
    (syndrome, disease, failure...) with up to two words before it, and by runs
    of capitalised words such as "Chronic Kidney Disease".

    Args:
        text: Any text, e.g. a document of the library.
        limit: Keep at most this many terms.

    Returns:
        Distinct terms (lower case, except capitalised names), most frequent
        first.
    """
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}

    def add(term: str) -> None:
        term = " ".join(term.split()).strip(" -'’")
        if len(term) < 4:
            return
        key = term.casefold()
        counts[key] += 1
        spelling.setdefault(key, term)

    for match in _DRUG_WORD.finditer(text):
        word = match.group(0)
        if word.casefold() not in _NOT_DRUGS:
            add(word.lower() if word[1:].islower() else word)

    covered: list[tuple[int, int]] = []
    for match in _CONDITION.finditer(text):
        covered.append(match.span())
        words = match.group(0).split()
        # Keep the words after the last small word ("eating and diabetes").
        for position in range(len(words) - 1, -1, -1):
            if words[position].casefold() in _SMALL_WORDS:
                words = words[position + 1 :]
                break
        if len(words) >= 2:
            phrase = " ".join(words)
            add(phrase if _is_proper(phrase) else phrase.lower())

    for match in _CAPITALISED_RUN.finditer(text):
        start, end = match.span()
        if any(start < c_end and c_start < end for c_start, c_end in covered):
            continue
        words = match.group(0).split()
        while words and words[0].casefold() in _SMALL_WORDS:
            words = words[1:]
        if len(words) >= 2 and words[-1].casefold().rstrip("s") in _CONDITION_HEADS:
            add(" ".join(words).lower())

    ranked = sorted(counts, key=lambda key: (-counts[key], key))
    terms = [spelling[key] for key in ranked]
    return terms[:limit] if limit is not None else terms


def _is_proper(phrase: str) -> bool:
    # Eponyms keep their capital: "Cushing's syndrome", "Crohn's disease".
    first = phrase.split()[0]
    return first[:1].isupper() and ("'" in first or "’" in first)


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


_SOUND_RULES = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"[cq]"), "k"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"z"), "s"),
    (re.compile(r"(?<=[^aeiou])h"), ""),
    (re.compile(r"[aeiouy]+"), "a"),
    (re.compile(r"(.)\1+"), r"\1"),
)


# A run whose letters share less than this with a term is never that term;
# between this and the spelling cutoff only a sound-alike match counts.
SPELLING_FLOOR = 0.5
SOUND_ALIKE = 0.95


def sound_key(word: str) -> str:
    """A rough English sound-alike key: spellings that sound alike agree.

    "impagloflosin" and "empagliflozin" both give "ampaglaflasan".
    """
    key = re.sub(r"[^a-z]", "", word.casefold())
    for pattern, replacement in _SOUND_RULES:
        key = pattern.sub(replacement, key)
    return key


def correct_terms(
    text: str,
    terms: Iterable[str],
    *,
    cutoff: float = 0.86,
    is_common: Callable[[str], bool] | None = None,
) -> str:
    """Snap near-miss spellings of known one-word terms to the term.

    Whisper often splits or misspells a rare name that it heard well ("for a
    pixaban" for "for apixaban", "impagloflosin" for "empagliflozin"). Runs
    of one to three words whose letters, joined, nearly match a known term of
    six letters or more, by spelling or by sound (`sound_key`), are replaced
    by that term. Words that are themselves known terms are kept, and so are
    runs made only of common words when `is_common` is given.

    Args:
        text: A transcript.
        terms: Known terms (multiword terms are ignored here).
        cutoff: Least similarity (difflib ratio, 0..1) to replace.
        is_common: Tells whether a word is ordinary English.

    Returns:
        The transcript with corrections.
    """

    known = {t.casefold(): t for t in terms if " " not in t and len(t) >= 6}
    sounds = {key: sound_key(key) for key in known}
    if not known:
        return text
    by_length: dict[int, list[str]] = {}
    for key in known:
        by_length.setdefault(len(key), []).append(key)

    words = list(_WORD.finditer(text))
    candidates: list[tuple[float, int, int, str]] = []
    for index in range(len(words)):
        for width in (1, 2, 3):
            run = words[index : index + width]
            if len(run) < width:
                break
            match = _best_term(text, run, known, sounds, by_length, cutoff, is_common)
            if match is not None:
                candidates.append((match[0], index, index + width, match[1]))

    # The best-scoring runs win; a run overlapping a better one is dropped.
    taken: set[int] = set()
    replacements: list[tuple[int, int, str]] = []
    for _score, first, last, key in sorted(candidates, key=lambda c: -c[0]):
        span = set(range(first, last))
        if span & taken:
            continue
        taken |= span
        replacements.append((words[first].start(), words[last - 1].end(), known[key]))
    replacements.sort()

    for start, end, term in reversed(replacements):
        text = text[:start] + term + text[end:]
    if replacements:
        logger.debug("Corrected %d term(s) in a transcript", len(replacements))
    return text


def _best_term(
    text: str,
    run: list[re.Match[str]],
    known: dict[str, str],
    sounds: dict[str, str],
    by_length: dict[int, list[str]],
    cutoff: float,
    is_common: Callable[[str], bool] | None,
) -> tuple[float, str] | None:
    """The known term a run of words most likely stands for, with its score."""
    from difflib import SequenceMatcher

    # Only spaces or hyphens between the words: a comma or a full stop ends
    # the name.
    for before, after in zip(run, run[1:], strict=False):
        if re.search(r"[^\s-]", text[before.end() : after.start()]):
            return None
    joined = "".join(w.group(0) for w in run).casefold().replace("-", "")
    if len(joined) < 6 or any(w.group(0).casefold() in known for w in run):
        return None
    if is_common is not None and all(is_common(w.group(0)) for w in run):
        return None

    heard = sound_key(joined)
    floor = cutoff - 0.2
    best: tuple[float, str] | None = None
    matcher = SequenceMatcher(None, "", joined)
    for length in range(len(joined) - 3, len(joined) + 4):
        for key in by_length.get(length, ()):
            matcher.set_seq1(key)
            if matcher.real_quick_ratio() < SPELLING_FLOOR:
                continue
            spelt = matcher.ratio()
            if spelt < SPELLING_FLOOR:
                continue
            # Spelt differently but sounding alike counts as alike: closely
            # where the spelling is near, all but exactly where it is far
            # ("a picksebin" sounds as "apixaban" but shares half its letters).
            sound = SequenceMatcher(None, heard, sounds[key]).ratio()
            if spelt >= floor:
                score = max(spelt, sound)
            else:
                score = sound if sound >= SOUND_ALIKE else 0.0
            if score >= cutoff and (best is None or score > best[0]):
                best = (score, key)
    return best
