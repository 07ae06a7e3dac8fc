"""A period's run: discover → normalise each file → resolve resubmissions → consolidate."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.config import Config
from pipeline.coverage import account_for_indicators
from pipeline.discover import discover
from pipeline.gate import withhold
from pipeline.model import FileResult, Issue, Observation, TargetTable
from pipeline.normalise import normalise_file

RECEIPTS = "收文登记.csv"  # optional register of when each file arrived: 文件名, 收到时间
_REVISION = re.compile(
    r"修改|更正|修订|重报|补报|最新|终版|定稿|[（(]\d[）)]|v\d|第[二三四]版", re.I
)
_PERIOD = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Submission:
    department: str
    status: str  # on_time, late, missing, unreadable, superseded
    file: str = ""
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class PeriodData:
    """Everything one period's inputs gave, before history and progress."""

    period: str
    files: tuple[FileResult, ...]
    observations: tuple[Observation, ...]  # one per indicator: the lead unit's figure
    issues: tuple[Issue, ...]
    submissions: tuple[Submission, ...]
    received: dict[str, dt.datetime]  # file name → first seen / registered time


def check_period(period: str) -> tuple[int, int]:
    m = _PERIOD.match(period)
    if not m:
        from pipeline.errors import InputError

        raise InputError(f"报告期“{period}”格式不对，应形如 2022-06")
    return int(m.group(1)), int(m.group(2))


def deadline_of(period: str, config: Config) -> dt.datetime:
    """End of the deadline day in the month after the period (default the 5th)."""
    year, month = check_period(period)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.datetime(year, month, config.deadline_day, 23, 59, 59)


def read_period(
    folder: Path,
    period: str,
    targets: TargetTable,
    config: Config,
    first_seen: dict[str, dt.datetime] | None = None,
    exclude: str = "",
    on_file: Callable[[int], None] | None = None,
) -> PeriodData:
    """Normalise every file of one period's inputs folder (not the receipts register, nor
    files whose name holds ``exclude`` — a county's own target table)."""
    year, _ = check_period(period)
    contents: dict[str, bytes] = {}  # read once: what is hashed is what is read
    sources, issues = discover(folder, targets.departments, year, contents)
    receipts, receipt_issues = _receipts(folder / RECEIPTS)
    issues = [*issues, *receipt_issues]
    sources = [s for s in sources if s.name != RECEIPTS and not (exclude and exclude in s.name)]
    received = {
        s.name: receipts.get(s.name)
        or (first_seen or {}).get(s.sha256)
        or dt.datetime.fromtimestamp(s.mtime).replace(microsecond=0)
        for s in sources
    }
    results = []
    for s in sources:
        read = withhold(normalise_file(s, targets, period, contents.pop(s.name, None)))
        results.extend(by_department(read))
        if on_file:
            on_file(1)
    winners, superseded, passed_over = _resolve_resubmissions(results, received)
    for res in superseded:
        issues.append(
            Issue(
                "info",
                "I-SUPERSEDED",
                "该单位本期有更新的报送文件，此文件已被替代，数据未采用",
                res.department or "",
                res.source.name,
            )
        )
    for res, kept in passed_over:
        why = "无法读取" if not res.readable else "其中没有读到本单位的数据"
        issues.append(
            Issue(
                "warning",
                "W-RESUBMISSION-UNUSED",
                f"该文件比“{kept.source.name}”晚收到，但{why}，本期仍采用“{kept.source.name}”"
                "的数据；如需更正，请单位重新报送完整的表格",
                res.department or "",
                res.source.name,
            )
        )
    observations, consolidate_issues = consolidate(winners, targets)
    for res in results:
        if res not in superseded:
            issues.extend(res.issues)
    issues.extend(consolidate_issues)
    issues.extend(account_for_indicators(winners, targets, issues))
    submissions = _submissions(
        results, winners, superseded, targets, received, deadline_of(period, config)
    )
    return PeriodData(
        period,
        tuple(results),
        tuple(observations),
        tuple(sort_issues(issues)),
        tuple(submissions),
        received,
    )


def by_department(res: FileResult) -> list[FileResult]:
    """A workbook holding several departments' sheets as one result per department, each
    with its own figures and issues (the file's own issues stay with the first)."""
    named = {o.department for o in res.observations} | {
        i.department for i in res.issues if i.department
    }
    others = sorted(named - {res.department or ""})
    if not others or res.department is None:
        return [res]
    parts = [res.department, *others]
    return [
        replace(
            res,
            department=d,
            observations=tuple(o for o in res.observations if o.department == d),
            issues=tuple(
                i for i in res.issues if i.department == d or (not i.department and n == 0)
            ),
            skipped=res.skipped if n == 0 else (),
            rows_seen=res.rows_seen if n == 0 else 0,
            accounting=res.accounting if n == 0 else (),
            tables=res.tables if n == 0 else (),
        )
        for n, d in enumerate(parts)
    ]


def late_issue(department: str, file: str, received: dt.datetime | None) -> Issue:
    """A department's file that arrived after the deadline."""
    when = received.strftime("%Y-%m-%d %H:%M") if received else ""
    return Issue(
        "warning", "W-SUBMISSION-LATE", f"{department}逾期报送（{when}收到）", department, file
    )


def _revision_key(res: FileResult, received: dict[str, dt.datetime]) -> tuple[object, ...]:
    """Newest first-seen time wins; files that arrived in the same minute are ordered by a
    revision mark in the name (修改, 更正, （2）…), then by name."""
    t = received[res.source.name].replace(second=0, microsecond=0)
    return (t, bool(_REVISION.search(res.source.name)), res.source.name)


def _usable(res: FileResult) -> int:
    """How much a file can stand for its department: 2 with its figures, 1 readable, 0 not."""
    if not res.readable:
        return 0
    return 2 if any(o.department == res.department for o in res.observations) else 1


def _resolve_resubmissions(
    results: Sequence[FileResult], received: dict[str, dt.datetime]
) -> tuple[list[FileResult], list[FileResult], list[tuple[FileResult, FileResult]]]:
    """Per department, the newest file that carries its figures wins (else the newest
    readable one, else the newest); older files are superseded; newer files that could not
    stand for the department (broken, empty, no figures) are passed over with the file kept,
    so that no later file destroys good data."""
    by_dept: dict[str, list[FileResult]] = {}
    for res in results:
        if res.department:
            by_dept.setdefault(res.department, []).append(res)
    winners: list[FileResult] = []
    superseded: list[FileResult] = []
    passed_over: list[tuple[FileResult, FileResult]] = []
    for files in by_dept.values():
        files = sorted(files, key=lambda r: _revision_key(r, received))
        best = max(_usable(r) for r in files)
        at = max(i for i, r in enumerate(files) if _usable(r) == best)
        winners.append(files[at])
        superseded.extend(files[:at])
        passed_over.extend((r, files[at]) for r in files[at + 1 :])
    return winners, superseded, passed_over


def consolidate(
    results: Iterable[FileResult], targets: TargetTable
) -> tuple[list[Observation], list[Issue]]:
    """One observation per indicator: the lead unit's; a co-unit's differing figure is an
    issue and is never added on top; a co-unit's figure stands in only when the lead is silent."""
    by_ind: dict[str, list[Observation]] = {}
    for res in results:
        for obs in res.observations:
            by_ind.setdefault(obs.indicator_id, []).append(obs)
    out: list[Observation] = []
    issues: list[Issue] = []
    for ind in targets.indicators:
        found = by_ind.get(ind.id, [])
        if not found:
            continue
        lead = next((o for o in found if o.department == ind.lead_department), None)
        chosen = lead or found[0]
        for other in found:
            if other is chosen:
                continue
            if (other.value, other.monthly_value, other.state) != (
                chosen.value,
                chosen.monthly_value,
                chosen.state,
            ):
                issues.append(
                    Issue(
                        "warning",
                        "W-COUNIT-DIFFERS",
                        f"指标{ind.id}“{ind.name}”：{other.department}报送的数"
                        f"（{_fmt(other)}）与{chosen.department}的（{_fmt(chosen)}）不一致，"
                        f"以{chosen.department}的为准，请两单位核对",
                        other.department,
                        other.source_file,
                        other.source_sheet,
                        other.source_cell,
                        ind.id,
                    )
                )
        if lead is None:
            issues.append(
                Issue(
                    "warning",
                    "W-LEAD-MISSING",
                    f"指标{ind.id}“{ind.name}”牵头单位{ind.lead_department}未报送，暂采用配合单位"
                    f"{chosen.department}的数",
                    chosen.department,
                    chosen.source_file,
                    chosen.source_sheet,
                    chosen.source_cell,
                    ind.id,
                )
            )
        out.append(chosen)
    return out, issues


def _fmt(obs: Observation) -> str:
    if obs.state:
        return obs.state
    v = obs.value if obs.value is not None else obs.monthly_value
    return f"{v:g}" if v is not None else "空"


def _submissions(
    results: Sequence[FileResult],
    winners: Sequence[FileResult],
    superseded: Sequence[FileResult],
    targets: TargetTable,
    received: dict[str, dt.datetime],
    deadline: dt.datetime,
) -> list[Submission]:
    out: list[Submission] = []
    order = {d.name: i for i, d in enumerate(targets.departments)}
    for res in results:
        t = received[res.source.name]
        if res in superseded:
            status = "superseded"
        elif not res.readable or res.department is None or res not in winners:
            status = "unreadable"
        else:
            status = "on_time" if t <= deadline else "late"
        out.append(Submission(res.department or "", status, res.source.name, t))
    submitted = {r.department for r in results if r.department}
    for d in targets.departments:
        if d.name not in submitted:
            out.append(Submission(d.name, "missing"))
    out.sort(key=lambda s: (order.get(s.department, len(order)), s.file))
    return out


def _receipts(path: Path) -> tuple[dict[str, dt.datetime], list[Issue]]:
    """The office's optional register of when each file arrived (文件名, 收到时间)."""
    if not path.is_file():
        return {}, []
    out: dict[str, dt.datetime] = {}
    issues: list[Issue] = []
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:  # open in Excel on Windows, or no permission: arrival times unknown
        msg = (
            "收文登记无法打开（可能正在被 Excel 打开），本次按文件时间判断是否按时报送，"
            "请关闭后重新汇总"
        )
        return {}, [Issue("warning", "W-RECEIPT-UNREADABLE", msg, file=RECEIPTS)]
    for n, row in enumerate(csv.reader(text.splitlines()), start=1):
        if n == 1 or len(row) < 2 or not row[0].strip():
            continue
        try:
            when = dt.datetime.fromisoformat(row[1].strip().replace("/", "-"))
            if when.tzinfo is not None:  # "…+08:00", "…Z": on this computer's clock, as the
                when = when.astimezone().replace(tzinfo=None)  # deadline and file times are
            out[row[0].strip()] = when
        except ValueError:
            issues.append(
                Issue(
                    "warning",
                    "W-RECEIPT-TIME",
                    f"收文登记第{n}行的收到时间“{row[1]}”无法识别（应形如 2022-07-04 09:30）",
                    file=RECEIPTS,
                    cell=f"B{n}",
                )
            )
    return out, issues


def _cell_key(cell: str) -> tuple[int, int]:
    m = re.match(r"^([A-Z]+)(\d+)$", cell)
    if not m:
        return (0, 0)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return (int(m.group(2)), col)


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """A stable order: department, file, sheet, row, column, code."""
    return sorted(
        set(issues),
        key=lambda i: (
            i.department,
            i.file,
            i.sheet,
            _cell_key(i.cell),
            i.code,
            i.indicator_id,
            i.message,
            i.severity,
        ),
    )
