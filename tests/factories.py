"""A realistic report model made without reading any file, for renderer tests."""

from __future__ import annotations

import datetime as dt

from pipeline import __version__
from pipeline.config import Config
from pipeline.model import Issue, Observation
from pipeline.progress import assess, roll_up
from pipeline.report import Report, build_report
from pipeline.targets import load_targets

# indicator id → (cumulative value or milestone state, monthly value, 进展情况, 存在问题, 滞后原因)
JUNE: dict[str, tuple[object, float | None, str, str, str]] = {
    "1.1": (1.2, 0.3, "完成路基和水稳层施工", "", ""),
    "1.2": (0.4, 0.1, "部分路段已完工", "雨季影响施工", "加快施工进度，确保9月底前完工"),
    "1.3": (100, None, "", "", ""),
    "1.8": ("已完成", None, "三级路长制已建立", "", ""),
    "2.1": (0, 0, "正在办理前期手续", "资金未到位", "积极争取上级资金"),
    "2.2": (0.52, 0.12, "", "", ""),
    "2.3": (80, 20, "", "", ""),
    "4.4": (94.1, None, "", "", ""),
    "5.1": (44, 8, "组织招聘会44场次", "", ""),
    "5.2": (372, 60, "", "", ""),
    "6.2": (900, 150, "筛查有序推进", "", ""),
    "7.1": (1100, None, "", "", ""),
    "8.1": (96.5, None, "", "", ""),
    "18.1": (55, 10, "", "", ""),
    "19.1": (101, 0, "全部完成", "", ""),
    "19.2": (2.37, 0, "", "", ""),
    "12.1": (1, 0, "", "", '=HYPERLINK("http://example.com","点击")'),
    "17.1": ("推进中", None, "<script>alert('x')</script>开展宣传", "", ""),
}
DEPARTMENT_OF = {"6.2": "县卫健委"}


def make_observations(
    period: str = "2022-06",
    values: dict[str, tuple[object, float | None, str, str, str]] | None = None,
) -> list[Observation]:
    table = load_targets()
    out = []
    for iid, (value, monthly, progress, problem, reason) in (values or JUNE).items():
        ind = table.indicator(iid)
        state = value if isinstance(value, str) else ""
        number = None if isinstance(value, str) else float(value)  # type: ignore[arg-type]
        out.append(
            Observation(
                period,
                DEPARTMENT_OF.get(iid, ind.lead_department),
                iid,
                number,
                monthly,
                state,
                progress,
                problem,
                reason,
                f"{ind.lead_department}6月.xlsx",
                "进度表",
                "F5",
            )
        )
    return out


def make_report(period: str = "2022-06") -> Report:
    """June for a handful of departments, May in the history, some issues and submissions."""
    table = load_targets()
    cfg = Config()
    june = make_observations(period)
    may = [
        Observation(
            "2022-05",
            o.department,
            o.indicator_id,
            None if o.value is None else round(o.value * 0.8, 6),
            None,
            o.state,
        )
        for o in june
    ]
    by_id = {o.indicator_id: o for o in june}
    progress = [assess(i, by_id.get(i.id), period, cfg) for i in table.indicators]
    tasks = roll_up(table, progress)
    received = dt.datetime(2022, 7, 4, 9, 30)
    reported = sorted({o.department for o in june})
    submissions = [(d, "on_time", f"{d}6月.xlsx", received) for d in reported]
    submissions.append(
        ("县住房和城乡建设局", "superseded", "住建局6月进度.xlsx", dt.datetime(2022, 7, 3, 16, 0))
    )
    submissions.append(("县司法局", "late", "司法局6月.xlsx", dt.datetime(2022, 7, 8, 10, 0)))
    for d in table.departments:
        if d.name not in reported and d.name != "县司法局":
            submissions.append((d.name, "missing", "", None))
    issues = [
        Issue(
            "error",
            "E-CELL-TEXT",
            "指标2.3“改造涉及住户”：单元格内容“待统计”不是数字，请填写数字",
            "县住房和城乡建设局",
            "住建局6月进度.xlsx",
            "进度表",
            "F7",
            "2.3",
        ),
        Issue("warning", "W-SUBMISSION-MISSING", "县民政局本期未报送", "县民政局"),
        Issue(
            "warning",
            "W-COUNIT-DIFFERS",
            "<b>县妇联</b>报送的数与县卫健委不一致",
            "县妇联",
            "妇联6月.xlsx",
            "Sheet1",
            "E6",
            "6.2",
        ),
    ]
    return build_report(
        county="黟县",
        year=2022,
        period=period,
        targets=table,
        indicators=progress,
        tasks=tasks,
        submissions=submissions,
        issues=issues,
        history=may + june,
        version=__version__,
    )
