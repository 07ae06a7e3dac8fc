"""Make the shipped sample submissions for 2022-05 and 2022-06 (inputs/), the way the county's
departments really send them: each in its own layout and quirks, then saved once through
LibreOffice so that they look application-made.

    python tools/make_samples.py          # needs LibreOffice (soffice) for the final save

The figures are invented but plausible against the 2022 target table.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from builders import (  # noqa: E402  (the builder lives with the tests)
    STANDARD_HEADER,
    SheetSpec,
    convert_many,
    department_sheet,
    soffice,
    two_row_header_sheet,
    write_csv,
    write_xls,
    write_xlsx,
)

TEMPLATE_HEADER = [*STANDARD_HEADER, "滞后原因及下步措施"]


def road(month: int) -> list[list[object]]:
    done = {5: (0.2, 0.9, 0.3), 6: (0.3, 1.2, 0.4)}[month]
    return [
        ["一、", "“四好农村路”建设", None, None, None, None, "", "", ""],
        [
            1,
            "农村公路提质改造工程",
            2.123,
            "公里",
            done[0],
            done[1],
            "完成路基和水稳层施工",
            "",
            "",
        ],
        [
            2,
            "农村公路提质改造当年完工",
            2.123,
            "公里",
            0.1,
            done[2],
            "部分路段已完工",
            "雨季影响施工",
            "加快施工进度，确保9月底前全部完工",
        ],
        [3, "农村公路列养率", "100%", "%", None, "100%", "", "", ""],
        [4, "农村公路养护工程比例", "≥5%", "%", None, "5.2%", "", "", ""],
        [5, "中等及以上农村公路占比", "≥85%", "%", None, "86.3%", "", "", ""],
        [6, "乡镇和具备条件的建制村通客车率", "100%", "%", None, "100%", "", "", ""],
        [7, "具备条件的建制村通公交总体比例", "≥60%", "%", None, "61%", "", "", ""],
        [
            8,
            "健全农村公路路长制三级管理体系",
            None,
            None,
            None,
            "已完成",
            "县乡村三级路长制已建立",
            "",
            "",
        ],
        [
            9,
            "完成乡村道路专管员招募、培训、上岗",
            None,
            None,
            None,
            "推进中",
            "已招募专管员42名，正在组织培训",
            "",
            "",
        ],
    ]


def main() -> None:
    if not soffice():
        sys.exit("LibreOffice (soffice) is needed to save the samples once through an application")
    out = ROOT / "inputs"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        made: dict[str, list[Path]] = {"2022-05": [], "2022-06": []}
        for period, month in (("2022-05", 5), ("2022-06", 6)):
            folder = tmp / period
            folder.mkdir()
            files = made[period]
            footer = [
                "填报人：汪红梅    联系电话：0559-5512345",
                "注：累计数为1月至本月底累计完成数。",
            ]
            files.append(
                write_xlsx(
                    folder / f"县交通运输局{month}月民生实事进度.xlsx",
                    [
                        department_sheet(
                            "县交通运输局", road(month), header=TEMPLATE_HEADER, footer=footer
                        )
                    ],
                )
            )
            housing = {5: (1, 0.52, 80), 6: (2, 1.16, 120)}[month]
            housing_rows = [
                [1, "改造城镇老旧小区", 3, "个", 1, housing[0], "碧阳小区改造基本完成"],
                [
                    2,
                    "改造房屋总建筑面积",
                    1.79,
                    "万平方米",
                    None,
                    f"{housing[1] * 10000:.0f}平方米",
                    "",
                ],
                [3, "改造涉及住户", 167, "户", 40, housing[2], ""],
            ]
            if month == 6:
                first = [r[:] for r in housing_rows]
                first[2][5] = "待统计"
                files.append(
                    write_xlsx(
                        folder / "住建局6月进度.xlsx",
                        [two_row_header_sheet("县住房和城乡建设局", [[*r, None] for r in first])],
                    )
                )
                files.append(
                    write_xlsx(
                        folder / "住建局6月进度（修改）.xlsx",
                        [
                            two_row_header_sheet(
                                "县住房和城乡建设局", [[*r, None] for r in housing_rows]
                            )
                        ],
                    )
                )
            else:
                files.append(
                    write_xlsx(
                        folder / "住建局5月进度.xlsx",
                        [
                            two_row_header_sheet(
                                "县住房和城乡建设局", [[*r, None] for r in housing_rows]
                            )
                        ],
                    )
                )
            m = month
            civil = [
                ["（一）", "高龄津贴惠及80周岁以上老年人覆盖率", "100%", "100%", "按月足额发放"],
                ["（二）", "低保经济困难老年人养老服务补贴覆盖面", "≥60%", "62%", ""],
                ["（三）", "特殊困难家庭适老化改造", "18户", f"{6 if m == 5 else 9}户", ""],
                ["（四）", "家庭养老床位建设试点", "10张", f"{2 if m == 5 else 4}张", ""],
                ["（五）", "县级特困供养服务设施改造完成率", "100%", "80%", "主体完工"],
                ["（六）", "新增村级养老服务站（农村幸福院）", "1个", "0", "选址已确定"],
                ["（七）", "村级养老服务站覆盖面", "≥35%", "36%", ""],
                ["（八）", "养老机构护理型床位比例", "≥52%", "53.5%", ""],
                ["（九）", "散居孤儿基本生活保障标准", "≥1100元/人·月", "1100元", ""],
                ["（十）", "集中供养孤儿基本生活保障标准", "≥1510元/人·月", "1510元", ""],
                ["（十一）", "城市失能、半失能特困人员集中供养率", "60%", "61%", ""],
                [
                    "（十二）",
                    "农村失能、半失能特困人员集中供养率",
                    "60%",
                    "58%",
                    "部分对象不愿集中供养",
                ],
                ["（十三）", "低保、特困应保尽保、应退尽退", None, "推进中", "开展动态核查"],
                ["（十四）", "建成社区助餐点", "1个", "1个", "碧阳社区助餐点已运营"],
                ["（十五）", "建设农村助餐点", "1个", "0", "正在改造"],
            ]
            files.append(
                write_xls(
                    folder / f"民政局{month}月份民生工程进度.xls",
                    [
                        department_sheet(
                            "县民政局",
                            civil,
                            header=["序号", "指标名称", "年度目标", "截至本月累计", "备注"],
                            footer=["填表人：程晓"],
                        )
                    ],
                )
            )
            screening = {5: (750, 700), 6: (900, 860)}[month]
            health = [
                [1, "千人口托位数", 2.4, "个", None, 2.1, "", "托育机构备案进度慢", "加快备案"],
                [2, "城镇低保适龄妇女“两癌”免费筛查", 22, "人", 0, 22, "已全部完成", "", ""],
                [3, "农村妇女宫颈癌筛查", 1500, "人", 150, screening[0], "", "", ""],
                [4, "农村妇女乳腺癌筛查", 1500, "人", 160, screening[1], "", "", ""],
                [
                    5,
                    "县人民医院建设老年友善医疗机构",
                    None,
                    None,
                    None,
                    "推进中",
                    "已开设老年人绿色通道",
                    "",
                    "",
                ],
                [
                    6,
                    "医疗机构科室能力建设和长三角优质医疗资源合作",
                    None,
                    None,
                    None,
                    "推进中",
                    "",
                    "",
                    "",
                ],
                [
                    7,
                    "完成省下达的县域内就诊率、跨省就医比例目标",
                    None,
                    None,
                    None,
                    "推进中",
                    "",
                    "",
                    "",
                ],
            ]
            files.append(
                write_xlsx(
                    folder / f"卫健委{month}月.xlsx",
                    [
                        SheetSpec("填报说明", [["填报说明"], ["请于次月5日前报送县民生办。"]]),
                        department_sheet("县卫健委", health, header=TEMPLATE_HEADER),
                    ],
                )
            )
            edu = department_sheet(
                "县教育局",
                [
                    [1, "改扩建公办幼儿园", 1, "所", 0, 0, "正在施工"],
                    [2, "资助幼儿", 76, "人次", 0, 76, "春季学期资助已发放"],
                    [3, "学前教育毛入园率", 0.96, "%", None, 0.955, ""],
                    [4, "普惠性幼儿园覆盖率", 0.9, "%", None, 0.92, ""],
                    [5, "公办园在园幼儿占比", 0.85, "%", None, 0.86, ""],
                    [6, "开展课后服务的义务教育学校", 11, "所", 0, 11, ""],
                    [7, "义务教育学校课后服务覆盖率", 1, "%", None, 1, ""],
                ],
                header=["序号", "指标名称", "目标值", "单位", "本月完成", "累计完成", "进展情况"],
            )
            for r in range(5, 10):
                edu.formats[(r, 2)] = edu.formats[(r, 5)] = "0.0%"
            edu.formats[(10, 2)] = edu.formats[(10, 5)] = "0%"
            files.append(write_xlsx(folder / f"教育局{month}月报表.xlsx", [edu]))
            jobs = {5: (36, 301, 250, 12), 6: (44, 372, 305, 18)}[month]
            files.append(
                write_xlsx(
                    folder / f"人社局{month}月工作进展.xlsx",
                    [
                        SheetSpec(
                            "Sheet1",
                            [
                                [f"县人社局{month}月民生实事工作进展"],
                                [
                                    f"截至{month}月底，共组织招聘会{jobs[0]}场次，服务企业{jobs[1]}户次，"
                                    f"达成就业意向{jobs[2]}人；组织就业见习{jobs[3]}人，“三公里”就业圈试点社区"
                                    "已选定2个。"
                                ],
                            ],
                        )
                    ],
                )
            )
            files.append(
                write_xlsx(
                    folder / f"妇联{month}月两癌筛查.xlsx",
                    [
                        department_sheet(
                            "县妇联",
                            [
                                [
                                    1,
                                    "农村妇女宫颈癌筛查",
                                    1500,
                                    "人",
                                    150,
                                    screening[0],
                                    "",
                                    "",
                                    "",
                                ],
                                [
                                    2,
                                    "农村妇女乳腺癌筛查",
                                    1500,
                                    "人",
                                    160,
                                    screening[1] + 20,
                                    "",
                                    "",
                                    "",
                                ],
                            ],
                            header=TEMPLATE_HEADER,
                        )
                    ],
                )
            )
            write_csv(
                folder / f"医保局{month}月.csv",
                department_sheet(
                    "县医保局",
                    [
                        [1, "基本医疗保险参保率", ">95%", "%", "", "96.8%", ""],
                        [
                            2,
                            "城乡居民基本医疗保险政策范围内住院费用报销比例",
                            "70%",
                            "%",
                            "",
                            "70.2%",
                            "",
                        ],
                        [
                            3,
                            "职工基本医疗保险政策范围内住院费用报销比例",
                            "80%",
                            "%",
                            "",
                            "80.5%",
                            "",
                        ],
                        [4, "大病保险合规费用报销比例", "≥60%", "%", "", "61%", ""],
                        [5, "一站式结算", "", "", "", "已完成", "已实现一站式结算"],
                    ],
                    header=[
                        "序号",
                        "指标名称",
                        "目标任务",
                        "单位",
                        "本月完成",
                        "累计完成",
                        "进展情况",
                    ],
                ),
                encoding="gbk",
            )
            disabled = {5: (120, 5, 1), 6: (147, 6, 2)}[month]
            files.append(
                write_xlsx(
                    folder / f"{month}月报表.xlsx",
                    [
                        department_sheet(
                            "县残联",
                            [
                                [
                                    1,
                                    "困难精神残疾人药费补助",
                                    147,
                                    "人",
                                    27,
                                    disabled[0],
                                    "",
                                    "",
                                    "",
                                ],
                                [2, "残疾儿童康复训练救助", 8, "人", 1, disabled[1], "", "", ""],
                                [
                                    3,
                                    "残疾儿童适配假肢矫形器或其他辅具救助",
                                    2,
                                    "人",
                                    1,
                                    disabled[2],
                                    "",
                                    "",
                                    "",
                                ],
                            ],
                            header=TEMPLATE_HEADER,
                        )
                    ],
                )
            )
            # May with cumulative figures; in June the union sends only 本月完成
            union_header = ["序号", "指标名称", "目标任务", "单位", "本月完成", "进展情况"]
            union = [
                [1, "符合标准的困难职工建档和帮扶覆盖率", "100%", "%", "100%", ""],
                [2, "困难职工生活救助", 6, "户", 1, ""],
                [3, "患病职工家庭医疗救助", 1, "户", 0, "正在审核"],
            ]
            if month == 5:
                union_header = [*union_header[:5], "累计完成", "进展情况"]
                union = [[*r[:5], c, r[5]] for r, c in zip(union, ["100%", 3, 0], strict=True)]
            files.append(
                write_xlsx(
                    folder / f"总工会{month}月进度.xlsx",
                    [department_sheet("县总工会", union, header=union_header)],
                )
            )
            files.append(
                write_xlsx(
                    folder / f"文旅体局{month}月.xlsx",
                    [
                        department_sheet(
                            "县文化旅游体育局",
                            [
                                ["①", "建设全民健身场地设施", "5个", 1, 3 if month == 6 else 2, ""],
                                ["②", "建设城市阅读空间", "1个", 0, 0, "选址装修中"],
                            ],
                            header=[
                                "序号",
                                "建设内容",
                                "年度目标",
                                "当月完成",
                                "截至6月底累计完成" if month == 6 else "截至5月底累计完成",
                                "备注",
                            ],
                        )
                    ],
                )
            )
            files.append(
                write_xlsx(
                    folder / f"发改委{month}月.xlsx",
                    [
                        department_sheet(
                            "县发改委",
                            [
                                [
                                    1,
                                    "建设县中心城区“惠民菜篮子”门店",
                                    2,
                                    "家",
                                    0,
                                    1,
                                    "1家已开业",
                                    "",
                                    "",
                                ],
                            ],
                            header=TEMPLATE_HEADER,
                        )
                    ],
                )
            )
            if month == 5:
                files.append(
                    write_xlsx(
                        folder / "科商经信局5月.xlsx",
                        [
                            department_sheet(
                                "县科技商务经信局",
                                [[1, "建设县中心城区“惠民菜篮子”门店", 2, "家", 0, 1, "", "", ""]],
                                header=TEMPLATE_HEADER,
                            )
                        ],
                    )
                )
            water = {5: (60, "1.4万人"), 6: (82, "1.9万人")}[month]
            files.append(
                write_xlsx(
                    folder / f"农水局{month}月.xlsx",
                    [
                        department_sheet(
                            "县农水局",
                            [
                                [1, "农村饮水工程维修养护", 101, "处", 22, water[0], "", "", ""],
                                [
                                    2,
                                    "农村饮水工程覆盖服务人口",
                                    2.37,
                                    "万人",
                                    None,
                                    water[1],
                                    "",
                                    "",
                                    "",
                                ],
                            ],
                            header=TEMPLATE_HEADER,
                        )
                    ],
                )
            )
            files.append(
                write_xlsx(
                    folder / f"市场监管局{month}月.xlsx",
                    [
                        department_sheet(
                            "县市场监管局",
                            [
                                [
                                    1,
                                    "开展“你点我检”活动宣传、品种征集和群众参与",
                                    "推进中",
                                    "已征集品种36个",
                                ],
                                [2, "辖区内抽检不合格食品核查处置", "推进中", "已核查处置3批次"],
                            ],
                            header=["序号", "指标名称", "推进状态", "进展情况"],
                        )
                    ],
                )
            )
            files.append(
                write_xlsx(
                    folder / f"司法局{month}月.xlsx",
                    [
                        department_sheet(
                            "县司法局",
                            [
                                [
                                    1,
                                    "办理法律援助案件",
                                    110,
                                    "件",
                                    10,
                                    45 if month == 5 else 55,
                                    "",
                                    "",
                                    "",
                                ],
                                [
                                    2,
                                    "推进值班律师和刑事案件律师辩护全覆盖试点",
                                    None,
                                    None,
                                    None,
                                    "推进中",
                                    "",
                                    "",
                                    "",
                                ],
                            ],
                            header=TEMPLATE_HEADER,
                        )
                    ],
                )
            )
        for period, files in made.items():
            saved = tmp / f"saved-{period}"
            saved.mkdir()
            xlsx = [p for p in files if p.suffix == ".xlsx"]
            xls = [p for p in files if p.suffix == ".xls"]
            convert_many(xlsx, "xlsx", saved)
            convert_many(xls, "xls", saved)
            target = out / period
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for p in files:
                shutil.copyfile(saved / p.name, target / p.name)
            for p in (tmp / period).glob("*.csv"):
                shutil.copyfile(p, target / p.name)
        (out / "2022-05" / "收文登记.csv").write_text(RECEIPTS_MAY, encoding="utf-8")
        (out / "2022-06" / "收文登记.csv").write_text(RECEIPTS_JUNE, encoding="utf-8")
        (out / "2022-06" / "~$县交通运输局6月民生实事进度.xlsx").write_bytes(b"\x06lock\x00" * 20)
        (out / "2022-06" / "Thumbs.db").write_bytes(b"\x00" * 64)
    print(f"wrote {out}/2022-05 and {out}/2022-06")


RECEIPTS_MAY = """文件名,收到时间
县交通运输局5月民生实事进度.xlsx,2022-06-02 09:12
住建局5月进度.xlsx,2022-06-03 15:40
民政局5月份民生工程进度.xls,2022-06-01 10:05
卫健委5月.xlsx,2022-06-05 16:30
教育局5月报表.xlsx,2022-06-02 11:20
人社局5月工作进展.xlsx,2022-06-06 09:00
妇联5月两癌筛查.xlsx,2022-06-04 14:10
医保局5月.csv,2022-06-01 08:45
5月报表.xlsx,2022-06-03 10:00
总工会5月进度.xlsx,2022-06-02 16:00
文旅体局5月.xlsx,2022-06-05 09:30
发改委5月.xlsx,2022-06-02 10:10
科商经信局5月.xlsx,2022-06-03 11:11
农水局5月.xlsx,2022-06-01 15:00
市场监管局5月.xlsx,2022-06-02 08:50
司法局5月.xlsx,2022-06-04 17:20
"""
RECEIPTS_JUNE = """文件名,收到时间
县交通运输局6月民生实事进度.xlsx,2022-07-01 09:12
住建局6月进度.xlsx,2022-07-03 16:00
住建局6月进度（修改）.xlsx,2022-07-04 09:30
民政局6月份民生工程进度.xls,2022-07-01 10:05
卫健委6月.xlsx,2022-07-05 16:30
教育局6月报表.xlsx,2022-07-04 11:20
人社局6月工作进展.xlsx,2022-07-05 09:00
妇联6月两癌筛查.xlsx,2022-07-04 14:10
医保局6月.csv,2022-07-01 08:45
6月报表.xlsx,2022-07-03 10:00
总工会6月进度.xlsx,2022-07-02 16:00
文旅体局6月.xlsx,2022-07-05 09:30
发改委6月.xlsx,2022-07-02 10:10
农水局6月.xlsx,2022-07-01 15:00
市场监管局6月.xlsx,2022-07-04 08:50
司法局6月.xlsx,2022-07-08 17:20
"""

if __name__ == "__main__":
    main()
