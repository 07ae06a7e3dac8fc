"""What a template says to the clerk who fills it in: the 填报说明 sheet and the cell prompts.

Kept apart from the layout so the wording can be read (and changed) in one place. No line of
the guide may look like a table header or a ``填报单位：`` line to the normaliser: each is long
or carries a colon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.model import Indicator

if TYPE_CHECKING:
    from pipeline.forms import Form


def title(form: Form) -> str:
    return f"{form.county}{form.year}年民生实事进度报送表（{form.period_label}）"


def hint(form: Form) -> str:
    return (
        "提示：只填写黄色单元格，其余单元格已预先填好、不能修改；"
        f"填写方法见“填报说明”工作表。请于{form.deadline_label}前报送。"
    )


def guide(form: Form) -> list[tuple[str, str]]:
    """The 填报说明 sheet as (style, text) lines: ``title``, ``heading`` or ``body``."""
    m = form.month
    return [
        ("title", f"{form.county}{form.year}年民生实事进度报送表 · 填报说明"),
        ("body", f"本表由{form.department}填写，报告期为{form.period_label}。"),
        ("heading", "一、报送时间："),
        (
            "body",
            f"请于{form.deadline_label}（含当日）前将填好的本表报送{form.contact}。",
        ),
        ("heading", "二、填写方法："),
        (
            "body",
            "1. 打开“进度报送”工作表，只填写黄色单元格；白色和灰色单元格（指标编号、任务、"
            "指标名称、目标值、单位、上月累计等）已预先填好，不用也不能修改。",
        ),
        (
            "body",
            f"2. “本月完成”填写{m}月1日至{m}月底新完成的数量；“累计完成”填写今年1月1日至"
            f"{m}月底累计完成的数量（含本月），不是项目开工以来的总数。",
        ),
        (
            "body",
            "3. 数字按“单位”栏的计量单位填写，只填数字，不带单位、不写文字。例如单位为"
            "“万平方米”，完成17900平方米应填 1.79；单位为“公里”，完成1200米应填 1.2。",
        ),
        (
            "body",
            "4. 单位为“%”的指标填写百分数，如 96% 填 96（直接输入 96% 也可以）。比率、标准类"
            "指标（如覆盖率、保障标准）在“累计完成”栏填写目前达到的数值，“本月完成”栏不填"
            "（已置灰）。",
        ),
        (
            "body",
            "5. 目标值为“定性任务”的指标，在“累计完成”栏的下拉列表中选择：未启动、推进中、"
            "已完成；并在“进展情况”栏简要写明进展。",
        ),
        (
            "body",
            "6. “上月累计”是根据上月报送数据预填的，供核对；本月累计完成一般不应小于上月累计，"
            "如有出入请在“存在问题”栏说明原因。",
        ),
        (
            "body",
            "7. 进度滞后的，请在“滞后原因及下步措施”栏写明原因和下一步措施；没有问题的可填“无”。",
        ),
        (
            "body",
            "8. 请勿修改指标编号，请勿插入、删除或调换行和列，请勿修改工作表名称；"
            "需要补充说明的，写在“进展情况”或“存在问题”栏内。",
        ),
        (
            "body",
            "9. 表格底部请填写填报人、联系电话和审核人。",
        ),
        (
            "body",
            "10. 请保存为 Excel 文件（.xlsx）报送，文件名保留单位名称和月份；"
            "请勿转换为 PDF、图片或扫描件。",
        ),
        ("heading", "三、联系方式："),
        ("body", f"填写中有任何疑问，请联系{form.contact}。"),
    ]


def number_rule(ind: Indicator, column: str) -> dict[str, Any]:
    """Data validation (XlsxWriter options) for a 本月完成 or 累计完成 cell of a figure."""
    if ind.unit == "%":
        return {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 100,
            "input_title": f"{column}（百分数）",
            "input_message": "请填写百分数，如 96 表示 96%，只填数字。",
            "error_title": "请填写百分数",
            "error_message": "请填写百分数，如 96 表示 96%：应为 0 到 100 之间的数字，不带文字。",
        }
    if column == "本月完成":
        what = "本月新完成的数量"
    elif ind.kind == "level":
        what = "目前达到的数值"
    else:
        what = "今年1月1日至本月底累计完成的数量（含本月）"
    return {
        "validate": "decimal",
        "criteria": ">=",
        "value": 0,
        "input_title": f"{column}（单位：{ind.unit}）"[:32],
        "input_message": f"请填写{what}，单位为“{ind.unit}”，只填数字，不带单位或文字。",
        "error_title": "请填写数字",
        "error_message": f"请填写不小于 0 的数字（单位为“{ind.unit}”），不要填写单位或文字。",
    }


STATES = ("未启动", "推进中", "已完成")  # the milestone states the normaliser reads
STATE_RULE: dict[str, Any] = {
    "validate": "list",
    "source": list(STATES),
    "input_title": "请选择推进状态",
    "input_message": "请点击右侧箭头，从下拉列表中选择：未启动、推进中或已完成。",
    "error_title": "请从下拉列表中选择",
    "error_message": "只能选择“未启动”“推进中”或“已完成”；具体进展请写在“进展情况”栏。",
}

TEXT_PROMPTS: dict[str, tuple[str, str]] = {
    "进展情况": ("进展情况", "请简要填写截至本月底的工作进展，如开工、完成、验收等情况。"),
    "存在问题": ("存在问题", "请填写推进中存在的困难和问题；没有的填“无”。"),
    "滞后原因及下步措施": (
        "滞后原因及下步措施",
        "进度滞后的，请写明滞后原因和下一步措施、预计完成时间；不滞后的可不填。",
    ),
}

# the line under the table: (label, first and last column of the label, of the input)
FOOTER = (
    ("填报人：", 0, 1, 2, 2),
    ("联系电话：", 3, 4, 5, 7),
    ("审核人：", 8, 8, 9, 9),
    ("填报日期：", 10, 10, 11, 11),
)
