"""``minsheng run``: the whole month in one call — read, check, store, assess, render."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.assemble import assemble_report
from pipeline.config import Config
from pipeline.counties import (
    COUNTY_COLUMNS,
    TARGETS_MARK,
    Comparison,
    County,
    compare,
    county_folders,
    county_rows,
)
from pipeline.errors import InputError, PipelineError, TargetTableError
from pipeline.lock import workspace_lock
from pipeline.model import Issue, TargetTable
from pipeline.outputs import (
    CSV_ENCODING,
    ISSUE_COLUMNS,
    OBSERVATION_COLUMNS,
    SUBMISSION_COLUMNS,
    CsvText,
    csv_text,
    current_in,
    format_share,
    seal,
    staged,
)
from pipeline.report import Report
from pipeline.run import PeriodData, check_period, late_issue, read_period, sort_issues
from pipeline.store import Store, StoredFile
from pipeline.targets import format_number
from pipeline.validate import check_period as check_values
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class JobResult:
    report: Report | None  # None for a multi-county run: see ``counties``
    data: PeriodData | None
    outputs: Path
    files: tuple[str, ...]  # names of the files written
    counties: tuple[tuple[Report, PeriodData], ...] = ()
    comparison: Comparison | None = None
    notices: tuple[str, ...] = ()  # what the run met and overcame (a worker replaced)
    # later months of the year that build on this one (their cumulatives, idle months, checks
    # and trend), run again after it: what each gave, and those that could not be re-run
    rerun: tuple[JobResult, ...] = ()
    stale: tuple[tuple[str, str], ...] = ()  # (period, why it was not re-run)


def _submission_issues(data: PeriodData) -> list[Issue]:
    out = []
    current = {s.department for s in data.submissions if s.status in ("on_time", "late")}
    for s in data.submissions:
        if s.status == "missing":
            out.append(
                Issue("warning", "W-SUBMISSION-MISSING", f"{s.department}本期未报送", s.department)
            )
        elif s.status == "late" and s.department in current:
            out.append(late_issue(s.department, s.file, s.received_at))
    return out


def process_period(
    store: Store,
    folder: Path,
    period: str,
    targets: TargetTable,
    cfg: Config,
    started: dt.datetime,
    first_seen: dict[str, dt.datetime],
    on_file: Callable[[int], None] | None = None,
) -> tuple[PeriodData, Report]:
    """Read, check and store one county's period; return what it gave and its report."""
    data = read_period(
        folder, period, targets, cfg, first_seen, exclude=TARGETS_MARK, on_file=on_file
    )
    return data, store_period(store, data, period, targets, cfg, started)


def store_period(
    store: Store,
    data: PeriodData,
    period: str,
    targets: TargetTable,
    cfg: Config,
    started: dt.datetime,
) -> Report:
    """Check what a period's inputs gave against the history, store it, and report it."""
    history = store.history(before=period, year=period[:4])
    checked = check_values(period, data.observations, history, targets, cfg)
    issues = sort_issues([*data.issues, *checked.issues, *_submission_issues(data)])
    sources = {r.source.name: r.source for r in data.files}
    stored_files = [
        StoredFile(
            s.file,
            sources[s.file].sha256,
            sources[s.file].size,
            s.department,
            s.status,
            s.received_at,
        )
        for s in data.submissions
        if s.file
    ]
    store.save_period(period, started, __version__, stored_files, checked.observations, issues)
    # the report of what was just stored, as the store would give it back (report_from_store)
    # without reading it back: observations by indicator, files by name, times to the second
    stored = [
        replace(f, received_at=f.received_at.replace(microsecond=0) if f.received_at else None)
        for f in sorted(stored_files, key=lambda f: f.name)
    ]
    current = sorted(checked.observations, key=lambda o: o.indicator_id)
    return assemble_report(period, targets, cfg, [*history, *current], stored, issues)


Progress = Callable[[int, int], None]  # (files done, files in all) — for a progress bar


def _candidates(folder: Path) -> int:
    """Files under ``folder`` a run may read (all but lock files, thumbnails, dotfiles);
    walked with the directory entries' own types, not a stat per file."""
    from pipeline.discover import is_ignored

    count, todo = 0, [str(folder)]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                elif entry.is_file() and not is_ignored(entry.name):  # not a FIFO, dead link
                    count += 1
    return count


def _counter(total: int, progress: Progress | None) -> Callable[[int], None] | None:
    """A callback that reports ``n`` more files read, against ``total`` candidate files."""
    if progress is None:
        return None
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return tick


def run_job(
    ws: Workspace,
    period: str,
    *,
    started: dt.datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    later: bool = True,
) -> JobResult:
    """Run one period end to end; the data's problems are in the outputs, not exceptions.
    An inputs folder of county sub-folders is a multi-county run, its counties read by
    ``workers`` processes (None: as ``fanout.workers_for`` judges).

    The later months of the same year already in the store were checked and reported
    against the history this run has just replaced (a June run before May's says June lacks
    May's cumulative): with ``later`` they are run again, in order, each as its own run; one
    whose inputs are gone or that fails is listed in ``stale`` for the office to re-run."""
    result = _run_one(ws, period, started=started, progress=progress, workers=workers)
    if not later:
        return result
    rerun: list[JobResult] = []
    stale: list[tuple[str, str]] = []
    for month in later_periods(ws, period):
        if not ws.period_inputs(month).is_dir():
            stale.append((month, f"找不到报送文件夹 {ws.period_inputs(month)}"))
            continue
        try:
            rerun.append(_run_one(ws, month, workers=workers))
        except PipelineError as exc:
            stale.append((month, str(exc)))
    return replace(result, rerun=tuple(rerun), stale=tuple(stale))


def later_periods(ws: Workspace, period: str) -> list[str]:
    """Stored months of the same year after ``period`` (a city's: any county's)."""
    if not ws.db.exists():
        return []
    with Store(ws.db) as store:
        stored = set(store.periods())
        for county in store.counties():
            stored.update(store.scoped(county).periods())
    return sorted(p for p in stored if p[:4] == period[:4] and p > period)


def _run_one(
    ws: Workspace,
    period: str,
    *,
    started: dt.datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> JobResult:
    t0 = time.perf_counter()
    check_period(period)
    folder = ws.period_inputs(period)
    if not folder.is_dir():
        raise InputError(
            f"找不到本期的报送文件夹：{folder}（请把各单位报送的文件放入该文件夹）"
            + _rename_hint(ws.inputs, period)
        )
    started = started or dt.datetime.now().replace(microsecond=0)
    with workspace_lock(ws.db, f"minsheng run --period {period}"):
        return _run_locked(ws, period, folder, started, t0, progress, workers)


def _run_locked(
    ws: Workspace,
    period: str,
    folder: Path,
    started: dt.datetime,
    t0: float,
    progress: Progress | None,
    workers: int | None,
) -> JobResult:
    counties = county_folders(folder)
    if counties is not None:
        return _run_counties(ws, period, counties, started, t0, progress, workers)
    _refuse_county_run_in_a_city(ws, folder)
    out = ws.period_outputs(period)
    written: list[str] = []
    # the new outputs are written and fsynced, then the store commits, then the outputs are
    # swapped in: a failure keeps both as they were, a kill after the commit is finished by
    # the next writer's recovery (the manifest names the run the store holds)
    with (
        Store(ws.db) as store,
        staged(out, current_in(store, period)) as tmp,
        store.transaction(),
    ):
        data, report = process_period(
            store,
            folder,
            period,
            ws.targets,
            ws.config,
            started,
            store.first_seen(),
            _counter(_candidates(folder), progress) if progress else None,
        )
        t_checked = time.perf_counter()
        from pipeline.render import render_all

        written.extend(render_all(report, tmp, ws))
        manifest = _manifest(period, started, ws.targets.source, [data], report)
        manifest["run_id"] = store.latest_run(period)
        manifest["run_ids"] = {"": manifest["run_id"]}
        _finish_manifest(tmp, manifest, written, t0, t_checked)
        seal(tmp, out)
    return JobResult(report, data, out, tuple(written))


_MONTH_NAME = re.compile(
    r"^(?:(?P<year>20\d{2})\s*(?:年|[-_.\s/])?\s*)?(?P<month>1[0-2]|0?[1-9])\s*(?:月份?|月报)?$"
)


def _rename_hint(inputs: Path, period: str) -> str:
    """When the month's folder exists under another name (``2022年7月``, ``2022.7``, ``7月``),
    say which one and what to call it; folders are never renamed for the office."""
    if not inputs.is_dir():
        return ""
    year, month = int(period[:4]), int(period[5:7])
    found = []
    for entry in sorted(inputs.iterdir()):
        m = _MONTH_NAME.match(entry.name.strip())
        if entry.is_dir() and m and int(m["month"]) == month and int(m["year"] or year) == year:
            found.append(entry.name)
    if not found:
        return ""
    names = "、".join(f"“{n}”" for n in found)
    return f"。{inputs} 中有文件夹{names}，如果是本期的报送文件，请把它改名为“{period}”"


def _refuse_county_run_in_a_city(ws: Workspace, folder: Path) -> None:
    """A city's workspace whose month holds a stray file beside the county folders would be
    run as one county and replace the city's outputs: stop and say what to move."""
    subs = [p.name for p in folder.iterdir() if p.is_dir()]
    if not subs or not ws.db.exists():
        return
    with Store(ws.db) as store:
        known = set(store.counties())
    if known & set(subs):
        raise InputError(
            f"{folder} 中既有县区子文件夹（{'、'.join(sorted(known & set(subs)))}等）又有其他文件："
            "市（省）汇总时本月文件夹中只放各县区的子文件夹（和收文登记.csv），请把其他文件移走后重新汇总"
        )


def _run_counties(
    ws: Workspace,
    period: str,
    counties: list[County],
    started: dt.datetime,
    t0: float,
    progress: Progress | None,
    workers: int | None,
) -> JobResult:
    from pipeline.fanout import CountyRead, Unread, read_counties, workers_for
    from pipeline.targets import load_targets

    jobs: list[CountyRead] = []
    unread: list[tuple[str, str]] = []  # a county's own target table unusable: said, not fatal
    for county in counties:
        try:
            targets = load_targets(county.targets_file) if county.targets_file else ws.targets
        except TargetTableError as exc:
            unread.append((county.name, str(exc)))
            continue
        config = replace(ws.config, county=county.name)
        jobs.append(CountyRead(county.folder, period, targets, config, TARGETS_MARK))
    if not jobs:
        raise InputError("；".join(f"{name}：{why}" for name, why in unread))
    candidates = _candidates(ws.period_inputs(period))
    prepared: list[Environment] = []  # the comparison page's, made while the workers read
    results: list[tuple[Report, PeriodData]] = []
    notices: list[str] = []  # a worker replaced: the run says so
    city_csvs = CityCsvs()
    written: list[str] = []
    # each county's CSVs are written as soon as it is stored, while the workers read on;
    # the store commits, then the outputs are swapped in: a failure leaves both as they were
    out = ws.period_outputs(period)
    with (
        Store(ws.db) as store,
        staged(out, current_in(store, period)) as tmp,
        store.transaction(),
    ):
        for name, _ in unread:  # no figures of an earlier run may stand for it
            store.scoped(name).forget_period(period)
        read = read_counties(
            jobs,
            store.first_seen(),
            workers_for(candidates, workers),
            _counter(candidates, progress),
            meanwhile=lambda: prepared.append(_prepare_comparison(ws)),
            on_notice=lambda county, message: notices.append(f"{county}：{message}"),
        )
        with contextlib.closing(read):  # a failure below stops the workers at once
            for job, data in zip(jobs, read, strict=True):
                scoped = store.scoped(job.config.county)
                if isinstance(data, Unread):  # stuck or killed twice: said, not fatal
                    unread.append((data.county, data.reason))
                    scoped.forget_period(period)
                    continue
                report = store_period(scoped, data, period, job.targets, job.config, started)
                results.append((report, data))
                city_csvs.add(report)
        if not results:  # every county stuck or lost: nothing to compare, nothing changed
            raise InputError("；".join(f"{name}：{why}" for name, why in unread))
        written.extend(city_csvs.write(tmp))
        comparison = compare(ws.config.county, [r for r, _ in results], unread)
        t_checked = time.perf_counter()
        _write_comparison(tmp, comparison, written, ws, prepared[0] if prepared else None)
        manifest = _manifest(period, started, ws.targets.source, [d for _, d in results], None)
        manifest["counties"] = [r.county for r, _ in results]
        manifest["run_ids"] = {
            r.county: store.scoped(r.county).latest_run(period) for r, _ in results
        }
        _finish_manifest(tmp, manifest, written, t0, t_checked)
        seal(tmp, out)
    return JobResult(
        None,
        None,
        ws.period_outputs(period),
        tuple(written),
        tuple(results),
        comparison,
        tuple(notices),
    )


def _prepare_comparison(ws: Workspace) -> Environment:
    """Import what the comparison outputs need (xlsxwriter, Jinja2) and compile the page's
    template (together ~0.1 s) while the workers read, not after them."""
    from pipeline.render.compare import prepare

    return prepare(ws.template_dirs)


def _write_comparison(
    tmp: Path,
    comparison: Comparison,
    written: list[str],
    ws: Workspace,
    env: Environment | None = None,
) -> None:
    from pipeline.render.compare import write_comparison

    (tmp / "counties.csv").write_text(
        csv_text(
            [*COUNTY_COLUMNS, *(f"task_{i}" for i in comparison.task_ids), "note"],
            county_rows(comparison),
        ),
        encoding=CSV_ENCODING,
    )
    written.append("counties.csv")
    written.extend(write_comparison(comparison, tmp, ws.template_dirs, env))


def _manifest(
    period: str, started: dt.datetime, targets: str, datas: list[PeriodData], report: Report | None
) -> dict[str, object]:
    files = [r for d in datas for r in d.files]
    return {
        "minsheng_version": __version__,
        "period": period,
        "started_at": started.isoformat(),
        "targets": targets,
        "inputs": [
            {
                "name": r.source.name,
                "sha256": r.source.sha256,
                "size": r.source.size,
                "format": r.source.format,
                "department": r.department or "",
                # how each table was read: its columns and the evidence each was taken on
                "tables": [
                    {"sheet": sheet, "header_row": row, "department": dept, "columns": dict(cols)}
                    for sheet, row, dept, cols in r.tables
                ],
            }
            for r in files
        ],
        "counts": {
            "files": len(files),
            "observations": sum(len(d.observations) for d in datas),
            "issues": len(report.issues) if report else sum(len(d.issues) for d in datas),
            "rows_seen": sum(r.rows_seen for r in files),
        },
    }


def _finish_manifest(
    tmp: Path, manifest: dict[str, object], written: list[str], t0: float, t_checked: float
) -> None:
    """Add timings and the outputs list, write manifest.json, and count it as written."""
    manifest["timings_s"] = {
        "read_check_store": round(t_checked - t0, 3),
        "render": round(time.perf_counter() - t_checked, 3),
    }
    manifest["outputs"] = sorted(written)
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    (tmp / "manifest.json").write_text(text, encoding="utf-8")
    written.append("manifest.json")


def observation_rows(report: Report) -> list[list[str]]:
    """observations.csv: one row per indicator the period has a value (or state) for."""
    rows = []
    for r in report.indicators:
        if r.value is None and not r.state:
            continue
        rows.append(
            [
                report.period,
                r.department,
                str(r.task_id),
                r.id,
                format_number(r.value),
                format_number(r.monthly_value),
                format_number(r.target),
                r.unit,
                format_share(r.completion),
                format_share(r.expected),
                r.status,
                r.source_file,
                r.source_sheet,
                r.source_cell,
            ]
        )
    return rows


def csv_tables(report: Report) -> dict[str, tuple[list[str], list[list[object]]]]:
    """The three machine-readable contracts (see DESIGN.md): file name → header, rows."""
    return {
        "observations.csv": (OBSERVATION_COLUMNS, observation_rows(report)),
        "issues.csv": (
            ISSUE_COLUMNS,
            [[getattr(i, column) for column in ISSUE_COLUMNS] for i in report.issues],
        ),
        "submissions.csv": (
            SUBMISSION_COLUMNS,
            [
                [s.department, s.status, s.file, s.received_at, s.status_label]
                for s in report.submissions
            ],
        ),
    }


def write_csvs(report: Report, out: Path) -> list[str]:
    """One county's three CSV files in ``out``."""
    tables = csv_tables(report)
    for name, (header, rows) in tables.items():
        (out / name).write_text(csv_text(header, rows), encoding=CSV_ENCODING)
    return list(tables)


class CityCsvs:
    """A city's three CSV files: every county's rows, county by county, each with its county
    first (one file to filter in Excel, not a folder per county). Filled as each county is
    stored, while the workers read on; written once all are."""

    def __init__(self) -> None:
        self.texts: dict[str, CsvText] = {}

    def add(self, report: Report) -> None:
        for name, (columns, rows) in csv_tables(report).items():
            text = self.texts.setdefault(name, CsvText(["county", *columns]))
            text.add([report.county, *row] for row in rows)

    def write(self, out: Path) -> list[str]:
        for name, text in self.texts.items():
            (out / name).write_text(text.text(), encoding=CSV_ENCODING)
        return list(self.texts)
