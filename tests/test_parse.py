"""Tests for pipeline.parse: one cell → a number in the indicator's unit, or a reason."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.parse import Parsed, normalise_text, parse_value

UNITS = [
    "公里", "%", "个", "万平方米", "户", "张", "所", "人次", "场次", "户次", "人",
    "元/人·月", "处", "万人", "件", "家", "",
]  # fmt: skip

OK = ""
TEXT = "E-CELL-TEXT"
DATE = "E-CELL-DATE"
FORMULA = "E-CELL-FORMULA-ERROR"
MISMATCH = "E-UNIT-MISMATCH"
AMBIGUOUS = "W-PCT-AMBIGUOUS"


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize(
    "raw",
    [None, "", " ", "\u3000", "\xa0", " \t\n", "-", "－", "—", "——", "/", "／", "无", " 无 "],
)
@pytest.mark.parametrize("unit", ["人", "%", "万平方米", ""])
def test_blank_cells_and_placeholders(raw: object, unit: str) -> None:
    """Empty cells and the placeholders offices use (- — / 无) are blank, not zero or issues."""
    parsed = parse_value(raw, unit)
    assert parsed == Parsed(None)
    assert parsed.blank


@pytest.mark.parametrize(
    ("raw", "unit", "number_format", "value", "source_unit"),
    [
        # plain numbers, in the indicator's unit
        (0, "个", None, 0, ""),
        ("0", "个", None, 0, ""),
        (1500, "人", None, 1500, ""),
        (1500.0, "人", "General", 1500, ""),
        (12.5, "公里", "0.0", 12.5, ""),
        (0.5, "公里", None, 0.5, ""),
        (-5, "个", None, -5, ""),
        ("-5", "个", None, -5, ""),
        ("－5", "个", None, -5, ""),
        ("−5", "个", None, -5, ""),
        (" 42 ", "个", None, 42, ""),
        ("1,500", "人", None, 1500, ""),
        ("1，500", "人", None, 1500, ""),
        ("１，５００", "人", None, 1500, ""),
        ("1,500,000.5", "人", None, 1500000.5, ""),
        ("１２．５", "公里", None, 12.5, ""),
        ("1.2e3", "人", None, 1200, ""),
        # length
        ("1.2公里", "公里", None, 1.2, "公里"),
        ("1.2 公里", "公里", None, 1.2, "公里"),
        ("1.2km", "公里", None, 1.2, "km"),
        ("1.2KM", "公里", None, 1.2, "KM"),
        ("１．２ｋｍ", "公里", None, 1.2, "km"),
        ("1.2千米", "公里", None, 1.2, "千米"),
        ("1200米", "公里", None, 1.2, "米"),
        ("1200m", "公里", None, 1.2, "m"),
        # area
        ("17900平方米", "万平方米", None, 1.79, "平方米"),
        ("17900㎡", "万平方米", None, 1.79, "㎡"),
        ("17900m2", "万平方米", None, 1.79, "m2"),
        ("17900m²", "万平方米", None, 1.79, "m²"),
        ("1.79万平方米", "万平方米", None, 1.79, "万平方米"),
        ("1.79万㎡", "万平方米", None, 1.79, "万㎡"),
        ("1.79万", "万平方米", None, 1.79, "万"),
        ("1.79", "万平方米", None, 1.79, ""),
        # people
        ("2.1万人", "万人", None, 2.1, "万人"),
        ("21000人", "万人", None, 2.1, "人"),
        ("2.1万", "万人", None, 2.1, "万"),
        ("2.1万", "人", None, 21000, "万"),
        ("2.1万人", "人", None, 21000, "万人"),
        ("3千", "人", None, 3000, "千"),
        ("1.5千", "人", None, 1500, "千"),
        ("1500人", "人", None, 1500, "人"),
        ("1500名", "人", None, 1500, "名"),
        # counts
        ("44场", "场次", None, 44, "场"),
        ("44场次", "场次", None, 44, "场次"),
        ("44次", "场次", None, 44, "次"),
        ("372户次", "户次", None, 372, "户次"),
        ("372次", "户次", None, 372, "次"),
        ("1.2万人次", "人次", None, 12000, "万人次"),
        ("5个", "个", None, 5, "个"),
        ("2家", "家", None, 2, "家"),
        ("110件", "件", None, 110, "件"),
        ("101处", "处", None, 101, "处"),
        ("3所", "所", None, 3, "所"),
        ("800张", "张", None, 800, "张"),
        ("120户", "户", None, 120, "户"),
        # money
        ("1100元", "元/人·月", None, 1100, "元"),
        ("1100元/人·月", "元/人·月", None, 1100, "元/人·月"),
        ("1100元/人.月", "元/人·月", None, 1100, "元/人.月"),
        ("1100元/月", "元/人·月", None, 1100, "元/月"),
        ("0.11万元", "元/人·月", None, 1100, "万元"),
        # rates
        (96, "%", None, 96, ""),
        (96.5, "%", "0.0", 96.5, ""),
        ("96", "%", None, 96, ""),
        ("96%", "%", None, 96, "%"),
        ("９４．１％", "%", None, 94.1, "%"),
        ("0.96%", "%", None, 0.96, "%"),
        (0.96, "%", "0%", 96, "%"),
        (0.941, "%", "0.0%", 94.1, "%"),
        (1, "%", "0.00%", 100, "%"),
        (0, "%", None, 0, ""),
        ("0", "%", None, 0, ""),
        (0.0, "%", "General", 0, ""),
        # a unit the target table has but parse does not know matches itself
        ("5床", "床", None, 5, "床"),
        # an indicator with no unit takes a bare number
        ("5", "", None, 5, ""),
    ],
)
def test_numbers_in_the_indicator_unit(
    raw: object, unit: str, number_format: str | None, value: float, source_unit: str
) -> None:
    """Each accepted way of writing a number gives the exact value in the indicator's unit."""
    parsed = parse_value(raw, unit, number_format=number_format)
    assert (parsed.value, parsed.code, parsed.message) == (value, OK, "")
    assert isinstance(parsed.value, float)
    assert parsed.source_unit == source_unit


def test_conversions_have_no_float_noise() -> None:
    """17900㎡ is exactly the float 1.79 万平方米, not 1.7900000000000003."""
    assert parse_value("17900平方米", "万平方米").value == 1.79
    assert parse_value("21000人", "万人").value == 2.1
    assert parse_value(0.07, "%", number_format="0%").value == 7.0
    assert parse_value(0.1 + 0.2, "个").value == 0.3  # as Excel shows it (15 digits)


@pytest.mark.parametrize(
    ("raw", "unit", "number_format", "code"),
    [
        # text
        ("待统计", "个", None, TEXT),
        ("已完成", "个", None, TEXT),
        ("正在推进", "公里", None, TEXT),
        ("见附件", "%", None, TEXT),
        ("1.2.3", "个", None, TEXT),
        ("12 34", "个", None, TEXT),
        ("1,5", "人", None, TEXT),
        ("1,5000", "人", None, TEXT),
        ("15,00", "人", None, TEXT),
        ("(5)", "个", None, TEXT),
        ("约5", "个", None, TEXT),
        ("共5个", "个", None, TEXT),
        ("累计1500", "人", None, TEXT),
        ("5个村", "个", None, TEXT),
        ("5辆", "个", None, TEXT),
        ("nan", "个", None, TEXT),
        ("inf", "个", None, TEXT),
        ("1e999", "人", None, TEXT),
        (True, "个", None, TEXT),
        (False, "个", None, TEXT),
        (math.nan, "个", None, TEXT),
        (math.inf, "人", None, TEXT),
        (-math.inf, "%", None, TEXT),
        (["1"], "个", None, TEXT),
        # two numbers: never pick one
        ("1.2公里（另有0.3公里在建）", "公里", None, TEXT),
        ("3-5", "个", None, TEXT),
        ("3~5", "个", None, TEXT),
        ("2022-06-30", "个", None, TEXT),
        # dates and times
        (dt.date(2022, 6, 30), "个", None, DATE),
        (dt.datetime(2022, 6, 30, 0, 0), "人", None, DATE),
        (dt.datetime(2022, 6, 30, 8, 30), "%", None, DATE),
        (dt.time(8, 30), "个", None, DATE),
        (dt.timedelta(days=3), "个", None, DATE),
        # formula errors
        ("#DIV/0!", "%", None, FORMULA),
        ("#N/A", "个", None, FORMULA),
        ("#VALUE!", "个", None, FORMULA),
        ("#REF!", "个", None, FORMULA),
        ("#NAME?", "个", None, FORMULA),
        ("#NUM!", "个", None, FORMULA),
        ("#NULL!", "个", None, FORMULA),
        # units that do not convert
        ("372户", "人", None, MISMATCH),
        ("1500人", "户", None, MISMATCH),
        ("1500人次", "人", None, MISMATCH),
        ("1500人", "人次", None, MISMATCH),
        ("372户", "户次", None, MISMATCH),
        ("5个", "所", None, MISMATCH),
        ("1.2公里", "万平方米", None, MISMATCH),
        ("17900㎡", "公里", None, MISMATCH),
        ("96%", "个", None, MISMATCH),
        ("96‰", "%", None, MISMATCH),
        ("96个", "%", None, MISMATCH),
        ("2万", "%", None, MISMATCH),
        ("5公顷", "万平方米", None, MISMATCH),
        ("1100元/年", "元/人·月", None, MISMATCH),
        ("5个", "", None, MISMATCH),
        (0.96, "个", "0%", MISMATCH),
        (5, "人", "0.00%", MISMATCH),
        # rates written as fractions without a % sign or % format
        (0.96, "%", None, AMBIGUOUS),
        (0.96, "%", "General", AMBIGUOUS),
        (0.96, "%", '0.00"%"', AMBIGUOUS),
        (1, "%", None, AMBIGUOUS),
        (0.5, "%", "0.0", AMBIGUOUS),
        ("0.96", "%", None, AMBIGUOUS),
        ("０．９６", "%", None, AMBIGUOUS),
    ],
)
def test_cells_that_give_an_issue(
    raw: object, unit: str, number_format: str | None, code: str
) -> None:
    """Anything not certainly a number in the indicator's unit gives a code and no value."""
    parsed = parse_value(raw, unit, number_format=number_format)
    assert (parsed.value, parsed.code) == (None, code)
    assert parsed.message
    assert not parsed.blank


@pytest.mark.parametrize(
    ("raw", "unit", "number_format", "message"),
    [
        ("待统计", "个", None, "单元格内容“待统计”不是数字，请填写数字"),
        (dt.date(2022, 6, 30), "个", None, "该单元格是日期（2022-06-30），不是数字，请填写数字"),
        ("#DIV/0!", "%", None, "公式计算出错（#DIV/0!），请检查公式或直接填写数值"),
        ("372户", "人", None, "填写的单位“户”与指标单位“人”不一致，请按“人”填写数字"),
        (0.96, "%", None, "比率填写为0.96，无法确定是96%还是0.96%，请填写如“96%”"),
        ("0.5", "%", None, "比率填写为0.5，无法确定是50%还是0.5%，请填写如“50%”"),
        (
            "3-5",
            "个",
            None,
            "单元格内容“3-5”含有多个数字，无法确定应取哪一个，请只填写一个数字",
        ),
    ],
)
def test_messages_speak_to_office_staff(
    raw: object, unit: str, number_format: str | None, message: str
) -> None:
    """Messages are the Chinese sentences staff read, naming the value and the fix."""
    assert parse_value(raw, unit, number_format=number_format).message == message


def test_long_text_is_cut_short_in_the_message() -> None:
    """A pasted paragraph does not end up whole in the issue list."""
    parsed = parse_value("情况说明" * 100, "个")
    assert parsed.code == TEXT
    assert len(parsed.message) < 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("９４．１％", "94.1%"),
        ("１，５００", "1,500"),
        ("\u3000 1.2 公里\xa0", "1.2公里"),
        ("12 34", "12 34"),
        ("12\u3000\u300034", "12 34"),
        ("－5", "-5"),
        ("\ufeff5\u200b", "5"),
        ("（另有）", "(另有)"),
    ],
)
def test_normalise_text(text: str, expected: str) -> None:
    """Full-width characters become ASCII; spaces go, except one between two digits."""
    assert normalise_text(text) == expected


# --- properties ----------------------------------------------------------------------------

_cells = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789.,，．-－+%％万千亿公里米平方㎡人次户个场元/·e \u3000"),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)
_formats = st.one_of(
    st.none(), st.sampled_from(["General", "0%", "0.00%", "0.0", '0"%"']), st.text()
)


@given(raw=_cells, unit=st.one_of(st.sampled_from(UNITS), st.text()), number_format=_formats)
def test_never_raises_and_never_half_a_result(
    raw: object, unit: str, number_format: str | None
) -> None:
    """Whatever the cell, the result is a finite number with no code, or no number at all."""
    parsed = parse_value(raw, unit, number_format=number_format)
    assert isinstance(parsed, Parsed)
    if parsed.value is None:
        assert (parsed.code == "") == (parsed.message == "")
    else:
        assert isinstance(parsed.value, float)
        assert math.isfinite(parsed.value)
        assert (parsed.code, parsed.message) == ("", "")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_formatted_float_round_trips(x: float) -> None:
    """str(x) of any finite float, read against 人, gives back x exactly."""
    assert parse_value(str(x), "人") == Parsed(x)
    assert parse_value(f"{x}人", "人") == Parsed(x, source_unit="人")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_thousands_separators_round_trip(n: int) -> None:
    """An integer written with well-formed thousands separators reads as that integer."""
    assert parse_value(f"{n:,}", "人").value == n


@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(str),
        st.integers().map(lambda n: f"{n:,}"),
        st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: f"{d:f}%"),
    ),
    st.sampled_from(UNITS),
)
def test_fullwidth_reads_like_ascii(text: str, unit: str) -> None:
    """A number typed with a Chinese input method gives what its ASCII spelling gives."""
    assert parse_value(_fullwidth(text), unit) == parse_value(text, unit)


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    """Normalising twice changes nothing more than normalising once."""
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(
    st.sampled_from(["约", "共", "累计", "已完成", "第", "计划", "截至6月"]),
    st.floats(min_value=0, max_value=1e9, allow_nan=False).map(str),
    st.sampled_from(UNITS),
)
def test_words_before_a_number_are_never_dropped(prefix: str, number: str, unit: str) -> None:
    """“约5”, “累计1500” … are reported, not read as the number after the word."""
    parsed = parse_value(prefix + number, unit)
    assert (parsed.value, parsed.code) == (None, TEXT)


def test_remembered_answers_keep_equal_values_of_other_types_apart():
    """1, 1.0 and True compare equal; the parse cache must not hand one the other's answer."""
    assert parse_value(True, "个").code  # a tick box is not a count
    assert parse_value(1, "个") == Parsed(1.0)
    assert parse_value(True, "个").code  # still refused after 1 was remembered
    assert parse_value(1.0, "个") == Parsed(1.0)
    assert parse_value("96%", "%") == parse_value("96%", "%") == Parsed(96.0, source_unit="%")
