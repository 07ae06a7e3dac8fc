"""Lay out one department's submission template with XlsxWriter (see ``forms``).

Layout of the data sheet (0-based rows): 0 title, 1 hint, 2 ``填报单位：…`` with the period and
deadline, 3 the header (``forms.HEADER``), then one row per indicator, a blank row and the
填报人 / 联系电话 line (a footer the normaliser skips). Labels are locked, input cells are
unlocked and yellow, cells that must stay empty are grey and locked; the sheet is protected
without a password (rows and columns may still be resized).

Row heights are set from the length of the text they hold: Excel sizes unmerged wrapped rows
itself, LibreOffice and merged cells do not, so the template states them (two lines at least,
room for a short 进展情况).
"""

from __future__ import annotations

import io
import math
import unicodedata
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipeline import _forms_text as text
from pipeline.forms import DATA_SHEET, GUIDE_SHEET, HEADER, Form, FormRow
from pipeline.model import COMPARATOR_SIGNS

FONT = "宋体"
YELLOW = "#FFFF99"  # the cells to fill in, as the guide calls them: 黄色单元格
GREY = "#D9D9D9"  # cells that must stay empty (本月完成 of a rate or a milestone)
HEADER_FILL = "#DDEBF7"
WIDTHS = (7, 16, 28, 9, 8, 6, 10, 10, 10, 30, 20, 22)  # Excel character units, per HEADER
GUIDE_WIDTH = 76  # fits A4 portrait even where a character unit is wider (LibreOffice)
LINE_PT = 15  # one line of 11 pt text

R_TITLE, R_HINT, R_UNIT, R_HEADER = 0, 1, 2, 3
FIRST_ROW = R_HEADER + 1
COL = {name: i for i, name in enumerate(HEADER)}
LAST_COL = len(HEADER) - 1


class _Styles:
    """The workbook's formats, made once."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        def fmt(**props: Any) -> Format:
            return wb.add_format({"font_name": FONT, "font_size": 11, "valign": "vcenter", **props})

        cell = {"border": 1, "text_wrap": True}
        self.title = fmt(bold=True, font_size=16, align="center")
        self.hint = fmt(font_size=10, font_color="#C00000", text_wrap=True)
        self.unit_line = fmt(bold=True)
        self.meta = fmt(align="center")
        self.meta_right = fmt(align="right")
        self.header = fmt(bold=True, align="center", bg_color=HEADER_FILL, **cell)
        self.code = fmt(align="center", num_format="@", **cell)
        self.label = fmt(**cell)
        self.center = fmt(align="center", **cell)
        self.input_number = fmt(align="center", bg_color=YELLOW, locked=False, **cell)
        self.input_text = fmt(bg_color=YELLOW, locked=False, **cell)
        self.disabled = fmt(bg_color=GREY, **cell)
        self.footer_label = fmt(bold=True, align="right")
        self.footer_input = fmt(bg_color=YELLOW, locked=False, bottom=1)
        self.guide = {
            "title": fmt(bold=True, font_size=16, align="center"),
            "heading": fmt(bold=True, font_size=12),
            "body": fmt(text_wrap=True),
        }


def render(form: Form) -> bytes:
    """The template workbook's bytes: fixed properties, so the same form gives the same bytes."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "title": f"{text.title(form)} {form.department}",
            "author": form.contact,
            "company": form.county,
            "created": form.created,
        }
    )
    styles = _Styles(wb)
    guide = wb.add_worksheet(GUIDE_SHEET)
    data = wb.add_worksheet(DATA_SHEET)
    _guide_sheet(guide, form, styles)
    _data_sheet(data, form, styles)
    guide.activate()
    wb.close()
    return buf.getvalue()


def _validate(ws: Worksheet, r0: int, c0: int, r1: int, c1: int, rule: dict[str, Any]) -> None:
    if ws.data_validation(r0, c0, r1, c1, rule) != 0:
        raise ValueError(f"invalid data validation for {ws.name} {r0},{c0}: {rule}")


def _merge(ws: Worksheet, r0: int, c0: int, r1: int, c1: int, value: str, fmt: Format) -> None:
    if (r0, c0) == (r1, c1):
        ws.write_string(r0, c0, value, fmt)
    else:
        ws.merge_range(r0, c0, r1, c1, value, fmt)


def _guide_sheet(ws: Worksheet, form: Form, st: _Styles) -> None:
    ws.set_column(0, 0, GUIDE_WIDTH)
    ws.hide_gridlines(2)
    lines = text.guide(form)
    ws.print_area(0, 0, len(lines) - 1, 0)
    for r, (style, line) in enumerate(lines):
        ws.write_string(r, 0, line, st.guide[style])
        height = {"title": 36.0, "heading": 24.0}.get(style, _height(_lines(line, GUIDE_WIDTH)))
        ws.set_row(r, height)
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.8)
    ws.protect()


def _data_sheet(ws: Worksheet, form: Form, st: _Styles) -> None:
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    ws.set_row(R_TITLE, 32)
    ws.merge_range(R_TITLE, 0, R_TITLE, LAST_COL, text.title(form), st.title)
    ws.set_row(R_HINT, 30)
    ws.merge_range(R_HINT, 0, R_HINT, LAST_COL, text.hint(form), st.hint)
    ws.set_row(R_UNIT, 22)
    ws.merge_range(R_UNIT, 0, R_UNIT, 4, f"填报单位：{form.department}", st.unit_line)
    ws.merge_range(R_UNIT, 5, R_UNIT, 8, f"报告期：{form.period_label}", st.meta)
    ws.merge_range(R_UNIT, 9, R_UNIT, LAST_COL, f"报送截止：{form.deadline_label}", st.meta_right)
    ws.set_row(R_HEADER, 32)
    for c, name in enumerate(HEADER):
        ws.write_string(R_HEADER, c, name, st.header)
    for i, row in enumerate(form.rows):
        _data_row(ws, FIRST_ROW + i, row, st)
    last = FIRST_ROW + len(form.rows) - 1
    for i, height in enumerate(_task_cells(ws, form, st)):
        ws.set_row(FIRST_ROW + i, height)
    for name, (title, message) in text.TEXT_PROMPTS.items():
        rule = {"validate": "any", "input_title": title, "input_message": message}
        _validate(ws, FIRST_ROW, COL[name], last, COL[name], rule)
    footer = last + 2
    ws.set_row(footer, 26)
    for label, l0, l1, i0, i1 in text.FOOTER:
        _merge(ws, footer, l0, footer, l1, label, st.footer_label)
        if i0 == i1:
            ws.write_blank(footer, i0, None, st.footer_input)
        else:
            ws.merge_range(footer, i0, footer, i1, "", st.footer_input)

    ws.freeze_panes(FIRST_ROW, COL["指标名称"] + 1)
    ws.set_selection(FIRST_ROW, COL["累计完成"], FIRST_ROW, COL["累计完成"])
    ws.repeat_rows(R_UNIT, R_HEADER)
    ws.print_area(0, 0, footer, LAST_COL)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.protect("", {"format_columns": True, "format_rows": True})


def _data_row(ws: Worksheet, r: int, row: FormRow, st: _Styles) -> None:
    ind = row.indicator
    ws.write_string(r, COL["指标编号"], ind.id, st.code)  # text: 1.10 must not become 1.1
    ws.write_string(r, COL["指标名称"], ind.name, st.label)
    if ind.kind == "milestone":
        ws.write_string(r, COL["目标值"], "定性任务", st.center)
        ws.write_blank(r, COL["单位"], None, st.center)
        ws.write_blank(r, COL["比较符"], None, st.center)
        if row.previous_state:
            ws.write_string(r, COL["上月累计"], row.previous_state, st.center)
        else:
            ws.write_blank(r, COL["上月累计"], None, st.center)
        ws.write_blank(r, COL["本月完成"], None, st.disabled)
        ws.write_blank(r, COL["累计完成"], None, st.input_number)
        _validate(ws, r, COL["累计完成"], r, COL["累计完成"], text.STATE_RULE)
    else:
        if ind.target is not None:
            ws.write_number(r, COL["目标值"], ind.target, st.center)
        else:
            ws.write_blank(r, COL["目标值"], None, st.center)
        ws.write_string(r, COL["单位"], ind.unit, st.center)
        ws.write_string(r, COL["比较符"], COMPARATOR_SIGNS[ind.comparator], st.center)
        if row.previous is not None:
            ws.write_number(r, COL["上月累计"], row.previous, st.center)
        else:
            ws.write_blank(r, COL["上月累计"], None, st.center)
        if ind.kind == "count":
            ws.write_blank(r, COL["本月完成"], None, st.input_number)
            _validate(ws, r, COL["本月完成"], r, COL["本月完成"], text.number_rule(ind, "本月完成"))
        else:  # a rate or standard has no monthly increment: its current value is 累计完成
            ws.write_blank(r, COL["本月完成"], None, st.disabled)
        ws.write_blank(r, COL["累计完成"], None, st.input_number)
        _validate(ws, r, COL["累计完成"], r, COL["累计完成"], text.number_rule(ind, "累计完成"))
    for name in text.TEXT_PROMPTS:
        ws.write_blank(r, COL[name], None, st.input_text)


def _lines(value: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (a CJK character is
    about two)."""
    units = sum(2.1 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in value)
    return max(1, math.ceil(units / max(width - 1.5, 1.0)))


def _height(lines: int) -> float:
    return lines * LINE_PT + 6.0


def _row_height(row: FormRow) -> float:
    ind = row.indicator
    lines = max(_lines(ind.name, WIDTHS[COL["指标名称"]]), _lines(ind.unit, WIDTHS[COL["单位"]]))
    return _height(max(2, lines))


def _task_cells(ws: Worksheet, form: Form, st: _Styles) -> list[float]:
    """The task name once per run of rows of the same task, merged down the run; returns the
    rows' heights, the first of a run raised when the task name needs more room."""
    heights = [_row_height(row) for row in form.rows]
    start = 0
    for i in range(1, len(form.rows) + 1):
        if (
            i < len(form.rows)
            and form.rows[i].indicator.task_id == form.rows[start].indicator.task_id
        ):
            continue
        name = form.rows[start].task_name
        _merge(ws, FIRST_ROW + start, COL["任务"], FIRST_ROW + i - 1, COL["任务"], name, st.label)
        needed = _height(_lines(name, WIDTHS[COL["任务"]]))
        heights[start] += max(0.0, needed - sum(heights[start:i]))
        start = i
    return heights
