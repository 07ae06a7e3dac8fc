"""The .xls record walk bounds what python-calamine would spend on formulas, on sheets named
by many entries, and what reading an OLE2 container's allocation table may allocate (each
case found in a review; measured there: minutes in one formula, 43 s in the walk, 1.1 GB)."""

from __future__ import annotations

import struct

import pytest

from pipeline import _biff, _cfb


def _record(typ: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", typ, len(data)) + data


def _stream(sheet: bytes, entries: int = 1) -> memoryview:
    """A workbook globals substream with ``entries`` sheet entries, all naming ``sheet``."""
    bof = _record(0x0809, struct.pack("<HH", 0x0600, 0x0005) + bytes(12))
    entry_size = len(_record(0x0085, bytes(8)))
    at = len(bof) + entries * entry_size + len(_record(0x000A))
    globals_ = (
        bof
        + b"".join(_record(0x0085, struct.pack("<I", at) + bytes(4)) for _ in range(entries))
        + _record(0x000A)
    )
    return memoryview(globals_ + sheet)


def _sheet(*records: bytes) -> bytes:
    bof = _record(0x0809, struct.pack("<HH", 0x0600, 0x0010) + bytes(12))
    number = _record(0x0203, struct.pack("<HHHd", 0, 0, 0, 55.0))
    return bof + number + b"".join(records) + _record(0x000A)


def _formula(size: int) -> bytes:
    """A FORMULA record at A2 whose tokens take ``size`` bytes (their content is not read)."""
    return _record(0x0006, struct.pack("<HHHdHIH", 1, 0, 0, 0.0, 0, 0, size) + bytes(size))


def test_ordinary_formulas_are_read_in_process() -> None:
    assert not _biff._walk_biff(_stream(_sheet(*(_formula(40) for _ in range(2000))))).isolate


def test_a_long_formula_is_read_apart() -> None:
    plan = _biff._walk_biff(_stream(_sheet(_formula(8200))))
    assert plan.isolate and "公式" in plan.reason


def test_many_entries_naming_one_sheet_are_walked_once_and_read_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walked: list[int] = []
    real = _biff._walk_sheet

    def counted(stream: memoryview, offset: int) -> object:
        walked.append(offset)
        return real(stream, offset)

    monkeypatch.setattr(_biff, "_walk_sheet", counted)
    padding = _record(0x0000) * 20_000  # empty records calamine walks for every entry
    plan = _biff._walk_biff(_stream(_sheet(padding), entries=200))
    assert plan.isolate and "工作表记录过多" in plan.reason
    assert len(walked) == 1
    few = _biff._walk_biff(_stream(_sheet(padding), entries=2))
    assert not few.isolate


def _compound(n_fat: int, fat_ids: list[int], sectors: int = 64) -> bytes:
    header = bytearray(512)
    header[:8] = _cfb.MAGIC
    struct.pack_into("<HHHH", header, 0x1A, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, n_fat, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    ids = [*fat_ids, *([0xFFFFFFFF] * (109 - len(fat_ids)))]
    struct.pack_into("<109I", header, 0x4C, *ids)
    return bytes(header) + bytes(512 * sectors)


def test_an_allocation_table_larger_than_the_file_needs_is_refused() -> None:
    with pytest.raises(_cfb.CfbError, match="more allocation-table sectors"):
        _cfb.Compound(_compound(n_fat=60, fat_ids=list(range(60))))
    with pytest.raises(_cfb.CfbError, match="listed twice"):
        _cfb.Compound(_compound(n_fat=2, fat_ids=[0, 0]))
