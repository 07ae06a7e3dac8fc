"""Several counties in one run: a city (or province) office's inputs folder holds one
sub-folder per county; each is normalised exactly as a county's own run, then compared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.discover import is_ignored
from pipeline.outputs import format_share
from pipeline.report import Report
from pipeline.run import RECEIPTS

TARGETS_MARK = "目标任务分解表"  # a county's own target table inside its folder


@dataclass(frozen=True)
class County:
    name: str
    folder: Path
    targets_file: Path | None  # the county's own table, else the shared one


def county_folders(period_dir: Path) -> list[County] | None:
    """The county sub-folders of a period's inputs, by name; None for a single county's
    folder: no sub-folders, or submission files beside them (an 附件 or unpacked-zip folder
    in a county's month must not turn its run into a city's)."""
    subs = sorted(
        (p for p in period_dir.iterdir() if p.is_dir() and not is_ignored(p.name)),
        key=lambda p: p.name,
    )
    loose = [
        p
        for p in period_dir.iterdir()
        if p.is_file()
        and not is_ignored(p.name)
        and p.name != RECEIPTS
        and TARGETS_MARK not in p.name  # a target table is never a submission
    ]
    if not subs or loose:  # files of its own: one county's folder (its sub-folders are warned)
        return None
    out = []
    for sub in subs:
        own = sorted(  # the name first: no stat for each of the county's files
            p
            for p in sub.iterdir()
            if TARGETS_MARK in p.name
            and p.suffix.lower() == ".xlsx"
            and not is_ignored(p.name)
            and p.is_file()
        )
        out.append(County(sub.name, sub, own[0] if own else None))
    return out


@dataclass(frozen=True)
class CountyRow:
    rank: int
    county: str
    completion: float | None  # mean of its tasks' completion
    tasks_done: int
    tasks_behind: int
    tasks_not_reported: int
    reporting_rate: float
    departments_submitted: int
    departments_expected: int
    departments_on_time: int
    errors: int
    task_completion: tuple[float | None, ...]  # one per Comparison.task_ids
    task_status: tuple[str, ...]
    task_light: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """The counties side by side, best first."""

    title: str
    region: str
    period: str
    period_label: str
    task_ids: tuple[int, ...]
    task_names: tuple[str, ...]
    rows: tuple[CountyRow, ...]
    version: str
    unread: tuple[tuple[str, str], ...] = ()  # (county, why) of counties not summarised

    @property
    def workbook_name(self) -> str:
        return f"{self.region}{self.period[:4]}年民生实事县区比较（{self.period}）.xlsx"

    @property
    def html_name(self) -> str:
        return f"{self.region}{self.period[:4]}年民生实事县区比较（{self.period}）.html"


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 6) if known else None


def compare(
    region: str, reports: Sequence[Report], unread: Sequence[tuple[str, str]] = ()
) -> Comparison:
    """Rank counties by mean task completion (ties: reporting rate, then name); equal
    figures share a rank. ``unread`` counties are listed after them, with the reason."""
    first = reports[0]
    task_ids = tuple(t.id for t in first.tasks)
    names = tuple(t.name for t in first.tasks)
    draft = []
    for r in reports:
        by_id = {t.id: t for t in r.tasks}
        completions = tuple(by_id[i].completion if i in by_id else None for i in task_ids)
        h = r.headline
        draft.append(
            (
                r.county,
                _mean(completions),
                h,
                completions,
                tuple(by_id[i].status if i in by_id else "" for i in task_ids),
                tuple(by_id[i].light if i in by_id else "grey" for i in task_ids),
            )
        )
    draft.sort(key=lambda d: (-(d[1] if d[1] is not None else -1), -d[2].reporting_rate, d[0]))
    rows: list[CountyRow] = []
    for i, (county, mean, h, completions, statuses, lights) in enumerate(draft):
        prev = rows[-1] if rows else None
        same = prev is not None and (prev.completion, prev.reporting_rate) == (
            mean,
            h.reporting_rate,
        )
        rows.append(
            CountyRow(
                prev.rank if same and prev else i + 1,
                county,
                mean,
                h.tasks_done,
                h.tasks_behind,
                h.tasks_not_reported,
                h.reporting_rate,
                h.departments_submitted,
                h.departments_expected,
                h.departments_on_time,
                h.errors,
                completions,
                statuses,
                lights,
            )
        )
    month = int(first.period[5:7])
    return Comparison(
        title=f"{region}{first.year}年民生实事县区进展比较（截至{month}月底）",
        region=region,
        period=first.period,
        period_label=first.period_label,
        task_ids=task_ids,
        task_names=names,
        rows=tuple(rows),
        version=first.version,
        unread=tuple(unread),
    )


COUNTY_COLUMNS = [
    "rank",
    "county",
    "completion",
    "tasks_done",
    "tasks_behind",
    "tasks_not_reported",
    "reporting_rate",
    "departments_submitted",
    "departments_expected",
    "departments_on_time",
    "errors",
]


def county_rows(c: Comparison) -> list[list[str]]:
    """counties.csv: one row per county, best first, with each task's completion; then the
    counties not summarised, with no figures and the reason in ``note``."""
    return [
        [
            str(r.rank),
            r.county,
            format_share(r.completion),
            str(r.tasks_done),
            str(r.tasks_behind),
            str(r.tasks_not_reported),
            format_share(r.reporting_rate),
            str(r.departments_submitted),
            str(r.departments_expected),
            str(r.departments_on_time),
            str(r.errors),
            *(format_share(x) for x in r.task_completion),
            "",
        ]
        for r in c.rows
    ] + [
        ["", county, *[""] * (len(COUNTY_COLUMNS) - 2 + len(c.task_ids)), f"未汇总：{why}"]
        for county, why in c.unread
    ]
