"""Checks that need last month, the target or the schedule; and the cumulative a department
that sends only 本月完成 implies.

Each check is a small function ``check(ctx) -> list[Issue]`` or a value step; a value that is
certainly wrong is dropped (a blank with a reason beats a wrong number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.config import Config
from pipeline.model import Indicator, Issue, Observation, Severity, TargetTable
from pipeline.progress import level_met, month_of
from pipeline.targets import format_number

_TOL = 1e-6


@dataclass(frozen=True)
class Checked:
    observations: tuple[Observation, ...]
    issues: tuple[Issue, ...]
    not_started: dict[
        str, int
    ]  # indicator id → months in a row at zero / 未启动, this one included


def _issue(obs: Observation, ind: Indicator, severity: Severity, code: str, msg: str) -> Issue:
    return Issue(
        severity,
        code,
        f"指标{ind.id}“{ind.name}”：{msg}",
        obs.department,
        obs.source_file,
        obs.source_sheet,
        obs.source_cell,
        ind.id,
    )


def _n(x: float | None, ind: Indicator) -> str:
    return f"{format_number(x)}{ind.unit}"


def derive_cumulative(
    obs: Observation, ind: Indicator, prev: Observation | None, period: str
) -> tuple[Observation, list[Issue]]:
    """本月完成 only → last month's cumulative + this month; both given → they must agree."""
    if ind.kind != "count" or obs.monthly_value is None:
        return obs, []
    prev_value = prev.value if prev else None
    if obs.value is None:
        if prev_value is not None:
            return replace(obs, value=round(prev_value + obs.monthly_value, 10)), []
        if month_of(period) == 1:
            return replace(obs, value=obs.monthly_value), []
        return obs, [
            _issue(
                obs,
                ind,
                "warning",
                "W-NO-PREVIOUS",
                "只填写了本月完成数，缺少上月累计数，无法推算累计完成，请填写累计完成",
            )
        ]
    if prev_value is not None and abs(prev_value + obs.monthly_value - obs.value) > _TOL * max(
        1.0, abs(obs.value)
    ):
        return obs, [
            _issue(
                obs,
                ind,
                "warning",
                "W-CUM-MISMATCH",
                f"上月累计{_n(prev_value, ind)}加本月完成{_n(obs.monthly_value, ind)}"
                f"不等于本月累计{_n(obs.value, ind)}，以累计数为准，请核对",
            )
        ]
    return obs, []


def check_value(
    obs: Observation, ind: Indicator, prev: Observation | None, config: Config
) -> tuple[Observation, list[Issue]]:
    """Range and history checks; a value that must not be used is blanked, its text kept."""
    v = obs.value
    issues: list[Issue] = []
    if v is None:
        return obs, issues
    if v < 0 or (obs.monthly_value is not None and obs.monthly_value < 0):
        return _blank(obs), [
            _issue(
                obs,
                ind,
                "error",
                "E-NEGATIVE",
                f"完成数为负数（{format_number(v)}），未采用，请核实",
            )
        ]
    if ind.unit == "%" and v > 100:
        return _blank(obs), [
            _issue(
                obs,
                ind,
                "error",
                "E-RATE-RANGE",
                f"比率{format_number(v)}%超出0–100%，未采用，请核实",
            )
        ]
    # a count three times its target is likely a unit slip (平方米 for 万平方米); a standard or
    # a ratio (元/人·月, 千人口托位数) five times its target is another figure (a total)
    limit, what, why = (
        (3, "累计完成", "单位填错（如把平方米当作万平方米）")
        if ind.kind == "count"
        else (5, "填报数", "填的是其他数（如总数而非比值）")
    )
    checked = ind.kind == "count" or (ind.kind == "level" and ind.unit != "%")
    if checked and ind.target and v > ind.target * limit:
        msg = (
            f"{what}{_n(v, ind)}超过目标{_n(ind.target, ind)}的{limit}倍，疑似{why}，未采用，请核实"
        )
        return _blank(obs), [_issue(obs, ind, "error", "E-OVER-TARGET", msg)]
    prev_value = prev.value if prev else None
    if ind.kind == "count" and prev_value is not None:
        if v < prev_value - _TOL:
            issues.append(
                _issue(
                    obs,
                    ind,
                    "warning",
                    "W-CUM-FALLS",
                    f"累计完成{_n(v, ind)}比上月累计{_n(prev_value, ind)}还少，请核实",
                )
            )
        elif prev_value > 0 and v > prev_value * config.jump_factor:
            issues.append(
                _issue(
                    obs,
                    ind,
                    "warning",
                    "W-JUMP",
                    f"累计完成从上月的{_n(prev_value, ind)}跃升到{_n(v, ind)}"
                    f"（超过{format_number(config.jump_factor)}倍），请核实",
                )
            )
    if ind.kind == "level" and ind.target is not None and not level_met(ind, v):
        sign = {">=": "不低于", ">": "高于", "<=": "不高于", "=": "等于"}[ind.comparator]
        issues.append(
            _issue(
                obs,
                ind,
                "warning",
                "W-LEVEL-NOT-MET",
                f"当前{_n(v, ind)}，未达到目标（{sign}{_n(ind.target, ind)}）",
            )
        )
    return obs, issues


def _blank(obs: Observation) -> Observation:
    return replace(obs, value=None, monthly_value=None)


def months_not_started(obs: Observation | None, history: Sequence[Observation]) -> int:
    """Months in a row (this one included) at zero or 未启动."""

    def idle(o: Observation | None) -> bool:
        return o is not None and (o.state == "未启动" or (o.value == 0 and not o.state))

    if not idle(obs):
        return 0
    count = 1
    for o in reversed(history):
        if not idle(o):
            break
        count += 1
    return count


def check_period(
    period: str,
    observations: Sequence[Observation],
    history: Sequence[Observation],
    targets: TargetTable,
    config: Config,
) -> Checked:
    """Derive cumulatives and run every value check against the same year's earlier months."""
    year = period[:4]
    earlier: dict[str, list[Observation]] = {}
    for o in history:
        if o.period < period and o.period[:4] == year:
            earlier.setdefault(o.indicator_id, []).append(o)
    out: list[Observation] = []
    issues: list[Issue] = []
    not_started: dict[str, int] = {}
    for obs in observations:
        ind = targets.indicator(obs.indicator_id)
        past = sorted(earlier.get(ind.id, []), key=lambda o: o.period)
        prev = next((o for o in reversed(past) if o.value is not None), None)
        obs, found = derive_cumulative(obs, ind, prev, period)
        issues += found
        obs, found = check_value(obs, ind, prev, config)
        issues += found
        out.append(obs)
        not_started[ind.id] = months_not_started(obs, past)
    return Checked(tuple(out), tuple(issues), not_started)
