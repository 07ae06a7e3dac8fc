"""``minsheng run``: the whole month in one call — read, check, store, assess, render."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.assemble import report_from_store
from pipeline.errors import InputError
from pipeline.model import Issue
from pipeline.outputs import (
    ISSUE_COLUMNS,
    OBSERVATION_COLUMNS,
    SUBMISSION_COLUMNS,
    csv_text,
    write_period_outputs,
)
from pipeline.report import Report
from pipeline.run import PeriodData, check_period, read_period, sort_issues
from pipeline.store import Store, StoredFile
from pipeline.targets import format_number
from pipeline.validate import check_period as check_values
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class JobResult:
    report: Report
    data: PeriodData
    outputs: Path
    files: tuple[str, ...]  # names of the files written


def _submission_issues(data: PeriodData) -> list[Issue]:
    out = []
    current = {s.department for s in data.submissions if s.status in ("on_time", "late")}
    for s in data.submissions:
        if s.status == "missing":
            out.append(
                Issue("warning", "W-SUBMISSION-MISSING", f"{s.department}本期未报送", s.department)
            )
        elif s.status == "late" and s.department in current:
            when = s.received_at.strftime("%Y-%m-%d %H:%M") if s.received_at else ""
            out.append(
                Issue(
                    "warning",
                    "W-SUBMISSION-LATE",
                    f"{s.department}逾期报送（{when}收到）",
                    s.department,
                    s.file,
                )
            )
    return out


def run_job(ws: Workspace, period: str, *, started: dt.datetime | None = None) -> JobResult:
    """Run one period end to end; the data's problems are in the outputs, not exceptions."""
    t0 = time.perf_counter()
    check_period(period)
    folder = ws.period_inputs(period)
    if not folder.is_dir():
        raise InputError(f"找不到本期的报送文件夹：{folder}（请把各单位报送的文件放入该文件夹）")
    started = started or dt.datetime.now().replace(microsecond=0)
    cfg, targets = ws.config, ws.targets
    with Store(ws.db) as store:
        data = read_period(folder, period, targets, cfg, store.first_seen())
        t_read = time.perf_counter()
        history = store.history(before=period, year=period[:4])
        checked = check_values(period, data.observations, history, targets, cfg)
        issues = sort_issues([*data.issues, *checked.issues, *_submission_issues(data)])
        stored_files = [
            StoredFile(
                s.file, r.source.sha256, r.source.size, s.department, s.status, s.received_at
            )
            for s in data.submissions
            if s.file
            for r in data.files
            if r.source.name == s.file
        ]
        store.save_period(period, started, __version__, stored_files, checked.observations, issues)
        report = report_from_store(store, period, targets, cfg)
    t_checked = time.perf_counter()
    out = ws.period_outputs(period)
    written: list[str] = []

    def write(tmp: Path) -> None:
        from pipeline.render import render_all

        written.extend(render_all(report, tmp, ws))
        manifest = {
            "minsheng_version": __version__,
            "period": period,
            "started_at": started.isoformat(),
            "targets": targets.source,
            "inputs": [
                {
                    "name": r.source.name,
                    "sha256": r.source.sha256,
                    "size": r.source.size,
                    "format": r.source.format,
                    "department": r.department or "",
                }
                for r in data.files
            ],
            "counts": {
                "files": len(data.files),
                "observations": len(checked.observations),
                "issues": len(issues),
                "rows_seen": sum(r.rows_seen for r in data.files),
            },
            "timings_s": {
                "read": round(t_read - t0, 3),
                "check": round(t_checked - t_read, 3),
                "render": round(time.perf_counter() - t_checked, 3),
            },
            "outputs": sorted(written),
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        written.append("manifest.json")

    write_period_outputs(out, write)
    return JobResult(report, data, out, tuple(written))


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
                _share(r.completion),
                _share(r.expected),
                r.status,
                r.source_file,
                r.source_sheet,
                r.source_cell,
            ]
        )
    return rows


def _share(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}".rstrip("0").rstrip(".") if x != 0 else "0"


def write_csvs(report: Report, out: Path) -> list[str]:
    """The three machine-readable contracts (see DESIGN.md)."""
    files = {
        "observations.csv": csv_text(OBSERVATION_COLUMNS, observation_rows(report)),
        "issues.csv": csv_text(
            ISSUE_COLUMNS,
            [
                [
                    i.severity,
                    i.code,
                    i.department,
                    i.file,
                    i.sheet,
                    i.cell,
                    i.indicator_id,
                    i.message,
                ]
                for i in report.issues
            ],
        ),
        "submissions.csv": csv_text(
            SUBMISSION_COLUMNS,
            [[s.department, s.status, s.file, s.received_at] for s in report.submissions],
        ),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return list(files)
