"""A malformed target table is refused with a message naming sheet, row and column."""

from __future__ import annotations

import openpyxl
import pytest

from pipeline.errors import TargetTableError
from pipeline.targets import default_targets_path, load_targets


def _edited(tmp_path, sheet, cell, value):
    wb = openpyxl.load_workbook(default_targets_path())
    wb[sheet][cell] = value
    out = tmp_path / "targets.xlsx"
    wb.save(out)
    return out


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        (
            "目标任务分解表",
            "E3",
            "两公里",
            "工作表“目标任务分解表”第3行E列（目标值）：目标值“两公里”不是数字",
        ),
        (
            "目标任务分解表",
            "A4",
            "1-3",
            "工作表“目标任务分解表”第4行A列（指标编号）：“1-3”不是有效的指标编号（应形如 1.1）",
        ),
        (
            "目标任务分解表",
            "A5",
            "1.1",
            "工作表“目标任务分解表”第5行A列（指标编号）：指标编号“1.1”重复",
        ),
        (
            "目标任务分解表",
            "H2",
            "数量",
            "工作表“目标任务分解表”第2行H列（指标类型）：“数量”不是有效的指标类型（累计、水平或节点）",
        ),
        (
            "目标任务分解表",
            "I7",
            "县水务局",
            "工作表“目标任务分解表”第7行I列（牵头单位）：牵头单位“县水务局”不在“责任单位”工作表中",
        ),
        (
            "目标任务分解表",
            "K2",
            "年底",
            "工作表“目标任务分解表”第2行K列（完成时限）：完成时限“年底”不是日期（如 2022-12-31）",
        ),
        (
            "目标任务分解表",
            "G2",
            "约",
            "工作表“目标任务分解表”第2行G列（比较符）：“约”不是有效的比较符（≥ ≤ = >）",
        ),
        ("目标任务分解表", "D1", "名称", "工作表“目标任务分解表”第1行缺少表头“指标名称”"),
    ],
)
def test_malformed_cell_is_named(tmp_path, sheet, cell, value, message):
    """Each kind of bad cell gives an error naming the sheet, the row and the column."""
    path = _edited(tmp_path, sheet, cell, value)
    with pytest.raises(TargetTableError) as err:
        load_targets(path)
    assert str(err.value) == f"目标任务分解表（targets.xlsx）{message}"


def test_missing_sheet(tmp_path):
    """A workbook without the department register is refused by name."""
    wb = openpyxl.load_workbook(default_targets_path())
    del wb["责任单位"]
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(TargetTableError, match="缺少工作表“责任单位”"):
        load_targets(tmp_path / "t.xlsx")


def test_not_a_workbook(tmp_path):
    """A file that is not a workbook is refused with the file name, not a traceback."""
    bad = tmp_path / "t.xlsx"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(TargetTableError, match=r"目标任务分解表无法打开（t\.xlsx）"):
        load_targets(bad)


def test_edited_table_loads(tmp_path):
    """An office's own edit (a new target, a monthly plan) is taken as written."""
    wb = openpyxl.load_workbook(default_targets_path())
    ws = wb["目标任务分解表"]
    ws["E2"] = 3.5
    ws["M2"] = "、".join(f"{p}%" for p in (0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100))
    wb.save(tmp_path / "t.xlsx")
    table = load_targets(tmp_path / "t.xlsx")
    ind = table.indicator("1.1")
    assert ind.target == 3.5
    assert ind.monthly_plan == (0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
