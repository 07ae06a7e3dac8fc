"""The one gate every figure passes: a figure with an error on it is never used.

A figure is withheld when an error-severity issue of its file points at its row (any cell of
the row it was read from: a unit that does not fit, text where a number belongs, a code that
contradicts the name) or names its indicator (the indicator filled in twice, two different
figures in the prose). A blank with a reason beats a wrong number.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.model import FileResult, Issue, Observation

_ROW = re.compile(r"^[A-Z]+(\d+)$")


def _row_of(cell: str) -> str | None:
    m = _ROW.match(cell)
    return m.group(1) if m else None


def withhold(result: FileResult) -> FileResult:
    """``result`` without the observations an error of the same file touches; each withheld
    indicator gets an issue naming it unless an error already does."""
    errors = [i for i in result.issues if i.severity == "error"]
    if not errors or not result.observations:
        return result
    # an error of a row that names no indicator touches the row's figures; one naming an
    # indicator touches that indicator's (a wide form's row holds several indicators)
    rows = {(i.sheet, r) for i in errors if not i.indicator_id and (r := _row_of(i.cell))}
    named = {(i.department, i.indicator_id) for i in errors if i.indicator_id}
    kept: list[Observation] = []
    added: list[Issue] = []
    for obs in result.observations:
        row = _row_of(obs.source_cell)
        if (obs.department, obs.indicator_id) in named:
            continue  # the error names the indicator: it is the reason
        if row is not None and (obs.source_sheet, row) in rows:
            reason = next(
                i for i in errors if i.sheet == obs.source_sheet and _row_of(i.cell) == row
            )
            added.append(
                Issue(
                    "error",
                    "E-VALUE-WITHHELD",
                    f"指标{obs.indicator_id}的数据未采用：同一行有错误（{reason.message}）",
                    obs.department,
                    obs.source_file,
                    obs.source_sheet,
                    obs.source_cell,
                    obs.indicator_id,
                )
            )
            continue
        kept.append(obs)
    if len(kept) == len(result.observations):
        return result
    return replace(result, observations=tuple(kept), issues=(*result.issues, *added))
