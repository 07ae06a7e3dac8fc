"""Command line: parse options, call the core, print, set the exit code. Nothing else."""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from pipeline import __version__
from pipeline._clickzh import ZhGroup
from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

PERIOD_HELP = "报告期，形如 2022-06"
WORKSPACE_HELP = "工作区目录（含 minsheng.toml），默认为当前目录；可写在命令之前或之后"


def _group_workspace() -> Path | None:
    """The ``-w`` given before the command, if any."""
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().params.get("workspace") if ctx else None


def _period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A period must look like 2022-06; anything else is a usage error (exit 2)."""
    import re

    if value is not None and not re.fullmatch(r"20\d{2}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"“{value}”不是有效的报告期，应形如 2022-06")
    return value


def workspace_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options every period command shares, with the same meaning everywhere; the command
    receives the opened :class:`~pipeline.workspace.Workspace` as its first argument."""
    opts = [
        click.option(
            "--workspace",
            "-w",
            type=click.Path(file_okay=False, path_type=Path),
            help=WORKSPACE_HELP,
        ),
        click.option(
            "--inputs",
            type=click.Path(file_okay=False, path_type=Path),
            help="报送文件目录，默认 <工作区>/inputs",
        ),
        click.option(
            "--outputs",
            type=click.Path(file_okay=False, path_type=Path),
            help="输出目录，默认 <工作区>/outputs",
        ),
        click.option(
            "--db",
            type=click.Path(dir_okay=False, path_type=Path),
            help="历史数据库文件，默认 <工作区>/minsheng.db",
        ),
        click.option(
            "--targets",
            type=click.Path(dir_okay=False, path_type=Path),
            help="目标任务分解表（xlsx），默认用配置或内置表",
        ),
    ]

    @functools.wraps(f)
    def opened(**kwargs: Any) -> Any:
        from pipeline.workspace import open_workspace

        spec = {key: kwargs.pop(key) for key in ("workspace", "inputs", "outputs", "db", "targets")}
        # -w after the command, or before it (minsheng -w DIR run …), or the current folder
        root = spec.pop("workspace") or _group_workspace() or Path(".")
        ws = open_workspace(root, **spec)
        if not getattr(f, "writes", False):  # readers never wait for the lock
            return f(ws, **kwargs)
        from pipeline.lock import workspace_lock

        ctx = click.get_current_context()
        action = " ".join(
            [
                "minsheng",
                ctx.info_name or "",
                *(["--period", kwargs["period"]] * ("period" in kwargs)),
            ]
        )
        with workspace_lock(ws.db, action) as left:
            if left is not None:
                click.echo(
                    f"注意：上次{left.describe()}未正常结束（进程已不在），已接管工作区锁。",
                    err=True,
                )
            return f(ws, **kwargs)

    wrapped: Callable[..., Any] = _handle_errors(opened)
    for opt in reversed(opts):
        wrapped = opt(wrapped)
    return wrapped


def writes(f: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a command as a writer: it runs holding the workspace lock (put it below
    ``@workspace_options``)."""
    f.writes = True  # type: ignore[attr-defined]
    return f


def _handle_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import sqlite3

        try:
            return f(*args, **kwargs)
        except (PipelineError, sqlite3.Error, OSError) as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            raise click.ClickException(_message(exc)) from exc

    return wrapper


def _message(exc: BaseException) -> str:
    """The Chinese message for an error: a PipelineError says its own; an error from the
    history database or the disk that no part turned into one is said plainly here."""
    import sqlite3

    if isinstance(exc, PipelineError):
        return str(exc)
    if isinstance(exc, sqlite3.Error):  # a read no part expected to fail
        from pipeline.store import sqlite_cause

        return f"历史数据库出错：{sqlite_cause(exc, Path.cwd() / 'minsheng.db')}"
    assert isinstance(exc, OSError)
    from pipeline.errors import describe_os_error

    where = os.fsdecode(exc.filename) if exc.filename else "文件"
    return f"无法读写 {where}：{describe_os_error(exc)}"


@click.group(cls=ZhGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="minsheng")
@click.option("--debug", is_flag=True, help="出错时显示完整的调用栈（开发用）")
@click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), help=WORKSPACE_HELP
)
def cli(debug: bool, workspace: Path | None) -> None:
    """minsheng 民生实事进度汇总：读取各单位报送的 Excel，汇总、校验并生成报表。"""


@cli.command()
@workspace_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="输出格式",
)
def targets(
    ws: Workspace,
    fmt: str,
) -> None:
    """打印目标任务分解表（20项任务的各项指标）。"""
    from pipeline.targets import csv_rows

    rows = csv_rows(ws.targets)
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows(rows)
        return
    table = ws.targets
    for task in table.tasks:
        click.echo(f"{task.id}. {task.name}（{'、'.join(task.departments)}）")
        for ind in table.indicators:
            if ind.task_id != task.id:
                continue
            if ind.kind == "milestone":
                goal = "定性任务"
            else:
                from pipeline.model import COMPARATOR_SIGNS
                from pipeline.targets import format_number

                goal = f"{COMPARATOR_SIGNS[ind.comparator]} {format_number(ind.target)} {ind.unit}"
            click.echo(f"   {ind.id:<5} {ind.name}：{goal}")
    click.echo(
        f"共 {len(table.tasks)} 项任务、{len(table.indicators)} 个指标、"
        f"{len(table.departments)} 个责任单位。"
    )


@contextlib.contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long runs; none when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _quoted(path: Path) -> str:
    """A path as it can be typed back (quoted when it holds a space)."""
    text = str(path)
    return f'"{text}"' if " " in text else text


def _month(period: str) -> str:
    return f"{period[:4]}年{int(period[5:7])}月"


def _summary(label: str, report: Any, files: int) -> str:
    h = report.headline
    return (
        f"{label}：读取 {files} 个文件，{h.departments_submitted}/{h.departments_expected} 个单位"
        f"已报送；{h.indicators} 个指标中已完成 {h.indicators_done} 个、滞后 "
        f"{h.indicators_behind} 个；数据问题 {h.errors} 个错误、{h.warnings} 个提醒。"
    )


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_handle_errors
def init(directory: Path) -> None:
    """新建一个工作区：inputs/、outputs/、minsheng.toml 和可修改的模板。"""
    from pipeline.workspace import init_workspace

    created = init_workspace(directory)
    for path in created:
        click.echo(f"已创建 {path}")
    where = directory.resolve()
    here = where == Path.cwd().resolve()
    click.echo(
        f"工作区已就绪：{where}\n"
        "把各单位报送的文件放入 inputs/<报告期>/（如 inputs/2022-06/）后运行："
        f"minsheng run --period <报告期>{'' if here else f' -w {_quoted(directory)}'}"
    )


@cli.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("民生实事示例")
)
@_handle_errors
def demo(directory: Path) -> None:
    """生成示例：新建工作区，放入示例报送文件（2022年5月、6月）并汇总，看看会得到什么。"""
    from pipeline.demo import make_demo
    from pipeline.job import run_job
    from pipeline.workspace import open_workspace

    months = make_demo(directory)
    ws = open_workspace(directory)
    for month in months:
        result = run_job(ws, month, later=False)
        assert result.report is not None and result.data is not None
        click.echo(_summary(result.report.period_label, result.report, len(result.data.files)))
    out = ws.period_outputs(months[-1]).resolve()
    click.echo(
        f"示例已生成：{out}\n"
        "用浏览器打开其中的 .html 文件、用 Excel 打开 .xlsx 文件，即可看到报表；"
        f"示例报送文件在 {(directory / 'inputs').resolve()}"
    )


@cli.command()
@click.option("--period", "-p", required=True, metavar="报告期", help=PERIOD_HELP, callback=_period)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    metavar="个数",
    help="汇总多个县区时用几个进程读取（0 为只用本进程；默认文件多时用 2 个）",
)
@workspace_options
@writes
def run(
    ws: Workspace,
    period: str,
    workers: int | None,
) -> None:
    """汇总一期报送：读取 inputs/<报告期>/ 下的全部文件，校验、入库并生成报表。"""
    from pipeline.job import run_job

    with _progress_bar("读取报送文件") as progress:
        result = run_job(ws, period, progress=progress, workers=workers)
    lines = []  # said at once: a city's run has a line for each of its counties
    if result.comparison is not None:
        for report, data in result.counties:
            lines.append(
                _summary(f"{report.county} {report.period_label}", report, len(data.files))
            )
        lines.extend(f"{county}：未汇总。{why}" for county, why in result.comparison.unread)
        lines.extend(f"注意 {notice}" for notice in result.notices)
        skipped = len(result.comparison.unread)
        more = f"（另有 {skipped} 个未汇总）" if skipped else ""
        rows = result.comparison.rows
        best = f"；平均完成进度第一：{rows[0].county}" if rows else ""
        lines.append(f"共 {len(result.counties)} 个县区{more}{best}。")
    else:
        assert result.report is not None and result.data is not None
        lines.append(_summary(result.report.period_label, result.report, len(result.data.files)))
    lines.append(f"输出目录：{result.outputs}")
    lines.extend(f"  {name}" for name in sorted(result.files))
    for again in result.rerun:  # later months built on this one: run again, said so
        label = again.report.period_label if again.report else again.outputs.name
        lines.append(f"{label}的汇总用到{_month(period)}的数据，已重新汇总：{again.outputs}")
        if again.report is not None and again.data is not None:
            lines.append("  " + _summary(label, again.report, len(again.data.files)))
    for month, why in result.stale:
        lines.append(
            f"注意：{month} 的汇总用到{_month(period)}的数据，但未能重新汇总（{why}），"
            f"其结果已过时，请运行 minsheng run --period {month}"
        )
    click.echo("\n".join(lines))


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--period", "-p", metavar="报告期", help=PERIOD_HELP + "（默认按文件名判断）", callback=_period
)
@workspace_options
def check(
    ws: Workspace,
    files: tuple[Path, ...],
    period: str | None,
) -> None:
    """立即检查报送文件，列出其中的问题（有错误时退出码为 1）。"""
    from pipeline.checkfile import check_files

    results = check_files(files, ws, period)
    errors = 0
    for res in results:
        dept = res.department or "单位未识别"
        click.echo(f"{res.source.name}（{dept}）：读取 {len(res.observations)} 个指标")
        for issue in res.issues:
            place = "".join(f"[{p}]" for p in (issue.sheet, issue.cell) if p)
            label = {"error": "错误", "warning": "提醒", "info": "说明"}[issue.severity]
            click.echo(f"  {label} {issue.code} {place} {issue.message}")
            errors += issue.severity == "error"
        if not res.issues:
            click.echo("  未发现问题。")
    if errors:
        raise SystemExit(1)


@cli.command()
@click.option("--period", "-p", required=True, metavar="报告期", help=PERIOD_HELP, callback=_period)
@click.option("--send", is_flag=True, help="真正发送（默认只生成 outbox/ 中的 .eml 文件）")
@click.option(
    "--resend",
    is_flag=True,
    help="连同此前已发送过、或上次发送未获服务器确认（“未确认”）的邮件一并重发",
)
@click.option(
    "--resend-unconfirmed",
    is_flag=True,
    help="重发上次发送未获服务器确认（“未确认”）的邮件（请先向收件人确认未收到）",
)
@click.option("--smtp-host", metavar="地址", help="邮件服务器地址（覆盖配置文件）")
@click.option("--smtp-port", type=int, metavar="端口", help="邮件服务器端口（覆盖配置文件）")
@workspace_options
@writes
def email(
    ws: Workspace,
    period: str,
    send: bool,
    resend: bool,
    resend_unconfirmed: bool,
    smtp_host: str | None,
    smtp_port: int | None,
) -> None:
    """生成并发送本期邮件：领导汇总、各单位反馈、未报送单位催报（默认试运行）。"""
    from pipeline.mailjob import prepare_emails, smtp_password, smtp_settings

    prepared = prepare_emails(ws, period)
    for problem in prepared.problems:
        click.echo(f"注意 {problem.who}：{problem.message}")
    for msg, path in zip(prepared.messages, prepared.outbox, strict=True):
        files = "、".join(msg.attachments) or "无附件"
        click.echo(
            f"{path.name}  {msg.subject}\n    收件人：{', '.join(msg.to)}\n    附件：{files}"
        )
    if not send:
        click.echo(
            f"共 {len(prepared.messages)} 封，已写入 {ws.period_outputs(period) / 'outbox'}"
            "（未发送：试运行。加 --send 发送）"
        )
        return
    from pipeline.sending import deliver
    from pipeline.store import Store

    cfg = smtp_settings(ws, smtp_host, smtp_port)
    with Store(ws.db) as store:
        results = deliver(
            prepared.messages,
            cfg=cfg,
            password=smtp_password(cfg),
            store=store,
            period=period,
            resend=resend,
            unconfirmed=resend_unconfirmed,
        )
    labels = {
        "sent": "已发送",
        "skipped": "已跳过",
        "unconfirmed": "未确认",
        "failed": "发送失败",
    }
    for r in results:
        click.echo(f"{labels[r.status]} {r.recipient}（{r.key}）{r.detail}")
    sent = sum(r.status == "sent" for r in results)
    failed = sum(r.status == "failed" for r in results)
    unconfirmed = sum(r.status == "unconfirmed" for r in results)
    more = f"，未确认 {unconfirmed} 个（未重发，请向收件人确认）" if unconfirmed else ""
    click.echo(f"发送 {sent} 个收件人，失败 {failed} 个{more}。")
    if failed or unconfirmed:
        raise SystemExit(1)


@cli.command()
@click.argument("indicator")
@click.option("--county", metavar="县区", help="县区名（市、省汇总多个县区时）；不填则列出各县区")
@workspace_options
def history(
    ws: Workspace,
    indicator: str,
    county: str | None,
) -> None:
    """显示某个指标（编号，如 2.2）逐月的累计完成情况。"""
    from pipeline.errors import InputError
    from pipeline.store import Store
    from pipeline.targets import format_number

    try:
        ind = ws.targets.indicator(indicator)
    except KeyError:
        raise InputError(
            f"没有编号为“{indicator}”的指标（用 minsheng targets 查看全部指标）"
        ) from None
    goal = f"目标 {format_number(ind.target)}{ind.unit}" if ind.target is not None else "定性任务"
    click.echo(f"{ind.id} {ind.name}（{goal}，{ind.lead_department}）")
    with Store(ws.db) as store:
        known = store.counties()
        if county is not None and county not in known:
            listed = "、".join(known) if known else "（尚无多县区汇总）"
            raise InputError(f"历史数据中没有县区“{county}”，已有：{listed}")
        view = store.scoped(county) if county else store
        lines = [(o, o.department) for o in view.history(indicator_id=ind.id)]
        if not lines and not county:  # a city's workspace: each county's figures by month
            lines = sorted(
                (
                    (o, f"{c} {o.department}")
                    for c in known
                    for o in store.scoped(c).history(indicator_id=ind.id)
                ),
                key=lambda line: line[0].period,
            )
    if not lines:
        click.echo("  尚无历史数据。")
    for o, who in lines:
        value = o.state or (f"{format_number(o.value)}{ind.unit}" if o.value is not None else "—")
        monthly = (
            f"（本月 {format_number(o.monthly_value)}{ind.unit}）"
            if o.monthly_value is not None
            else ""
        )
        click.echo(f"  {o.period}  {value}{monthly}  {who}")


@cli.command()
@click.option("--period", "-p", required=True, metavar="报告期", help=PERIOD_HELP, callback=_period)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="模板保存目录，默认 <输出目录>/<报告期>/templates",
)
@workspace_options
@writes
def templates(
    ws: Workspace,
    period: str,
    out: Path | None,
) -> None:
    """生成本期报送模板：每个责任单位一个预填好的 Excel 文件。"""
    from pipeline.forms import write_templates

    for path in write_templates(ws, period, out):
        click.echo(f"已生成 {path}")


@cli.command()
@click.option("--period", "-p", required=True, help=PERIOD_HELP, callback=_period)
@click.option("--yes", is_flag=True, help="不再询问，直接删除")
@workspace_options
@writes
def forget(ws: Workspace, period: str, yes: bool) -> None:
    """删除误入库的一期：历史数据库中该期的记录和输出目录 outputs/<报告期>/。"""
    from pipeline.forget import forget_period

    if not yes:
        click.confirm(
            f"将删除 {period} 的历史数据和输出目录 {ws.period_outputs(period)}，确定吗？",
            abort=True,
        )
    done = forget_period(ws, period)
    folder = f"，并删除了 {done.outputs}" if done.outputs else ""
    click.echo(
        f"已从历史数据库删除 {period} 的 {done.runs} 次汇总记录{folder}。"
        "邮件发送记录保留；需要时重新运行 minsheng run --period " + period
    )


def main() -> NoReturn:
    # A run allocates millions of short-lived objects and makes few reference cycles: the
    # cycle collector need not run every 700 allocations (~5 % of a large run's time).
    gc.set_threshold(100_000, 50, 50)
    try:
        cli(prog_name="minsheng")
    except SystemExit as exc:
        _exit_now(exc.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """End the process without tearing the interpreter down: after a large run, freeing its
    objects one by one costs tens of milliseconds the office waits for (mypy ends the same
    way). By now every file a command wrote is closed, the store too; a run's workers have
    finished and end with this process."""
    if isinstance(code, str):  # sys.exit("message"): said, and a failure
        print(code, file=sys.stderr)
    status = code if isinstance(code, int) else (0 if code is None else 1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (| head): nothing more to say to it
        pass
    os._exit(status)
