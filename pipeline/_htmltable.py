"""The first table of an HTML page, as a grid: what web systems export and name ``.xls``.

Parsed with the standard library's tolerant ``html.parser`` (no DTDs, no entity definitions,
nothing fetched; character references are decoded, nothing more). A cell's text has its
whitespace collapsed, ``<br>`` kept as a line break; ``rowspan``/``colspan`` give merged
ranges, which the caller fills like Excel's merged cells. A table inside a cell is read as
that cell's text. The grid is bounded before it is built.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

Merged = tuple[int, int, int, int]

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CHINESE = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "csgb2312", "euc-cn", "cp936", "936"}


class TableTooLarge(ValueError):
    """The table spans more rows or columns than allowed."""

    def __init__(self, rows: int, cols: int) -> None:
        super().__init__(f"{rows} × {cols}")
        self.rows = rows
        self.cols = cols


def decode_html(data: bytes) -> str:
    """Text of an HTML file: its BOM, else its ``<meta charset>``, else UTF-8, else GB18030."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(enc, "replace")
    m = _CHARSET.search(data[:8192])
    if m:
        name = m.group(1).decode("ascii").lower()
        name = "gb18030" if name in _CHINESE else name
        try:
            return data.decode(codecs.lookup(name).name, "replace")
        except LookupError:
            pass
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


@dataclass
class _Cell:
    rowspan: int
    colspan: int
    parts: list[str] = field(default_factory=list)


class _FirstTable(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # <table> nesting
        self.done = False
        self.found = False
        self.rows: list[list[_Cell]] = []
        self.cell: _Cell | None = None
        self.skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "table":
            self.depth += 1
            self.found = True
            if self.depth > 1 and self.cell is not None:
                self.cell.parts.append(" ")
        elif self.depth == 1 and tag == "tr":
            self._close_cell()
            self.rows.append([])
        elif self.depth == 1 and tag in ("td", "th"):
            self._close_cell()
            if not self.rows:
                self.rows.append([])
            span = dict(attrs)
            self.cell = _Cell(_span(span.get("rowspan"), 65534), _span(span.get("colspan"), 1000))
            self.rows[-1].append(self.cell)
        elif tag == "br" and self.cell is not None:
            self.cell.parts.append("\n")
        elif self.depth > 1 and tag in ("td", "th", "tr") and self.cell is not None:
            self.cell.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag == "table" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self._close_cell()
                self.done = True
        elif self.depth == 1 and tag in ("td", "th", "tr"):
            self._close_cell()

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.skip and not self.done:
            self.cell.parts.append(data)

    def _close_cell(self) -> None:
        self.cell = None


def _span(value: str | None, most: int) -> int:
    m = re.match(r"\s*(\d+)", value or "")
    n = int(m.group(1)) if m else 1
    return min(max(n, 1), most)  # 0 ("to the end") and junk count as 1, as browsers do


def _text(cell: _Cell) -> str | None:
    lines = "".join(cell.parts).split("\n")
    text = "\n".join(" ".join(line.split()) for line in lines).strip()
    return text or None


def first_table(
    html: str, max_rows: int, max_cols: int
) -> tuple[list[list[str | None]], list[Merged]] | None:
    """Grid and merged ranges of the first top-level ``<table>``; None when there is none."""
    parser = _FirstTable()
    parser.feed(html)
    parser.close()
    if not parser.found:
        return None
    taken: set[tuple[int, int]] = set()
    placed: list[tuple[int, int, _Cell]] = []
    merged: list[Merged] = []
    budget = max_rows * max_cols
    height = width = 0
    for r, row in enumerate(parser.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            r1, c1 = r + cell.rowspan - 1, c + cell.colspan - 1
            if r1 >= max_rows or c1 >= max_cols:
                raise TableTooLarge(max(r1 + 1, height), max(c1 + 1, width))
            budget -= cell.rowspan * cell.colspan
            if budget < 0:
                raise TableTooLarge(max(r1 + 1, height), max(c1 + 1, width))
            taken.update((i, j) for i in range(r, r1 + 1) for j in range(c, c1 + 1))
            placed.append((r, c, cell))
            if r1 > r or c1 > c:
                merged.append((r, c, r1, c1))
            height, width = max(height, r1 + 1), max(width, c1 + 1)
            c = c1 + 1
    grid: list[list[str | None]] = [[None] * width for _ in range(height)]
    for r, c, cell in placed:
        grid[r][c] = _text(cell)
    while grid and not any(grid[-1]):
        grid.pop()
    return grid, merged
