"""Every OS error from the store or the outputs becomes a Chinese message, the store untouched:
the history database and the outputs folder on a tiny tmpfs that is then filled up or
remounted read-only (needs root to mount; skipped otherwise, required under CI), and the
database held locked by another program."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.outputs import manifest_of

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "inputs"
PERIOD = "2022-06"
TIMEOUT = 120


class Tmpfs:
    """A small tmpfs mounted for one test, filled or made read-only on demand."""

    def __init__(self, where: Path, size_kb: int) -> None:
        self.path = where
        where.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )

    def fill(self, leave: int = 0) -> None:
        """Take all the free space but ``leave`` bytes."""
        st = os.statvfs(self.path)
        free = st.f_bavail * st.f_frsize - leave
        with open(self.path / "filler", "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * max(0, free))

    def unfill(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        mode = "ro" if on else "rw"
        subprocess.run(
            ["mount", "-o", f"remount,{mode}", str(self.path)],
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )

    def close(self) -> None:
        subprocess.run(["umount", str(self.path)], capture_output=True, timeout=TIMEOUT)


@pytest.fixture
def tmpfs(tmp_path: Path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        if os.environ.get("CI") == "true":
            pytest.fail("the disk-fault tests need root to mount a tmpfs under CI")
        pytest.skip("needs root to mount a tmpfs")
    made: list[Tmpfs] = []

    def make(name: str, size_kb: int) -> Tmpfs:
        fs = Tmpfs(tmp_path / name, size_kb)
        made.append(fs)
        return fs

    try:
        yield make
    finally:
        for fs in made:
            fs.close()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _stored(db: Path) -> tuple[object, ...]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return (
            con.execute("SELECT max(id) FROM runs").fetchone(),
            con.execute("SELECT count(*) FROM observations").fetchone(),
            con.execute("SELECT count(*) FROM issues").fetchone(),
        )
    finally:
        con.close()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(SAMPLES / PERIOD, root / "inputs" / PERIOD)
    return root


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_history_database_on_a_full_or_read_only_disk(ws: Path, tmpfs, fault: str) -> None:
    """Issue #19.6: the history database's disk is full (or read-only) on the second run:
    exit 1 with a Chinese message naming the database and the cause, no traceback; the
    store still holds the first run (integrity check passing) and the outputs are the
    first run's."""
    fs = tmpfs("db", 2048)
    db = fs.path / "minsheng.db"
    first = _run("run", "-p", PERIOD, "-w", str(ws), "--db", str(db))
    assert first.returncode == 0, first.stderr
    before, manifest = _stored(db), manifest_of(ws / "outputs" / PERIOD)
    (ws / "inputs" / PERIOD / "司法局6月.xlsx").unlink()  # the second run differs
    if fault == "full":
        fs.fill()
    else:
        fs.read_only()
    second = _run("run", "-p", PERIOD, "-w", str(ws), "--db", str(db))
    assert second.returncode == 1
    assert "Traceback" not in second.stderr and "sqlite3" not in second.stderr
    assert f"历史数据库 {db}" in second.stderr
    cause = "磁盘空间已满" if fault == "full" else "只读"
    assert cause in second.stderr, second.stderr
    fs.unfill() if fault == "full" else fs.read_only(False)
    assert _stored(db) == before
    assert manifest_of(ws / "outputs" / PERIOD) == manifest
    assert sorted(p.name for p in (ws / "outputs").iterdir()) == [PERIOD]


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_outputs_on_a_full_or_read_only_disk_leave_the_store_as_it_was(ws, tmpfs, fault):
    """The outputs folder's disk fills up while the new outputs are written (or is
    read-only): exit 1 with the folder and cause named; the store did not commit (its run
    and the outputs still agree) and the previous outputs stand."""
    fs = tmpfs("out", 1024)
    first = _run("run", "-p", PERIOD, "-w", str(ws), "--outputs", str(fs.path))
    assert first.returncode == 0, first.stderr
    before, manifest = _stored(ws / "minsheng.db"), manifest_of(fs.path / PERIOD)
    (ws / "inputs" / PERIOD / "司法局6月.xlsx").unlink()
    if fault == "full":
        fs.fill(leave=20_000)
    else:
        fs.read_only()
    second = _run("run", "-p", PERIOD, "-w", str(ws), "--outputs", str(fs.path))
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert "无法写入" in second.stderr and str(fs.path) in second.stderr
    assert ("磁盘空间已满" if fault == "full" else "磁盘为只读") in second.stderr, second.stderr
    fs.unfill() if fault == "full" else fs.read_only(False)
    assert _stored(ws / "minsheng.db") == before
    assert manifest_of(fs.path / PERIOD) == manifest


def test_a_database_another_program_keeps_locked_is_said(ws: Path, monkeypatch) -> None:
    """Another program (a database browser, say) holds a write lock on the history database
    past the wait: the run stops with a Chinese message saying the database is in use, and
    neither the store nor the outputs change. (No root needed.)"""
    from pipeline import store as store_module
    from pipeline.errors import OutputError
    from pipeline.job import run_job
    from pipeline.workspace import open_workspace

    run_job(open_workspace(ws), PERIOD)
    before, manifest = _stored(ws / "minsheng.db"), manifest_of(ws / "outputs" / PERIOD)
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    other = sqlite3.connect(ws / "minsheng.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OutputError) as caught:
            run_job(open_workspace(ws), PERIOD)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "数据库正被其他程序占用，请稍后重试" in str(caught.value)
    assert _stored(ws / "minsheng.db") == before
    assert manifest_of(ws / "outputs" / PERIOD) == manifest
