"""The workbook's table sheets: 指标明细, 报送情况, 数据问题 and 月度趋势."""

from __future__ import annotations

from xlsxwriter.utility import xl_range
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.progress import LIGHTS
from pipeline.render._xlsx_layout import (
    Cell,
    Col,
    Num,
    Styles,
    colour_by_text,
    page_setup,
    unit_format,
    with_prefix,
    write_table,
    write_title,
)
from pipeline.report import SEVERITY_LABELS, SUBMISSION_LABELS, IndicatorRow, Report

# Widths are capped so that every sheet prints one page wide at 90 % or more (see
# ``_xlsx_layout.MIN_PRINT_SCALE``); where a figure came from is on a sheet of its own.
INDICATOR_COLS = (
    Col("编号", "center", 5, 5),
    Col("任务", "wrap", 10, 10),
    Col("指标", "wrap", 14, 18),
    Col("目标", "num", 8, 10),
    Col("单位", "center", 5, 7),
    Col("本月完成", "num", 8, 9),
    Col("累计完成/现值", "center", 9, 9),
    Col("完成进度", "pct", 8, 8),
    Col("序时进度", "pct", 8, 8),
    Col("状态", "center", 8, 8),
    Col("报送单位", "wrap", 10, 10),
    Col("进展情况", "wrap", 12, 16),
    Col("存在问题", "wrap", 12, 12),
    Col("滞后原因及下步措施", "wrap", 12, 14),
)
SOURCE_COLS = (
    Col("编号", "center", 5, 6),
    Col("指标", "wrap", 14, 30),
    Col("类型", "center", 6, 6),
    Col("报送单位", "wrap", 10, 16),
    Col("来源文件", "wrap", 16, 44),
    Col("工作表", "wrap", 8, 16),
    Col("单元格", "center", 7, 8),
)
SUBMISSION_COLS = (
    Col("单位", "text", 12, 24),
    Col("状态", "center", 10, 16),
    Col("收到时间", "center", 16, 18),
    Col("文件", "wrap", 16, 50),
)
ISSUE_COLS = (
    Col("单位", "wrap", 10, 14),
    Col("级别", "center", 6, 6),
    Col("代码", "wrap", 10, 14),
    Col("文件", "wrap", 12, 20),
    Col("工作表", "wrap", 8, 10),
    Col("单元格", "center", 7, 7),
    Col("指标", "center", 6, 6),
    Col("说明", "wrap", 24, 56),
)
SUBMISSION_LIGHTS = {
    "on_time": "green",
    "late": "yellow",
    "missing": "red",
    "unreadable": "red",
    "superseded": "grey",
}
SEVERITY_LIGHTS = {"error": "red", "warning": "yellow"}


def _num(value: float | None, unit: str, prefix: str = "") -> Cell:
    return None if value is None else Num(value, with_prefix(prefix, unit_format(unit, value)))


def _indicator_cells(r: IndicatorRow) -> list[Cell]:
    current: Cell = r.state if r.kind == "milestone" else _num(r.value, r.unit)
    return [
        r.id,
        r.task_name,
        r.name,
        _num(r.target, r.unit, r.comparator),
        r.unit,
        _num(r.monthly_value, r.unit),
        current,
        r.completion,
        r.expected,
        r.status,
        r.department,
        r.progress_text,
        r.problem_text,
        r.reason_text,
    ]


def write_indicators(workbook: Workbook, styles: Styles, report: Report) -> None:
    ws = workbook.add_worksheet("指标明细")
    write_title(
        ws,
        styles,
        0,
        len(INDICATOR_COLS),
        f"{report.county}{report.year}年民生实事指标完成情况明细（{report.period_label}）",
    )
    rows = [_indicator_cells(r) for r in report.indicators]
    last = write_table(ws, styles, 1, INDICATOR_COLS, rows, freeze_cols=3)
    status = [c.header for c in INDICATOR_COLS].index("状态")
    colour_by_text(ws, styles, (2, status, last, status), LIGHTS)
    page_setup(ws)


def write_sources(workbook: Workbook, styles: Styles, report: Report) -> None:
    """数据来源: where each figure was read (file, sheet, cell) — for the office, not the
    leaders' printout."""
    ws = workbook.add_worksheet("数据来源")
    write_title(
        ws,
        styles,
        0,
        len(SOURCE_COLS),
        f"{report.county}{report.year}年民生实事指标数据来源（{report.period_label}）",
    )
    rows: list[list[Cell]] = [
        [r.id, r.name, r.kind_label, r.department, r.source_file, r.source_sheet, r.source_cell]
        for r in report.indicators
    ]
    write_table(ws, styles, 1, SOURCE_COLS, rows, freeze_cols=2)
    page_setup(ws)


def write_submissions(workbook: Workbook, styles: Styles, report: Report) -> None:
    ws = workbook.add_worksheet("报送情况")
    write_title(
        ws,
        styles,
        0,
        len(SUBMISSION_COLS),
        f"{report.county}{report.year}年民生实事进度报送情况（{report.period_label}）",
    )
    rows: list[list[Cell]] = [
        [s.department, s.status_label, s.received_at, s.file] for s in report.submissions
    ]
    last = write_table(ws, styles, 1, SUBMISSION_COLS, rows, freeze_cols=1)
    lights = {SUBMISSION_LABELS[k]: v for k, v in SUBMISSION_LIGHTS.items()}
    colour_by_text(ws, styles, (2, 1, last, 1), lights)
    _note_if_empty(ws, styles, rows, 2, len(SUBMISSION_COLS), "本期未收到报送文件。")
    page_setup(ws)


def write_issues(workbook: Workbook, styles: Styles, report: Report) -> None:
    ws = workbook.add_worksheet("数据问题")
    write_title(
        ws,
        styles,
        0,
        len(ISSUE_COLS),
        f"{report.county}{report.year}年民生实事报送数据问题清单（{report.period_label}）",
    )
    # Grouped by department (the given order kept within one); run-level issues last.
    issues = sorted(report.issues, key=lambda i: (i.department == "", i.department))
    rows: list[list[Cell]] = [
        [i.department, i.severity_label, i.code, i.file, i.sheet, i.cell, i.indicator_id, i.message]
        for i in issues
    ]
    last = write_table(ws, styles, 1, ISSUE_COLS, rows, freeze_cols=1)
    lights = {SEVERITY_LABELS[k]: v for k, v in SEVERITY_LIGHTS.items()}
    colour_by_text(ws, styles, (2, 1, last, 1), lights)
    _note_if_empty(ws, styles, rows, 2, len(ISSUE_COLS), "本期未发现数据问题。")
    page_setup(ws)


def write_trend(workbook: Workbook, styles: Styles, report: Report) -> None:
    ws = workbook.add_worksheet("月度趋势")
    months = [f"{int(p[5:7])}月" for p in report.trend_periods]  # the year is in the title
    cols = (
        Col("编号", "center", 5, 5),
        Col("指标", "wrap", 14, 22),
        Col("单位", "center", 5, 7),
        Col("目标", "num", 8, 9),
        *(Col(m, "num", 7, 8) for m in months),
        Col("趋势", "text", 12, 12),
    )
    write_title(
        ws,
        styles,
        0,
        len(cols),
        f"{report.county}{report.year}年民生实事主要指标月度趋势（截至{report.period_label}）",
    )
    rows: list[list[Cell]] = [
        [
            t.indicator_id,
            t.name,
            t.unit,
            _num(t.target, t.unit),
            *(_num(v, t.unit) for v in t.values),
            None,
        ]
        for t in report.trend
    ]
    write_table(ws, styles, 1, cols, rows, freeze_cols=2)
    first_month, spark = 4, len(cols) - 1
    for i in range(2, 2 + len(rows) if months else 2):
        ws.add_sparkline(
            i,
            spark,
            {
                "range": xl_range(i, first_month, i, spark - 1),
                # Columns: LibreOffice draws line sparklines as bare markers.
                "type": "column",
                "min": 0,
                "series_color": "#5B9BD5",
                "last_point": True,
                "last_color": "#2F5597",
            },
        )
    page_setup(ws)


def _note_if_empty(
    ws: Worksheet, styles: Styles, rows: list[list[Cell]], row: int, width: int, text: str
) -> None:
    """One merged line saying the table is empty, so a blank sheet is not mistaken for a fault."""
    if rows:
        return
    fmt = styles.get(border=1, align="center", font_color="#404040")
    ws.merge_range(row, 0, row, width - 1, "", fmt)
    ws.write_string(row, 0, text, fmt)
