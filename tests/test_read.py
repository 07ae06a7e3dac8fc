"""read: files → sheets as grids from A1, merged ranges filled, bad files as issues."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter
import xlwt

from pipeline.read import MAX_COLS, MAX_ROWS, Book, CellInfo, Sheet, a1, cell_formats, read_book

# --- builders -----------------------------------------------------------------------------


def build_xlsx(path: Path) -> Path:
    """A department workbook: table from C5 with merged headers, formulas, %, hidden sheet."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("进度")
    ws.merge_range("C5:E5", "2022年6月进度")
    ws.write_row("C6", ["指标", "累计", "完成率", "翻倍", "比值"])
    ws.write("C7", "公路")
    ws.write("D7", 12)
    ws.write("E7", 0.25, wb.add_format({"num_format": "0%"}))
    ws.write_formula("F7", "=D7*2", None, 24)
    ws.write_formula("G7", "=D7/0", None, "#DIV/0!")
    ws.merge_range("C8:C9", "乡村")
    ws.write("D8", 3.5)
    ws.write_datetime("D9", dt.datetime(2022, 6, 30), wb.add_format({"num_format": "yyyy-m-d"}))
    hidden = wb.add_worksheet("隐藏")
    hidden.write("A1", "旧数据")
    hidden.hide()
    wb.add_worksheet("空白")
    wb.close()
    return path


def build_xls(path: Path) -> Path:
    """An old-format .xls with a merged header over two rows and three columns."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("表1")
    ws.write_merge(1, 2, 0, 2, "民生实事进度")
    ws.write(3, 0, "公路")
    ws.write(3, 1, 7)
    ws.write(3, 2, 2.5)
    ws.write(4, 0, dt.date(2022, 6, 1), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    old = wb.add_sheet("旧表")
    old.write(0, 0, "x")
    old.visibility = 1  # hidden
    wb.save(str(path))
    return path


_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2">
<office:automatic-styles><style:style style:name="ta2" style:family="table">
<style:table-properties table:display="false"/></style:style></office:automatic-styles>
<office:body><office:spreadsheet>
<table:table table:name="进度">
<table:table-row><table:table-cell/><table:table-cell table:number-columns-spanned="2"
 office:value-type="string"><text:p>合并</text:p></table:table-cell><table:covered-table-cell/>
</table:table-row>
<table:table-row><table:table-cell/><table:table-cell office:value-type="float"
 office:value="12"><text:p>12</text:p></table:table-cell><table:table-cell
 office:value-type="percentage" office:value="0.5"><text:p>50%</text:p></table:table-cell>
</table:table-row></table:table>
<table:table table:name="藏" table:style-name="ta2"><table:table-row><table:table-cell
 office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"""


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def build_ods(path: Path) -> Path:
    """A minimal hand-made OpenDocument spreadsheet (no ods writer is installed)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        content = _ODS_CONTENT.replace("\n", "")  # calamine rejects text between cells
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", _ODS_MANIFEST)  # calamine requires it
    return path


def issue_codes(book: Book) -> list[tuple[str, str, str]]:
    return [(i.code, i.file, i.sheet) for i in book.issues]


def sheet(book: Book, name: str) -> Sheet:
    return next(s for s in book.sheets if s.name == name)


# --- xlsx ---------------------------------------------------------------------------------


def test_xlsx_grid_starts_at_a1_with_merged_ranges_filled(tmp_path: Path) -> None:
    """A table starting at C5 keeps its Excel addresses; merged ranges carry the top-left value;
    formulas give their cached value and an error cell holds its error text."""
    book = read_book(build_xlsx(tmp_path / "交通局6月.xlsx"), "xlsx")
    assert book.issues == ()
    s = sheet(book, "进度")
    assert s.hidden is False
    assert s.merged == ((4, 2, 4, 4), (7, 2, 8, 2))
    blank = (None,) * 7
    assert s.rows == (
        blank, blank, blank, blank,
        (None, None, "2022年6月进度", "2022年6月进度", "2022年6月进度", None, None),
        (None, None, "指标", "累计", "完成率", "翻倍", "比值"),
        (None, None, "公路", 12.0, 0.25, 24.0, "#DIV/0!"),
        (None, None, "乡村", 3.5, None, None, None),
        (None, None, "乡村", dt.date(2022, 6, 30), None, None, None),
    )  # fmt: skip
    assert s.rows[6][3] == 12 and a1(6, 3) == "D7"


def test_xlsx_hidden_and_empty_sheets(tmp_path: Path) -> None:
    """Hidden sheets are read and flagged; an empty sheet is an empty grid; order is kept."""
    book = read_book(build_xlsx(tmp_path / "b.xlsx"), "xlsx")
    assert [(s.name, s.hidden) for s in book.sheets] == [
        ("进度", False),
        ("隐藏", True),
        ("空白", False),
    ]
    assert sheet(book, "隐藏").rows == (("旧数据",),)
    assert sheet(book, "空白").rows == ()


def test_xlsx_with_wrong_extension_is_read_by_content(tmp_path: Path) -> None:
    """An xlsx saved with a .xls (or WPS .et) name is read from its bytes, not its name."""
    path = build_xlsx(tmp_path / "x.xlsx").rename(tmp_path / "交通局.xls")
    book = read_book(path, "xlsx")
    assert book.issues == () and sheet(book, "进度").rows[6][2] == "公路"


def test_far_away_cell_is_refused_before_loading(tmp_path: Path) -> None:
    """A value at XFD1048576 (which makes calamine abort the process) skips only that sheet."""
    path = tmp_path / "far.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("远").write("XFD1048576", 1)
    wb.add_worksheet("正常").write("B2", "ok")
    wb.close()
    book = read_book(path, "xlsx")
    assert issue_codes(book) == [("E-FILE-TOO-LARGE", "far.xlsx", "远")]
    assert "A1:XFD1048576" in book.issues[0].message
    assert [s.name for s in book.sheets] == ["正常"]


@pytest.mark.parametrize(
    ("cell", "too_large"),
    [
        (a1(MAX_ROWS - 1, 0), False),
        (a1(MAX_ROWS, 0), True),
        (a1(0, MAX_COLS - 1), False),
        (a1(0, MAX_COLS), True),
    ],
)
def test_dimension_limit_is_inclusive(tmp_path: Path, cell: str, too_large: bool) -> None:
    """Sheets up to 10,000 rows × 500 columns are read; one cell more is refused."""
    path = tmp_path / "edge.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write(cell, 1)
    wb.close()
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == (["E-FILE-TOO-LARGE"] if too_large else [])
    assert len(book.sheets) == (0 if too_large else 1)


def test_formatting_only_cells_do_not_count_towards_size(tmp_path: Path) -> None:
    """A formatted but empty far cell is ignored, as calamine ignores it."""
    path = tmp_path / "fmt.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write("A1", "x")
    ws.write_blank("ZZ50000", None, wb.add_format({"bold": True}))
    wb.close()
    book = read_book(path, "xlsx")
    assert book.issues == () and book.sheets[0].rows == (("x",),)


def test_cell_formats_gives_number_format_and_error(tmp_path: Path) -> None:
    """openpyxl's second pass tells a % format and a #DIV/0! cell, only for asked cells."""
    path = build_xlsx(tmp_path / "f.xlsx")
    got = cell_formats(path, "xlsx", "进度", [(6, 4), (6, 6), (6, 3), (0, 0)])
    assert got == {
        (6, 4): CellInfo("0%"),
        (6, 6): CellInfo("General", "#DIV/0!"),
        (6, 3): CellInfo("General"),
        (0, 0): CellInfo("General"),
    }


def test_cell_formats_is_empty_for_other_formats_and_bad_input(tmp_path: Path) -> None:
    """No second pass for xls/csv, an unknown sheet or a broken file: just no extra facts."""
    xlsx = build_xlsx(tmp_path / "f.xlsx")
    assert cell_formats(build_xls(tmp_path / "f.xls"), "xls", "表1", [(3, 1)]) == {}
    assert cell_formats(xlsx, "xlsx", "没有", [(0, 0)]) == {}
    assert cell_formats(xlsx, "xlsx", "进度", []) == {}
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04broken")
    assert cell_formats(tmp_path / "bad.xlsx", "xlsx", "进度", [(0, 0)]) == {}


# --- xls / ods ----------------------------------------------------------------------------


def test_xls_merged_cells_and_hidden_sheet(tmp_path: Path) -> None:
    """Old .xls: merged ranges filled, integers stay int, dates are dates, hidden flagged."""
    book = read_book(build_xls(tmp_path / "住建局.xls"), "xls")
    s = sheet(book, "表1")
    assert s.merged == ((1, 0, 2, 2),)
    assert s.rows == (
        (None, None, None),
        ("民生实事进度",) * 3,
        ("民生实事进度",) * 3,
        ("公路", 7, 2.5),
        (dt.date(2022, 6, 1), None, None),
    )
    assert sheet(book, "旧表").hidden is True


def test_xls_too_many_rows_is_refused_after_loading(tmp_path: Path) -> None:
    """For .xls (at most 65,536 × 256 cells) the size is checked before building the grid."""
    wb = xlwt.Workbook(encoding="utf-8")
    wb.add_sheet("长表").write(MAX_ROWS, 0, 1)
    wb.add_sheet("短表").write(0, 0, 1)
    wb.save(str(tmp_path / "long.xls"))
    book = read_book(tmp_path / "long.xls", "xls")
    assert issue_codes(book) == [("E-FILE-TOO-LARGE", "long.xls", "长表")]
    assert [s.name for s in book.sheets] == ["短表"]


def test_ods_values_and_hidden_sheet(tmp_path: Path) -> None:
    """ODS is read (calamine reports no merged ranges for it, so nothing is filled)."""
    book = read_book(build_ods(tmp_path / "a.ods"), "ods")
    s = sheet(book, "进度")
    assert s.rows == ((None, "合并", None), (None, 12.0, 0.5))
    assert s.merged == ()
    assert sheet(book, "藏").hidden is True


# --- csv ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("utf-16", b"")],
)
def test_csv_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    """CSV in UTF-8, UTF-8 with BOM, GBK and UTF-16: one sheet named after the file, strings."""
    path = tmp_path / "民政局6月.csv"
    path.write_bytes(prefix + "指标,累计,单位\r\n低保,1234,人\r\n".encode(encoding))
    book = read_book(path, "csv")
    assert book == Book(
        sheets=(Sheet("民政局6月", False, (("指标", "累计", "单位"), ("低保", "1234", "人"))),)
    )


def test_csv_delimiter_quotes_and_ragged_rows(tmp_path: Path) -> None:
    """Tab-separated text is sniffed; quoted commas survive; short rows are padded with None."""
    path = tmp_path / "t.csv"
    path.write_text('指标\t说明\t值\n公路\t"修建,改造"\t5\n合计\n\n', encoding="utf-8")
    rows = read_book(path, "csv").sheets[0].rows
    assert rows == (("指标", "说明", "值"), ("公路", "修建,改造", "5"), ("合计", None, None))


def test_csv_too_many_rows_and_bad_encoding(tmp_path: Path) -> None:
    """A CSV over the row limit and one in no known encoding become file-level issues."""
    big = tmp_path / "big.csv"
    big.write_text("a,b\n" * (MAX_ROWS + 1), encoding="utf-8")
    assert issue_codes(read_book(big, "csv")) == [("E-FILE-TOO-LARGE", "big.csv", "big")]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\x80\xff,1\n")
    assert issue_codes(read_book(bad, "csv")) == [("E-FILE-UNREADABLE", "bad.csv", "")]


# --- bad files ----------------------------------------------------------------------------


def test_truncated_and_garbage_files_are_unreadable_issues(tmp_path: Path) -> None:
    """Corrupt input never raises: truncated xlsx, junk named .xls, unknown format."""
    good = build_xlsx(tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (tmp_path / "page.xls").write_text("<html><table></table></html>", encoding="utf-8")
    for name, fmt in [("cut.xlsx", "xlsx"), ("junk.xls", "xls"), ("page.xls", "html")]:
        book = read_book(tmp_path / name, fmt)
        assert book.sheets == ()
        assert issue_codes(book) == [("E-FILE-UNREADABLE", name, "")]
        assert book.issues[0].message.startswith(f"文件无法读取：{name}")


def test_password_protected_workbook_is_its_own_issue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine's PasswordError (encrypted .xls) becomes E-FILE-ENCRYPTED, not a crash."""

    def locked(_fh: object) -> None:
        raise python_calamine.PasswordError("password protected")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", locked)
    book = read_book(build_xls(tmp_path / "锁.xls"), "xls")
    assert issue_codes(book) == [("E-FILE-ENCRYPTED", "锁.xls", "")]
    assert book.issues[0].message == "文件已设置打开密码：锁.xls，无法读取，请取消密码后重新报送"


def test_sniffed_encrypted_package_is_encrypted_issue(tmp_path: Path) -> None:
    """A file discover sniffed as "encrypted" (password-protected xlsx) gets the same issue."""
    (tmp_path / "密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    book = read_book(tmp_path / "密.xlsx", "encrypted")
    assert issue_codes(book) == [("E-FILE-ENCRYPTED", "密.xlsx", "")]


def test_error_cells_found_whatever_the_attribute_order(tmp_path: Path) -> None:
    """Error text is recovered from sheet XML with prefixed tags and t= before r=."""
    from pipeline._precheck import scan_sheet_xml

    xml = (
        b'<x:sheetData><x:row r="2"><x:c t="e" r="B2"><x:f>NA()</x:f><x:v>#N/A</x:v></x:c>'
        b'<x:c r="C2" s="3" t="e"><x:v>#REF!</x:v></x:c><x:c r="D2"><x:v>1</x:v></x:c>'
        b"</x:row></x:sheetData>"
    )
    scan = scan_sheet_xml(xml)
    assert scan is not None and scan.errors == {(1, 1): "#N/A", (1, 2): "#REF!"}
    assert (scan.rows, scan.cols, scan.too_large) == (2, 4, False)


@pytest.mark.parametrize(
    ("row", "col", "address"),
    [(0, 0, "A1"), (6, 1, "B7"), (0, 25, "Z1"), (0, 26, "AA1"), (9, 701, "ZZ10"), (0, 702, "AAA1")],
)
def test_a1(row: int, col: int, address: str) -> None:
    """0-based coordinates turn into Excel addresses, past Z and ZZ."""
    assert a1(row, col) == address
