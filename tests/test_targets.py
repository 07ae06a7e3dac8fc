"""The embedded target table against the county's 2022 notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.targets import csv_rows, load_targets

NOTICE = (Path(__file__).resolve().parent.parent / "docs" / "notice-2022-20-tasks.txt").read_text(
    encoding="utf-8"
)
NOTICE_FLAT = re.sub(r"\s+", "", NOTICE)

# indicator id, target, unit, comparator, kind, the notice's own words for the figure
QUANTITATIVE = [
    ("1.1", 2.123, "公里", ">=", "count", "提质改造工程2.123公里"),
    ("1.2", 2.123, "公里", ">=", "count", "当年完工2.123公里"),
    ("1.3", 100, "%", ">=", "level", "列养率100%"),
    ("1.4", 5, "%", ">=", "level", "养护工程比例不低于5%"),
    ("1.5", 85, "%", ">=", "level", "中等及以上农村公路占比不低于85%"),
    ("1.6", 100, "%", ">=", "level", "通客车率保持100%"),
    ("1.7", 60, "%", ">=", "level", "通公交总体比例达到60%以上"),
    ("2.1", 3, "个", ">=", "count", "改造城镇老旧小区3个"),
    ("2.2", 1.79, "万平方米", ">=", "count", "总建筑面积1.79万平方米"),
    ("2.3", 167, "户", ">=", "count", "涉及住户167户"),
    ("3.1", 100, "%", ">=", "level", "高龄津贴惠及所有80周岁以上老年人"),
    ("3.2", 60, "%", ">=", "level", "养老服务补贴覆盖面不低于60%"),
    ("3.3", 18, "户", ">=", "count", "不少于18户特殊困难家庭适老化改造"),
    ("3.4", 10, "张", ">=", "count", "家庭养老床位建设试点10张"),
    ("3.5", 100, "%", ">=", "level", "改造完成率达到100%"),
    ("3.6", 1, "个", ">=", "count", "(农村幸福院)1个"),
    ("3.7", 35, "%", ">=", "level", "覆盖面不低于35%"),
    ("3.8", 52, "%", ">=", "level", "护理型床位比例达到52%以上"),
    ("4.1", 2.4, "个", ">=", "level", "千人口托位数达到2.4个"),
    ("4.2", 1, "所", ">=", "count", "改扩建公办幼儿园1所"),
    ("4.3", 76, "人次", ">=", "count", "资助幼儿76人次"),
    ("4.4", 96, "%", ">=", "level", "毛入园率达到96%"),
    ("4.5", 90, "%", ">=", "level", "普惠性幼儿园覆盖率保持在90%以上"),
    ("4.6", 85, "%", ">=", "level", "公办园在园幼儿占比达到85%"),
    ("5.1", 90, "场次", ">=", "count", "招聘会不少于90场次"),
    ("5.2", 400, "户次", ">=", "count", "服务企业不少于400户次"),
    ("5.3", 450, "人", ">=", "count", "达成就业意向不少于450人"),
    ("5.4", 2, "个", ">=", "count", "选择2个社区"),
    ("5.5", 42, "人", ">=", "count", "组织42名以上"),
    ("6.1", 22, "人", ">=", "count", "22名城镇低保适龄妇女"),
    ("6.2", 1500, "人", ">=", "count", "1500人宫颈癌筛查"),
    ("6.3", 1500, "人", ">=", "count", "1500人乳腺癌筛查"),
    ("7.1", 1100, "元/人·月", ">=", "level", "散居孤儿每人每月不低于1100元"),
    ("7.2", 1510, "元/人·月", ">=", "level", "集中供养孤儿每人每月不低于1510元"),
    ("7.3", 60, "%", ">=", "level", "集中供养率均达到60%"),
    ("7.4", 60, "%", ">=", "level", "集中供养率均达到60%"),
    ("8.1", 95, "%", ">", "level", "参保率超过95%"),
    ("8.2", 70, "%", ">=", "level", "分别稳定在70%、80%"),
    ("8.3", 80, "%", ">=", "level", "分别稳定在70%、80%"),
    ("8.4", 60, "%", ">=", "level", "大病保险合规费用报销比例不低于60%"),
    ("9.1", 147, "人", ">=", "count", "147名困难精神残疾人"),
    ("9.2", 8, "人", ">=", "count", "为8名符合条件的"),
    ("9.3", 2, "人", ">=", "count", "为2名残疾儿童适配假肢矫形器"),
    ("10.1", 100, "%", ">=", "level", "建档和帮扶全覆盖"),
    ("10.2", 6, "户", ">=", "count", "生活救助6户"),
    ("10.3", 1, "户", ">=", "count", "医疗救助1户"),
    ("11.1", 11, "所", ">=", "count", "全县11所应开展课后服务的义务教育学校"),
    ("11.2", 100, "%", ">=", "level", "100%提供课后服务"),
    ("12.1", 5, "个", ">=", "count", "统筹建设5个全民健身场地设施"),
    ("13.1", 1, "个", ">=", "count", "建设1个城市阅读空间"),
    ("14.1", 2, "家", ">=", "count", "门店2家"),
    ("15.1", 1, "个", ">=", "count", "支持建成1个社区助餐点"),
    ("15.2", 1, "个", ">=", "count", "不少于1个农村助餐点"),
    ("18.1", 110, "件", ">=", "count", "法律援助案件110件"),
    ("19.1", 101, "处", ">=", "count", "101处农村饮水工程"),
    ("19.2", 2.37, "万人", ">=", "count", "覆盖服务人口2.37万人"),
]

DEPARTMENTS = [
    "县交通运输局",
    "县住房和城乡建设局",
    "县民政局",
    "县卫健委",
    "县教育局",
    "县人社局",
    "县妇联",
    "县医保局",
    "县残联",
    "县总工会",
    "县文化旅游体育局",
    "县发改委",
    "县科技商务经信局",
    "县农水局",
    "县市场监管局",
    "县司法局",
]


@pytest.fixture(scope="module")
def table():
    return load_targets()


@pytest.mark.parametrize(("iid", "target", "unit", "comparator", "kind", "words"), QUANTITATIVE)
def test_quantitative_target_matches_notice(table, iid, target, unit, comparator, kind, words):
    """Each measurable target carries the notice's figure and unit, and the notice says so."""
    assert re.sub(r"\s+", "", words) in NOTICE_FLAT
    ind = table.indicator(iid)
    assert (ind.target, ind.unit, ind.comparator, ind.kind) == (target, unit, comparator, kind)


def test_every_quantitative_indicator_is_checked(table):
    """No count or level indicator escapes the check above, and every task has indicators."""
    measured = {i.id for i in table.indicators if i.kind != "milestone"}
    assert measured == {row[0] for row in QUANTITATIVE}
    assert {i.task_id for i in table.indicators} == set(range(1, 21))


def test_twenty_tasks_sixteen_departments(table):
    """The register holds the notice's 16 units and every task names its units in order."""
    assert [t.id for t in table.tasks] == list(range(1, 21))
    assert [d.name for d in table.departments] == DEPARTMENTS
    assert table.task(4).departments == ("县卫健委", "县教育局")
    assert table.task(6).departments == ("县卫健委", "县妇联")
    assert table.task(14).departments == ("县发改委", "县科技商务经信局", "县农水局")
    for task in table.tasks:
        dept_words = re.findall(r"责任单位：([^）]*)）", NOTICE)[task.id - 1]
        assert [d.removeprefix("县") for d in dept_words.split("、")] == [
            d.removeprefix("县") for d in task.departments
        ], task.name


def test_short_names_offices_write(table):
    """Short names seen on real submissions resolve to the register's departments."""
    aliases = {a: d.name for d in table.departments for a in d.aliases}
    for short, full in [
        ("交通局", "县交通运输局"),
        ("住建局", "县住房和城乡建设局"),
        ("卫健委", "县卫健委"),
        ("人社局", "县人社局"),
        ("文旅体局", "县文化旅游体育局"),
        ("科商经信局", "县科技商务经信局"),
        ("农水局", "县农水局"),
        ("市场监管局", "县市场监管局"),
    ]:
        assert aliases[short] == full


def test_co_responsible_indicators_name_the_lead_first(table):
    """Task 6 is led by 卫健委 with 妇联 as co-unit; 4.1 is 卫健委's alone, 4.2–4.6 教育局's."""
    assert table.indicator("6.2").departments == ("县卫健委", "县妇联")
    assert table.indicator("6.2").lead_department == "县卫健委"
    assert table.indicator("4.1").departments == ("县卫健委",)
    assert table.indicator("4.4").lead_department == "县教育局"
    assert len(table.indicators_of("县妇联")) == 3


def test_csv_rows_follow_the_contract(table):
    """The CSV has exactly the contract columns and one row per indicator."""
    rows = csv_rows(table)
    assert rows[0] == [
        "indicator_id",
        "task_id",
        "task_name",
        "name",
        "target",
        "unit",
        "comparator",
        "kind",
        "lead_department",
        "departments",
        "deadline",
    ]
    assert len(rows) == 1 + len(table.indicators)
    assert rows[1][:8] == [
        "1.1",
        "1",
        "“四好农村路”建设",
        "农村公路提质改造工程",
        "2.123",
        "公里",
        "≥",
        "count",
    ]
    assert all(r[10] == "2022-12-31" for r in rows[1:])
