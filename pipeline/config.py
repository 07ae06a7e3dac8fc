"""Workspace configuration (``minsheng.toml``), with defaults so the demo needs none."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline._schema import Problem, check, describe, toml_error
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.model import Department

CONFIG_NAME = "minsheng.toml"


@dataclass(frozen=True)
class Smtp:
    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none, starttls, ssl
    user: str = ""
    password_env: str = "MINSHENG_SMTP_PASSWORD"
    sender: str = "minsheng@localhost"


@dataclass(frozen=True)
class Config:
    county: str = "黟县"
    year: int = 2022
    targets: str = ""  # path to a target table workbook; "" = the embedded default
    deadline_day: int = 5  # submissions due by this day of the following month
    lag_gap: float = 10.0  # percentage points behind schedule → 滞后
    severe_gap: float = 30.0  # percentage points behind schedule → 严重滞后
    stalled_months: int = 3  # not started for this many months → 严重滞后
    jump_factor: float = 3.0  # month-on-month growth beyond this factor → issue
    leaders: tuple[str, ...] = ()
    department_emails: dict[str, str] = field(default_factory=dict)
    office_contact: str = "县民生办"
    smtp: Smtp = field(default_factory=Smtp)
    workspace: str = "."
    public_period: str = ""  # 公示期, printed on the 公示版
    hotline: str = ""  # 监督电话, printed on the 公示版


DEFAULT_TOML = """\
# minsheng 工作区配置（民生实事进度汇总）
county = "黟县"            # 县名，用于报表标题
year = 2022                # 年度
targets = ""               # 目标任务分解表文件；留空使用内置的 2022 年分解表
deadline_day = 5           # 每月报送截止日（次月几号）
office_contact = "县民生办"  # 填报说明中的联系方式
"公示期" = ""              # 公示版上的公示期，如 "2022年7月15日至7月21日"
"监督电话" = ""            # 公示版上的监督电话，如 "0559-5123456"

[status]
lag_gap = 10               # 落后序时进度超过多少个百分点为“滞后”
severe_gap = 30            # 落后超过多少个百分点为“严重滞后”
stalled_months = 3         # 连续几个月未开工为“严重滞后”
jump_factor = 3            # 累计值环比增长超过几倍提示核实

[recipients]
leaders = []               # 县领导邮箱，如 ["leader@example.gov.cn"]

[recipients.departments]   # 各单位邮箱，如 "县交通运输局" = "jtj@example.gov.cn"

[smtp]
host = "localhost"
port = 25
security = "none"          # none / starttls / ssl
user = ""
password_env = "MINSHENG_SMTP_PASSWORD"   # 密码从该环境变量读取，切勿写入文件
sender = "minsheng@localhost"
"""


def load_config(workspace: str | Path = ".", path: str | Path | None = None) -> Config:
    """Read ``minsheng.toml`` from the workspace (or ``path``); missing file → defaults.
    The file is checked against the schema first: every problem (wrong type, out of range,
    contradicting another value, unknown or misplaced key) is listed with its key and line in
    one :class:`~pipeline.errors.ConfigError`."""
    workspace = Path(workspace)
    file = Path(path) if path else workspace / CONFIG_NAME
    if not file.is_file():
        if path:
            raise ConfigError(f"找不到配置文件：{file}")
        return Config(workspace=str(workspace))
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"配置文件 {file} 格式错误：不是 UTF-8 编码的文本（{exc.reason}）"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {file}：{exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {file} 格式错误：{toml_error(str(exc))}") from exc
    problems = check(data)
    if problems:
        raise ConfigError(describe(file, text, problems))
    return _from_dict(data, file, workspace)


def check_recipients(cfg: Config, departments: Sequence[Department], workspace: Path) -> None:
    """Every key of ``[recipients.departments]`` must be a department of the target table
    (its full name: an alias would never match a message)."""
    names = {d.name for d in departments}
    by_alias = {a: d.name for d in departments for a in d.aliases}
    problems = []
    for key in cfg.department_emails:
        if key in names:
            continue
        if key in by_alias:
            why = f"应写目标任务分解表中的全称“{by_alias[key]}”"
        else:
            close = difflib.get_close_matches(key, sorted(names), n=1, cutoff=0.5)
            hint = f"，是否应为“{close[0]}”" if close else ""
            why = f"不是目标任务分解表中的责任单位{hint}（可用：{'、'.join(sorted(names))}）"
        problems.append(Problem(("recipients", "departments", key), why))
    if problems:
        file = workspace / CONFIG_NAME
        text = file.read_text(encoding="utf-8") if file.is_file() else ""
        raise ConfigError(describe(file, text, problems))


def _from_dict(data: dict[str, Any], file: Path, workspace: Path) -> Config:
    def typed(section: dict[str, Any], key: str, kind: type, default: Any) -> Any:
        v = section.get(key, default)
        if kind is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
            raise ConfigError(f"配置文件 {file}：“{key}”应为{_KIND_NAMES[kind]}，实际为 {v!r}")
        return v

    base = Config(workspace=str(workspace))
    status = data.get("status", {})
    recipients = data.get("recipients", {})
    smtp = data.get("smtp", {})
    targets = typed(data, "targets", str, "")
    if targets and not Path(targets).is_absolute():
        targets = str((file.parent / targets).resolve())
    depts = recipients.get("departments", {})
    if not isinstance(depts, dict):
        raise ConfigError(f"配置文件 {file}：[recipients.departments] 应为“单位 = 邮箱”的表")
    cfg = replace(
        base,
        county=typed(data, "county", str, base.county),
        year=typed(data, "year", int, base.year),
        targets=targets,
        deadline_day=typed(data, "deadline_day", int, base.deadline_day),
        office_contact=typed(data, "office_contact", str, base.office_contact),
        public_period=typed(data, "公示期", str, base.public_period),
        hotline=typed(data, "监督电话", str, base.hotline),
        lag_gap=typed(status, "lag_gap", float, base.lag_gap),
        severe_gap=typed(status, "severe_gap", float, base.severe_gap),
        stalled_months=typed(status, "stalled_months", int, base.stalled_months),
        jump_factor=typed(status, "jump_factor", float, base.jump_factor),
        leaders=tuple(typed(recipients, "leaders", list, [])),
        department_emails={str(k): str(v) for k, v in depts.items()},
        smtp=Smtp(
            host=typed(smtp, "host", str, Smtp.host),
            port=typed(smtp, "port", int, Smtp.port),
            security=typed(smtp, "security", str, Smtp.security),
            user=typed(smtp, "user", str, Smtp.user),
            password_env=typed(smtp, "password_env", str, Smtp.password_env),
            sender=typed(smtp, "sender", str, Smtp.sender),
        ),
    )
    return cfg  # ranges and choices: checked by ``check`` before


_KIND_NAMES = {str: "文本", int: "整数", float: "数字", list: "列表", bool: "是/否"}
