"""The schema of ``minsheng.toml``: every key's type, range and choices, the relations
between keys, and the keys that exist — so a mistyped key (``deadline_days``) or a value
out of range is named with its line before any command runs, never a traceback later."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: the key's path and what is wrong, in Chinese."""

    path: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Field:
    kind: str  # text, int, number, texts (list of text), table (text → text), section
    low: float | None = None
    high: float | None = None
    above: float | None = None  # exclusive lower bound
    choices: tuple[str, ...] = ()
    required: bool = False  # not empty
    pattern: str = ""
    fields: dict[str, Field] | None = None  # a section's own


_SCHEMA: dict[str, Field] = {
    "county": Field("text", required=True),
    "year": Field("int", low=2000, high=2100),
    "targets": Field("text", pattern=r"[^\x00-\x1f]*"),  # a path: no control characters
    "deadline_day": Field("int", low=1, high=28),
    "office_contact": Field("text"),
    "公示期": Field("text"),
    "监督电话": Field("text"),
    "status": Field(
        "section",
        fields={
            "lag_gap": Field("number", low=0, high=100),
            "severe_gap": Field("number", low=0, high=100),
            "stalled_months": Field("int", low=1, high=12),
            "jump_factor": Field("number", above=1, high=1000),
        },
    ),
    "recipients": Field(
        "section",
        fields={"leaders": Field("texts"), "departments": Field("table")},
    ),
    "smtp": Field(
        "section",
        fields={
            "host": Field("text", required=True),
            "port": Field("int", low=1, high=65535),
            "security": Field("text", choices=("none", "starttls", "ssl")),
            "user": Field("text"),
            "password_env": Field("text", pattern=r"[A-Za-z_][A-Za-z0-9_]*"),
            "sender": Field("text", required=True, pattern=r"[^@\s]+@[^@\s]+"),
        },
    ),
}
_KINDS = {
    "text": "文本（用英文双引号括起）",
    "int": "整数",
    "number": "数字",
    "texts": '文本的列表，如 ["a@example.cn"]',
    "table": "“单位 = 邮箱”的表",
    "section": "一节设置（[节名] 下的若干行）",
}


def check(data: dict[str, Any]) -> list[Problem]:
    """Every problem of a parsed ``minsheng.toml`` against the schema (none: it is good)."""
    problems = _check_section((), data, _SCHEMA)
    status = data.get("status")
    if isinstance(status, dict):
        lag, severe = status.get("lag_gap", 10.0), status.get("severe_gap", 30.0)
        bad = {p.path for p in problems}
        if (
            ("status", "lag_gap") not in bad
            and ("status", "severe_gap") not in bad
            and _is_number(lag)
            and _is_number(severe)
            and lag >= severe
        ):
            path = ("status", "lag_gap") if "lag_gap" in status else ("status", "severe_gap")
            problems.append(
                Problem(
                    path,
                    f"（lag_gap = {_number(lag)}）应小于 severe_gap（{_number(severe)}）："
                    "落后序时进度超过 lag_gap 个百分点为“滞后”，超过 severe_gap 为“严重滞后”",
                )
            )
    return problems


def _check_section(
    where: tuple[str, ...], data: dict[str, Any], fields: dict[str, Field]
) -> list[Problem]:
    problems = []
    for key, value in data.items():
        path = (*where, key)
        spec = fields.get(key)
        if spec is None:
            problems.append(Problem(path, _unknown(where, key, fields)))
        elif spec.kind == "section":
            if isinstance(value, dict):
                problems += _check_section(path, value, spec.fields or {})
            else:
                problems.append(Problem(path, f"应为{_KINDS['section']}，实际为{_show(value)}"))
        else:
            why = _check_value(spec, value)
            if why:
                problems.append(Problem(path, why))
    return problems


def _check_value(spec: Field, v: Any) -> str:
    kind = spec.kind
    wrong = f"应为{_KINDS[kind]}，实际为{_show(v)}"
    if kind == "text":
        if not isinstance(v, str):
            return wrong
        if spec.required and not v.strip():
            return "不能为空"
        if spec.choices and v not in spec.choices:
            return f"应为 {'、'.join(spec.choices[:-1])} 或 {spec.choices[-1]}，实际为“{v}”"
        if spec.pattern and not re.fullmatch(spec.pattern, v):
            return f"格式不正确：“{v}”"
        return ""
    if kind == "texts":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return wrong
        return ""
    if kind == "table":
        if not isinstance(v, dict):
            return wrong
        bad = [k for k, x in v.items() if not isinstance(x, str)]
        if bad:
            return f'“{bad[0]}”的邮箱应为文本，如 "{bad[0]}" = "a@example.cn"'
        return ""
    if kind == "int" and (not isinstance(v, int) or isinstance(v, bool)):
        return wrong
    if kind == "number" and not _is_number(v):
        return wrong if not isinstance(v, float) else f"应为有限的数字，实际为 {v}"
    if spec.above is not None and not spec.above < v <= (spec.high or math.inf):
        return f"应大于 {_number(spec.above)} 且不超过 {_number(spec.high)}，实际为 {_number(v)}"
    if (spec.low is not None and v < spec.low) or (spec.high is not None and v > spec.high):
        return f"应在 {_number(spec.low)} 到 {_number(spec.high)} 之间，实际为 {_number(v)}"
    return ""


def _unknown(where: tuple[str, ...], key: str, fields: dict[str, Field]) -> str:
    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
    if close:
        return f"不是可用的设置项，是否应为“{close[0]}”？"
    for name, spec in _SCHEMA.items():  # a known key in the wrong place
        if spec.fields and key in spec.fields and where != (name,):
            return f"应写在 [{name}] 下"
    section = f"[{'.'.join(where)}] 中" if where else "顶层"
    allowed = "、".join(k for k in fields)
    return f"不是可用的设置项（{section}可用：{allowed}）"


def _is_number(v: object) -> bool:
    return (
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))  # type: ignore[arg-type]
    )


def _number(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _show(v: object) -> str:
    if isinstance(v, bool):
        return "是/否值 " + ("true" if v else "false")
    if isinstance(v, str):
        return f"文本“{v[:40]}”"
    if isinstance(v, int | float):
        return f"数字 {_number(v)}"
    if isinstance(v, list):
        return f"列表 {_short(v)}"
    if isinstance(v, dict):
        return "一节设置"
    return f"{_short(v)}"


def _short(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "…"


def describe(file: Path, text: str, problems: Sequence[Problem]) -> str:
    """The problems as one message: the file, then each key with its line."""
    lines = _key_lines(text)
    out = [f"配置文件 {file} 有 {len(problems)} 处问题，请修改后重试："]
    placed = [(lines.get(p.path) or lines.get(p.path[:-1]), p) for p in problems]
    for line, p in sorted(placed, key=lambda lp: lp[0] or 0):
        where = f"第 {line} 行 " if line else ""
        out.append(f"  {where}“{'.'.join(p.path)}”{p.message}")
    return "\n".join(out)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""", text)
    return tuple(a or b or c for a, b, c in parts)


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Where each key (and table) is written: (path) → line number, from a plain scan of
    the text (tomllib gives no positions); good for the files offices write."""
    found: dict[tuple[str, ...], int] = {}
    section: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            section = _split_key(header.group(1))
            found.setdefault(section, n)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((*section, *_split_key(key.group(1))), n)
    return found


# tomllib's messages (Python 3.11–3.13) as an office reader would understand them
_TOML_WORDS: tuple[tuple[str, str], ...] = (
    ("Invalid value", '取值写法不对（文字要加英文双引号，如 "黟县"；数字不加引号）'),
    ("Expected newline or end of document after a statement", "一行只能写一项设置，这一行多了内容"),
    ("Expected '=' after a key in a key/value pair", "设置项后面缺少“=”"),
    ("Invalid statement", "这一行不是“设置项 = 值”的写法"),
    ("Cannot declare", "同一个设置项写了两次"),
    ("Cannot overwrite a value", "同一个设置项写了两次"),
    ("Unterminated string", "引号没有配对（文字两边都要有英文双引号）"),
    ("Illegal character", "有不能出现在这里的字符（如中文引号“”，请改用英文双引号）"),
    (
        "Invalid initial character for a key part",
        "设置项名称写法不对（含中文的名称要加英文双引号）",
    ),
    ("Unclosed array", "方括号 [ ] 没有配对"),
    ("Unclosed inline table", "花括号 { } 没有配对"),
    ("Invalid date or datetime", "日期写法不对（应形如 2022-07-05）"),
    ("Invalid hex value", "数字写法不对"),
)


def toml_error(message: str) -> str:
    """tomllib's message in Chinese, with its position: 第 3 行第 9 列：…"""
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    what = message[: m.start()].strip() if m else message.strip()
    for english, chinese in _TOML_WORDS:
        if what.startswith(english):
            what = chinese
            break
    else:
        what = f"格式不符合 TOML 的写法（{what}）"
    return f"第 {m.group(1)} 行第 {m.group(2)} 列：{what}" if m else what
