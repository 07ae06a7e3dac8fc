"""The workbook's first sheet, 总览: headline figures, one row per task and a bar chart."""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.progress import LIGHTS
from pipeline.render._xlsx_layout import (
    FONT,
    PCT,
    Cell,
    Col,
    Styles,
    colour_by_text,
    page_setup,
    write_table,
    write_title,
)
from pipeline.report import Report

SHEET = "总览"
COLS = (
    Col("序号", "center", 5, 6),
    Col("民生实事", "wrap", 16, 22),
    Col("牵头单位", "wrap", 10, 14),
    Col("责任单位", "wrap", 14, 22),
    Col("完成进度", "pct", 10, 14),
    Col("序时进度", "pct", 9, 9),
    Col("状态", "center", 9, 10),
    Col("状态说明", "wrap", 24, 40),
)
# bar colour of each traffic light in the chart (the table's light colours, stronger)
CHART_COLOURS = {"green": "#70AD47", "yellow": "#FFC000", "red": "#E0443E", "grey": "#A5A5A5"}
TABLE_TOP = 9  # header row of the task table (0-based)


def write_overview(workbook: Workbook, styles: Styles, report: Report) -> None:
    ws = workbook.add_worksheet(SHEET)
    h = report.headline
    write_title(ws, styles, 0, len(COLS), report.title)
    ws.merge_range(1, 0, 1, len(COLS) - 1, "", styles.subtitle)
    d = report.as_of
    ws.write_string(
        1,
        0,
        f"截至{d.year}年{d.month}月{d.day}日　　序时进度：{h.expected_progress:.1%}",
        styles.subtitle,
    )

    ws.write_string(2, 0, "一、总体情况", styles.section)
    left: list[tuple[str, float, str]] = [
        ("任务总数", h.tasks, '0"项"'),
        ("已完成", h.tasks_done, '0"项"'),
        ("按序时推进（含已完成）", h.tasks_on_schedule, '0"项"'),
        ("滞后", h.tasks_behind, '0"项"'),
        ("未报送", h.tasks_not_reported, '0"项"'),
    ]
    right: list[tuple[str, float, str]] = [
        ("报送率", h.reporting_rate, PCT),
        ("已报送单位", h.departments_submitted, '0"个"'),
        ("应报送单位", h.departments_expected, '0"个"'),
        ("数据问题：错误", h.errors, '0"条"'),
        ("数据问题：提醒", h.warnings, '0"条"'),
    ]
    label = styles.get(bold=True, border=1, bg_color="#F2F2F2")
    for i, ((l_text, l_value, l_fmt), (r_text, r_value, r_fmt)) in enumerate(
        zip(left, right, strict=True), start=3
    ):
        ws.merge_range(i, 0, i, 1, "", label)
        ws.write_string(i, 0, l_text, label)
        ws.write_number(i, 2, l_value, styles.get(border=1, align="center", num_format=l_fmt))
        ws.write_string(i, 3, r_text, label)
        value = styles.get(border=1, align="center", num_format=r_fmt)
        ws.merge_range(i, 4, i, len(COLS) - 1, "", value)
        ws.write_number(i, 4, r_value, value)

    ws.write_string(TABLE_TOP - 1, 0, "二、各项民生实事进展", styles.section)
    rows: list[list[Cell]] = [
        [
            t.id,
            t.name,
            t.lead_department,
            "、".join(t.departments),
            t.completion if t.completion is not None else t.completion_text,
            t.expected,
            t.status,
            t.status_reason,
        ]
        for t in report.tasks
    ]
    # the headline block above the table is not repeated on the table's and chart's pages
    last = write_table(ws, styles, TABLE_TOP, COLS, rows, repeat_title=False)
    first = TABLE_TOP + 1
    if rows:
        ws.conditional_format(
            first,
            4,
            last,
            4,
            {
                "type": "data_bar",
                "bar_color": "#9BC2E6",
                "bar_solid": True,
                "min_type": "num",
                "min_value": 0,
                "max_type": "num",
                "max_value": 1,
            },
        )
        colour_by_text(ws, styles, (first, 6, last, 6), LIGHTS)
        _add_chart(workbook, ws, first, last, [t.light for t in report.tasks])
    page_setup(ws)


def _add_chart(workbook: Workbook, ws: Worksheet, first: int, last: int, lights: list[str]) -> None:
    """Each task's completion as a column coloured by its status, 序时进度 as a line across
    them (a task of levels or milestones only has neither: its column stays empty)."""
    chart: Any = workbook.add_chart({"type": "column"})
    font = {"name": FONT, "size": 9}
    chart.add_series(
        {
            "name": "完成进度（颜色表示状态）",
            "categories": [SHEET, first, 0, last, 0],
            "values": [SHEET, first, 4, last, 4],
            "fill": {"color": CHART_COLOURS["green"]},
            "points": [{"fill": {"color": CHART_COLOURS[light]}} for light in lights],
            "gap": 60,
        }
    )
    schedule: Any = workbook.add_chart({"type": "line"})
    schedule.add_series(
        {
            "name": "序时进度",
            "categories": [SHEET, first, 0, last, 0],
            "values": [SHEET, first, 5, last, 5],
            "line": {"color": "#1F3864", "width": 2, "dash_type": "dash"},
            "marker": {"type": "none"},
        }
    )
    chart.combine(schedule)
    chart.set_title(
        {"name": "各项民生实事完成进度与序时进度对比", "name_font": {**font, "size": 12}}
    )
    chart.set_x_axis({"name": "任务序号（见上表）", "name_font": font, "num_font": font})
    chart.set_y_axis({"min": 0, "max": 1, "major_unit": 0.25, "num_format": "0%", "num_font": font})
    chart.set_legend({"position": "top", "font": font})
    chart.show_blanks_as("span")
    chart.set_size({"width": 960, "height": 360})
    row = last + 2
    ws.set_h_pagebreaks([row])
    ws.write_string(
        row,
        0,
        "图中柱形为完成进度，颜色表示状态：绿色 已完成、正常、达标、推进中；黄色 滞后、未开工；"
        "红色 严重滞后、未达标；灰色 未报送。虚线为序时进度。",
    )
    ws.insert_chart(row + 1, 0, chart, {"x_offset": 4, "y_offset": 4})
