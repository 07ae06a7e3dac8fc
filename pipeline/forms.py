"""Submission templates (报送模板): one workbook per department, pre-filled with its indicators.

``plan_forms`` decides what each template says — plain data, last month's figures included;
``render_form`` lays one out with XlsxWriter (see ``_forms_xlsx``); ``write_templates`` writes
them all, each atomically. A filled template reads back exactly through the normaliser: its
header names every column's role (the codes in ``指标编号`` are text), and the department is in
both the file name and the ``填报单位：`` line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline._forms_text import STATES as MILESTONE_STATES
from pipeline.config import Config
from pipeline.errors import OutputError, describe_os_error
from pipeline.model import Indicator, Observation, TargetTable
from pipeline.run import check_period, deadline_of
from pipeline.workspace import Workspace

__all__ = [
    "DATA_SHEET",
    "GUIDE_SHEET",
    "HEADER",
    "MILESTONE_STATES",
    "Form",
    "FormRow",
    "plan_forms",
    "previous_values",
    "render_form",
    "template_name",
    "write_atomic",
    "write_templates",
]

TEMPLATE_TITLE = "民生实事进度报送表"
DATA_SHEET = "进度报送"
GUIDE_SHEET = "填报说明"
HEADER = (
    "指标编号",
    "任务",
    "指标名称",
    "目标值",
    "单位",
    "比较符",
    "上月累计",
    "本月完成",
    "累计完成",
    "进展情况",
    "存在问题",
    "滞后原因及下步措施",
)
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')  # characters a file name on Windows cannot hold


@dataclass(frozen=True)
class FormRow:
    """One indicator line of a template, with what the history store last held for it."""

    indicator: Indicator
    task_name: str
    previous: float | None = None  # last stored cumulative (current value for a level)
    previous_state: str = ""  # last stored milestone state


@dataclass(frozen=True)
class Form:
    """Everything one department's template shows."""

    department: str
    period: str  # YYYY-MM
    county: str
    deadline: dt.date
    contact: str
    rows: tuple[FormRow, ...]

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def month(self) -> int:
        return int(self.period[5:7])

    @property
    def file_name(self) -> str:
        return template_name(self.department, self.period)

    @property
    def created(self) -> dt.datetime:
        """The workbook's fixed creation time: the first day of the period."""
        return dt.datetime(self.year, self.month, 1)

    @property
    def period_label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def deadline_label(self) -> str:
        d = self.deadline
        return f"{d.year}年{d.month}月{d.day}日"


def template_name(department: str, period: str) -> str:
    """``县交通运输局_2022-06_民生实事进度报送表.xlsx``: the normaliser finds both in it."""
    return f"{_UNSAFE.sub('_', department).strip('_.')}_{period}_{TEMPLATE_TITLE}.xlsx"


def previous_values(history: Iterable[Observation], period: str) -> dict[str, Observation]:
    """Per indicator, the latest stored observation of the same year before ``period`` that
    holds a figure or a milestone state."""
    out: dict[str, Observation] = {}
    for obs in sorted(history, key=lambda o: o.period):
        if obs.period >= period or obs.period[:4] != period[:4]:
            continue
        if obs.value is not None or obs.state:
            out[obs.indicator_id] = obs
    return out


def plan_forms(
    targets: TargetTable,
    period: str,
    config: Config,
    history: Sequence[Observation] = (),
) -> list[Form]:
    """One form per department of the register that reports on at least one indicator (as
    lead or co-responsible unit), in the register's order."""
    check_period(period)
    last = previous_values(history, period)
    deadline = deadline_of(period, config).date()
    forms: list[Form] = []
    for dept in targets.departments:
        rows = tuple(
            FormRow(
                ind,
                targets.task(ind.task_id).name,
                last[ind.id].value if ind.id in last and ind.kind != "milestone" else None,
                last[ind.id].state if ind.id in last and ind.kind == "milestone" else "",
            )
            for ind in targets.indicators_of(dept.name)
        )
        if rows:
            forms.append(
                Form(dept.name, period, config.county, deadline, config.office_contact, rows)
            )
    return forms


def render_form(form: Form) -> bytes:
    """The template workbook's bytes; the same form always gives the same bytes."""
    from pipeline._forms_xlsx import render

    return render(form)


def _history(db: Path, period: str) -> list[Observation]:
    """Stored observations of the year before ``period``; none when there is no database yet
    (a template run must not create one)."""
    if not db.is_file():
        return []
    from pipeline.store import Store

    with Store(db) as store:
        return store.history(before=period, year=period[:4])


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fh = tmp.open("xb")  # a new plain file: the umask decides its mode
    try:
        with fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_templates(ws: Workspace, period: str, out_dir: Path | None = None) -> list[Path]:
    """Write every department's template for ``period`` into ``out_dir`` (default
    ``<outputs>/<period>/templates``), under the workspace lock; return the paths written,
    in register order."""
    from pipeline.lock import workspace_lock

    with workspace_lock(ws.db, f"minsheng templates --period {period}"):
        if out_dir is None and ws.db.is_file():  # a run killed mid-swap: finished first, or
            _recover(ws, period)  # what is written here would be lost with the old folder
        return _write_templates(ws, period, out_dir)


def _recover(ws: Workspace, period: str) -> None:
    from pipeline.outputs import current_in, recover
    from pipeline.store import Store

    out = ws.period_outputs(period)
    with Store(ws.db) as store:
        try:
            recover(out, current_in(store, period))
        except OSError as exc:
            raise OutputError(f"无法整理输出目录 {out}：{describe_os_error(exc)}") from exc


def _write_templates(ws: Workspace, period: str, out_dir: Path | None) -> list[Path]:
    forms = plan_forms(ws.targets, period, ws.config, _history(ws.db, period))
    out = Path(out_dir) if out_dir is not None else ws.period_outputs(period) / "templates"
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for form in forms:
            path = out / form.file_name
            write_atomic(path, render_form(form))
            written.append(path)
    except OSError as exc:
        raise OutputError(f"无法写入报送模板目录 {out}：{describe_os_error(exc)}") from exc
    return written
