"""The HTML report and its public variant (公示版): one self-contained file each.

The templates receive the report model as it is; the only thing prepared here is presentation
geometry — where each month's figure sits in a small trend chart.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError, describe_os_error
from pipeline.render.jinja import make_env, render_template
from pipeline.report import Report, TrendRow

TEMPLATE = "report.html"

# Trend chart canvas (SVG user units; the chart scales to its box). The figures are drawn
# between LEFT and RIGHT; the labels (the last month's figure, the target) sit in a gutter to
# the right of it, so they never cover a point or a line.
WIDTH, HEIGHT = 300, 124
LEFT, RIGHT, TOP, BOTTOM = 10, 222, 14, 100
LABEL_X = RIGHT + 8
LABEL_GAP = 17  # least distance between the baselines of two gutter labels (font-size 10–11)


def html_names(report: Report) -> tuple[str, str]:
    """File names of the full report and of the public variant."""
    stem = f"{report.county}{report.year}年民生实事进展情况（{report.period}）"
    return f"{stem}.html", f"{stem}公示版.html"


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    period: str
    value: float


@dataclass(frozen=True)
class Chart:
    """A month-by-month small multiple for one indicator, in SVG coordinates."""

    indicator_id: str
    task_id: int
    name: str
    unit: str
    target: float | None
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    lines: tuple[str, ...]  # SVG ``points`` of each unbroken run of months
    points: tuple[ChartPoint, ...]
    ticks: tuple[tuple[float, str], ...]  # x, period
    target_y: float | None
    last: ChartPoint
    expected_line: str = ""  # SVG ``points`` of 序时 (the figure expected by each month)
    label_x: float = LABEL_X
    value_label_y: float = 0.0  # baselines of the gutter labels, kept LABEL_GAP apart
    target_label_y: float | None = None


def trend_charts(report: Report) -> tuple[Chart, ...]:
    """Charts for the indicators with figures for at least two months."""
    return tuple(
        chart for row in report.trend if (chart := _chart(row, report.trend_periods)) is not None
    )


def _chart(row: TrendRow, periods: Sequence[str]) -> Chart | None:
    present = [v for v in row.values if v is not None]
    if len(present) < 2 or len(periods) < 2:
        return None
    expected = list(row.expected)
    scale = [*present, *([row.target] if row.target is not None else [])]
    scale += [v for v in expected if v is not None]
    high, low = max(max(scale), 0.0), min(min(scale), 0.0)
    span = (high - low) or 1.0

    def x_of(i: int) -> float:
        return round(LEFT + i * (RIGHT - LEFT) / (len(periods) - 1), 1)

    def y_of(v: float) -> float:
        return round(BOTTOM - (v - low) / span * (BOTTOM - TOP), 1)

    points: list[ChartPoint] = []
    lines: list[str] = []
    run: list[str] = []
    for i, (period, value) in enumerate(zip(periods, row.values, strict=True)):
        if value is None:
            if len(run) > 1:
                lines.append(" ".join(run))
            run = []
            continue
        p = ChartPoint(x_of(i), y_of(value), period, value)
        points.append(p)
        run.append(f"{p.x},{p.y}")
    if len(run) > 1:
        lines.append(" ".join(run))
    plan = [f"{x_of(i)},{y_of(v)}" for i, v in enumerate(expected) if v is not None]
    target_y = None if row.target is None else y_of(row.target)
    value_y, target_label_y = _gutter_labels(points[-1].y, target_y)
    return Chart(
        indicator_id=row.indicator_id,
        task_id=row.task_id,
        name=row.name,
        unit=row.unit,
        target=row.target,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        lines=tuple(lines),
        points=tuple(points),
        ticks=tuple((x_of(i), p) for i, p in enumerate(periods)),
        target_y=target_y,
        last=points[-1],
        expected_line=" ".join(plan) if len(plan) > 1 else "",
        value_label_y=value_y,
        target_label_y=target_label_y,
    )


def _gutter_labels(value_y: float, target_y: float | None) -> tuple[float, float | None]:
    """Baselines for the last figure's label and the target's, beside their lines (text
    centred on them: baseline 4 below), pushed apart when they would touch, within the
    chart."""
    top, bottom = TOP + 4, BOTTOM + 4
    v = value_y + 4
    if target_y is None:
        return round(min(max(v, top), bottom), 1), None
    t = target_y + 4
    if abs(v - t) < LABEL_GAP:
        middle = (v + t) / 2
        upper, lower = middle - LABEL_GAP / 2, middle + LABEL_GAP / 2
        if lower > bottom:
            upper, lower = bottom - LABEL_GAP, bottom
        if upper < top:
            upper, lower = top, top + LABEL_GAP
        # the target is never below the last figure's label when it is the higher line
        v, t = (lower, upper) if target_y <= value_y else (upper, lower)
    return round(min(max(v, top), bottom), 1), round(min(max(t, top), bottom), 1)


def write_html(report: Report, out_dir: Path, template_dirs: Sequence[Path]) -> list[str]:
    """Write the full report and the 公示版 into ``out_dir``; return their file names.

    Both are rendered before either is written, and each is written to a temporary file and
    renamed, so a broken template leaves whatever was there before.
    """
    env = make_env(template_dirs)
    charts = trend_charts(report)
    names = html_names(report)
    pages = [
        render_template(env, TEMPLATE, report=report, charts=charts, public=public)
        for public in (False, True)
    ]
    for name, text in zip(names, pages, strict=True):
        _write_atomic(out_dir / name, text.encode("utf-8"))
    return list(names)


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # open() rather than mkstemp(): the report gets the usual permissions, not 0600
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"无法写入报告 {path}：{describe_os_error(exc)}") from exc
