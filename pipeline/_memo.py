"""Remembered answers of pure functions, bounded in what they hold.

Keys made of text a file supplies (cell texts, labels, number formats) are remembered only
while short (MAX_KEY_TEXT characters): a crafted cell of megabytes — or many of them — would
otherwise stay in memory for the rest of the run, however few entries a cache keeps. Longer
texts are worked out each time (they are rare in real files: prose, not labels).

:class:`IdentityMemo` is for functions of an immutable object that is costly to hash, such as
a tuple of frozen dataclasses (a department's indicators): the object is compared by identity
and held by the memo, so its ``id`` cannot be reused meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

MAX_KEY_TEXT = 256  # characters of a text a cache may keep as (part of) a key


def short_text_cache(maxsize: int) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)`` for a function of one text, used only while that
    text is short; ``cache_clear`` and ``cache_info`` as lru_cache's."""

    def decorate(f: F) -> F:
        cached = functools.lru_cache(maxsize)(f)

        @functools.wraps(f)
        def call(text: str) -> Any:
            return cached(text) if len(text) <= MAX_KEY_TEXT else f(text)

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate


class IdentityMemo(Generic[V]):
    def __init__(self, size: int = 65536) -> None:
        self._answers: dict[tuple[Hashable, int], tuple[object, V]] = {}
        self._size = size

    def get(self, key: Hashable, of: object, compute: Callable[[], V]) -> V:
        """The remembered answer for ``key`` and ``of``, computed once (a long text key:
        computed every time)."""
        if isinstance(key, str) and len(key) > MAX_KEY_TEXT:
            return compute()
        hit = self._answers.get((key, id(of)))
        if hit is not None and hit[0] is of:
            return hit[1]
        value = compute()
        if len(self._answers) >= self._size:
            self._answers.clear()
        self._answers[(key, id(of))] = (of, value)
        return value
