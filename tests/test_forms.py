"""Submission templates: what they show, how they protect themselves, and that a filled
template reads back exactly — straight from openpyxl and after a save through LibreOffice."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from builders import convert
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.discover import discover
from pipeline.errors import OutputError
from pipeline.forms import (
    DATA_SHEET,
    GUIDE_SHEET,
    HEADER,
    MILESTONE_STATES,
    plan_forms,
    render_form,
    template_name,
    write_templates,
)
from pipeline.job import run_job
from pipeline.model import Indicator, Observation, TargetTable
from pipeline.normalise import normalise_file
from pipeline.read import read_book
from pipeline.run import RECEIPTS
from pipeline.store import Store
from pipeline.tables import locate_table, reporting_unit
from pipeline.workspace import open_workspace

PERIOD = "2022-06"
HEADER_ROW = 4  # Excel row of the header on the data sheet
FIRST = HEADER_ROW + 1


# --- filling a template the way a clerk would --------------------------------------------


@dataclass(frozen=True)
class Filled:
    """What a department types into one indicator's row."""

    monthly: float | None
    cumulative: float | None
    state: str
    progress: str
    problem: str
    reason: str


def planned(ind: Indicator, position: int, department: str, factor: float = 0.6) -> Filled:
    """Values that meet every check: counts below target, levels at target, rates as 96."""
    progress = f"{department}：{ind.name}按计划推进"
    reason = "" if position % 2 else "加快施工进度，确保年底前完成"
    if ind.kind == "milestone":
        state = MILESTONE_STATES[position % 3]
        return Filled(None, None, state, progress, "无", reason)
    assert ind.target is not None
    if ind.kind == "level":
        value = ind.target + 1 if ind.comparator == ">" else ind.target
        return Filled(None, value, "", progress, "无", reason)
    cumulative = round(ind.target * factor, 4)
    return Filled(round(ind.target * 0.1, 4), cumulative, "", progress, "无", reason)


def plan_for(targets: TargetTable, department: str, factor: float = 0.6) -> dict[str, Filled]:
    """Every indicator the department reports on; the figures depend on the indicator only,
    so a co-responsible unit sends the lead's figures (no W-COUNIT-DIFFERS)."""
    position = {ind.id: i for i, ind in enumerate(targets.indicators)}
    return {
        ind.id: planned(ind, position[ind.id], department, factor)
        for ind in targets.indicators_of(department)
    }


def columns(ws) -> dict[str, int]:
    """Header text → 1-based column of the data sheet."""
    return {ws.cell(HEADER_ROW, c).value: c for c in range(1, len(HEADER) + 1)}


def fill(template: Path, plan: dict[str, Filled], out: Path) -> Path:
    """Type the plan into the yellow cells with openpyxl and save under the template's name."""
    wb = openpyxl.load_workbook(template)
    ws = wb[DATA_SHEET]
    col = columns(ws)
    r = FIRST
    seen = set()
    while (code := ws.cell(r, col["指标编号"]).value) is not None:
        f = plan[code]
        seen.add(code)
        if f.monthly is not None:
            ws.cell(r, col["本月完成"]).value = f.monthly
        ws.cell(r, col["累计完成"]).value = f.state or f.cumulative
        ws.cell(r, col["进展情况"]).value = f.progress
        ws.cell(r, col["存在问题"]).value = f.problem
        if f.reason:
            ws.cell(r, col["滞后原因及下步措施"]).value = f.reason
        r += 1
    assert seen == set(plan)
    ws.cell(r + 1, 3).value = "张三"  # 填报人
    ws.cell(r + 1, 6).value = "0559-5512345"  # 联系电话
    out.mkdir(parents=True, exist_ok=True)
    wb.save(out / template.name)
    wb.close()
    return out / template.name


def register(folder: Path, names: list[str], when: str = "2022-07-04 09:30") -> None:
    """收文登记.csv: every file arrived before the deadline."""
    lines = ["文件名,收到时间", *(f"{n},{when}" for n in sorted(names))]
    (folder / RECEIPTS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def fill_all(ws_root: Path, period: str, factor: float = 0.6) -> list[Path]:
    """Templates for ``period`` written, filled by every department and dropped into
    ``inputs/<period>/`` with a receipts register."""
    ws = open_workspace(ws_root)
    folder = ws.period_inputs(period)
    blank = write_templates(ws, period, ws_root / "blank" / period)
    filled = []
    for path in blank:
        department = path.name.split("_")[0]
        filled.append(fill(path, plan_for(ws.targets, department, factor), folder))
    register(folder, [p.name for p in filled])
    return filled


def expected_observations(targets: TargetTable, period: str) -> dict[str, tuple[object, ...]]:
    """The consolidated figures: each indicator as its lead department filled it."""
    out = {}
    for ind in targets.indicators:
        f = plan_for(targets, ind.lead_department)[ind.id]
        out[ind.id] = (
            period,
            ind.lead_department,
            f.cumulative,
            f.monthly,
            f.state,
            f.progress,
            f.problem,
            f.reason,
            template_name(ind.lead_department, period),
            DATA_SHEET,
        )
    return out


def stored(ws_root: Path, period: str) -> dict[str, tuple[object, ...]]:
    with Store(open_workspace(ws_root).db) as store:
        rows = store.observations(period)
    return {o.indicator_id: _key(o) for o in rows}


def _key(o: Observation) -> tuple[object, ...]:
    return (
        o.period,
        o.department,
        o.value,
        o.monthly_value,
        o.state,
        o.progress_text,
        o.problem_text,
        o.reason_text,
        o.source_file,
        o.source_sheet,
    )


@pytest.fixture(scope="module")
def filled_workspace(tmp_path_factory) -> Path:
    """A workspace whose 2022-06 inputs are the 16 filled templates, run once."""
    root = tmp_path_factory.mktemp("filled")
    fill_all(root, PERIOD)
    run_job(open_workspace(root), PERIOD, started=dt.datetime(2022, 7, 6, 9, 0))
    return root


# --- the round trips ------------------------------------------------------------------------


def test_round_trip_every_department_reads_back_exactly(filled_workspace):
    """A: 16 filled templates → every stored value, state and text exactly as typed, from the
    lead unit; every file's own rows exactly as its department typed them; no issue at all."""
    ws = open_workspace(filled_workspace)
    assert stored(filled_workspace, PERIOD) == expected_observations(ws.targets, PERIOD)
    with Store(ws.db) as store:
        assert store.issues(PERIOD) == []
    files = {f.name: f for f in store_files(filled_workspace)}
    assert len(files) == 16
    assert {f.status for f in files.values()} == {"on_time"}


def store_files(root: Path):
    with Store(open_workspace(root).db) as store:
        return store.files(PERIOD)


def test_round_trip_each_file_keeps_its_own_rows(filled_workspace):
    """Co-responsible units included: each file gives exactly its department's indicators, in
    the template's order, with the cell the figure came from."""
    ws = open_workspace(filled_workspace)
    sources, _ = discover(ws.period_inputs(PERIOD), ws.targets.departments, 2022)
    for source in sources:
        if source.name == RECEIPTS:
            continue
        result = normalise_file(source, ws.targets, PERIOD)
        dept = result.department
        assert dept is not None and source.name == template_name(dept, PERIOD)
        plan = plan_for(ws.targets, dept)
        got = {
            o.indicator_id: (o.value, o.monthly_value, o.state, o.progress_text, o.reason_text)
            for o in result.observations
        }
        assert got == {
            i: (f.cumulative, f.monthly, f.state, f.progress, f.reason) for i, f in plan.items()
        }
        assert [o.source_cell for o in result.observations] == [
            f"I{FIRST + n}" for n in range(len(plan))
        ]
        assert result.issues == ()
        assert {kind for _, _, kind in result.accounting} == {"observation", "skipped"}


def test_observations_csv_holds_the_typed_figures(filled_workspace):
    """The contract file shows the figures as typed: 96 for a rate, a state for a milestone."""
    import csv

    path = filled_workspace / "outputs" / PERIOD / "observations.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["indicator_id"]: r for r in csv.DictReader(fh)}
    assert rows["8.1"]["value"] == "96" and rows["8.1"]["unit"] == "%"
    assert rows["2.2"]["value"] == "1.074" and rows["2.2"]["monthly_value"] == "0.179"
    assert rows["1.3"]["monthly_value"] == ""
    assert len(rows) == 66
    issues = (filled_workspace / "outputs" / PERIOD / "issues.csv").read_text(encoding="utf-8-sig")
    assert issues.strip().splitlines() == [
        "severity,code,department,file,sheet,cell,indicator_id,message"
    ]


@pytest.mark.office
def test_round_trip_through_libreoffice_reads_back_identically(filled_workspace, tmp_path, soffice):
    """B: the same filled templates saved once by LibreOffice give identical observations."""
    folder = tmp_path / "inputs" / PERIOD
    folder.mkdir(parents=True)
    originals = sorted(open_workspace(filled_workspace).period_inputs(PERIOD).glob("*.xlsx"))
    assert len(originals) == 16
    for path in originals:
        saved = convert(path, "xlsx", folder)
        assert saved.name == path.name and saved.read_bytes() != path.read_bytes()
    register(folder, [p.name for p in originals])
    run_job(open_workspace(tmp_path), PERIOD, started=dt.datetime(2022, 7, 6, 9, 0))
    assert stored(tmp_path, PERIOD) == stored(filled_workspace, PERIOD)
    with Store(open_workspace(tmp_path).db) as store:
        assert store.issues(PERIOD) == []


@pytest.mark.office
def test_every_template_opens_in_libreoffice(tmp_path, soffice):
    """Each of the 16 blank templates converts to a PDF: LibreOffice opens them all."""
    paths = write_templates(open_workspace(tmp_path), PERIOD, tmp_path / "t")
    pdfs = [convert(p, "pdf", tmp_path / "pdf") for p in paths]
    assert len(pdfs) == 16
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000


# --- what a template shows ------------------------------------------------------------------


def test_previous_cumulative_comes_from_the_history_store(tmp_path):
    """上月累计 in June's template is the cumulative May's run stored (a level's current value,
    a milestone's state); before any run it is blank."""
    ws = open_workspace(tmp_path)
    blank = write_templates(ws, PERIOD, tmp_path / "before")
    assert not ws.db.exists()  # writing templates does not create a history database
    fill_all(tmp_path, "2022-05", factor=0.3)
    run_job(ws, "2022-05", started=dt.datetime(2022, 6, 6, 9, 0))
    june = write_templates(ws, PERIOD)
    assert june[0].parent == tmp_path / "outputs" / PERIOD / "templates"

    with Store(ws.db) as store:
        may = {o.indicator_id: o for o in store.observations("2022-05")}
    for before, after in zip(blank, june, strict=True):
        shown_before, shown_after = previous_column(before), previous_column(after)
        assert set(shown_before.values()) == {None}
        for code, value in shown_after.items():
            o = may[code]
            assert value == (o.state or o.value), code
    roads = previous_column(june[0])
    assert roads["1.1"] == pytest.approx(2.123 * 0.3) and roads["1.3"] == 100
    assert roads["1.8"] in MILESTONE_STATES


def previous_column(path: Path) -> dict[str, object]:
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    col = columns(ws)
    out = {}
    r = FIRST
    while (code := ws.cell(r, col["指标编号"]).value) is not None:
        out[code] = ws.cell(r, col["上月累计"]).value
        r += 1
    wb.close()
    return out


def test_data_sheet_layout_header_codes_and_department(tmp_path):
    """Title, 填报单位 line, the exact header, only the department's indicators (co-responsible
    ones included), codes stored as text, and the name the normaliser reads."""
    ws = open_workspace(tmp_path)
    paths = write_templates(ws, PERIOD, tmp_path)
    assert [p.name for p in paths] == [
        template_name(d.name, PERIOD) for d in ws.targets.departments
    ]
    assert paths[0].name == "县交通运输局_2022-06_民生实事进度报送表.xlsx"
    wb = openpyxl.load_workbook(tmp_path / template_name("县妇联", PERIOD))
    assert wb.sheetnames == [GUIDE_SHEET, DATA_SHEET]
    sheet = wb[DATA_SHEET]
    assert sheet["A1"].value == "黟县2022年民生实事进度报送表（2022年6月）"
    assert sheet["A3"].value == "填报单位：县妇联"
    assert [c.value for c in sheet[HEADER_ROW]] == list(HEADER)
    codes = [sheet.cell(r, 1) for r in range(FIRST, FIRST + 3)]
    assert [c.value for c in codes] == ["6.1", "6.2", "6.3"]
    assert {c.data_type for c in codes} == {"s"}
    assert sheet.cell(FIRST + 3, 1).value is None
    row = [c.value for c in sheet[FIRST]][:7]
    assert row[:3] == ["6.1", "城乡适龄妇女“两癌”免费筛查", "城镇低保适龄妇女“两癌”免费筛查"]
    assert row[3:] == [22, "人", "≥", None]
    wb.close()


def test_normaliser_recognises_the_template_directly(tmp_path):
    """The header's roles come straight from the template's column names; the guide sheet is
    not mistaken for a table; the 填报单位 line names the department."""
    path = write_templates(open_workspace(tmp_path), PERIOD, tmp_path)[2]  # 县民政局
    book = read_book(path, "xlsx")
    guide, data = book.sheets
    assert locate_table(guide.rows, 6) is None
    assert reporting_unit(guide.rows) is None
    layout = locate_table(data.rows, 6)
    assert layout is not None and layout.header_rows == (HEADER_ROW - 1,)
    assert layout.columns == {
        "code": 0,
        "task": 1,
        "indicator": 2,
        "target": 3,
        "unit": 4,
        "reference": 6,
        "monthly": 7,
        "cumulative": 8,
        "progress": 9,
        "problem": 10,
        "reason": 11,
    }
    assert layout.ambiguous == ()
    assert reporting_unit(data.rows) == ("县民政局", 2, 0)


def test_department_is_read_from_the_unit_line_when_the_file_is_renamed(filled_workspace, tmp_path):
    """A clerk saves the template as “6月报表.xlsx”: the 填报单位 line still names the unit."""
    ws = open_workspace(filled_workspace)
    source_path = ws.period_inputs(PERIOD) / template_name("县司法局", PERIOD)
    folder = tmp_path / PERIOD
    folder.mkdir()
    shutil.copyfile(source_path, folder / "6月报表.xlsx")
    (source,), _ = discover(folder, ws.targets.departments, 2022)
    assert source.department is None
    result = normalise_file(source, ws.targets, PERIOD)
    assert result.department == "县司法局"
    assert [o.indicator_id for o in result.observations] == ["18.1", "18.2"]
    assert result.issues == ()


def test_a_rate_typed_with_a_percent_sign_reads_as_the_same_rate(tmp_path):
    """Typing “96%” makes Excel store 0.96 in a 0% cell; it passes the 0–100 validation and
    reads back as 96, like a plain 96."""
    ws = open_workspace(tmp_path)
    blank = tmp_path / "t" / template_name("县医保局", PERIOD)
    write_templates(ws, PERIOD, blank.parent)
    plan = plan_for(ws.targets, "县医保局")
    path = fill(blank, plan, tmp_path / PERIOD)
    wb = openpyxl.load_workbook(path)
    sheet = wb[DATA_SHEET]
    assert sheet.cell(FIRST, 1).value == "8.1"
    sheet.cell(FIRST, 9).value = 0.96
    sheet.cell(FIRST, 9).number_format = "0%"
    sheet.cell(FIRST + 1, 9).value = 70
    wb.save(path)
    wb.close()
    (source,), _ = discover(path.parent, ws.targets.departments, 2022)
    result = normalise_file(source, ws.targets, PERIOD)
    values = {o.indicator_id: o.value for o in result.observations}
    assert (values["8.1"], values["8.2"]) == (96, 70)
    assert result.issues == ()


def test_guide_sheet_states_deadline_contact_and_rules(tmp_path):
    """填报说明: the configured deadline day of the next month, whom to ask, and the rules a
    clerk needs (yellow cells, 累计 since January, units, 96 for 96 %, drop-downs, no edits)."""
    (tmp_path / "minsheng.toml").write_text(
        'deadline_day = 10\noffice_contact = "县民生办 王五 0559-5512000"\n', encoding="utf-8"
    )
    path = write_templates(open_workspace(tmp_path), "2022-12", tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    guide = "\n".join(str(c.value) for c in wb[GUIDE_SHEET]["A"] if c.value)
    for needed in (
        "2023年1月10日",
        "县民生办 王五 0559-5512000",
        "只填写黄色单元格",
        "今年1月1日至12月底累计完成",
        "按“单位”栏的计量单位填写",
        "如 96% 填 96",
        "下拉列表中选择：未启动、推进中、已完成",
        "请勿修改指标编号，请勿插入、删除或调换行和列",
    ):
        assert needed in guide, needed
    assert "2023年1月10日" in wb[DATA_SHEET]["A2"].value
    assert wb[DATA_SHEET]["J3"].value == "报送截止：2023年1月10日"
    wb.close()


# --- protection, validation, print setup ---------------------------------------------------


def test_labels_locked_inputs_unlocked_and_sheets_protected(tmp_path):
    """Labels (and 本月完成 of rates and milestones) are locked; 本月完成 of counts, 累计完成
    and the three text columns are unlocked yellow cells; both sheets are protected with no
    password."""
    path = write_templates(open_workspace(tmp_path), PERIOD, tmp_path)[0]  # 县交通运输局
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    assert ws.protection.sheet and not ws.protection.password
    assert wb[GUIDE_SHEET].protection.sheet and not wb[GUIDE_SHEET].protection.password
    rows = {ws.cell(r, 1).value: r for r in range(FIRST, FIRST + 9)}  # 1.1 … 1.9
    count, rate, milestone = rows["1.1"], rows["1.3"], rows["1.8"]

    def locked(r: int, c: int) -> bool:
        return bool(ws.cell(r, c).protection.locked)

    def fill(r: int, c: int) -> str:
        return str(ws.cell(r, c).fill.fgColor.rgb)

    for r in (1, 3, HEADER_ROW, count, rate, milestone):
        assert all(locked(r, c) for c in range(1, 8)), r
    for r in (count, rate, milestone):
        assert not any(locked(r, c) for c in range(9, 13)), r
        assert {fill(r, c) for c in range(9, 13)} == {"FFFFFF99"}
    assert not locked(count, 8) and fill(count, 8) == "FFFFFF99"
    assert locked(rate, 8) and locked(milestone, 8)
    assert fill(rate, 8) == fill(milestone, 8) == "FFD9D9D9"
    footer = FIRST + 9 + 1
    assert ws.cell(footer, 1).value == "填报人：" and not locked(footer, 3)
    wb.close()


def test_validation_numbers_rates_and_milestone_dropdown(tmp_path):
    """本月完成/累计完成 accept decimals ≥ 0 (a % indicator 0–100 with the “96 means 96%”
    prompt); a milestone's 累计完成 is a drop-down of the three states."""
    path = write_templates(open_workspace(tmp_path), PERIOD, tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    count, rate, milestone = FIRST, FIRST + 2, FIRST + 7  # 1.1, 1.3, 1.8

    for cell in (f"H{count}", f"I{count}"):
        dv = rules[cell]
        assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
        assert "公里" in dv.prompt and dv.error and dv.showErrorMessage
    dv = rules[f"I{rate}"]
    assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "100")
    assert dv.operator in (None, "between")  # between is the default, not written
    assert "请填写百分数，如 96 表示 96%" in dv.prompt and "96" in dv.error
    assert f"H{rate}" not in rules
    dv = rules[f"I{milestone}"]
    assert (dv.type, dv.formula1) == ("list", '"未启动,推进中,已完成"')
    assert f"H{milestone}" not in rules
    text_rule = rules[f"J{FIRST}:J{FIRST + 8}"]
    assert text_rule.type is None and "工作进展" in text_rule.prompt
    wb.close()


def test_print_setup_freeze_and_widths(tmp_path):
    """A4 landscape, one page wide, the 填报单位 line and header repeated on every page,
    the header and labels frozen, columns wide enough for Chinese text, long text wrapped."""
    path = write_templates(open_workspace(tmp_path), PERIOD, tmp_path)[2]
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) in ((None, 0), (1, 0))
    assert ws.print_title_rows == "$3:$4"
    assert ws.freeze_panes == f"D{FIRST}"
    assert ws.column_dimensions["C"].width >= 28 and ws.column_dimensions["J"].width >= 30
    assert ws.cell(FIRST, 3).alignment.wrap_text and ws.cell(FIRST, 10).alignment.wrap_text
    assert wb.active.title == GUIDE_SHEET
    guide = wb[GUIDE_SHEET]
    assert guide.page_setup.orientation == "portrait" and int(guide.page_setup.paperSize) == 9
    wb.close()


# --- determinism, atomic writes, the command ------------------------------------------------


def test_same_inputs_give_the_same_bytes(tmp_path):
    """Rendering twice gives identical bytes; the workbook's creation time is the first day of
    the period, not the time of the run."""
    ws = open_workspace(tmp_path)
    first = [p.read_bytes() for p in write_templates(ws, PERIOD, tmp_path / "a")]
    second = [p.read_bytes() for p in write_templates(ws, PERIOD, tmp_path / "b")]
    assert first == second
    forms = plan_forms(ws.targets, PERIOD, ws.config)
    assert render_form(forms[0]) == first[0]
    wb = openpyxl.load_workbook(tmp_path / "a" / template_name("县交通运输局", PERIOD))
    assert wb.properties.created == dt.datetime(2022, 6, 1)
    wb.close()


def test_writes_are_atomic(tmp_path, monkeypatch):
    """A failed rename leaves the previous template intact, no temporary file behind, and a
    Chinese OutputError for the command to show."""
    ws = open_workspace(tmp_path)
    (path, *_) = write_templates(ws, PERIOD, tmp_path)
    before = path.read_bytes()
    path.write_bytes(b"previous")

    def broken(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OutputError, match="无法写入报送模板目录"):
        write_templates(ws, PERIOD, tmp_path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    monkeypatch.undo()
    write_templates(ws, PERIOD, tmp_path)
    assert path.read_bytes() == before


def test_cli_templates_writes_one_file_per_department(tmp_path):
    """`minsheng templates --period 2022-06 -w DIR` exits 0 and prints one line per file."""
    result = CliRunner().invoke(
        cli, ["templates", "--period", PERIOD, "-w", str(tmp_path)], prog_name="minsheng"
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "outputs" / PERIOD / "templates"
    files = sorted(folder.iterdir())
    assert len(files) == 16
    ws = open_workspace(tmp_path)
    assert result.output.splitlines() == [
        f"已生成 {folder / template_name(d.name, PERIOD)}" for d in ws.targets.departments
    ]


def test_cli_templates_out_option_and_bad_period(tmp_path):
    """`--out` chooses the folder; a malformed period is a usage error (exit 2)."""
    out = tmp_path / "发给各单位"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["templates", "-p", PERIOD, "-w", str(tmp_path), "--out", str(out)],
        prog_name="minsheng",
    )
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.xlsx"))) == 16
    assert not (tmp_path / "outputs").exists()
    bad = runner.invoke(cli, ["templates", "-p", "2022-6", "-w", str(tmp_path)])
    assert bad.exit_code == 2 and "不是有效的报告期" in bad.output
