"""Layout helpers for the consolidated workbook: formats, widths, tables and print setup.

Nothing here knows the report model; the sheet writers hand in plain cells.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

FONT = "宋体"
BASE: dict[str, Any] = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
FOOTER = "&C第 &P 页 共 &N 页"
PCT = "0.0%"
LINE_HEIGHT = 13.5  # points per line of 10-point text
ROW_HEIGHT = 18.0  # a one-line table row, with some air

# Fill and font colour of each traffic light (Excel's own "good / neutral / bad" palette).
LIGHT_COLOURS = {
    "green": ("#C6EFCE", "#006100"),
    "yellow": ("#FFEB9C", "#9C5700"),
    "red": ("#FFC7CE", "#9C0006"),
    "grey": ("#D9D9D9", "#404040"),
}


@dataclass(frozen=True)
class Num:
    """A number with its own display format (when a column's formats differ by row)."""

    value: float
    num_format: str


Cell = str | int | float | Num | None


@dataclass(frozen=True)
class Col:
    """One table column: header, cell kind and the width range it may take."""

    header: str
    kind: str = "text"  # text, wrap, center, num, pct
    min_width: float = 6
    max_width: float = 30
    num_format: str = "#,##0"


class Styles:
    """Formats made once each, keyed by their properties (the workbook's order is stable)."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._lights: dict[str, Format] = {}

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._workbook.add_format({**BASE, **props})
        return self._cache[key]

    @property
    def title(self) -> Format:
        return self.get(bold=True, font_size=16, align="center")

    @property
    def subtitle(self) -> Format:
        return self.get(align="center", font_color="#404040")

    @property
    def section(self) -> Format:
        return self.get(bold=True, font_size=11)

    @property
    def header(self) -> Format:
        return self.get(bold=True, align="center", text_wrap=True, border=1, bg_color="#DDEBF7")

    def cell(self, kind: str, num_format: str = "") -> Format:
        """The bordered format of a table cell of ``kind``."""
        props: dict[str, Any] = {"border": 1}
        if kind == "wrap":
            props.update(text_wrap=True)
        elif kind == "center":
            props.update(align="center")
        if num_format:
            props["num_format"] = num_format
        return self.get(**props)

    def light(self, light: str) -> Format:
        """A conditional format's colours (no font, border or number format: Excel keeps them)."""
        if light not in self._lights:
            fill, font = LIGHT_COLOURS[light]
            self._lights[light] = self._workbook.add_format({"bg_color": fill, "font_color": font})
        return self._lights[light]


def display_width(text: str) -> int:
    """Width in Excel's character units: CJK and full-width characters count 2, and so do
    the ambiguous ones (“”、·), which Chinese fonts draw full-width."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def line_count(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` characters wide (a Chinese
    character drawn about 1.8 wide: Excel's 宋体 and LibreOffice's fallback differ)."""
    usable = max(width - 1.5, 1.0)
    return sum(
        max(1, math.ceil(sum(_drawn(ch) for ch in part) / usable)) for part in text.split("\n")
    )


def _drawn(ch: str) -> float:
    return 1.8 if unicodedata.east_asian_width(ch) in "WFA" else 1.0


def decimals_needed(value: float, most: int = 4) -> int:
    """Fewest decimals (up to ``most``) that show ``value`` exactly as it was reported."""
    for places in range(most + 1):
        if abs(round(value, places) - value) < 1e-9:
            return places
    return most


def unit_format(unit: str, value: float | None) -> str:
    """Number format for one figure in its indicator's unit: as many decimals as it was
    reported with (``0.3`` 公里 stays ``0.3``, not ``0.300`` because the target is 2.123),
    thousands separated; a percentage at least one decimal, as the 完成进度 beside it
    (``96.8``, ``100.0``)."""
    places = decimals_needed(value) if value is not None else 0
    if "%" in unit:
        places = max(places, 1)
    return "#,##0" + ("." + "0" * places if places else "")


def with_prefix(prefix: str, num_format: str) -> str:
    """``num_format`` shown after literal text (the target's ≥): the cell stays a number."""
    return f'"{prefix}"{num_format}' if prefix else num_format


def _number_width(value: float, num_format: str) -> int:
    body = num_format.rsplit('"', 1)[-1]
    prefix = num_format[: len(num_format) - len(body)].replace('"', "")
    places = len(body.split(".", 1)[1].rstrip("%")) if "." in body else 0
    text = f"{value * 100:.{places}f}%" if "%" in body else f"{value:,.{places}f}"
    return display_width(prefix + text)


def write_cell(ws: Worksheet, row: int, col: int, value: Cell, styles: Styles, spec: Col) -> int:
    """Write one cell by its Python type (text always as text); return its display width."""
    if isinstance(value, Num):
        ws.write_number(row, col, value.value, styles.cell("num", value.num_format))
        return _number_width(value.value, value.num_format)
    if value is None or value == "":
        ws.write_blank(row, col, None, styles.cell(spec.kind))
        return 0
    if isinstance(value, str):  # a figure column's words ("达标 3/4 项") wrap in it
        kind = {"wrap": "wrap", "center": "center", "pct": "wrap"}.get(spec.kind, "text")
        ws.write_string(row, col, value, styles.cell(kind))
        return display_width(value)
    fmt = PCT if spec.kind == "pct" else spec.num_format
    ws.write_number(row, col, value, styles.cell("center" if spec.kind == "center" else "num", fmt))
    return _number_width(value, fmt)


def write_table(
    ws: Worksheet,
    styles: Styles,
    top: int,
    cols: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    *,
    freeze_cols: int = 0,
    repeat_title: bool = True,
) -> int:
    """Header at row ``top``, then ``rows``; fits widths to the text, adds an autofilter,
    freezes the header (and ``freeze_cols`` columns) and repeats it on every printed page —
    with the rows above it (the sheet's title) when ``repeat_title``. Returns the last row
    written."""
    widths = [float(display_width(c.header)) for c in cols]
    for j, spec in enumerate(cols):
        ws.write_string(top, j, spec.header, styles.header)
    wrapped: dict[int, list[tuple[int, str]]] = {}
    for i, cells in enumerate(rows, start=top + 1):
        for j, spec in enumerate(cols):
            value = cells[j] if j < len(cells) else None
            widths[j] = max(widths[j], write_cell(ws, i, j, value, styles, spec))
            if spec.kind in ("wrap", "pct") and isinstance(value, str) and value:
                wrapped.setdefault(i, []).append((j, value))
    for j, spec in enumerate(cols):
        widths[j] = min(max(widths[j] + 2, spec.min_width), spec.max_width)
        ws.set_column(j, j, widths[j])
    # Spreadsheet applications do not grow rows for wrapped text on opening: set the heights.
    header_lines = max(line_count(c.header, widths[j]) for j, c in enumerate(cols))
    ws.set_row(top, max(ROW_HEIGHT, LINE_HEIGHT * header_lines + 4))
    for i in range(top + 1, top + 1 + len(rows)):
        lines = max((line_count(text, widths[j]) for j, text in wrapped.get(i, [])), default=1)
        ws.set_row(i, max(ROW_HEIGHT, LINE_HEIGHT * lines + 4))
    last = top + len(rows)
    ws.autofilter(top, 0, last, len(cols) - 1)
    ws.freeze_panes(top + 1, freeze_cols)
    ws.repeat_rows(0 if repeat_title else top, top)
    return last


def write_title(ws: Worksheet, styles: Styles, row: int, width: int, text: str) -> None:
    """A centred title merged over the table's ``width`` columns."""
    ws.merge_range(row, 0, row, width - 1, "", styles.title)
    ws.write_string(row, 0, text, styles.title)
    ws.set_row(row, 30)


def colour_by_text(
    ws: Worksheet, styles: Styles, cells: tuple[int, int, int, int], lights: dict[str, str]
) -> None:
    """Conditional formats: a cell equal to a key gets its light's colours."""
    first_row, col, last_row, _ = cells
    if last_row < first_row:
        return
    formats = {light: styles.light(light) for light in sorted(set(lights.values()))}
    for text, light in lights.items():
        ws.conditional_format(
            first_row,
            col,
            last_row,
            col,
            {
                "type": "cell",
                "criteria": "equal to",
                "value": f'"{text}"',
                "format": formats[light],
            },
        )


# A4 landscape between the margins below, in points; what a sheet's columns may take at a
# print scale of 90 % (10-point text printed at 9 points, the least a reader should get).
PRINT_WIDTH_PT = (297 / 25.4 - 0.8) * 72
MIN_PRINT_SCALE = 0.9


def column_points(width: float) -> float:
    """Printed width of a column whose file width is ``width`` (what the sheet XML holds:
    XlsxWriter's width plus 5 pixels of padding, in 7-pixel digits; 96 pixels an inch)."""
    return math.trunc(width * 7 + 0.5) * 0.75


def page_setup(ws: Worksheet) -> None:
    """A4 landscape, one page wide, page numbers in the footer."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(FOOTER)
