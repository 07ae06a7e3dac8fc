"""xls (BIFF records in an OLE2 container) followed strictly before calamine opens it:
calamine builds every sheet's dense range when it opens an xls and sizes some buffers from the
file's own fields, which can abort the whole process."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

from pipeline._bounds import (
    ENCRYPTED,
    MAX_BOOK_CELLS,
    MAX_COLS,
    MAX_COPIED,
    MAX_FILE_BYTES,
    MAX_ROWS,
    Plan,
    Refused,
)
from pipeline._cfb import CfbError, Compound

_EOF, _BOF, _FILEPASS, _BOUNDSHEET, _SST, _DIMENSIONS, _MULRK = (
    0x000A, 0x0809, 0x002F, 0x0085, 0x00FC, 0x0200, 0x00BD,
)  # fmt: skip
# records calamine turns into a cell: Number, Label, BoolErr, Rk, LabelSst, Formula, RString
_CELL_RECORDS = frozenset({0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006, 0x00D6})
_LABELSST, _CONTINUE = 0x00FD, 0x003C


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


def plan_xls(data: bytes) -> Plan:
    try:
        cfb = Compound(data)
        names = cfb.names()
        stream_name = "Workbook" if "Workbook" in names else "Book"
        stream = cfb.stream(stream_name, MAX_FILE_BYTES)
        return _walk_biff(memoryview(stream))
    except (CfbError, KeyError, ValueError, struct.error, IndexError) as exc:
        return Plan(True, f"xls: 结构无法预先确定（{exc}）")


# calamine parses every formula (and defined name) when it opens an xls, in time growing
# with the square of a formula's length (a "spaces" token inserts up to 255 characters at
# its front, one by one): one 8 kB formula of them took 27 s, 64 kB 75 s. Bounded by the sum
# of (record bytes / 4)² — about a second of such work at most; real books stay far below.
_FORMULA_RECORDS = frozenset({0x0006, 0x0018, 0x04BC, 0x0221})  # formula, name, shared, array
MAX_FORMULA_WORK = 4_000_000
MAX_SHEET_RECORDS = 2_000_000  # records calamine walks over all sheet entries (~1 s here)


def _walk_biff(stream: memoryview) -> Plan:
    offsets: list[int] = []
    strings = 0  # bytes of the shared-string table and the globals' CONTINUE records
    work = 0  # formula parsing, see MAX_FORMULA_WORK
    for n, (typ, data) in enumerate(_records(stream, 0)):
        if typ in (_SST, _CONTINUE):
            strings += len(data)
        if typ in _FORMULA_RECORDS:
            work += (len(data) // 4) ** 2
        if n == 0 and typ != _BOF:
            return Plan(True, "xls: 没有 BOF 记录")
        if typ == _FILEPASS and bytes(data[:2]) != b"\0\0":
            raise Refused(ENCRYPTED, "文件已设置打开密码")
        if typ == _BOUNDSHEET:
            offsets.append(struct.unpack_from("<I", data)[0])
        if typ == _SST and struct.unpack_from("<i", data, 4)[0] not in range(len(stream) + 1):
            return Plan(True, "xls: 共享字符串表的条目数异常")
    cells = shared = walked = 0  # grid cells; cells referring to a shared string; records
    sheets: dict[int, _Sheet | Plan] = {}  # each sheet walked once, however many entries name it
    for offset in offsets:
        if offset >= len(stream):
            return Plan(True, "xls: 工作表位置超出文件")
        sheet = sheets.get(offset) or sheets.setdefault(offset, _walk_sheet(stream, offset))
        if isinstance(sheet, Plan):
            return sheet
        if sheet.rows > MAX_ROWS or sheet.cols > MAX_COLS:
            return Plan(True, "xls: 工作表范围超过上限")
        cells += sheet.rows * sheet.cols
        shared += sheet.shared
        walked += sheet.records  # the reader reads a sheet again for each entry naming it
        work += sheet.work
    if cells > MAX_BOOK_CELLS:
        return Plan(True, "xls: 单元格总数超过上限")
    if walked > MAX_SHEET_RECORDS:
        return Plan(True, "xls: 工作表记录过多（可能同一工作表被多次引用）")
    if work > MAX_FORMULA_WORK:
        return Plan(True, "xls: 公式过长或过多，读取耗时无法预先确定")
    # the reader copies a cell's shared string for the cell (as UTF-8: up to 1.5× its bytes):
    # bounded by every such cell × the whole table
    if shared * strings * 2 > MAX_COPIED:
        return Plan(True, "xls: 共享字符串被大量单元格引用，复制量过大")
    return Plan(False)


class _Sheet(NamedTuple):
    rows: int
    cols: int
    shared: int  # cells referring to a shared string
    records: int
    work: int  # formula parsing (see MAX_FORMULA_WORK)


def _walk_sheet(stream: memoryview, offset: int) -> _Sheet | Plan:
    rows = cols = shared = records = work = 0
    for typ, data in _records(stream, offset):
        records += 1
        if typ in _FORMULA_RECORDS:
            work += (len(data) // 4) ** 2
        if typ == _DIMENSIONS:
            if _dimension_area(data) > MAX_BOOK_CELLS:
                return Plan(True, "xls: 工作表声明的范围过大")
        elif typ in _CELL_RECORDS or typ == _MULRK:
            shared += typ == _LABELSST
            row, col = struct.unpack_from("<HH", data)
            last = struct.unpack_from("<H", data, len(data) - 2)[0] if typ == _MULRK else col
            if last < col:
                return Plan(True, "xls: 单元格记录异常")
            rows, cols = max(rows, row + 1), max(cols, last + 1)
    return _Sheet(rows, cols, shared, records, work)


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
