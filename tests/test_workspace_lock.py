"""One writer at a time, and the store and ``outputs/P/`` always describe the same run.

Real processes throughout: a second writer started while one holds the lock, two runs of
one workspace at once, a holder SIGKILLed, and runs killed at chosen points (just before
and just after the store's commit) through ``tests/killpoint.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.lock import LockedError, holder, workspace_lock
from pipeline.outputs import current_in, manifest_of
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "inputs"
KILLPOINT = Path(__file__).resolve().parent / "killpoint.py"
PERIOD = "2022-06"
TIMEOUT = 120  # seconds any one process may take before the test gives up on it

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

HOLD = """\
import sys, time
from pathlib import Path
from pipeline.lock import workspace_lock
with workspace_lock(Path(sys.argv[1]), "minsheng run --period 2022-06"):
    print("held", flush=True)
    time.sleep(60)
"""


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _minsheng(*args: str, wait: float = 60, point: str | None = None) -> list[str]:
    cmd = [sys.executable, str(KILLPOINT), point] if point else [sys.executable, "-m", "pipeline"]
    return [*cmd, *args]


def _run(args: list[str], wait: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        env=_env(MINSHENG_LOCK_WAIT=str(wait)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / PERIOD, tmp_path / "inputs" / PERIOD)
    return tmp_path


@pytest.fixture
def holding(ws: Path):
    """A process holding the workspace lock (until the test kills it or ends)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(ws / "minsheng.db")],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)
        proc.stdout.close()


def test_a_second_writer_is_refused_with_the_holder_named(ws: Path, holding) -> None:
    """While another process holds the lock, `run`, `templates`, `email` and `forget` wait
    their bound and are refused (exit 1) with the holder's command, process and start time
    named, in Chinese; nothing is written."""
    for args in (
        ["run", "-p", PERIOD],
        ["templates", "-p", PERIOD],
        ["email", "-p", PERIOD],
        ["forget", "-p", PERIOD, "--yes"],
    ):
        result = _run(_minsheng(*args, "-w", str(ws)), wait=0.3)
        assert result.returncode == 1, (args, result.stderr)
        assert "工作区正在被使用" in result.stderr, args
        assert f"“minsheng run --period 2022-06”（进程 {holding.pid}），自 " in result.stderr
        assert "Traceback" not in result.stderr
    assert not (ws / "outputs").exists() and not (ws / "minsheng.db").exists()


def test_readers_never_wait_for_the_lock(ws: Path, holding) -> None:
    """`targets`, `history` and `check` run while a writer holds the lock."""
    for args in (
        ["targets", "--format", "csv"],
        ["history", "2.2"],
        ["check", str(ws / "inputs" / PERIOD / "司法局6月.xlsx")],
    ):
        result = _run(_minsheng(*args, "-w", str(ws)), wait=0)
        assert "工作区正在被使用" not in result.stderr, args
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, args


def test_a_lock_left_by_a_killed_process_is_taken_over(ws: Path, holding) -> None:
    """SIGKILL the holder: the next run takes the lock without anyone removing a file, says
    it took it over, and succeeds."""
    holding.kill()
    holding.wait(timeout=TIMEOUT)
    assert holder(ws / "minsheng.db") is None
    result = _run(_minsheng("run", "-p", PERIOD, "-w", str(ws)), wait=0)
    assert result.returncode == 0, result.stderr
    assert f"（进程 {holding.pid}）" in result.stderr and "已接管工作区锁" in result.stderr


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_between_processes(ws: Path) -> None:
    """Inside one thread the lock nests; another process asking for it meanwhile is refused,
    and gets it once it is released."""
    db = ws / "minsheng.db"
    probe = [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass"), str(db)]
    with workspace_lock(db, "outer"), workspace_lock(db, "inner"):
        assert holder(db) is not None and holder(db).action == "outer"  # type: ignore[union-attr]
        busy = subprocess.run(probe, env=_env(MINSHENG_LOCK_WAIT="0"), capture_output=True)
        assert busy.returncode == 1 and b"LockedError" in busy.stderr
    free = subprocess.run(probe, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert free.returncode == 0 and free.stdout == "held\n"
    with pytest.raises(LockedError), workspace_lock(db, "a"):
        import threading

        errors: list[BaseException] = []

        def other() -> None:
            try:
                with workspace_lock(db, "b", wait=0):
                    pass
            except LockedError as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=TIMEOUT)
        raise errors[0]


def test_two_runs_at_once_both_succeed(ws: Path) -> None:
    """Issue #19.3: two runs of one workspace started together — the second waits for the
    first instead of losing its staging folder to the other's recovery; both exit 0 and the
    outputs are those of the store's latest run."""
    procs = [
        subprocess.Popen(
            _minsheng("run", "-p", PERIOD, "-w", str(ws)),
            env=_env(MINSHENG_LOCK_WAIT="120"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err
        assert "无法写入输出目录" not in err
    out_dir = ws / "outputs" / PERIOD
    with Store(ws / "minsheng.db") as store:
        assert current_in(store, PERIOD)(manifest_of(out_dir) or {})
    assert sorted(p.name for p in out_dir.parent.iterdir()) == [PERIOD]


def test_email_during_a_run_waits_for_it(ws: Path) -> None:
    """Issue #19.3: `email` started while a run swaps its folders waits for the run and then
    finds the workbook, instead of saying the period was never run."""
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    run = subprocess.Popen(
        _minsheng("run", "-p", PERIOD, "-w", str(ws)),
        env=_env(MINSHENG_LOCK_WAIT="120"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        mail = _run(_minsheng("email", "-p", PERIOD, "-w", str(ws)), wait=120)
    finally:
        assert run.wait(timeout=TIMEOUT) == 0
    assert mail.returncode == 0, mail.stderr
    assert "找不到汇总表" not in mail.stderr


def _stored_run(ws: Path) -> int | None:
    with Store(ws / "minsheng.db") as store:
        return store.latest_run(PERIOD)


def _manifest_run(ws: Path) -> object:
    return (manifest_of(ws / "outputs" / PERIOD) or {}).get("run_id")


def _second_month(ws: Path) -> None:
    """A corrected submission, so that a second run differs from the first."""
    (ws / "inputs" / PERIOD / "司法局6月.xlsx").unlink()


def test_a_kill_after_the_commit_is_finished_by_the_next_writer(ws: Path) -> None:
    """Issue #19.4: killed after the store committed and before the folders were swapped,
    the store is a run ahead of `outputs/`; the next writer (`email`, here its dry run)
    swaps the sealed folder in first, so the e-mail's text and its workbook agree."""
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    first = _stored_run(ws)
    _second_month(ws)
    killed = _run(_minsheng("run", "-p", PERIOD, "-w", str(ws), point="pipeline.outputs:_swap"))
    assert killed.returncode == -signal.SIGKILL
    assert _stored_run(ws) != first and _manifest_run(ws) == first  # the store is ahead
    staged = list((ws / "outputs").glob(f".{PERIOD}.tmp-*"))
    assert len(staged) == 1 and json.loads((staged[0] / "manifest.json").read_text())
    mail = _run(_minsheng("email", "-p", PERIOD, "-w", str(ws)))
    assert mail.returncode == 0, mail.stderr
    assert _manifest_run(ws) == _stored_run(ws)
    assert sorted(p.name for p in (ws / "outputs").iterdir()) == [PERIOD]


def test_a_kill_before_the_commit_is_rolled_back_by_the_next_writer(ws: Path) -> None:
    """Killed after the new outputs were sealed but before the commit: the store and
    `outputs/` both still hold the first run; the next run removes the sealed folder of the
    run that never committed and replaces both."""
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    first = _stored_run(ws)
    _second_month(ws)
    killed = _run(_minsheng("run", "-p", PERIOD, "-w", str(ws), point="pipeline.job:seal+"))
    assert killed.returncode == -signal.SIGKILL
    assert _stored_run(ws) == first == _manifest_run(ws)
    assert len(list((ws / "outputs").glob(f".{PERIOD}.tmp-*"))) == 1
    mail = _run(_minsheng("email", "-p", PERIOD, "-w", str(ws)))
    assert mail.returncode == 0, mail.stderr
    assert not list((ws / "outputs").glob(f".{PERIOD}.tmp-*"))  # not committed: removed
    assert _manifest_run(ws) == first
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    assert _manifest_run(ws) == _stored_run(ws) != first


def test_email_refuses_outputs_of_another_run(ws: Path) -> None:
    """Outputs that are not the store's latest run (copied back from a backup, say): `email`
    writes nothing and says which command repairs it."""
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    backup = ws / "backup"
    shutil.copytree(ws / "outputs" / PERIOD, backup)
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    shutil.rmtree(ws / "outputs" / PERIOD)
    shutil.copytree(backup, ws / "outputs" / PERIOD)
    result = CliRunner().invoke(cli, ["email", "-p", PERIOD, "-w", str(ws)])
    assert result.exit_code == 1
    assert "不是同一次汇总的结果" in result.output
    assert f"请先运行 minsheng run --period {PERIOD} 重新汇总" in result.output
    assert not (ws / "outputs" / PERIOD / "outbox").exists()


def test_forget_removes_a_period_stored_by_mistake(ws: Path) -> None:
    """Issue #18: `forget --period P` removes the period's records and `outputs/P/`, keeps
    other periods, and says so; a period that is nowhere is reported, not an error trace."""
    shutil.copytree(SAMPLES / "2022-05", ws / "inputs" / "2022-05")
    for period in ("2022-05", PERIOD):
        assert _run(_minsheng("run", "-p", period, "-w", str(ws))).returncode == 0
    runner = CliRunner()
    result = runner.invoke(cli, ["forget", "-p", PERIOD, "-w", str(ws)], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"已从历史数据库删除 {PERIOD} 的 1 次汇总记录，并删除了 " in result.output
    assert not (ws / "outputs" / PERIOD).exists() and (ws / "outputs" / "2022-05").is_dir()
    with Store(ws / "minsheng.db") as store:
        assert store.periods() == ["2022-05"] and store.observations(PERIOD) == []
        assert store.observations("2022-05")
    again = runner.invoke(cli, ["forget", "-p", PERIOD, "--yes", "-w", str(ws)])
    assert again.exit_code == 1 and f"历史数据和输出目录中都没有 {PERIOD}" in again.output
    kept = runner.invoke(cli, ["forget", "-p", "2022-05", "-w", str(ws)], input="n\n")
    assert kept.exit_code == 1 and (ws / "outputs" / "2022-05").is_dir()


def test_templates_after_a_kill_after_the_commit_finish_the_swap_first(ws: Path) -> None:
    """`templates` is a writer too: after a run killed between its commit and its swap it
    swaps the sealed folder in before writing, so the templates it writes are in the
    outputs that stay (not in the old folder the swap throws away)."""
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    _second_month(ws)
    killed = _run(_minsheng("run", "-p", PERIOD, "-w", str(ws), point="pipeline.outputs:_swap"))
    assert killed.returncode == -signal.SIGKILL
    made = _run(_minsheng("templates", "-p", PERIOD, "-w", str(ws)))
    assert made.returncode == 0, made.stderr
    assert _manifest_run(ws) == _stored_run(ws)
    assert list((ws / "outputs" / PERIOD / "templates").glob("*.xlsx"))
    assert _run(_minsheng("run", "-p", PERIOD, "-w", str(ws))).returncode == 0
    assert list((ws / "outputs" / PERIOD / "templates").glob("*.xlsx"))  # carried over
