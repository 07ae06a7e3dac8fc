"""The consolidated workbook: golden cell contents per sheet, determinism, text safety,
LibreOffice opening it, and atomic writes.

Goldens live in ``tests/golden/workbook/<sheet>.json``; after checking a change by eye,
regenerate them with ``MINSHENG_REGEN_GOLDEN=1 python -m pytest tests/test_workbook.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from builders import convert
from conftest import require
from factories import make_report
from openpyxl.utils import get_column_letter

from pipeline.errors import OutputError
from pipeline.render import _xlsx_sheets
from pipeline.render import workbook as workbook_module
from pipeline.render.workbook import write_workbook
from pipeline.report import Report

GOLDEN = Path(__file__).parent / "golden" / "workbook"
REGEN = os.environ.get("MINSHENG_REGEN_GOLDEN") == "1"
SHEETS = ["总览", "指标明细", "报送情况", "数据问题", "月度趋势", "数据来源"]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HYPERLINK_TEXT = '=HYPERLINK("http://example.com","点击")'


def load(path: Path) -> openpyxl.Workbook:
    """Read a written workbook back; openpyxl's notice that it drops the data-bar and
    sparkline extensions it cannot keep is expected, not a failure."""
    with warnings.catch_warnings():
        for kind in ("Conditional Formatting", "Sparkline Group", "Unknown"):
            warnings.filterwarnings("ignore", f"{kind} extension is not supported", UserWarning)
        return openpyxl.load_workbook(path)


def cell_json(cell: Any) -> Any:
    """Text stays text; a number carries its display format unless it is General."""
    value = cell.value
    if isinstance(value, dt.datetime):
        return {"d": value.isoformat(), "f": cell.number_format}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if cell.number_format == "General" else {"n": value, "f": cell.number_format}
    return value


def dump_sheet(ws: Any) -> str:
    """A sheet as compact JSON: layout facts on their own lines, then one line per row."""
    rules = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill else None
            rules.append([str(cf.sqref), rule.type, rule.operator, rule.formula, fill])
    setup = ws.page_setup
    head: dict[str, Any] = {
        "sheet": ws.title,
        "dimensions": ws.dimensions,
        "freeze_panes": ws.freeze_panes,
        "auto_filter": ws.auto_filter.ref,
        "print_title_rows": ws.print_title_rows,
        "print": [
            setup.orientation,
            setup.paperSize,
            ws.sheet_properties.pageSetUpPr.fitToPage,
            setup.fitToWidth,
            setup.fitToHeight,
            ws.oddFooter.center.text,
        ],
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "widths": {
            get_column_letter(d.min) + (f":{get_column_letter(d.max)}" if d.max > d.min else ""): (
                round(d.width, 2)
            )
            for _, d in sorted(ws.column_dimensions.items())
        },
        "conditional_formats": rules,
    }
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    rows = []
    for row in ws.iter_rows():
        cells = [cell_json(c) for c in row]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            rows.append("    " + json.dumps([row[0].row, cells], ensure_ascii=False))
    lines.append('  "rows": [')
    lines.append(",\n".join(rows))
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def first_difference(expected: str, actual: str) -> str:
    """Where two dumps first differ, by line, for a readable failure."""
    exp, act = expected.splitlines(), actual.splitlines()
    for n, (a, b) in enumerate(zip(exp, act, strict=False), start=1):
        if a != b:
            return f"line {n}:\n  golden: {a}\n  actual: {b}"
    return f"length: golden has {len(exp)} lines, actual {len(act)}"


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def written(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workbook") / report.workbook_name
    write_workbook(report, path)
    return path


@pytest.fixture(scope="module")
def book(written: Path) -> openpyxl.Workbook:
    return load(written)


def test_sheets_in_order(book: openpyxl.Workbook) -> None:
    """The sheets come in the order the leaders read them, 总览 first and active; where the
    figures came from last, on a sheet of its own."""
    assert book.sheetnames == SHEETS
    assert book.active.title == "总览"


@pytest.mark.parametrize("sheet", SHEETS)
def test_sheet_matches_golden(book: openpyxl.Workbook, sheet: str) -> None:
    """Every cell value, number format, merge, freeze pane, filter, print setting and
    status colour of the sheet is what the reviewed golden file says."""
    actual = dump_sheet(book[sheet])
    golden = GOLDEN / f"{sheet}.json"
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden for {sheet}: run with MINSHENG_REGEN_GOLDEN=1"
    json.loads(actual)  # the dump is valid JSON
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, f"{sheet} differs from {golden.name} at " + first_difference(
        expected, actual
    )


def test_figures_come_from_the_report(book: openpyxl.Workbook, report: Report) -> None:
    """Spot checks the golden files cannot drift from: headline, a task, an indicator."""
    ws = book["总览"]
    assert ws["A1"].value == report.title
    assert ws["C4"].value == report.headline.tasks
    assert ws["E4"].value == report.headline.reporting_rate
    row = {c.value: c.row for c in ws["B"] if c.value}["棚户区和老旧小区改造"]
    task = next(t for t in report.tasks if t.id == 2)
    assert [ws.cell(row, c).value for c in (5, 6, 7, 8)] == [
        task.completion,
        0.5,
        "严重滞后",
        task.status_reason,
    ]
    detail = book["指标明细"]
    by_id = {detail.cell(r, 1).value: r for r in range(3, detail.max_row + 1)}
    r = by_id["1.1"]
    assert detail.cell(r, 4).value == 2.123
    assert detail.cell(r, 4).number_format == '"≥"#,##0.000'
    assert detail.cell(by_id["2.2"], 4).number_format == '"≥"#,##0.00'
    assert detail.cell(by_id["5.2"], 7).number_format == "#,##0"
    assert detail.cell(by_id["1.8"], 7).value == "已完成"
    sources = book["数据来源"]
    by_id = {sources.cell(r, 1).value: r for r in range(3, sources.max_row + 1)}
    assert sources.cell(by_id["1.1"], 5).value == "县交通运输局6月.xlsx"
    assert [sources.cell(by_id["1.1"], c).value for c in (6, 7)] == ["进度表", "F5"]


def test_figures_show_as_reported_in_their_unit(book: openpyxl.Workbook) -> None:
    """A figure keeps the decimals it was reported with (0.3 公里 is not shown 0.300 because
    the target is 2.123), and a percentage shows one decimal like the 完成进度 beside it
    (100.0, not 100.00 next to 100.0 %)."""
    detail = book["指标明细"]
    by_id = {detail.cell(r, 1).value: r for r in range(3, detail.max_row + 1)}
    shown = {
        iid: [detail.cell(by_id[iid], c).number_format for c in (4, 6, 7)]
        for iid in ("1.1", "1.3", "8.1")
    }
    assert shown["1.1"][0] == '"≥"#,##0.000'
    assert [detail.cell(by_id["1.1"], c).value for c in (6, 7)] == [0.3, 1.2]
    assert shown["1.1"][1:] == ["#,##0.0", "#,##0.0"]
    assert shown["1.3"][0] == '"≥"#,##0.0'
    assert detail.cell(by_id["8.1"], 4).number_format.endswith("#,##0.0")


def test_every_sheet_prints_legibly(report: Report, tmp_path: Path) -> None:
    """Each sheet fits one A4 landscape page wide at 90 % or more (10-point text prints at
    9 points or more; 指标明细 printed at about 5 points), even with twelve months of trend;
    the title and the header repeat on every printed page; the internal columns 来源 and 类型
    are not on 指标明细."""
    from pipeline.render._xlsx_layout import MIN_PRINT_SCALE, PRINT_WIDTH_PT, column_points

    periods = tuple(f"2022-{m:02d}" for m in range(1, 13))
    year = dataclasses.replace(
        report,
        trend_periods=periods,
        trend=tuple(dataclasses.replace(t, values=(12345.678,) * 12) for t in report.trend),
    )
    path = tmp_path / "year.xlsx"
    write_workbook(year, path)
    book = load(path)
    for ws in book:
        widths = {}
        for d in ws.column_dimensions.values():
            for col in range(d.min, d.max + 1):
                widths[col] = d.width
        total = sum(column_points(widths.get(c, 8.43)) for c in range(1, ws.max_column + 1))
        assert PRINT_WIDTH_PT / total >= MIN_PRINT_SCALE, (ws.title, round(total))
        # the title and the header; on 总览 the task table's header (its headline block
        # above it is not worth repeating on the chart's page)
        assert ws.print_title_rows == ("$10:$10" if ws.title == "总览" else "$1:$2"), ws.title
    headers = [c.value for c in book["指标明细"][2]]
    assert "来源" not in headers and "类型" not in headers
    assert "报送单位" in headers


def test_overview_chart_draws_schedule_as_a_line_and_colours_by_status(written: Path) -> None:
    """The 总览 chart: completion as columns coloured by each task's status (not all blue),
    序时进度 as a line (not grey bars)."""
    with zipfile.ZipFile(written) as z:
        xml = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert "<c:barChart>" in xml and "<c:lineChart>" in xml
    bar = xml[xml.index("<c:barChart>") : xml.index("</c:barChart>")]
    line = xml[xml.index("<c:lineChart>") : xml.index("</c:lineChart>")]
    assert "序时进度" in line and "序时进度" not in bar
    colours = set(re.findall(r'<c:dPt>.*?<a:srgbClr val="([0-9A-F]{6})"', bar, re.S))
    assert {"E0443E", "70AD47"} <= colours  # red for 严重滞后, green for 正常


def test_issues_grouped_by_department(book: openpyxl.Workbook) -> None:
    """Issues are grouped by department, in the given order within one department."""
    ws = book["数据问题"]
    departments = [ws.cell(r, 1).value for r in range(3, ws.max_row + 1)]
    assert departments == sorted(departments)
    assert departments == ["县住房和城乡建设局", "县妇联", "县民政局"]


def test_document_properties(book: openpyxl.Workbook, report: Report) -> None:
    """Title, author and a creation date fixed at the report date (never the clock)."""
    props = book.properties
    assert props.title == report.title
    assert props.creator == "县民生办"
    assert props.created == dt.datetime(2022, 6, 30, 0, 0)


def test_same_report_same_bytes(report: Report, written: Path, tmp_path: Path) -> None:
    """Writing the same report again — in this process and in a fresh one with another hash
    seed — gives the same cell contents and byte-identical files."""
    again = tmp_path / "again.xlsx"
    write_workbook(report, again)
    assert again.read_bytes() == written.read_bytes()
    fresh = tmp_path / "fresh.xlsx"
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, 'tests');"
        "from factories import make_report; from pipeline.render.workbook import write_workbook;"
        f"write_workbook(make_report(), Path({str(fresh)!r}))"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env, timeout=120)
    assert fresh.read_bytes() == written.read_bytes()
    first, second = load(written), load(again)
    for sheet in SHEETS:
        assert dump_sheet(first[sheet]) == dump_sheet(second[sheet])


def sheet_xml(path: Path) -> tuple[list[str], list[str]]:
    """Every worksheet's XML, and every shared string, from the zip itself."""
    with zipfile.ZipFile(path) as z:
        sheets = [
            z.read(n).decode("utf-8")
            for n in sorted(z.namelist())
            if n.startswith("xl/worksheets/sheet")
        ]
        root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
    strings = ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in root]
    return sheets, strings


def test_department_formula_stays_text(written: Path, book: openpyxl.Workbook) -> None:
    """A department's ``=HYPERLINK(...)`` is stored as a shared string, never as a formula:
    no worksheet has an ``<f>`` element, and the cell reads back as the exact text."""
    sheets, strings = sheet_xml(written)
    for xml in sheets:
        assert re.search(r"<f[ >]", xml) is None
        assert "HYPERLINK" not in xml
    assert HYPERLINK_TEXT in strings
    detail = book["指标明细"]
    cells = [c for row in detail.iter_rows() for c in row if c.value == HYPERLINK_TEXT]
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_formula_like_department_text_stays_text(report: Report, tmp_path: Path) -> None:
    """Department text starting with = + - @ (names, progress notes, file names) is written
    as text, exactly as sent."""
    hostile = ["=1+1", "+86 0559", "-3户未入住", "@SUM(A1:A3)", "=cmd|'/c calc'!A0"]
    first = report.indicators[0]
    indicators = (
        dataclasses.replace(
            first,
            department=hostile[0],
            progress_text=hostile[1],
            problem_text=hostile[2],
            reason_text=hostile[3],
            source_file=hostile[4],
            source_sheet="",
            source_cell="",
        ),
        *report.indicators[1:],
    )
    subs = (dataclasses.replace(report.submissions[0], department=hostile[4]),)
    bad = dataclasses.replace(report, indicators=indicators, submissions=subs)
    path = tmp_path / "hostile.xlsx"
    write_workbook(bad, path)
    sheets, strings = sheet_xml(path)
    assert all(re.search(r"<f[ >]", xml) is None for xml in sheets)
    assert set(hostile) <= set(strings)
    row = [c for c in load(path)["指标明细"][3]]
    assert [row[i].value for i in (10, 11, 12, 13)] == hostile[:4]
    assert all(row[i].data_type == "s" for i in (10, 11, 12, 13))
    source = [c for c in load(path)["数据来源"][3]]
    assert source[4].value == hostile[4] and source[4].data_type == "s"


def test_empty_issue_list_says_so(report: Report, tmp_path: Path) -> None:
    """A period without data issues shows a line saying so, not an empty sheet."""
    path = tmp_path / "clean.xlsx"
    write_workbook(dataclasses.replace(report, issues=()), path)
    ws = load(path)["数据问题"]
    assert ws["A3"].value == "本期未发现数据问题。"
    assert "A3:H3" in [str(r) for r in ws.merged_cells.ranges]


@pytest.mark.office
def test_libreoffice_opens_and_prints(written: Path, soffice: str, tmp_path: Path) -> None:
    """LibreOffice headless opens the workbook and prints every sheet to a non-trivial PDF;
    the Chinese title is real text (poppler) and page 1 renders."""
    pdf = convert(written, "pdf", tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(data) > 20_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= len(SHEETS)
    pdftotext = require("pdftotext", "reading the printed workbook's text")
    text = subprocess.run(
        [pdftotext, "-l", "1", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    assert "民生实事进展情况" in text
    assert re.search(r"第\s*1\s*页\s*共\s*\d+\s*页", text)
    pdftoppm = require("pdftoppm", "rendering the printed workbook's first page")
    subprocess.run(
        [pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("p-*.png")
    assert png.stat().st_size > 10_000


def test_failure_midway_keeps_previous_file(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while the sheets are being written leaves the existing workbook untouched
    and no temporary file behind."""
    path = tmp_path / report.workbook_name
    path.write_bytes(b"last month's good workbook")

    def boom(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_xlsx_sheets, "write_trend", boom)
    with pytest.raises(RuntimeError, match="boom"):
        write_workbook(report, path)
    assert path.read_bytes() == b"last month's good workbook"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_failed_rename_is_an_output_error(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the finished file cannot replace the old one, the old one stays, the temporary
    file is removed and the caller gets an OutputError with a Chinese message."""
    path = tmp_path / report.workbook_name
    path.write_bytes(b"old")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError("文件被占用")

    monkeypatch.setattr(workbook_module.os, "replace", refuse)
    with pytest.raises(OutputError, match="无法写入汇总表"):
        write_workbook(report, path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_missing_folder_is_an_output_error(report: Report, tmp_path: Path) -> None:
    """The caller chooses the folder; a folder that does not exist is an OutputError."""
    with pytest.raises(OutputError, match="无法写入汇总表"):
        write_workbook(report, tmp_path / "nowhere" / report.workbook_name)
