"""Answers remembered per (key, object) for pure functions of an immutable object that is
costly to hash, such as a tuple of frozen dataclasses (a department's indicators): the object
is compared by identity and held by the memo, so its ``id`` cannot be reused meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    def __init__(self, size: int = 65536) -> None:
        self._answers: dict[tuple[Hashable, int], tuple[object, V]] = {}
        self._size = size

    def get(self, key: Hashable, of: object, compute: Callable[[], V]) -> V:
        """The remembered answer for ``key`` and ``of``, computed once."""
        hit = self._answers.get((key, id(of)))
        if hit is not None and hit[0] is of:
            return hit[1]
        value = compute()
        if len(self._answers) >= self._size:
            self._answers.clear()
        self._answers[(key, id(of))] = (of, value)
        return value
