"""Load the target table (目标任务分解表) from the office-editable workbook."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import TargetTableError
from pipeline.model import Comparator, Department, Indicator, Kind, TargetTable, Task

DEFAULT_TARGETS = "targets-2022.xlsx"
INDICATOR_SHEET = "目标任务分解表"
DEPARTMENT_SHEET = "责任单位"

INDICATOR_COLUMNS = {
    "id": "指标编号",
    "task_id": "任务编号",
    "task_name": "任务名称",
    "name": "指标名称",
    "target": "目标值",
    "unit": "单位",
    "comparator": "比较符",
    "kind": "指标类型",
    "lead": "牵头单位",
    "co": "配合单位",
    "deadline": "完成时限",
    "aliases": "别名",
    "plan": "月度计划",
}
OPTIONAL_COLUMNS = {"aliases", "plan", "co", "deadline"}

KINDS: dict[str, Kind] = {
    "累计": "count",
    "累计型": "count",
    "count": "count",
    "水平": "level",
    "水平型": "level",
    "level": "level",
    "节点": "milestone",
    "节点型": "milestone",
    "定性": "milestone",
    "milestone": "milestone",
}
COMPARATORS: dict[str, Comparator] = {
    "≥": ">=",
    ">=": ">=",
    "不低于": ">=",
    "≤": "<=",
    "<=": "<=",
    "不高于": "<=",
    "=": "=",
    "＝": "=",
    ">": ">",
    "＞": ">",
    "超过": ">",
}
_ID = re.compile(r"^\d{1,2}\.\d{1,2}$")
_SPLIT = re.compile(r"[、,，;；\n]+")
DEFAULT_DEADLINE = dt.date(2022, 12, 31)


def default_targets_path() -> Path:
    """Path of the embedded default table shipped with the package."""
    return Path(str(resources.files("pipeline") / "data" / DEFAULT_TARGETS))


def load_targets(path: str | Path | None = None) -> TargetTable:
    """Read a target table workbook; raise :class:`TargetTableError` naming sheet/row/column.

    Read like a submission (``read.read_book``: bounded first, then python-calamine), since a
    county's own table arrives with its files."""
    from pipeline.discover import sniff_format
    from pipeline.read import read_book

    path = Path(path) if path else default_targets_path()
    if not path.is_file():
        raise TargetTableError(f"找不到目标任务分解表文件：{path}")
    fmt = sniff_format(path)
    if fmt == "locked":
        why = "可能正在被 Excel 打开，或没有读取权限，请关闭后重试"
        raise TargetTableError(f"目标任务分解表无法打开（{path.name}）：{why}")
    book = read_book(path, fmt)
    if not book.sheets:
        why = book.issues[0].message if book.issues else "文件中没有工作表"
        raise TargetTableError(f"目标任务分解表无法打开（{path.name}）：{why}")
    sheets = {s.name: s.rows for s in book.sheets}
    for needed in (INDICATOR_SHEET, DEPARTMENT_SHEET):
        if needed not in sheets:
            why = next((i.message for i in book.issues if i.sheet == needed), "")
            what = f"无法读取工作表“{needed}”：{why}" if why else f"缺少工作表“{needed}”"
            raise TargetTableError(f"目标任务分解表（{path.name}）{what}")
    departments = _departments(list(sheets[DEPARTMENT_SHEET]), path.name)
    return _table(list(sheets[INDICATOR_SHEET]), departments, path.name, str(path))


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _col_letter(index: int) -> str:
    from pipeline.read import a1

    return a1(0, index)[:-1]


def _departments(rows: list[tuple[Any, ...]], fname: str) -> tuple[Department, ...]:
    if not rows:
        raise TargetTableError(f"目标任务分解表（{fname}）工作表“{DEPARTMENT_SHEET}”是空的")
    out: list[Department] = []
    seen: set[str] = set()
    for r, row in enumerate(rows[1:], start=2):
        name = _text(row[0] if row else None)
        if not name:
            continue
        if name in seen:
            raise TargetTableError(
                f"目标任务分解表（{fname}）工作表“{DEPARTMENT_SHEET}”第{r}行A列：单位“{name}”重复"
            )
        seen.add(name)
        aliases = tuple(a for a in _SPLIT.split(_text(row[1] if len(row) > 1 else "")) if a)
        out.append(Department(name, aliases))
    return tuple(out)


def _table(
    rows: list[tuple[Any, ...]], departments: tuple[Department, ...], fname: str, source: str
) -> TargetTable:
    where = f"目标任务分解表（{fname}）工作表“{INDICATOR_SHEET}”"
    if not rows:
        raise TargetTableError(f"{where}是空的")
    header = [_text(v) for v in rows[0]]
    cols: dict[str, int] = {}
    for key, title in INDICATOR_COLUMNS.items():
        if title in header:
            cols[key] = header.index(title)
        elif key not in OPTIONAL_COLUMNS:
            raise TargetTableError(f"{where}第1行缺少表头“{title}”")
    known = {d.name for d in departments}
    indicators: list[Indicator] = []
    tasks: dict[int, tuple[str, list[str]]] = {}
    seen: set[str] = set()

    for r, row in enumerate(rows[1:], start=2):

        def get(key: str, row: tuple[Any, ...] = row) -> Any:
            i = cols.get(key)
            return row[i] if i is not None and i < len(row) else None

        def bad(key: str, msg: str, r: int = r) -> TargetTableError:
            return TargetTableError(
                f"{where}第{r}行{_col_letter(cols[key])}列（{INDICATOR_COLUMNS[key]}）：{msg}"
            )

        if all(_text(v) == "" for v in row):
            continue
        iid = _text(get("id"))
        if not _ID.match(iid):
            raise bad("id", f"“{iid}”不是有效的指标编号（应形如 1.1）")
        if iid in seen:
            raise bad("id", f"指标编号“{iid}”重复")
        seen.add(iid)
        try:
            task_id = int(_text(get("task_id")))
        except ValueError:
            raise bad("task_id", f"“{_text(get('task_id'))}”不是整数") from None
        if iid.split(".")[0] != str(task_id):
            raise bad("task_id", f"任务编号{task_id}与指标编号“{iid}”不一致")
        name = _text(get("name"))
        if not name:
            raise bad("name", "指标名称为空")
        kind = KINDS.get(_text(get("kind")))
        if kind is None:
            raise bad("kind", f"“{_text(get('kind'))}”不是有效的指标类型（累计、水平或节点）")
        comparator = COMPARATORS.get(_text(get("comparator")) or "=")
        if comparator is None:
            raise bad("comparator", f"“{_text(get('comparator'))}”不是有效的比较符（≥ ≤ = >）")
        raw_target = get("target")
        target: float | None
        if kind == "milestone" and _text(raw_target) == "":
            target = None
        else:
            try:
                target = float(raw_target) if not isinstance(raw_target, bool) else None
            except (TypeError, ValueError):
                target = None
            if target is None:
                raise bad("target", f"目标值“{_text(raw_target)}”不是数字")
        unit = _text(get("unit"))
        lead = _text(get("lead"))
        if lead not in known:
            raise bad("lead", f"牵头单位“{lead}”不在“{DEPARTMENT_SHEET}”工作表中")
        co = [d for d in _SPLIT.split(_text(get("co"))) if d]
        for d in co:
            if d not in known:
                raise bad("co", f"配合单位“{d}”不在“{DEPARTMENT_SHEET}”工作表中")
        deadline = _deadline(get("deadline"))
        if deadline is None:
            raise bad("deadline", f"完成时限“{_text(get('deadline'))}”不是日期（如 2022-12-31）")
        plan = _plan(_text(get("plan")))
        if plan is False:
            raise bad("plan", "月度计划应为12个用顿号分隔的累计比例（如 10%、20%…）")
        aliases = tuple(a for a in _SPLIT.split(_text(get("aliases"))) if a)
        task_name = _text(get("task_name"))
        depts = tasks.setdefault(task_id, (task_name, []))[1]
        for d in [lead, *co]:
            if d not in depts:
                depts.append(d)
        indicators.append(
            Indicator(
                id=iid,
                task_id=task_id,
                name=name,
                target=target,
                unit=unit,
                comparator=comparator,
                kind=kind,
                lead_department=lead,
                departments=(lead, *co),
                deadline=deadline,
                aliases=aliases,
                monthly_plan=plan if isinstance(plan, tuple) else None,
            )
        )
    if not indicators:
        raise TargetTableError(f"{where}没有任何指标")
    task_list = tuple(Task(tid, name, tuple(depts)) for tid, (name, depts) in sorted(tasks.items()))
    return TargetTable(task_list, tuple(indicators), departments, source)


def _deadline(v: Any) -> dt.date | None:
    if v is None or _text(v) == "":
        return DEFAULT_DEADLINE
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    m = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$", _text(v))
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _plan(text: str) -> tuple[float, ...] | bool | None:
    """Twelve cumulative shares: ``10%`` is 0.1; a bare number must already be a share (0–1)."""
    if not text:
        return None
    values: list[float] = []
    for part in (p.strip() for p in _SPLIT.split(text) if p.strip()):
        try:
            v = float(part[:-1]) / 100 if part.endswith("%") else float(part)
        except ValueError:
            return False
        if not 0 <= v <= 1:
            return False
        values.append(round(v, 10))
    return tuple(values) if len(values) == 12 else False


CSV_COLUMNS = [
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


def format_number(x: float | None) -> str:
    """A number as office staff write it: no trailing .0, no float noise."""
    if x is None:
        return ""
    text = f"{x:.10g}" if abs(x) < 1e15 else repr(x)
    return text


def csv_rows(table: TargetTable) -> list[list[str]]:
    """The target table as the CSV contract's rows (header first)."""
    from pipeline.model import COMPARATOR_SIGNS

    rows = [CSV_COLUMNS]
    for ind in table.indicators:
        task = table.task(ind.task_id)
        rows.append(
            [
                ind.id,
                str(ind.task_id),
                task.name,
                ind.name,
                format_number(ind.target),
                ind.unit,
                COMPARATOR_SIGNS[ind.comparator] if ind.kind != "milestone" else "",
                ind.kind,
                ind.lead_department,
                "、".join(ind.departments),
                ind.deadline.isoformat(),
            ]
        )
    return rows
