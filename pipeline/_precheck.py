"""Bound the work a file can cause *before* any native reader touches it.

:func:`plan` looks at a workbook's container without parsing its content and answers one of:

- :class:`Refused` (raised): the file gets one file-level issue and is not read at all —
  too large, a zip bomb, XML with a DTD (entity expansion, external entities), encrypted;
- ``Plan(isolate=False)``: proven small and bounded, read in-process (the common case, fast);
- ``Plan(isolate=True)``: cannot be bounded here (ods, xlsb, an xls or xlsx this module cannot
  follow, a big one), so it is read in a memory-limited worker process (``_sandbox``).

Proof for xlsx: the container is checked (``_zipcheck``), every XML part is inflated under a
byte budget (so a size the zip directory understates is caught) and checked for
``<!DOCTYPE``/``<!ENTITY``, and each sheet's filled extent is found from its cell addresses
(here). Proof for xls: the OLE2 container and its BIFF records are followed strictly
(``_biff``). The limits are in ``_bounds``.
"""

from __future__ import annotations

import functools
import io
import operator
import posixpath
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

from pipeline._biff import plan_xls
from pipeline._bounds import (
    IN_PROCESS_XLS,
    IN_PROCESS_XML,
    MAX_COLS,
    MAX_COPIED,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_SHEET_XML,
    TOO_LARGE,
    UNREADABLE,
    Plan,
    Refused,
    Scan,
)
from pipeline._bounds import size_text as _mb
from pipeline._zipcheck import (
    Entry,
    check_spans,
    check_xml,
    check_zip,
    inflate_raw,
    member_raw,
    zip_entries,
)


def file_bytes(path: Path) -> bytes:
    """The whole file, refused unread when it is over :data:`MAX_FILE_BYTES`."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Refused(TOO_LARGE, f"文件大小 {_mb(size)}，超过上限 {_mb(MAX_FILE_BYTES)}")
    return path.read_bytes()


def plan(path: Path, fmt: str, data: bytes | None = None) -> Plan:
    """How to read ``path`` of sniffed format ``fmt`` (see module docstring); ``data`` is the
    file's bytes when the caller has already read them with :func:`file_bytes`."""
    if data is None:
        data = file_bytes(path)
    if fmt in ("xlsx", "ods", "xlsb"):
        fh = io.BytesIO(data)
        entries = zip_entries(fh)  # a plain zip (the common case) without zipfile's cost
        if entries is None:  # zipfile's view, to refuse what is too large or broken…
            with zipfile.ZipFile(fh) as zf:
                check_zip([Entry.of(info) for info in zf.infolist()], len(data))
            # …but another reader may see other members: not read in this process
            return Plan(True, f"{fmt}: 压缩结构不常见，无法预先确定")
        check_zip(entries, len(data))
        check_spans(data, entries)
        if fmt != "xlsx":
            return Plan(True, f"{fmt}: 结构无法预先确定")
        return _plan_xlsx(data, entries)
    if fmt == "xls":
        if len(data) > IN_PROCESS_XLS:
            return Plan(True, f"xls: 文件较大（{_mb(len(data))}），不在本进程中检查")
        return plan_xls(data)
    return Plan(False)


def _plan_xlsx(zipped: bytes, entries: list[Entry]) -> Plan:
    if any(e.renamed for e in entries):  # checked under one name, read under another?
        return Plan(True, "xlsx: 压缩包部件另有名称（Unicode 路径字段），无法预先检查")
    budget = IN_PROCESS_XML
    parts: dict[str, bytes] = {}
    seen: dict[str, _Part] = {}
    plain = True
    for info in entries:  # every member: a relationship may make any of them a sheet
        if info.file_size > budget or info.compress_type not in (zipfile.ZIP_STORED, 8):
            return Plan(True, f"xlsx: 部件 {info.filename} 过大，无法预先检查")
        part = _part(member_raw(zipped, info), info)
        budget -= len(part.data)
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            plain = part.utf8(info.filename) and plain
        parts[info.filename], seen[info.filename] = part.data, part
    if not plain:
        return Plan(True, "xlsx: XML 不是 UTF-8 编码")
    # Whichever part the reader takes for whichever sheet (readers resolve names, ids and
    # paths differently in crafted files), none may hold a cell that cannot be placed or
    # lies beyond the limits: then what the reader allocates is bounded whatever it picks.
    bounds: dict[str, Scan] = {}
    for name, part in seen.items():
        bound = part.scan()
        if bound is None:
            return Plan(True, f"xlsx: 部件 {name} 有无法确定位置的单元格")
        if bound.too_large:
            return Plan(True, f"xlsx: 部件 {name} 超出 {MAX_ROWS} 行或 {MAX_COLS} 列")
        bounds[name] = bound
    if (why := _amplified(parts, bounds)) is not None:
        return Plan(True, f"xlsx: {why}")
    try:
        sheets = sheet_parts(parts)
    except Refused:
        raise
    except Exception as exc:  # malformed workbook.xml: let calamine say what it is, isolated
        return Plan(True, f"xlsx: 工作簿结构无法解析（{type(exc).__name__}）")
    scans = {name: bounds[part] for name, part in sheets.items() if part in bounds}
    largest = max(map(len, parts.values()), default=0)  # any part an entry may name
    return Plan(False, scans=scans, largest=largest)


class _Part:
    """One inflated part and what the checks found in it, found once (see :func:`_part`)."""

    __slots__ = ("_scan", "_scanned", "_utf8", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._utf8: bool | None = None
        self._scanned = False
        self._scan: Scan | None = None

    def utf8(self, name: str) -> bool:
        """:func:`check_xml`'s answer (a DTD raises, every time: only answers are kept)."""
        if self._utf8 is None:
            self._utf8 = check_xml(name, self.data)
        return self._utf8

    def scan(self) -> Scan | None:
        """:func:`scan_sheet_xml`'s answer (its ``errors`` are shared: read them only); one
        listing error cells is not kept (their texts could outweigh the part)."""
        if self._scanned:
            return self._scan
        scan = scan_sheet_xml(self.data)
        self._scan, self._scanned = scan, scan is None or not scan.errors
        return scan


MAX_SEEN_PART = 64 * 1024  # parts remembered are at most this large, stored and inflated…
MAX_SEEN = 256  # …and at most this many (then forgotten all at once): 32 MB in all
_SEEN: dict[tuple[int, int, int, bytes], _Part] = {}


def _part(raw: bytes, info: Entry) -> _Part:
    """The part stored as ``raw``, inflated and checked once per process: a theme, the
    content types, the styles of one writer or template come byte for byte the same in
    file after file. Remembered by the stored bytes with the size and CRC the directory
    declares, so a part is only ever taken for one that inflated, and passed the same
    checks, from the very same bytes."""
    # both sizes: a few bytes may be stored padded to megabytes (empty deflate blocks)
    if info.file_size > MAX_SEEN_PART or len(raw) > MAX_SEEN_PART:
        return _Part(inflate_raw(raw, info))
    key = (info.compress_type, info.file_size, info.CRC, raw)
    part = _SEEN.get(key)
    if part is None:
        part = _Part(inflate_raw(raw, info))
        if len(_SEEN) >= MAX_SEEN:
            _SEEN.clear()
        _SEEN[key] = part
    return part


# an element's local name, then what may follow it; the byte before must be "<" or ":"
_SI_NAME = re.compile(rb"si[ \t\r\n/>]")


def _amplified(parts: dict[str, bytes], bounds: dict[str, Scan]) -> str | None:
    """Why reading the parts could copy far more than their size, or None: a cell refers to
    a shared string, which the reader copies for every cell (500 cells × one 2 MB string are
    1 GB). Bounded from above: every cell tag × the largest part holding strings. (Sheet
    entries naming one large part again and again are counted when the reader lists them:
    _read_calamine.)"""
    # every cell tag begins "<c" or "…:c" (an upper bound: "<col" counts too)
    cells = sum(parts[n].count(b"<c") + parts[n].count(b":c") for n, b in bounds.items() if b.rows)
    if cells * max(map(len, parts.values()), default=0) <= MAX_COPIED:
        return None  # even if the largest part were one string (the common case: no search)
    # a shared string may be as long as its whole part (nested <si> are joined, text may look
    # like a start): bounded by the size of every part holding one
    longest = max((len(data) for data in parts.values() if _starts(data, _SI_NAME)), default=0)
    if cells * longest > MAX_COPIED:
        return f"{cells} 个单元格引用的共享字符串过长（最长 {_mb(longest)}）"
    return None


def _starts(data: bytes, name: re.Pattern[bytes]) -> list[int]:
    """Where elements of a local name start (an upper bound: text in a comment counts too)."""
    return [m.start() for m in name.finditer(data) if m.start() and data[m.start() - 1] in b"<:"]


def scan_xlsx(path: Path) -> dict[str, Scan]:
    """The scans of every sheet, read with the zip directory's sizes (in the sandbox)."""
    out: dict[str, Scan] = {}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        small: dict[str, bytes] = {
            n: zf.read(n)
            for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
            if n in names and zf.getinfo(n).file_size <= IN_PROCESS_XML
        }
        for n, data in small.items():
            check_xml(n, data)
        for name, part in sheet_parts(small).items():
            if part not in names:
                continue
            info = zf.getinfo(part)
            if info.file_size > MAX_SHEET_XML:
                out[name] = Scan(0, 0, {}, too_large=True)
                continue
            data = zf.read(info)
            check_xml(part, data)
            out[name] = scan_sheet_xml(data) or Scan(0, 0, {})
    return out


# A start tag whose local name is c, as an XML reader splits names: any prefix up to the
# first ":" (even "a/b"); not an end tag, comment or processing instruction.
_CELL_START = re.compile(rb"<(?![/!?])(?:[^\s>:]*:)?c(?=[\s/>])")
# The one cell tag the exact scan reads: no prefix or a plain one (x:c), plain attribute
# names without a prefix (the reader takes only an attribute named exactly "r"), quoted
# values without "<".
_STRICT_CELL = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?c((?:[ \t\r\n]+[A-Za-z_][\w.-]*[ \t\r\n]*=[ \t\r\n]*"""
    rb"""(?:"[^"<]*"|'[^'<]*'))*)[ \t\r\n]*(/?)>"""
)
_ATTRIBUTE = re.compile(rb"""([A-Za-z_][\w.-]*)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')""")
# A tag whose name is not a plain XML name followed by XML whitespace, "/>" or ">": the
# reader splits such names its own way (quotes, \x0b, a/b:c…), so a cell could hide in one.
# An XML reader names a tag up to the first space, tab or line break, "/>" or ">": any tag
# it calls c (prefixed or not) holds one of these; a part without them has no cells.
_BARE_C = re.compile(rb"<c[ \t\r\n/>]")
_PREFIXED_C = re.compile(rb":c[ \t\r\n/>]")
_ODD_TAG = re.compile(rb"<(?:[^A-Za-z_/!?]|[A-Za-z_][\w.:-]*(?:[^\w.:\- \t\r\n/>]|/(?!>)))")
_ADDRESS = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")
# The tag Excel, WPS, LibreOffice and the Python writers save: r first, then plain attributes
# none of which is another r (a reader takes the last r of a tag).
_PLAIN_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: (?!(?:[\w.-]+:)?r=)[\w.:-]+="[^"<>&]*")*/?>'
)
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)</")
_ODD_CELL = re.compile(rb"<c[^ \w.:-]")  # <c>, <c/>, <c\tr=…: a cell tag not "<c "
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # <x:c …>, <:c …>, maybe (or text like it)
_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)
QUICK_CELLS = 100_000  # an extent this small needs no exact scan (see _quick_extent)


def _quick_extent(xml: bytes) -> tuple[int, int] | None:
    """The extent of *every* addressed cell, formatting-only ones too, when each cell tag is
    a plain one (``_PLAIN_CELL``): an upper bound of what calamine fills, never less. With
    no odd or prefixed start, every cell tag begins "<c ", so the counts must agree. None —
    scan exactly — when any cell tag is written otherwise, or the bound is not small (then
    the formatting-only cells the exact scan leaves out matter)."""
    cells = _PLAIN_CELL.findall(xml)
    if len(cells) != xml.count(b"<c ") or _ODD_CELL.search(xml) or _PREFIXED_CELL.search(xml):
        return None
    if not cells:
        return 0, 0
    rows = max(map(int, set(map(_SECOND, cells))))  # a row's cells share its digits
    cols = max(col_index(x.decode()) for x in set(map(_FIRST, cells))) + 1
    small = rows <= MAX_ROWS and cols <= MAX_COLS and rows * cols <= QUICK_CELLS
    return (rows, cols) if small else None  # else formatting may reach far: count exactly


def _exact_extent(xml: bytes) -> tuple[int, int] | None:
    """The extent of the cells holding something (a self-closing tag is formatting only:
    calamine skips it), read tag by tag; None when any cell start tag is not a strict one
    (prefixed, an attribute name with a prefix or odd characters, a value holding "<"), has
    no or more than one r, or an odd address — then the reader might place it elsewhere."""
    tags = _STRICT_CELL.findall(xml)
    if len(tags) != len(_CELL_START.findall(xml)):
        return None
    rows = cols = 0
    for attributes, closed in tags:
        found = [
            double or single
            for name, double, single in _ATTRIBUTE.findall(attributes)
            if name == b"r"
        ]
        if len(found) != 1 or not (address := _ADDRESS.fullmatch(found[0])):
            return None  # placed by counting, or not where this scan would say
        if closed:
            continue
        rows = max(rows, int(address[2]))
        cols = max(cols, col_index(address[1].decode()) + 1)
    return rows, cols


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def scan_sheet_xml(xml: bytes) -> Scan | None:
    """Extent of the filled cells and error texts; None when a cell cannot be placed for
    sure from its own address (then the sheet is read in the isolated worker)."""
    if not (_BARE_C.search(xml) or _PREFIXED_C.search(xml)):  # styles, themes…: no cells
        return Scan(0, 0, {})
    if _ODD_TAG.search(xml):  # a name the reader may split otherwise: not placed for sure
        return None
    extent = _quick_extent(xml) or _exact_extent(xml)
    if extent is None:
        return None
    rows, cols = extent
    errors = _error_texts(xml) if b't="e"' in xml or b"t='e'" in xml else {}
    return Scan(rows, cols, errors, too_large=rows > MAX_ROWS or cols > MAX_COLS)


def _error_texts(xml: bytes) -> dict[tuple[int, int], str]:
    """(row, col) → the text of each error cell (#N/A, #REF!…), looked for between its tag
    and the next cell's (every cell tag is a strict one by now): one pass over the part."""
    out: dict[tuple[int, int], str] = {}
    tags = list(_STRICT_CELL.finditer(xml))
    for i, tag in enumerate(tags):
        if tag.group(2):  # self-closing: no value
            continue
        found = {name: double or single for name, double, single in _ATTRIBUTE.findall(tag[1])}
        address = _ADDRESS.fullmatch(found.get(b"r", b""))
        if found.get(b"t") != b"e" or not address:
            continue
        end = tags[i + 1].start() if i + 1 < len(tags) else len(xml)
        value = _VALUE.search(xml, tag.end(), end)
        if value:
            key = (int(address[2]) - 1, col_index(address[1].decode()))
            out[key] = value[1].decode("utf-8", "replace")
    return out


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name → zip member of its XML, from workbook.xml and its relationships (a
    template's two parts come the same in file after file: read once)."""
    rels, workbook = parts["xl/_rels/workbook.xml.rels"], parts["xl/workbook.xml"]
    small = len(rels) + len(workbook) <= MAX_SEEN_PART  # only small ones are remembered
    return dict((_sheet_parts if small else _sheet_parts.__wrapped__)(rels, workbook))


@functools.lru_cache(maxsize=64)
def _sheet_parts(rels: bytes, workbook: bytes) -> tuple[tuple[str, str], ...]:
    targets: dict[str, str] = {}
    # the root's children: one Relationship each
    for _, _, attrs in _elements(rels, lambda d, _: d == 1):
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[attrs.get("Id", "")] = posixpath.normpath(target)
    out: dict[str, str] = {}
    for _, _, attrs in _elements(workbook, lambda _, name: name == "sheet"):
        rid = next((v for k, v in attrs.items() if k.rsplit("}", 1)[-1] == "id"), "")
        if rid in targets:
            out[attrs.get("name", "")] = targets[rid]
    return tuple(out.items())


MAX_STRUCTURE_ELEMENTS = 100_000  # a workbook.xml lists sheets and names: hundreds at most


def _elements(
    xml: bytes, keep: Callable[[int, str], bool]
) -> list[tuple[int, str, dict[str, str]]]:
    """(depth, local name, attributes) of the elements ``keep(depth, name)`` wants, by expat
    straight (a tree builder costs more than these small parts are worth). A DTD is refused
    the moment it starts, so no entity is ever declared, let alone expanded or fetched; more
    than MAX_STRUCTURE_ELEMENTS elements is no workbook structure (ValueError)."""
    found: list[tuple[int, str, dict[str, str]]] = []
    depth = seen = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, seen
        seen += 1
        if seen > MAX_STRUCTURE_ELEMENTS:
            raise ValueError("too many elements for a workbook structure part")
        local = name.rsplit("}", 1)[-1]
        if keep(depth, local):
            found.append((depth, local, attrs))
        depth += 1

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    def dtd(*args: object) -> None:
        raise Refused(UNREADABLE, "工作簿结构部件含有 DTD/实体定义（不安全的 XML）")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.Parse(xml, True)
    return found
