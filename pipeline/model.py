"""Plain, frozen data passed between the parts of the pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

Kind = Literal["count", "level", "milestone"]
Comparator = Literal[">=", "<=", "=", ">"]
Severity = Literal["error", "warning", "info"]

COMPARATOR_SIGNS: dict[str, str] = {">=": "≥", "<=": "≤", "=": "=", ">": ">"}


@dataclass(frozen=True)
class Department:
    """A responsible unit: its full name (the id) and the short names offices write."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """One of the year's livelihood tasks (民生实事)."""

    id: int
    name: str
    departments: tuple[str, ...]

    @property
    def lead_department(self) -> str:
        return self.departments[0]


@dataclass(frozen=True)
class Indicator:
    """One measurable target or qualitative commitment of a task."""

    id: str
    task_id: int
    name: str
    target: float | None
    unit: str
    comparator: Comparator
    kind: Kind
    lead_department: str
    departments: tuple[str, ...]
    deadline: dt.date
    aliases: tuple[str, ...] = ()
    # cumulative share of the target expected by the end of month 1..12, when planned
    monthly_plan: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TargetTable:
    """The year's target table (目标任务分解表)."""

    tasks: tuple[Task, ...]
    indicators: tuple[Indicator, ...]
    departments: tuple[Department, ...]
    source: str = "default"

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def task(self, task_id: int) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)

    def indicators_of(self, department: str) -> tuple[Indicator, ...]:
        """Indicators a department reports on (as lead or co-responsible unit); the same
        tuple on every call, so matching can remember its answers per department."""
        own = self._by_department.get(department)
        return own if own is not None else ()

    @cached_property
    def _by_department(self) -> dict[str, tuple[Indicator, ...]]:
        names = {d for i in self.indicators for d in i.departments}
        return {d: tuple(i for i in self.indicators if d in i.departments) for d in names}


@dataclass(frozen=True)
class Issue:
    """A problem found in the data: stable code, Chinese message and where it is."""

    severity: Severity
    code: str
    message: str
    department: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    indicator_id: str = ""


@dataclass(frozen=True)
class SourceFile:
    """A file found in the inputs folder."""

    path: str
    name: str
    sha256: str
    size: int
    mtime: float
    format: str  # xlsx, xls, ods, csv, html, encrypted, zip, unknown, empty …
    department: str | None = None
    period_guess: str | None = None


@dataclass(frozen=True)
class Observation:
    """A value a department reported for one indicator, with where it came from."""

    period: str
    department: str
    indicator_id: str
    value: float | None  # cumulative (count) or current (level) in the indicator's unit
    monthly_value: float | None = None
    state: str = ""  # milestone state: 未启动 / 推进中 / 已完成
    progress_text: str = ""  # 进展情况
    problem_text: str = ""  # 存在问题
    reason_text: str = ""  # 滞后原因及下步措施
    source_file: str = ""
    source_sheet: str = ""
    source_cell: str = ""


class SkippedRow(NamedTuple):
    """A non-empty row deliberately not read, with the reason (a named tuple: a city's run
    hands tens of thousands of them between processes, which a dataclass makes slow)."""

    file: str
    sheet: str
    row: int
    reason: str


@dataclass(frozen=True)
class FileResult:
    """What normalising one file gave."""

    source: SourceFile
    department: str | None
    observations: tuple[Observation, ...] = ()
    issues: tuple[Issue, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    rows_seen: int = 0
    readable: bool = True
    # (sheet, Excel row, "observation" | "skipped" | "issue") for every non-empty table row
    accounting: tuple[tuple[str, int, str], ...] = ()
    # how each table was read: (sheet, header's Excel row, department, ((role, "F：evidence"), …))
    tables: tuple[tuple[str, int, str, tuple[tuple[str, str], ...]], ...] = ()
