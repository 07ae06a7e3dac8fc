"""One table row → an observation, a deliberately skipped row, or an issue.

A chain of small steps, each with the same signature ``step(ctx) -> Outcome | None``: the first
step that returns an outcome decides the row. A new quirk is one new step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline._memo import IdentityMemo
from pipeline.match import Match, code_of, match_label, normalise_name
from pipeline.model import Indicator, Issue, Observation, Severity
from pipeline.parse import Parsed, normalise_text, parse_value, unit_fits, unit_named
from pipeline.read import a1
from pipeline.tables import (
    TableLayout,
    clean,
    footer_row,
    single_text,
    split_unit,
    subtotal_row,
)

MILESTONE_STATES: list[tuple[str, re.Pattern[str]]] = [
    ("未启动", re.compile(r"未启动|未开工|尚未启动|尚未开展|未开展|未实施|未开始|尚未开始")),
    (
        "已完成",
        re.compile(
            r"^(已完成|完成|已建成|已实现|已落实|全面完成|已全面完成|已全部完成|已办结|"
            r"已全部落实|已全面落实|已按要求完成)$"
        ),
    ),
    ("推进中", re.compile(r"推进中|进行中|正在推进|实施中|在建|已启动|已开工|有序推进|持续推进")),
]
_FIRST_CLAUSE = re.compile(r"[，,；;。！!]")


def milestone_state(text: str) -> str | None:
    """A milestone state from a status cell or the first clause of a sentence (``已完成，
    已通过验收。``); None unless exactly one state fits."""
    t = clean(text).rstrip("。.")
    if re.search(r"已完成|已全部|已落实|已建成", t) and MILESTONE_STATES[0][1].search(t):
        return None  # 已完成招募，培训尚未开展: part done, part not started — not one state
    for part in (t, _FIRST_CLAUSE.split(t, maxsplit=1)[0]):
        found = {state for state, pattern in MILESTONE_STATES if pattern.search(part)}
        if len(found) == 1:
            return found.pop()
    return None


@dataclass(slots=True)
class RowContext:
    """Everything a step may look at for one row."""

    row: tuple[Any, ...]
    r: int  # 0-based row
    layout: TableLayout
    indicators: Sequence[Indicator]  # the department's
    period: str
    department: str
    file: str
    sheet: str
    formats: Callable[[int, int], str | None]  # number format of a cell, looked up on demand
    in_footer: bool = False
    seen: dict[str, int] = field(default_factory=dict)  # indicator id → row it was taken from
    unit: str | None = None  # the unit the row states (see ``row_unit``), once it is matched

    def cell(self, role: str) -> Any:
        c = self.layout.columns.get(role)
        return self.row[c] if c is not None and c < len(self.row) else None

    def addr(self, role: str) -> str:
        return a1(self.r, self.layout.columns[role])

    def issue(
        self, code: str, message: str, cell: str = "", ind: str = "", severity: Severity = "error"
    ) -> Issue:
        return Issue(
            severity,
            code,
            message,
            self.department,
            self.file,
            self.sheet,
            cell or a1(self.r, 0),
            ind,
        )


@dataclass(frozen=True)
class Outcome:
    kind: str  # observation, skipped, issue
    observation: Observation | None = None
    issues: tuple[Issue, ...] = ()
    reason: str = ""


# the skips say the same for every row: one (immutable) outcome each
FOOTER_ROW = Outcome("skipped", reason="表尾（填报人、联系电话、注释等）")
SUBTOTAL_ROW = Outcome("skipped", reason="合计/小计行")
HEADING_ROW = Outcome("skipped", reason="分组标题或说明行（无填报数值）")


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def skip_footer(ctx: RowContext) -> Outcome | None:
    """Footer lines (填报人, 联系电话, 注：) and everything under the first of them."""
    if ctx.in_footer or footer_row(ctx.row):
        ctx.in_footer = True
        return FOOTER_ROW
    return None


def skip_heading(ctx: RowContext) -> Outcome | None:
    """A task heading merged across the row (``二、城乡适龄妇女“两癌”免费筛查`` in every
    cell): one text, no figures."""
    if single_text(ctx.row) is not None and sum(1 for v in ctx.row if v) > 1:
        return HEADING_ROW
    return None


def skip_subtotal(ctx: RowContext) -> Outcome | None:
    """合计 / 小计 rows are sums of other rows, not indicators."""
    return SUBTOTAL_ROW if subtotal_row(ctx.row) else None


def _label(ctx: RowContext) -> str:
    """The row's name: from the columns ``roles`` found to hold names, best first."""
    columns = ctx.layout.labels or tuple(
        ctx.layout.columns[r] for r in ("indicator", "task") if r in ctx.layout.columns
    )
    for c in columns:
        t = _text(ctx.row[c]) if c < len(ctx.row) else ""
        if t and normalise_name(t):
            return t
    return ""


_TRAILING_UNIT = re.compile(r"\d\s*([^\d\s.,]{1,8})$")


def row_unit(ctx: RowContext, label: str = "") -> str | None:
    """The unit the row states for its figures: its 单位 cell, a unit in brackets after its
    name (``改造老旧小区（个）``), or the unit its target is written with (``18户``)."""
    if "unit" in ctx.layout.columns:
        found = unit_named(clean(ctx.cell("unit")))
        if found:
            return found
    if label:
        found = split_unit(label)[1]
        if found:
            return found
    target = ctx.cell("target")
    if isinstance(target, str) and (m := _TRAILING_UNIT.search(normalise_text(target))):
        return unit_named(m.group(1))
    return None


def _target_value(ctx: RowContext) -> float | None:
    raw = ctx.cell("target")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str) and (m := re.search(r"\d+(?:\.\d+)?", normalise_text(raw))):
        return float(m.group(0))
    return None


_FITTING: IdentityMemo[tuple[Indicator, ...]] = IdentityMemo()


def fitting(indicators: Sequence[Indicator], unit: str) -> Sequence[Indicator]:
    """The indicators a figure in ``unit`` can belong to (the same tuple for the same
    arguments, so matching remembers its answers)."""
    return _FITTING.get(
        unit, indicators, lambda: tuple(i for i in indicators if i.unit and unit_fits(unit, i.unit))
    )


UNIT_ONLY_SCORE = 50.0  # a name this close, the only indicator its stated unit fits


def _by_unit(found: Match, candidates: Sequence[Indicator], unit: str | None) -> Indicator | None:
    """The one indicator of the department the row's stated unit fits, when the name is
    close to it as well (招聘会场次, 场次 → 5.1 组织招聘会)."""
    if not unit or len(candidates) != 1 or not found.candidates:
        return None
    iid, score = found.candidates[0]
    return candidates[0] if iid == candidates[0].id and score >= UNIT_ONLY_SCORE else None


def _by_target(ctx: RowContext, found: Match, candidates: Sequence[Indicator]) -> Indicator | None:
    """Among the names a label is close to (but not close enough), the one whose target the
    row's target cell reproduces, when exactly one does."""
    target = _target_value(ctx)
    if target is None or not found.candidates:
        return None
    near = {iid for iid, score in found.candidates if score >= 60}
    hits = [
        i
        for i in candidates
        if i.id in near and i.target is not None and abs(i.target - target) < 1e-9
    ]
    return hits[0] if len(hits) == 1 else None


def _has_values(ctx: RowContext) -> bool:
    return any(_text(ctx.cell(role)) for role in ("cumulative", "monthly", "state"))


def match_row(ctx: RowContext) -> Outcome | Indicator:
    """Code first (when it is one of the department's), then the name; a code and a name that
    point at different indicators is a conflict, never a choice."""
    label = _label(ctx)
    code = code_of(ctx.cell("code")) if "code" in ctx.layout.columns else None
    by_code = next((i for i in ctx.indicators if i.id == code), None) if code else None
    unit = ctx.unit = row_unit(ctx, label)
    # a unit the row states rules out the indicators it cannot measure (所 is not a %)
    candidates = fitting(ctx.indicators, unit) if unit else ctx.indicators
    if not candidates:
        candidates = ctx.indicators  # then the figure's unit is reported on the indicator
    name = split_unit(label)[0] if label else ""
    by_name = match_label(name, candidates) if name else None
    if by_name and by_name.indicator is None and not by_code:
        chosen = _by_target(ctx, by_name, candidates) or _by_unit(by_name, candidates, unit)
        if chosen is not None:
            return chosen
    if by_code:
        if (
            by_name
            and by_name.indicator
            and by_name.how != "fuzzy"
            and by_name.indicator != by_code
        ):
            return Outcome(
                "issue",
                issues=(
                    ctx.issue(
                        "E-ROW-CONFLICT",
                        f"指标编号“{code}”（{by_code.name}）与指标名称“{label}”"
                        f"（{by_name.indicator.id} {by_name.indicator.name}）不一致，请核对",
                        ctx.addr("code"),
                        by_code.id,
                    ),
                ),
            )
        return by_code
    if by_name and by_name.indicator:
        return by_name.indicator
    if not _has_values(ctx):
        return HEADING_ROW
    names = {i.id: i.name for i in ctx.indicators}
    hint = by_name.describe_candidates(names) if by_name and by_name.candidates else ""
    what = f"“{label}”" if label else f"编号“{_text(ctx.cell('code'))}”"
    msg = f"无法确定{what}对应本单位哪个指标" + (f"，最接近的是：{hint}" if hint else "")
    return Outcome(
        "issue",
        issues=(ctx.issue("E-ROW-UNMATCHED", msg + "。请按目标任务分解表的指标名称填写。"),),
    )


_BARE_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def _parse(ctx: RowContext, role: str, ind: Indicator) -> tuple[Parsed, str]:
    raw = ctx.cell(role)
    c = ctx.layout.columns[role]
    # the unit the row or the column's header states applies to a bare number
    unit_text = ctx.unit or ctx.layout.units.get(c) or ctx.layout.unit or ""
    if unit_text == "%" and ind.unit != "%" and isinstance(raw, (int, float, str)):
        # a share of the target (累计完成（%）) is no count: say so, never take it
        text = f"{raw:.15g}" if isinstance(raw, (int, float)) else normalise_text(raw)
        if _BARE_NUMBER.fullmatch(text):
            raw = text + "%"
    elif unit_text and unit_text not in (ind.unit, "%"):  # % says nothing about 0.96 vs 96
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = f"{raw:.15g}{unit_text}"
        elif isinstance(raw, str) and _BARE_NUMBER.fullmatch(normalise_text(raw)):
            raw = normalise_text(raw) + unit_text
    parsed = parse_value(raw, ind.unit)
    if parsed.code == "W-PCT-AMBIGUOUS" and isinstance(raw, (int, float)):
        number_format = ctx.formats(ctx.r, c)  # 0.96 in a 0% cell is 96 %: ask the file
        if number_format:
            parsed = parse_value(raw, ind.unit, number_format=number_format)
    return parsed, a1(ctx.r, c)


def _sum_disagrees(ctx: RowContext, ind: Indicator, values: dict[str, float | None]) -> list[Issue]:
    """上月累计 + 本月 = 累计 on the row, when it gives all three: figures that do not add up
    (a typo, a formula whose saved value is stale) are an error, none of them is taken."""
    c = ctx.layout.columns.get("reference")
    cum, monthly = values["cumulative"], values["monthly"]
    if c is None or cum is None or monthly is None or ind.kind != "count":
        return []
    if not re.search("上月|上期|截至|截止|累计", ctx.layout.headers.get(c, "")) or re.search(
        "去年|同期", ctx.layout.headers.get(c, "")
    ):
        return []
    parsed, _ = _parse(ctx, "reference", ind)
    if (
        parsed.code
        or parsed.value is None
        or abs(parsed.value + monthly - cum) <= 1e-6 * max(1.0, abs(cum))
    ):
        return []
    return [
        ctx.issue(
            "E-CUM-INCONSISTENT",
            f"指标{ind.id}“{ind.name}”：上月累计{parsed.value:g}＋本月{monthly:g}"
            f"≠累计{cum:g}，无法确定哪个数是对的，请核对后重新报送",
            ctx.addr("cumulative"),
            ind.id,
        )
    ]


def _columns_disagree(
    ctx: RowContext, ind: Indicator, values: dict[str, float | None]
) -> list[Issue]:
    """Two columns both headed 累计 (or 本月) with different figures on the row: which one is
    this month's is not ours to guess."""
    out = []
    for role, c in ctx.layout.duplicates:
        taken = values.get(role)
        raw = ctx.row[c] if c < len(ctx.row) else None
        if taken is None or raw is None or raw == "":
            continue
        other = parse_value(raw, ind.unit)
        if other.value is not None and abs(other.value - taken) > 1e-9 * max(1.0, abs(taken)):
            out.append(
                ctx.issue(
                    "E-COLUMN-CONFLICT",
                    f"指标{ind.id}“{ind.name}”：“{ctx.layout.headers.get(ctx.layout.columns[role])}”"
                    f"列为{taken:g}，“{ctx.layout.headers.get(c)}”列为{other.value:g}，"
                    "无法确定以哪列为准，请只保留一列后重新报送",
                    ctx.addr(role),
                    ind.id,
                )
            )
    return out


def read_values(ctx: RowContext, ind: Indicator) -> Outcome:
    """The row's figures for its indicator, in the indicator's unit."""
    issues: list[Issue] = []
    values: dict[str, float | None] = {"cumulative": None, "monthly": None}
    cells: dict[str, str] = {}
    state = ""
    if ind.kind == "milestone":
        for role in ("state", "cumulative", "monthly", "progress"):
            if role in ctx.layout.columns and _text(ctx.cell(role)):
                found = milestone_state(_text(ctx.cell(role)))
                if found:
                    state, cells["state"] = found, ctx.addr(role)
                    break
        if not state:
            col = next(
                (r for r in ("state", "cumulative", "progress") if r in ctx.layout.columns), None
            )
            issues.append(
                ctx.issue(
                    "W-MILESTONE-UNCLEAR",
                    f"节点任务“{ind.name}”未填写明确的推进状态（未启动、推进中或已完成）",
                    ctx.addr(col) if col else "",
                    ind.id,
                    "warning",
                )
            )
    else:
        for role in ("cumulative", "monthly"):
            if role not in ctx.layout.columns:
                continue
            parsed, cell = _parse(ctx, role, ind)
            if parsed.code:
                sev: Severity = "warning" if parsed.code.startswith("W-") else "error"
                issues.append(
                    ctx.issue(
                        parsed.code,
                        f"指标{ind.id}“{ind.name}”：{parsed.message}",
                        cell,
                        ind.id,
                        sev,
                    )
                )
            elif parsed.value is not None:
                values[role], cells[role] = parsed.value, cell
        issues += _sum_disagrees(ctx, ind, values) + _columns_disagree(ctx, ind, values)
        if ind.kind == "level" and values["cumulative"] is None and values["monthly"] is not None:
            values["cumulative"], cells["cumulative"] = values["monthly"], cells["monthly"]
            values["monthly"] = None
    has_value = values["cumulative"] is not None or values["monthly"] is not None or state
    if not has_value:
        if not issues:
            issues.append(
                ctx.issue(
                    "W-VALUE-MISSING",
                    f"指标{ind.id}“{ind.name}”未填写完成数",
                    "",
                    ind.id,
                    "warning",
                )
            )
        return Outcome("issue", issues=tuple(issues))
    if ind.id in ctx.seen:
        return Outcome(
            "issue",
            issues=(
                ctx.issue(
                    "E-DUP-INDICATOR",
                    f"指标{ind.id}“{ind.name}”在第{ctx.seen[ind.id] + 1}行和第"
                    f"{ctx.r + 1}行重复填报，无法确定以哪行为准",
                    "",
                    ind.id,
                ),
            ),
        )
    ctx.seen[ind.id] = ctx.r
    source_cell = cells.get("cumulative") or cells.get("monthly") or cells.get("state", "")
    obs = Observation(
        period=ctx.period,
        department=ctx.department,
        indicator_id=ind.id,
        value=values["cumulative"],
        monthly_value=values["monthly"],
        state=state,
        progress_text=_text(ctx.cell("progress")),
        problem_text=_text(ctx.cell("problem")),
        reason_text=_text(ctx.cell("reason")),
        source_file=ctx.file,
        source_sheet=ctx.sheet,
        source_cell=source_cell,
    )
    return Outcome("observation", observation=obs, issues=tuple(issues))


STEPS: tuple[Callable[[RowContext], Outcome | None], ...] = (
    skip_footer,
    skip_subtotal,
    skip_heading,
)


def process_row(ctx: RowContext) -> Outcome:
    """Run the steps; the first outcome decides. Rows that pass them are matched and read."""
    for step in STEPS:
        outcome = step(ctx)
        if outcome is not None:
            return outcome
    matched = match_row(ctx)
    if isinstance(matched, Outcome):
        return matched
    return read_values(ctx, matched)
