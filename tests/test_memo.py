"""What the run's caches remember is bounded: texts a file supplies are kept only while
short, so a crafted cell of megabytes does not stay in memory for the rest of the run."""

from __future__ import annotations

from pathlib import Path

import hostile
import pytest

from pipeline import _memo, _precheck, discover, match, parse, tables
from pipeline.read import read_book

LONG = "累计完成 " * 1000  # 5,000 characters


@pytest.mark.parametrize(
    ("cache", "call"),
    [
        (tables._clean_text, lambda text: tables.clean(text)),
        (tables._role_of, lambda text: tables.role_of(text, 6)),
        (match.normalise_name, lambda text: match.normalise_name(text)),
        (parse._parse_plain, lambda text: parse.parse_value(text, "件")),
        (discover._norm, lambda text: discover._norm(text)),
    ],
)
def test_long_texts_are_worked_out_not_remembered(cache, call) -> None:
    cache.cache_clear()
    assert call(LONG) == call(LONG)
    assert cache.cache_info().currsize == 0
    call("累计完成")
    assert cache.cache_info().currsize == 1


def test_long_header_rows_are_not_remembered() -> None:
    tables._header_of.cache_clear()
    long_row = ("指标名称", "累计完成", LONG)
    short_row = ("指标名称", "本月完成", "累计完成")
    assert tables._header(long_row, None, 6) == tables._header(long_row, None, 6)
    assert tables._header_of.cache_info().currsize == 0
    tables._header(short_row, None, 6)
    assert tables._header_of.cache_info().currsize == 1


def test_identity_memo_keeps_short_keys_only() -> None:
    memo: _memo.IdentityMemo[int] = _memo.IdentityMemo()
    of = ("indicators",)
    calls: list[str] = []

    def compute(key: str) -> int:
        calls.append(key)
        return len(key)

    for key in (LONG, LONG, "short", "short"):
        assert memo.get(key, of, lambda key=key: compute(key)) == len(key)
    assert calls == [LONG, LONG, "short"]


def test_parts_sharing_their_stored_bytes_are_refused(tmp_path: Path) -> None:
    """A directory listing one stored part under many names: each name would be inflated
    again (a quarter of an hour for thousands of them over megabytes); refused at once."""
    path = hostile.shared_data_xlsx(tmp_path / "shared.xlsx")
    with pytest.raises(_precheck.Refused, match="重叠"):
        _precheck.plan(path, "xlsx", path.read_bytes())
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-UNREADABLE"] and not book.sheets
