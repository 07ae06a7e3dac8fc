"""Read a spreadsheet file into sheets as plain grids of cells.

Every grid starts at A1 (row 0 is Excel row 1, column 0 is column A) and is rectangular.
Values keep python-calamine's types (``float`` for xlsx numbers, ``int`` where xls stores
integers, ``str``, ``bool``, ``date``/``datetime``/``time``/``timedelta``); blank cells are
``None``. Merged ranges are filled with their top-left value (when it is not blank).

Before any reader touches a workbook, ``_precheck.plan`` bounds the work it can cause (file
size, zip entries and inflated sizes, DTDs in XML, sheet extents, the xls records calamine
trusts). A file proven small is read here; one that cannot be proven is read by
``_sandbox`` in a memory-limited worker process, so a reader that aborts ends the worker, not
the run. A web page saved as ``.xls`` is read from its first ``<table>`` (``_htmltable``).

Facts about python-calamine 0.9 this module relies on (pinned by tests/test_read.py):

- ``to_python(skip_empty_area=False)`` pads the grid to A1; ``start``/``end`` give the used area.
- Blank cells and *error* cells (``#DIV/0!``) both come back as ``""``. For xlsx we recover the
  error text from the sheet XML and put it in the grid (``"#DIV/0!"``); for xls/ods an error
  cell stays blank. ``cell_formats`` asks openpyxl about a few xlsx cells (number format, error).
- ``merged_cell_ranges`` works for xlsx and xls, and is ``None`` for ods (no merges there).
- A far-away cell (XFD1048576) makes calamine allocate the dense range and abort the whole
  process; an xls is parsed whole (every sheet's dense range) when it is opened; a Rust panic
  surfaces as ``pyo3_runtime.PanicException``, which is a ``BaseException``.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from pipeline import _precheck
from pipeline._bounds import (
    IN_PROCESS_XML,
    MAX_BOOK_CELLS,
    MAX_COLS,
    MAX_COPIED,
    MAX_ROWS,
    MAX_ZIP_ENTRIES,
    TOO_LARGE,
    NeedsIsolation,
    Refused,
    Scan,
)
from pipeline._htmltable import TableTooLarge, decode_html, first_table
from pipeline._sandbox import read_isolated
from pipeline.model import Issue

MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_HTML_BYTES = 16 * 1024 * 1024
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


def failed(name: str, code: str, why: str) -> Book:
    """A book with no sheets and one file-level issue, in the office's words."""
    advice = {
        "E-FILE-ENCRYPTED": "无法读取，请取消密码后重新报送",
        "E-FILE-TOO-LARGE": "已跳过，请只保留报表内容后重新报送",
        "E-FILE-NOT-EXCEL": "不是 Excel 表格，请用报送模板填写后报送",
    }.get(code, "请重新导出后报送")
    label = {
        "E-FILE-ENCRYPTED": "文件已加密",
        "E-FILE-TOO-LARGE": "文件过大",
        "E-FILE-NOT-EXCEL": "不是Excel文件",
    }.get(code, "文件无法读取")
    msg = f"{label}：{name}（{why}），{advice}"
    return Book(sheets=(), issues=(Issue("error", code, msg, file=name),))


def _unreadable(name: str, why: str = "可能已损坏") -> Book:
    return failed(name, "E-FILE-UNREADABLE", why)


def _too_large(file: str, sheet: str, rows: int, cols: int) -> Issue:
    span = f"A1:{a1(rows - 1, cols - 1)}" if rows and cols else "数据量过大"
    msg = f"工作表“{sheet}”范围过大（{span}，上限 {MAX_ROWS} 行 × {MAX_COLS} 列），已跳过"
    return Issue("error", "E-FILE-TOO-LARGE", msg, file=file, sheet=sheet)


def _over_budget(file: str, sheet: str) -> Issue:
    msg = f"工作簿的单元格总数超过上限（{MAX_BOOK_CELLS} 个），工作表“{sheet}”已跳过"
    return Issue("error", "E-FILE-TOO-LARGE", msg, file=file, sheet=sheet)


def read_book(path: str | Path, fmt: str, data: bytes | None = None) -> Book:
    """Read a file of sniffed format ``fmt`` into a :class:`Book`; never raises for bad files.
    ``data``: its bytes when the caller has them (else they are read here).

    Workbooks are bounded first; the ones that cannot be are read in the sandbox process.
    """
    path = Path(path)
    if fmt not in CALAMINE_FORMATS:
        return read_in_process(path, fmt, data=data)
    try:
        data = _precheck.file_bytes(path) if data is None else data
        plan = _precheck.plan(path, fmt, data)
    except Refused as exc:
        return failed(path.name, exc.code, exc.why)
    except Exception:  # a container the checks cannot open is damaged
        return _unreadable(path.name)
    if plan.isolate:
        return read_isolated(path, fmt)
    try:
        return read_in_process(path, fmt, plan.scans, data, plan.largest)
    except NeedsIsolation:
        return read_isolated(path, fmt)


def read_in_process(
    path: Path,
    fmt: str,
    scans: dict[str, Scan] | None = None,
    data: bytes | None = None,
    largest: int = 0,
) -> Book:
    """Read here and now (the sandbox worker's entry too); reader failures become issues.
    ``data`` is the file's content when the caller has read it already; ``largest`` the
    plan's largest sheet part (NeedsIsolation when the sheets listed would parse it too
    often)."""
    try:
        if fmt == "encrypted":
            raise python_calamine.PasswordError(fmt)
        if fmt == "csv":
            return _read_csv(path, data)
        if fmt == "html":
            return _read_html(path, data)
        if fmt in CALAMINE_FORMATS:
            return _read_calamine(path, fmt, scans, data, largest)
        return _unreadable(path.name, f"不是可识别的表格文件，格式为 {fmt}")
    except python_calamine.PasswordError:
        msg = f"文件已设置打开密码：{path.name}，无法读取，请取消密码后重新报送"
        return Book(sheets=(), issues=(Issue("error", "E-FILE-ENCRYPTED", msg, file=path.name),))
    except Refused as exc:
        return failed(path.name, exc.code, exc.why)
    except MemoryError:
        return failed(path.name, "E-FILE-TOO-LARGE", "读取时内存不足")
    except (KeyboardInterrupt, SystemExit, GeneratorExit, NeedsIsolation):
        raise
    except BaseException:  # a reader failure, even a Rust panic, means a bad file
        return _unreadable(path.name)


# --- xlsx / xls / ods via python-calamine -------------------------------------------------


def _read_calamine(
    path: Path, fmt: str, scans: dict[str, Scan] | None, data: bytes | None, largest: int = 0
) -> Book:
    if scans is None:
        scans = _precheck.scan_xlsx(path) if fmt == "xlsx" else {}
    # by content: calamine's from_path trusts the extension
    if data is not None:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    else:
        with path.open("rb") as fh:
            wb = python_calamine.CalamineWorkbook.from_filelike(fh)
    sheets: list[Sheet] = []
    issues: list[Issue] = []
    budget = merging = MAX_BOOK_CELLS  # grid cells; cells merged ranges fill (the book's)
    if largest * len(wb.sheets_metadata) > MAX_COPIED:  # entries naming one part again and again
        raise NeedsIsolation(path.name)
    for meta in wb.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue  # chart and dialog sheets hold no cells
        scan = scans.get(meta.name)
        if scan is not None and scan.too_large:
            issues.append(_too_large(path.name, meta.name, scan.rows, scan.cols))
            continue
        if fmt == "xlsx" and scan is None:
            raise ValueError(f"sheet part not found for {meta.name!r}")
        if scan is not None and scan.rows * scan.cols > budget:
            issues.append(_over_budget(path.name, meta.name))
            continue
        sh = wb.get_sheet_by_name(meta.name)
        end = sh.end
        if end is not None and (end[0] >= MAX_ROWS or end[1] >= MAX_COLS):
            issues.append(_too_large(path.name, meta.name, end[0] + 1, end[1] + 1))
            continue
        if end is not None and (end[0] + 1) * (end[1] + 1) > budget:
            issues.append(_over_budget(path.name, meta.name))
            continue
        grid = _grid(sh.to_python(skip_empty_area=False), sh.start, end)
        budget -= len(grid) * (len(grid[0]) if grid else 0)
        for (r, c), err in (scan.errors if scan else {}).items():
            if r < len(grid) and c < len(grid[r]):
                grid[r][c] = err
        merged = tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in sh.merged_cell_ranges or ())
        merging -= _fill_merged(grid, merged, merging)
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


def _fill_merged(
    grid: list[list[object]], merged: Sequence[Merged], limit: int = MAX_BOOK_CELLS
) -> int:
    """Copy each merged range's top-left value into the rest of the range (inside the grid);
    return how many cells the ranges cover. Refused when that is more than ``limit`` (what
    is left of the book's MAX_BOOK_CELLS: a crafted sheet repeats one huge range)."""
    rows = len(grid)
    area = sum(
        (min(r1, rows - 1) - r0 + 1) * (min(c1, len(grid[r0]) - 1) - c0 + 1)
        for r0, c0, r1, c1 in merged
        if r0 < rows and c0 < len(grid[r0]) and r1 >= r0 and c1 >= c0
    )
    if area > limit:
        raise Refused(TOO_LARGE, f"合并单元格共覆盖 {area} 个单元格，超过上限 {MAX_BOOK_CELLS}")
    for r0, c0, r1, c1 in merged:
        if r0 >= len(grid) or c0 >= len(grid[r0]) or grid[r0][c0] is None:
            continue
        value = grid[r0][c0]
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, len(grid[r]) - 1) + 1):
                grid[r][c] = value
    return area


# --- html (a web page saved as .xls) --------------------------------------------------------

_HTML_READ = (
    "这是网页文件（网页另存为了 .xls），已按网页中的表格读取，请核对数值；"
    "以后请在 Excel 中“另存为 Excel 工作簿(.xlsx)”后报送"
)
_HTML_NO_TABLE = (
    "这是网页文件（另存为了 .xls），其中没有表格，不是 Excel 表格，"
    "请在 Excel 中“另存为 Excel 工作簿(.xlsx)”后报送"
)


def _read_html(path: Path, data: bytes | None = None) -> Book:
    name = path.name
    size = path.stat().st_size if data is None else len(data)
    if size > MAX_HTML_BYTES:
        return failed(name, "E-FILE-TOO-LARGE", f"网页文件超过 {MAX_HTML_BYTES // 1024 // 1024} MB")
    try:
        found = first_table(
            decode_html(path.read_bytes() if data is None else data), MAX_ROWS, MAX_COLS
        )
    except TableTooLarge as exc:
        return Book(sheets=(), issues=(_too_large(name, path.stem, exc.rows, exc.cols),))
    if found is None:
        issue = Issue("error", "E-FILE-NOT-EXCEL", _HTML_NO_TABLE, file=name)
        return Book(sheets=(), issues=(issue,))
    rows, merged = found
    if not rows:
        return _unreadable(name, "网页中的表格是空的")
    width = max(len(r) for r in rows)
    grid: list[list[object]] = [[*r, *[None] * (width - len(r))] for r in rows]
    _fill_merged(grid, merged)
    sheet = Sheet(path.stem, False, tuple(tuple(r) for r in grid), tuple(merged))
    return Book((sheet,), (Issue("warning", "W-FILE-HTML", _HTML_READ, file=name),))


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


def _read_csv(path: Path, data: bytes | None = None) -> Book:
    name = path.name
    if (path.stat().st_size if data is None else len(data)) > MAX_CSV_BYTES:
        return Book(sheets=(), issues=(_too_large(name, path.stem, 0, 0),))
    text = _decode(path.read_bytes() if data is None else data)
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


MAX_EAGER_PART = 4 * 1024 * 1024  # a part openpyxl parses whole (styles…) on each load


def _small_xml(path: Path) -> bool:
    """Whether the XML parts, as declared, fit the in-process budget (openpyxl's zipfile never
    inflates past a declared size, and openpyxl parses through defusedxml), and no part but
    a worksheet (streamed) is so big that each load would take seconds (a styles part of
    190,000 formats took 4 s and 400 MB)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    parts = [i for i in infos if i.filename.lower().endswith((".xml", ".rels"))]
    xml = sum(i.file_size for i in parts)
    eager = max((i.file_size for i in parts if "worksheets/" not in i.filename.lower()), default=0)
    return len(infos) <= MAX_ZIP_ENTRIES and xml <= IN_PROCESS_XML and eager <= MAX_EAGER_PART


def cell_formats(
    path: str | Path, fmt: str, sheet: str, cells: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], CellInfo]:
    """Number format and error text of a few xlsx cells (0-based); ``{}`` for other formats,
    and for a workbook too big to hand openpyxl in this process (it was read in the sandbox)."""
    wanted = set(cells)
    if fmt != "xlsx" or not wanted or not _small_xml(Path(path)):
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
