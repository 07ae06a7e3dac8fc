"""A run killed at any moment loses nothing: the previous outputs stay or a complete new set
replaces them, the history store holds the old or the new period (never a mix), and the next
run gives the same CSV bytes as a run that was never interrupted.

The command runs as a real process (``python -m pipeline run``) and is SIGKILLed after delays
spread over a whole run — no test hooks in the product. Two large submissions (1,500 rows each,
every row an issue) stretch the run over reading, storing and rendering.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import department_sheet, write_xlsx

from pipeline.job import run_job
from pipeline.outputs import recover
from pipeline.store import Store
from pipeline.workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2022-06"
HEADER = ["指标名称", "本月完成", "累计完成", "进展情况", "滞后原因及下步措施"]
ATTEMPTS = 20
BIG_ROWS = 1500

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _submit(folder: Path, name: str, rows: list[list[object]]) -> None:
    write_xlsx(folder / name, [department_sheet(None, rows, header=HEADER)])


def _inputs_a(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _submit(folder, "司法局.xlsx", [["办理法律援助案件", 10, 55]])
    _submit(folder, "住建局.xlsx", [["改造城镇老旧小区", 1, 2]])
    big = [[f"乡镇项目第{i}号工程", i, i * 2, "推进中", ""] for i in range(BIG_ROWS)]
    _submit(folder, "交通局大表.xlsx", big)
    _submit(folder, "民政局大表.xlsx", big)


def _inputs_b(folder: Path) -> None:
    """What changed before the next run: a corrected file and a new department."""
    _submit(folder, "司法局.xlsx", [["办理法律援助案件", 12, 60]])
    _submit(folder, "残联.xlsx", [["困难精神残疾人药费补助", 1, 70]])


def _cli(ws: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pipeline", "run", "--period", PERIOD, "-w", str(ws)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _complete(ws: Path) -> float:
    """Run to the end; the wall-clock seconds it took."""
    t0 = time.perf_counter()
    assert _cli(ws).wait(timeout=300) == 0
    return time.perf_counter() - t0


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _csvs(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.endswith(".csv")}


def _stored(ws: Path) -> tuple[object, ...]:
    """The period as the store holds it: files, observations and issues, in a fixed order."""
    with Store(ws / "minsheng.db") as store:
        files = sorted((f.name, f.sha256, f.status) for f in store.files(PERIOD))
        obs = sorted(repr(o) for o in store.observations(PERIOD))
        issues = sorted(repr(i) for i in store.issues(PERIOD))
    return (files, obs, issues)


@dataclass(frozen=True)
class States:
    base: Path
    before: Path  # the workspace every attempt starts from (a complete run on inputs A)
    old_files: dict[str, bytes]
    old_store: tuple[object, ...]
    new_files: dict[str, bytes]  # an uninterrupted run on inputs B from ``before``
    new_store: tuple[object, ...]
    duration: float  # seconds that run took


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> States:
    """A workspace after a complete run on inputs A (the state every attempt starts from), and
    the reference outputs and store of an uninterrupted run on inputs B from that state."""
    base = tmp_path_factory.mktemp("interrupt")
    before = base / "before"
    _inputs_a(before / "inputs" / PERIOD)
    _complete(before)
    _inputs_b(before / "inputs" / PERIOD)
    reference = base / "reference"
    shutil.copytree(before, reference)
    duration = _complete(reference)
    return States(
        base,
        before,
        _files(before / "outputs" / PERIOD),
        _stored(before),
        _files(reference / "outputs" / PERIOD),
        _stored(reference),
        duration,
    )


def test_old_and_new_states_differ(states: States) -> None:
    """The two runs the kills fall between give different outputs and stored data."""
    assert _csvs(states.old_files) != _csvs(states.new_files)
    assert states.old_store != states.new_store


def test_killed_runs_lose_nothing(states: States) -> None:
    """SIGKILL after delays from 0 to past a whole run: each time the outputs folder is the old
    one byte for byte or a complete new one, the store holds the old or the new period, and the
    next run succeeds with the uninterrupted run's CSV bytes."""
    old_files, new_files = states.old_files, states.new_files
    rng = random.Random(20220630)
    seen: dict[str, set[str]] = {"outputs": set(), "store": set()}
    for attempt in range(ATTEMPTS):
        ws = states.base / f"attempt{attempt}"
        shutil.copytree(states.before, ws)
        delay = states.duration * 1.1 * attempt / (ATTEMPTS - 1) + rng.uniform(0, 0.02)
        proc = _cli(ws)
        try:  # the last attempt is not killed: on a busy machine a run may outlast 1.1 × its
            # reference, and "new" must still be seen once
            proc.wait(timeout=delay if attempt < ATTEMPTS - 1 else 300)
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL, this process only
            proc.wait(timeout=60)
        out = ws / "outputs" / PERIOD
        if not out.exists():  # killed between the two renames of the swap
            assert _files(ws / "outputs" / f".{PERIOD}.old") == old_files
            recover(out)
        files = _files(out)
        if files == old_files:
            seen["outputs"].add("old")
        else:
            assert files.keys() == new_files.keys(), f"attempt {attempt}: partial outputs"
            assert _csvs(files) == _csvs(new_files)
            seen["outputs"].add("new")
        stored = _stored(ws)
        assert stored in (states.old_store, states.new_store), f"attempt {attempt}"
        seen["store"].add("old" if stored == states.old_store else "new")

        run_job(open_workspace(ws), PERIOD)
        assert _csvs(_files(out)) == _csvs(new_files), f"attempt {attempt}: rerun differs"
        assert _stored(ws) == states.new_store
        assert sorted(p.name for p in out.parent.iterdir()) == [PERIOD]  # no leftovers
        shutil.rmtree(ws)
    assert seen["outputs"] == {"old", "new"} and seen["store"] == {"old", "new"}, seen


def _city_stored(ws: Path) -> tuple[object, ...]:
    """Every county's stored period: runs, observations, issues (fixed order)."""
    with Store(ws / "minsheng.db") as store:
        db = store.db
        runs = sorted(db.execute("SELECT county, period FROM runs").fetchall())
        obs = sorted(db.execute("SELECT county, indicator_id, value FROM observations").fetchall())
        issues = db.execute("SELECT count(*) FROM issues").fetchone()
    return (runs, obs, issues)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*.csv"))
        if p.is_file()
    }


def test_a_killed_city_run_loses_nothing_and_leaves_no_worker(tmp_path: Path) -> None:
    """A city's run read by two forked workers, SIGKILLed at points spread over it: the
    outputs are the old set or the new one, the store every county's old or new figures,
    and no worker process outlives the run."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_counties import generate

    before = tmp_path / "before"
    generate(before, 16, PERIOD)  # 256 files: over the workers' threshold
    (before / "minsheng.toml").write_text('county = "黄山市"\n', encoding="utf-8")
    _complete(before)
    old = (_tree(before / "outputs" / PERIOD), _city_stored(before))
    for county in ("第001县", "第009县"):  # corrected submissions in two counties
        folder = before / "inputs" / PERIOD / county
        _submit(folder, "司法局6月进度.xlsx", [["办理法律援助案件", 10, 77]])
    reference = tmp_path / "reference"
    shutil.copytree(before, reference)
    duration = _complete(reference)
    new = (_tree(reference / "outputs" / PERIOD), _city_stored(reference))
    assert old != new
    seen = set()
    for attempt in range(6):
        ws = tmp_path / f"attempt{attempt}"
        shutil.copytree(before, ws)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--period", PERIOD, "-w", str(ws)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its workers share its process group
        )
        try:  # the last attempt is not killed: on a busy machine a run may outlast 1.1 × its
            # reference, and "new" must still be seen once
            proc.wait(timeout=duration * 1.1 * attempt / 5 + 0.05 if attempt < 5 else 300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=60)
        time.sleep(0.5)  # a worker whose parent died is killed with it
        listed = subprocess.run(
            ["ps", "-o", "pid=,stat=", "-g", str(proc.pid)], capture_output=True, text=True
        ).stdout.split("\n")
        alive = [line for line in listed if line.strip() and "Z" not in line.split()[1]]
        assert alive == [], f"attempt {attempt}: workers left {alive}"  # (zombies are dead)
        out = ws / "outputs" / PERIOD
        if not out.exists():
            recover(out)
        state = (_tree(out), _city_stored(ws))
        assert state in (old, new), f"attempt {attempt}: a mix of old and new"
        seen.add("old" if state == old else "new")
        shutil.rmtree(ws)
    assert seen == {"old", "new"}, seen
