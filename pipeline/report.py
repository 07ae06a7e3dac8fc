"""The one plain report model every renderer receives; renderers compute nothing themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from pipeline.model import COMPARATOR_SIGNS, Indicator, Issue, Observation, TargetTable
from pipeline.progress import IndicatorProgress, TaskProgress, expected_share
from pipeline.targets import format_number

SUBMISSION_LABELS = {
    "on_time": "按时报送",
    "late": "逾期报送",
    "missing": "未报送",
    "unreadable": "无法读取",
    "superseded": "已被新文件替代",
}
SEVERITY_LABELS = {"error": "错误", "warning": "提醒", "info": "说明"}
KIND_LABELS = {"count": "累计", "level": "水平", "milestone": "节点"}


@dataclass(frozen=True)
class IndicatorRow:
    id: str
    task_id: int
    task_name: str
    name: str
    kind: str  # count, level, milestone
    kind_label: str
    target: float | None
    unit: str
    comparator: str  # ≥ ≤ = >  ("" for milestones)
    lead_department: str
    department: str  # the unit whose figure is shown ("" when none reported)
    monthly_value: float | None
    value: float | None
    state: str  # milestone state
    completion: float | None  # 0.45 = 45 %
    expected: float | None
    status: str
    light: str  # green, yellow, red, grey
    progress_text: str
    problem_text: str
    reason_text: str
    source_file: str
    source_sheet: str
    source_cell: str


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str
    lead_department: str
    departments: tuple[str, ...]
    completion: float | None  # mean of its count indicators (None: levels / milestones only)
    expected: float | None
    status: str
    light: str
    indicator_ids: tuple[str, ...]
    # what the line shows as completion: "37.7%", or "达标 4/5 项", "已完成 0/2 个节点"
    completion_text: str = ""
    # the status with the indicator that drives it: "严重滞后：1.2 …当年完工 18.8%，序时 50.0%"
    status_reason: str = ""


@dataclass(frozen=True)
class SubmissionRow:
    department: str
    status: str
    status_label: str
    file: str
    received_at: str  # "2022-07-04 09:30" or ""


@dataclass(frozen=True)
class IssueRow:
    severity: str
    severity_label: str
    code: str
    department: str
    file: str
    sheet: str
    cell: str
    indicator_id: str
    message: str


@dataclass(frozen=True)
class DepartmentRow:
    name: str
    indicators: int
    done: int  # 已完成 / 达标
    behind: int  # 滞后 / 严重滞后 / 未达标
    not_reported: int
    submission: str  # status label of its current file
    issues: int  # errors and warnings in its files


@dataclass(frozen=True)
class TrendRow:
    indicator_id: str
    task_id: int
    name: str
    unit: str
    target: float | None
    values: tuple[float | None, ...]  # one per Report.trend_periods
    # 序时: the figure expected by each month's end (count indicators; None for the others)
    expected: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Headline:
    tasks: int
    tasks_done: int
    tasks_on_schedule: int  # 已完成 or 正常/达标/推进中
    tasks_behind: int  # 滞后 / 严重滞后 / 未达标
    tasks_not_reported: int
    indicators: int
    indicators_done: int
    indicators_behind: int
    departments_expected: int
    departments_submitted: int
    departments_on_time: int
    departments_late: int
    reporting_rate: float  # submitted ÷ expected
    expected_progress: float  # m/12
    errors: int
    warnings: int


@dataclass(frozen=True)
class Report:
    county: str
    year: int
    period: str  # 2022-06
    period_label: str  # 2022年6月
    as_of: dt.date
    title: str
    headline: Headline
    tasks: tuple[TaskRow, ...]
    indicators: tuple[IndicatorRow, ...]
    lagging: tuple[IndicatorRow, ...]  # 滞后 / 严重滞后 / 未达标, worst first
    submissions: tuple[SubmissionRow, ...]
    departments: tuple[DepartmentRow, ...]
    issues: tuple[IssueRow, ...]
    trend_periods: tuple[str, ...]
    trend: tuple[TrendRow, ...]
    version: str
    public_period: str = ""  # 公示期 and 监督电话 for the 公示版 (minsheng.toml)
    hotline: str = ""

    @property
    def workbook_name(self) -> str:
        return f"{self.county}{self.year}年民生实事进度汇总表（{self.period}）.xlsx"


BEHIND = ("滞后", "严重滞后", "未达标")
DONE = ("已完成", "达标")


def format_pct(x: float | None) -> str:
    """0.18841 → ``18.8%`` (half up, as the HTML's ``pct`` filter); None → ``—``."""
    if x is None:
        return "—"
    shown = (Decimal(repr(float(x))) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{shown.copy_abs() if shown.is_zero() else shown}%"


def _figure(x: float | None, unit: str) -> str:
    return "—" if x is None else f"{format_number(x)}{unit}"


def completion_text(task: TaskProgress) -> str:
    """A task's completion as its kind makes sense of: the count indicators' mean against
    序时; for levels only, how many are 达标; for milestones only, how many are 已完成."""
    if task.completion is not None:
        return format_pct(task.completion)
    levels = [p for p in task.indicators if p.indicator.kind == "level"]
    nodes = [p for p in task.indicators if p.indicator.kind == "milestone"]
    parts = []
    if levels:
        parts.append(f"达标 {sum(p.status == '达标' for p in levels)}/{len(levels)} 项")
    if nodes:
        parts.append(f"已完成 {sum(p.status == '已完成' for p in nodes)}/{len(nodes)} 个节点")
    return "，".join(parts) or "—"


def _why(p: IndicatorProgress) -> str:
    """One indicator's figure that explains its status, after its number and name."""
    ind, obs = p.indicator, p.observation
    head = f"{ind.id} {ind.name}"
    if p.status == "未报送":
        return f"{head} 本期无数据"
    if ind.kind == "milestone":
        if p.status == "推进中":
            return f"{head} 尚未完成"
        stalled = f"，已连续{p.not_started_months}个月" if p.not_started_months > 1 else ""
        return f"{head} {obs.state if obs else ''}{stalled}"
    value = obs.value if obs else None
    if ind.kind == "level":
        sign = COMPARATOR_SIGNS[ind.comparator]
        return f"{head} 现值 {_figure(value, ind.unit)}，目标 {sign}{_figure(ind.target, ind.unit)}"
    text = f"{head} 完成 {format_pct(p.completion)}，序时 {format_pct(p.expected)}"
    if value == 0 and p.not_started_months > 1:
        text += f"，已连续{p.not_started_months}个月未开工"
    return text


def status_reason(task: TaskProgress) -> str:
    """The task's status with the indicator(s) that drive it (the worst one named, the others
    counted), so that a line never contradicts itself: a task ahead on average but with one
    indicator far behind says which."""
    if task.status in DONE:
        return f"{task.status}：各项指标均已完成或达标"
    if task.status == "正常":
        return "正常：各项指标均达到序时进度" if task.drivers else "正常"
    if not task.drivers:
        return task.status
    more = f"（另有{len(task.drivers) - 1}项{task.status}）" if len(task.drivers) > 1 else ""
    return f"{task.status}：{_why(task.drivers[0])}{more}"


def _indicator_row(p: IndicatorProgress, targets: TargetTable) -> IndicatorRow:
    ind, obs = p.indicator, p.observation
    o = obs or Observation("", "", ind.id, None)
    return IndicatorRow(
        ind.id,
        ind.task_id,
        targets.task(ind.task_id).name,
        ind.name,
        ind.kind,
        KIND_LABELS[ind.kind],
        ind.target,
        ind.unit,
        COMPARATOR_SIGNS[ind.comparator] if ind.kind != "milestone" else "",
        ind.lead_department,
        o.department,
        o.monthly_value,
        o.value,
        o.state,
        p.completion,
        p.expected,
        p.status,
        p.light,
        o.progress_text,
        o.problem_text,
        o.reason_text,
        o.source_file,
        o.source_sheet,
        o.source_cell,
    )


def build_report(
    *,
    county: str,
    year: int,
    period: str,
    targets: TargetTable,
    indicators: Sequence[IndicatorProgress],
    tasks: Sequence[TaskProgress],
    submissions: Sequence[tuple[str, str, str, dt.datetime | None]],
    issues: Sequence[Issue],
    history: Sequence[Observation],
    version: str,
    public_period: str = "",
    hotline: str = "",
) -> Report:
    """Assemble the report model from the run's results (``submissions``: department, status,
    file, received time; ``history``: stored observations of the year, this period included)."""
    from pipeline.progress import STATUS_RANK, as_of

    rows = tuple(_indicator_row(p, targets) for p in indicators)
    lagging = tuple(
        sorted(
            (r for r in rows if r.status in BEHIND),
            key=lambda r: (-STATUS_RANK[r.status], r.task_id, _id_key(r.id)),
        )
    )
    sub_rows = tuple(
        SubmissionRow(d, s, SUBMISSION_LABELS[s], f, t.strftime("%Y-%m-%d %H:%M") if t else "")
        for d, s, f, t in submissions
    )
    issue_rows = tuple(
        IssueRow(
            i.severity,
            SEVERITY_LABELS[i.severity],
            i.code,
            i.department,
            i.file,
            i.sheet,
            i.cell,
            i.indicator_id,
            i.message,
        )
        for i in issues
    )
    task_rows = tuple(
        TaskRow(
            t.task_id,
            t.name,
            t.lead_department,
            t.departments,
            t.completion,
            t.expected,
            t.status,
            t.light,
            tuple(p.indicator.id for p in t.indicators),
            completion_text(t),
            status_reason(t),
        )
        for t in tasks
    )
    current = current_submissions(sub_rows)
    dept_rows = []
    for d in targets.departments:
        mine = [r for r in rows if r.lead_department == d.name]
        dept_rows.append(
            DepartmentRow(
                d.name,
                len(mine),
                sum(r.status in DONE for r in mine),
                sum(r.status in BEHIND for r in mine),
                sum(r.status == "未报送" for r in mine),
                current[d.name].status_label if d.name in current else SUBMISSION_LABELS["missing"],
                sum(1 for i in issues if i.department == d.name and i.severity != "info"),
            )
        )
    periods = tuple(sorted({o.period for o in history if o.period <= period} | {period}))
    by_key = {(o.indicator_id, o.period): o.value for o in history}
    trend = tuple(
        TrendRow(
            ind.id,
            ind.task_id,
            ind.name,
            ind.unit,
            ind.target,
            tuple(by_key.get((ind.id, p)) for p in periods),
            tuple(_expected_figure(ind, p) for p in periods),
        )
        for ind in targets.indicators
        if ind.kind != "milestone"
    )
    expected_depts = len(targets.departments)
    submitted = {s.department for s in sub_rows if s.status in ("on_time", "late")}
    month = int(period[5:7])
    headline = Headline(
        tasks=len(task_rows),
        tasks_done=sum(t.status in DONE for t in task_rows),
        tasks_on_schedule=sum(t.status in ("已完成", "正常", "达标", "推进中") for t in task_rows),
        tasks_behind=sum(t.status in BEHIND for t in task_rows),
        tasks_not_reported=sum(t.status == "未报送" for t in task_rows),
        indicators=len(rows),
        indicators_done=sum(r.status in DONE for r in rows),
        indicators_behind=sum(r.status in BEHIND for r in rows),
        departments_expected=expected_depts,
        departments_submitted=len(submitted),
        departments_on_time=len({s.department for s in sub_rows if s.status == "on_time"}),
        departments_late=len(
            {s.department for s in sub_rows if s.status == "late"}
            - {s.department for s in sub_rows if s.status == "on_time"}
        ),
        reporting_rate=round(len(submitted) / expected_depts, 6) if expected_depts else 0.0,
        expected_progress=round(month / 12, 6),
        errors=sum(i.severity == "error" for i in issues),
        warnings=sum(i.severity == "warning" for i in issues),
    )
    return Report(
        county=county,
        year=year,
        period=period,
        period_label=f"{period[:4]}年{month}月",
        as_of=as_of(period),
        title=f"{county}{year}年民生实事进展情况（截至{month}月底）",
        headline=headline,
        tasks=task_rows,
        indicators=rows,
        lagging=lagging,
        submissions=sub_rows,
        departments=tuple(dept_rows),
        issues=issue_rows,
        trend_periods=periods,
        trend=trend,
        version=version,
        public_period=public_period,
        hotline=hotline,
    )


def _expected_figure(ind: Indicator, period: str) -> float | None:
    """序时 as a figure in the indicator's unit: the target times the share expected."""
    share = expected_share(ind, period)
    return None if share is None or ind.target is None else round(ind.target * share, 6)


def _id_key(iid: str) -> tuple[int, int]:
    a, b = iid.split(".")
    return int(a), int(b)


class _HasStatus(Protocol):
    @property
    def department(self) -> str: ...
    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=_HasStatus)


STATUS_RANK = {"on_time": 0, "late": 1, "unreadable": 2, "superseded": 3, "missing": 4}


def current_submissions(submissions: Iterable[S]) -> dict[str, S]:
    """Each department's submission that speaks for it: the file used (on time or late)
    before an unreadable or superseded one; a department's status follows this one."""
    out: dict[str, S] = {}
    for s in submissions:
        if not s.department:
            continue
        held = out.get(s.department)
        if held is None or STATUS_RANK[s.status] < STATUS_RANK[held.status]:
            out[s.department] = s
    return out
