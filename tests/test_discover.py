"""discover: a folder → SourceFiles with formats sniffed from bytes and guesses from names."""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
import xlwt

from pipeline.discover import department_from_name, discover, period_from_name, sniff_format
from pipeline.errors import InputError
from pipeline.model import Department
from pipeline.targets import load_targets

DEPARTMENTS = load_targets().departments
OLE = bytes.fromhex("D0CF11E0A1B11AE1")


def write_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("进度").write("A1", "指标")
    wb.close()
    return path


def write_xls(path: Path) -> Path:
    wb = xlwt.Workbook(encoding="utf-8")
    wb.add_sheet("表1").write(0, 0, "指标")
    wb.save(str(path))
    return path


def write_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def fake_ole(stream_name: str, directory_sector: int = 1) -> bytes:
    """An OLE2 header whose first directory sector names one stream (UTF-16LE)."""
    header = bytearray(512)
    header[:8] = OLE
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 0x30, directory_sector)
    body = bytearray(512 * (directory_sector + 1))
    name = stream_name.encode("utf-16-le")
    body[512 * directory_sector : 512 * directory_sector + len(name)] = name
    return bytes(header + body)


# --- sniff_format -------------------------------------------------------------------------

SNIFF_CASES: list[tuple[str, bytes | None, str]] = [
    ("empty.xlsx", b"", "empty"),
    ("page.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "html"),
    ("bom.xls", b"\xef\xbb\xbf \r\n<!DOCTYPE html><html></html>", "html"),
    ("frag.xls", b"  <table border=1><tr><td>\xe4\xba\xa4</td></tr></table>", "html"),
    ("x.xls", b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"/>', "html"),
    ("2003.xml", b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office'
     b':spreadsheet"/>', "xml"),
    ("utf8.csv", "指标,累计\n公路,12\n".encode(), "csv"),
    ("bom.csv", "\ufeff指标,累计\n".encode(), "csv"),
    ("gbk.xls", "指标\t累计\n公路\t12\n".encode("gbk"), "csv"),
    ("u16.txt", "指标\t累计\n".encode("utf-16"), "csv"),
    ("note.txt", "没有分隔符的一段话".encode(), "unknown"),
    ("blob.bin", bytes(range(256)) * 4, "unknown"),
    ("enc.xlsx", None, "encrypted"),
    ("far-enc.xlsx", None, "encrypted"),
    ("word.doc", None, "doc"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "expected"), SNIFF_CASES)
def test_sniff_by_bytes(tmp_path: Path, name: str, data: bytes | None, expected: str) -> None:
    """The format comes from the bytes: HTML/CSV named .xls, encrypted OLE, junk, empty."""
    fakes = {
        "enc.xlsx": fake_ole("EncryptedPackage"),
        "far-enc.xlsx": fake_ole("EncryptedPackage", directory_sector=200),  # past 64 KB
        "word.doc": fake_ole("WordDocument"),
    }
    path = tmp_path / name
    path.write_bytes(fakes[name] if data is None else data)
    assert sniff_format(path) == expected


def test_sniff_office_files(tmp_path: Path) -> None:
    """Real xlsx/xls, an xlsx under another name, ods, docx-like and other zips, cut zip."""
    xlsx = write_xlsx(tmp_path / "a.xlsx")
    assert sniff_format(xlsx) == "xlsx"
    (tmp_path / "wps.et").write_bytes(xlsx.read_bytes())
    assert sniff_format(tmp_path / "wps.et") == "xlsx"
    assert sniff_format(write_xls(tmp_path / "b.xls")) == "xls"
    ods = {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}
    assert sniff_format(write_zip(tmp_path / "c.ods", ods)) == "ods"
    docx = {"[Content_Types].xml": "<x/>", "word/document.xml": "<w/>"}
    assert sniff_format(write_zip(tmp_path / "d.xlsx", docx)) == "docx"
    assert sniff_format(write_zip(tmp_path / "e.zip", {"readme.txt": "hi"})) == "zip"
    data = xlsx.read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    assert sniff_format(tmp_path / "cut.xlsx") == "xlsx"  # damaged xlsx, not "not a sheet"


def test_zip_names_are_the_central_directory(tmp_path: Path) -> None:
    """The cheap name list sniffing uses agrees with zipfile, also for UTF-8 names and a
    zip comment; a directory not where the end record says gives None (zipfile decides)."""
    import io

    from pipeline._zipcheck import zip_names

    xlsx = write_xlsx(tmp_path / "a.xlsx")
    assert zip_names(io.BytesIO(xlsx.read_bytes())) == set(zipfile.ZipFile(xlsx).namelist())
    odd = write_zip(tmp_path / "b.zip", {"xl/workbook.xml": "<x/>", "说明/填报.txt": "hi"})
    with zipfile.ZipFile(odd, "a") as zf:
        zf.comment = b"saved by WPS"
    assert zip_names(io.BytesIO(odd.read_bytes())) == {"xl/workbook.xml", "说明/填报.txt"}
    assert zip_names(io.BytesIO(b"MZ" + bytes(3000) + xlsx.read_bytes())) is None
    assert zip_names(io.BytesIO(b"not a zip")) is None


def test_zip_entries_agree_with_zipfile_or_defer_to_it(tmp_path: Path) -> None:
    """The pre-checks' own directory reader gives what zipfile's infolist gives — names,
    sizes, CRCs, offsets, also past a zip64 local header — and None (ask zipfile) for zip64
    sizes in the directory or a prefixed zip."""
    import io

    from pipeline._zipcheck import Entry, zip_entries

    xlsx = write_xlsx(tmp_path / "a.xlsx")
    odd = write_zip(tmp_path / "b.zip", {"xl/workbook.xml": "<x/>", "说明/填报.txt": "hi"})
    local64 = tmp_path / "c.zip"
    with (
        zipfile.ZipFile(local64, "w") as zf,
        zf.open("xl/workbook.xml", "w", force_zip64=True) as member,
    ):
        member.write(b"<x/>")
    for path in (xlsx, odd, local64):
        with zipfile.ZipFile(path) as zf:
            expected = [Entry.of(info) for info in zf.infolist()]
        assert zip_entries(io.BytesIO(path.read_bytes())) == expected
    assert zip_entries(io.BytesIO(b"MZ" + bytes(3000) + xlsx.read_bytes())) is None
    data = bytearray(odd.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 20 : at + 24] = b"\xff\xff\xff\xff"  # compressed size: see the zip64 field
    assert zip_entries(io.BytesIO(bytes(data))) is None


# --- discover -----------------------------------------------------------------------------


def test_discover_lists_direct_files_sorted_and_skips_noise(tmp_path: Path) -> None:
    """Lock files, Thumbs.db and dotfiles are skipped silently, a sub-folder with a warning
    naming it and its file count (an empty one silently); the rest are listed by name."""
    folder = tmp_path / "2022-06"
    folder.mkdir()
    write_xlsx(folder / "县住建局6月.xlsx")
    write_xlsx(folder / "~$县住建局6月.xlsx")
    (folder / "交通局 六月 进度.xls").write_bytes(b"<html><table></table></html>")
    (folder / "Thumbs.db").write_bytes(OLE + b"\0" * 600)
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "desktop.ini").write_text("[.ShellClassInfo]", encoding="utf-8")
    (folder / ".~lock.a.xlsx#").write_text("x", encoding="utf-8")
    (folder / "说明.txt").write_bytes(b"")
    (folder / "sub").mkdir()
    write_xlsx(folder / "sub" / "民政局.xlsx")
    (folder / "empty").mkdir()

    files, issues = discover(folder, DEPARTMENTS)
    assert [(i.code, i.file) for i in issues] == [("W-SUBFOLDER-IGNORED", "sub/")]
    assert "子文件夹“sub”中的 1 个文件未读取" in issues[0].message
    assert [(f.name, f.format, f.department, f.period_guess) for f in files] == [
        ("交通局 六月 进度.xls", "html", "县交通运输局", "2022-06"),
        ("县住建局6月.xlsx", "xlsx", "县住房和城乡建设局", "2022-06"),
        ("说明.txt", "empty", None, None),
    ]
    first = folder / "交通局 六月 进度.xls"
    assert files[0].sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    assert files[0].size == first.stat().st_size and files[0].path == str(first)
    assert files[0].mtime == first.stat().st_mtime


def test_discover_year_argument_and_plain_folder(tmp_path: Path) -> None:
    """Without a YYYY-MM folder name, month-only names get a period only with ``year``."""
    write_xlsx(tmp_path / "交通局6月.xlsx")
    assert discover(tmp_path, DEPARTMENTS)[0][0].period_guess is None
    assert discover(tmp_path, DEPARTMENTS, year=2022)[0][0].period_guess == "2022-06"


def test_discover_empty_and_missing_folders(tmp_path: Path) -> None:
    """An empty folder is an empty list; a missing folder or a file is an InputError."""
    assert discover(tmp_path, DEPARTMENTS) == ([], [])
    with pytest.raises(InputError, match="输入文件夹不存在"):
        discover(tmp_path / "nope", DEPARTMENTS)
    (tmp_path / "f.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match="不是文件夹"):
        discover(tmp_path / "f.xlsx", DEPARTMENTS)


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "department"),
    [
        ("交通局6月.xlsx", "县交通运输局"),
        ("县交通运输局2022年6月民生实事进度.xlsx", "县交通运输局"),
        ("关于报送住建局六月进展的函.xls", "县住房和城乡建设局"),
        ("县卫生健康委员会.xlsx", "县卫健委"),
        ("县 住建局 6月.xlsx", "县住房和城乡建设局"),  # spaces ignored
        ("ＸＸ妇联.xlsx", "县妇联"),  # full-width text normalised
        ("民生实事6月.xlsx", None),
        ("住建局交通局联合报送.xlsx", None),  # two departments, equal length
        ("县交通运输局（住建局配合）.xlsx", None),  # two departments named apart
    ],
)
def test_department_from_name(name: str, department: str | None) -> None:
    """The longest contained name wins over names inside it; two departments give None."""
    assert department_from_name(name, DEPARTMENTS) == department


def test_department_tie_on_the_same_alias_is_ambiguous() -> None:
    """Two departments sharing an alias cannot be told apart from the name alone."""
    depts = [Department("县甲局", ("综合局",)), Department("县乙局", ("综合局",))]
    assert department_from_name("综合局6月.xlsx", depts) is None


@pytest.mark.parametrize(
    ("name", "year", "period"),
    [
        ("交通局6月.xlsx", 2022, "2022-06"),
        ("交通局6月.xlsx", None, None),
        ("6月份.xlsx", 2022, "2022-06"),
        ("六月.xlsx", 2022, "2022-06"),
        ("十二月.xlsx", 2022, "2022-12"),
        ("十一月进度.xlsx", 2022, "2022-11"),
        ("1-6月累计.xlsx", 2022, "2022-06"),
        ("2022-06住建局.xlsx", None, "2022-06"),
        ("2022年6月.xls", None, "2022-06"),
        ("2022年06月.xls", 2023, "2022-06"),  # a year in the name wins
        ("2022年1—6月.xlsx", None, "2022-06"),
        ("住建局202206.xlsx", None, "2022-06"),
        ("2022.6.xlsx", None, "2022-06"),
        ("2022年度交通局6月.xlsx", None, "2022-06"),
        ("6月30日前报送.xlsx", 2022, "2022-06"),
        ("20220705.xlsx", 2022, None),  # a date, not a period
        ("2022-07-05.xlsx", 2022, None),
        ("2022年12期.xlsx", None, None),
        ("5月6月.xlsx", 2022, None),  # two months: unclear
        ("13月.xlsx", 2022, None),
        ("交通局.xlsx", 2022, None),
    ],
)
def test_period_from_name(name: str, year: int | None, period: str | None) -> None:
    """Month in a file name → YYYY-MM; unclear or year-less names → None."""
    assert period_from_name(name, year) == period


def test_a_file_over_the_size_limit_is_hashed_and_sniffed_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_FILE_BYTES the file is hashed in blocks and sniffed from its head (the reader
    refuses it later); the hash is the same as for the whole bytes."""
    import pipeline.discover as discover_module

    folder = tmp_path / "2022-06"
    folder.mkdir()
    path = write_xlsx(folder / "县住建局6月.xlsx")
    monkeypatch.setattr(discover_module, "MAX_FILE_BYTES", 100)
    real = Path.read_bytes

    def no_whole_read(p: Path) -> bytes:
        assert p != path, "read whole"
        return real(p)

    monkeypatch.setattr(Path, "read_bytes", no_whole_read)
    (found,), _ = discover(folder, DEPARTMENTS)
    assert found.sha256 == hashlib.sha256(real(path)).hexdigest()
    assert found.format == "xlsx"


def test_links_that_loop_or_run_through_a_file_are_passed_over(tmp_path: Path) -> None:
    """A symlink loop or a link through a file is neither a file nor a folder: passed over,
    not a stopped run."""
    (tmp_path / "司法局.xlsx").write_bytes(b"PK\x05\x06" + bytes(18))
    os.symlink("loopB", tmp_path / "loopA")
    os.symlink("loopA", tmp_path / "loopB")
    (tmp_path / "说明.txt").write_text("x", encoding="utf-8")
    os.symlink("说明.txt/sub", tmp_path / "bad")
    files, issues = discover(tmp_path, load_targets().departments)
    assert [f.name for f in files] == ["司法局.xlsx", "说明.txt"] and issues == []
