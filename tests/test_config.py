"""Workspace configuration: defaults, the office's own values, and clear errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import DEFAULT_TOML, load_config
from pipeline.errors import ConfigError
from pipeline.workspace import open_workspace


def test_defaults_without_a_file(tmp_path):
    """No minsheng.toml: the demo's defaults (黟县 2022, deadline the 5th, gaps 10/30)."""
    cfg = load_config(tmp_path)
    assert (cfg.county, cfg.year, cfg.deadline_day, cfg.lag_gap, cfg.severe_gap) == (
        "黟县",
        2022,
        5,
        10.0,
        30.0,
    )


def test_default_file_round_trips(tmp_path):
    """The file `init` writes loads to the defaults."""
    (tmp_path / "minsheng.toml").write_text(DEFAULT_TOML, encoding="utf-8")
    cfg = load_config(tmp_path)
    assert cfg == load_config(tmp_path / "empty").__class__(workspace=str(tmp_path))
    assert cfg.smtp.password_env == "MINSHENG_SMTP_PASSWORD" and cfg.leaders == ()


def test_office_values(tmp_path):
    """An office's own county, thresholds, recipients and relative targets path are taken."""
    (tmp_path / "minsheng.toml").write_text(
        'county = "歙县"\nyear = 2023\ntargets = "t.xlsx"\ndeadline_day = 8\n'
        '[status]\nlag_gap = 5\n[recipients]\nleaders = ["a@x.cn"]\n'
        '[recipients.departments]\n"县司法局" = "sfj@x.cn"\n[smtp]\nport = 465\n'
        'security = "ssl"\n',
        encoding="utf-8",
    )
    cfg = load_config(tmp_path)
    assert (cfg.county, cfg.year, cfg.deadline_day, cfg.lag_gap) == ("歙县", 2023, 8, 5.0)
    assert cfg.targets == str((tmp_path / "t.xlsx").resolve())
    assert cfg.leaders == ("a@x.cn",) and cfg.department_emails == {"县司法局": "sfj@x.cn"}
    assert (cfg.smtp.port, cfg.smtp.security) == (465, "ssl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('year = "2022"\n', "第 1 行 “year”应为整数，实际为文本“2022”"),
        ("deadline_day = 31\n", "第 1 行 “deadline_day”应在 1 到 28 之间，实际为 31"),
        ('[smtp]\nsecurity = "tls"\n', "第 2 行 “smtp.security”应为 none、starttls 或 ssl"),
        ("county = \n", "格式错误：第 1 行第 10 列：取值写法不对"),
        ("county = 黟县\n", "取值写法不对（文字要加英文双引号"),  # #18: no English from tomllib
        ('county = "黟县" year = 2022\n', "一行只能写一项设置"),
        # issue #18: mistyped keys, values out of range or contradicting each other
        (
            "deadline_days = 5\n",
            "第 1 行 “deadline_days”不是可用的设置项，是否应为“deadline_day”？",
        ),
        (
            "[status]\nlag_gapp = 10\n",
            "第 2 行 “status.lag_gapp”不是可用的设置项，是否应为“lag_gap”？",
        ),
        (
            "[status]\nlag_gap = 50\nsevere_gap = 30\n",
            "第 2 行 “status.lag_gap”（lag_gap = 50）应小于 severe_gap（30）",
        ),
        ("[status]\nlag_gap = 40\n", "（lag_gap = 40）应小于 severe_gap（30）"),
        ("[status]\nlag_gap = -5\n", "第 2 行 “status.lag_gap”应在 0 到 100 之间，实际为 -5"),
        ("[status]\njump_factor = 0\n", "“status.jump_factor”应大于 1 且不超过 1000，实际为 0"),
        ("[status]\njump_factor = nan\n", "“status.jump_factor”应为有限的数字，实际为 nan"),
        ("lag_gap = 5\n", "第 1 行 “lag_gap”应写在 [status] 下"),
        ("colour = 5\n", "“colour”不是可用的设置项（顶层可用：county、year、targets、"),
        # issue #19.6: values of the wrong shape
        ('smtp = "x"\n', "第 1 行 “smtp”应为一节设置（[节名] 下的若干行），实际为文本“x”"),
        (
            "recipients = []\n",
            "第 1 行 “recipients”应为一节设置（[节名] 下的若干行），实际为列表 []",
        ),
        ("[recipients]\nleaders = [1]\n", "第 2 行 “recipients.leaders”应为文本的列表"),
        ('[recipients]\nleaders = "a@b.cn"\n', "“recipients.leaders”应为文本的列表"),
        ('[recipients.departments]\n"县司法局" = 1\n', "“县司法局”的邮箱应为文本"),
        ("[smtp]\nport = 70000\n", "“smtp.port”应在 1 到 65535 之间，实际为 70000"),
        ("[smtp]\nport = true\n", "“smtp.port”应为整数，实际为是/否值 true"),
        ('[smtp]\nsender = "msb"\n', "“smtp.sender”格式不正确：“msb”"),
        ('county = ""\n', "“county”不能为空"),
        ('targets = "a\\u0000b"\n', "“targets”格式不正确"),
    ],
)
def test_bad_config_is_named(tmp_path, text, message):
    """A wrong value, a mistyped or misplaced key, or values that contradict each other are
    refused with the key and its line named and what is allowed, in Chinese."""
    (tmp_path / "minsheng.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert message in str(caught.value)


def test_every_problem_is_listed_in_line_order(tmp_path):
    """Several problems at once are all listed, each with its line, in the file's order."""
    (tmp_path / "minsheng.toml").write_text(
        'deadline_days = 5\nsmtp = "x"\n[status]\nlag_gap = -5\njump_factor = 0\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    lines = str(caught.value).split("\n")
    assert lines[0] == f"配置文件 {tmp_path / 'minsheng.toml'} 有 4 处问题，请修改后重试："
    assert [line.split("“")[0].strip() for line in lines[1:]] == [
        "第 1 行",
        "第 2 行",
        "第 4 行",
        "第 5 行",
    ]


def test_a_recipient_that_is_no_department_is_named(tmp_path):
    """Issue #18: a `[recipients.departments]` key must be a department's full name: an alias
    is told its full name, anything else the nearest name and the list of departments."""
    (tmp_path / "minsheng.toml").write_text(
        '[recipients.departments]\n"交通运输局" = "a@x.cn"\n"县司法所" = "b@x.cn"\n'
        '"县司法局" = "c@x.cn"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        open_workspace(tmp_path)
    text = str(caught.value)
    assert (
        "第 2 行 “recipients.departments.交通运输局”应写目标任务分解表中的全称“县交通运输局”"
        in text
    )
    assert "第 3 行 “recipients.departments.县司法所”不是目标任务分解表中的责任单位，" in text
    assert "是否应为“县司法局”" in text
    assert "（可用：县交通运输局、" in text and "县司法局”" not in text.split("\n")[-1][:20]


@pytest.mark.parametrize(
    "text",
    [
        'smtp = "x"\n',
        "recipients = []\n",
        "[recipients]\nleaders = [1]\n",
        "[status]\nlag_gap = 50\n",
    ],
)
def test_commands_say_what_is_wrong_without_a_traceback(tmp_path, text):
    """Issue #19.6: every command that opens the workspace stops with exit 1 and the
    Chinese message — `run`, `email` and the readers alike; never a traceback."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    (tmp_path / "minsheng.toml").write_text(text, encoding="utf-8")
    for args in (["run", "-p", "2022-06"], ["email", "-p", "2022-06"], ["targets"]):
        result = CliRunner().invoke(cli, [*args, "-w", str(tmp_path)])
        assert result.exit_code == 1, (args, result.output)
        assert "处问题，请修改后重试" in result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        )


# --- the loader fuzzed with random TOML documents -----------------------------------------

_KEYS = ["county", "year", "targets", "deadline_day", "office_contact", "lag_gap", "x"]
_SECTION_KEYS = {
    "status": ["lag_gap", "severe_gap", "stalled_months", "jump_factor", "lag_gapp"],
    "recipients": ["leaders", "departments", "leader"],
    "smtp": ["host", "port", "security", "user", "password_env", "sender", "pass"],
}
_scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "a\x00b", "ssl", "none", "a@b.cn"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _toml_value(v: object) -> str:
    """A TOML literal for a generated value (the test's own small writer)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(v), repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return (
        "{"
        + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(x)}" for k, x in v.items())
        + "}"
    )


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = [
        f"{key} = {_toml_value(draw(_values))}"
        for key in draw(st.lists(st.sampled_from(_KEYS), unique=True, max_size=4))
    ]
    for section in draw(st.lists(st.sampled_from(sorted(_SECTION_KEYS)), unique=True)):
        lines.append(f"[{section}]")
        keys = draw(st.lists(st.sampled_from(_SECTION_KEYS[section]), unique=True, max_size=4))
        lines += [f"{key} = {_toml_value(draw(_values))}" for key in keys]
    if draw(st.booleans()):  # sometimes a stray line: not TOML at all
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=10)))
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_random_documents_load_or_are_refused_in_chinese(tmp_path_factory, text):
    """Whatever the document, the loader gives a Config whose values are in their ranges, or
    one ConfigError — never another exception."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "minsheng.toml").write_text(text, encoding="utf-8")
    try:
        cfg = load_config(folder)
    except ConfigError as exc:
        assert str(exc).startswith("配置文件 ")
        return
    assert isinstance(cfg.county, str) and cfg.county.strip()
    assert 1 <= cfg.deadline_day <= 28 and 2000 <= cfg.year <= 2100
    assert 0 <= cfg.lag_gap < cfg.severe_gap <= 100 and cfg.jump_factor > 1
    assert all(isinstance(a, str) for a in cfg.leaders)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cfg.department_emails.items())
    assert 1 <= cfg.smtp.port <= 65535 and cfg.smtp.security in ("none", "starttls", "ssl")
