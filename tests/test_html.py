"""The HTML report without a browser: escaping, the 公示版, overrides, template errors, bytes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from factories import make_report
from markupsafe import escape

from pipeline.errors import ConfigError
from pipeline.render.html import BOTTOM, LEFT, RIGHT, TOP, html_names, trend_charts, write_html
from pipeline.render.jinja import cjk_date, cjk_month, make_env, num, pct, render_template
from pipeline.report import Report
from pipeline.workspace import BUILTIN_TEMPLATES

FULL = "黟县2022年民生实事进展情况（2022-06）.html"
PUBLIC = "黟县2022年民生实事进展情况（2022-06）公示版.html"


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def pages(report: Report, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("html")
    write_html(report, out, [BUILTIN_TEMPLATES])
    return {
        "full": (out / FULL).read_text(encoding="utf-8"),
        "public": (out / PUBLIC).read_text(encoding="utf-8"),
    }


def own_templates(tmp_path: Path, **files: str) -> list[Path]:
    """A workspace ``templates/`` holding ``files`` (name → text), ahead of the built-in ones."""
    own = tmp_path / "templates"
    own.mkdir()
    for name, text in files.items():
        (own / name).write_text(text, encoding="utf-8")
    return [own, BUILTIN_TEMPLATES]


def test_writes_the_report_and_its_public_variant(report: Report, tmp_path: Path) -> None:
    """Two files with the agreed names, nothing else left behind (no temporary files)."""
    names = write_html(report, tmp_path, [BUILTIN_TEMPLATES])
    assert names == [FULL, PUBLIC] == list(html_names(report))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_department_text_is_escaped(pages: dict[str, str]) -> None:
    """Department text is data: a <script> or <b> in it is shown, never interpreted."""
    full = pages["full"]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;开展宣传" in full
    assert "&lt;b&gt;县妇联&lt;/b&gt;报送的数与县卫健委不一致" in full
    for page in pages.values():
        assert "<script" not in page.lower()
        assert "<b>" not in page


def test_report_has_every_section(pages: dict[str, str], report: Report) -> None:
    """The full report shows headline, tasks, lagging reasons, indicators, trend, submissions
    and data issues, in Chinese, as a zh-CN document."""
    full = pages["full"]
    assert full.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    for section in ("overview", "tasks", "lagging", "indicators", "trend", "submissions", "issues"):
        assert f'id="{section}"' in full
    assert "<title>黟县2022年民生实事进展情况（截至6月底）</title>" in full
    assert "68.8%" in full  # reporting rate 11 of 16
    assert full.count('class="task"') == len(report.tasks) == 20
    assert "雨季影响施工" in full and "加快施工进度，确保9月底前完工" in full
    assert "住建局6月进度.xlsx" in full  # the file of a data issue


def test_public_variant_leaves_out_internal_notes(pages: dict[str, str], report: Report) -> None:
    """公示版: progress only — no problems or reasons, no data issues, no files or cells,
    no reporting table, no reporting rate or department counts (it showed ``报送率 93.8 %
    应报16家，已报15家``)."""
    public = pages["public"]
    notes = [r.problem_text for r in report.indicators if r.problem_text]
    notes += [r.reason_text for r in report.indicators if r.reason_text]
    assert notes  # the factory has some
    for text in notes:
        assert str(escape(text)) not in public and text not in public
    for word in ("存在问题", "滞后原因", "数据问题", "单元格", "E-CELL-TEXT", ".xlsx", "收到时间"):
        assert word not in public, word
    assert 'id="issues"' not in public and 'id="submissions"' not in public
    for word in ("报送率", "应报", "已报", "68.8%", "有指标本期无数据"):
        assert word not in public, word
    assert "报送率" in pages["full"] and "68.8%" in pages["full"]  # the full report keeps it
    assert "实施进度公示" in public
    assert "部分路段已完工" in public  # 进展情况 is public


def test_workspace_template_overrides_the_builtin(report: Report, tmp_path: Path) -> None:
    """An office's own ``_cards.html`` replaces the built-in cards; the rest stays built-in."""
    dirs = own_templates(
        tmp_path, **{"_cards.html": '<p id="office-cards">共{{ report.headline.tasks }}项</p>\n'}
    )
    out = tmp_path / "out"
    write_html(report, out, dirs)
    html = (out / FULL).read_text(encoding="utf-8")
    assert '<p id="office-cards">共20项</p>' in html
    assert 'id="card-rate"' not in html
    assert 'id="tasks"' in html


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        ("<div>\n  本办\n{% if %}\n</div>\n", 3, "语法错误"),
        ("<div>\n{% if report %}\n</div>\n", 3, "没有闭合"),
        ("<div>\n{{ nonesuch }}\n</div>\n", 2, "变量“nonesuch”未定义"),
        ("<div>\n\n{{ report.headline.nonesuch }}</div>\n", 3, "nonesuch"),
    ],
)
def test_broken_template_is_a_config_error_naming_file_and_line(
    report: Report, tmp_path: Path, text: str, line: int, detail: str
) -> None:
    """A broken or undefined-variable office template stops with a clear Chinese message."""
    dirs = own_templates(tmp_path, **{"_cards.html": text})
    with pytest.raises(ConfigError) as info:
        write_html(report, tmp_path / "out", dirs)
    message = str(info.value)
    assert message.startswith(f"模板 _cards.html 第 {line} 行")
    assert detail in message
    assert str(dirs[0] / "_cards.html") in message


def test_broken_template_keeps_previous_outputs(report: Report, tmp_path: Path) -> None:
    """A failed render writes nothing: the last good report stays in place."""
    out = tmp_path / "out"
    write_html(report, out, [BUILTIN_TEMPLATES])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    dirs = own_templates(tmp_path, **{"report.html": "{% extends 'base.html' %}{% block x %}"})
    with pytest.raises(ConfigError, match=r"^模板 report\.html 第 1 行"):
        write_html(report, out, dirs)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_missing_template_is_a_config_error(tmp_path: Path) -> None:
    """A template included but found in no directory names itself and where it was looked for."""
    dirs = own_templates(tmp_path, **{"mail.html": "{% include '_nowhere.html' %}"})
    with pytest.raises(ConfigError, match=r"找不到模板 _nowhere\.html"):
        render_template(make_env(dirs), "mail.html")


def test_plain_text_templates_are_not_html_escaped(tmp_path: Path) -> None:
    """The same environment renders e-mail text: ``.txt`` is not escaped, anything else is."""
    dirs = own_templates(tmp_path, **{"body.txt": "{{ x }}\n", "body.html": "{{ x }}\n"})
    env = make_env(dirs)
    assert render_template(env, "body.txt", x="<b>&") == "<b>&\n"
    assert render_template(env, "body.html", x="<b>&") == "&lt;b&gt;&amp;\n"


def test_rendering_is_deterministic(report: Report, tmp_path: Path) -> None:
    """Same report, same bytes: nothing depends on the clock or the machine."""
    write_html(report, tmp_path / "a", [BUILTIN_TEMPLATES])
    write_html(make_report(), tmp_path / "b", [BUILTIN_TEMPLATES])
    for name in (FULL, PUBLIC):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_output_is_self_contained(pages: dict[str, str]) -> None:
    """No external font, stylesheet, script, image or link: the file works offline."""
    # The only URL is inside a department's text (a pasted =HYPERLINK formula), shown escaped.
    pasted = "=HYPERLINK(&#34;http://example.com&#34;,&#34;点击&#34;)"
    for page in pages.values():
        markup = page.replace(pasted, "")
        for banned in ("http://", "https://", "<link", "<script", "<img", "<iframe", "@import"):
            assert banned not in markup.lower(), banned
        assert "url(" not in markup and "src=" not in markup and "href=" not in markup
        assert "<style>" in markup and '<meta name="viewport"' in markup
        assert "@page { size: A4;" in markup


def test_trend_charts_one_per_indicator_with_two_months(
    pages: dict[str, str], report: Report
) -> None:
    """Small multiples for every indicator with figures for two months or more, and only those."""
    charts = trend_charts(report)
    expected = [r.indicator_id for r in report.trend if sum(v is not None for v in r.values) >= 2]
    assert [c.indicator_id for c in charts] == expected
    assert pages["full"].count("<svg") == len(charts) == pages["public"].count("<svg")


def test_quiet_month_says_so(report: Report, tmp_path: Path) -> None:
    """A month with nothing lagging, no data issues and one month of figures renders plain
    sentences in place of empty sections."""
    import dataclasses

    quiet = dataclasses.replace(report, lagging=(), issues=(), trend=(), trend_periods=("2022-06",))
    write_html(quiet, tmp_path, [BUILTIN_TEMPLATES])
    html = (tmp_path / FULL).read_text(encoding="utf-8")
    assert "本期没有进度滞后或未达标的指标。" in html
    assert "本期数据检查未发现问题。" in html
    assert "暂无走势图" in html and "<svg" not in html


def test_trend_chart_geometry() -> None:
    """Months spread over the width; 0 sits on the axis, the largest of figures and target on
    top; a missing month breaks the line."""
    import dataclasses

    from pipeline.report import TrendRow

    base = make_report()
    row = TrendRow("9.9", 9, "示例", "个", 10.0, (0.0, 5.0, None, 10.0))
    rpt = dataclasses.replace(
        base, trend=(row,), trend_periods=("2022-01", "2022-02", "2022-03", "2022-04")
    )
    (chart,) = trend_charts(rpt)
    assert [(p.x, p.y) for p in chart.points] == [
        (LEFT, BOTTOM),
        (round(LEFT + (RIGHT - LEFT) / 3, 1), (BOTTOM + TOP) / 2),
        (RIGHT, TOP),
    ]
    assert chart.target_y == TOP
    assert len(chart.lines) == 1  # the lone 4th month joins no line
    assert chart.last.value == 10.0


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (2.123, "2.123"),
        (1.79, "1.79"),
        (1500.0, "1,500"),
        (1500, "1,500"),
        (0.1 + 0.2, "0.3"),
        (94.1, "94.1"),
        (0.0, "0"),
        (-0.0, "0"),
        (1234567.5, "1,234,567.5"),
        (2.37, "2.37"),
        (100.0, "100"),
    ],
)
def test_num_filter(value: float | None, shown: str) -> None:
    """Figures as the office wrote them: no float noise, thousands separated."""
    assert num(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (0.456, "45.6%"), (0.6875, "68.8%"), (0.5, "50.0%"), (1.015789, "101.6%"),
     (0.0, "0.0%"), (0.188413, "18.8%"), (0.00049, "0.0%")],
)  # fmt: skip
def test_pct_filter(value: float | None, shown: str) -> None:
    """Shares as percentages with one decimal, halves rounded up as an office would."""
    assert pct(value) == shown


def test_date_filters() -> None:
    """Dates and periods the Chinese way."""
    assert cjk_date(dt.date(2022, 6, 30)) == "2022年6月30日"
    assert cjk_date(None) == "—"
    assert cjk_month("2022-06") == "6月"
    assert cjk_month("2022-11", with_year=True) == "2022年11月"


def test_status_chips_follow_the_models_lights(pages: dict[str, str], report: Report) -> None:
    """Each task's chip carries the colour the model gives its status."""
    chips = re.findall(r'<span class="chip chip-(\w+)">([^<]+)</span>', pages["full"])
    for task in report.tasks:
        assert (task.light, task.status) in chips


def test_task_lines_explain_their_status(pages: dict[str, str], report: Report) -> None:
    """Each task line carries its status with the indicator that drives it, and a completion
    figure that fits the task's kind: a task of milestones only shows how many are done, not
    ``0.0%`` beside 推进中."""
    tasks = pages["full"].split('id="tasks"', 1)[1].split("</section>", 1)[0]
    for t in report.tasks:
        assert str(escape(t.status_reason)) in tasks
    milestones_only = [
        t
        for t in report.tasks
        if all(
            report.indicators[[r.id for r in report.indicators].index(i)].kind == "milestone"
            for i in t.indicator_ids
        )
    ]
    assert milestones_only
    for t in milestones_only:
        line = tasks.split(f'<span class="task-no">{t.id}</span>', 1)[1].split("</li>", 1)[0]
        assert "0.0%" not in line and "个节点" in line


def test_public_variant_has_notice_period_and_hotline(report: Report, tmp_path: Path) -> None:
    """公示版 carries 公示期 and 监督电话 from minsheng.toml; the full report does not, and
    reminds the office when either is not set (the public page then simply omits it)."""
    import dataclasses

    from pipeline.config import load_config

    (tmp_path / "minsheng.toml").write_text(
        '"公示期" = "2022年7月15日至7月21日"\n"监督电话" = "0559-5123456"\n', encoding="utf-8"
    )
    cfg = load_config(tmp_path)
    assert (cfg.public_period, cfg.hotline) == ("2022年7月15日至7月21日", "0559-5123456")
    named = dataclasses.replace(report, public_period=cfg.public_period, hotline=cfg.hotline)
    out = tmp_path / "out"
    write_html(named, out, [BUILTIN_TEMPLATES])
    public = (out / PUBLIC).read_text(encoding="utf-8")
    full = (out / FULL).read_text(encoding="utf-8")
    assert "公示期：2022年7月15日至7月21日" in public and "监督电话：0559-5123456" in public
    assert "0559-5123456" not in full and "公示版尚未写明" not in full
    bare = tmp_path / "bare"
    write_html(dataclasses.replace(report, hotline=""), bare, [BUILTIN_TEMPLATES])
    assert "监督电话" not in (bare / PUBLIC).read_text(encoding="utf-8")
    assert "公示版尚未写明公示期和监督电话：请在 minsheng.toml 中填写" in (bare / FULL).read_text(
        encoding="utf-8"
    )


def test_default_config_lists_the_public_keys() -> None:
    """A new workspace's minsheng.toml has the two 公示版 keys to fill in, and reads back."""
    import tomllib

    from pipeline.config import DEFAULT_TOML

    data = tomllib.loads(DEFAULT_TOML)
    assert data["公示期"] == "" and data["监督电话"] == ""


def test_trend_chart_has_schedule_line_and_labels_beside_the_plot() -> None:
    """A count indicator's chart draws 序时 (target × m/12 by month); the last figure's and
    the target's labels sit right of the plotted area and apart from each other, even when
    the figure equals the target (they overlapped the data and each other)."""
    import dataclasses

    from pipeline.render.html import LABEL_GAP
    from pipeline.report import TrendRow

    base = make_report()
    row = TrendRow("9.9", 9, "示例", "个", 12.0, (4.0, 12.0), (5.0, 6.0))
    rpt = dataclasses.replace(base, trend=(row,), trend_periods=("2022-05", "2022-06"))
    (chart,) = trend_charts(rpt)
    # 0 at the bottom, 12 (the target, the largest) at the top: 5 and 6 in between
    span = BOTTOM - TOP
    assert chart.expected_line == (
        f"{float(LEFT)},{round(BOTTOM - 5 / 12 * span, 1)} "
        f"{float(RIGHT)},{round(BOTTOM - 6 / 12 * span, 1)}"
    )
    assert chart.label_x > max(p.x for p in chart.points) + 3
    assert chart.target_label_y is not None
    assert abs(chart.value_label_y - chart.target_label_y) >= LABEL_GAP
    road = next(t for t in base.trend if t.indicator_id == "1.1")
    assert road.expected == tuple(
        round(2.123 * round(int(p[5:]) / 12, 6), 6) for p in base.trend_periods
    )
    level = next(t for t in base.trend if t.indicator_id == "8.1")
    assert set(level.expected) == {None}
