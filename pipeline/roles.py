"""Column roles from a column's content as well as its header (``tables`` reads headers).

The header alone misleads: ``项目`` over the names and ``目标任务`` over ``不低于100%`` make
the target column look like the label column. Here the label column is the one whose cells
name the department's indicators best; a column whose header says 目标 or 计划 is never read
as a value, and never as a label unless its cells are names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pipeline.match import match_label, normalise_name
from pipeline.model import Indicator
from pipeline.tables import TableLayout, clean

# columns that hold figures or codes, never a row's name
NOT_LABELS = (
    "cumulative",
    "monthly",
    "ratio",
    "reference",
    "unit",
    "code",
    "seq",
    "state",
    "progress",
    "problem",
    "reason",
    "remark",
    "dept",
)
# among columns naming as many indicators, the header decides: 指标 before 项目 before others
_PREFERENCE = {"indicator": 0, "task": 1, "target": 3}
SCAN_ROWS = 200  # data rows looked at to decide (a table of indicators is a few dozen)


def _name_like(v: Any) -> str:
    """The cell's text when it could be a name (not a number, not a bare ordinal)."""
    if not isinstance(v, str):
        return ""
    text = v.strip()
    return text if normalise_name(text) and not clean(text).replace(".", "").isdigit() else ""


def label_columns(
    rows: Sequence[tuple[Any, ...]], layout: TableLayout, indicators: Sequence[Indicator]
) -> tuple[int, ...]:
    """The columns a row's label is read from, best first: those whose cells name the most
    distinct indicators (then the most cells matched exactly), then the header's 指标 / 项目
    columns. A column named 目标 whose cells name nothing is never among them."""
    taken = {c for role, c in layout.columns.items() if role in NOT_LABELS}
    role_at = {c: role for role, c in layout.columns.items()}
    data = rows[layout.first_data_row : layout.first_data_row + SCAN_ROWS]
    width = max((len(r) for r in data), default=0)
    # (-distinct, -exact, -length, preference, column): the most indicators named, then the
    # most named exactly, then the longer names (an item's name, not its category's)
    scored: list[tuple[int, int, int, int, int]] = []
    for c in range(width):
        if c in taken:
            continue
        distinct: set[str] = set()
        exact = length = 0
        for row in data:
            text = _name_like(row[c]) if c < len(row) else ""
            if not text:
                continue
            m = match_label(text, indicators)
            if m.indicator is not None and m.how != "fuzzy":  # a close name is no evidence
                distinct.add(m.indicator.id)
                exact += m.how in ("exact", "code")
                length += len(normalise_name(text))
        if distinct:
            preference = _PREFERENCE.get(role_at.get(c, ""), 2)
            scored.append((-len(distinct), -exact, -length, preference, c))
    order = [c for *_, c in sorted(scored)]
    for role in ("indicator", "task"):
        by_header = layout.columns.get(role)
        if by_header is not None and by_header not in order:
            order.append(by_header)
    return tuple(order)


def with_labels(
    rows: Sequence[tuple[Any, ...]], layout: TableLayout, indicators: Sequence[Indicator]
) -> TableLayout:
    """``layout`` with its label columns decided from the rows."""
    labels = label_columns(rows, layout, indicators)
    header = layout.columns.get("indicator", layout.columns.get("task"))
    why = "表头" if labels[:1] == (header,) else "单元格内容与本单位指标名称吻合"
    return replace(layout, labels=labels, evidence=(*layout.evidence, ("label", why)))


def number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        text = clean(v).replace(",", "")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def percent(v: Any) -> float | None:
    """A 完成率 cell as a fraction: ``83.3%`` and ``83.3`` → 0.833, ``0.833`` → 0.833."""
    if isinstance(v, str) and clean(v).endswith("%"):
        n = number(clean(v)[:-1])
        return n / 100 if n is not None else None
    n = number(v)
    if n is None:
        return None
    return n if abs(n) <= 1.5 else n / 100


def target_number(v: Any) -> float | None:
    n = number(v)
    if n is not None or not isinstance(v, str):
        return n
    m = re.search(r"\d+(?:\.\d+)?", clean(v))
    return float(m.group(0)) if m else None


def _holds(data: Sequence[tuple[Any, ...]], cols: tuple[int, ...], test: Any) -> bool:
    """Whether ``test`` holds on every row where all of ``cols`` have numbers (two rows at
    least), and never fails."""
    agree = 0
    for row in data:
        if max(cols) >= len(row):
            continue
        values = [row[c] for c in cols]
        result = test(*values)
        if result is None:
            continue
        if not result:
            return False
        agree += 1
    return agree >= 2


def _sums(a: Any, b: Any, total: Any) -> bool | None:
    x, y, t = number(a), number(b), number(total)
    if x is None or y is None or t is None:
        return None
    return abs(x + y - t) <= 1e-6 * max(1.0, abs(t))


def _share(value: Any, target: Any, ratio: Any) -> bool | None:
    x, t, r = number(value), target_number(target), percent(ratio)
    if x is None or t is None or r is None or t == 0:
        return None
    return abs(x / t - r) <= 0.006


_UNIT_WRITTEN = re.compile(r"\d\s*[^\d\s.,]{1,8}$")


def with_arithmetic(rows: Sequence[tuple[Any, ...]], layout: TableLayout) -> TableLayout:
    """A table whose headers name no cumulative column: the one column the figures prove is
    — 上月累计 + 本月 = it, or it ÷ 目标 = 完成率, on every row that has them (two rows at
    least) — or a ``进度`` column whose cells are written with units (``3户``, ``81.6%``).
    Arithmetic and units, not the word: ``进度`` alone may be a percentage."""
    cols = layout.columns
    if "cumulative" in cols:
        return layout
    named = set(cols.values())
    data = rows[layout.first_data_row : layout.end or len(rows)]
    width = max((len(r) for r in data), default=0)
    free = [c for c in range(width) if c not in named]
    found: set[int] = set()
    why = "上月累计＋本月＝该列"
    if "monthly" in cols:
        refs = [c for c in free if re.search("上月|截至|累计", layout.headers.get(c, ""))]
        refs += [cols["reference"]] if "reference" in cols else []
        for ref in refs:
            found |= {
                c for c in free if c != ref and _holds(data, (ref, cols["monthly"], c), _sums)
            }
    if not found and "target" in cols and "ratio" in cols:
        found = {c for c in free if _holds(data, (c, cols["target"], cols["ratio"]), _share)}
        why = "该列÷目标＝完成率"
    if not found:
        progress = [
            c for c in free if re.fullmatch(r"进度(情况)?(\(.*\))?", layout.headers.get(c, ""))
        ]
        for c in progress:
            cells = [row[c] for row in data if c < len(row) and row[c] not in (None, "")]
            written = [v for v in cells if isinstance(v, str) and _UNIT_WRITTEN.search(clean(v))]
            unit = layout.units.get(c)
            if unit and unit != "%" and cells:
                found.add(c)
                why = f"“进度”列的表头注明单位（{unit}）"
            elif cells and 2 * len(written) >= len(cells):
                found.add(c)
                why = "“进度”列的数带有计量单位"
    if len(found) != 1:
        return layout
    return replace(
        layout,
        columns={**cols, "cumulative": found.pop()},
        evidence=(*layout.evidence, ("cumulative", why)),
    )
