"""Figures from a department that wrote only prose (截至6月底，共组织招聘会44场次…).

A figure is taken only when its number and unit pair with exactly one of the department's
indicators — by unit alone, or by unit and the indicator's name in the same clause. Any other
figure becomes an issue; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from pipeline.match import normalise_name
from pipeline.model import Indicator, Issue, Observation
from pipeline.parse import _shown, normalise_text, parse_value
from pipeline.read import Sheet, a1

_UNIT_WORDS = (
    "万平方米|平方米|平米|㎡|公里|千米|万人次|万人|人次|场次|户次|元/人·月|元|"
    "场|户|人|名|个|所|家|处|件|张|%"
)
_FIGURE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s*(万|千)?\s*({_UNIT_WORDS})")
_CLAUSE = re.compile(r"[，,；;。！!？?\n]")


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(normalise_text(text)) if c]


def _names_in(clause: str, indicators: Sequence[Indicator]) -> list[Indicator]:
    key = normalise_name(clause)
    out = []
    for ind in indicators:
        names = [normalise_name(n) for n in (ind.name, *ind.aliases)]
        if any(n and len(n) >= 3 and n in key for n in names):
            out.append(ind)
    return out


MAX_FIGURES = 200  # figures one file's prose is read for


Prose = tuple[str, str, str]  # (sheet, cell, text)
# a clause about the plan, this month alone or another period is not the figure reached
_NOT_REACHED = re.compile(
    r"计划|目标|任务|全年|年度|本月|当月|新增|较上月|上月|同比|去年|预计|力争"
)


_SENTENCE = re.compile(r"[，,。；;]|累计|截至|截止|已")


def prose_cells(sheets: Sequence[Sheet]) -> Iterator[Prose]:
    """Every cell of ``sheets`` that may hold sentences with figures: a text of a sentence's
    shape (punctuation, 累计, 截至, 已…) in a row that is not a table's (a target such as
    ``完成1.79万平方米`` beside a name and a unit is no sentence)."""
    for sheet in sheets:
        for r, row in enumerate(sheet.rows):
            if len({v for v in row if v is not None and v != ""}) > 2:
                continue
            for c, v in enumerate(row):
                if (
                    isinstance(v, str)
                    and len(v.strip()) >= 8
                    and re.search(r"\d", v)
                    and _SENTENCE.search(v)
                ):
                    yield sheet.name, a1(r, c), v


def _figures(cells: Iterable[Prose]) -> Iterator[tuple[str, str, str, re.Match[str]]]:
    """(sheet, cell, clause, figure) for every number-with-unit in the prose cells."""
    for sheet, cell, text in cells:
        for clause in _clauses(text):
            for m in _FIGURE.finditer(clause):
                yield sheet, cell, clause, m


def read_narrative(
    cells: Iterable[Prose],
    indicators: Sequence[Indicator],
    period: str,
    department: str,
    file: str,
) -> tuple[list[Observation], list[Issue]]:
    """Pair every number-with-unit in the prose cells with one indicator, or report it."""
    taken: dict[str, tuple[float, str, str]] = {}  # id → value, sheet, cell
    issues: list[Issue] = []
    numeric = [i for i in indicators if i.kind != "milestone"]
    for n, (sheet, cell, clause, m) in enumerate(_figures(cells)):
        if n == MAX_FIGURES:  # prose holds a few; a crafted cell may hold millions
            msg = f"文字说明中的数字超过 {MAX_FIGURES} 个，其余未读取，请在表格中填写"
            issues.append(
                Issue("warning", "W-NARRATIVE-TOO-MANY", msg, department, file, sheet, cell)
            )
            break
        figure = m.group(0)
        where = dict(department=department, file=file, sheet=sheet, cell=cell)
        if _NOT_REACHED.search(clause):
            msg = (
                f"文字说明中的“{figure}”（{_shown(clause)}）说的是计划、本月或其他时期的数，"
                "未作为累计完成数采用"
            )
            issues.append(Issue("warning", "W-NARRATIVE-UNUSED", msg, **where))
            continue
        fits = [
            i
            for i in numeric
            if not parse_value(figure, i.unit).code
            and parse_value(figure, i.unit).value is not None
        ]
        if len(fits) > 1:
            named = _names_in(clause, fits)
            fits = named if named else fits
        if len(fits) == 1:
            ind = fits[0]
            value = parse_value(figure, ind.unit).value
            assert value is not None
            if ind.id in taken and taken[ind.id][0] != value:
                issues.append(
                    Issue(
                        "error",
                        "E-NARRATIVE-CONFLICT",
                        f"文字说明中指标{ind.id}“{ind.name}”出现了两个不同的数"
                        f"（{taken[ind.id][0]:g} 和 {value:g}），请在表格中填写",
                        indicator_id=ind.id,
                        **where,
                    )
                )
                taken[ind.id] = (float("nan"), sheet, cell)
            elif ind.id not in taken:
                taken[ind.id] = (value, sheet, cell)
        elif fits:
            ids = "、".join(f"{i.id} {i.name}" for i in fits)
            issues.append(
                Issue(
                    "warning",
                    "W-NARRATIVE-AMBIGUOUS",
                    f"文字说明中的“{_shown(clause)}”无法确定对应哪个指标（{ids}），"
                    "未采用，"
                    "请在表格中分项填写",
                    **where,
                )
            )
        else:
            issues.append(
                Issue(
                    "warning",
                    "W-NARRATIVE-UNUSED",
                    f"文字说明中的“{figure}”（{_shown(clause)}）与本单位的指标对不上，未采用",
                    **where,
                )
            )
    observations = []
    for iid, (value, sheet_name, cell) in taken.items():
        if value != value:  # conflicting figures: reported above, nothing taken
            continue
        ind = next(i for i in indicators if i.id == iid)
        issues.append(
            Issue(
                "info",
                "I-FROM-NARRATIVE",
                f"指标{iid}“{ind.name}”的完成数{value:g}{ind.unit}取自文字说明，请核对",
                department,
                file,
                sheet_name,
                cell,
                iid,
            )
        )
        observations.append(
            Observation(
                period,
                department,
                iid,
                value,
                source_file=file,
                source_sheet=sheet_name,
                source_cell=cell,
            )
        )
    return observations, issues
