"""Renderers: each takes the one report model and writes files; none computes anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.report import Report
    from pipeline.workspace import Workspace


def render_all(report: Report, out: Path, ws: Workspace) -> list[str]:
    """Write every output of a period into ``out``; return the file names written."""
    from pipeline.job import write_csvs
    from pipeline.render.html import write_html
    from pipeline.render.workbook import write_workbook

    written = write_csvs(report, out)
    write_workbook(report, out / report.workbook_name)
    written.append(report.workbook_name)
    written += write_html(report, out, ws.template_dirs)
    return written
