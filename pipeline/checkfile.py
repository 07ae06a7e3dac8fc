"""``minsheng check``: a file read the moment it arrives exactly as ``run`` would read it —
the same reading, gate, indicator accounting and value checks against the stored months —
with no store written and no outputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.coverage import account_for_indicators
from pipeline.discover import (
    EDITOR_SUFFIXES,
    department_from_name,
    is_ignored,
    period_from_name,
    sniff_format,
)
from pipeline.gate import withhold
from pipeline.model import FileResult, Issue, Observation, SourceFile
from pipeline.normalise import normalise_file
from pipeline.run import RECEIPTS, by_department, deadline_of, late_issue, sort_issues
from pipeline.workspace import Workspace


def _not_a_submission(path: Path) -> str | None:
    """Why a file in a month's folder is no department's submission, or None."""
    name = path.name
    if name == RECEIPTS:
        return "这是本月的收文登记（文件名、收到时间），不是报送文件，汇总时用来判断是否按时报送"
    if name.startswith("~$") or name.startswith(".~lock."):
        return "这是 Excel / WPS 打开文件时留下的临时锁定文件，不是报送文件，汇总时不读取"
    if name.lower().endswith(EDITOR_SUFFIXES) or name.endswith("~"):
        return "这是编辑软件的临时文件或备份文件，不是报送文件，汇总时不读取"
    if is_ignored(name):
        return "这是系统文件（隐藏文件、缩略图等），不是报送文件，汇总时不读取"
    return None


def check_files(paths: Sequence[Path], ws: Workspace, period: str | None) -> list[FileResult]:
    """Each file read exactly as ``run`` would read it; the period defaults to the file name's
    month, else the month before today."""
    today = dt.date.today()
    fallback = f"{today.year}-{today.month - 1:02d}" if today.month > 1 else f"{today.year - 1}-12"
    out = []
    for path in paths:
        guess = period_from_name(path.name, ws.config.year)
        source = SourceFile(
            str(path),
            path.name,
            "",
            path.stat().st_size,
            path.stat().st_mtime,
            sniff_format(path),
            department_from_name(path.name, ws.targets.departments),
            guess,
        )
        why = _not_a_submission(path)
        if why is not None:
            note = Issue("info", "I-NOT-A-SUBMISSION", why, file=path.name)
            out.append(FileResult(source, None, issues=(note,), readable=False))
            continue
        out.append(_as_run_reads(source, ws, period or guess or fallback))
    return out


def _as_run_reads(source: SourceFile, ws: Workspace, period: str) -> FileResult:
    """One file through the steps ``run`` takes, with this period's stored history."""
    read = withhold(normalise_file(source, ws.targets, period))
    parts = by_department(read)
    issues = [*read.issues, *account_for_indicators(parts, ws.targets, read.issues)]
    observations, value_issues = _value_checks(read.observations, ws, period)
    received = dt.datetime.fromtimestamp(source.mtime).replace(microsecond=0)
    if read.readable and read.department and received > deadline_of(period, ws.config):
        value_issues += [late_issue(p.department or "", source.name, received) for p in parts]
    return replace(
        read,
        observations=tuple(observations),
        issues=tuple(sort_issues([*issues, *value_issues])),
    )


def _value_checks(
    observations: Sequence[Observation], ws: Workspace, period: str
) -> tuple[list[Observation], list[Issue]]:
    """The checks that need the stored months (cumulative falls, jumps, over target, levels
    not met), as ``run`` makes them; the store is only read."""
    from pipeline.store import Store
    from pipeline.validate import check_period

    history: list[Observation] = []
    if ws.db.exists():
        with Store(ws.db) as store:
            history = store.history(before=period, year=period[:4])
    checked = check_period(period, observations, history, ws.targets, ws.config)
    kept = [o for o in checked.observations if o.value is not None or o.monthly_value or o.state]
    return kept, list(checked.issues)
