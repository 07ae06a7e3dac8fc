"""Turn one cell into a number in the indicator's unit, or a reason it cannot be one.

Nothing is guessed: a cell either gives a certain number in the indicator's own unit, or a
:class:`Parsed` with a stable issue code and a Chinese message for office staff. The caller
adds the place (file, sheet, cell) and the severity.

Issue codes:

- ``E-CELL-TEXT``: text (or a boolean, NaN, an unknown suffix, two numbers) where a number belongs;
- ``E-CELL-DATE``: a date or time in a number cell;
- ``E-CELL-FORMULA-ERROR``: a formula error value such as ``#DIV/0!``;
- ``E-UNIT-MISMATCH``: a unit in the cell that cannot be converted to the indicator's unit;
- ``W-PCT-AMBIGUOUS``: a rate written as 0 < x ≤ 1 without a % sign or % number format.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Context, Decimal
from numbers import Real

from pipeline._memo import MAX_KEY_TEXT, Memo

__all__ = ["Parsed", "normalise_text", "parse_value", "unit_fits", "unit_named"]


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing one cell."""

    value: float | None  # number in the INDICATOR's unit; None when blank or not parseable
    code: str = ""  # "" when fine or blank; else a stable issue code
    message: str = ""  # Chinese reason when code != "" (the caller adds the place)
    source_unit: str = ""  # unit found in the cell text, if any (e.g. "平方米")

    @property
    def blank(self) -> bool:
        """True when the cell is empty or holds a placeholder such as “-” or “无”."""
        return self.value is None and self.code == ""


# --- text normalisation -------------------------------------------------------------------

_TRANSLATE: dict[int, str] = {i: chr(i - 0xFEE0) for i in range(0xFF01, 0xFF5F)}  # ！..～
# ideographic space, minus sign, small hyphen-minus, small percent, zero-width characters
_TRANSLATE.update({0x3000: " ", 0x2212: "-", 0xFE63: "-", 0xFE6A: "%"})
_TRANSLATE.update(dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF), ""))
# A space survives only between two digits, so that "12 34" stays two numbers.
_LONE_SPACE = re.compile(r"(?<![0-9]) | (?![0-9])")


def normalise_text(s: str) -> str:
    """Map full-width characters to ASCII and drop spaces (except between two digits)."""
    s = re.sub(r"\s+", " ", s.translate(_TRANSLATE)).strip()
    return _LONE_SPACE.sub("", s)


# --- units ---------------------------------------------------------------------------------

# unit as written (normalised, lower case) → (dimension, size in the dimension's base unit)
_UNITS: dict[str, tuple[str, int]] = {
    **dict.fromkeys(("公里", "千米", "km", "㎞"), ("长度", 1000)),
    **dict.fromkeys(("米", "m"), ("长度", 1)),
    **dict.fromkeys(("平方米", "平米", "㎡", "m2", "m²"), ("面积", 1)),
    **dict.fromkeys(("平方公里", "km2", "km²", "㎢"), ("面积", 1_000_000)),
    **dict.fromkeys(("人", "名"), ("人", 1)),
    **{u: (u, 1) for u in ("个", "所", "家", "处", "件", "张", "户", "户次", "人次", "次")},
    **dict.fromkeys(("场", "场次"), ("场次", 1)),
    "元": ("元", 1),
    **dict.fromkeys(
        ("元/人·月", "元/月·人", "元/人/月", "元/月/人", "元/人月", "元/(人·月)", "元/月"),
        ("元/人·月", 1),
    ),
    "%": ("%", 1),
    # recognised but never converted: a guess would be needed
    **{u: (u, 1) for u in ("‰", "公顷", "亩", "元/年", "元/人·年", "元/人/年")},
}
_MULTIPLIERS: dict[str, int] = {"千": 1_000, "万": 10_000, "亿": 100_000_000}
_DOTS = str.maketrans(dict.fromkeys("•・･‧∙.", "·"))


@dataclass(frozen=True)
class _Unit:
    """A unit resolved to a dimension: ``size`` base units per unit, times ``multiplier``."""

    dimension: str
    size: int = 1
    multiplier: int = 1


def _resolve(text: str) -> _Unit | None:
    """Read a unit suffix such as ``万㎡``; "" when there is none, None when unknown."""
    key = text.lower().translate(_DOTS)
    if key in _UNITS:
        return _Unit(*_UNITS[key])
    if key[:1] in _MULTIPLIERS:
        rest = key[1:]
        if rest == "":
            return _Unit("", 1, _MULTIPLIERS[key[:1]])
        if rest in _UNITS:
            return _Unit(*_UNITS[rest], _MULTIPLIERS[key[:1]])
    return _Unit("") if key == "" else None


def _indicator_unit(unit: str) -> _Unit:
    """The indicator's unit; an unknown one is its own dimension, matching only itself."""
    return _resolve(unit) or _Unit(unit)


def _compatible(found: str, wanted: str) -> bool:
    """Whether a unit written in the cell measures the same thing as the indicator's."""
    if not found or not wanted:
        return False
    return (
        found == wanted
        or (found == "次" and wanted.endswith("次"))
        or (found == "元" and wanted.startswith("元/人·"))
    )


@functools.lru_cache(maxsize=4096)  # unit cells repeat from row to row
def unit_named(text: str) -> str | None:
    """``text`` (a unit column cell, a header's bracket) when it is a unit this parser knows,
    normalised (``万 人`` → ``万人``); else None."""
    key = normalise_text(text) if isinstance(text, str) else ""
    if not key or _resolve(key) in (None, _Unit("")):
        return None
    return key


def unit_fits(unit: str, indicator_unit: str) -> bool:
    """Whether a figure written in ``unit`` can be expressed in ``indicator_unit`` (same
    dimension; a bare multiplier such as 万 fits any but a rate)."""
    found = _resolve(normalise_text(unit))
    if found is None:
        return normalise_text(unit) == normalise_text(indicator_unit)
    wanted = _indicator_unit(normalise_text(indicator_unit))
    if not found.dimension:
        return wanted.dimension != "%"
    return _compatible(found.dimension, wanted.dimension)


# --- messages ----------------------------------------------------------------------------

_ERRORS = frozenset(("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"))
_ERRORS |= {"#SPILL!", "#CALC!", "#GETTING_DATA"}
_PLACEHOLDERS = frozenset({"", "-", "--", "—", "——", "–", "/", "无"})


def _shown(text: str, limit: int = 30) -> str:
    """The cell text as the office wrote it, cut short for a message."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _fmt(d: Decimal) -> str:
    """A number as office staff would write it: no exponent, no trailing zeros."""
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0.0") else text


def _text_issue(raw: str, detail: str = "不是数字，请填写数字") -> Parsed:
    return Parsed(None, "E-CELL-TEXT", f"单元格内容“{_shown(raw)}”{detail}")


def _mismatch(found: str, wanted: str) -> Parsed:
    """The cell's unit ``found`` cannot be converted to the indicator's unit ``wanted``."""
    if wanted:
        msg = f"填写的单位“{found}”与指标单位“{wanted}”不一致，请按“{wanted}”填写数字"
    else:
        msg = f"该指标未规定计量单位，无法换算填写的单位“{found}”，请只填写数字"
    return Parsed(None, "E-UNIT-MISMATCH", msg, found)


def _ambiguous(d: Decimal) -> Parsed:
    """A rate written as 0 < d ≤ 1 with no % sign: 96% or d%? Not ours to guess."""
    shown, pct = _fmt(d), _fmt(d * 100)
    msg = f"比率填写为{shown}，无法确定是{pct}%还是{shown}%，请填写如“{pct}%”"
    return Parsed(None, "W-PCT-AMBIGUOUS", msg)


# --- numbers -----------------------------------------------------------------------------

_CTX = Context(prec=60)
_EXCEL = Context(prec=15)  # Excel keeps and shows 15 significant digits
_NUMBER = re.compile(
    r"(?P<num>[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
    r"|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]{1,3})?))"
    r"(?P<rest>(?![0-9.,]).*)",
    re.IGNORECASE | re.DOTALL,
)
_DIGIT_RUN = re.compile(r"[0-9]+(?:[.,][0-9]+)*")


@dataclass(frozen=True)
class _Target:
    """What a cell is parsed against: the indicator's unit and the cell's number format."""

    unit: _Unit
    label: str  # the indicator's unit as the target table writes it
    percent_format: bool


def _is_percent_format(number_format: str | None) -> bool:
    """Whether an Excel number format scales by 100 (a bare %, not a quoted or escaped one)."""
    if not isinstance(number_format, str):
        return False
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].', "", number_format)
    return "%" in plain


def _finish(d: Decimal, source_unit: str = "") -> Parsed:
    """A Decimal in the indicator's unit → Parsed, refusing what a float cannot hold."""
    value = float(d)
    if not math.isfinite(value):
        return Parsed(None, "E-CELL-TEXT", "数值超出可处理范围，请核实后填写", source_unit)
    return Parsed(value + 0.0, source_unit=source_unit)  # + 0.0 turns -0.0 into 0.0


def _convert(d: Decimal, found: _Unit, target: _Target, source_unit: str) -> Parsed:
    """Express ``d``, written with unit ``found``, in the indicator's unit."""
    wanted = target.unit
    if found == _Unit(""):  # a bare number is in the indicator's own unit
        if wanted.dimension == "%" and 0 < d <= 1:
            return _ambiguous(d)
        return _finish(d)
    if not found.dimension and wanted.dimension != "%":  # "2.1万" against 万人 or 人
        found = _Unit(wanted.dimension, wanted.size, found.multiplier)
    if not _compatible(found.dimension, wanted.dimension):
        return _mismatch(source_unit, target.label)
    scale = _CTX.divide(found.multiplier * found.size, wanted.multiplier * wanted.size)
    return _finish(_CTX.multiply(d, scale), source_unit)


# --- one step per kind of raw value: each returns a Parsed, or None to pass the cell on ----

_Step = Callable[[object, _Target], Parsed | None]


def _empty(raw: object, target: _Target) -> Parsed | None:
    """An empty cell is blank (empty strings are placeholders, see ``_text``)."""
    return Parsed(None) if raw is None else None


def _boolean(raw: object, target: _Target) -> Parsed | None:
    """TRUE/FALSE is not a number (bool is an int in Python, so this runs first)."""
    return _text_issue("TRUE" if raw else "FALSE") if isinstance(raw, bool) else None


def _temporal(raw: object, target: _Target) -> Parsed | None:
    """A date or time in a number cell: Excel shows a date, the serial number means nothing."""
    if isinstance(raw, dt.datetime):
        shown = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(" ")
    elif isinstance(raw, dt.date):
        shown = raw.isoformat()
    elif isinstance(raw, (dt.time, dt.timedelta)):
        shown = str(raw)
    else:
        return None
    kind = "日期" if isinstance(raw, dt.date) else "时间"
    return Parsed(None, "E-CELL-DATE", f"该单元格是{kind}（{shown}），不是数字，请填写数字")


def _number(raw: object, target: _Target) -> Parsed | None:
    """A numeric cell, scaled by 100 when its number format shows it as a percentage."""
    if type(raw) is str or not isinstance(raw, Real):  # text first: the ABC check is slow
        return None
    if isinstance(raw, int):
        d = Decimal(raw)
    else:
        as_float = float(raw)
        if not math.isfinite(as_float):
            return _text_issue(str(as_float), "不是有效数字，请填写数字")
        d = _EXCEL.plus(Decimal(repr(as_float)))
    if not target.percent_format:
        return _convert(d, _Unit(""), target, "")
    if target.unit.dimension != "%":
        return _mismatch("%", target.label)
    return _finish(d * 100, "%")


def _text(raw: object, target: _Target) -> Parsed | None:
    """A string: placeholder, formula error, or one number with an optional unit."""
    if not isinstance(raw, str):
        return None
    s = normalise_text(raw)
    if s in _PLACEHOLDERS:
        return Parsed(None)
    if s.upper() in _ERRORS:
        msg = f"公式计算出错（{s.upper()}），请检查公式或直接填写数值"
        return Parsed(None, "E-CELL-FORMULA-ERROR", msg)
    m = _NUMBER.fullmatch(s)
    found = None if m is None else _resolve(m["rest"])
    if m and found is None and m["rest"] == target.label:  # an indicator unit not in _UNITS
        found = target.unit
    if m is None or found is None:
        if len(_DIGIT_RUN.findall(s)) > 1:
            return _text_issue(raw, "含有多个数字，无法确定应取哪一个，请只填写一个数字")
        if m is None:
            return _text_issue(raw)
        return _text_issue(raw, f"中的“{_shown(m['rest'], 10)}”不是可识别的计量单位，请只填写数字")
    return _convert(Decimal(m["num"].replace(",", "")), found, target, m["rest"])


def _other(raw: object, target: _Target) -> Parsed | None:
    """Anything else a reader might hand over is not a number."""
    try:
        shown = str(raw)
    except Exception:  # a hostile __str__ must not stop the run
        shown = type(raw).__name__
    return _text_issue(shown)


_STEPS: tuple[_Step, ...] = (_empty, _boolean, _temporal, _number, _text, _other)


def parse_value(raw: object, unit: str, *, number_format: str | None = None) -> Parsed:
    """Parse one cell as calamine returns it into a number in ``unit``, or a reason.

    ``number_format`` is the cell's Excel number format when known; a % format means the
    stored 0.96 is shown as 96%.
    """
    if type(raw) not in (str, float, int):
        return _parse(raw, unit, number_format)
    # remembered: the same texts and figures recur; ``kind`` keeps 1 (int), 1.0 (float)
    # and True apart, which compare equal
    key = (type(raw).__name__, raw, unit, number_format)
    hit = _PARSED.answers.get(key)
    if hit is None:
        hit = _parse(raw, unit, number_format)
        texts = [t for t in (raw, unit, number_format) if isinstance(t, str)]
        if max(map(len, texts), default=0) <= MAX_KEY_TEXT:  # see pipeline._memo
            _PARSED.keep(key, hit, sum(map(len, texts)) + 1, len(hit.message) + 1)
    return hit  # type: ignore[no-any-return]


_PARSED = Memo()


def _parse(raw: object, unit: str, number_format: str | None) -> Parsed:
    label = normalise_text(unit) if isinstance(unit, str) else ""
    target = _Target(_indicator_unit(label), label, _is_percent_format(number_format))
    for step in _STEPS:
        parsed = step(raw, target)
        if parsed is not None:
            return parsed
    raise AssertionError("unreachable: _other handles every value")  # pragma: no cover
