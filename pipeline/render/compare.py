"""The county comparison of a multi-county run: a workbook and an HTML page."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import jinja2
from xlsxwriter.workbook import Workbook

from pipeline.counties import Comparison
from pipeline.render._xlsx_layout import Col, Styles, page_setup, write_table, write_title
from pipeline.render.workbook import _options

PAGE = "compare.html"


def write_comparison(
    c: Comparison, out: Path, template_dirs: Sequence[Path], env: jinja2.Environment | None = None
) -> list[str]:
    """Write the comparison workbook and HTML page into ``out``; return their names. ``env``:
    what :func:`prepare` made for this run (else it is made here)."""
    _workbook(c, out / c.workbook_name)
    _html(c, out / c.html_name, env or prepare(template_dirs))
    return [c.workbook_name, c.html_name]


def _workbook(c: Comparison, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    wb = Workbook(str(tmp), _options())
    year, month = int(c.period[:4]), int(c.period[5:7])
    wb.set_properties(
        {"title": c.title, "author": "minsheng", "created": dt.datetime(year, month, 1)}
    )
    st = Styles(wb)

    ranking = wb.add_worksheet("县区排名")
    cols = [
        Col("名次", "center", 5, 6),
        Col("县区", "text", 8, 16),
        Col("平均完成进度", "pct", 10),
        Col("已完成任务", "num", 8),
        Col("滞后任务", "num", 8),
        Col("未报送任务", "num", 8),
        Col("报送率", "pct", 8),
        Col("已报送单位", "num", 8),
        Col("应报送单位", "num", 8),
        Col("按时报送", "num", 8),
        Col("数据错误", "num", 8),
    ]
    write_title(ranking, st, 0, len(cols), c.title)
    rows = [
        [
            r.rank,
            r.county,
            r.completion,
            r.tasks_done,
            r.tasks_behind,
            r.tasks_not_reported,
            r.reporting_rate,
            r.departments_submitted,
            r.departments_expected,
            r.departments_on_time,
            r.errors,
        ]
        for r in c.rows
    ]
    last = write_table(ranking, st, 2, cols, rows, freeze_cols=2)
    if c.rows:
        ranking.conditional_format(
            3, 2, last, 2, {"type": "data_bar", "bar_color": "#5B9BD5", "bar_solid": True}
        )
    if c.unread:  # counties not summarised: named under the ranking, with the reason
        ranking.write(last + 2, 0, "未汇总的县区", st.get(bold=True))
        note = st.get(text_wrap=True, valign="top", border=1)
        for n, (county, why) in enumerate(c.unread, start=last + 3):
            ranking.write(n, 1, county, note)
            ranking.merge_range(n, 2, n, len(cols) - 1, why, note)
            ranking.set_row(n, 45)
    page_setup(ranking)

    matrix = wb.add_worksheet("任务完成度")
    mcols = [
        Col("县区", "text", 8, 16),
        *(Col(f"{i}. {n}", "pct", 7, 12) for i, n in zip(c.task_ids, c.task_names, strict=True)),
    ]
    write_title(matrix, st, 0, len(mcols), f"{c.title}——各项任务完成进度")
    last = write_table(
        matrix, st, 2, mcols, [[r.county, *r.task_completion] for r in c.rows], freeze_cols=1
    )
    matrix.set_row(
        2,
        60,
        st.get(
            bold=True,
            align="center",
            valign="vcenter",
            text_wrap=True,
            border=1,
            bg_color="#DDEBF7",
        ),
    )
    if c.rows:
        matrix.conditional_format(
            3,
            1,
            last,
            len(mcols) - 1,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 0,
                "min_color": "#F8696B",
                "mid_type": "num",
                "mid_value": 0.5,
                "mid_color": "#FFEB84",
                "max_type": "num",
                "max_value": 1,
                "max_color": "#63BE7B",
            },
        )
    page_setup(matrix)
    for ws in (ranking, matrix):
        ws.set_default_row(18)
    wb.close()
    os.replace(tmp, path)


def prepare(template_dirs: Sequence[Path]) -> jinja2.Environment:
    """The page's environment with its template compiled ahead (a city run makes it while its
    workers read, for this run only); a template that does not compile is reported when the
    page is rendered."""
    from pipeline.render.jinja import make_env

    env = make_env(template_dirs)
    with contextlib.suppress(Exception):
        env.get_template(PAGE)
    return env


def _html(c: Comparison, path: Path, env: jinja2.Environment) -> None:
    from pipeline.render.jinja import render_template

    text = render_template(env, PAGE, report=c)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
