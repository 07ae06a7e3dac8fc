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
    scored: list[tuple[int, int, int, int]] = []  # (-distinct, -exact, preference, column)
    for c in range(width):
        if c in taken:
            continue
        distinct: set[str] = set()
        exact = 0
        for row in data:
            text = _name_like(row[c]) if c < len(row) else ""
            if not text:
                continue
            m = match_label(text, indicators)
            if m.indicator is not None:
                distinct.add(m.indicator.id)
                exact += m.how in ("exact", "code")
        if distinct:
            scored.append((-len(distinct), -exact, _PREFERENCE.get(role_at.get(c, ""), 2), c))
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
    return replace(layout, labels=label_columns(rows, layout, indicators))


def _number(v: Any) -> float | None:
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


def with_arithmetic(rows: Sequence[tuple[Any, ...]], layout: TableLayout) -> TableLayout:
    """A table with 上月累计 and 本月 but no column its header calls 累计: the column whose
    figures are 上月累计 + 本月 on every row that has all three (at least two rows) is the
    cumulative — arithmetic, not a guess (``进度`` could be a percentage)."""
    cols = layout.columns
    if "cumulative" in cols or "monthly" not in cols:
        return layout
    named = set(cols.values())
    refs = [
        c for c, t in layout.headers.items() if c not in named and re.search("上月|截至|累计", t)
    ]
    refs += [cols["reference"]] if "reference" in cols else []
    data = rows[layout.first_data_row : layout.end or len(rows)]
    width = max((len(r) for r in data), default=0)
    found: list[int] = []
    for ref in dict.fromkeys(refs):
        for c in range(width):
            if c in named or c == ref:
                continue
            agree = 0
            for row in data:
                if max(ref, c, cols["monthly"]) >= len(row):
                    continue
                a, b, total = _number(row[ref]), _number(row[cols["monthly"]]), _number(row[c])
                if a is None or b is None or total is None:
                    continue
                if abs(a + b - total) > 1e-6 * max(1.0, abs(total)):
                    agree = -1
                    break
                agree += 1
            if agree >= 2:
                found.append(c)
    if len(set(found)) != 1:
        return layout
    return replace(layout, columns={**cols, "cumulative": found[0]})
