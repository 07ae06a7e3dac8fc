"""The consolidated workbook (进度汇总表) the office sends to the county leaders.

Six sheets — 总览, 指标明细, 报送情况, 数据问题, 月度趋势, 数据来源 — rendered from the report model
alone. Department text is always written as text, never as a formula; the file is written to
a temporary name beside ``path`` and renamed, so a failure leaves the previous file in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.workbook import Workbook

from pipeline.errors import OutputError, describe_os_error
from pipeline.render import _xlsx_overview, _xlsx_sheets
from pipeline.render._xlsx_layout import BASE, Styles
from pipeline.report import Report

AUTHOR = "县民生办"


def _options() -> dict[str, object]:
    """Fresh each time: XlsxWriter writes into the default format dict it is given."""
    return {
        # Department text is data: never a formula, a link or a number it does not say it is.
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_format_properties": {"font_name": BASE["font_name"], "font_size": 10},
    }


def write_workbook(report: Report, path: Path) -> None:
    """Write the consolidated workbook for ``report`` to ``path`` (atomically).

    Raises :class:`OutputError` when the file cannot be written.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        workbook = Workbook(str(tmp), _options())
        _fill(workbook, report)
        workbook.close()
        os.replace(tmp, path)
    except (OSError, FileCreateError) as exc:
        _discard(tmp)
        raise OutputError(f"无法写入汇总表 {path}：{describe_os_error(exc)}") from exc
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def _fill(workbook: Workbook, report: Report) -> None:
    workbook.set_properties(
        {
            "title": report.title,
            "subject": f"{report.period_label}民生实事进度汇总",
            "author": AUTHOR,
            "company": AUTHOR,
            "category": "民生实事",
            "keywords": "民生实事, 进度, 序时进度",
            "comments": f"由 minsheng {report.version} 生成",
            # Fixed to the report date, so re-running a period gives the same bytes.
            "created": dt.datetime.combine(report.as_of, dt.time()),
        }
    )
    styles = Styles(workbook)
    _xlsx_overview.write_overview(workbook, styles, report)
    _xlsx_sheets.write_indicators(workbook, styles, report)
    _xlsx_sheets.write_submissions(workbook, styles, report)
    _xlsx_sheets.write_issues(workbook, styles, report)
    _xlsx_sheets.write_trend(workbook, styles, report)
    _xlsx_sheets.write_sources(workbook, styles, report)
