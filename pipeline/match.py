"""Match a table row's label to an indicator: code, then exact name, then fuzzy."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from pipeline._memo import IdentityMemo, text_memo
from pipeline.model import Indicator

FUZZY_THRESHOLD = 80.0  # a fuzzy match must score at least this …
FUZZY_MARGIN = 8.0  # … and beat the runner-up indicator by this much

_ORDINAL = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+[、.．]|"
    r"[①-⑳]|\d{1,2}(?:\.\d{1,2})?[、.．)）]+(?!\d)|\d{1,2}\.\d{1,2}(?=\D))\s*"
)
_NOISE = re.compile(r"[\s“”\"'‘’「」《》、，,。．.：:；;（）()\[\]【】·\-—_/]+")
_CIRCLED = re.compile(r"^[①-⑳]")  # NFKC would turn ① into a bare 1
_CODE = re.compile(r"^\d{1,2}\.\d{1,2}$")


@text_memo
def normalise_name(text: str) -> str:
    """Compare names without ordinals (（一）, 一、, ①, 1.), quotes, spaces and punctuation."""
    s = unicodedata.normalize("NFKC", _CIRCLED.sub("", text.strip(), count=1)).strip()
    for _ in range(3):  # "一、（1）…" carries more than one ordinal
        s2 = _ORDINAL.sub("", s, count=1)
        if s2 == s:
            break
        s = s2
    return _NOISE.sub("", s)


def code_of(value: object) -> str | None:
    """An indicator code as written in a code column (``1.1``, ``１．１``, 1.1 as a number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        text = f"{value:g}"
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
    return text if _CODE.match(text) else None


@dataclass(frozen=True)
class Match:
    indicator: Indicator | None
    how: str  # code, exact, contains, fuzzy, or "" when none
    score: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()  # (indicator id, score) best first

    def describe_candidates(self, table_names: dict[str, str]) -> str:
        return "、".join(
            f"{iid} {table_names[iid]}（{score:.0f}分）" for iid, score in self.candidates
        )


_NAMES: IdentityMemo[tuple[str, ...]] = IdentityMemo()
_MATCHES: IdentityMemo[Match] = IdentityMemo()


def _names(ind: Indicator) -> tuple[str, ...]:
    """The indicator's normalised name and aliases, computed once per indicator object
    (hashing a frozen dataclass on every call would cost more than the lookup saves)."""

    def compute() -> tuple[str, ...]:
        return tuple(n for n in (normalise_name(x) for x in (ind.name, *ind.aliases)) if n)

    return _NAMES.get(None, ind, compute)


def match_label(label: str, indicators: Sequence[Indicator]) -> Match:
    """Exact name or alias; else the unique longest name contained in the label; else a fuzzy
    match above the threshold with a margin over the runner-up. Anything else: no match, with
    the best candidates for the message.

    Answers are remembered per label and indicator sequence (the same object: a department's
    tuple from ``TargetTable.indicators_of``): every county's files repeat the same names."""
    key = normalise_name(label)
    return _MATCHES.get(key, indicators, lambda: _match(key, indicators))


def _match(key: str, indicators: Sequence[Indicator]) -> Match:
    if not key:
        return Match(None, "")
    exact = [i for i in indicators if key in _names(i)]
    if len(exact) == 1:
        return Match(exact[0], "exact", 100.0)
    contained: list[tuple[int, Indicator]] = []
    for ind in indicators:
        lengths = [len(n) for n in _names(ind) if len(n) >= 4 and n in key]
        if lengths:
            contained.append((max(lengths), ind))
    contained.sort(key=lambda t: -t[0])
    if contained and (len(contained) == 1 or contained[0][0] > contained[1][0]):
        return Match(contained[0][1], "contains", 100.0)
    if len(key) >= 3:  # a short label that is part of exactly one indicator's name
        within = [i for i in indicators if any(key in n for n in _names(i))]
        if len(within) == 1:
            return Match(within[0], "contains", 100.0)
    scored = sorted(
        ((max(_similarity(key, n) for n in _names(ind)), ind) for ind in indicators),
        key=lambda t: -t[0],
    )
    candidates = tuple((ind.id, round(score, 1)) for score, ind in scored[:3])
    if scored:
        best, ind = scored[0]
        runner = scored[1][0] if len(scored) > 1 else 0.0
        if best >= FUZZY_THRESHOLD and best - runner >= FUZZY_MARGIN:
            return Match(ind, "fuzzy", best, candidates)
    return Match(None, "", 0.0, candidates)


def _similarity(key: str, name: str) -> float:
    """0–100: the better of rapidfuzz's ratio and the share of both texts made of common
    phrases in any order (offices reword: 义务教育学校提供课后服务 ~ 开展课后服务的义务教育学校)."""
    return max(fuzz.ratio(key, name), _phrase_overlap(key, name))


MAX_PHRASE_TEXT = 60  # labels longer than this are compared by ratio only


def _phrase_overlap(a: str, b: str) -> float:
    """Common substrings of two or more characters, longest first, each used once."""
    if not a or not b or len(a) > MAX_PHRASE_TEXT or len(b) > MAX_PHRASE_TEXT:
        return 0.0
    if not {a[i : i + 2] for i in range(len(a) - 1)} & {b[i : i + 2] for i in range(len(b) - 1)}:
        return 0.0  # no two characters in common: nothing to find
    total = len(a) + len(b)
    common = 0
    while True:
        m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
        best, at_a, at_b = m.size, m.a, m.b
        if best < 2:
            break
        common += best
        a = a[:at_a] + "\x00" + a[at_a + best :]  # a placeholder no text matches
        b = b[:at_b] + "\x01" + b[at_b + best :]
    return 100.0 * 2 * common / total
