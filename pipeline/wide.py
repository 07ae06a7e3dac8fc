"""The wide form: a column group per indicator, the figures in one row.

    单位   | 困难职工生活救助（户）      | 患病职工家庭医疗救助（户） …
           | 目标 | 本月完成 | 累计完成 | 目标 | 本月完成 | 累计完成
    县总工会 | 6    | 2        | 5        | 1    | 0        | 0

A group is taken only when its text names one of the department's indicators; the row read
is the only row of figures, or the one labelled 全县 / 合计 / the department.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.match import match_label
from pipeline.model import Indicator, Issue, Observation
from pipeline.parse import parse_value
from pipeline.read import Sheet, a1
from pipeline.roles import number, percent, target_number
from pipeline.rows import milestone_state
from pipeline.tables import clean, role_of, split_unit

SCAN = 15  # rows a wide header may start in
_TOTAL_ROWS = ("全县", "合计", "总计", "汇总", "县本级", "全县合计")


@dataclass(frozen=True)
class WideColumn:
    indicator: Indicator
    role: str  # cumulative or monthly
    column: int
    unit: str | None


def wide_columns(
    sheet: Sheet, indicators: Sequence[Indicator], month: int | None
) -> tuple[int, list[WideColumn]]:
    """(the header's last row, the value columns of each indicator group) or (−1, [])."""
    rows = sheet.rows
    for r in range(min(SCAN, len(rows) - 1)):
        top, sub = rows[r], rows[r + 1]
        if not any(isinstance(a, str) and a and a == b for a, b in itertools.pairwise(top)):
            continue  # no group merged across columns
        found: list[WideColumn] = []
        for c, group in enumerate(top):
            below = sub[c] if c < len(sub) else None
            if not isinstance(group, str) or not isinstance(below, str) or len(below) > 12:
                continue
            spread = (c > 0 and top[c - 1] == group) or (c + 1 < len(top) and top[c + 1] == group)
            if not spread:  # a group heads its columns, merged across them
                continue
            if _GENERIC.match(group):  # 完成情况, 2022年目标: a table's group, no indicator
                continue
            name, unit = split_unit(group)
            m = match_label(name, indicators) if clean(name) else None
            role = role_of(below, month)
            if m and m.indicator and m.how != "fuzzy":
                if role in ("cumulative", "monthly", "state", "target", "ratio"):
                    found.append(WideColumn(m.indicator, role, c, unit))
                elif role is None and clean(below) in _PROGRESS:
                    found.append(WideColumn(m.indicator, "progress?", c, unit))
        if found:
            return r + 1, _proven(found, rows, r + 2)
    return -1, []


_PROGRESS = ("进度", "进度情况")
_GENERIC = re.compile(
    r"^\s*(\d{4}年)?(\d{1,2}月份?)?(年度|全年|工作)?(目标|计划|完成|进度|进展)(任务|情况|值)?\s*$"
)


def _proven(
    columns: list[WideColumn], rows: Sequence[tuple[Any, ...]], start: int
) -> list[WideColumn]:
    """The figure columns of each group: ``进度`` counts as the cumulative only when, in some
    group, 进度 ÷ 目标 = 完成比例 with figures other than 0 and no group contradicts it."""
    if not any(col.role == "progress?" for col in columns):
        return [col for col in columns if col.role in ("cumulative", "monthly", "state")]
    figures = [row for row in rows[start:] if any(isinstance(v, (int, float)) for v in row)]
    by_ind: dict[str, dict[str, int]] = {}
    for col in columns:
        by_ind.setdefault(col.indicator.id, {})[col.role] = col.column
    proven, broken = False, False
    for roles in by_ind.values():
        if not {"progress?", "target", "ratio"} <= roles.keys():
            continue
        for row in figures:
            cells = [row[roles[k]] if roles[k] < len(row) else None for k in _CHECKED]
            x, t, q = number(cells[0]), target_number(cells[1]), percent(cells[2])
            if x is None or t is None or q is None or t == 0:
                continue
            if abs(x / t - q) > 0.006:
                broken = True
            elif x:
                proven = True
    keep = "cumulative" if proven and not broken else None
    out = []
    for col in columns:
        if col.role == "progress?":
            if keep:
                out.append(WideColumn(col.indicator, keep, col.column, col.unit))
        elif col.role in ("cumulative", "monthly", "state"):
            out.append(col)
    return out


_CHECKED = ("progress?", "target", "ratio")


def _figure_row(rows: Sequence[tuple[Any, ...]], start: int, department: str) -> int | None:
    numbered = [
        r
        for r in range(start, len(rows))
        if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rows[r])
        or any(isinstance(v, str) and any(ch.isdigit() for ch in v) for v in rows[r][1:])
    ]
    if len(numbered) == 1:
        return numbered[0]
    labelled = [
        r
        for r in numbered
        if rows[r]
        and isinstance(rows[r][0], str)
        and (clean(rows[r][0]) in _TOTAL_ROWS or clean(rows[r][0]) in (department, department[1:]))
    ]
    return labelled[0] if len(labelled) == 1 else None


def read_wide(
    sheet: Sheet,
    indicators: Sequence[Indicator],
    period: str,
    department: str,
    file: str,
    month: int | None,
) -> tuple[list[Observation], list[Issue]] | None:
    """The sheet read as a wide form, or None when it is not one."""
    header_end, columns = wide_columns(sheet, indicators, month)
    if not columns:
        return None
    issues: list[Issue] = []
    r = _figure_row(sheet.rows, header_end + 1, department)
    if r is None:
        for ind in dict.fromkeys(col.indicator for col in columns):
            issues.append(
                Issue(
                    "warning",
                    "W-WIDE-ROW-UNCLEAR",
                    f"指标{ind.id}“{ind.name}”：表中有多行数字，无法确定哪一行是全县的数，"
                    "请只报全县合计一行",
                    department,
                    file,
                    sheet.name,
                    a1(header_end + 1, 0),
                    ind.id,
                )
            )
        return [], issues
    row = sheet.rows[r]
    values: dict[str, dict[str, tuple[float, str]]] = {}
    states: dict[str, tuple[str, str]] = {}
    for col in columns:
        raw = row[col.column] if col.column < len(row) else None
        cell = a1(r, col.column)
        if col.indicator.kind == "milestone":
            state = milestone_state(raw) if isinstance(raw, str) else None
            if state:
                states[col.indicator.id] = (state, cell)
            continue
        if col.unit and col.unit != col.indicator.unit and isinstance(raw, (int, float)):
            raw = f"{raw:.15g}{col.unit}"
        parsed = parse_value(raw, col.indicator.unit)
        if parsed.code:
            severity = "warning" if parsed.code.startswith("W-") else "error"
            issues.append(
                Issue(
                    severity,  # type: ignore[arg-type]
                    parsed.code,
                    f"指标{col.indicator.id}“{col.indicator.name}”：{parsed.message}",
                    department,
                    file,
                    sheet.name,
                    cell,
                    col.indicator.id,
                )
            )
        elif parsed.value is not None:
            values.setdefault(col.indicator.id, {})[col.role] = (parsed.value, cell)
    out = [
        Observation(
            period,
            department,
            iid,
            None,
            state=state,
            source_file=file,
            source_sheet=sheet.name,
            source_cell=cell,
        )
        for iid, (state, cell) in states.items()
    ]
    for col in columns:
        got = values.pop(col.indicator.id, None)
        if got is None:
            continue
        cum, monthly = got.get("cumulative"), got.get("monthly")
        if cum is None and monthly is None:
            continue
        level = col.indicator.kind == "level"
        value = cum or (monthly if level else None)
        out.append(
            Observation(
                period,
                department,
                col.indicator.id,
                value[0] if value else None,
                None if level and not cum else (monthly[0] if monthly else None),
                source_file=file,
                source_sheet=sheet.name,
                source_cell=(value or monthly or ("", ""))[1],
            )
        )
    return out, issues
