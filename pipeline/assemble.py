"""A period's report model from its history: rebuilt from the store for later commands
(``email``) without re-reading any input, or assembled by ``run`` from what it has just
stored — the same report either way (tested)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import __version__
from pipeline.config import Config
from pipeline.errors import InputError
from pipeline.model import Issue, Observation, TargetTable
from pipeline.progress import assess, roll_up
from pipeline.report import Report, build_report
from pipeline.run import sort_issues
from pipeline.store import Store, StoredFile
from pipeline.validate import months_not_started


def report_from_store(store: Store, period: str, targets: TargetTable, config: Config) -> Report:
    """The report of a period that has been run; InputError when it has not."""
    if period not in store.periods():
        raise InputError(f"{period} 尚未汇总，请先运行 minsheng run --period {period}")
    return assemble_report(
        period,
        targets,
        config,
        store.history(year=period[:4]),
        store.files(period),
        store.issues(period),
    )


def assemble_report(
    period: str,
    targets: TargetTable,
    config: Config,
    history: Sequence[Observation],
    files: Sequence[StoredFile],
    issues: Sequence[Issue],
) -> Report:
    """The report of ``period`` from the year's stored observations (ordered by period, as
    the store gives them), its stored files (by name) and its issues (as stored)."""
    current = {o.indicator_id: o for o in history if o.period == period}
    earlier: dict[str, list[Observation]] = {}
    for o in history:
        if o.period < period:
            earlier.setdefault(o.indicator_id, []).append(o)
    progress = [
        assess(
            ind,
            current.get(ind.id),
            period,
            config,
            months_not_started(current.get(ind.id), earlier.get(ind.id, [])),
        )
        for ind in targets.indicators
    ]
    order = {d.name: i for i, d in enumerate(targets.departments)}
    submissions = [(f.department, f.status, f.name, f.received_at) for f in files]
    seen = {f.department for f in files}
    submissions += [
        (d.name, "missing", "", None) for d in targets.departments if d.name not in seen
    ]
    submissions.sort(key=lambda s: (order.get(s[0], len(order)), s[2]))
    return build_report(
        county=config.county,
        year=int(period[:4]),
        period=period,
        targets=targets,
        indicators=progress,
        tasks=roll_up(targets, progress),
        submissions=submissions,
        issues=sort_issues(issues),
        history=[o for o in history if o.period <= period],
        version=__version__,
        public_period=config.public_period,
        hotline=config.hotline,
    )
