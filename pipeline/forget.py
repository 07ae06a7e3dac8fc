"""``minsheng forget --period P``: remove a period stored by mistake — its records in the
history store (every county's, in a city's workspace) and its outputs folder."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError, OutputError, describe_os_error
from pipeline.lock import workspace_lock
from pipeline.outputs import recover
from pipeline.store import Store
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class Forgotten:
    period: str
    runs: int  # runs of the period removed from the store
    outputs: Path | None  # the outputs folder removed, if there was one


def forget_period(ws: Workspace, period: str) -> Forgotten:
    """Remove the period from the store, then its outputs folder, under the workspace lock.
    The store goes first: a kill in between leaves outputs of no stored run, which ``email``
    refuses and the next ``run`` replaces. The send log is kept (it records deliveries)."""
    out = ws.period_outputs(period)
    with workspace_lock(ws.db, f"minsheng forget --period {period}"):
        runs = 0
        if ws.db.exists():
            with Store(ws.db) as store:
                runs = store.forget_everywhere(period)
        try:
            recover(out)  # leftovers of a killed run: staged folders, a renamed-aside one
            removed = out if out.exists() else None
            if removed is not None:
                doomed = out.with_name(f".{out.name}.forgotten-{os.getpid()}")
                out.rename(doomed)  # gone at once for readers; then removed at leisure
                shutil.rmtree(doomed)
        except OSError as exc:
            raise OutputError(f"无法删除输出目录 {out}：{describe_os_error(exc)}") from exc
    if not runs and removed is None:
        raise InputError(f"历史数据和输出目录中都没有 {period}，无需删除")
    return Forgotten(period, runs, removed)
