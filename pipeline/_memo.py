"""Remembered answers of pure functions, bounded in what they hold.

Texts a file supplies (cell texts, labels, number formats) are remembered only while short
(MAX_KEY_TEXT characters, and answers of at most MAX_ANSWER), and each memo holds at most
MAX_HELD characters of keys and answers before it starts afresh: a crafted cell of megabytes,
or thousands of cells NFKC makes eighteen times longer, would otherwise stay in memory for
the rest of the run. Longer texts are worked out each time (rare in real files: prose, not
labels).

:class:`IdentityMemo` is for functions of an immutable object that is costly to hash, such as
a tuple of frozen dataclasses (a department's indicators): the object is compared by identity
and held by the memo, so its ``id`` cannot be reused meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

MAX_KEY_TEXT = 256  # characters of a text a memo may keep as (part of) a key
MAX_ANSWER = 4 * MAX_KEY_TEXT  # characters an answer kept may hold
MAX_HELD = 2_000_000  # characters of keys and answers one memo holds (8 MB of text)…
ENTRY = 32  # …counting each entry as this many more (its objects): 62,500 entries at most;
# with the objects, a memo holds some tens of megabytes at worst (measured: 6–28 MB)


class Memo:
    """Answers by key; the caller looks them up in ``answers`` (a plain dict, for speed) and
    hands new ones to :meth:`keep` with their size in characters."""

    __slots__ = ("_held", "answers")

    def __init__(self) -> None:
        self.answers: dict[Hashable, Any] = {}
        self._held = 0

    def keep(self, key: Hashable, answer: object, key_size: int, answer_size: int) -> None:
        if key_size > 4 * MAX_KEY_TEXT or answer_size > MAX_ANSWER:
            return
        size = key_size + answer_size + ENTRY
        if self._held + size > MAX_HELD:
            self.answers.clear()
            self._held = 0
        self.answers[key] = answer
        self._held += size

    def clear(self) -> None:
        self.answers.clear()
        self._held = 0


def text_memo(f: Callable[[str], str]) -> Callable[[str], str]:
    """Remember a function of one text whose answer is a text (see the module docstring);
    its :class:`Memo` is the result's ``memo``."""
    memo = Memo()

    @functools.wraps(f)
    def call(text: str) -> str:
        hit = memo.answers.get(text)
        if hit is None:
            hit = f(text)
            if len(text) <= MAX_KEY_TEXT:
                memo.keep(text, hit, len(text), len(hit))
        return hit  # type: ignore[no-any-return]

    call.memo = memo  # type: ignore[attr-defined]
    return call


class IdentityMemo(Generic[V]):
    def __init__(self) -> None:
        self._memo = Memo()

    def get(self, key: Hashable, of: object, compute: Callable[[], V]) -> V:
        """The remembered answer for ``key`` and ``of``, computed once (a long text key:
        computed every time)."""
        size = len(key) if isinstance(key, str) else 1
        if size > MAX_KEY_TEXT:
            return compute()
        hit = self._memo.answers.get((key, id(of)))
        if hit is not None and hit[0] is of:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        self._memo.keep((key, id(of)), (of, value), size, 1)
        return value
