"""Every layout quirk a department's own workbook has, read to exact values and issue codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import (
    Formula,
    SheetSpec,
    department_sheet,
    two_row_header_sheet,
    write_csv,
    write_xls,
    write_xlsx,
)

from pipeline.discover import discover
from pipeline.model import FileResult
from pipeline.normalise import normalise_file
from pipeline.targets import load_targets

TABLE = load_targets()


def read(tmp_path: Path, name: str, sheets: list[SheetSpec], period: str = "2022-06") -> FileResult:
    folder = tmp_path / period
    folder.mkdir(exist_ok=True)
    path = folder / name
    if name.endswith(".xls"):
        write_xls(path, sheets)
    elif name.endswith(".csv"):
        write_csv(path, sheets[0])
    else:
        write_xlsx(path, sheets)
    sources, _ = discover(folder, TABLE.departments)
    source = next(s for s in sources if s.name == name)
    return normalise_file(source, TABLE, period)


def values(res: FileResult) -> dict[str, tuple[object, ...]]:
    return {o.indicator_id: (o.value, o.monthly_value, o.source_cell) for o in res.observations}


def codes(res: FileResult) -> list[tuple[str, str, str]]:
    return [(i.code, i.cell, i.indicator_id) for i in res.issues]


ROAD_ROWS = [
    ["（一）", "农村公路提质改造工程", 2.123, "公里", 0.3, 1.2, "完成路基", ""],
    ["（二）", "农村公路提质改造当年完工", 2.123, "公里", 0.1, 0.4, "", "雨季影响"],
    ["（三）", "农村公路列养率", "100%", "%", None, "100%", "", ""],
]


def test_title_unit_line_and_header_below(tmp_path):
    """Title row, a 填报单位 line and blank rows above the header: values read from their cells."""
    sheet = department_sheet("县交通运输局", ROAD_ROWS, blank_rows_before_header=2)
    res = read(tmp_path, "6月报表.xlsx", [sheet])
    assert res.department == "县交通运输局"
    assert values(res) == {
        "1.1": (1.2, 0.3, "F6"),
        "1.2": (0.4, 0.1, "F7"),
        "1.3": (100.0, None, "F8"),
    }
    assert codes(res) == []
    assert res.observations[1].problem_text == "雨季影响"


def test_two_row_header_with_merged_group(tmp_path):
    """完成情况 merged over 本月 / 累计 / 完成比例 gives the monthly and cumulative columns."""
    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, "50%", "有序推进"]]
    res = read(tmp_path, "司法局.xlsx", [two_row_header_sheet("县司法局", rows)])
    assert values(res) == {"18.1": (55.0, 10.0, "F5")}
    assert res.observations[0].progress_text == "有序推进"


@pytest.mark.parametrize(
    ("cumulative", "target", "monthly"),
    [
        ("累计完成", "目标任务", "本月完成"),
        ("截至本月累计", "年度目标", "当月完成"),
        ("累计完成量", "目标值", "本月完成"),
        ("截至6月底累计完成", "年度目标任务", "当月完成"),
    ],
)
def test_header_synonyms(tmp_path, cumulative, target, monthly):
    """Each header wording offices use for 累计 / 目标 / 本月 maps to the same column roles."""
    header = ["序号", "指标内容", target, "单位", monthly, cumulative, "进展情况"]
    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, ""]]
    res = read(tmp_path, "司法局.xlsx", [department_sheet(None, rows, header=header)])
    assert values(res) == {"18.1": (55.0, 10.0, "F3")}


def test_other_month_cumulative_is_a_reference_column(tmp_path):
    """截至5月底累计 beside 截至6月底累计 in a June file: the June column is read."""
    header = ["指标名称", "截至5月底累计完成", "截至6月底累计完成", "备注"]
    rows = [["办理法律援助案件", 45, 55, ""]]
    res = read(tmp_path, "司法局.xlsx", [department_sheet(None, rows, header=header)])
    assert values(res) == {"18.1": (55.0, None, "C3")}


def test_extra_missing_and_reordered_columns(tmp_path):
    """Columns in another order, some missing, some unknown: the roles still find the values."""
    header = ["累计完成", "备注", "指标名称", "联络员", "存在问题"]
    rows = [[55, "", "办理法律援助案件", "李四", "案源少"]]
    res = read(tmp_path, "司法局.xlsx", [department_sheet(None, rows, header=header)])
    assert values(res) == {"18.1": (55.0, None, "A3")}
    assert res.observations[0].problem_text == "案源少"


def test_cover_sheet_and_hidden_sheet(tmp_path):
    """A cover sheet is passed over; a hidden sheet (old data) is not read, and that is said."""
    cover = SheetSpec("填报说明", [["填报说明"], ["1. 请于每月5日前报送"], ["2. 联系电话 5512345"]])
    old = department_sheet("县司法局", [[1, "办理法律援助案件", 110, "件", 9, 99, "", ""]])
    old.name, old.hidden = "旧表", True
    data = department_sheet("县司法局", [[1, "办理法律援助案件", 110, "件", 10, 55, "", ""]])
    res = read(tmp_path, "司法局.xlsx", [cover, old, data])
    assert values(res) == {"18.1": (55.0, 10.0, "F4")}
    assert codes(res) == [("I-SHEET-HIDDEN", "", "")]


def test_blank_rows_ordinals_subtotals_and_footer(tmp_path):
    """Blank rows are passed over; 合计 and footers are skipped with their reasons; ①/一、 go."""
    rows = [
        ["一、", "“四好农村路”建设", None, None, None, None, "", ""],
        ["①", "农村公路提质改造工程", 2.123, "公里", 0.3, 1.2, "", ""],
        [],
        ["②", "农村公路提质改造当年完工", 2.123, "公里", 0.1, 0.4, "", ""],
        ["", "合计", None, None, 0.4, 1.6, "", ""],
    ]
    footer = ["填报人：张三", "联系电话：0559-5512345", "注：本表数据截至6月30日"]
    res = read(tmp_path, "交通局6月.xlsx", [department_sheet("县交通运输局", rows, footer=footer)])
    assert values(res) == {"1.1": (1.2, 0.3, "F5"), "1.2": (0.4, 0.1, "F7")}
    reasons = [(s.row, s.reason) for s in res.skipped]
    assert reasons == [
        (1, "标题行"),
        (2, "标题行"),
        (4, "分组标题或说明行（无填报数值）"),
        (8, "合计/小计行"),
        (9, "表尾（填报人、联系电话、注释等）"),
        (10, "表尾（填报人、联系电话、注释等）"),
        (11, "表尾（填报人、联系电话、注释等）"),
    ]


@pytest.mark.parametrize(
    ("indicator", "unit_cell", "cell", "expected"),
    [
        ("农村公路提质改造工程", "公里", "1.2公里", 1.2),
        ("改造房屋总建筑面积", "万平方米", "17900平方米", 1.79),
        ("农村饮水工程覆盖服务人口", "万人", "2.1万人", 2.1),
        ("农村饮水工程覆盖服务人口", "万人", "21000人", 2.1),
        ("办理法律援助案件", "件", "１，５００", 1500.0),
        ("办理法律援助案件", "件", "1,500", 1500.0),
        ("学前教育毛入园率", "%", "９４．１％", 94.1),
        ("学前教育毛入园率", "%", "96%", 96.0),
        ("学前教育毛入园率", "%", 96, 96.0),
    ],
)
def test_values_with_units_and_full_width(tmp_path, indicator, unit_cell, cell, expected):
    """Units typed into cells, 万, full-width digits and separators give the exact figure."""
    header = ["指标名称", "单位", "累计完成"]
    res = read(
        tmp_path, "x.xlsx", [department_sheet("县教育局", [[indicator, None, cell]], header=header)]
    )
    # the department is irrelevant to parsing; match across all indicators by name
    if res.department is None or not res.observations:
        dept = next(i for i in TABLE.indicators if i.name == indicator).lead_department
        sheet = department_sheet(dept, [[indicator, None, cell]], header=header)
        res = read(tmp_path, "y.xlsx", [sheet])
    assert [o.value for o in res.observations] == [expected]
    assert codes(res) == []


def test_unit_column_converts_a_bare_number(tmp_path):
    """A 单位 column saying 平方米 beside a bare 17900 converts to the target's 万平方米."""
    header = ["指标名称", "单位", "累计完成"]
    rows = [["改造房屋总建筑面积", "平方米", 17900]]
    res = read(tmp_path, "住建局.xlsx", [department_sheet(None, rows, header=header)])
    assert values(res) == {"2.2": (1.79, None, "C3")}


def test_percentages_in_every_form(tmp_path):
    """0.96 in a %-formatted cell is 96 %; 0.96 in a General cell is ambiguous, not guessed."""
    header = ["指标名称", "累计完成"]
    rows = [["学前教育毛入园率", 0.96], ["普惠性幼儿园覆盖率", 0.92], ["公办园在园幼儿占比", "86%"]]
    sheet = department_sheet("县教育局", rows, header=header)
    sheet.formats[(3, 1)] = "0%"
    res = read(tmp_path, "教育局.xlsx", [sheet])
    assert values(res) == {"4.4": (96.0, None, "B4"), "4.6": (86.0, None, "B6")}
    assert codes(res) == [("W-PCT-AMBIGUOUS", "B5", "4.5")]


def test_number_formats_are_read_once_per_column(monkeypatch, tmp_path):
    """Formats for ambiguous percentages are read for a whole column at once: 600 ambiguous
    rows cost one openpyxl pass (one per cell took quadratic time), and a %-formatted cell
    among them is still 96 %."""
    import pipeline.normalise

    header = ["指标名称", "累计完成"]
    rows = [["普惠性幼儿园覆盖率", 0.92]] * 599 + [["学前教育毛入园率", 0.96]]
    sheet = department_sheet("县教育局", rows, header=header)
    sheet.formats[(602, 1)] = "0%"
    passes: list[int] = []
    real = pipeline.normalise.cell_formats

    def counted(*args, **kwargs):
        passes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.normalise, "cell_formats", counted)
    res = read(tmp_path, "教育局.xlsx", [sheet])
    assert len(passes) == 1
    assert values(res)["4.4"] == (96.0, None, "B603")


def test_formulas_errors_text_dates(tmp_path):
    """Cached formula values are used; #DIV/0!, text and dates in number cells are issues."""
    header = ["指标名称", "本月完成", "累计完成"]
    rows = [
        ["改造城镇老旧小区", 1, Formula("=1+1", 2)],
        ["改造房屋总建筑面积", None, Formula("=1/0", "#DIV/0!")],
        ["改造涉及住户", None, "待统计"],
    ]
    sheets = [department_sheet("县住房和城乡建设局", rows, header=header)]
    res = read(tmp_path, "住建局.xlsx", sheets)
    assert values(res) == {"2.1": (2.0, 1.0, "C4")}
    assert codes(res) == [("E-CELL-FORMULA-ERROR", "C5", "2.2"), ("E-CELL-TEXT", "C6", "2.3")]
    dated = [["办理法律援助案件", None, dt.date(2022, 6, 30)]]
    res = read(tmp_path, "司法局.xlsx", [department_sheet("县司法局", dated, header=header)])
    assert codes(res) == [("E-CELL-DATE", "C4", "18.1")]


def test_text_in_count_cell_and_milestone_state(tmp_path):
    """已完成 is a state for a milestone, but text in a count indicator's cell is an issue."""
    header = ["指标名称", "累计完成", "进展情况"]
    rows = [
        ["路长制", "已完成", "三级路长制已建立"],
        ["乡村道路专管员招募", None, "正在推进招募"],
        ["农村公路提质改造工程", "已完成", ""],
    ]
    res = read(tmp_path, "交通局.xlsx", [department_sheet("县交通运输局", rows, header=header)])
    assert {o.indicator_id: o.state for o in res.observations} == {"1.8": "已完成", "1.9": "推进中"}
    assert codes(res) == [("E-CELL-TEXT", "B6", "1.1")]


def test_negative_value_is_read_then_refused_by_validation(tmp_path):
    """A negative figure parses (the parser guesses nothing) and validation refuses it."""
    from pipeline.config import Config
    from pipeline.validate import check_period

    header = ["指标名称", "累计完成"]
    res = read(
        tmp_path,
        "司法局.xlsx",
        [department_sheet("县司法局", [["办理法律援助案件", -5]], header=header)],
    )
    assert values(res) == {"18.1": (-5.0, None, "B4")}
    checked = check_period("2022-06", res.observations, [], TABLE, Config())
    assert [(i.code, i.cell) for i in checked.issues] == [("E-NEGATIVE", "B4")]
    assert checked.observations[0].value is None


@pytest.mark.parametrize("name", ["司法局.xlsx", "司法局.xls", "司法局.xlsm", "司法局.csv"])
def test_file_formats(tmp_path, name):
    """The same table as .xlsx, .xls, .xlsm (macro-enabled name) and .csv reads the same."""
    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, "", ""]]
    res = read(tmp_path, name, [department_sheet("县司法局", rows)])
    assert values(res) == {"18.1": (55.0, 10.0, "F4")}


def test_gbk_csv(tmp_path):
    """A CSV saved by Excel on a Chinese Windows (GBK) reads correctly."""
    folder = tmp_path / "2022-06"
    folder.mkdir()
    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, "", ""]]
    write_csv(folder / "司法局.csv", department_sheet("县司法局", rows), encoding="gbk")
    source = discover(folder, TABLE.departments)[0][0]
    res = normalise_file(source, TABLE, "2022-06")
    assert values(res) == {"18.1": (55.0, 10.0, "F4")}


def test_department_from_unit_line_when_name_says_nothing(tmp_path):
    """6月报表.xlsx with 填报单位：县司法局 inside belongs to 县司法局."""
    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, "", ""]]
    res = read(tmp_path, "6月报表.xlsx", [department_sheet("县司法局", rows)])
    assert res.department == "县司法局"


def test_department_from_indicator_set(tmp_path):
    """No name anywhere: the indicators named decide, when only one department has them all."""
    header = ["指标名称", "累计完成"]
    rows = [["办理法律援助案件", 55]]
    res = read(tmp_path, "6月报表.xlsx", [department_sheet(None, rows, header=header)])
    assert res.department == "县司法局"


def test_unknown_department_is_an_issue(tmp_path):
    """Indicators shared by two departments (task 6) and no name: an issue, no guess."""
    header = ["指标名称", "累计完成"]
    rows = [["农村妇女宫颈癌筛查", 900]]
    res = read(tmp_path, "6月报表.xlsx", [department_sheet(None, rows, header=header)])
    assert res.department is None
    assert codes(res) == [("E-DEPT-UNKNOWN", "", "")]
    assert res.observations == ()


def test_unmatched_row_names_candidates(tmp_path):
    """A row that fits no indicator well enough is an issue naming the best candidates."""
    header = ["指标名称", "累计完成"]
    rows = [["公路建设", 3]]
    res = read(tmp_path, "交通局.xlsx", [department_sheet("县交通运输局", rows, header=header)])
    assert codes(res) == [("E-ROW-UNMATCHED", "A4", "")]
    assert "最接近的是：1." in res.issues[0].message


def test_fuzzy_match_within_the_department(tmp_path):
    """A slightly different wording matches when it clearly beats the runner-up."""
    header = ["指标名称", "累计完成"]
    rows = [["中等及以上公路占比", "86%"]]
    res = read(tmp_path, "交通局.xlsx", [department_sheet("县交通运输局", rows, header=header)])
    assert values(res) == {"1.5": (86.0, None, "B4")}


def test_narrative_only(tmp_path):
    """Prose: figures are taken only when number and unit pair with exactly one indicator."""
    text = (
        "截至6月底，共组织招聘会44场次，服务企业372户次，达成就业意向305人，"
        "组织就业见习18人，完成全年任务的49%。"
    )
    res = read(tmp_path, "人社局6月.xlsx", [SheetSpec("Sheet1", [["6月工作进展"], [text]])])
    assert {o.indicator_id: o.value for o in res.observations} == {
        "5.1": 44.0,
        "5.2": 372.0,
        "5.3": 305.0,
        "5.5": 18.0,
    }
    assert [(i.code, i.cell) for i in res.issues if i.severity != "info"] == [
        ("W-NARRATIVE-UNUSED", "A2"),
    ]


def test_narrative_ambiguous_figure_is_not_taken(tmp_path):
    """A figure whose unit fits two indicators and whose clause names neither is an issue."""
    text = "截至6月底，已有120人，服务企业372户次。"
    res = read(tmp_path, "人社局6月.xlsx", [SheetSpec("Sheet1", [[text]])])
    assert {o.indicator_id: o.value for o in res.observations} == {"5.2": 372.0}
    assert [i.code for i in res.issues if i.severity != "info"] == ["W-NARRATIVE-AMBIGUOUS"]


def test_prose_with_a_flood_of_figures_is_read_only_so_far(tmp_path):
    """One unpunctuated cell with 80,000 figures once made 80,000 warnings each quoting the
    whole clause (gigabytes): figures are read up to MAX_FIGURES, then one warning says the
    rest were not, and every message quotes the clause cut short."""
    from pipeline.narrative import MAX_FIGURES

    text = "今年已完成" + "1个 " * 80_000
    res = read(tmp_path, "交通局6月.xlsx", [SheetSpec("Sheet1", [[text]])])
    codes = [i.code for i in res.issues]
    assert codes.count("W-NARRATIVE-TOO-MANY") == 1 and len(codes) <= MAX_FIGURES + 1
    assert max(len(i.message) for i in res.issues) < 200


def test_row_accounting(tmp_path):
    """Every non-empty table row ends as an observation, a skipped row or an issue."""
    rows = [
        ["一、", "“四好农村路”建设", None, None, None, None, "", ""],
        ["①", "农村公路提质改造工程", 2.123, "公里", 0.3, 1.2, "", ""],
        ["②", "农村公路提质改造当年完工", 2.123, "公里", None, "待统计", "", ""],
        ["③", "公路建设", None, None, None, 5, "", ""],
        ["", "合计", None, None, 0.4, 1.6, "", ""],
    ]
    res = read(
        tmp_path,
        "交通局6月.xlsx",
        [department_sheet("县交通运输局", rows, footer=["填报人：张三"])],
    )
    kinds = [k for _, _, k in res.accounting]
    assert len(res.accounting) == res.rows_seen == 8
    assert kinds.count("observation") == len(res.observations) == 1
    assert kinds.count("skipped") == len(res.skipped) == 5
    assert kinds.count("issue") == 2
    issue_rows = {r for _, r, k in res.accounting if k == "issue"}
    assert issue_rows == {int(i.cell[1:]) for i in res.issues}


@pytest.mark.office
def test_ods_saved_by_libreoffice(tmp_path, soffice):
    """An .ods saved by LibreOffice (merged two-row header) reads like the .xlsx it came from."""
    from builders import convert

    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, "50%", "有序推进"]]
    src = write_xlsx(tmp_path / "司法局.xlsx", [two_row_header_sheet("县司法局", rows)])
    folder = tmp_path / "2022-06"
    folder.mkdir()
    convert(src, "ods", folder)
    source = discover(folder, TABLE.departments)[0][0]
    assert source.format == "ods"
    res = normalise_file(source, TABLE, "2022-06")
    assert values(res) == {"18.1": (55.0, 10.0, "F5")}


def test_department_conflict_is_settled_by_the_rows(tmp_path):
    """File name says 交通局, the 填报单位 line says 司法局: the rows decide, with a warning."""
    rows = [[1, "办理法律援助案件", 110, "件", 10, 55, "", ""]]
    res = read(tmp_path, "交通局6月.xlsx", [department_sheet("县司法局", rows)])
    assert res.department == "县司法局"
    assert codes(res) == [("W-DEPT-CONFLICT", "A2", "")]


def test_file_named_for_another_month(tmp_path):
    """A May file dropped into the June folder is read, with a warning to check the month."""
    from pipeline.config import Config
    from pipeline.run import read_period

    folder = tmp_path / "2022-06"
    folder.mkdir()
    rows = [[1, "办理法律援助案件", 110, "件", 10, 45, "", ""]]
    write_xlsx(folder / "司法局5月.xlsx", [department_sheet("县司法局", rows)])
    data = read_period(folder, "2022-06", TABLE, Config())
    assert [(i.code, i.file) for i in data.issues if i.code == "W-PERIOD-MISMATCH"] == [
        ("W-PERIOD-MISMATCH", "司法局5月.xlsx")
    ]


def test_matching_remembers_per_indicator_set():
    """A label's remembered match belongs to the indicator set it was matched in: the same
    label among another department's indicators is matched afresh."""
    from pipeline.match import match_label

    table = load_targets()
    legal = table.indicators_of("县司法局")
    assert legal is table.indicators_of("县司法局")  # one tuple per department, every call
    label = "办理法律援助案件"
    assert match_label(label, legal).indicator is not None
    assert match_label(label, table.indicators_of("县交通运输局")).indicator is None
    assert match_label(label, list(legal)).indicator == match_label(label, legal).indicator


def test_remembered_headers_keep_true_and_one_apart():
    """True equals 1, but only 1 is a number (a number row is no header): the remembered
    header of one row must not answer for the other."""
    from pipeline.tables import locate_table

    numeric = ((1, "指标名称", "累计完成"),)
    ticked = ((True, "指标名称", "累计完成"),)
    assert locate_table(numeric) is None
    assert locate_table(ticked) is not None
    assert locate_table(numeric) is None
