"""序时进度, completion and status rules, and the roll-ups, as pure functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from pipeline.config import Config
from pipeline.model import Observation
from pipeline.progress import assess, expected_share, mean_completion, roll_up
from pipeline.targets import load_targets

TABLE = load_targets()
CFG = Config()


def ob(iid: str, value: float | None = None, state: str = "") -> Observation:
    return Observation("2022-06", TABLE.indicator(iid).lead_department, iid, value, state=state)


@pytest.mark.parametrize(
    ("period", "expected"), [("2022-01", 0.083333), ("2022-06", 0.5), ("2022-12", 1.0)]
)
def test_linear_schedule(period, expected):
    """A year-end count target is expected at m/12 by the end of month m."""
    assert expected_share(TABLE.indicator("18.1"), period) == expected


def test_monthly_plan_and_early_deadline():
    """A monthly plan overrides m/12; a June deadline is due in full by June."""
    plan = (0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    ind = replace(TABLE.indicator("18.1"), monthly_plan=plan)
    assert expected_share(ind, "2022-06") == 0.4
    early = replace(TABLE.indicator("18.1"), deadline=dt.date(2022, 6, 30))
    assert expected_share(early, "2022-03") == 0.5
    assert expected_share(early, "2022-08") == 1.0
    assert expected_share(TABLE.indicator("8.1"), "2022-06") is None  # levels have no schedule


@pytest.mark.parametrize(
    ("lag", "severe", "value", "status"),
    [(10, 30, 40, "滞后"), (20, 30, 40, "正常"), (5, 10, 40, "严重滞后")],
)
def test_thresholds_are_configurable(lag, severe, value, status):
    """The 滞后 / 严重滞后 gaps come from the config (40/110 = 36.4 % against 50 %)."""
    cfg = replace(CFG, lag_gap=lag, severe_gap=severe)
    assert assess(TABLE.indicator("18.1"), ob("18.1", value), "2022-06", cfg).status == status


def test_milestone_not_started_for_three_months():
    """未启动 is a state; three months of it is 严重滞后."""
    ind = TABLE.indicator("16.1")
    assert assess(ind, ob("16.1", state="未启动"), "2022-06", CFG, 2).status == "未启动"
    assert assess(ind, ob("16.1", state="未启动"), "2022-06", CFG, 3).status == "严重滞后"
    assert assess(ind, None, "2022-06", CFG).status == "未报送"


def test_task_roll_up_is_worst_status_and_mean_completion():
    """Task 2: worst indicator's status; completion the mean of its indicators (capped at 1)."""
    items = [
        assess(TABLE.indicator("2.1"), ob("2.1", 3), "2022-06", CFG),  # 100 %
        assess(TABLE.indicator("2.2"), ob("2.2", 0.179), "2022-06", CFG),  # 10 %
        assess(TABLE.indicator("2.3"), ob("2.3", 334), "2022-06", CFG),
    ]  # 200 % → 100 %
    task = next(t for t in roll_up(TABLE, items) if t.task_id == 2)
    assert (task.status, task.light, task.completion, task.expected) == (
        "严重滞后",
        "red",
        0.7,
        0.5,
    )


def test_milestone_only_task_completion():
    """A task of milestones only has no percentage (0 % beside 推进中 reads as a failure):
    its line counts the milestones completed instead."""
    from pipeline.report import completion_text

    items = [
        assess(TABLE.indicator("17.1"), ob("17.1", state="已完成"), "2022-06", CFG),
        assess(TABLE.indicator("17.2"), ob("17.2", state="推进中"), "2022-06", CFG),
    ]
    assert mean_completion(items) is None
    task = next(t for t in roll_up(TABLE, items) if t.task_id == 17)
    assert (task.completion, completion_text(task), task.status) == (
        None,
        "已完成 1/2 个节点",
        "推进中",
    )


def test_task_completion_is_its_count_indicators_against_schedule():
    """Task 1 (two counts, five levels, two milestones): the figure beside 序时 is the mean
    of the counts (56.5 % and 18.8 % → 37.7 %), not inflated by levels met (it read 82.2 %
    — ahead of 序时 — next to 严重滞后); the status says which indicator drives it."""
    from pipeline.report import completion_text, status_reason

    values = {"1.1": 1.2, "1.2": 0.4, "1.3": 100, "1.4": 5.2, "1.5": 86.3, "1.6": 100, "1.7": 61}
    items = [assess(TABLE.indicator(i), ob(i, v), "2022-06", CFG) for i, v in values.items()]
    items += [
        assess(TABLE.indicator("1.8"), ob("1.8", state="已完成"), "2022-06", CFG),
        assess(TABLE.indicator("1.9"), ob("1.9", state="推进中"), "2022-06", CFG),
    ]
    task = next(t for t in roll_up(TABLE, items) if t.task_id == 1)
    assert (completion_text(task), task.expected, task.status) == ("37.7%", 0.5, "严重滞后")
    assert status_reason(task) == "严重滞后：1.2 农村公路提质改造当年完工 完成 18.8%，序时 50.0%"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        # 15.1 done, 15.2 not started: 50 % on average is 序时, yet one half has not begun
        ({"15.1": 1, "15.2": 0}, "严重滞后：15.2 建设农村助餐点 完成 0.0%，序时 50.0%"),
        ({"15.1": 1, "15.2": 1}, "已完成：各项指标均已完成或达标"),
        ({"15.1": 0.6}, "未报送：15.2 建设农村助餐点 本期无数据"),
    ],
)
def test_status_reason_names_the_indicator(values, reason):
    """A task's status comes with the indicator that drives it and its figures."""
    from pipeline.report import status_reason

    items = [assess(TABLE.indicator(i), ob(i, v), "2022-06", CFG) for i, v in values.items()]
    items += [
        assess(TABLE.indicator(i), None, "2022-06", CFG)
        for i in ("15.1", "15.2")
        if i not in values
    ]
    task = next(t for t in roll_up(TABLE, items) if t.task_id == 15)
    assert status_reason(task) == reason


def test_level_task_reason_gives_value_and_target():
    """A level indicator below its standard: the reason shows the value and the target."""
    from pipeline.report import completion_text, status_reason

    values = {"7.1": 1100, "7.2": 1510, "7.3": 61, "7.4": 58}
    items = [assess(TABLE.indicator(i), ob(i, v), "2022-06", CFG) for i, v in values.items()]
    items.append(assess(TABLE.indicator("7.5"), ob("7.5", state="推进中"), "2022-06", CFG))
    task = next(t for t in roll_up(TABLE, items) if t.task_id == 7)
    assert completion_text(task) == "达标 3/4 项，已完成 0/1 个节点"
    assert (
        status_reason(task) == "未达标：7.4 农村失能、半失能特困人员集中供养率 现值 58%，目标 ≥60%"
    )


def test_department_summary_in_report():
    """The report's per-department rows count done, behind and unreported lead indicators."""
    from factories import make_report

    report = make_report()
    road = next(d for d in report.departments if d.name == "县交通运输局")
    assert (road.indicators, road.done, road.behind, road.not_reported) == (9, 2, 1, 5)
    assert road.submission == "按时报送"
    disabled = next(d for d in report.departments if d.name == "县残联")
    assert (disabled.submission, disabled.not_reported) == ("未报送", 3)
