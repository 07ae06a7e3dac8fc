"""Department files read on their evidence (issue 16's cases), and the one invariant: a figure
with an error on it never leaves ``read_period``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from builders import SheetSpec, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from layouts import make_case

from pipeline.config import Config
from pipeline.discover import is_ignored
from pipeline.model import Observation
from pipeline.run import PeriodData, read_period
from pipeline.targets import load_targets

TABLE = load_targets()
PERIOD = "2022-06"


def run(tmp_path: Path, files: dict[str, list[SheetSpec] | bytes]) -> PeriodData:
    folder = tmp_path / PERIOD
    folder.mkdir(parents=True, exist_ok=True)
    for n, (name, content) in enumerate(files.items()):
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            write_xlsx(path, content)
        os.utime(path, (1_656_000_000 + 3600 * n, 1_656_000_000 + 3600 * n))  # in this order
    return read_period(folder, PERIOD, TABLE, Config())


def figures(data: PeriodData) -> dict[str, tuple[float | None, float | None, str]]:
    return {o.indicator_id: (o.value, o.monthly_value, o.state) for o in data.observations}


def codes(data: PeriodData, indicator: str) -> set[str]:
    return {i.code for i in data.issues if i.indicator_id == indicator}


def test_the_name_column_is_the_one_naming_indicators_not_the_target_column(tmp_path):
    """项目 over the names, 目标任务 over 3个 / 1.79万平方米, 完成情况 merged over 当月 / 累计 /
    比例: each row is its indicator (the README's own layout lost them all before)."""
    top = ["序号", "项目", "目标任务", "单位", "完成情况", None, None, "备注"]
    sub = [None, None, None, None, "当月完成", "累计完成", "完成比例", None]
    rows = [
        [1, "改造城镇老旧小区", "3个", "个", 0, 2, "66.7%", None],
        [2, "房屋总建筑面积", "1.79万平方米", "万平方米", 0.1, 1.2, None, None],
        [3, "涉及住户", "167户", "户", 10, 120, None, None],
    ]
    title = ["2022年民生实事进展情况表（截至6月底）"]
    grid = [title, ["填报单位：县住房和城乡建设局"], top, sub, *rows]
    merges = [(2, 0, 3, 0), (2, 1, 3, 1), (2, 2, 3, 2), (2, 3, 3, 3), (2, 4, 2, 6), (2, 7, 3, 7)]
    data = run(tmp_path, {"住建局.xlsx": [SheetSpec("Sheet1", grid, merges=merges)]})
    assert figures(data) == {
        "2.1": (2.0, 0.0, ""),
        "2.2": (1.2, 0.1, ""),
        "2.3": (120.0, 10.0, ""),
    }
    assert not [i for i in data.issues if i.code == "E-ROW-UNMATCHED"]


def test_a_unit_rules_out_the_indicator_it_cannot_measure(tmp_path):
    """义务教育学校提供课后服务 | 11 | 所 | ５ is 11.1 (所), never 11.2 (%)."""
    grid = [
        ["工作任务", "目标", "单位", "本月完成", "累计完成"],
        ["义务教育学校提供课后服务", 11, "所", None, "５"],
        ["课后服务覆盖率", "100%", "%", None, "100%"],
    ]
    data = run(tmp_path, {"教育局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert figures(data)["11.1"] == (5.0, None, "")
    assert figures(data)["11.2"] == (100.0, None, "")


def test_a_unit_in_the_header_converts_the_column(tmp_path):
    """本月完成（人）3400 against an indicator in 万人 is 0.34 万人, not 3400 万人."""
    grid = [
        ["项目名称", "年度目标（万人）", "本月完成（人）", "累计完成（万人）"],
        ["农村饮水工程覆盖服务人口", 2.37, 3400, 1.5],
    ]
    data = run(tmp_path, {"农水局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert figures(data)["19.2"] == (1.5, 0.34, "")


def test_a_unit_that_cannot_be_converted_withholds_the_figure(tmp_path):
    """A figure in 人次 against an indicator in 人 is an error on the indicator, never a
    figure in the report."""
    grid = [["指标名称", "单位", "累计完成"], ["组织青年参加就业见习", "元", 30]]
    data = run(tmp_path, {"人社局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert "5.5" not in figures(data)
    assert "E-UNIT-MISMATCH" in codes(data, "5.5")


def test_prose_in_a_table_gives_the_figures_the_table_does_not(tmp_path):
    """A 项目名称 | 进展情况 table whose only figures are in a sentence: 场次 and 户次 each fit
    one indicator, 人 is named in its clause."""
    text = "截至6月底，全县共组织招聘会44场次，服务企业372户次，达成就业意向423人。"
    grid = [["项目名称", "进展情况"], ["就业促进工程", text]]
    data = run(tmp_path, {"人社局.xlsx": [SheetSpec("Sheet1", grid)]})
    got = figures(data)
    assert (got["5.1"][0], got["5.2"][0], got["5.3"][0]) == (44.0, 372.0, 423.0)
    assert "W-INDICATOR-MISSING" in codes(data, "5.4")  # accounted for, with the reason


def test_newer_junk_cannot_displace_a_good_file(tmp_path):
    """A half-copied .xlsx, an empty Word file and an editor's .tmp arriving after the good
    workbook: the good figures stay, each junk file is reported, the .tmp is not a
    submission."""
    good = [SheetSpec("Sheet1", [["指标名称", "累计完成"], ["办理法律援助案件", 50]])]
    data = run(
        tmp_path,
        {
            "司法局.xlsx": good,
            "司法局(修改).xlsx": b"PK\x03\x04junk",
            "司法局v2.docx": b"",
            "司法局.xlsx.tmp": b"PK\x03\x04",
        },
    )
    assert figures(data)["18.1"] == (50.0, None, "")
    status = {s.file: s.status for s in data.submissions if s.department == "县司法局"}
    assert status == {
        "司法局.xlsx": "on_time",
        "司法局(修改).xlsx": "unreadable",
        "司法局v2.docx": "unreadable",
    }
    unused = {i.file for i in data.issues if i.code == "W-RESUBMISSION-UNUSED"}
    assert unused == {"司法局(修改).xlsx", "司法局v2.docx"}
    assert is_ignored("医保局.xlsx.tmp") and is_ignored(".~lock.医保局.xlsx#")


def test_a_workbook_of_several_departments_credits_each(tmp_path):
    """One sheet per department (a 分管领导's collection) and blocks under 单位：… lines in
    one sheet: each department's figures are its own, and each is counted as reporting."""
    sheets = [
        SheetSpec("县司法局", [["指标名称", "累计完成"], ["办理法律援助案件", 50]]),
        SheetSpec(
            "汇总",
            [
                ["单位：县农水局"],
                ["指标名称", "累计完成"],
                ["农村饮水工程维修养护", 60],
                ["单位：县残联"],
                ["指标名称", "累计完成"],
                ["残疾儿童康复训练救助", 4],
            ],
        ),
    ]
    data = run(tmp_path, {"分管领导汇总.xlsx": sheets})
    by = {(o.department, o.indicator_id): o.value for o in data.observations}
    assert by == {("县司法局", "18.1"): 50.0, ("县农水局", "19.1"): 60.0, ("县残联", "9.2"): 4.0}
    reported = {s.department for s in data.submissions if s.status in ("on_time", "late")}
    assert reported == {"县司法局", "县农水局", "县残联"}


def test_last_months_report_in_this_months_folder_is_not_taken(tmp_path):
    """A title 截至5月底 in the June folder: W-PERIOD-MISMATCH, and no figure of it is
    taken as June's; the indicators say why they are missing."""
    grid = [
        ["县司法局民生实事进展情况（截至5月底）"],
        ["指标名称", "本月完成", "累计完成"],
        ["办理法律援助案件", 5, 40],
    ]
    data = run(tmp_path, {"司法局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert figures(data) == {}
    assert {i.code for i in data.issues if i.file == "司法局.xlsx"} >= {"W-PERIOD-MISMATCH"}
    assert "W-INDICATOR-MISSING" in codes(data, "18.1")


def test_a_sheet_per_month_reads_only_this_months_sheet(tmp_path):
    """4月, 5月 and 6月 sheets in one workbook: June's figures come from the 6月 sheet."""

    def month(m: int, cum: int) -> SheetSpec:
        return SheetSpec(
            f"{m}月",
            [[f"截至{m}月底进展情况"], ["指标名称", "累计完成"], ["办理法律援助案件", cum]],
        )

    data = run(tmp_path, {"司法局.xlsx": [month(4, 30), month(5, 40), month(6, 52)]})
    assert figures(data)["18.1"] == (52.0, None, "")


def test_the_wide_form_is_read_by_its_column_groups(tmp_path):
    """A column group per indicator (its unit in brackets), the figures in one 全县 row."""
    top = ["地区", "困难职工生活救助（户）", None, "患病职工家庭医疗救助（户）", None]
    sub = [None, "目标", "累计完成", "目标", "累计完成"]
    grid = [["填报单位：县总工会"], top, sub, ["全县", 6, 5, 1, 0]]
    merges = [(1, 1, 1, 2), (1, 3, 1, 4)]
    data = run(tmp_path, {"总工会.xlsx": [SheetSpec("Sheet1", grid, merges=merges)]})
    assert {k: v[0] for k, v in figures(data).items()} == {"10.2": 5.0, "10.3": 0.0}


def test_the_cumulative_column_is_found_by_arithmetic(tmp_path):
    """No header says 累计, but 上月累计 + 本月 = 进度 on every row: 进度 is the cumulative."""
    grid = [
        ["指标名称", "上月累计", "本月完成", "进度"],
        ["组织招聘会", 29, 12, 41],
        ["招聘会服务企业", 61, 0, 61],
    ]
    data = run(tmp_path, {"人社局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert figures(data)["5.1"] == (41.0, 12.0, "")
    assert figures(data)["5.2"] == (61.0, 0.0, "")


_ROW = re.compile(r"^[A-Z]+(\d+)$")


def _touched(obs: Observation, data: PeriodData) -> list[str]:
    """The error issues of the observation's file that touch it: naming its indicator, or
    on its row naming none."""
    row = m.group(1) if (m := _ROW.match(obs.source_cell)) else None
    out = []
    for i in data.issues:
        if i.severity != "error" or i.file != obs.source_file or i.department != obs.department:
            continue
        on_row = (m2 := _ROW.match(i.cell)) and m2.group(1) == row and i.sheet == obs.source_sheet
        if i.indicator_id == obs.indicator_id or (not i.indicator_id and on_row):
            out.append(f"{i.code} {i.sheet}!{i.cell}")
    return out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_no_figure_with_an_error_on_it_leaves_the_period(tmp_path_factory, seed):
    """Over generated department files (tests/layouts.py): no observation ``read_period``
    gives has an error-severity issue on its indicator or its row in its file."""
    folder = tmp_path_factory.mktemp(f"case{seed}")
    case = make_case(seed, folder)
    data = read_period(case.folder, case.period, TABLE, Config())
    bad = {o.indicator_id: _touched(o, data) for o in data.observations if _touched(o, data)}
    assert bad == {}


def test_figures_that_do_not_add_up_are_not_taken(tmp_path):
    """上月累计 36 + 本月 8 ≠ 累计 40 (a typo, or a formula whose saved value is stale): an
    error on the indicator, no figure."""
    grid = [["指标名称", "目标", "上月累计", "本月完成", "累计完成"], ["组织招聘会", 90, 36, 8, 40]]
    data = run(tmp_path, {"人社局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert "5.1" not in figures(data)
    assert "E-CUM-INCONSISTENT" in codes(data, "5.1")


def test_a_share_of_target_is_no_count(tmp_path):
    """累计完成（%）50 for an indicator counted in 户 is a percentage, not 50 户."""
    grid = [["指标名称", "目标", "累计完成（%）"], ["特殊困难家庭适老化改造", 18, 50]]
    data = run(tmp_path, {"民政局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert "3.3" not in figures(data)
    assert "E-UNIT-MISMATCH" in codes(data, "3.3")


def test_two_cumulative_columns_that_disagree_are_an_error(tmp_path):
    """累计完成 44 and 本年累计 40 on one row: neither is taken."""
    grid = [["指标名称", "目标", "累计完成", "本年累计"], ["组织招聘会", 90, 44, 40]]
    data = run(tmp_path, {"人社局.xlsx": [SheetSpec("Sheet1", grid)]})
    assert "5.1" not in figures(data)
    assert "E-COLUMN-CONFLICT" in codes(data, "5.1")


def test_a_milestone_part_done_part_not_started_is_unclear(tmp_path):
    """已完成招募，培训尚未开展 is neither 已完成 nor 未启动."""
    from pipeline.rows import milestone_state

    assert milestone_state("已完成招募，培训尚未开展") is None
    assert milestone_state("已完成，已通过验收。") == "已完成"
    assert milestone_state("尚未启动，拟于下半年实施。") == "未启动"
