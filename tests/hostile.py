"""Build hostile and broken submissions in code, one function per case.

Each builder writes one file and returns its path. A builder starts from a real workbook
(XlsxWriter, xlwt) and changes exactly the part the case is about, so the file is otherwise
what a reader expects. Used by ``tests/test_hostile.py`` and ``benchmarks/bench_hostile.py``.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from builders import department_sheet, write_xls, write_xlsx

# 司法局's indicator 18.1, as a department would send it
ROWS = [["办理法律援助案件", 10, 55]]
HEADER = ["指标名称", "本月完成", "累计完成"]
SHEET_XML = "xl/worksheets/sheet1.xml"
STRINGS_XML = "xl/sharedStrings.xml"


def good_xlsx(path: Path, rows: list[list[object]] | None = None) -> Path:
    """A plain, valid department workbook (the baseline the hostile ones are made from)."""
    return write_xlsx(path, [department_sheet(None, rows or ROWS, header=HEADER)])


def rewrite_zip(
    src: Path, dest: Path, changes: dict[str, Callable[[bytes], bytes]], level: int = 6
) -> Path:
    """Copy a zip, passing the named members through their change functions."""
    with zipfile.ZipFile(src) as zin:
        members = [(i.filename, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zout:
        for name, data in members:
            zout.writestr(name, changes.get(name, lambda b: b)(data))
    return dest


def _sheet_changed(path: Path, change: Callable[[bytes], bytes], level: int = 6) -> Path:
    base = good_xlsx(path.with_suffix(".base.xlsx"))
    out = rewrite_zip(base, path, {SHEET_XML: change}, level)
    base.unlink()
    return out


def _with_dtd(dtd: bytes, entity: bytes, where: bytes) -> Callable[[bytes], bytes]:
    """Put a DTD after the XML declaration and the entity reference in place of ``where``."""

    def change(xml: bytes) -> bytes:
        decl_end = xml.index(b"?>") + 2
        xml = xml[:decl_end] + dtd + xml[decl_end:]
        assert where in xml
        return xml.replace(where, entity, 1)

    return change


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def billion_laughs(path: Path, part: str) -> Path:
    """The classic entity expansion: 10⁹ "lol"s from a few hundred bytes, in ``part``."""
    base = good_xlsx(path.with_suffix(".base.xlsx"))
    where = "办理法律援助案件".encode() if part == STRINGS_XML else b"<v>55</v>"
    entity = b"&lol9;" if part == STRINGS_XML else b"<v>&lol9;</v>"
    out = rewrite_zip(base, path, {part: _with_dtd(LAUGHS, entity, where)})
    base.unlink()
    return out


def external_entity(path: Path, secret: Path) -> Path:
    """An XXE: a cell's shared string is an external entity naming a local file."""
    base = good_xlsx(path.with_suffix(".base.xlsx"))
    dtd = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://%s">]>' % str(secret).encode()
    change = _with_dtd(dtd, b"&xxe;", "办理法律援助案件".encode())
    out = rewrite_zip(base, path, {STRINGS_XML: change})
    base.unlink()
    return out


def zip_bomb(path: Path, megabytes: int = 64) -> Path:
    """A sheet part padded with whitespace that inflates ~1000× (a compression bomb)."""
    pad = b" " * (megabytes << 20)
    return _sheet_changed(path, lambda x: x.replace(b"</sheetData>", pad + b"</sheetData>"), 9)


def lying_zip(path: Path, megabytes: int = 16) -> Path:
    """A member whose zip directory declares a few hundred bytes but that inflates to many MB:
    the CRC matches the declared prefix, so a reader trusting the directory is fooled."""
    base = good_xlsx(path.with_suffix(".base.xlsx"))
    with zipfile.ZipFile(base) as zin:
        members = [(i.filename, zin.read(i)) for i in zin.infolist()]
    base.unlink()
    buf = io.BytesIO()
    central = []
    for name, data in members:
        raw_name = name.encode()
        if name == SHEET_XML:
            real = data.replace(b"</sheetData>", b" " * (megabytes << 20) + b"</sheetData>")
            declared = len(data)
            crc = zlib.crc32(real[:declared])
        else:
            real, declared, crc = data, len(data), zlib.crc32(data)
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        comp = packer.compress(real) + packer.flush()
        offset = buf.tell()
        buf.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(comp),
                              declared, len(raw_name), 0))  # fmt: skip
        buf.write(raw_name + comp)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                                   len(comp), declared, len(raw_name), 0, 0, 0, 0, 0, offset)
                       + raw_name)  # fmt: skip
    start = buf.tell()
    for entry in central:
        buf.write(entry)
    size = buf.tell() - start
    n = len(central)
    buf.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, size, start, 0))
    path.write_bytes(buf.getvalue())
    return path


def far_cell_xlsx(path: Path) -> Path:
    """A value at XFD1048576, the last cell of a sheet: a dense reader allocates 17 billion."""
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return _sheet_changed(path, lambda x: x.replace(b"</sheetData>", far + b"</sheetData>"))


def far_cell_xls(path: Path, sheets: int = 3) -> Path:
    """An .xls with several sheets, each holding A1 and IV65536: calamine parses every sheet's
    dense range (16.7 million cells each) as soon as the file is opened."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for n in range(sheets):
        ws = wb.add_sheet(f"表{n + 1}")
        ws.write(0, 0, "指标名称")
        ws.write(65535, 255, 1)
    wb.save(str(path))
    return path


def _patch_record(data: bytearray, typ: int, patch: Callable[[bytearray, int], None]) -> None:
    """Find the first BIFF record of ``typ`` in an xlwt file (its stream is contiguous)."""
    pos = 512
    while pos + 4 <= len(data):
        rtyp, length = struct.unpack_from("<HH", data, pos)
        if rtyp == typ:
            patch(data, pos + 4)
            return
        pos += 4 + length
    raise AssertionError(f"record {typ:#06x} not found")


def xls_bad_sheet_offset(path: Path) -> Path:
    """An .xls whose sheet record points far past the stream: calamine panics (Rust)."""
    write_xls(path, [department_sheet(None, ROWS, header=HEADER)])
    data = bytearray(path.read_bytes())
    _patch_record(data, 0x0085, lambda d, at: struct.pack_into("<I", d, at, 0x7FFFFFF0))
    path.write_bytes(bytes(data))
    return path


def xls_lying_dimensions(path: Path) -> Path:
    """An .xls whose DIMENSIONS record claims 4 billion rows: calamine reserves that many cells."""
    write_xls(path, [department_sheet(None, ROWS, header=HEADER)])
    data = bytearray(path.read_bytes())
    claim = (0, 0xFFFFFFF0, 0, 256)  # rows 0..4 billion, columns A..IV
    _patch_record(data, 0x0200, lambda d, at: struct.pack_into("<IIHH", d, at, *claim))
    path.write_bytes(bytes(data))
    return path


def truncated(path: Path) -> Path:
    """A workbook cut short in transfer."""
    good = good_xlsx(path.with_suffix(".base.xlsx"))
    data = good.read_bytes()
    good.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def word_as_xlsx(path: Path) -> Path:
    """A Word document (docx) renamed ``.xlsx``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", "<w:document>办理法律援助案件 55 件</w:document>")
    return path


def encrypted_xlsx(path: Path, password: str = "123456") -> Path:
    """A real password-protected xlsx: OLE2 with EncryptionInfo and EncryptedPackage."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = good_xlsx(path.with_suffix(".plain.xlsx"))
    with plain.open("rb") as fh:
        out = io.BytesIO()
        OOXMLFile(fh).encrypt(password, out)
    plain.unlink()
    path.write_bytes(out.getvalue())
    return path


HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>县司法局报表</title><style>td {{ mso-number-format: "\\@"; }}</style></head>
<body><table border="1">
<tr><td colspan="3">2022年民生实事进度报表</td></tr>
<tr><th rowspan="2">指标名称</th><th colspan="2">完成情况</th></tr>
<tr><th>本月完成</th><th>累计完成</th></tr>
<tr><td>办理法律援助案件</td><td>{monthly}</td><td>{cumulative}</td></tr>
<tr><td colspan="3">填报人：张&nbsp;三　联系电话：1234</td></tr>
</table><table><tr><td>第二张表不读</td></tr></table></body></html>
"""


def html_as_xls(path: Path, monthly: str = "10", cumulative: str = "５５") -> Path:
    """A web system's export: an HTML table (two-row merged header), GB2312-encoded, saved
    with a .xls name."""
    text = HTML_PAGE.format(monthly=monthly, cumulative=cumulative)
    path.write_bytes(text.encode("gb2312"))
    return path


def xml_sheet_without_addresses(path: Path) -> Path:
    """Cells without ``r=`` addresses on row 900000: only a reader that counts can place them."""
    row = b'<row r="900000"><c><v>1</v></c></row>'
    return _sheet_changed(path, lambda x: x.replace(b"</sheetData>", row + b"</sheetData>"))


# --- zips that two readers would read differently ------------------------------------------


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _local(name: str, data: bytes, extra: bytes = b"") -> tuple[bytes, tuple[bytes, int, int, int]]:
    """A deflated member's local header and data; (name, crc, sizes) for its directory entry."""
    raw = name.encode()
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    crc = zlib.crc32(data)
    head = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0, crc, len(packed), len(data), len(raw),
        len(extra),
    )  # fmt: skip
    return head + raw + extra + packed, (raw, crc, len(packed), len(data))


def _central(
    meta: tuple[bytes, int, int, int], offset: int, comment: bytes = b"", extra: bytes = b""
) -> bytes:
    raw, crc, packed, size = meta
    return struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0, crc, packed, size, len(raw),
        len(extra), len(comment), 0, 0, 0, offset,
    ) + raw + extra + comment  # fmt: skip


def _end(entries: int, size: int, offset: int) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, size, offset, 0)


def _write_members(
    out: io.BytesIO, members: list[tuple[str, bytes]]
) -> list[tuple[tuple[bytes, int, int, int], int]]:
    """Write the members' local headers and data; (directory fields, offset) for each."""
    placed = []
    for name, data in members:
        at = out.tell()
        blob, meta = _local(name, data)
        out.write(blob)
        placed.append((meta, at))
    return placed


def _good_and_far(path: Path) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    good = good_xlsx(path.with_suffix(".good.xlsx"))
    far = far_cell_xlsx(path.with_suffix(".far.xlsx"))
    return _members(good), _members(far)


def _good_members(path: Path) -> tuple[io.BytesIO, list[tuple[tuple[bytes, int, int, int], int]]]:
    """A good workbook's members written out; (directory fields, offset) for each."""
    good = good_xlsx(path.with_suffix(".good.xlsx"))
    out = io.BytesIO()
    placed = _write_members(out, _members(good))
    good.unlink()
    return out, placed


def shared_data_xlsx(path: Path, aliases: int = 50) -> Path:
    """A good workbook whose directory also lists ``aliases`` more parts that all point at
    the sheet's local header: one stored sheet, read once for each name (with megabytes of
    data after a tiny stream, thousands of aliases took a quarter of an hour)."""
    out, placed = _good_members(path)
    sheet = next((meta, at) for meta, at in placed if meta[0] == SHEET_XML.encode())
    start = out.tell()
    directory = b"".join(_central(meta, at) for meta, at in placed) + b"".join(
        _central((f"p{i:05d}".encode(), *sheet[0][1:]), sheet[1]) for i in range(aliases)
    )
    out.write(directory + _end(len(placed) + aliases, len(directory), start))
    path.write_bytes(out.getvalue())
    return path


def shared_header_xlsx(path: Path, aliases: int = 200) -> Path:
    """A good workbook plus ``aliases`` empty parts that all share one local header whose
    extra field is 15,000 empty fields, then an empty deflate stream: almost no stored data
    is shared, yet the header would be walked once for each name (9,900 of them: a 600 kB
    file took 15 s)."""
    out, placed = _good_members(path)
    at = out.tell()
    extra = struct.pack("<HH", 0xCAFE, 0) * 15_000
    empty = b"\x03\x00"  # a deflate stream of nothing
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, 2, 0, 3, len(extra)))
    out.write(b"pad" + extra + empty)
    start = out.tell()
    directory = b"".join(_central(meta, offset) for meta, offset in placed) + b"".join(
        _central((f"p{i:05d}".encode(), 0, len(empty), 0), at) for i in range(aliases)
    )
    out.write(directory + _end(len(placed) + aliases, len(directory), start))
    path.write_bytes(out.getvalue())
    return path


# an empty stored workbook.xml at offset 0, and a directory record naming a part with no data
_BARE_LOCAL = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0, 15, 0)
_BARE_LOCAL += b"xl/workbook.xml"


def _bare_central(name: bytes) -> bytes:
    return struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0,
        0, 0,
    ) + name  # fmt: skip


def zip64_counts_xlsx(path: Path, entries: int = 20_000) -> Path:
    """An end record saying "1 entry", a zip64 locator, and right before it a zip64 record
    saying ``entries``, which zipfile takes (it lists every one before anything counts them)."""
    names = [b"xl/workbook.xml", *(f"{i:07d}".encode() for i in range(1, entries))]
    directory = b"".join(map(_bare_central, names))
    local = _BARE_LOCAL
    record_at = len(local) + len(directory)
    record = struct.pack(
        "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, entries, entries, len(directory), len(local)
    )
    locator = struct.pack("<IIQI", 0x07064B50, 0, record_at, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, 46 + 15, len(local), 0)
    path.write_bytes(local + directory + record + locator + end)
    return path


def straddled_end_xlsx(path: Path, high: int = 0x10) -> Path:
    """An end record ending the file (the one zipfile takes) whose own fields spell the
    end-record signature again: entries "PK" (19,280), directory size ``high``·65536 +
    0x0605 bytes, with that many directory records. Searching for the last signature finds
    the inner one, which does not fit: the checks gave up and let zipfile list them all."""
    cd_size = (high << 16) | 0x0605
    records = [_bare_central(b"xl/workbook.xml")]
    size = len(records[0])
    while cd_size - size > 46 + 200:
        records.append(_bare_central(f"{len(records):07d}".encode()))
        size += len(records[-1])
    records.append(_bare_central(b"z" * (cd_size - size - 46)))  # makes the size exact
    end = struct.pack("<IHHH", 0x06054B50, 0, 0, 0x4B50) + b"PK\x05\x06"
    end += struct.pack("<HIH", high, len(_BARE_LOCAL), 0)
    path.write_bytes(_BARE_LOCAL + b"".join(records) + end)
    return path


def split_directory_xlsx(path: Path) -> Path:
    """Two central directories: a harmless one right after the members, then a stray end-record
    signature, then one listing a sheet with a far cell, which the real end record (pointing
    at the first) is read with by zipfile and the zip crate alike (they shift the offsets by
    the gap)."""
    good, far = _good_and_far(path)
    out = io.BytesIO()
    first = _write_members(out, good)
    second = _write_members(out, far)
    start = out.tell()
    directory = b"".join(_central(meta, at) for meta, at in first)
    gap = len(directory) + 4
    pad = len(directory) - len(b"".join(_central(meta, at - gap) for meta, at in second))
    shifted = b"".join(
        _central(meta, at - gap, b"x" * pad if i == len(second) - 1 else b"")
        for i, (meta, at) in enumerate(second)
    )
    out.write(directory + b"PK\x05\x06" + shifted + _end(len(first), len(directory), start))
    path.write_bytes(out.getvalue())
    return path


def unicode_path_xlsx(path: Path, where: str = "central") -> Path:
    """A far-cell sheet stored as ``xl/worksheets/zz.xml`` whose Info-ZIP Unicode Path field
    names it ``xl/worksheets/sheet1.xml``, beside the real, harmless sheet1.xml: zipfile sees
    two parts, the zip crate may take the far one for the sheet. ``where``: the field in the
    central directory or only in the local header."""
    good, far = _good_and_far(path)
    sheet = dict(far)[SHEET_XML]
    hidden = b"xl/worksheets/zz.xml"
    field = b"\x01" + struct.pack("<I", zlib.crc32(hidden)) + SHEET_XML.encode()
    extra = struct.pack("<HH", 0x7075, len(field)) + field
    out = io.BytesIO()
    entries = [_central(meta, at) for meta, at in _write_members(out, good)]
    at = out.tell()
    blob, meta = _local(hidden.decode(), sheet, extra if where == "local" else b"")
    out.write(blob)
    entries.append(_central(meta, at, extra=extra if where == "central" else b""))
    start = out.tell()
    directory = b"".join(entries)
    out.write(directory + _end(len(entries), len(directory), start))
    path.write_bytes(out.getvalue())
    return path


def _zip_of(parts: list[tuple[str, bytes]]) -> tuple[io.BytesIO, list[tuple[bytes, int]]]:
    """Members written one after the other; (directory entry, offset) for each."""
    out = io.BytesIO()
    return out, [(_central(meta, at), at) for meta, at in _write_members(out, parts)]


def two_end_records_xlsx(path: Path, how: str) -> Path:
    """A zip holding a far-cell workbook with its own directory and end record, then a
    harmless workbook whose end record comes last but that the zip crate rejects and passes
    over: ``comment`` — its comment length runs one byte past the file (zipfile cuts it
    short); ``offset`` — it puts its directory after itself (zipfile shifts the offsets)."""
    good, far = _good_and_far(path)
    out = io.BytesIO()
    far_entries = _write_members(out, far)
    good_entries = _write_members(out, good)
    start = out.tell()
    directory = b"".join(_central(meta, at) for meta, at in far_entries)
    out.write(directory + _end(len(far_entries), len(directory), start))
    start = out.tell()
    if how == "comment":
        directory = b"".join(_central(meta, at) for meta, at in good_entries)
        end = _end(len(good_entries), len(directory), start)[:-2] + struct.pack("<H", 1)
    else:  # the directory said to start past the end record: offsets shifted to match
        stated = start + 0x100000
        directory = b"".join(_central(meta, at + 0x100000) for meta, at in good_entries)
        end = _end(len(good_entries), len(directory), stated)
    out.write(directory + end)
    path.write_bytes(out.getvalue())
    return path


def unflagged_twin_xlsx(path: Path) -> Path:
    """The sheet part under a non-ASCII name twice: the harmless one with the UTF-8 flag, then
    the far-cell one without it (zipfile reads its name as cp437: another member); a reader
    decoding both as UTF-8 sees one name twice and takes the last."""
    good, far = _good_and_far(path)
    name = "xl/worksheets/表.xml".encode()
    parts = [(n, d) for n, d in good if n != SHEET_XML]
    rels = "xl/_rels/workbook.xml.rels"
    parts = [
        (n, d.replace(b"worksheets/sheet1.xml", name[3:]) if n == rels else d) for n, d in parts
    ]
    out, listed = _zip_of(parts)
    entries = [entry for entry, _ in listed]
    for data, flag in ((dict(good)[SHEET_XML], 0x800), (dict(far)[SHEET_XML], 0)):
        at = out.tell()
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = packer.compress(data) + packer.flush()
        crc = zlib.crc32(data)
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, flag, 8, 0, 0, crc, len(packed), len(data),
                len(name), 0,
            ) + name + packed
        )  # fmt: skip
        entries.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flag, 8, 0, 0, crc, len(packed),
                len(data), len(name), 0, 0, 0, 0, 0, at,
            ) + name
        )  # fmt: skip
    start = out.tell()
    directory = b"".join(entries)
    out.write(directory + _end(len(entries), len(directory), start))
    path.write_bytes(out.getvalue())
    return path


_WORKSHEET_REL = (
    b'<Relationship Id="%s" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="%s"/>'
)


def mapped_far_xlsx(path: Path, how: str) -> Path:
    """A far-cell sheet part that some reader may take for the sheet while the pre-checks'
    own lookup of sheet name → part takes the harmless one: ``dupname`` (two sheets of one
    name), ``dot`` (a ``./`` in the target, a member of that literal name), ``nested`` (a
    Relationship below the root's children), ``idattr`` (a bare ``id`` before ``r:id``)."""
    good, far = _good_and_far(path)
    parts = dict(good)
    wb, rels = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
    tag = '<sheet name="进度表" sheetId="1" r:id="rId1"/>'.encode()
    first = _WORKSHEET_REL % (b"rId1", b"worksheets/sheet1.xml")
    assert tag in parts[wb] and first in parts[rels], "the builder's workbook changed"
    extra = _WORKSHEET_REL % (b"rId9", b"worksheets/sheet9.xml")
    member = "xl/worksheets/sheet9.xml"
    if how == "dupname":
        parts[wb] = parts[wb].replace(
            tag, '<sheet name="进度表" sheetId="1" r:id="rId9"/>'.encode() + tag
        )
        parts[rels] = parts[rels].replace(first, first + extra)
    elif how == "dot":
        parts[rels] = parts[rels].replace(
            first, _WORKSHEET_REL % (b"rId1", b"worksheets/./sheet1.xml")
        )
        member = "xl/worksheets/./sheet1.xml"
    elif how == "nested":
        parts[rels] = parts[rels].replace(
            first, first + b"<x>" + extra.replace(b"rId9", b"rId1") + b"</x>"
        )
    elif how == "idattr":
        parts[wb] = parts[wb].replace(
            tag, '<sheet name="进度表" sheetId="1" id="rId1" r:id="rId9"/>'.encode()
        )
        parts[rels] = parts[rels].replace(first, first + extra)
    parts[member] = dict(far)[SHEET_XML]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _sheet_data(path: Path, cells: bytes, after: bytes = b"") -> Path:
    """The baseline workbook with its sheetData replaced (and ``after`` placed behind it)."""

    def change(xml: bytes) -> bytes:
        start, end = xml.index(b"<sheetData"), xml.index(b"</sheetData>") + len(b"</sheetData>")
        return xml[:start] + b"<sheetData>" + cells + b"</sheetData>" + after + xml[end:]

    return _sheet_changed(path, change)


def counted_far_cell_xlsx(path: Path, tag: bytes, close: bytes = b"</c>") -> Path:
    """A1, then in row 1,048,576 16,384 cells whose tag ``tag`` the reader does not take an
    address from (``x:r``, ``x/r``, an ``r`` hidden in a quote): it places them by counting,
    out to XFD1048576, while a scan reading the fake address sees A1."""
    far = (tag + b"<v>1</v>" + close) * 16_384
    cells = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">' + far + b"</row>"
    return _sheet_data(path, cells)


def merge_flood_xlsx(path: Path) -> Path:
    """A1 and SF10000 filled (a sheet within the limits) and 100,000 copies of the merged
    range A1:SF10000: filling them would write 500 billion cells."""
    cells = (
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="10000"><c r="SF10000"><v>1</v></c></row>'
    )
    merges = b'<mergeCells count="100000">' + b'<mergeCell ref="A1:SF10000"/>' * 100_000
    return _sheet_data(path, cells, merges + b"</mergeCells>")


def shared_string_flood_xlsx(path: Path, disguised: bool = False) -> Path:
    """500 cells all referring to one 2 MB shared string (not compressible: no zip bomb)
    the reader copies for every cell; ``disguised``: its text is sprinkled with " x:si ",
    which looks like the start of another string to a scan that counts starts."""
    cells = b"".join(
        b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (r, r) for r in range(1, 501)
    )
    out = _sheet_data(path.with_suffix(".sheet.xlsx"), cells)
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    sst += b'uniqueCount="1"><si><t>' + _long_text(disguised) + b"</t></si></sst>"
    return rewrite_zip(out, path, {STRINGS_XML: lambda _: sst})


def _long_text(disguised: bool) -> bytes:
    text = random.Random(7).randbytes(1024 * 1024).hex().encode()
    if not disguised:
        return text
    return b" x:si ".join(text[i : i + 16] for i in range(0, len(text), 16))


def one_part_many_sheets_xlsx(path: Path, sheets: int = 300, cells: bool = True) -> Path:
    """``sheets`` sheet entries all naming the one sheet part (made ~300 kB, of cells or, with
    ``cells`` False, of empty rows): the reader parses it again for every entry."""
    cell = b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c></row>'
    empty = b'<row r="%d" spans="1:2" ht="15" customHeight="1" q="%d%d%d"/>'
    rows = b"".join((cell if cells else empty) % (r, r, r, r) for r in range(1, 6001))
    base = _sheet_data(path.with_suffix(".sheet.xlsx"), rows)
    tag = '<sheet name="进度表" sheetId="1" r:id="rId1"/>'.encode()

    def many(xml: bytes) -> bytes:
        assert tag in xml, "the builder's workbook changed"
        entries = b"".join(
            b'<sheet name="s%d" sheetId="%d" r:id="rId1"/>' % (n, n + 1) for n in range(sheets)
        )
        return xml.replace(tag, entries)

    return rewrite_zip(base, path, {"xl/workbook.xml": many})
