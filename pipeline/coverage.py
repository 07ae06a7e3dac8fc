"""Every indicator of a department that reported ends as a figure or as an issue naming it.

When a file gives no figure for one of the department's own (lead) indicators and no issue
names that indicator, the office is told which indicator is missing and the likeliest reason
the file shows: no table found, rows that could not be matched, no value column, a file of
another month, an unreadable file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipeline.model import FileResult, Issue, Severity, TargetTable

_FILE_REASONS = {
    "E-NO-TABLE": "文件中没有找到可识别的进度表",
    "W-NO-VALUE-COLUMN": "表中没有“累计完成”或“本月完成”列",
    "W-PERIOD-MISMATCH": "文件内容为其他月份的报表，本期未采用",
}


def _reason(result: FileResult, department: str) -> str:
    """Why a file of ``department`` may give no figure for an indicator."""
    if not result.readable:
        return "报送的文件无法读取"
    mine = [i for i in result.issues if i.department in (department, "")]
    codes = {i.code for i in mine}
    for code, reason in _FILE_REASONS.items():
        if code in codes:
            return reason
    unmatched = sorted(
        {i.cell for i in mine if i.code == "E-ROW-UNMATCHED" and i.cell},
        key=lambda c: (len(c), c),
    )
    if unmatched:
        shown = "、".join(unmatched[:5]) + ("等" if len(unmatched) > 5 else "")
        return f"表中有{len(unmatched)}行未能对应到指标（{shown}），可能包含该指标"
    if any(i.severity == "error" and i.code.startswith("E-FILE") for i in mine):
        return "报送的文件无法读取"
    return "表中没有该指标的行"


def account_for_indicators(
    winners: Iterable[FileResult], targets: TargetTable, named: Sequence[Issue]
) -> list[Issue]:
    """An issue for each lead indicator of each reporting department that the department's
    file neither gave a figure for nor named in an issue (``named``: the period's issues)."""
    out: list[Issue] = []
    said = {(i.department, i.indicator_id) for i in named if i.indicator_id}
    for result in winners:
        dept = result.department
        if not dept:
            continue
        given = {o.indicator_id for o in result.observations if o.department == dept}
        for o in result.observations:
            if o.department == dept and o.value is None and o.monthly_value is not None:
                ind = targets.indicator(o.indicator_id)
                if ind.kind == "count" and (dept, ind.id) not in said:
                    out.append(
                        Issue(
                            "info",
                            "I-MONTHLY-ONLY",
                            f"指标{ind.id}“{ind.name}”只报了本月完成数，累计数按上月累计加本月计算",
                            dept,
                            o.source_file,
                            o.source_sheet,
                            o.source_cell,
                            ind.id,
                        )
                    )
        reason = _reason(result, dept)
        # an unreadable file has its own error: the indicators are listed for the record
        severity: Severity = "warning" if result.readable else "info"
        for ind in targets.indicators_of(dept):
            if ind.lead_department != dept or ind.id in given or (dept, ind.id) in said:
                continue
            out.append(
                Issue(
                    severity,
                    "W-INDICATOR-MISSING" if result.readable else "I-INDICATOR-MISSING",
                    f"指标{ind.id}“{ind.name}”在报送文件中没有找到数据：{reason}",
                    dept,
                    result.source.name,
                    indicator_id=ind.id,
                )
            )
    return out
