"""Read a spreadsheet file into sheets as plain grids of cells.

Every grid starts at A1 (row 0 is Excel row 1, column 0 is column A) and is rectangular.
Values keep python-calamine's types (``float`` for xlsx numbers, ``int`` where xls stores
integers, ``str``, ``bool``, ``date``/``datetime``/``time``/``timedelta``); blank cells are
``None``. Merged ranges are filled with their top-left value (when it is not blank).

Facts about python-calamine 0.9 this module relies on (pinned by tests/test_read.py):

- ``to_python(skip_empty_area=False)`` pads the grid to A1; ``start``/``end`` give the used area.
- Blank cells and *error* cells (``#DIV/0!``) both come back as ``""``. For xlsx we recover the
  error text from the sheet XML and put it in the grid (``"#DIV/0!"``); for xls/ods an error
  cell stays blank. ``cell_formats`` asks openpyxl about a few xlsx cells (number format, error).
- ``merged_cell_ranges`` works for xlsx and xls, and is ``None`` for ods (no merges there).
- A far-away cell (XFD1048576) makes calamine allocate the dense range and abort the whole
  process, so for xlsx the sheet XML is scanned for the last filled cell *before* loading.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import python_calamine
from defusedxml import ElementTree

from pipeline.model import Issue

MAX_ROWS = 10_000
MAX_COLS = 500
MAX_SHEET_XML = 256 * 1024 * 1024  # uncompressed bytes of one xlsx sheet part
MAX_CSV_BYTES = 64 * 1024 * 1024
CALAMINE_FORMATS = frozenset({"xlsx", "xls", "ods", "xlsb"})

Merged = tuple[int, int, int, int]


@dataclass(frozen=True)
class Sheet:
    """One worksheet as a full grid from A1, merged ranges filled."""

    name: str
    hidden: bool
    rows: tuple[tuple[object, ...], ...]
    merged: tuple[Merged, ...] = ()  # (first_row, first_col, last_row, last_col), inclusive


@dataclass(frozen=True)
class Book:
    """The sheets of one file, plus file-level problems."""

    sheets: tuple[Sheet, ...]
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class CellInfo:
    """What openpyxl knows about one xlsx cell that calamine does not tell."""

    number_format: str
    error: str | None = None  # e.g. "#DIV/0!" for an error cell


def a1(row: int, col: int) -> str:
    """0-based (row, col) → A1 address: ``a1(6, 1) == "B7"``."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _unreadable(name: str, why: str = "可能已损坏") -> Book:
    msg = f"文件无法读取：{name}（{why}），请重新导出后报送"
    return Book(sheets=(), issues=(Issue("error", "E-FILE-UNREADABLE", msg, file=name),))


def _too_large(file: str, sheet: str, rows: int, cols: int) -> Issue:
    span = f"A1:{a1(rows - 1, cols - 1)}" if rows and cols else "数据量过大"
    msg = f"工作表“{sheet}”范围过大（{span}，上限 {MAX_ROWS} 行 × {MAX_COLS} 列），已跳过"
    return Issue("error", "E-FILE-TOO-LARGE", msg, file=file, sheet=sheet)


def read_book(path: str | Path, fmt: str) -> Book:
    """Read a file of sniffed format ``fmt`` into a :class:`Book`; never raises for bad files."""
    path = Path(path)
    try:
        if fmt == "encrypted":
            raise python_calamine.PasswordError(fmt)
        if fmt == "csv":
            return _read_csv(path)
        if fmt in CALAMINE_FORMATS:
            return _read_calamine(path, fmt)
        return _unreadable(path.name, f"不是可识别的表格文件，格式为 {fmt}")
    except python_calamine.PasswordError:
        msg = f"文件已设置打开密码：{path.name}，无法读取，请取消密码后重新报送"
        return Book(sheets=(), issues=(Issue("error", "E-FILE-ENCRYPTED", msg, file=path.name),))
    except Exception:  # any reader failure means a bad file, which is data, not a crash
        return _unreadable(path.name)


# --- xlsx / xls / ods via python-calamine -------------------------------------------------


def _read_calamine(path: Path, fmt: str) -> Book:
    scans = _scan_xlsx(path) if fmt == "xlsx" else {}
    with path.open("rb") as fh:  # by content: calamine's from_path trusts the extension
        wb = python_calamine.CalamineWorkbook.from_filelike(fh)
    sheets: list[Sheet] = []
    issues: list[Issue] = []
    for meta in wb.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue  # chart and dialog sheets hold no cells
        scan = scans.get(meta.name)
        if scan is not None and scan.too_large:
            issues.append(_too_large(path.name, meta.name, scan.rows, scan.cols))
            continue
        if fmt == "xlsx" and scan is None:
            raise ValueError(f"sheet part not found for {meta.name!r}")
        sh = wb.get_sheet_by_name(meta.name)
        end = sh.end
        if end is not None and (end[0] >= MAX_ROWS or end[1] >= MAX_COLS):
            issues.append(_too_large(path.name, meta.name, end[0] + 1, end[1] + 1))
            continue
        grid = _grid(sh.to_python(skip_empty_area=False), sh.start, end)
        for (r, c), err in (scan.errors if scan else {}).items():
            if r < len(grid) and c < len(grid[r]):
                grid[r][c] = err
        merged = tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in sh.merged_cell_ranges or ())
        _fill_merged(grid, merged)
        hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
        sheets.append(Sheet(meta.name, hidden, tuple(tuple(r) for r in grid), merged))
    return Book(tuple(sheets), tuple(issues))


def _grid(
    raw: Sequence[Sequence[object]], start: tuple[int, int] | None, end: tuple[int, int] | None
) -> list[list[object]]:
    """Rectangular grid from A1 with blanks as None, whether or not calamine padded it."""
    if not raw or end is None:
        return []
    width = end[1] + 1
    first = start or (0, 0)
    top = 0 if len(raw) == end[0] + 1 else first[0]
    left = 0 if len(raw[0]) == width else first[1]
    grid: list[list[object]] = [[None] * width for _ in range(top)]
    for raw_row in raw:
        row: list[object] = [None] * left + [None if v == "" else v for v in raw_row]
        grid.append(row + [None] * (width - len(row)))
    return grid


def _fill_merged(grid: list[list[object]], merged: Iterable[Merged]) -> None:
    """Copy each merged range's top-left value into the rest of the range (inside the grid)."""
    for r0, c0, r1, c1 in merged:
        if r0 >= len(grid) or c0 >= len(grid[r0]) or grid[r0][c0] is None:
            continue
        value = grid[r0][c0]
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, len(grid[r]) - 1) + 1):
                grid[r][c] = value


@dataclass(frozen=True)
class _Scan:
    rows: int  # grid size from A1 up to the last cell that holds something
    cols: int
    errors: dict[tuple[int, int], str]
    too_large: bool = False


_CELL = re.compile(rb'<(?:[\w.-]+:)?c\s[^>]*?\br="([A-Za-z]{1,3})(\d{1,7})"[^>]*?(/?)>')
_ERROR_CELL = re.compile(
    rb'<(?:[\w.-]+:)?c\s(?=[^>]*\bt="e")[^>]*?\br="([A-Za-z]{1,3})(\d{1,7})"[^>]*>'
    rb"(?:(?!</(?:[\w.-]+:)?c>).)*?<(?:[\w.-]+:)?v>([^<]*)</",
    re.DOTALL,
)


def _scan_xlsx(path: Path) -> dict[str, _Scan]:
    """Per sheet name: extent of the filled cells and error texts, read from the sheet XML."""
    out: dict[str, _Scan] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in _sheet_parts(zf).items():
            try:
                info = zf.getinfo(part)
            except KeyError:
                continue
            if info.file_size > MAX_SHEET_XML:
                out[name] = _Scan(0, 0, {}, too_large=True)
                continue
            out[name] = _scan_sheet_xml(zf.read(info))
    return out


def _scan_sheet_xml(xml: bytes) -> _Scan:
    rows = 0
    letters: set[bytes] = set()
    for m in _CELL.finditer(xml):
        if m.group(3):  # <c r="Z100" s="1"/>: formatting only, calamine ignores it
            continue
        rows = max(rows, int(m.group(2)))
        letters.add(m.group(1).upper())
    cols = max((_col_index(x.decode()) + 1 for x in letters), default=0)
    errors: dict[tuple[int, int], str] = {}
    if b't="e"' in xml:
        for m in _ERROR_CELL.finditer(xml):
            key = (int(m.group(2)) - 1, _col_index(m.group(1).decode()))
            errors[key] = m.group(3).decode("utf-8", "replace")
    return _Scan(rows, cols, errors, too_large=rows > MAX_ROWS or cols > MAX_COLS)


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip member of its XML, from workbook.xml and its relationships."""
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets: dict[str, str] = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id", "")] = posixpath.normpath(target)
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    parts: dict[str, str] = {}
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), "")
        if rid in targets:
            parts[el.get("name", "")] = targets[rid]
    return parts


# --- csv ----------------------------------------------------------------------------------


def _decode(data: bytes) -> str | None:
    """Text of a CSV file: UTF-16 (with BOM), UTF-8 (BOM or not), else GB18030; None if none."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(path: Path) -> Book:
    name = path.name
    if path.stat().st_size > MAX_CSV_BYTES:
        return Book(sheets=(), issues=(_too_large(name, path.stem, 0, 0),))
    text = _decode(path.read_bytes())
    if text is None:
        return _unreadable(name, "无法识别文字编码，请另存为 UTF-8 或 Excel 格式")
    try:
        delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(row)
        if len(rows) > MAX_ROWS or len(row) > MAX_COLS:
            width = max(len(r) for r in rows)
            return Book(sheets=(), issues=(_too_large(name, path.stem, len(rows), width),))
    while rows and not any(v.strip() for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    grid = tuple(
        tuple([v if v != "" else None for v in r] + [None] * (width - len(r))) for r in rows
    )
    return Book(sheets=(Sheet(path.stem, False, grid),))


# --- openpyxl second pass -----------------------------------------------------------------


def cell_formats(
    path: str | Path, fmt: str, sheet: str, cells: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], CellInfo]:
    """Number format and error text of a few xlsx cells (0-based); ``{}`` for other formats."""
    wanted = set(cells)
    if fmt != "xlsx" or not wanted:
        return {}
    import openpyxl

    r0, r1 = min(r for r, _ in wanted), max(r for r, _ in wanted)
    c0, c1 = min(c for _, c in wanted), max(c for _, c in wanted)
    out: dict[tuple[int, int], CellInfo] = {}
    try:
        with warnings.catch_warnings(), Path(path).open("rb") as fh:
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            try:
                ws = wb[sheet]
                bounds = {"min_row": r0 + 1, "max_row": r1 + 1, "min_col": c0 + 1}
                for r, row in enumerate(ws.iter_rows(**bounds, max_col=c1 + 1), start=r0):
                    for c, cell in enumerate(row, start=c0):
                        if (r, c) in wanted:
                            error = str(cell.value) if cell.data_type == "e" else None
                            out[(r, c)] = CellInfo(cell.number_format or "General", error)
            finally:
                wb.close()
    except Exception:  # a file openpyxl cannot read simply gives no extra facts
        return {}
    return out
