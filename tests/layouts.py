"""Independent generator of department submissions, with the figures each one holds.

Written from what county departments send (进度表, 推进情况统计表, 民生实事进展情况表,
工作任务完成情况表), not from what the pipeline reads: titles and 填报单位 lines, one- and
two-row headers with merged groups, header words in many variants, names abbreviated,
reworded, numbered and with units in brackets, task rows and merged task cells, numbers as
text, full-width, with units typed in, thousands separators, % formats, 合计/小计 rows,
cover, instructions and hidden sheets, prose-only reports, several departments in one
workbook, last month's report resent, junk files beside a good one.

    case = make_case(seed, folder)            # writes folder/…, returns the ground truth
    convert_pending([case, ...])              # LibreOffice share, one soffice start per format
    data = read_period(folder, case.period, targets, config)
    counts = score(case, data)

Every figure in ``Case.expected`` is in the indicator's own unit (the target table's), so a
file writing 3400人 for an indicator in 万人 expects 0.34.
"""

from __future__ import annotations

import math
import os
import random
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from builders import convert_many

from pipeline.model import Indicator, TargetTable
from pipeline.targets import load_targets

COUNTY = "黟县"
YEAR = 2022
BASE_MTIME = 1_656_900_000.0  # early July 2022; newer files are BASE_MTIME + minutes

WRITERS = ("xlsxwriter", "openpyxl")
OFFICE = "libreoffice"


@cache
def targets() -> TargetTable:
    """The default target table shipped with the package."""
    return load_targets()


# ----------------------------------------------------------------------------- ground truth


@dataclass(frozen=True)
class Expected:
    """One department's figures for one indicator, in the indicator's unit."""

    department: str
    indicator_id: str
    value: float | None = None  # cumulative (count) or current (level)
    monthly: float | None = None
    state: str | None = None  # milestones: 未启动 / 推进中 / 已完成
    file: str = field(default="", compare=False)
    features: tuple[str, ...] = field(default=(), compare=False)


@dataclass
class CaseFile:
    name: str
    writer: str  # xlsxwriter, openpyxl, libreoffice-xlsx, libreoffice-xls, junk
    department: str | None = None
    stale: bool = False  # last month's report: none of its figures is this month's
    junk: str = ""  # truncated, empty, docx, tmp, owner, lock, bak
    mtime: float = BASE_MTIME


@dataclass
class Case:
    seed: int
    period: str
    folder: Path
    files: list[CaseFile] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    # (openpyxl source, final path, LibreOffice format) still to be converted
    pending: list[tuple[Path, Path, str]] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return any(f.stale for f in self.files)

    def file(self, name: str) -> CaseFile | None:
        return next((f for f in self.files if f.name == name), None)


# ----------------------------------------------------------------------------- vocabulary

# how offices write the indicator names (beside the table's own wording)
NAME_VARIANTS: dict[str, list[str]] = {
    "1.1": ["农村公路提质改造", "实施农村公路提质改造工程", "农村公路提质改造工程建设"],
    "1.2": ["农村公路提质改造当年完工里程", "提质改造工程当年完工", "当年完工提质改造里程"],
    "1.3": ["农村公路列养比例", "列养率"],
    "1.4": ["养护工程比例", "农村公路养护工程实施比例"],
    "1.5": ["中等路及以上农村公路占比", "中等及以上路况占比", "农村公路中等及以上比例"],
    "1.6": ["建制村通客车率", "乡镇和建制村通客车率", "具备条件的建制村通客车比例"],
    "1.7": ["建制村通公交比例", "具备条件建制村通公交比例"],
    "1.8": ["农村公路路长制三级管理体系", "健全县乡村三级路长制管理体系", "路长制体系建设"],
    "1.9": ["乡村道路专管员招募培训上岗", "乡村道路专管员招募、培训"],
    "2.1": ["城镇老旧小区改造", "老旧小区改造", "实施城镇老旧小区改造"],
    "2.2": ["改造总建筑面积", "老旧小区改造建筑面积", "房屋总建筑面积"],
    "2.3": ["改造惠及住户", "涉及住户", "老旧小区改造涉及住户数"],
    "3.1": ["80周岁以上老年人高龄津贴覆盖率", "高龄津贴覆盖率", "高龄津贴发放覆盖率"],
    "3.2": ["经济困难老年人养老服务补贴覆盖面", "低保老年人养老服务补贴覆盖率"],
    "3.3": ["特殊困难老年人家庭适老化改造", "适老化改造", "困难家庭适老化改造户数"],
    "3.4": ["家庭养老床位", "家庭养老床位建设", "建设家庭养老床位"],
    "3.5": ["县特困供养服务设施改造完成率", "特困供养服务设施改造完成率"],
    "3.6": ["新增村级养老服务站", "新建农村幸福院", "新增农村幸福院"],
    "3.7": ["村级养老服务站覆盖率", "村级养老服务站点覆盖面"],
    "3.8": ["护理型床位占比", "养老机构护理型床位占比"],
    "4.1": ["每千人口拥有3岁以下婴幼儿托位数", "每千人口托位数", "千人口婴幼儿托位数"],
    "4.2": ["新改扩建公办幼儿园", "公办幼儿园改扩建"],
    "4.3": ["学前教育资助幼儿", "资助家庭经济困难幼儿", "资助幼儿人次"],
    "4.4": ["学前三年毛入园率", "毛入园率"],
    "4.5": ["普惠性幼儿园覆盖面", "普惠园覆盖率"],
    "4.6": ["公办幼儿园在园幼儿占比", "公办园在园幼儿比例"],
    "5.1": ["举办招聘会", "组织各类招聘会", "招聘会场次"],
    "5.2": ["服务企业", "参会企业", "招聘会服务用工企业"],
    "5.3": ["达成就业意向人数", "达成初步就业意向"],
    "5.4": ["“三公里”就业圈试点社区", "三公里就业圈社区", "推广三公里就业圈社区"],
    "5.5": ["青年就业见习", "组织就业见习", "高校毕业生等青年参加就业见习"],
    "6.1": ["城镇低保妇女两癌筛查", "城镇低保适龄妇女两癌检查"],
    "6.2": ["农村适龄妇女宫颈癌筛查", "宫颈癌免费筛查"],
    "6.3": ["农村适龄妇女乳腺癌筛查", "乳腺癌免费筛查"],
    "7.1": ["散居孤儿基本生活费标准", "散居孤儿保障标准"],
    "7.2": ["集中供养孤儿基本生活费标准", "集中养育孤儿保障标准"],
    "7.3": ["城市失能半失能特困人员集中供养率", "城市特困人员集中供养率"],
    "7.4": ["农村失能半失能特困人员集中供养率", "农村特困人员集中供养率"],
    "7.5": ["低保特困应保尽保应退尽退", "低保和特困人员应保尽保、应退尽退"],
    "8.1": ["基本医保参保率", "全县基本医疗保险参保率"],
    "8.2": ["城乡居民医保政策范围内住院报销比例", "居民医保住院费用报销比例"],
    "8.3": ["职工医保政策范围内住院报销比例", "职工医保住院费用报销比例"],
    "8.4": ["大病保险报销比例", "大病保险合规费用报销比"],
    "8.5": ["“一站式”结算", "基本医保、大病保险、医疗救助一站式结算"],
    "9.1": ["精神残疾人药费补助", "困难精神残疾人服药补助"],
    "9.2": ["残疾儿童康复救助", "残疾儿童康复训练"],
    "9.3": ["残疾儿童辅具适配救助", "残疾儿童适配辅具"],
    "10.1": ["困难职工建档帮扶覆盖率", "困难职工建档和帮扶覆盖面"],
    "10.2": ["困难职工生活救助户数", "困难职工生活帮扶"],
    "10.3": ["患病职工医疗救助", "患病职工家庭医疗帮扶"],
    "11.1": ["开展课后服务学校数", "开展课后服务的中小学"],
    "11.2": ["课后服务覆盖率", "义务教育学校课后服务覆盖面"],
    "12.1": ["全民健身场地设施建设", "新建全民健身场地", "建设健身场地设施"],
    "13.1": ["城市阅读空间建设", "新建城市阅读空间"],
    "14.1": ["“惠民菜篮子”门店建设", "惠民菜篮子门店", "中心城区惠民菜篮子门店"],
    "15.1": ["社区老年助餐点", "建设社区助餐点"],
    "15.2": ["农村老年助餐点", "建成农村助餐点"],
    "16.1": ["老年友善医疗机构建设", "县医院老年友善医疗机构创建"],
    "17.1": ["“你点我检”活动宣传和品种征集", "开展你点我检活动"],
    "17.2": ["抽检不合格食品核查处置", "不合格食品核查处置"],
    "18.1": ["法律援助案件", "办理法援案件", "受理法律援助案件"],
    "18.2": ["刑事案件律师辩护全覆盖试点", "值班律师和刑事案件律师辩护全覆盖"],
    "19.1": ["农村饮水工程维修养护处数", "维修养护农村饮水工程"],
    "19.2": ["覆盖服务人口", "农村饮水工程受益人口"],
    "20.1": ["科室能力建设和长三角医疗合作", "长三角优质医疗资源合作"],
    "20.2": ["县域内就诊率、跨省就医比例", "县域就诊率和跨省就医比例目标"],
}

# short forms offices use in file names (not all of them are in the target table)
SHORT_NAMES: dict[str, list[str]] = {
    "县交通运输局": ["交通局", "交通运输局", "交通"],
    "县住房和城乡建设局": ["住建局", "住建"],
    "县民政局": ["民政局", "民政"],
    "县卫健委": ["卫健委", "卫健"],
    "县教育局": ["教育局", "教育"],
    "县人社局": ["人社局", "人社"],
    "县医保局": ["医保局", "医保"],
    "县残联": ["残联"],
    "县总工会": ["总工会", "工会"],
    "县文化旅游体育局": ["文旅体局", "文化旅游体育局"],
    "县发改委": ["发改委", "发改"],
    "县司法局": ["司法局", "司法"],
    "县农水局": ["农水局", "农水"],
    "县市场监管局": ["市场监管局", "市监局"],
}

TITLE_NAMES = {
    "县交通运输局": "县交通运输局",
    "县住房和城乡建设局": "县住房和城乡建设局",
    "县民政局": "县民政局",
    "县卫健委": "县卫生健康委员会",
    "县教育局": "县教育局",
    "县人社局": "县人力资源和社会保障局",
    "县医保局": "县医疗保障局",
    "县残联": "县残疾人联合会",
    "县总工会": "县总工会",
    "县文化旅游体育局": "县文化旅游体育局",
    "县发改委": "县发展和改革委员会",
    "县司法局": "县司法局",
    "县农水局": "县农业农村水利局",
    "县市场监管局": "县市场监督管理局",
}

# display unit, factor (display = value × factor), decimals in the display unit
UNIT_ALTS: dict[str, list[tuple[str, float, int]]] = {
    "公里": [("公里", 1, 3), ("公里", 1, 1), ("千米", 1, 2), ("米", 1000, 0)],
    "万平方米": [("万平方米", 1, 2), ("平方米", 10000, 0), ("㎡", 10000, 0), ("万㎡", 1, 2)],
    "万人": [("万人", 1, 2), ("人", 10000, 0)],
    "人": [("人", 1, 0), ("人", 1, 0), ("人", 1, 0), ("万人", 0.0001, 4)],
    "元/人·月": [("元/人·月", 1, 0), ("元/月", 1, 0), ("元", 1, 0)],
}

H_SEQ = ["序号", "编号"]
H_TASK = ["民生实事项目", "任务名称", "实事项目", "项目类别"]
H_NAME = [
    "项目",
    "项目名称",
    "工作任务",
    "指标名称",
    "建设内容",
    "主要指标",
    "具体指标",
    "工作内容",
    "民生实事项目",
]
H_TARGET = ["目标任务", "年度目标", "全年目标", "目标值", "计划任务", "2022年目标任务"]
H_UNIT = ["单位", "计量单位"]
H_MONTHLY = ["本月完成", "当月完成", "本月进度", "{m}月完成", "本月新增", "本月完成量"]
H_CUM = [
    "累计完成",
    "截至{m}月底累计完成",
    "1-{m}月累计",
    "完成数",
    "实际完成",
    "累计完成数",
    "1-{m}月累计完成",
    "累计完成量",
    "年度累计完成",
    "完成情况",
    "进度",
]
H_PREV = ["上月累计", "截至上月底累计", "截至{p}月底累计", "1-{p}月累计"]
H_RATIO = ["完成比例", "完成率", "完成进度(%)", "占年度目标比例"]
H_PROGRESS = ["进展情况", "推进情况", "工作进展", "进展情况说明"]
H_PROBLEM = ["存在问题", "存在的问题", "问题及困难"]
H_MEASURE = ["下步措施", "下一步工作打算", "滞后原因及下步措施"]
H_REMARK = ["备注"]
GROUP_DONE = ["完成情况", "{m}月完成情况", "工作完成情况", "进度情况"]
GROUP_TARGET = ["2022年目标", "年度目标任务", "目标任务"]
SUB_SHORT = {
    "monthly": ["本月", "当月"],
    "cum": ["累计", "累计完成"],
    "ratio": ["比例", "完成率"],
    "prev": ["上月累计"],
}

STATE_WORDS = {
    "已完成": ["已完成", "已全面完成", "已完成"],
    "推进中": ["推进中", "正在推进", "有序推进中", "进行中"],
    "未启动": ["未启动", "尚未启动", "未开始"],
}
STATE_PROSE = {
    "已完成": ["已完成，相关工作全面落实。", "已全面完成。", "已完成，已通过验收。"],
    "推进中": [
        "正在推进，实施方案已印发。",
        "有序推进中，已召开专题会议部署。",
        "推进中，正在组织招募人员。",
    ],
    "未启动": ["尚未启动，拟于下半年实施。", "未启动，正在等待上级文件。"],
}
ORDINALS = [
    lambda i: f"{i}.",
    lambda i: f"{i}、",
    lambda i: f"（{CN_NUM[i]}）",
    lambda i: "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"[i - 1],
    lambda i: f"({i})",
]
CN_NUM = "零一二三四五六七八九十" + "".join(f"十{c}" for c in "一二三四五六七八九") + "二十"
FULL = str.maketrans("0123456789.%,", "０１２３４５６７８９．％，")
PEOPLE = ["王芳", "李强", "张伟", "刘洋", "陈静", "汪敏", "程杰", "胡晓燕"]
UNIT_SUFFIXES = ("%", "公里", "米", "千米", "万平方米", "平方米", "㎡", "万㎡", "万人", "人")


def num_text(x: float) -> str:
    """A number as an office types it: no trailing zeros."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def num_value(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


# ----------------------------------------------------------------------------- sheet grid


@dataclass(frozen=True)
class Formula:
    """A formula with the value Excel cached for it (XlsxWriter writes both; openpyxl and
    the LibreOffice share get the value alone)."""

    formula: str
    cached: float


def ref(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


@dataclass
class Grid:
    """One sheet: cells by (row, col), merged ranges, number formats, hidden flag."""

    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    widths: dict[int, float] = field(default_factory=dict)

    def put(self, r: int, c: int, v: Any, fmt: str | None = None) -> None:
        if v is None or v == "":
            return
        if isinstance(v, str):
            v = v.replace("1-1月", "1月")  # January's report: 1月累计, not 1-1月累计
        self.cells[(r, c)] = v
        if fmt:
            self.formats[(r, c)] = fmt

    def merge(self, r1: int, c1: int, r2: int, c2: int, v: Any) -> None:
        self.put(r1, c1, v)
        if (r1, c1) != (r2, c2):
            self.merges.append((r1, c1, r2, c2))


def write_xlsxwriter(path: Path, grids: Sequence[Grid]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    fmts: dict[str, Any] = {}

    def fmt(code: str | None) -> Any:
        if not code:
            return None
        if code not in fmts:
            fmts[code] = wb.add_format({"num_format": code})
        return fmts[code]

    first_visible = True
    for g in grids:
        ws = wb.add_worksheet(g.name)
        merged_tail = {
            (r, c)
            for r1, c1, r2, c2 in g.merges
            for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)
            if (r, c) != (r1, c1)
        }
        for r1, c1, r2, c2 in g.merges:
            v = g.cells.get((r1, c1), "")
            ws.merge_range(r1, c1, r2, c2, v, fmt(g.formats.get((r1, c1))))
        starts = {(m[0], m[1]) for m in g.merges}
        for (r, c), v in g.cells.items():
            if (r, c) in starts or (r, c) in merged_tail:
                continue
            f = fmt(g.formats.get((r, c)))
            if isinstance(v, Formula):
                ws.write_formula(r, c, v.formula, f, v.cached)
            elif isinstance(v, str):
                ws.write_string(r, c, v, f)
            else:
                ws.write_number(r, c, v, f)
        for c, w in g.widths.items():
            ws.set_column(c, c, w)
        if g.hidden:
            ws.hide()
        elif first_visible:
            ws.activate()
            first_visible = False
    wb.close()


def write_openpyxl(path: Path, grids: Sequence[Grid]) -> None:
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for g in grids:
        ws = wb.create_sheet(g.name)
        for (r, c), v in g.cells.items():
            cell = ws.cell(r + 1, c + 1, v.cached if isinstance(v, Formula) else v)
            if (r, c) in g.formats:
                cell.number_format = g.formats[(r, c)]
            if isinstance(v, str) and g.formats.get((r, c)) == "@":
                cell.data_type = "s"
        for r1, c1, r2, c2 in g.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
        for c, w in g.widths.items():
            ws.column_dimensions[get_column_letter(c + 1)].width = w
        if g.hidden:
            ws.sheet_state = "hidden"
    visible = [i for i, g in enumerate(grids) if not g.hidden]
    wb.active = visible[0] if visible else 0
    wb.save(path)


# ----------------------------------------------------------------------------- one row


@dataclass
class RowTruth:
    """What one indicator row of a table holds, in display form and in truth."""

    ind: Indicator
    name_cell: str
    unit: str  # display unit
    factor: float
    decimals: int
    target_display: float | None
    cum: float | None  # display unit; None = not reported
    monthly: float | None
    state: str | None
    state_word: str = ""
    features: list[str] = field(default_factory=list)
    monthly_given: bool | None = None  # text-only tables: whether the prose says it


def _round(x: float, nd: int) -> float:
    return float(round(x, nd))


def make_row(
    rng: random.Random,
    ind: Indicator,
    month: int,
    *,
    unit_mode: str,
    forced: tuple[str, float, int] | None = None,
) -> RowTruth:
    """Figures for one indicator: a plausible cumulative, monthly or state for ``month``."""
    feats: list[str] = []
    if ind.kind == "milestone":
        state = rng.choices(["未启动", "推进中", "已完成"], [1, 4, 2])[0]
        return RowTruth(
            ind,
            "",
            "",
            1,
            0,
            None,
            None,
            None,
            state,
            rng.choice(STATE_WORDS[state]),
            ["milestone"],
        )
    alts = UNIT_ALTS.get(ind.unit, [(ind.unit, 1, 0)])
    if ind.unit == "人" and (ind.target or 0) < 1000:
        alts = [("人", 1, 0)]  # nobody writes 0.0147万人
    if unit_mode == "none":
        alts = [a for a in alts if a[1] == 1 and a[0] == ind.unit] or [(ind.unit, 1, 0)]
    unit, factor, nd = forced or rng.choice(alts)
    if factor != 1:
        feats.append("unit_conversion")
    target = ind.target or 1.0
    tdisp = _round(target * factor, max(nd, 4))
    if ind.kind == "level":
        if ind.unit == "%":
            hi = min(100.0, target * 1.12)
            lo = max(0.0, target * 0.8)
            cum = _round(rng.uniform(lo, hi), rng.choice([0, 1, 1, 2]))
        elif ind.unit.startswith("元"):
            cum = float(target + rng.choice([0, 0, 50, 100, 160]))
        else:
            cum = _round(rng.uniform(target * 0.7, target * 1.1), 2)
        return RowTruth(ind, "", unit, factor, 2, tdisp, cum, None, None, "", ["level", *feats])
    share = month / 12 * rng.uniform(0.4, 1.5)
    cum = _round(min(target * 1.3, target * share) * factor, nd)
    if tdisp <= 5 and nd == 0:
        cum = float(rng.randint(0, int(tdisp)))
    monthly: float | None = _round(cum * rng.choice([0, 0.1, 0.2, 0.3, 0.5]), nd)
    if cum == 0:
        monthly = 0.0
    if rng.random() < 0.08:
        monthly = None  # this month's cell left blank
    return RowTruth(ind, "", unit, factor, nd, tdisp, cum, monthly, None, "", ["count", *feats])


def cell_number(
    rng: random.Random, x: float, unit: str, style: str, feats: list[str], *, pct_ok: bool = True
) -> tuple[Any, str | None]:
    """One figure as a cell: number, text, full-width, with unit, thousands, %."""
    choice = (
        style
        if style != "mixed"
        else rng.choice(["num", "num", "text", "fullwidth", "unit", "thousands", "pct", "wan"])
    )
    if choice == "pct" and unit == "%" and pct_ok:
        if rng.random() < 0.5:
            feats.append("pct_format")
            places = next(n for n in range(7) if float(round(x, n)) == x)
            return x / 100, "0%" if places == 0 else "0." + "0" * places + "%"
        feats.append("pct_text")
        return f"{num_text(x)}%", None
    if choice == "unit" and unit:
        feats.append("unit_in_cell")
        sep = rng.choice(["", "", " "])
        return f"{num_text(x)}{sep}{unit}", None
    if choice == "thousands" and abs(x) >= 1000:
        feats.append("thousands")
        if rng.random() < 0.5:
            return num_value(x), "#,##0" if float(x).is_integer() else "#,##0.00"
        whole, _, frac = num_text(x).partition(".")
        return f"{int(whole):,}" + (f".{frac}" if frac else ""), None
    if choice == "wan" and unit in ("人", "平方米", "㎡", "米") and x >= 10000:
        feats.append("wan_in_cell")  # 2.37万 in a column whose unit is 人
        return f"{num_text(x / 10000)}万", None
    if choice == "text":
        feats.append("text_number")
        return num_text(x) + rng.choice(["", "", " "]), "@"
    if choice == "fullwidth":
        feats.append("fullwidth")
        return num_text(x).translate(FULL), None
    return num_value(x), None


def _ratio(rng: random.Random, row: RowTruth) -> tuple[Any, str | None]:
    if row.state is not None:
        return ("100%" if row.state == "已完成" else rng.choice(["/", "—", ""])), None
    if row.cum is None or not row.target_display:
        return rng.choice(["", "—"]), None
    r = row.cum / row.target_display
    form = rng.choice(["pct_num", "pct_text", "plain"])
    if form == "pct_num":
        return round(r, 4), "0.0%"
    if form == "pct_text":
        return f"{r * 100:.1f}%", None
    return round(r * 100, 1), None


def _target_cell(rng: random.Random, row: RowTruth, unit_stated: bool) -> Any:
    ind = row.ind
    if row.state is not None:
        return rng.choice(["", "—", "年底前完成", ind.name, "按要求完成"])
    t = num_text(row.target_display or 0)
    u = "" if unit_stated and rng.random() < 0.7 else row.unit
    if ind.unit == "%":
        return rng.choice(
            [f"不低于{t}%", f"≥{t}%", f"{t}%", f">{t}%" if ind.comparator == ">" else t]
        )
    if not u:
        return rng.choice([num_value(row.target_display or 0), t])
    return rng.choice([f"{t}{u}", f"完成{t}{u}", f"不少于{t}{u}", f"{t}"])


def _progress_text(rng: random.Random, row: RowTruth, month: int) -> str:
    if row.state is not None:
        return rng.choice(STATE_PROSE[row.state])
    if row.cum is None:
        return rng.choice(["", "暂无数据", "待统计"])
    u = row.unit
    options = ["按计划推进", "有序推进", "", f"截至{month}月底累计完成{num_text(row.cum)}{u}"]
    if row.monthly:
        options.append(f"本月完成{num_text(row.monthly)}{u}，累计完成{num_text(row.cum)}{u}。")
    return rng.choice(options)


# ----------------------------------------------------------------------------- table


@dataclass
class Col:
    kind: str  # seq task name target unit monthly cum ratio progress problem measure remark gap
    header: str
    group: str = ""  # target / done
    sub: str = ""  # the header under a group


def choose_columns(
    rng: random.Random,
    month: int,
    has_tasks: bool,
    feats: list[str],
    *,
    milestone_only: bool,
    need_month: bool = False,
) -> list[Col]:
    """Which columns, in which order, with which header words (``need_month``: the
    cumulative header says which month it runs to)."""
    m = str(month)
    cols: list[Col] = []
    if rng.random() < 0.75:
        cols.append(Col("seq", rng.choice(H_SEQ)))
    if has_tasks:
        cols.append(Col("task", rng.choice(H_TASK)))
    name_words = H_NAME if not has_tasks else [h for h in H_NAME if h != "民生实事项目"]
    cols.append(Col("name", rng.choice(name_words)))
    middle: list[Col] = []
    if rng.random() < 0.8:
        middle.append(Col("target", rng.choice(H_TARGET), "target"))
    if rng.random() < 0.6:
        middle.append(Col("unit", rng.choice(H_UNIT), "target"))
    if not milestone_only and rng.random() < 0.65:
        if month > 1 and rng.random() < 0.2:
            middle.append(Col("prev", rng.choice(H_PREV).format(p=month - 1), "done"))
            feats.append("previous_month_column")
        middle.append(Col("monthly", rng.choice(H_MONTHLY).format(m=m), "done"))
    cum_words = [h for h in H_CUM if "{m}" in h] if need_month else H_CUM
    middle.append(Col("cum", rng.choice(cum_words).format(m=m), "done"))
    if rng.random() < 0.45:
        middle.append(Col("ratio", rng.choice(H_RATIO), "done"))
    if rng.random() < 0.25:
        rng.shuffle(middle)
        feats.append("columns_shuffled")
    elif rng.random() < 0.3:  # unit before target, as many forms have it
        kinds = [c.kind for c in middle]
        if "unit" in kinds and "target" in kinds:
            i, j = kinds.index("target"), kinds.index("unit")
            middle[i], middle[j] = middle[j], middle[i]
    cols += middle
    tail: list[Col] = []
    if rng.random() < 0.7 or milestone_only:
        tail.append(Col("progress", rng.choice(H_PROGRESS)))
    if rng.random() < 0.35:
        tail.append(Col("problem", rng.choice(H_PROBLEM)))
    if rng.random() < 0.3:
        tail.append(Col("measure", rng.choice(H_MEASURE)))
    if rng.random() < 0.3:
        tail.append(Col("remark", rng.choice(H_REMARK)))
    cols += tail
    if rng.random() < 0.08 and len(cols) > 3:
        cols.insert(rng.randint(2, len(cols) - 1), Col("gap", ""))
        feats.append("spacer_column")
    return cols


def header_rows(
    rng: random.Random, g: Grid, r: int, c0: int, cols: list[Col], month: int, feats: list[str]
) -> int:
    """Write a one- or two-row header at row ``r``; return the first row after it."""
    if rng.random() < 0.15:  # Alt+Enter inside long headers, spaces inside short ones
        feats.append("header_linebreak")
        for col in cols:
            if len(col.header) >= 4 and not re.search(r"\d", col.header) and rng.random() < 0.5:
                # between words, as people press Alt+Enter: 累计\n完成, 进展\n情况说明
                k = col.header.find("(") if "(" in col.header else (2 if len(col.header) < 6 else 4)
                col.header = col.header[:k] + "\n" + col.header[k:]
    if rng.random() < 0.1:
        feats.append("header_spaces")
        for col in cols:
            if len(col.header) == 2:
                col.header = col.header[0] + "  " + col.header[1]
    two = rng.random() < 0.45
    if not two:
        for j, col in enumerate(cols):
            g.put(r, c0 + j, col.header)
        return r + 1
    feats.append("two_row_header")
    groups: list[tuple[int, int, str]] = []
    j = 0
    while j < len(cols):
        k = j
        while k + 1 < len(cols) and cols[k + 1].group and cols[k + 1].group == cols[j].group:
            k += 1
        if cols[j].group and k > j:
            groups.append((j, k, cols[j].group))
        j = k + 1
    grouped = {i for a, b, _ in groups for i in range(a, b + 1)}
    for a, b, grp in groups:
        word = rng.choice(GROUP_DONE if grp == "done" else GROUP_TARGET).format(m=month)
        g.merge(r, c0 + a, r, c0 + b, word)
        short = rng.random() < 0.4
        for i in range(a, b + 1):
            col = cols[i]
            sub = col.header
            if short and col.kind in SUB_SHORT:
                sub = rng.choice(SUB_SHORT[col.kind])
            if grp == "target" and col.kind == "target" and short:
                sub = "目标值"
            g.put(r + 1, c0 + i, sub)
    for i, col in enumerate(cols):
        if i not in grouped and col.kind != "gap":
            g.merge(r, c0 + i, r + 1, c0 + i, col.header)
    if groups:
        feats.append("merged_group_header")
    return r + 2


@dataclass
class Block:
    """A department's table: rows, and the figures the office expects to be read."""

    department: str
    rows: list[RowTruth]
    expected: list[Expected]


def department_indicators(dept: str) -> list[Indicator]:
    return [i for i in targets().indicators if i.lead_department == dept]


def departments() -> list[str]:
    return [d for d in SHORT_NAMES if department_indicators(d)]


def build_block(
    rng: random.Random,
    g: Grid,
    r: int,
    c0: int,
    dept: str,
    month: int,
    feats: list[str],
    *,
    partial: bool,
    stale: bool,
    need_month: bool = False,
) -> tuple[int, Block]:
    """Write one department's table at (r, c0); return the next free row and the truth."""
    inds = department_indicators(dept)
    if partial and len(inds) > 1:
        keep = rng.sample(inds, rng.randint(1, len(inds) - 1))
        inds = [i for i in inds if i in keep]
        feats.append("partial")
    tasks = sorted({i.task_id for i in inds})
    task_style = rng.choice(["none", "none", "column", "rows"]) if len(tasks) >= 1 else "none"
    if task_style != "none":
        feats.append(f"task_{task_style}")
    unit_mode = rng.choice(["column", "column", "name", "cell", "none"])
    milestone_only = all(i.kind == "milestone" for i in inds)
    cols = choose_columns(
        rng,
        month,
        task_style == "column",
        feats,
        milestone_only=milestone_only,
        need_month=need_month,
    )
    text_only = rng.random() < 0.06
    if text_only:  # 序号 / 项目 / 目标任务 / 进展情况: the figures are in the sentences
        cols = [c for c in cols if c.kind not in ("monthly", "cum", "ratio", "unit", "prev")]
        if "progress" not in [c.kind for c in cols]:
            cols.append(Col("progress", rng.choice(H_PROGRESS)))
        feats.append("prose_cells")
    formulas = rng.random() < 0.3
    figures = [i for i in inds if i.kind != "milestone"]
    forced = None
    if text_only:
        unit_mode = "cell"
    elif len({i.unit for i in figures}) == 1 and rng.random() < 0.4:
        unit_mode = "header"  # one unit for the whole table: 单位：人 or 累计完成（人）
        forced = rng.choice(UNIT_ALTS.get(figures[0].unit, [(figures[0].unit, 1, 0)]))
        if figures[0].unit == "人" and (figures[0].target or 0) < 1000:
            forced = ("人", 1, 0)
        if forced[0] == "%" or rng.random() < 0.5:
            g.put(r, c0 + max(0, len(cols) - 2), f"单位：{forced[0]}")
            feats.append("unit_header_line")
        else:
            for col in cols:
                if col.kind in ("target", "monthly", "cum"):
                    col.header += rng.choice(["（{}）", "({})"]).format(forced[0])
            feats.append("unit_in_header")
        r += 1
        cols = [c for c in cols if c.kind != "unit"]
    elif rng.random() < 0.3:
        g.put(r, c0 + 4, rng.choice(["单位：个、%", "金额单位：万元"]))
        r += 1
    kinds = [c.kind for c in cols]
    if text_only or unit_mode == "header":
        pass
    elif unit_mode == "column" and "unit" not in kinds:
        unit_mode = rng.choice(["name", "cell", "none"])
    if unit_mode != "column" and "unit" in kinds:
        unit_mode = "column"
    feats.append(f"unit_{unit_mode}")
    style = rng.choice(["num", "num", "num", "mixed", "text", "fullwidth"])
    if style != "num":
        feats.append(f"values_{style}")
    ordinal = rng.choice(ORDINALS) if "seq" not in kinds and rng.random() < 0.6 else None
    name_style = rng.choice(["exact", "exact", "variant", "mixed"])
    r = header_rows(rng, g, r, c0, cols, month, feats)
    spacers = rng.random() < 0.12
    if spacers:
        r += 1
        feats.append("spacer_row")
    rows: list[RowTruth] = []
    expected: list[Expected] = []
    seq = 0
    total_cum: dict[str, float] = {}
    for t_index, task_id in enumerate(tasks, 1):
        task = targets().task(task_id)
        group = [i for i in inds if i.task_id == task_id]
        if task_style == "rows":
            label = f"{CN_NUM[t_index]}、{task.name}" if rng.random() < 0.6 else task.name
            if "seq" in kinds and rng.random() < 0.5:
                g.put(r, c0 + kinds.index("seq"), CN_NUM[t_index])
                g.put(r, c0 + kinds.index("name"), task.name)
            elif rng.random() < 0.5:
                g.merge(r, c0, r, c0 + len(cols) - 1, label)
            else:
                g.put(r, c0 + kinds.index("name"), label)
            r += 1
        first = r
        group_total: dict[str, float] = {}
        for ind in group:
            seq += 1
            row = make_row(rng, ind, month, unit_mode=unit_mode, forced=forced)
            row.features += feats_for_name(rng, row, name_style, unit_mode, ordinal, seq)
            not_reported = partial and rng.random() < 0.25 and len(inds) > 1
            if not_reported:
                row.cum = None
                row.monthly = None
                row.state = None if row.state is None else row.state
            write_row(
                rng, g, r, c0, cols, row, month, unit_mode, style, seq, not_reported, formulas
            )
            if not not_reported:
                expected.append(expectation(dept, row, "monthly" in kinds, feats))
            if row.cum is not None and ind.kind == "count":  # rates are not summed
                for k in ("cum", "monthly"):
                    v = row.cum if k == "cum" else (row.monthly or 0)
                    total_cum[k] = total_cum.get(k, 0) + v
                    group_total[k] = group_total.get(k, 0) + v
            rows.append(row)
            r += 1
        if task_style == "column":
            g.merge(first, c0 + kinds.index("task"), r - 1, c0 + kinds.index("task"), task.name)
        if task_style != "none" and len(group) > 1 and rng.random() < 0.15:
            g.put(r, c0 + kinds.index("name"), "小计")
            _sum_row(g, r, c0, kinds, group_total)
            feats.append("subtotal_row")
            r += 1
        if spacers and rng.random() < 0.5:
            r += 1
    if rng.random() < 0.12 and total_cum:
        label_col = (
            kinds.index("seq") if "seq" in kinds and rng.random() < 0.5 else kinds.index("name")
        )
        g.put(r, c0 + label_col, rng.choice(["合计", "合  计", "总计"]))
        _sum_row(g, r, c0, kinds, total_cum)
        feats.append("total_row")
        r += 1
    return r, Block(dept, rows, [] if stale else expected)


def _sum_row(g: Grid, r: int, c0: int, kinds: list[str], totals: dict[str, float]) -> None:
    for k in ("cum", "monthly"):
        if k in kinds and k in totals:
            g.put(r, c0 + kinds.index(k), num_value(round(totals[k], 4)))


def feats_for_name(
    rng: random.Random, row: RowTruth, style: str, unit_mode: str, ordinal: Any, seq: int
) -> list[str]:
    feats = []
    ind = row.ind
    pick = style if style != "mixed" else rng.choice(["exact", "variant"])
    name = ind.name
    if pick == "variant" and NAME_VARIANTS.get(ind.id):
        name = rng.choice(NAME_VARIANTS[ind.id])
        feats.append("name_variant")
    if unit_mode == "name" and row.unit:
        name += rng.choice(["（{}）", "({})", "（单位：{}）"]).format(row.unit)
        feats.append("unit_in_name")
    if ordinal is not None:
        name = ordinal(seq) + rng.choice(["", " "]) + name
        feats.append("ordinal")
    row.name_cell = name
    return feats


def write_row(
    rng: random.Random,
    g: Grid,
    r: int,
    c0: int,
    cols: list[Col],
    row: RowTruth,
    month: int,
    unit_mode: str,
    style: str,
    seq: int,
    not_reported: bool,
    formulas: bool = False,
) -> None:
    kinds = [x.kind for x in cols]
    for j, col in enumerate(cols):
        c = c0 + j
        k = col.kind
        if k == "seq":
            g.put(r, c, seq if rng.random() < 0.8 else str(seq))
        elif k == "name":
            g.put(r, c, row.name_cell)
        elif k == "target":
            g.put(r, c, _target_cell(rng, row, unit_mode in ("column", "header")))
        elif k == "unit":
            g.put(r, c, row.unit if row.state is None else rng.choice(["", "—"]))
        elif k == "monthly":
            if row.state is not None or row.monthly is None:
                g.put(r, c, rng.choice(["", "—", "/"]))
            else:
                v, f = cell_number(
                    rng, row.monthly, row.unit, _style(style, unit_mode), row.features
                )
                g.put(r, c, v, f)
        elif k == "cum":
            if not_reported:
                g.put(r, c, rng.choice(["", "—", "/", "暂无"]))
            elif row.state is not None:
                if "progress" not in [x.kind for x in cols] or rng.random() < 0.6:
                    g.put(r, c, row.state_word)
                    row.features.append("state_in_value_column")
            else:
                v, f = cell_number(
                    rng, row.cum or 0.0, row.unit, _style(style, unit_mode), row.features
                )
                g.put(r, c, v, f)
        elif k == "prev":
            if row.ind.kind == "count" and row.cum is not None and row.monthly is not None:
                prev = _round(row.cum - row.monthly, row.decimals)
                v, f = cell_number(rng, prev, row.unit, _style(style, unit_mode), [])
                g.put(r, c, v, f)
            elif not not_reported:
                g.put(r, c, rng.choice(["", "—", "/"]))
        elif k == "ratio":
            v, f = _ratio(rng, row) if not not_reported else ("", None)
            g.put(r, c, v, f)
        elif k == "progress":
            if "cum" not in kinds:
                if not not_reported:
                    g.put(r, c, _prose_cell(rng, row, month))
            elif row.state is not None and not not_reported:
                text = rng.choice(STATE_PROSE[row.state])
                if (r, c0 + kinds.index("cum")) in g.cells:
                    text = text if rng.random() < 0.5 else ""
                g.put(r, c, text)
            elif not not_reported:
                g.put(r, c, _progress_text(rng, row, month))
        elif k == "problem":
            g.put(r, c, rng.choice(["无", "", "资金未完全到位", "受天气影响进度偏慢"]))
        elif k == "measure":
            g.put(r, c, rng.choice(["", "加快推进", "督促施工单位加快进度", "按计划实施"]))
        elif k == "remark":
            g.put(r, c, rng.choice(["", "", "牵头单位", f"{month}月新增"]))
    if formulas and row.state is None and not not_reported:
        _formulas(g, r, c0, kinds, row)


def _numeric(g: Grid, at: tuple[int, int]) -> bool:
    v = g.cells.get(at)
    return (
        isinstance(v, (int, float)) and not isinstance(v, bool) and "%" not in g.formats.get(at, "")
    )


def _formulas(g: Grid, r: int, c0: int, kinds: list[str], row: RowTruth) -> None:
    """累计 = 上月累计 + 本月, 完成比例 = 累计 / 目标, as an office's sheet computes them."""
    at = {
        k: (r, c0 + kinds.index(k))
        for k in ("prev", "monthly", "cum", "ratio", "target")
        if k in kinds
    }
    if {"prev", "monthly", "cum"} <= at.keys() and all(
        _numeric(g, at[k]) for k in ("prev", "monthly", "cum")
    ):
        g.cells[at["cum"]] = Formula(
            f"={ref(*at['prev'])}+{ref(*at['monthly'])}", g.cells[at["cum"]]
        )
        row.features.append("formula_cumulative")
    if {"ratio", "cum", "target"} <= at.keys() and at["ratio"] in g.cells:
        cum, target = g.cells.get(at["cum"]), g.cells.get(at["target"])
        cum_v = cum.cached if isinstance(cum, Formula) else cum
        if isinstance(cum_v, (int, float)) and isinstance(target, (int, float)) and target:
            g.cells[at["ratio"]] = Formula(
                f"={ref(*at['cum'])}/{ref(*at['target'])}", round(cum_v / target, 10)
            )
            g.formats[at["ratio"]] = "0.0%"


def _prose_cell(rng: random.Random, row: RowTruth, month: int) -> str:
    """A 进展情况 cell that is the only place a row's figures are given."""
    if row.state is not None:
        return rng.choice(STATE_PROSE[row.state])
    u = row.unit
    cum = num_text(row.cum or 0)
    if row.ind.kind == "level":
        row.monthly_given = False
        return rng.choice([f"目前达到{cum}{u}。", f"截至{month}月底为{cum}{u}。"])
    lead = rng.choice([f"截至{month}月底，累计完成{cum}{u}", f"1-{month}月累计完成{cum}{u}"])
    row.monthly_given = row.monthly is not None and rng.random() < 0.5
    if row.monthly_given:
        lead += rng.choice([f"，其中本月完成{num_text(row.monthly or 0)}{u}", ""])
        row.monthly_given = "本月" in lead
    return lead + rng.choice(["。", "，按计划推进。", "，进展顺利。"])


def _style(style: str, unit_mode: str) -> str:
    if unit_mode == "cell":
        return "unit"
    if unit_mode == "header" and style == "mixed":
        return "num"  # 18户 in a table headed 单位：户 is not what offices do
    return style


def expectation(dept: str, row: RowTruth, has_monthly: bool, feats: list[str]) -> Expected:
    features = tuple(dict.fromkeys([*feats, *row.features]))
    if row.state is not None:
        return Expected(dept, row.ind.id, state=row.state, features=features)
    value = None if row.cum is None else round(row.cum / row.factor, 9)
    monthly = None
    if row.monthly_given is not None:
        has_monthly = row.monthly_given
    if has_monthly and row.monthly is not None and row.ind.kind == "count":
        monthly = round(row.monthly / row.factor, 9)
    return Expected(dept, row.ind.id, value=value, monthly=monthly, features=features)


# ----------------------------------------------------------------------------- decorations


def title_line(rng: random.Random, dept: str, month: int, shown_month: int) -> str:
    d = TITLE_NAMES[dept] if rng.random() < 0.6 else rng.choice(SHORT_NAMES[dept][:1])
    m = shown_month
    forms = [
        f"{COUNTY}{YEAR}年民生实事项目推进情况统计表（截至{m}月底）",
        f"{COUNTY}{d}{YEAR}年{m}月份民生实事进展情况表",
        f"{d}{YEAR}年民生实事工作任务完成情况表（{m}月份）",
        f"{YEAR}年{m}月民生实事项目进度表",
        f"{COUNTY}{YEAR}年{d}民生实事推进情况统计表（1-{m}月）",
        f"{d}{YEAR}年33项民生实事{m}月份进展情况",
    ]
    return rng.choice(forms)


def unit_line(rng: random.Random, dept: str, month: int, stale: bool) -> tuple[list[Any], bool]:
    """The 填报单位 line as cells, and whether it names the department."""
    name = rng.choice(
        [COUNTY + TITLE_NAMES[dept][1:], dept, TITLE_NAMES[dept], SHORT_NAMES[dept][0]]
    )
    label = rng.choice(["填报单位：", "填报单位（盖章）：", "报送单位：", "报送单位（盖章）："])
    day = rng.randint(1, 6)
    date_month, date_year = (month, YEAR) if stale else (month + 1, YEAR)
    date = f"填报日期：{date_year}年{date_month}月{day}日" if rng.random() < 0.6 else ""
    if rng.random() < 0.5:
        return [f"{label}{name}" + ("    " + date if date else "")], True
    return [label.rstrip("："), name, "", "", date], True


def footer_lines(rng: random.Random) -> list[str]:
    out = []
    if rng.random() < 0.6:
        a, b = rng.sample(PEOPLE, 2)
        out.append(f"填报人：{a}    联系电话：0559-55{rng.randint(10000, 99999)}    审核人：{b}")
    if rng.random() < 0.4:
        out.append(
            "注：1.本表每月5日前报送县民生办；2.累计完成数为年初至本月底累计数；"
            "3.完成比例=累计完成/年度目标×100%。"
        )
    return out


def cover_sheet(rng: random.Random, dept: str, month: int) -> Grid:
    g = Grid(rng.choice(["封面", "说明", "填表说明"]))
    g.put(1, 1, f"{COUNTY}{YEAR}年民生实事项目进展情况报表")
    g.put(3, 1, f"报送单位：{TITLE_NAMES[dept]}")
    g.put(4, 1, f"报送时间：{YEAR}年{month + 1}月5日")
    g.put(6, 1, "填表说明：")
    g.put(7, 1, "1.请于每月5日前报送；")
    g.put(8, 1, "2.数值单位与目标任务分解表一致，完成比例保留1位小数；")
    g.put(9, 1, "3.联系电话：5512345。")
    return g


def lists_sheet() -> Grid:
    g = Grid("下拉选项", hidden=True)
    for i, w in enumerate(["已完成", "推进中", "未启动"]):
        g.put(i, 0, w)
    return g


# ----------------------------------------------------------------------------- sheets


def table_sheet(
    rng: random.Random,
    name: str,
    depts: list[str],
    month: int,
    shown_month: int,
    feats: list[str],
    *,
    partial: bool,
    stale: bool,
    name_in_file: bool,
) -> tuple[Grid, list[Block]]:
    """One sheet: title, 填报单位, one table (or one block per department), footer."""
    g = Grid(name)
    r = rng.choice([0, 0, 0, 1, 2])
    c0 = rng.choice([0, 0, 0, 1, 2])
    if r or c0:
        feats.append("table_offset")
    blocks = []
    single = len(depts) == 1
    # a stale report says its month in the title, or else in the cumulative header
    need_month = stale and rng.random() < 0.25
    if (single or rng.random() < 0.5) and (rng.random() < 0.85 or stale) and not need_month:
        g.put(r, c0, title_line(rng, depts[0], month, shown_month))
        feats.append("title")
        r += 1
    for dept in depts:
        if not single:
            g.put(r, c0, rng.choice(["单位：", "责任单位：", "牵头单位："]) + TITLE_NAMES[dept][0:])
            r += 1
            feats.append("dept_subheading")
        elif not name_in_file or rng.random() < 0.6:
            cells, _ = unit_line(rng, dept, month, stale)
            for j, v in enumerate(cells):
                g.put(r, c0 + j, v)
            feats.append("unit_line")
            r += 1
        r, block = build_block(
            rng,
            g,
            r,
            c0,
            dept,
            shown_month,
            feats,
            partial=partial,
            stale=stale,
            need_month=need_month,
        )
        blocks.append(block)
        r += rng.choice([0, 1, 2]) if not single else 0
    lines = footer_lines(rng)
    if lines:
        feats.append("footer")
        r += rng.choice([0, 1])
        for line in lines:
            g.put(r, c0, line)
            r += 1
    return g, blocks


DIMENSION = {"公里": "米", "万平方米": "平方米", "万人": "人"}


def prose_indicators(dept: str) -> list[Indicator]:
    """The unit's count indicators whose unit (in any scale) no other of its indicators has."""
    inds = [i for i in department_indicators(dept) if i.kind == "count"]
    by_unit: dict[str, list[Indicator]] = {}
    for i in inds:
        by_unit.setdefault(DIMENSION.get(i.unit, i.unit), []).append(i)
    return [v[0] for v in by_unit.values() if len(v) == 1]


def transposed_sheet(
    rng: random.Random,
    dept: str,
    month: int,
    shown_month: int,
    feats: list[str],
    *,
    stale: bool,
    name_in_file: bool,
) -> tuple[Grid, list[Expected]]:
    """The wide form many 民生办 circulate: one column group per indicator (its name and
    unit over 目标任务 / 进度 / 完成比例(%)), one row of figures below."""
    feats.append("transposed")
    inds = department_indicators(dept)
    if rng.random() < 0.7:
        inds = [i for i in inds if i.kind != "milestone"] or inds
    g = Grid(rng.choice(["Sheet1", f"{shown_month}月", "进度"]))
    g.put(0, 0, title_line(rng, dept, month, shown_month))
    subs = rng.choice(
        [
            ["目标任务", "进度", "完成比例(%)"],
            ["年度目标", "累计完成", "完成率"],
            ["目标", "本月完成", "累计完成"],
            ["目标任务", "累计完成"],
        ]
    )
    top = 1
    if not name_in_file or rng.random() < 0.5:
        cells, _ = unit_line(rng, dept, month, stale)
        for j, v in enumerate(cells):
            g.put(top, j, v)
        top += 1
    g.merge(top, 0, top + 1, 0, rng.choice(["地区", "单位", "填报单位"]))
    data_row = top + 2
    g.put(data_row, 0, rng.choice(["全县", SHORT_NAMES[dept][0], TITLE_NAMES[dept]]))
    expected: list[Expected] = []
    c = 1
    for ind in inds:
        row = make_row(rng, ind, shown_month, unit_mode="column")
        name = rng.choice([ind.name, *NAME_VARIANTS.get(ind.id, [])[:1]])
        if row.unit:
            name += f"（{row.unit}）"
        g.merge(top, c, top, c + len(subs) - 1, name)
        for k, sub in enumerate(subs):
            g.put(top + 1, c + k, sub)
            if sub.startswith("目标"):
                value: Any = num_value(row.target_display or 0) if row.state is None else "—"
            elif sub == "本月完成":
                value = "/" if row.monthly is None else num_value(row.monthly)
            elif sub in ("进度", "累计完成"):
                value = row.state_word if row.state is not None else num_value(row.cum or 0)
            else:
                value = (
                    ""
                    if row.state is not None
                    else round((row.cum or 0) / (row.target_display or 1) * 100, 1)
                )
            g.put(data_row, c + k, value)
        c += len(subs)
        row.monthly_given = "本月完成" in subs
        expected.append(expectation(dept, row, "本月完成" in subs, ["transposed"]))
    if rng.random() < 0.5:
        g.put(data_row + 2, 0, f"填报人：{rng.choice(PEOPLE)}")
    return g, [] if stale else expected


def prose_sheet(
    rng: random.Random, dept: str, month: int, shown_month: int, feats: list[str]
) -> tuple[Grid, list[Expected]] | None:
    """A report in sentences: each figure's unit fits exactly one indicator of the unit."""
    unique = prose_indicators(dept)
    if not unique:
        return None
    chosen = rng.sample(unique, rng.randint(1, len(unique)))
    chosen.sort(key=lambda i: [int(x) for x in i.id.split(".")])
    feats.append("prose")
    clauses, expected = [], []
    for ind in chosen:
        row = make_row(rng, ind, month, unit_mode="cell")
        verb = rng.choice([*NAME_VARIANTS.get(ind.id, [ind.name])[:1], ind.name])
        clauses.append(f"{verb}{num_text(row.cum or 0)}{row.unit}")
        expected.append(
            Expected(
                dept,
                ind.id,
                value=round((row.cum or 0) / row.factor, 9),
                features=("prose", *(["unit_conversion"] if row.factor != 1 else [])),
            )
        )
    lead = rng.choice(
        [f"截至{shown_month}月底，全县共", f"1-{shown_month}月，我局", f"今年以来，{dept}"]
    )
    text = lead + "，".join(clauses) + "。"
    if rng.random() < 0.5:
        text += rng.choice(
            [
                f"本月召开专题推进会{rng.randint(1, 4)}次。",
                f"累计投入资金{rng.randint(20, 300)}万元。",
            ]
        )
        feats.append("prose_distractor")
    g = Grid(rng.choice(["进展情况", "Sheet1", f"{shown_month}月"]))
    g.put(0, 0, f"{TITLE_NAMES[dept]}{YEAR}年民生实事{shown_month}月份进展情况")
    if rng.random() < 0.5:
        g.merge(2, 0, 12, 7, text)
        feats.append("prose_cell")
    else:
        for k, sentence in enumerate(text.rstrip("。").split("，" if rng.random() < 0.3 else "。")):
            g.put(2 + k, 0, sentence)
        feats.append("prose_rows")
    return g, expected


# ----------------------------------------------------------------------------- file names


def file_name(rng: random.Random, dept: str | None, month: int, ext: str) -> tuple[str, str]:
    """A file name as offices send them, and how it names the department."""
    m = month
    if dept is None:
        return rng.choice([f"{m}月民生实事进度表", f"民生实事进展情况（{m}月）"]) + ext, "none"
    full, shorts = dept, SHORT_NAMES[dept]
    how = rng.choice(["full", "alias", "alias", "short", "none"])
    if how == "full":
        stem = rng.choice(
            [f"{full}{m}月报表", f"附件2：{full}民生实事推进情况统计表（{m}月）", full]
        )
    elif how == "alias":
        stem = rng.choice([shorts[0], f"{shorts[0]}{m}月份民生实事进度表", f"{shorts[0]}-{m}月"])
    elif how == "short":
        stem = rng.choice([f"{shorts[-1]}{m}月", f"{shorts[-1]}民生实事{m}月"])
    else:
        stem = rng.choice([f"{m}月民生实事进度表", f"{YEAR}年民生实事进展情况（{m}月）"])
    return stem + ext, how


# ----------------------------------------------------------------------------- junk


def write_junk(
    rng: random.Random, folder: Path, kind: str, good: Path, dept: str, month: int
) -> str:
    short = SHORT_NAMES[dept][0]
    if kind == "truncated":
        data = good.read_bytes()
        name = f"{good.stem}（修改）.xlsx" if rng.random() < 0.5 else f"{good.stem}(1).xlsx"
        (folder / name).write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        name = f"{short}{month}月报表（更新）.xlsx"
        (folder / name).write_bytes(b"")
    elif kind == "docx":
        name = f"{short}{month}月情况说明.docx"
        with zipfile.ZipFile(folder / name, "w") as z:
            z.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                '2006/content-types"><Override PartName="/word/document.xml" ContentType='
                '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
                'main+xml"/></Types>',
            )
            z.writestr(
                "word/document.xml",
                '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
                f"关于{TITLE_NAMES[dept]}{month}月民生实事进展情况的说明：详见报表。"
                "</w:t></w:r></w:p></w:body></w:document>",
            )
    elif kind == "tmp":
        name = f"{short}.xlsx.tmp"
        data = good.read_bytes()
        (folder / name).write_bytes(data[: rng.randint(100, max(101, len(data) - 1))])
    elif kind == "owner":  # Excel's owner file beside an open workbook
        name = f"~${good.name}"
        user = b"zhangsan"
        (folder / name).write_bytes(
            bytes([len(user)]) + user + b" " * (54 - len(user)) + b"\0" * 110
        )
    elif kind == "lock":
        name = f".~lock.{good.name}#"
        (folder / name).write_text(
            "zhangsan,DESKTOP-7Q2/zhangsan,DESKTOP-7Q2,04.07.2022 09:12,file:///C:/Users/"
            "zhangsan/AppData/Roaming/LibreOffice/4;",
            encoding="utf-8",
        )
    else:
        raise ValueError(kind)
    return name


JUNK_KINDS = ("truncated", "empty", "docx", "tmp", "owner", "lock", "bak")


# ----------------------------------------------------------------------------- the case


def _writer_for(rng: random.Random, seed: int, office_share: float) -> str:
    if rng.random() < office_share:
        return "libreoffice-xls" if rng.random() < 0.3 else "libreoffice-xlsx"
    return WRITERS[seed % 2]


def _write(case: Case, path: Path, grids: list[Grid], writer: str) -> None:
    if writer == "xlsxwriter":
        write_xlsxwriter(path, grids)
    elif writer == "openpyxl":
        write_openpyxl(path, grids)
    else:
        staging = case.folder.parent / f"{case.folder.name}.staging"
        staging.mkdir(parents=True, exist_ok=True)
        src = staging / (path.stem + ".xlsx")
        write_openpyxl(src, grids)
        case.pending.append((src, path, writer.split("-")[1]))


def _set_mtime(path: Path, mtime: float) -> None:
    if path.exists():
        os.utime(path, (mtime, mtime))


def make_case(seed: int, folder: Path, office_share: float = 0.0) -> Case:
    """Write one case into ``folder`` (created) and return its ground truth.

    Files meant to pass through LibreOffice are left in ``case.pending``: call
    :func:`convert_pending` on a batch of cases before reading them."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    month = rng.randint(2, 11)
    case = Case(seed, f"{YEAR}-{month:02d}", folder)
    kind = rng.choices(
        ["table", "prose", "multi_sheet", "multi_block", "junk", "stale", "stale_resend", "folder"],
        [50, 7, 5, 5, 12, 4, 5, 12],
    )[0]
    case.features.append(kind)
    depts = departments()
    writer = _writer_for(rng, seed, office_share)

    def one_file(dept: str, *, stale: bool, writer: str, mtime: float, allow_prose: bool) -> Path:
        feats: list[str] = []
        shown = month - 1 if stale else month
        ext = ".xls" if writer == "libreoffice-xls" else ".xlsx"
        name, how = file_name(rng, dept, shown if rng.random() < 0.7 else month, ext)
        while (folder / name).exists() or case.file(name):
            name = f"{Path(name).stem}（{rng.randint(2, 9)}）{ext}"
        feats.append(f"dept_in_name_{how}")
        grids: list[Grid] = []
        expected: list[Expected] = []
        if rng.random() < 0.1:
            grids.append(cover_sheet(rng, dept, month))
            feats.append("cover_sheet")
        prose = allow_prose and (kind == "prose") and prose_sheet(rng, dept, month, shown, feats)
        wide = not prose and rng.random() < 0.05
        if wide:
            grid, exp = transposed_sheet(
                rng, dept, month, shown, feats, stale=stale, name_in_file=how != "none"
            )
            grids.append(grid)
            expected += exp
        elif prose:
            grid, exp = prose
            grids.append(grid)
            expected += [] if stale else exp
        else:
            sheet_name = rng.choice(
                ["Sheet1", "进度表", f"{shown}月", SHORT_NAMES[dept][0], "民生实事"]
            )
            grid, blocks = table_sheet(
                rng,
                sheet_name,
                [dept],
                month,
                shown,
                feats,
                partial=rng.random() < 0.15,
                stale=stale,
                name_in_file=how != "none",
            )
            months = rng.random() < 0.08 and not stale and month >= 3
            if months:  # one workbook kept all year: a visible sheet per month
                grid.name = f"{month}月"
                earlier = []
                for k in range(max(1, month - rng.randint(1, 3)), month):
                    old, _ = table_sheet(
                        rng,
                        f"{k}月",
                        [dept],
                        month,
                        k,
                        [],
                        partial=False,
                        stale=True,
                        name_in_file=True,
                    )
                    earlier.append(old)
                grids += [*earlier, grid] if rng.random() < 0.7 else [grid, *earlier[::-1]]
                feats.append("monthly_sheets")
            else:
                grids.append(grid)
            for b in blocks:
                expected += b.expected
        if rng.random() < 0.08:
            grids.append(lists_sheet())
            feats.append("hidden_sheet")
        if (
            rng.random() < 0.06 and not stale and "monthly_sheets" not in feats
        ):  # last month's copy kept as a hidden sheet
            hidden, _ = table_sheet(
                rng,
                f"{month - 1}月",
                [dept],
                month,
                month - 1,
                [],
                partial=False,
                stale=True,
                name_in_file=True,
            )
            hidden.hidden = True
            grids.append(hidden)
            feats.append("hidden_last_month")
        path = folder / name
        _write(case, path, grids, writer)
        case.files.append(CaseFile(name, writer, dept, stale, "", mtime))
        if writer in WRITERS:
            _set_mtime(path, mtime)
        feats.append(f"writer_{writer}")
        for e in expected:
            case.expected.append(
                Expected(
                    e.department,
                    e.indicator_id,
                    e.value,
                    e.monthly,
                    e.state,
                    name,
                    tuple(dict.fromkeys([kind, *feats, *e.features])),
                )
            )
        if stale:
            case.features.append("stale_file")
        return path

    if kind in ("multi_sheet", "multi_block"):
        chosen = rng.sample(depts, rng.randint(2, 3))
        feats: list[str] = [kind]
        ext = ".xls" if writer == "libreoffice-xls" else ".xlsx"
        name = (
            rng.choice([f"民生实事进度汇总（{month}月）", f"{COUNTY}{month}月民生实事进展情况"])
            + ext
        )
        grids = []
        exp: list[Expected] = []
        if kind == "multi_sheet":
            for d in chosen:
                g, blocks = table_sheet(
                    rng,
                    rng.choice(SHORT_NAMES[d]),
                    [d],
                    month,
                    month,
                    feats,
                    partial=False,
                    stale=False,
                    name_in_file=False,
                )
                grids.append(g)
                exp += [e for b in blocks for e in b.expected]
        else:
            g, blocks = table_sheet(
                rng,
                "汇总",
                chosen,
                month,
                month,
                feats,
                partial=False,
                stale=False,
                name_in_file=False,
            )
            grids.append(g)
            exp += [e for b in blocks for e in b.expected]
        _write(case, folder / name, grids, writer)
        if writer in WRITERS:
            _set_mtime(folder / name, BASE_MTIME)
        case.files.append(CaseFile(name, writer, None))
        feats.append(f"writer_{writer}")
        for e in exp:
            case.expected.append(
                Expected(
                    e.department,
                    e.indicator_id,
                    e.value,
                    e.monthly,
                    e.state,
                    name,
                    tuple(dict.fromkeys([*feats, *e.features])),
                )
            )
        return case

    if kind == "folder":  # several departments' own files in one month's folder
        for i, d in enumerate(rng.sample(depts, rng.randint(2, 4))):
            w = _writer_for(rng, seed + i, office_share)
            one_file(d, stale=False, writer=w, mtime=BASE_MTIME + i * 60, allow_prose=False)
        return case

    dept = rng.choice(depts)
    if kind == "prose" and not prose_indicators(dept):
        kind = "table"
        case.features[0] = kind
    if kind == "stale":
        one_file(dept, stale=True, writer=writer, mtime=BASE_MTIME, allow_prose=False)
        return case
    good = one_file(dept, stale=False, writer=writer, mtime=BASE_MTIME, allow_prose=True)
    if kind == "stale_resend":  # last month's report sent again, after this month's
        one_file(
            dept, stale=True, writer=WRITERS[seed % 2], mtime=BASE_MTIME + 600, allow_prose=False
        )
    elif kind == "junk":
        junk_kind = rng.choice(JUNK_KINDS)
        case.features.append(f"junk_{junk_kind}")
        source = good if good.exists() else case.pending[-1][0]
        if junk_kind == "bak":  # WPS keeps a full copy of an earlier save: last month's
            jname = f"{good.stem}.bak"
            grid, _ = table_sheet(
                rng,
                "Sheet1",
                [dept],
                month,
                month - 1,
                [],
                partial=False,
                stale=True,
                name_in_file=True,
            )
            write_openpyxl(folder / f"{good.stem}.bak.xlsx", [grid])
            (folder / f"{good.stem}.bak.xlsx").rename(folder / jname)
        else:
            jname = write_junk(rng, folder, junk_kind, source, dept, month)
        _set_mtime(folder / jname, BASE_MTIME + 900)
        case.files.append(
            CaseFile(jname, "junk", dept, junk_kind == "bak", junk_kind, BASE_MTIME + 900)
        )
        for i, e in enumerate(case.expected):
            case.expected[i] = Expected(
                e.department,
                e.indicator_id,
                e.value,
                e.monthly,
                e.state,
                e.file,
                (*e.features, f"junk_{junk_kind}"),
            )
    return case


# ----------------------------------------------------------------------------- LibreOffice


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_files(pairs: Sequence[tuple[Path, Path]], fmt: str, exe: str | None = None) -> None:
    """Save each source through LibreOffice as ``fmt`` at its destination, in one start."""
    if not pairs:
        return
    exe = exe or soffice_path()
    if not exe:
        raise RuntimeError("LibreOffice (soffice) is needed to convert files")
    with tempfile.TemporaryDirectory() as tmp:
        src_dir, out_dir = Path(tmp, "in"), Path(tmp, "out")
        src_dir.mkdir()
        out_dir.mkdir()
        sources = []
        for k, (src, _) in enumerate(pairs):  # short ASCII names: one per pair
            s = src_dir / f"f{k}{src.suffix}"
            shutil.copyfile(src, s)
            sources.append(s)
        outs = convert_many(sources, fmt, out_dir, exe=exe, timeout=900)
        for out, (_, dest) in zip(outs, pairs, strict=True):
            shutil.move(out, dest)


def convert_pending(cases: Iterable[Case], exe: str | None = None) -> None:
    """Convert every case's LibreOffice share: one soffice start per format."""
    cases = list(cases)
    for fmt in ("xlsx", "xls"):
        pairs = [(s, d) for c in cases for s, d, f in c.pending if f == fmt]
        convert_files(pairs, fmt, exe)
    for c in cases:
        for s, d, _ in c.pending:
            f = c.file(d.name)
            _set_mtime(d, f.mtime if f else BASE_MTIME)
            s.unlink(missing_ok=True)
        if c.pending:
            shutil.rmtree(c.folder.parent / f"{c.folder.name}.staging", ignore_errors=True)
        c.pending.clear()


# ----------------------------------------------------------------------------- scoring


@dataclass
class Figure:
    """One scored figure: outcome, the file's writer and the grammar features behind it."""

    outcome: str  # exact, absent_with_issue, absent_without_issue, wrong
    writer: str
    features: tuple[str, ...]
    reason: str = ""
    detail: str = ""


@dataclass
class Counts:
    exact: int = 0
    absent_with_issue: int = 0
    absent_without_issue: int = 0
    wrong: int = 0
    details: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def add(self, fig: Figure) -> None:
        setattr(self, fig.outcome, getattr(self, fig.outcome) + 1)
        self.figures.append(fig)
        if fig.outcome in ("wrong", "absent_without_issue"):
            self.details.append(fig.detail)

    def __iadd__(self, other: Counts) -> Counts:
        self.exact += other.exact
        self.absent_with_issue += other.absent_with_issue
        self.absent_without_issue += other.absent_without_issue
        self.wrong += other.wrong
        self.details += other.details
        self.figures += other.figures
        return self

    @property
    def total(self) -> int:
        return self.exact + self.absent_with_issue + self.absent_without_issue + self.wrong


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


_FIELDS = (("value", "value"), ("monthly", "monthly_value"), ("state", "state"))


def score(case: Case, data: Any) -> Counts:
    """Score what ``read_period`` gave against the case's ground truth."""
    counts = Counts()
    obs_by_id: dict[str, list[Any]] = {}
    for o in data.observations:
        obs_by_id.setdefault(o.indicator_id, []).append(o)
    expected_ids = {e.indicator_id for e in case.expected}
    stale_files = {f.name for f in case.files if f.stale}
    writers = {f.name: f.writer for f in case.files}

    def issues_for(ind: str, dept: str) -> list[Any]:
        return [
            i
            for i in data.issues
            if i.indicator_id == ind and (not i.department or i.department == dept)
        ]

    def fmt_issues(issues: Sequence[Any]) -> str:
        return "; ".join(f"{i.code} {i.file}!{i.sheet}!{i.cell} {i.message}" for i in issues[:4])

    def file_codes(name: str) -> str:
        codes = sorted({i.code for i in data.issues if i.file == name})
        return ",".join(codes) or "no file issue"

    for e in case.expected:
        observed = obs_by_id.get(e.indicator_id, [])
        own = [o for o in observed if o.department == e.department] or observed
        o = own[0] if own else None
        writer = writers.get(e.file, "?")
        for name, attr in _FIELDS:
            want = getattr(e, name)
            if want is None:
                continue
            got = getattr(o, attr) if o is not None else None
            if got in (None, ""):
                issues = issues_for(e.indicator_id, e.department)
                outcome = "absent_with_issue" if issues else "absent_without_issue"
                reason = (
                    f"{outcome} {name}: " + ",".join(sorted({i.code for i in issues}))
                    if issues
                    else f"absent {name}, file issues: {file_codes(e.file)}"
                )
                got_text = "nothing"
            elif o is not None and o.source_file in stale_files:
                outcome, reason = "wrong", f"{name} taken from a stale file"
                got_text = f"{got!r} from stale {o.source_file}"
                issues = []
            elif _same(got, want):
                counts.add(Figure("exact", writer, e.features))
                continue
            else:
                outcome, reason = "wrong", _wrong_reason(name, want, got)
                got_text = f"{got!r} from {o.source_file}!{o.source_sheet}!{o.source_cell}"
                issues = issues_for(e.indicator_id, e.department)
            detail = (
                f"seed {case.seed} {case.period} {e.file} [{e.department} {e.indicator_id} "
                f"{name}] expected {want!r}, got {got_text}; issues: {fmt_issues(issues) or '-'}"
            )
            counts.add(Figure(outcome, writer, e.features, reason, detail))
        if o is not None:  # a figure the file does not give for an expected indicator
            extra = []
            if e.monthly is None and o.monthly_value is not None and e.state is None:
                extra.append(("monthly", o.monthly_value))
            if e.state is not None and o.value is not None:
                extra.append(("value", o.value))
            for name, got in extra:
                why = f"spurious {name}"
                if o.source_file in stale_files:
                    why = f"{name} taken from a stale file"
                detail = (
                    f"seed {case.seed} {case.period} {o.source_file} [{e.department} "
                    f"{e.indicator_id} {name}] the file gives none, got {got!r} from "
                    f"{o.source_sheet}!{o.source_cell}"
                )
                counts.add(Figure("wrong", writer, e.features, why, detail))
    for ind, observed in obs_by_id.items():
        if ind in expected_ids:
            continue
        for o in observed:
            stale = o.source_file in stale_files
            for name, attr in _FIELDS:
                got = getattr(o, attr)
                if got in (None, ""):
                    continue
                f = case.file(o.source_file)
                reason = f"{name} taken from a stale file" if stale else f"spurious {name}"
                if f is not None and f.junk:
                    reason = f"{name} taken from junk ({f.junk})"
                detail = (
                    f"seed {case.seed} {case.period} {o.source_file} [{o.department} {ind} "
                    f"{name}] not expected, got {got!r} from {o.source_sheet}!{o.source_cell}"
                )
                feats = tuple(case.features) + (("stale",) if stale else ())
                counts.add(Figure("wrong", writers.get(o.source_file, "?"), feats, reason, detail))
    return counts


def _wrong_reason(name: str, want: Any, got: Any) -> str:
    if isinstance(want, str) or isinstance(got, str):
        return f"wrong {name}: state {got} for {want}"
    if want:
        ratio = float(got) / float(want)
        for k, label in ((1e4, "×10000"), (1e-4, "÷10000"), (100, "×100"), (0.01, "÷100")):
            if math.isclose(ratio, k, rel_tol=1e-6):
                return f"wrong {name}: unit scale {label}"
        for k, label in ((1e3, "×1000"), (1e-3, "÷1000")):
            if math.isclose(ratio, k, rel_tol=1e-6):
                return f"wrong {name}: unit scale {label}"
    return f"wrong {name}: another figure"
