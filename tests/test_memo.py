"""What the run's memos remember is bounded: texts a file supplies are kept only while short,
answers only while small, and a memo holds a bounded number of characters in all — so a
crafted cell of megabytes, or cells NFKC makes eighteen times longer, do not stay in memory
for the rest of the run."""

from __future__ import annotations

import pytest

from pipeline import _memo, discover, match, parse, tables

LONG = "累计完成 " * 1000  # 5,000 characters
SWELLING = "\ufdfa" * 200  # 200 characters; NFKC makes each of them 18


@pytest.mark.parametrize(
    ("memo", "call"),
    [
        (tables._CLEANED, tables.clean),
        (tables._ROLES, lambda text: tables.role_of(text, 6)),
        (match.normalise_name.memo, match.normalise_name),  # type: ignore[attr-defined]
        (parse._PARSED, lambda text: parse.parse_value(text, "件")),
        (discover._norm.memo, discover._norm),  # type: ignore[attr-defined]
    ],
)
def test_long_texts_are_worked_out_not_remembered(memo, call) -> None:
    memo.clear()
    assert call(LONG) == call(LONG)
    assert memo.answers == {}
    call("累计完成")
    assert len(memo.answers) == 1


@pytest.mark.parametrize(
    ("memo", "call"),
    [
        (tables._CLEANED, tables.clean),
        (match.normalise_name.memo, match.normalise_name),  # type: ignore[attr-defined]
        (discover._norm.memo, discover._norm),  # type: ignore[attr-defined]
    ],
)
def test_short_texts_with_long_answers_are_not_remembered(memo, call) -> None:
    memo.clear()
    assert len(call(SWELLING)) > _memo.MAX_ANSWER
    assert memo.answers == {}


def test_a_memo_holds_a_bounded_number_of_characters() -> None:
    memo = _memo.Memo()
    for i in range(100_000):
        text = f"{i:0200d}"
        memo.keep(text, text, len(text), len(text))
        assert memo._held <= _memo.MAX_HELD
    assert 0 < len(memo.answers) <= _memo.MAX_HELD // (400 + _memo.ENTRY)


def test_long_header_rows_are_not_remembered() -> None:
    tables._HEADERS.clear()
    long_row = ("指标名称", "累计完成", LONG)
    short_row = ("指标名称", "本月完成", "累计完成")
    assert tables._header(long_row, None, 6) == tables._header(long_row, None, 6)
    assert tables._HEADERS.answers == {}
    wide_row = ("指标名称", *(None for _ in range(100)))  # each cell an object of its own
    assert tables._header(wide_row, None, 6) is None
    assert tables._HEADERS.answers == {}
    tables._header(short_row, None, 6)
    assert len(tables._HEADERS.answers) == 1


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
