"""``minsheng check``: normalise single files the moment they arrive, no store, no outputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from pipeline.discover import department_from_name, period_from_name, sniff_format
from pipeline.model import FileResult, SourceFile
from pipeline.normalise import normalise_file
from pipeline.workspace import Workspace


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
        out.append(normalise_file(source, ws.targets, period or guess or fallback))
    return out
