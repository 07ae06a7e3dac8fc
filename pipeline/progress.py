"""Completion, expected progress (序时进度) and status for indicators, tasks and departments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.config import Config
from pipeline.model import Indicator, Observation, TargetTable

# Worst first: a task's status is its worst indicator's. A known shortfall outranks a missing
# figure, so that a task with one unreported indicator still shows that another lags.
STATUS_RANK = {
    "严重滞后": 8,
    "未达标": 7,
    "滞后": 6,
    "未报送": 5,
    "未开工": 4,
    "未启动": 4,
    "推进中": 2,
    "正常": 1,
    "达标": 0,
    "已完成": 0,
}
LIGHTS = {  # traffic light for each status
    "已完成": "green",
    "正常": "green",
    "达标": "green",
    "推进中": "green",
    "滞后": "yellow",
    "未开工": "yellow",
    "未启动": "yellow",
    "严重滞后": "red",
    "未达标": "red",
    "未报送": "grey",
}


@dataclass(frozen=True)
class IndicatorProgress:
    indicator: Indicator
    observation: Observation | None
    completion: float | None  # share of the target reached (count) / value ÷ target (level)
    expected: float | None  # 序时进度: share expected by now
    status: str
    light: str
    not_started_months: int = 0

    @property
    def gap(self) -> float | None:
        """Percentage points behind schedule (negative when ahead)."""
        if self.completion is None or self.expected is None:
            return None
        return round((self.expected - min(self.completion, 1.0)) * 100, 6)


def month_of(period: str) -> int:
    return int(period[5:7])


def expected_share(ind: Indicator, period: str) -> float | None:
    """Linear m/12 for a year-end target (or m over the months up to an earlier deadline);
    the target table's own monthly plan when it has one. None for levels and milestones."""
    if ind.kind != "count":
        return None
    m = month_of(period)
    if ind.monthly_plan:
        return ind.monthly_plan[m - 1]
    year = int(period[:4])
    if ind.deadline.year > year:
        return round(m / 12, 6)
    months = max(ind.deadline.month, 1)
    return round(min(m / months, 1.0), 6)


def completion_of(ind: Indicator, value: float | None) -> float | None:
    if value is None or ind.target is None or ind.kind == "milestone":
        return None
    if ind.comparator == "<=":
        return 1.0 if value <= ind.target else round(ind.target / value, 6) if value else None
    if ind.target == 0:
        return 1.0 if value >= 0 else 0.0
    return round(value / ind.target, 6)


def level_met(ind: Indicator, value: float) -> bool:
    assert ind.target is not None
    return {
        ">=": value >= ind.target,
        ">": value > ind.target,
        "<=": value <= ind.target,
        "=": abs(value - ind.target) < 1e-9,
    }[ind.comparator]


def assess(
    ind: Indicator,
    obs: Observation | None,
    period: str,
    config: Config,
    not_started_months: int = 0,
) -> IndicatorProgress:
    """One indicator's completion, expected share and status."""
    expected = expected_share(ind, period)

    def result(status: str, completion: float | None = None) -> IndicatorProgress:
        return IndicatorProgress(
            ind, obs, completion, expected, status, LIGHTS[status], not_started_months
        )

    if obs is None:
        return result("未报送")
    if ind.kind == "milestone":
        if not obs.state:
            return result("未报送")
        if obs.state == "未启动" and not_started_months >= config.stalled_months:
            return result("严重滞后")
        return result(obs.state, 1.0 if obs.state == "已完成" else None)
    if obs.value is None:
        return result("未报送")
    completion = completion_of(ind, obs.value)
    if ind.kind == "level":
        return result("达标" if level_met(ind, obs.value) else "未达标", completion)
    if completion is not None and completion >= 1:
        return result("已完成", completion)
    gap = (expected or 0) * 100 - (completion or 0) * 100
    if gap > config.severe_gap or (obs.value == 0 and not_started_months >= config.stalled_months):
        return result("严重滞后", completion)
    if gap > config.lag_gap:
        return result("滞后", completion)
    if obs.value == 0:
        return result("未开工", completion)
    return result("正常", completion)


@dataclass(frozen=True)
class TaskProgress:
    task_id: int
    name: str
    lead_department: str
    departments: tuple[str, ...]
    completion: float | None  # mean of its count indicators' completion (each capped at 1)
    expected: float | None
    status: str
    light: str
    indicators: tuple[IndicatorProgress, ...]
    # the indicators whose status is the task's (worst first, in table order): what drives it
    drivers: tuple[IndicatorProgress, ...] = ()


def worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=lambda s: STATUS_RANK[s]) if statuses else "未报送"


def mean_completion(items: Sequence[IndicatorProgress]) -> float | None:
    """Mean completion of a task's count indicators (each capped at 1): the figure that is
    compared with 序时进度. None for a task of levels or milestones only, which have no
    schedule — their line says how many are 达标 / 已完成 instead (see ``report``)."""
    measured = [
        min(p.completion, 1.0)
        for p in items
        if p.indicator.kind == "count" and p.completion is not None
    ]
    if measured:
        return round(sum(measured) / len(measured), 6)
    return None


def roll_up(targets: TargetTable, items: Sequence[IndicatorProgress]) -> list[TaskProgress]:
    out = []
    for task in targets.tasks:
        mine = tuple(p for p in items if p.indicator.task_id == task.id)
        expected = [p.expected for p in mine if p.expected is not None]
        status = worst([p.status for p in mine])
        drivers = tuple(p for p in mine if p.status == status)
        out.append(
            TaskProgress(
                task.id,
                task.name,
                task.lead_department,
                task.departments,
                mean_completion(mine),
                round(max(expected), 6) if expected else None,
                status,
                LIGHTS[status],
                mine,
                drivers,
            )
        )
    return out


def as_of(period: str) -> dt.date:
    """Last day of the period's month: the date reports are 'as of'."""
    year, month = int(period[:4]), int(period[5:7])
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)
