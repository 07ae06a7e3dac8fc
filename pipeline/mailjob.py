"""``minsheng email``: build the period's messages from the stored run, write the outbox,
and (with ``--send``) deliver them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from pipeline.config import Smtp
from pipeline.errors import InputError, OutputError, describe_os_error
from pipeline.lock import workspace_lock
from pipeline.mail import Outgoing, Problem, build_messages, write_outbox
from pipeline.outputs import current_in, manifest_of, recover
from pipeline.report import Report
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class Prepared:
    report: Report
    messages: tuple[Outgoing, ...]
    problems: tuple[Problem, ...]
    outbox: tuple[Path, ...]


def prepare_emails(
    ws: Workspace,
    period: str,
    *,
    date: dt.datetime | None = None,
    template_for: Callable[[str], Path | None] | None = None,
) -> Prepared:
    """Every message of the period written to ``outputs/P/outbox/`` (the dry run), under the
    workspace lock. The messages' text comes from the store and their attachment from
    ``outputs/P/``: both must describe the same run, or nothing is written."""
    if not ws.db.exists():
        raise InputError(f"{period} 尚未汇总，请先运行 minsheng run --period {period}")
    with workspace_lock(ws.db, f"minsheng email --period {period}"):
        return _prepare(ws, period, date, template_for)


def _prepare(
    ws: Workspace,
    period: str,
    date: dt.datetime | None,
    template_for: Callable[[str], Path | None] | None,
) -> Prepared:
    from pipeline.assemble import report_from_store
    from pipeline.store import Store

    out = ws.period_outputs(period)
    with Store(ws.db) as store:
        if store.counties() and period not in store.periods():
            raise InputError(
                "这是市（省）汇总多个县区的工作目录：minsheng email 用于一个县区自己的工作目录，"
                f"县区比较见 {ws.period_outputs(period)}"
            )
        current = current_in(store, period)
        try:  # a run killed between its commit and its swap: finished now
            recover(out, current)
        except OSError as exc:
            raise OutputError(f"无法整理输出目录 {out}：{describe_os_error(exc)}") from exc
        report = report_from_store(store, period, ws.targets, ws.config)
        manifest = manifest_of(out)
        workbook = out / report.workbook_name
        if not workbook.is_file():
            raise InputError(f"找不到汇总表 {workbook}，请先运行 minsheng run --period {period}")
        if manifest is None or not current(manifest):
            raise InputError(
                f"{out} 中的报表与历史数据库中 {period} 的数据不是同一次汇总的结果，"
                "为免邮件正文与附件不符，未生成邮件。"
                f"请先运行 minsheng run --period {period} 重新汇总"
            )
    try:
        return _write(ws, period, report, workbook, out, date, template_for)
    except OSError as exc:
        raise OutputError(f"无法写入邮件目录 {out / 'outbox'}：{describe_os_error(exc)}") from exc


def _write(
    ws: Workspace,
    period: str,
    report: Report,
    workbook: Path,
    out: Path,
    date: dt.datetime | None,
    template_for: Callable[[str], Path | None] | None,
) -> Prepared:
    from pipeline.render.html import html_names
    from pipeline.render.jinja import make_env, render_template

    page = out / html_names(report)[0]
    env = make_env(ws.template_dirs)
    messages, problems = build_messages(
        report,
        render=partial(render_template, env),
        leaders=ws.config.leaders,
        department_emails=ws.config.department_emails,
        workbook=workbook,
        html_report=page if page.is_file() else None,
        template_for=template_for or _department_template(ws, period, out / "templates"),
        sender=ws.config.smtp.sender,
        office=ws.config.office_contact,
        date=date or dt.datetime.now().astimezone().replace(microsecond=0),
    )
    paths = write_outbox(messages, out / "outbox")
    return Prepared(report, tuple(messages), tuple(problems), tuple(paths))


def _department_template(ws: Workspace, period: str, folder: Path) -> Callable[[str], Path | None]:
    """The department's submission template for the reminder, written when first needed."""
    from pipeline.forms import plan_forms, render_form, write_atomic
    from pipeline.store import Store

    with Store(ws.db) as store:
        history = store.history(before=period, year=period[:4])
    forms = {f.department: f for f in plan_forms(ws.targets, period, ws.config, history)}

    def template_for(department: str) -> Path | None:
        form = forms.get(department)
        if form is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / form.file_name
        write_atomic(path, render_form(form))
        return path

    return template_for


def smtp_settings(ws: Workspace, host: str | None, port: int | None) -> Smtp:
    cfg = ws.config.smtp
    return replace(cfg, host=host or cfg.host, port=port or cfg.port)


def smtp_password(cfg: Smtp) -> str | None:
    """The password comes from an environment variable, never from a file."""
    return os.environ.get(cfg.password_env) if cfg.user else None
