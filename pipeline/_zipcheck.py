"""Zip containers (xlsx, ods, xlsb) checked from their own records before ``zipfile`` or a
native reader trusts them: the directory's size, the entries' declared and real sizes, CRCs,
encryption, and DTDs in the XML parts."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from typing import BinaryIO, NamedTuple

from pipeline._bounds import (
    MAX_CENTRAL_DIRECTORY,
    MAX_RATIO,
    MAX_UNZIPPED,
    MAX_ZIP_ENTRIES,
    RATIO_FLOOR,
    TOO_LARGE,
    UNREADABLE,
    Refused,
)
from pipeline._bounds import size_text as _mb


class _End(NamedTuple):
    entries: int
    cd_size: int
    cd_offset: int
    at: int  # where the end record itself starts in the file
    zip64: bool  # a zip64 locator precedes it (zipfile then reads the zip64 record)
    plain: bool  # its comment ends the file and no other end-record signature precedes it


def _end_record(fh: BinaryIO) -> _End | None:
    """The zip's end records, found as zipfile finds them (the last end-record signature in
    the final 64 kB); None when there is no end record."""
    size = fh.seek(0, io.SEEK_END)
    start = max(0, size - 65536 - 22)
    fh.seek(start)
    tail = fh.read()
    # a record without comment ending the file is taken first (zipfile does so, and the zip
    # crate meets it first): its own fields may spell the signature again further on
    ends = tail[-22:].startswith(b"PK\x05\x06") and tail.endswith(b"\0\0")
    at = len(tail) - 22 if ends and len(tail) >= 22 else tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    entries, cd_size, cd_offset, comment = struct.unpack_from("<HIIH", tail, at + 10)
    # readers disagree on which end record counts when there are several, or when the
    # comment length runs past the file (zipfile cuts it short, the zip crate looks further)
    plain = at + 22 + comment == len(tail) and tail.find(b"PK\x05\x06") == at
    locator = tail[at - 20 : at] if at >= 20 else b""
    zip64 = locator[:4] == b"PK\x06\x07"
    if zip64:  # then no one view is the readers': the largest counts bound them all
        entries, cd_size = _zip64_counts(fh, size, start + at, locator, entries, cd_size)
    return _End(entries, cd_size, cd_offset, start + at, zip64, plain)


def _zip64_counts(
    fh: BinaryIO, size: int, at: int, locator: bytes, entries: int, cd_size: int
) -> tuple[int, int]:
    """The largest entry count and directory size any reader may take from a zip64 zip:
    zipfile reads the zip64 record right before the locator whatever the end record says,
    the zip crate the one the locator points at; the end record's own values unless they
    are the "see zip64" markers."""
    counts = [(0 if entries == 0xFFFF else entries, 0 if cd_size == 0xFFFFFFFF else cd_size)]
    for where in {at - 20 - 56, struct.unpack_from("<Q", locator, 8)[0]}:
        if where >= 0 and where + 56 <= size:
            fh.seek(where)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                counts.append(struct.unpack_from("<QQ", record, 32))
    return max(c[0] for c in counts), max(c[1] for c in counts)


def _checked_end_record(fh: BinaryIO) -> _End | None:
    found = _end_record(fh)
    if found is None:
        return None  # not a zip after all: zipfile will say so
    if found.entries > MAX_ZIP_ENTRIES or found.cd_size > MAX_CENTRAL_DIRECTORY:
        why = (
            f"压缩包内有 {found.entries} 个部件（目录 {_mb(found.cd_size)}），"
            f"超过上限 {MAX_ZIP_ENTRIES}"
        )
        raise Refused(TOO_LARGE, why)
    return found


class Entry(NamedTuple):
    """One member as the zip's central directory lists it (the fields of ``zipfile.ZipInfo``
    the checks use, under the same names)."""

    filename: str
    flag_bits: int
    compress_type: int
    CRC: int
    compress_size: int
    file_size: int
    header_offset: int
    renamed: bool  # an Info-ZIP Unicode Path field gives it a second name (see _renames)

    @classmethod
    def of(cls, info: zipfile.ZipInfo) -> Entry:
        return cls(
            info.filename,
            info.flag_bits,
            info.compress_type,
            info.CRC,
            info.compress_size,
            info.file_size,
            info.header_offset,
            _renames(info.extra),
        )


_UNICODE_PATH = 0x7075


def _renames(extra: bytes) -> bool:
    """Whether a member's extra fields hold an Info-ZIP Unicode Path: zipfile ignores it,
    other readers (python-calamine's) take it as the member's name — so the part checked
    here under one name could be read there as another (a sheet hidden from the scan)."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, pos)
        if kind == _UNICODE_PATH:
            return True
        pos += 4 + size
    return False


_CENTRAL = struct.Struct("<4s4xHH4xIIIHHH8xI")  # one central directory record's fixed part


def zip_entries(fh: BinaryIO) -> list[Entry] | None:
    """The members of a plain zip, read straight from its central directory (a fraction of
    what ``zipfile`` costs); None for any zip that readers might read differently — zip64,
    data before the zip or between its parts, more than one end record, a comment that does
    not end the file, a non-ASCII name without the UTF-8 flag (zipfile reads cp437, the zip
    crate UTF-8), a name with a NUL, a damaged directory. Refuses a directory too big to
    list."""
    found = _checked_end_record(fh)
    if found is None or found.zip64 or not found.plain:
        return None
    entries, cd_size, cd_offset = found.entries, found.cd_size, found.cd_offset
    if cd_offset + cd_size != found.at:  # data before the zip or between: offsets shift
        return None
    fh.seek(cd_offset)
    cd = fh.read(cd_size)
    if len(cd) != cd_size:
        return None
    out: list[Entry] = []
    pos = 0
    for _ in range(entries):
        if pos + 46 > len(cd):
            return None
        sig, flags, method, crc, csize, usize, n, extra, comment, offset = _CENTRAL.unpack_from(
            cd, pos
        )
        if sig != b"PK\x01\x02" or 0xFFFFFFFF in (csize, usize, offset):
            return None
        raw = cd[pos + 46 : pos + 46 + n]
        if not (flags & 0x800 or raw.isascii()):
            return None
        try:
            name = raw.decode("utf-8") if flags & 0x800 else raw.decode("ascii")
        except UnicodeDecodeError:
            return None
        if "\0" in name:
            return None
        fields = cd[pos + 46 + n : pos + 46 + n + extra]
        out.append(Entry(name, flags, method, crc, csize, usize, offset, _renames(fields)))
        pos += 46 + n + extra + comment
    return out if pos == len(cd) else None


def zip_names(fh: BinaryIO) -> set[str] | None:
    """The member names of a zip from its central directory (for sniffing: cheaper than
    ``zipfile``); None when :func:`zip_entries` cannot follow it (let ``zipfile`` judge)."""
    entries = zip_entries(fh)
    return None if entries is None else {e.filename for e in entries}


def check_zip(infos: list[Entry], size: int) -> None:
    """Refuse a zip of ``size`` bytes whose directory is too long, names a part twice,
    declares too much inflated data or a suspicious ratio, or more stored data than the
    file holds (parts sharing their bytes: read again for each, a few megabytes become
    terabytes of work); or whose parts are encrypted."""
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(TOO_LARGE, f"压缩包内有 {len(infos)} 个部件，超过上限 {MAX_ZIP_ENTRIES}")
    if sum(i.compress_size for i in infos) > size:
        raise Refused(UNREADABLE, "压缩结构损坏（部件的数据相互重叠）")
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


def check_spans(data: bytes, infos: list[Entry]) -> None:
    """Refuse members whose local header and data reach into the next member's: listed under
    many names, one stored part (or one header with a 64 kB extra field) would be read again
    for each name — a file of kilobytes made the checks walk gigabytes."""
    end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        at = info.header_offset
        if at < end or at + 30 > len(data):
            raise Refused(UNREADABLE, "压缩结构损坏（部件的数据相互重叠）")
        name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
        end = at + 30 + name_len + extra_len + info.compress_size


def member_raw(data: bytes, info: Entry) -> bytes:
    """A member's stored (compressed) bytes, after checking its local header."""
    at = info.header_offset
    if data[at : at + 4] != b"PK\x03\x04" or at + 30 > len(data):
        raise Refused(UNREADABLE, "压缩结构损坏")
    name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
    if _renames(data[at + 30 + name_len : at + 30 + name_len + extra_len]):
        why = f"部件 {info.filename} 另有一个名称（Unicode 路径字段），疑似被篡改"
        raise Refused(UNREADABLE, why)
    start = at + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise Refused(UNREADABLE, "文件不完整（可能传输中断）")
    return raw


def inflate_raw(raw: bytes, info: Entry) -> bytes:
    """:func:`member_raw`'s bytes inflated (stored or deflated only), the output capped at
    the size the directory declares. Raises :class:`Refused` when the data inflates to more
    or less than that — the trick that lets a small "declared" member expand without bound
    in a reader that trusts the directory — or fails its CRC."""
    if info.compress_type == zipfile.ZIP_STORED:
        out, ended = raw, True
    else:
        inflater = zlib.decompressobj(-15)
        try:
            out = inflater.decompress(raw, info.file_size + 1)
        except zlib.error as exc:
            raise Refused(UNREADABLE, "压缩数据损坏") from exc
        ended = inflater.eof
    if len(out) != info.file_size or not ended:
        raise Refused(UNREADABLE, f"部件 {info.filename} 的实际大小与声明不符（已损坏或被篡改）")
    if zlib.crc32(out) != info.CRC:
        raise Refused(UNREADABLE, f"部件 {info.filename} 校验失败（已损坏）")
    return out


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def check_xml(name: str, data: bytes) -> bool:
    """Raise for a DTD (no OOXML part has one); False when the part is not UTF-8 XML."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\0" in data[:4]:  # UTF-16, BOM or not
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            codec = "utf-16"  # the mark says the byte order
        else:  # no mark: a zero before the first character means big-endian
            codec = "utf-16-be" if data[:1] == b"\0" else "utf-16-le"
        text = data.decode(codec, "replace").encode("utf-8", "replace")
        if _DTD.search(text):
            raise Refused(UNREADABLE, f"部件 {name} 含有 DTD/实体定义（不安全的 XML）")
        return False
    if _DTD.search(data):
        raise Refused(UNREADABLE, f"部件 {name} 含有 DTD/实体定义（不安全的 XML）")
    return True
