"""The one Jinja environment every text renderer uses (HTML report, e-mails), and its filters.

Templates are looked up in order: a workspace's own ``templates/`` first, then the built-in
ones, so an office overrides a page or a partial by dropping a same-named file in. A broken
template is a configuration problem of the office, reported as :class:`ConfigError` naming
the file and the line.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2

from pipeline.errors import ConfigError

DASH = "—"  # what a missing figure shows as


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage: 0.456 → ``45.6%``; None → ``—``."""
    if value is None:
        return DASH
    quantum = Decimal(1).scaleb(-digits)
    shown = (Decimal(repr(float(value))) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{_no_negative_zero(shown)}%"


def num(value: float | None, digits: int = 6) -> str:
    """A figure as the office wrote it, without float noise: 2.123, 1.79, 1,500; None → ``—``.

    At most ``digits`` decimals (float noise such as 0.30000000000000004 is rounded away),
    trailing zeros dropped, thousands separated by commas from 1,000 on.
    """
    if value is None:
        return DASH
    if isinstance(value, bool):  # bool is an int; a yes/no is not a figure
        return str(value)
    rounded = Decimal(repr(round(float(value), digits))).normalize()
    return f"{_no_negative_zero(rounded):,f}"


def _no_negative_zero(d: Decimal) -> Decimal:
    return d.copy_abs() if d.is_zero() else d


def cjk_date(value: dt.date | None) -> str:
    """2022-06-30 → ``2022年6月30日``; None → ``—``."""
    if value is None:
        return DASH
    return f"{value.year}年{value.month}月{value.day}日"


def cjk_month(period: str, with_year: bool = False) -> str:
    """A period ``2022-06`` → ``6月`` (``2022年6月`` with ``with_year``)."""
    year, month = period[:4], int(period[5:7])
    return f"{year}年{month}月" if with_year else f"{month}月"


FILTERS = {"pct": pct, "num": num, "cjk_date": cjk_date, "cjk_month": cjk_month}


def make_env(template_dirs: Sequence[Path]) -> jinja2.Environment:
    """The Jinja environment: first directory wins, department text always escaped in HTML,
    an unknown variable is an error (never a silent blank)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs], encoding="utf-8"),
        # HTML (and anything unknown) is escaped; only plain-text e-mail bodies (*.txt) are not,
        # or a department's "<" would reach a reader as "&lt;".
        autoescape=jinja2.select_autoescape(
            disabled_extensions=("txt",), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render ``name``; a template that cannot be read, parsed or rendered raises ConfigError
    with a Chinese message naming the template file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = _name_in(env, exc.filename) or exc.name or name
        raise ConfigError(
            f"模板 {where} 第 {exc.lineno} 行有语法错误：{_explain_syntax(exc)}"
            f"{_path_note(exc.filename)}"
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"找不到模板 {exc.name}（查找目录：{_dirs(env)}）") from exc
    except jinja2.TemplateError as exc:
        filename, lineno = _template_frame(env, exc)
        where = _name_in(env, filename) or name
        line = f"第 {lineno} 行" if lineno else ""
        raise ConfigError(
            f"模板 {where} {line}有错误：{_explain(exc)}{_path_note(filename)}"
        ) from exc


def _template_frame(env: jinja2.Environment, exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost traceback frame inside a template file (Jinja rewrites the traceback so
    that template frames carry the template's file name and line)."""
    roots = [Path(d).resolve() for d in _search_path(env)]
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if any(path.is_relative_to(root) for root in roots):
            found = (frame.filename, frame.lineno)
    return found


def _search_path(env: jinja2.Environment) -> list[str]:
    loader = env.loader
    if isinstance(loader, jinja2.FileSystemLoader):
        return [str(p) for p in loader.searchpath]
    return []


def _name_in(env: jinja2.Environment, filename: str | None) -> str | None:
    """The template name (relative to its directory) of a template file path."""
    if not filename:
        return None
    path = Path(filename).resolve()
    for root in _search_path(env):
        base = Path(root).resolve()
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return Path(filename).name


def _path_note(filename: str | None) -> str:
    return f"（文件：{filename}）" if filename else ""


def _dirs(env: jinja2.Environment) -> str:
    return "、".join(_search_path(env)) or "无"


_UNDEFINED = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"^'(?P<obj>[^']+)' has no attribute '(?P<name>[^']+)'$")


def _explain_syntax(exc: jinja2.TemplateSyntaxError) -> str:
    text = str(exc.message or exc)
    if text.startswith("Unexpected end of template"):
        return f"模板到此结束，但有标签没有闭合（{text}）"
    return text


def _explain(exc: jinja2.TemplateError) -> str:
    """A Chinese reading of the usual runtime errors; Jinja's own text otherwise."""
    text = str(exc.message or exc)
    if m := _UNDEFINED.match(text):
        return f"变量“{m['name']}”未定义"
    if m := _NO_ATTRIBUTE.match(text):
        return f"“{m['obj']}”没有“{m['name']}”这一项"
    return text
