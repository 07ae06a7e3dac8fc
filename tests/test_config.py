"""Workspace configuration: defaults, the office's own values, and clear errors."""

from __future__ import annotations

import pytest

from pipeline.config import DEFAULT_TOML, load_config
from pipeline.errors import ConfigError


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
        ('year = "2022"\n', "“year”应为整数"),
        ("deadline_day = 31\n", "deadline_day 应在 1 到 28 之间"),
        ('[smtp]\nsecurity = "tls"\n', "smtp.security 应为 none、starttls 或 ssl"),
        ("county = \n", "格式错误"),
    ],
)
def test_bad_config_is_named(tmp_path, text, message):
    """A wrong value is refused with the key named, in Chinese."""
    (tmp_path / "minsheng.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)
