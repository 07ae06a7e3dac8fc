"""A city run's county workers are watched: a stuck worker is killed and replaced, its county
reported, and the run finishes without it — instead of holding the store's write lock for
ever. Real forked workers; the stuck one stops itself with SIGSTOP (``tests/stuckworker.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_counties import _jobs, build

from pipeline import fanout
from pipeline.outputs import current_in, manifest_of
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
STUCK = Path(__file__).resolve().parent / "stuckworker.py"
TIMEOUT = 120

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or not hasattr(signal, "SIGSTOP"),
    reason="the worker processes are forked (Linux)",
)


def _stops_on_the_second_county(index: int):
    if index == 1:
        os.kill(os.getpid(), signal.SIGSTOP)
    return fanout.read_period_of(index)


_MARKER: list[Path] = []  # set before the workers fork


def _dies_once(index: int):
    if index == 1 and not _MARKER[0].exists():
        _MARKER[0].touch()
        os._exit(1)
    return fanout.read_period_of(index)


def test_a_stuck_worker_is_killed_and_its_county_reported(monkeypatch, tmp_path) -> None:
    """A worker that stops while reading county 2 is killed once the limit has passed since
    that county was due; counties 1 and 3 are read as one process reads them, and no worker
    is left (stopped or otherwise)."""
    build(tmp_path)
    jobs = _jobs(tmp_path)
    alone = list(fanout.read_counties(jobs, {}, workers=0))
    monkeypatch.setattr(fanout, "_read", _stops_on_the_second_county)
    got = list(fanout.read_counties(jobs, {}, workers=2, limit=1))
    assert [got[0], got[2]] == [alone[0], alone[2]]
    assert got[1] == fanout.Unread("黄山市", "读取超过 1 秒仍未完成，已停止读取该县区")
    assert _children() == []


def test_a_worker_killed_once_is_replaced_and_said(monkeypatch, tmp_path) -> None:
    """A worker that dies once: its county is read again by a fresh worker, every county
    arrives as one process reads them, and the retry is reported."""
    build(tmp_path)
    jobs = _jobs(tmp_path)
    alone = list(fanout.read_counties(jobs, {}, workers=0))
    monkeypatch.setattr(fanout, "_read", _dies_once)
    monkeypatch.setattr(f"{__name__}._MARKER", [tmp_path / "died"])
    heard: list[str] = []
    got = list(fanout.read_counties(jobs, {}, workers=2, on_notice=lambda c, m: heard.append(m)))
    assert got == alone
    assert heard == ["读取进程意外终止，已换新的进程重新读取"]


def _children() -> list[str]:
    """This process's live children (zombies are dead), after a moment to be reaped."""
    time.sleep(0.2)
    listed = subprocess.run(
        ["ps", "-o", "pid=,stat=,comm=", "--ppid", str(os.getpid())],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return [
        line
        for line in listed
        if line.strip() and "Z" not in line.split()[1] and line.split()[2] != "ps"
    ]


def test_a_city_run_with_a_stuck_worker_finishes_without_that_county(tmp_path) -> None:
    """Issue #19.5: `minsheng run` over a city whose second county's worker stops: the run
    ends (exit 0) once the limit has passed, names the county and why, stores and outputs
    the others (in agreement), keeps no record of the stuck county for the period, and
    leaves no worker behind."""
    build(tmp_path)
    command = [sys.executable, str(STUCK), "1", "2", "run", "-p", "2022-06"]
    proc = subprocess.Popen(
        [*command, "-w", str(tmp_path), "--workers", "2"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "歙县：未汇总。读取超过 2 秒仍未完成，已停止读取该县区" in out
    assert "共 2 个县区（另有 1 个未汇总）" in out
    listed = subprocess.run(
        ["ps", "-o", "pid=,stat=", "-g", str(proc.pid)], capture_output=True, text=True
    ).stdout.split("\n")
    assert [line for line in listed if line.strip() and "Z" not in line.split()[1]] == []
    with Store(tmp_path / "minsheng.db") as store:
        assert store.scoped("歙县").observations("2022-06") == []
        assert store.scoped("黟县").observations("2022-06")
        assert current_in(store, "2022-06")(manifest_of(tmp_path / "outputs/2022-06") or {})
