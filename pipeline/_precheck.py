"""Bound the work a file can cause *before* any native reader touches it.

:func:`plan` looks at a workbook's container without parsing its content and answers one of:

- :class:`Refused` (raised): the file gets one file-level issue and is not read at all —
  too large, a zip bomb, XML with a DTD (entity expansion, external entities), encrypted;
- ``Plan(isolate=False)``: proven small and bounded, read in-process (the common case, fast);
- ``Plan(isolate=True)``: cannot be bounded here (ods, xlsb, an xls or xlsx this module cannot
  follow, a big one), so it is read in a memory-limited worker process (``_sandbox``).

Proof for xlsx: every XML part is inflated here under a byte budget (so a size the zip directory
understates is caught), checked for ``<!DOCTYPE``/``<!ENTITY``, and each sheet's filled extent
is found from its cell addresses. Proof for xls: the OLE2 container is followed strictly
(``_cfb``) and the BIFF records are walked for every cell address and size field calamine
would act on — calamine builds every sheet's dense range when it opens an xls, and sizes some
buffers from the file's own fields, which can abort the whole process.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from pipeline._cfb import CfbError, Compound

MAX_ROWS = 10_000
MAX_COLS = 500
MAX_BOOK_CELLS = MAX_ROWS * MAX_COLS  # grid cells over all the sheets read from one file
MAX_FILE_BYTES = 100 * 1024 * 1024  # a progress report is kilobytes; photos make megabytes
MAX_ZIP_ENTRIES = 10_000
MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024  # bytes of zip directory zipfile would parse
MAX_UNZIPPED = 1024 * 1024 * 1024  # all members together, as the zip directory declares
MAX_RATIO = 500  # uncompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_SHEET_XML = 256 * 1024 * 1024  # one xlsx sheet part, uncompressed
IN_PROCESS_XML = 32 * 1024 * 1024  # XML inflated and checked here; more goes to the sandbox
IN_PROCESS_XLS = 8 * 1024 * 1024  # xls walked record by record here; bigger goes to the sandbox

TOO_LARGE = "E-FILE-TOO-LARGE"
UNREADABLE = "E-FILE-UNREADABLE"
ENCRYPTED = "E-FILE-ENCRYPTED"


class Refused(Exception):
    """The file is not to be read; ``code`` and ``why`` make its file-level issue."""

    def __init__(self, code: str, why: str) -> None:
        super().__init__(why)
        self.code = code
        self.why = why


@dataclass(frozen=True)
class Scan:
    """One xlsx sheet part: grid size from A1 to the last cell holding something."""

    rows: int
    cols: int
    errors: dict[tuple[int, int], str]
    too_large: bool = False


@dataclass(frozen=True)
class Plan:
    isolate: bool
    reason: str = ""
    scans: dict[str, Scan] = field(default_factory=dict)  # xlsx sheet name → scan


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
        check_zip_directory(fh)
        with zipfile.ZipFile(fh) as zf:
            _check_zip(zf)
            if fmt != "xlsx":
                return Plan(True, f"{fmt}: 结构无法预先确定")
            return _plan_xlsx(fh, zf)
    if fmt == "xls":
        if len(data) > IN_PROCESS_XLS:
            return Plan(True, f"xls: 文件较大（{_mb(len(data))}），不在本进程中检查")
        return _plan_xls(data)
    return Plan(False)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


# --- zip containers -------------------------------------------------------------------------


def _end_record(fh: BinaryIO) -> tuple[int, int, int] | None:
    """(entries, central directory size, its offset) from a zip's end records, as zipfile
    reads them; None when there is no end record."""
    size = fh.seek(0, io.SEEK_END)
    fh.seek(max(0, size - 65536 - 22))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    entries, cd_size, cd_offset = struct.unpack_from("<HII", tail, at + 10)
    locator = tail[at - 20 : at] if at >= 20 else b""
    if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and locator[:4] == b"PK\x06\x07":
        where = struct.unpack_from("<Q", locator, 8)[0]
        if where + 56 > size:
            return None  # points outside the file: damaged (zipfile will say so)
        fh.seek(where)
        record = fh.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries, cd_size, cd_offset = struct.unpack_from("<QQQ", record, 32)
    return entries, cd_size, cd_offset


def check_zip_directory(fh: BinaryIO) -> None:
    """Refuse a zip whose central directory is too big *before* ``zipfile`` builds an object
    per entry (a 100 MB file can list millions). Read from the end record, as zipfile does."""
    _checked_end_record(fh)


def _checked_end_record(fh: BinaryIO) -> tuple[int, int, int] | None:
    found = _end_record(fh)
    if found is None:
        return None  # not a zip after all: zipfile will say so
    entries, cd_size, _ = found
    if entries > MAX_ZIP_ENTRIES or cd_size > MAX_CENTRAL_DIRECTORY:
        why = f"压缩包内有 {entries} 个部件（目录 {_mb(cd_size)}），超过上限 {MAX_ZIP_ENTRIES}"
        raise Refused(TOO_LARGE, why)
    return found


def zip_names(fh: BinaryIO) -> set[str] | None:
    """The member names of a zip, read straight from its central directory (for sniffing:
    cheaper than ``zipfile``); None when the directory is not where its end record says (a
    prefixed or damaged zip: let ``zipfile`` judge). Refuses a directory too big to list."""
    found = _checked_end_record(fh)
    if found is None:
        return None
    entries, cd_size, cd_offset = found
    if cd_offset + cd_size > fh.seek(0, io.SEEK_END):
        return None  # not where the end record says (a prefixed or damaged zip)
    fh.seek(cd_offset)
    cd = fh.read(cd_size)
    names: set[str] = set()
    pos = 0
    for _ in range(entries):
        if cd[pos : pos + 4] != b"PK\x01\x02" or pos + 46 > len(cd):
            return None
        flags = struct.unpack_from("<H", cd, pos + 8)[0]
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", cd, pos + 28)
        raw = cd[pos + 46 : pos + 46 + name_len]
        names.add(raw.decode("utf-8" if flags & 0x800 else "cp437", "replace"))
        pos += 46 + name_len + extra_len + comment_len
    return names if pos == len(cd) else None


def _check_zip(zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(TOO_LARGE, f"压缩包内有 {len(infos)} 个部件，超过上限 {MAX_ZIP_ENTRIES}")
    names = [i.filename.lower() for i in infos]
    if len(set(names)) != len(names):  # which copy would a reader take? refuse to guess
        raise Refused(UNREADABLE, "压缩包内有重名部件（已损坏或被篡改）")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise Refused(
            TOO_LARGE, f"解压后共 {_mb(total)}，超过上限 {_mb(MAX_UNZIPPED)}，疑似压缩炸弹"
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Refused(
                TOO_LARGE,
                f"部件 {info.filename} 压缩比异常（{_mb(info.compress_size)} 解压为 "
                f"{_mb(info.file_size)}），疑似压缩炸弹",
            )
        if info.flag_bits & 0x1:
            raise Refused(UNREADABLE, "压缩包部件被加密")


def inflate(fh: BinaryIO, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """A member's bytes, inflated from its raw data with the output capped at its declared size.

    ``None`` when this cannot be checked here (another compression method, over ``limit``).
    Raises :class:`Refused` when the data inflates to more or less than the zip directory says
    — the trick that lets a small "declared" member expand without bound in a reader that
    trusts the directory — or fails its CRC.
    """
    if info.file_size > limit or info.compress_type not in (zipfile.ZIP_STORED, 8):
        return None
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise Refused(UNREADABLE, "压缩结构损坏")
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fh.read(info.compress_size)
    if len(raw) < info.compress_size:
        raise Refused(UNREADABLE, "文件不完整（可能传输中断）")
    if info.compress_type == zipfile.ZIP_STORED:
        data, ended = raw, True
    else:
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(raw, info.file_size + 1)
        except zlib.error as exc:
            raise Refused(UNREADABLE, "压缩数据损坏") from exc
        ended = inflater.eof
    if len(data) != info.file_size or not ended:
        raise Refused(UNREADABLE, f"部件 {info.filename} 的实际大小与声明不符（已损坏或被篡改）")
    if zlib.crc32(data) != info.CRC:
        raise Refused(UNREADABLE, f"部件 {info.filename} 校验失败（已损坏）")
    return data


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def check_xml(name: str, data: bytes) -> bool:
    """Raise for a DTD (no OOXML part has one); False when the part is not UTF-8 XML."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\0" in data[:4]:  # UTF-16, BOM or not
        text = data.decode("utf-16", "replace").encode("utf-8", "replace")
        if _DTD.search(text):
            raise Refused(UNREADABLE, f"部件 {name} 含有 DTD/实体定义（不安全的 XML）")
        return False
    if _DTD.search(data):
        raise Refused(UNREADABLE, f"部件 {name} 含有 DTD/实体定义（不安全的 XML）")
    return True


def _plan_xlsx(fh: BinaryIO, zf: zipfile.ZipFile) -> Plan:
    budget = IN_PROCESS_XML
    parts: dict[str, bytes] = {}
    plain = True
    for info in zf.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        data = inflate(fh, info, budget)
        if data is None:
            return Plan(True, f"xlsx: 部件 {info.filename} 过大，无法预先检查")
        budget -= len(data)
        plain = check_xml(info.filename, data) and plain
        parts[info.filename] = data
    if not plain:
        return Plan(True, "xlsx: XML 不是 UTF-8 编码")
    try:
        sheets = sheet_parts(parts)
    except Refused:
        raise
    except Exception as exc:  # malformed workbook.xml: let calamine say what it is, isolated
        return Plan(True, f"xlsx: 工作簿结构无法解析（{type(exc).__name__}）")
    scans: dict[str, Scan] = {}
    for name, part in sheets.items():
        if part not in parts:
            continue
        scan = scan_sheet_xml(parts[part])
        if scan is None:
            return Plan(True, f"xlsx: 工作表“{name}”有不带地址的单元格")
        scans[name] = scan
    return Plan(False, scans=scans)


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


_CELL = re.compile(rb'<(?:[\w.-]+:)?c\s[^>]*?\br="([A-Za-z]{1,3})(\d{1,7})"[^>]*?(/?)>')
_ANY_CELL = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_ERROR_CELL = re.compile(
    rb'<(?:[\w.-]+:)?c\s(?=[^>]*\bt="e")[^>]*?\br="([A-Za-z]{1,3})(\d{1,7})"[^>]*>'
    rb"(?:(?!</(?:[\w.-]+:)?c>).)*?<(?:[\w.-]+:)?v>([^<]*)</",
    re.DOTALL,
)


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def scan_sheet_xml(xml: bytes) -> Scan | None:
    """Extent of the filled cells and error texts; None when a cell has no address."""
    cells = _CELL.findall(xml)  # (column letters, row digits, "/" when self-closing)
    if len(cells) != len(_ANY_CELL.findall(xml)):
        return None  # calamine would place such cells by counting: not bounded by this scan
    filled = [(letters, digits) for letters, digits, empty in cells if not empty]
    # a self-closing <c r="Z100" s="1"/> is formatting only: calamine ignores it
    rows = max((int(digits) for _, digits in filled), default=0)
    letters = {x.upper() for x, _ in filled}
    cols = max((col_index(x.decode()) + 1 for x in letters), default=0)
    errors: dict[tuple[int, int], str] = {}
    if b't="e"' in xml:
        for m in _ERROR_CELL.finditer(xml):
            key = (int(m.group(2)) - 1, col_index(m.group(1).decode()))
            errors[key] = m.group(3).decode("utf-8", "replace")
    return Scan(rows, cols, errors, too_large=rows > MAX_ROWS or cols > MAX_COLS)


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name → zip member of its XML, from workbook.xml and its relationships."""
    targets: dict[str, str] = {}
    for depth, _, attrs in _elements(parts["xl/_rels/workbook.xml.rels"]):
        if depth == 1:  # the root's children: one Relationship each
            target = attrs.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[attrs.get("Id", "")] = posixpath.normpath(target)
    out: dict[str, str] = {}
    for _, local, attrs in _elements(parts["xl/workbook.xml"]):
        if local != "sheet":
            continue
        rid = next((v for k, v in attrs.items() if k.rsplit("}", 1)[-1] == "id"), "")
        if rid in targets:
            out[attrs.get("name", "")] = targets[rid]
    return out


def _elements(xml: bytes) -> list[tuple[int, str, dict[str, str]]]:
    """(depth, local name, attributes) of every element, by expat straight (a tree builder
    costs more than these small parts are worth). A DTD is refused the moment it starts, so
    no entity is ever declared, let alone expanded or fetched."""
    found: list[tuple[int, str, dict[str, str]]] = []
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        found.append((depth, name.rsplit("}", 1)[-1], attrs))
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


# --- xls (BIFF in OLE2) -----------------------------------------------------------------------

_EOF, _BOF, _FILEPASS, _BOUNDSHEET, _SST, _DIMENSIONS, _MULRK = (
    0x000A, 0x0809, 0x002F, 0x0085, 0x00FC, 0x0200, 0x00BD,
)  # fmt: skip
# records calamine turns into a cell: Number, Label, BoolErr, Rk, LabelSst, Formula, RString
_CELL_RECORDS = frozenset({0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006, 0x00D6})


def _records(stream: memoryview, pos: int) -> Iterator[tuple[int, memoryview]]:
    """The records from ``pos`` up to and including the next EOF (ValueError if cut off)."""
    while pos < len(stream):
        if pos + 4 > len(stream):
            raise ValueError("record header cut off")
        typ, length = struct.unpack_from("<HH", stream, pos)
        data = stream[pos + 4 : pos + 4 + length]
        if len(data) < length:
            raise ValueError("record cut off")
        yield typ, data
        pos += 4 + length
        if typ == _EOF:
            return


def _plan_xls(data: bytes) -> Plan:
    try:
        cfb = Compound(data)
        names = cfb.names()
        stream_name = "Workbook" if "Workbook" in names else "Book"
        stream = cfb.stream(stream_name, MAX_FILE_BYTES)
        return _walk_biff(memoryview(stream))
    except (CfbError, KeyError, ValueError, struct.error, IndexError) as exc:
        return Plan(True, f"xls: 结构无法预先确定（{exc}）")


def _walk_biff(stream: memoryview) -> Plan:
    offsets: list[int] = []
    for n, (typ, data) in enumerate(_records(stream, 0)):
        if n == 0 and typ != _BOF:
            return Plan(True, "xls: 没有 BOF 记录")
        if typ == _FILEPASS and bytes(data[:2]) != b"\0\0":
            raise Refused(ENCRYPTED, "文件已设置打开密码")
        if typ == _BOUNDSHEET:
            offsets.append(struct.unpack_from("<I", data)[0])
        if typ == _SST and struct.unpack_from("<i", data, 4)[0] not in range(len(stream) + 1):
            return Plan(True, "xls: 共享字符串表的条目数异常")
    cells = 0
    for offset in offsets:
        if offset >= len(stream):
            return Plan(True, "xls: 工作表位置超出文件")
        rows = cols = 0
        for typ, data in _records(stream, offset):
            if typ == _DIMENSIONS:
                if _dimension_area(data) > MAX_BOOK_CELLS:
                    return Plan(True, "xls: 工作表声明的范围过大")
            elif typ in _CELL_RECORDS or typ == _MULRK:
                row, col = struct.unpack_from("<HH", data)
                last = struct.unpack_from("<H", data, len(data) - 2)[0] if typ == _MULRK else col
                if last < col:
                    return Plan(True, "xls: 单元格记录异常")
                rows, cols = max(rows, row + 1), max(cols, last + 1)
        if rows > MAX_ROWS or cols > MAX_COLS:
            return Plan(True, "xls: 工作表范围超过上限")
        cells += rows * cols
    if cells > MAX_BOOK_CELLS:
        return Plan(True, "xls: 单元格总数超过上限")
    return Plan(False)


def _dimension_area(data: memoryview) -> int:
    """Cells calamine reserves for a DIMENSIONS record (it trusts the record)."""
    if len(data) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", data)
    elif len(data) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", data)
    else:
        return MAX_BOOK_CELLS + 1  # calamine refuses it with an error; be careful anyway
    if rl < 1 or cl < 1:
        return 1
    if rl - 1 < rf or cl - 1 < cf:
        return MAX_BOOK_CELLS + 1  # calamine's unsigned subtraction would wrap
    return (rl - rf) * (cl - cf)
