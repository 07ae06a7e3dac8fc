"""Parts byte-identical to one checked before are inflated and checked once per process —
and only ever taken for one that came from the very same stored bytes, declared alike."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import hostile
import pytest

from pipeline import _precheck
from pipeline._zipcheck import Entry


@pytest.fixture(autouse=True)
def forget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_precheck, "_SEEN", {})
    _precheck._sheet_parts.cache_clear()


def _inflations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    done: list[str] = []
    real = _precheck.inflate_raw

    def counted(raw: bytes, info: Entry) -> bytes:
        done.append(info.filename)
        return real(raw, info)

    monkeypatch.setattr(_precheck, "inflate_raw", counted)
    return done


def test_a_second_file_of_the_same_writer_inflates_only_its_own_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = hostile.good_xlsx(tmp_path / "a.xlsx")
    second = hostile.good_xlsx(tmp_path / "b.xlsx", [["办理法律援助案件", 11, 66]])
    done = _inflations(monkeypatch)
    one = _precheck.plan(first, "xlsx")
    members = len(done)
    two = _precheck.plan(second, "xlsx")
    again = done[members:]
    assert not one.isolate and not two.isolate
    assert hostile.SHEET_XML in again and "xl/theme/theme1.xml" not in again
    assert len(again) < members
    done.clear()
    assert _precheck.plan(first, "xlsx") == one  # the same answer, from memory
    assert done == []


def _with_directory_crc(data: bytes, member: str, crc: int) -> bytes:
    """The zip with one member's CRC changed in its directory entry only."""
    at = data.index(b"PK\x01\x02")
    while True:
        (n,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + n] == member.encode():
            return data[: at + 16] + struct.pack("<I", crc) + data[at + 20 :]
        at = data.index(b"PK\x01\x02", at + 46)


def test_the_same_stored_bytes_declared_otherwise_are_checked_again(tmp_path: Path) -> None:
    good = hostile.good_xlsx(tmp_path / "a.xlsx")
    data = good.read_bytes()
    lying = tmp_path / "b.xlsx"
    lying.write_bytes(_with_directory_crc(data, "xl/theme/theme1.xml", 0x12345678))
    for _ in range(2):  # before and after the good file's theme was remembered
        with pytest.raises(_precheck.Refused, match="校验失败"):
            _precheck.plan(lying, "xlsx")
        assert not _precheck.plan(good, "xlsx").isolate


def test_refusals_and_odd_parts_are_found_every_time(tmp_path: Path) -> None:
    """Only answers are remembered: a DTD is refused again, a UTF-16 part isolated again."""
    laughs = hostile.billion_laughs(tmp_path / "l.xlsx", hostile.SHEET_XML)
    for _ in range(2):
        with pytest.raises(_precheck.Refused):
            _precheck.plan(laughs, "xlsx")
    utf16 = hostile.rewrite_zip(
        hostile.good_xlsx(tmp_path / "g.xlsx"),
        tmp_path / "u.xlsx",
        {"xl/styles.xml": lambda b: b.decode().replace('encoding="UTF-8"', "").encode("utf-16")},
    )
    assert [_precheck.plan(utf16, "xlsx").isolate for _ in range(2)] == [True, True]


def test_what_is_remembered_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_precheck, "MAX_SEEN", 4)

    def part(data: bytes) -> _precheck._Part:
        info = Entry("x.xml", 0, 0, zlib.crc32(data), len(data), len(data), 0, False)
        return _precheck._part(data, info)

    for i in range(10):
        part(b"<a>%d</a>" % i)
        assert len(_precheck._SEEN) <= 4
    big = b"<a>" + b" " * _precheck.MAX_SEEN_PART + b"</a>"
    _precheck._SEEN.clear()
    part(big)
    assert _precheck._SEEN == {}
    # a few bytes stored padded to megabytes: empty deflate blocks, then the data
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    padded = b"\x00\x00\x00\xff\xff" * 200_000 + packer.compress(b"<a/>") + packer.flush()
    info = Entry("x.xml", 0, 8, zlib.crc32(b"<a/>"), len(padded), 4, 0, False)
    assert _precheck._part(padded, info).data == b"<a/>"
    assert _precheck._SEEN == {}
    assert part(b"<a/>") is part(b"<a/>")  # a small one is kept


def test_a_scan_listing_error_cells_is_not_kept() -> None:
    xml = b'<sheetData><row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c></row></sheetData>'
    info = Entry("s.xml", 0, 0, zlib.crc32(xml), len(xml), len(xml), 0, False)
    first = _precheck._part(xml, info).scan()
    assert first is not None and first.errors == {(0, 0): "#DIV/0!"}
    again = _precheck._part(xml, info).scan()
    assert again == first and again is not first  # found again, not shared


def test_large_structure_parts_are_not_remembered() -> None:
    def rels(pad: int) -> bytes:
        return (
            b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
            + b" " * pad
            + b"</Relationships>"
        )

    workbook = (
        b'<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="S" r:id="rId1"/></sheets></workbook>'
    )
    parts = {
        "xl/_rels/workbook.xml.rels": rels(_precheck.MAX_SEEN_PART),
        "xl/workbook.xml": workbook,
    }
    assert _precheck.sheet_parts(parts) == {"S": "xl/worksheets/sheet1.xml"}
    assert _precheck._sheet_parts.cache_info().currsize == 0
    small = {**parts, "xl/_rels/workbook.xml.rels": rels(0)}
    assert _precheck.sheet_parts(small) == {"S": "xl/worksheets/sheet1.xml"}
    assert _precheck._sheet_parts.cache_info().currsize == 1
