"""Hostile and broken files: each is bounded before any reader touches it, becomes one clear
file-level issue, leaves its department ``unreadable``, and never takes the run down."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import hostile
import openpyxl
import pytest
from builders import department_sheet, write_xls, write_xlsx

from pipeline import _precheck, _sandbox, _zipcheck
from pipeline.discover import sniff_format
from pipeline.job import run_job
from pipeline.read import Book, Sheet, cell_formats, read_book, read_in_process
from pipeline.workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2022-06"
SECRET = "MINSHENG-SECRET-7f3a91"  # the content of a local file an XXE tries to pull in

# the per-indicator record of what a file did not give (pipeline.coverage)
ACCOUNTING = ("W-INDICATOR-MISSING", "I-INDICATOR-MISSING")


def _pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


# (file name → department, builder, expected file-level issue code)
CASES: list[tuple[str, str, Callable[[Path], Path], str]] = [
    ("交通局6月.xlsx", "县交通运输局", hostile.zip_bomb, "E-FILE-TOO-LARGE"),
    ("住建局6月.xlsx", "县住房和城乡建设局", hostile.lying_zip, "E-FILE-UNREADABLE"),
    ("民政局6月.xlsx", "县民政局",
     lambda p: hostile.billion_laughs(p, hostile.SHEET_XML), "E-FILE-UNREADABLE"),
    ("卫健委6月.xlsx", "县卫健委",
     lambda p: hostile.billion_laughs(p, hostile.STRINGS_XML), "E-FILE-UNREADABLE"),
    ("人社局6月.xlsx", "县人社局", hostile.far_cell_xlsx, "E-FILE-TOO-LARGE"),
    ("妇联6月.xls", "县妇联", hostile.far_cell_xls, "E-FILE-TOO-LARGE"),
    ("医保局6月.xls", "县医保局", hostile.xls_bad_sheet_offset, "E-FILE-UNREADABLE"),
    ("残联6月.xls", "县残联", hostile.xls_lying_dimensions, "E-FILE-TOO-LARGE"),
    ("总工会6月.xlsx", "县总工会", hostile.truncated, "E-FILE-UNREADABLE"),
    ("文旅体局6月.xlsx", "县文化旅游体育局", _empty, "E-FILE-EMPTY"),
    ("发改委6月.xlsx", "县发改委", hostile.word_as_xlsx, "E-FILE-NOT-EXCEL"),
    ("科商经信局6月.xlsx", "县科技商务经信局", hostile.encrypted_xlsx, "E-FILE-ENCRYPTED"),
    ("农水局6月.xlsx", "县农水局", hostile.xml_sheet_without_addresses, "E-FILE-TOO-LARGE"),
    ("市场监管局6月.xls", "县市场监管局", _pdf, "E-FILE-NOT-EXCEL"),
]  # fmt: skip
XXE_FILE = "教育局6月.xlsx"


def table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def run_cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pipeline", "run", "--period", PERIOD, "-w", str(ws), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One workspace holding every hostile case, the XXE file and a web page saved as .xls,
    run once through the real command line (so a native crash would show as a dead process)."""
    ws = tmp_path_factory.mktemp("hostile")
    folder = ws / "inputs" / PERIOD
    folder.mkdir(parents=True)
    secret = ws / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    for name, _dept, build, _code in CASES:
        build(folder / name)
    hostile.external_entity(folder / XXE_FILE, secret)
    hostile.html_as_xls(folder / "司法局6月.xls")
    proc = run_cli(ws)
    assert proc.returncode == 0, proc.stderr
    return ws, proc.stdout + proc.stderr


def test_every_hostile_file_is_one_clear_file_issue(hostile_run: tuple[Path, str]) -> None:
    """Zip bomb, lying zip sizes, billion laughs (sheet and shared strings), far cells (xlsx and
    a multi-sheet xls), an xls that panics calamine, an xls claiming 4 billion rows, a truncated
    zip, zero bytes, Word named .xlsx, a real encrypted xlsx, unaddressed cells, a PDF named .xls
    — each gives exactly one error, with the expected code and a Chinese message."""
    ws, _ = hostile_run
    issues = table(ws / "outputs" / PERIOD / "issues.csv")
    got = {
        name: [
            (i["code"], i["department"])
            for i in issues
            if i["file"] == name and i["code"] not in ACCOUNTING
        ]
        for name, *_ in CASES
    }
    assert got == {name: [(code, dept)] for name, dept, _, code in CASES}
    for issue in issues:
        if issue["code"].startswith("E-FILE"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in issue["message"])
            assert "Error" not in issue["message"] and "Traceback" not in issue["message"]


def test_hostile_departments_are_unreadable(hostile_run: tuple[Path, str]) -> None:
    """Each department whose only file was refused is ``unreadable`` in submissions.csv."""
    ws, _ = hostile_run
    subs = table(ws / "outputs" / PERIOD / "submissions.csv")
    status = {(s["department"], s["files"]): s["status"] for s in subs}
    for name, dept, _, _ in CASES:
        assert status[(dept, name)] == "unreadable"
    assert status[("县教育局", XXE_FILE)] == "unreadable"


def test_html_saved_as_xls_is_read_with_exact_values(hostile_run: tuple[Path, str]) -> None:
    """司法局's web-system export (GB2312 HTML named .xls) is read from its first table: the
    values are exact, the source cell is the table's, and a W-FILE-HTML warning says what it was."""
    ws, _ = hostile_run
    out = ws / "outputs" / PERIOD
    row = next(r for r in table(out / "observations.csv") if r["indicator_id"] == "18.1")
    assert (row["value"], row["monthly_value"], row["department"]) == ("55", "10", "县司法局")
    assert (row["source_file"], row["source_sheet"], row["source_cell"]) == (
        "司法局6月.xls",
        "司法局6月",
        "C4",
    )
    issues = [
        (i["code"], i["severity"])
        for i in table(out / "issues.csv")
        if i["file"] == row["source_file"]
    ]
    assert [c for c in issues if c[0] not in ("W-SUBMISSION-LATE", *ACCOUNTING)] == [
        ("W-FILE-HTML", "warning")
    ]
    subs = {s["files"]: s["status"] for s in table(out / "submissions.csv")}
    assert subs["司法局6月.xls"] in ("on_time", "late")


def _all_output_bytes(ws: Path) -> list[tuple[str, bytes]]:
    """Every output file's bytes, with the members of zip containers (xlsx) expanded."""
    found: list[tuple[str, bytes]] = []
    for path in sorted([*(ws / "outputs").rglob("*"), *ws.glob("minsheng.db*")]):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found.append((str(path), data))
        if data.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                found.extend((f"{path}!{n}", zf.read(n)) for n in zf.namelist())
    return found


def test_external_entity_never_leaks(hostile_run: tuple[Path, str]) -> None:
    """The XXE's target file content appears in no output, the store or the console; the file
    itself is refused for its DTD."""
    ws, console = hostile_run
    marker = SECRET.encode()
    outputs = _all_output_bytes(ws)
    assert len(outputs) > 5
    assert [name for name, data in outputs if marker in data] == []
    assert SECRET not in console
    issues = table(ws / "outputs" / PERIOD / "issues.csv")
    assert [
        (i["code"], "DTD" in i["message"])
        for i in issues
        if i["file"] == XXE_FILE and i["code"] not in ACCOUNTING
    ] == [("E-FILE-UNREADABLE", True)]


def test_manifest_lists_every_hostile_input(hostile_run: tuple[Path, str]) -> None:
    """The run's manifest still accounts for every input, with its sniffed format."""
    ws, _ = hostile_run
    manifest = json.loads((ws / "outputs" / PERIOD / "manifest.json").read_text("utf-8"))
    formats = {i["name"]: i["format"] for i in manifest["inputs"]}
    assert formats["科商经信局6月.xlsx"] == "encrypted"
    assert formats["发改委6月.xlsx"] == "docx"
    assert formats["司法局6月.xls"] == "html"
    assert formats["市场监管局6月.xls"] == "pdf"
    assert len(formats) == len(CASES) + 2


# --- file names that need quoting --------------------------------------------------------------


def test_file_names_with_quotes_commas_and_newlines_are_quoted(tmp_path: Path) -> None:
    """File names with ``"``, ``,`` and a newline survive into the CSV contracts exactly, and
    are quoted there as RFC 4180 says."""
    folder = tmp_path / "inputs" / PERIOD
    folder.mkdir(parents=True)
    good = '司法局"6月",修改\n版.xlsx'
    bad = '交通局,"坏"\n文件.xlsx'
    hostile.good_xlsx(folder / good)
    hostile.truncated(folder / bad)
    run_job(open_workspace(tmp_path), PERIOD)
    out = tmp_path / "outputs" / PERIOD
    obs = next(r for r in table(out / "observations.csv") if r["indicator_id"] == "18.1")
    assert (obs["source_file"], obs["value"]) == (good, "55")
    assert [i["file"] for i in table(out / "issues.csv") if i["code"] == "E-FILE-UNREADABLE"] == [
        bad
    ]
    subs = {s["files"]: s["status"] for s in table(out / "submissions.csv")}
    assert subs[bad] == "unreadable" and subs[good] in ("on_time", "late")
    raw = (out / "observations.csv").read_text(encoding="utf-8-sig")
    assert '"司法局""6月"",修改\n版.xlsx"' in raw
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert {i["name"] for i in manifest["inputs"]} == {good, bad}


# --- the checks before reading -----------------------------------------------------------------


def test_small_workbooks_are_read_in_process(tmp_path: Path) -> None:
    """The common case — a small xlsx or xls — is proven bounded and read without a worker."""
    xlsx = hostile.good_xlsx(tmp_path / "a.xlsx")
    xls = write_xls(tmp_path / "b.xls", [department_sheet(None, hostile.ROWS)])
    assert _precheck.plan(xlsx, "xlsx").isolate is False
    assert _precheck.plan(xls, "xls").isolate is False


@pytest.mark.parametrize(("fmt", "budget"), [("xlsx", "IN_PROCESS_XML"), ("xls", "IN_PROCESS_XLS")])
def test_unbounded_workbooks_go_to_the_worker_and_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, budget: str
) -> None:
    """A workbook over the in-process budget is read by the sandbox worker, to the same book."""
    sheets = [department_sheet(None, hostile.ROWS)]
    path = (write_xls if fmt == "xls" else write_xlsx)(tmp_path / f"a.{fmt}", sheets)
    here = read_book(path, fmt)
    monkeypatch.setattr(_precheck, budget, 100)
    plan = _precheck.plan(path, fmt)
    assert plan.isolate and ("过大" in plan.reason or "较大" in plan.reason)
    calls: list[Path] = []
    real = _sandbox.read_isolated

    def spy(p: Path, fmt: str) -> Book:
        calls.append(p)
        return real(p, fmt)

    monkeypatch.setattr("pipeline.read.read_isolated", spy)
    assert read_book(path, fmt) == here
    assert calls == [path]


@pytest.mark.parametrize(
    ("limit", "value", "why"),
    [
        ("MAX_FILE_BYTES", 1000, "文件大小"),
        ("MAX_ZIP_ENTRIES", 3, "个部件"),
        ("MAX_CENTRAL_DIRECTORY", 200, "个部件"),
        ("MAX_UNZIPPED", 2000, "疑似压缩炸弹"),
    ],
)
def test_container_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int, why: str
) -> None:
    """File size, zip entry count and declared inflated size are each refused before reading."""
    path = hostile.good_xlsx(tmp_path / "a.xlsx")
    monkeypatch.setattr(_precheck if limit == "MAX_FILE_BYTES" else _zipcheck, limit, value)
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-TOO-LARGE"] and book.sheets == ()
    assert why in book.issues[0].message


def test_duplicate_zip_members_are_refused(tmp_path: Path) -> None:
    """Two sheet parts under one name: the checks could scan one and the reader take the
    other (say, one with a far-away cell), so the file is refused."""
    path = hostile.good_xlsx(tmp_path / "a.xlsx")
    far = b'<worksheet><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr(hostile.SHEET_XML, far + b"</sheetData></worksheet>")
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-UNREADABLE"]
    assert "重名" in book.issues[0].message


def test_encrypted_xls_is_found_by_the_record_walk(tmp_path: Path) -> None:
    """An xls with a FILEPASS record is encrypted: refused without opening it."""
    path = write_xls(tmp_path / "锁.xls", [department_sheet(None, hostile.ROWS)])
    data = bytearray(path.read_bytes())
    pos = 512 + 4 + struct.unpack_from("<H", data, 512 + 2)[0]  # the record after BOF
    struct.pack_into("<HHH", data, pos, 0x002F, 2, 1)
    path.write_bytes(bytes(data))
    book = read_book(path, "xls")
    assert [i.code for i in book.issues] == ["E-FILE-ENCRYPTED"]
    assert book.issues[0].message.startswith("文件已加密：锁.xls")


def test_a_rust_panic_in_process_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    """Even read in-process (skipping the checks), calamine's panic is caught as a bad file."""
    path = hostile.xls_bad_sheet_offset(tmp_path / "p.xls")
    book = read_in_process(path, "xls")
    assert [i.code for i in book.issues] == ["E-FILE-UNREADABLE"]


def test_openpyxl_uses_defusedxml_and_refuses_entities(tmp_path: Path) -> None:
    """openpyxl parses through defusedxml here, so its second pass never expands an entity or
    reads an external one: it simply gives no extra facts."""
    assert openpyxl.DEFUSEDXML is True
    secret = tmp_path / "s.txt"
    secret.write_text(SECRET, encoding="utf-8")
    xxe = hostile.external_entity(tmp_path / "x.xlsx", secret)
    laughs = hostile.billion_laughs(tmp_path / "l.xlsx", hostile.SHEET_XML)
    assert cell_formats(xxe, "xlsx", "进度表", [(2, 0)]) == {}
    assert cell_formats(laughs, "xlsx", "进度表", [(2, 2)]) == {}


def test_dtd_check_sees_utf16_parts() -> None:
    """A DTD hidden in a UTF-16 part is refused too; UTF-16 without one goes to the worker."""
    dtd = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    with pytest.raises(_precheck.Refused):
        _zipcheck.check_xml("p.xml", dtd.encode("utf-16"))
    assert _zipcheck.check_xml("p.xml", "<x/>".encode("utf-16")) is False
    assert _zipcheck.check_xml("p.xml", b"<x/>") is True
    for order in ("utf-16-le", "utf-16-be"):  # no byte-order mark: expat reads it either way
        bomless = ' <!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'.encode(order)
        with pytest.raises(_precheck.Refused):
            _zipcheck.check_xml("p.xml", bomless)


def test_a_bomless_utf16_part_with_entities_is_refused(tmp_path) -> None:
    """The relationships part of a workbook in UTF-16 without a byte-order mark, a DTD and an
    entity expanded a million times: refused before any parser sees it."""
    ent = "A" * 400
    base = hostile.good_xlsx(tmp_path / "base.xlsx")

    def evil(data: bytes) -> bytes:
        body = data.decode().split("?>", 1)[-1].replace("</Relationships>", "")
        xml = f' <!DOCTYPE Relationships [<!ENTITY a "{ent}">]>{body}<x>{"&a;" * 20000}</x>'
        return (xml + "</Relationships>").encode("utf-16-le")

    rels = "xl/_rels/workbook.xml.rels"
    path = hostile.rewrite_zip(base, tmp_path / "evil.xlsx", {rels: evil})
    with pytest.raises(_precheck.Refused):
        _precheck.plan(path, "xlsx")
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-UNREADABLE"] and not book.sheets


@pytest.mark.parametrize("case", ["locator", "record"])
def test_zip_end_records_pointing_far_away_do_not_stop_the_run(tmp_path, case) -> None:
    """A zip64 end record whose offsets point exabytes past the file is a damaged zip."""

    def end(entries: int, size: int, offset: int) -> bytes:
        return b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, entries, entries, size, offset, 0)

    body = b"PK\x03\x04" + bytes(100)
    if case == "locator":
        data = body + b"PK\x06\x07" + struct.pack("<IQI", 0, 2**63 + 5, 1)
    else:
        record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 1, 1, 10, 2**63 + 7)
        data = body + record + b"PK\x06\x07" + struct.pack("<IQI", 0, len(body), 1)
    path = tmp_path / "odd.xlsx"
    path.write_bytes(data + end(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
    assert _zipcheck.zip_names(io.BytesIO(path.read_bytes())) is None  # no seek to 2**63
    assert sniff_format(path) == "zip"
    assert sniff_format(path, path.read_bytes()) == "zip"


def test_a_structure_part_of_a_million_elements_is_not_held_in_memory(tmp_path) -> None:
    """workbook.xml.rels swollen with empty elements: the structure parser gives up (the
    file goes to the isolated reader) instead of keeping every element."""
    base = hostile.good_xlsx(tmp_path / "base.xlsx")

    def swollen(data: bytes) -> bytes:
        return data.replace(b"</Relationships>", b"<a/>" * 200_000 + b"</Relationships>")

    rels = "xl/_rels/workbook.xml.rels"
    path = hostile.rewrite_zip(base, tmp_path / "swollen.xlsx", {rels: swollen})
    plan = _precheck.plan(path, "xlsx")
    assert plan.isolate and "工作簿结构无法解析" in plan.reason


# --- the worker --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returncode", "stderr", "code"),
    [
        (-6, b"memory allocation of 68719476736 bytes failed\n", "E-FILE-TOO-LARGE"),
        (3, b"", "E-FILE-TOO-LARGE"),
        (-getattr(signal, "SIGXCPU", 24), b"", "E-FILE-TOO-LARGE"),  # over the CPU time
        (-getattr(signal, "SIGKILL", 9), b"", "E-FILE-TOO-LARGE"),  # hard limit, OOM killer
        (-11, b"", "E-FILE-UNREADABLE"),
        (1, b"Traceback ...", "E-FILE-UNREADABLE"),
    ],
)
def test_worker_failures_become_issues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returncode: int, stderr: bytes, code: str
) -> None:
    """However the worker dies (abort on allocation, out of CPU time, a segfault, a Python error)
    the parent gets one file-level issue."""
    if returncode in (-24, -9) and not hasattr(signal, "SIGXCPU"):  # Windows
        pytest.skip("no SIGXCPU/SIGKILL on this platform")

    def died(*args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess([], returncode, b"", stderr)

    monkeypatch.setattr(subprocess, "run", died)
    book = _sandbox.read_isolated(tmp_path / "x.ods", "ods")
    assert [i.code for i in book.issues] == [code] and book.sheets == ()


def test_worker_timeout_is_an_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that hangs past the wall-clock limit is stopped and the file reported."""

    def hangs(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired("worker", 1)

    monkeypatch.setattr(subprocess, "run", hangs)
    book = _sandbox.read_isolated(tmp_path / "x.ods", "ods")
    assert [i.code for i in book.issues] == ["E-FILE-TOO-LARGE"]


def test_worker_output_round_trips_every_value_type() -> None:
    """The worker's JSON carries dates, times, durations, numbers, text, booleans and blanks."""
    import datetime as dt

    row = (None, 1, 2.5, "文本", True, dt.date(2022, 6, 30), dt.datetime(2022, 6, 30, 8, 5))
    row2 = (dt.time(9, 30), dt.timedelta(days=1, seconds=5), "", False, -0.0, 10**12, "{}")
    book = Book((Sheet("表", True, (row, row2), ((0, 0, 1, 1),)),), ())
    again = _sandbox.decode_book(json.loads(json.dumps(_sandbox.encode_book(book))))
    assert again == book
    assert [type(v) for v in again.sheets[0].rows[0]] == [type(v) for v in row]


# --- sniffing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "image"),
        (b"Rar!\x1a\x07\x01\x00", "archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "archive"),
        (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n", "mhtml"),
        (b"<!-- saved from url=(0014)about:internet -->\r\n<html><table>", "html"),
        (b"<!-- a comment only -->", "unknown"),
    ],
)
def test_sniff_more_formats(tmp_path: Path, data: bytes, fmt: str) -> None:
    """PDFs, pictures, other archives and single-file web pages are told apart from workbooks."""
    path = tmp_path / "f.xls"
    path.write_bytes(data)
    assert sniff_format(path) == fmt


def test_sniff_real_compound_files(tmp_path: Path) -> None:
    """A real encrypted xlsx (msoffcrypto), a real xls and a pptx are named by their streams or
    parts, the compound file directory being followed properly."""
    assert sniff_format(hostile.encrypted_xlsx(tmp_path / "e.xlsx")) == "encrypted"
    xls = write_xls(tmp_path / "b.xls", [department_sheet(None, hostile.ROWS)])
    assert sniff_format(xls) == "xls"
    with zipfile.ZipFile(tmp_path / "p.xlsx", "w") as zf:
        zf.writestr("ppt/presentation.xml", "<p/>")
    assert sniff_format(tmp_path / "p.xlsx") == "pptx"


# --- html ---------------------------------------------------------------------------------------


def _html(tmp_path: Path, body: str, encoding: str = "utf-8") -> Book:
    path = tmp_path / "网页.xls"
    path.write_bytes(body.encode(encoding))
    return read_book(path, "html")


def test_html_spans_breaks_nested_tables_and_entities(tmp_path: Path) -> None:
    """rowspan/colspan fill like merged cells; <br> is a line break; a nested table is its cell's
    text; entities decode; script text is ignored; only the first table is read."""
    book = _html(
        tmp_path,
        "<html><body><script>var t='<td>x</td>';</script><table>"
        "<tr><th rowspan=2>指标</th><th colspan=2>完成情况</th></tr>"
        "<tr><td>本月</td><td>累计</td></tr>"
        "<tr><td>公路&amp;桥梁<br>改造</td><td>1</td><td><table><tr><td>2</td><td>公里</td></tr>"
        "</table></td></tr><tr><td colspan=0>  空格\u3000很多  </td></tr></table>"
        "<table><tr><td>不读</td></tr></table></body></html>",
    )
    (sheet,) = book.sheets
    assert sheet.rows == (
        ("指标", "完成情况", "完成情况"),
        ("指标", "本月", "累计"),
        ("公路&桥梁\n改造", "1", "2 公里"),
        ("空格 很多", None, None),
    )
    assert sheet.merged == ((0, 0, 1, 0), (0, 1, 0, 2))
    assert [i.code for i in book.issues] == ["W-FILE-HTML"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("<html><body><p>没有表格</p></body></html>", "E-FILE-NOT-EXCEL"),
        ("<html><table></table></html>", "E-FILE-UNREADABLE"),
        ("<table><tr><td colspan=999>x</td></tr></table>", "E-FILE-TOO-LARGE"),
        ("<table>" + "<tr><td rowspan=60000>x</td></tr>", "E-FILE-TOO-LARGE"),
    ],
)
def test_html_without_a_usable_table(tmp_path: Path, body: str, code: str) -> None:
    """A page with no table is not a spreadsheet; an empty one is unreadable; spans past the
    sheet limits are refused before the grid is built."""
    book = _html(tmp_path, body)
    assert [i.code for i in book.issues] == [code] and book.sheets == ()


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ('<meta charset="gbk">', "gbk"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=GB2312">', "gb2312"),
        ("", "gb18030"),
        ("", "utf-8"),
        ('<meta charset="utf-8">', "utf-8"),
    ],
)
def test_html_encodings(tmp_path: Path, head: str, encoding: str) -> None:
    """GBK/GB2312 pages (declared or not) and UTF-8 pages all read to the same text."""
    book = _html(tmp_path, f"<html><head>{head}</head><table><tr><td>累计完成</td>", encoding)
    assert book.sheets[0].rows == (("累计完成",),)


def test_workbook_structure_parts_refuse_a_dtd_themselves() -> None:
    """Belt and braces behind check_xml: the parser of workbook.xml and its relationships
    refuses a DOCTYPE as soon as it starts, and still reads a plain workbook."""
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="t"/>'
        b"</Relationships>"
    )
    book = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r='
        '"http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="进度&amp;表" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ).encode()
    parts = {"xl/_rels/workbook.xml.rels": rels, "xl/workbook.xml": book}
    assert _precheck.sheet_parts(parts) == {"进度&表": "xl/worksheets/sheet1.xml"}
    laughs = b'<!DOCTYPE w [<!ENTITY a "aaaa">]>' + book.replace(b"&amp;", b"&a;")
    with pytest.raises(_precheck.Refused):
        _precheck.sheet_parts({**parts, "xl/workbook.xml": laughs})


def test_the_quick_extent_never_undercounts_a_cell() -> None:
    """The quick sheet scan takes only parts whose every cell tag is a plain ``<c r="A1"``;
    any other spelling of a far-away cell sends the part to the exact scan, which sees it."""
    body = b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"/></row>'
    plain = body + b"</sheetData>"
    assert _precheck._quick_extent(plain) == (1, 2)  # formatting-only B1 counts: a bound
    far = b'<row r="1048576"><c%sr="XFD1048576"><v>1</v></c></row></sheetData>'
    for space in (b"\t", b"\n", b"\r\n", b' s="1" '):
        xml = body + far % space
        assert _precheck._quick_extent(xml) is None, space
        scan = _precheck.scan_sheet_xml(xml)
        assert scan is not None and scan.too_large and scan.rows == 1048576
    prefixed = body.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>") + b"</sheetData>"
    assert _precheck._quick_extent(prefixed) is None
    lower = body + b'<row r="9"><c r="zz9"><v>1</v></c></row></sheetData>'
    assert _precheck._quick_extent(lower) is None
    assert _precheck.scan_sheet_xml(lower).cols == 702  # ZZ, found by the exact scan
    bare = body + b"<row><c><v>1</v></c></row></sheetData>"
    assert _precheck._quick_extent(bare) is None and _precheck.scan_sheet_xml(bare) is None


def test_formatting_far_below_the_data_is_not_a_too_large_sheet() -> None:
    """Borders applied down to row 60,000 (formatting-only cells): the quick bound is too
    big to trust, so the exact scan decides, and the sheet is read."""
    data = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    styled = b"".join(b'<row r="%d"><c r="A%d" s="2"/></row>' % (r, r) for r in range(2, 60_001))
    xml = b"<sheetData>" + data + styled + b"</sheetData>"
    assert _precheck._quick_extent(xml) is None
    scan = _precheck.scan_sheet_xml(xml)
    assert scan is not None and (scan.rows, scan.cols, scan.too_large) == (1, 1, False)


FAR = b"XFD1048576"


@pytest.mark.parametrize(
    "tag",
    [
        b'<c r="A1" r="' + FAR + b'">',  # a reader takes the last r
        b'<c r = "A1" r = "' + FAR + b'">',
        b'<c r="A1"\tr="' + FAR + b'">',
        b'<c x:r="A1" r="' + FAR + b'">',
        b'<:c r="' + FAR + b'">',  # an empty prefix
        '<ä:c r="XFD1048576">'.encode(),  # a non-ASCII prefix
        b'<c foo-r="A1" r="' + FAR + b'">',
        b'<c s=\' r="A1"\' r="' + FAR + b'">',  # a fake r inside a quoted value
        b'<c r="' + FAR + b'" foo="/>">',  # "/>" inside a value is not the tag's end
        b"<c r='" + FAR + b"'>",
        b'<c r="' + FAR + b'" s="1" >',
    ],
)
def test_a_far_cell_is_never_missed_however_its_tag_is_written(tag: bytes) -> None:
    """Each spelling of a cell at XFD1048576 beside a plain A1: the scan either sees the far
    cell (too large) or gives up (the isolated reader takes the file), never a small sheet."""
    xml = b'<sheetData><row r="1"><c r="A1"><v>1</v></c>' + tag + b"<v>1</v></c></row></sheetData>"
    scan = _precheck.scan_sheet_xml(xml)
    assert scan is None or (scan.too_large and scan.rows == 1048576), scan
    assert _precheck._quick_extent(xml) is None


READ_IN_CHILD = """
import sys
from pathlib import Path
from pipeline.read import read_book
path = Path(sys.argv[1])
print(*[i.code for i in read_book(path, "xlsx", path.read_bytes()).issues])
"""


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (hostile.split_directory_xlsx, "E-FILE-TOO-LARGE"),
        (hostile.unicode_path_xlsx, "E-FILE-TOO-LARGE"),
        (lambda p: hostile.unicode_path_xlsx(p, "local"), "E-FILE-UNREADABLE"),
        (lambda p: hostile.two_end_records_xlsx(p, "comment"), "E-FILE-TOO-LARGE"),
        (lambda p: hostile.two_end_records_xlsx(p, "offset"), "E-FILE-TOO-LARGE"),
        (hostile.unflagged_twin_xlsx, "E-FILE-TOO-LARGE"),
        (lambda p: hostile.mapped_far_xlsx(p, "dupname"), "E-FILE-TOO-LARGE"),
        (lambda p: hostile.mapped_far_xlsx(p, "dot"), "E-FILE-TOO-LARGE"),
        (lambda p: hostile.mapped_far_xlsx(p, "nested"), "E-FILE-TOO-LARGE"),
        (lambda p: hostile.mapped_far_xlsx(p, "idattr"), "E-FILE-TOO-LARGE"),
        (lambda p: hostile.counted_far_cell_xlsx(p, b'<c x:r="A1">'), "E-FILE-TOO-LARGE"),
        (lambda p: hostile.counted_far_cell_xlsx(p, b'<c x/r="A1">'), "E-FILE-TOO-LARGE"),
        (
            lambda p: hostile.counted_far_cell_xlsx(p, b"<c a/='r=\"A1\" x=\"' b/='\"'>"),
            "E-FILE-TOO-LARGE",
        ),
        (
            lambda p: hostile.counted_far_cell_xlsx(p, b"<a/b:c>", b"</a/b:c>"),
            "E-FILE-TOO-LARGE",
        ),
        (hostile.merge_flood_xlsx, "E-FILE-TOO-LARGE"),
        (
            lambda p: hostile._sheet_data(
                p,
                b'<row r="1"><c r="A1"><v>1</v></c></row>'
                b'<row r="1048576"><a"b>c":c r="XFD1048576"><v>1</v></c></row>',
            ),
            "E-FILE-TOO-LARGE",
        ),
        (
            lambda p: hostile._sheet_data(
                p,
                b'<row r="1"><c r="A1"><v>1</v></c></row>'
                b'<row r="1048576"><x\x0bp:c r="XFD1048576"><v>1</v></c></row>',
            ),
            "E-FILE-TOO-LARGE",
        ),
        (
            lambda p: hostile._sheet_data(
                p, b'<row r="1"><c r="A1"><v>1</v></c>' + b'<c r="A1" t="e"/>' * 30_000 + b"</row>"
            ),
            "",
        ),
    ],
    ids=[
        "two-directories",
        "unicode-path",
        "unicode-path-local",
        "end-record-comment-past-the-file",
        "end-record-offset-past-itself",
        "unflagged-utf8-twin",
        "two-sheets-one-name",
        "dot-in-target",
        "nested-relationship",
        "bare-id-attribute",
        "prefixed-r-counted",
        "slash-r-counted",
        "r-in-a-quote-counted",
        "slash-prefix-cell",
        "merged-range-flood",
        "quote-in-a-tag-name",
        "vertical-tab-in-a-tag-name",
        "error-cells-searched-once",
    ],
)
def test_what_readers_see_differently_never_reaches_calamine_unbounded(
    tmp_path: Path, build: Callable[[Path], Path], code: str
) -> None:
    """The pre-checks must bound whatever python-calamine reads: zips whose members readers
    see differently (a second directory or end record, a renamed or twice-named part),
    workbooks whose sheet-to-part lookup readers resolve differently, and cell tags the scan
    read an address from that the reader does not (it counts them into place) each hid a
    far-away cell from the scan, and calamine aborted the process; merged ranges repeated
    100,000 times hung it. Now only a plain zip is read in this process, every part of it is
    scanned, a cell tag is either strictly plain or the file goes to the isolated reader, and
    merged ranges are bounded (read in a child here: a crash or hang fails this test)."""
    path = build(tmp_path / "卫健委6月.xlsx")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", READ_IN_CHILD, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,  # a hang fails too
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ([code] if code else [])


@pytest.mark.parametrize("disguised", [False, True])
def test_a_shared_string_copied_into_every_cell_is_read_apart(
    tmp_path: Path, disguised: bool
) -> None:
    """500 cells × one 2 MB shared string would be a gigabyte of copies in this process: the
    file goes to the isolated reader (with its memory limit), also when the text is made to
    look like many short strings."""
    path = hostile.shared_string_flood_xlsx(tmp_path / "x.xlsx", disguised)
    plan = _precheck.plan(path, "xlsx", path.read_bytes())
    assert plan.isolate and "共享字符串" in plan.reason


@pytest.mark.parametrize("cells", [True, False])
def test_many_sheets_naming_one_part_are_read_apart(
    monkeypatch, tmp_path: Path, cells: bool
) -> None:
    """300 sheet entries naming one 300 kB part would make the reader parse it 300 times here
    (whether or not the part holds cells): once the reader lists them, the file goes to the
    isolated reader."""
    import pipeline.read

    path = hostile.one_part_many_sheets_xlsx(tmp_path / "x.xlsx", cells=cells)
    plan = _precheck.plan(path, "xlsx", path.read_bytes())
    assert not plan.isolate and plan.largest > 200_000
    isolated: list[Path] = []
    monkeypatch.setattr(
        pipeline.read, "read_isolated", lambda p, fmt: isolated.append(p) or Book((), ())
    )
    pipeline.read.read_book(path, "xlsx", path.read_bytes())
    assert isolated == [path]


def test_an_xls_shared_string_copied_into_every_cell_is_read_apart(tmp_path: Path) -> None:
    """2,000 cells of an .xls referring to one 32,767-character shared string would be copied
    per cell in this process (20,000 such cells took 5 GB): the file goes to the isolated
    reader; an ordinary .xls stays here."""
    from builders import SheetSpec

    long = "中" * 32_767
    flood = write_xls(
        tmp_path / "flood.xls", [SheetSpec("Sheet1", [[long] * 100 for _ in range(20)])]
    )
    plan = _precheck.plan(flood, "xls", flood.read_bytes())
    assert plan.isolate and "共享字符串" in plan.reason
    plain = write_xls(
        tmp_path / "plain.xls", [department_sheet(None, hostile.ROWS, header=hostile.HEADER)]
    )
    assert not _precheck.plan(plain, "xls", plain.read_bytes()).isolate
