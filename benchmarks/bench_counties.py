"""Scale benchmark: `minsheng run` on 1 county (16 files) and on C counties (16 × C files),
beside the naive baseline of reading the same .xlsx files with pandas + openpyxl alone.

    python benchmarks/bench_counties.py [--counties 125] [--work DIR]

Prints per-file milliseconds, totals, peak memory (the run's process and its workers
together) and the ratio to the naive read. The run is timed from CLI start to outputs
written; each side is timed ``--repeat`` times, the two in turns, and the best of each
kept (this machine is noisy, and drifts: in turns, both sides see it alike).
Memory is sampled in a run of its own: the sampling would otherwise take CPU from the timed
run. The package is byte-compiled first, as an installed one is.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.fanout import MIN_FILES  # noqa: E402


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants, from /proc (0 once they are gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next(
            (
                int(line.split()[1]) * 1024
                for line in status.splitlines()
                if line.startswith("VmRSS")
            ),
            0,
        )
        todo.extend(int(c) for c in children)
    return total


def _command(workspace: Path, period: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", "-p", period, "-w", str(workspace), *extra]


def _run(workspace: Path, period: str, *extra: str) -> float:
    """Seconds of one `minsheng run` as its own process, watched by nothing (sampling its
    memory costs CPU the run would otherwise have: two cores, three processes)."""
    t0 = time.perf_counter()
    subprocess.run(_command(workspace, period, *extra), stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def _peak(workspace: Path, period: str) -> float:
    """Peak memory (MiB) of one `minsheng run`: the largest sum, sampled every 5 ms, of the
    run's resident memory and its workers'."""
    proc = subprocess.Popen(_command(workspace, period), stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.005)
    if proc.returncode:
        raise SystemExit(f"minsheng run failed ({proc.returncode})")
    own = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest process
    return max(peak, own) / 1024 / 1024


def _naive(files: list[Path]) -> float:
    import pandas as pd

    t0 = time.perf_counter()
    for f in files:
        pd.read_excel(f, sheet_name=None, engine="openpyxl", header=None)
    return time.perf_counter() - t0


def _workspace(root: Path, counties: int, period: str) -> Path:
    from make_counties import generate

    ws = root / f"c{counties}"
    if not (ws / "inputs" / period).is_dir():
        generate(ws, counties, period)
        (ws / "minsheng.toml").write_text('county = "黄山市"\n', encoding="utf-8")
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counties", type=int, default=125)
    parser.add_argument("--period", default="2022-06")
    parser.add_argument("--work", type=Path, help="keep generated inputs here between runs")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=200,
        help="how many .xlsx files the naive read times (extrapolated)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="time each side this many times, keep the best"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    # as installed (pip compiles a package's modules): a checkout run with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile them again in every timed run
    compileall.compile_dir(HERE.parent / "pipeline", quiet=1)
    root = args.work or Path(tempfile.mkdtemp(prefix="minsheng-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        for counties in (1, args.counties):
            ws = _workspace(root, counties, args.period)
            files = sorted((ws / "inputs" / args.period).rglob("*.xls*"))
            for stale in (ws / "minsheng.db", ws / "minsheng.db-wal", ws / "minsheng.db-shm"):
                stale.unlink(missing_ok=True)
            peak = _peak(ws, args.period)  # also warms the file cache and the store
            xlsx = [f for f in files if f.suffix == ".xlsx"][: args.naive_sample]
            # taken in turns, so that both sides see the machine in the same moods
            runs, reads = zip(
                *((_run(ws, args.period), _naive(xlsx)) for _ in range(args.repeat)), strict=True
            )
            seconds, naive = min(runs), min(reads) / len(xlsx) * len(files)
            print(
                f"{counties:>4} counties, {len(files):>5} files: minsheng run {seconds:7.2f} s "
                f"({seconds / len(files) * 1000:5.2f} ms/file, peak {peak:6.0f} MiB) | naive "
                f"pandas+openpyxl read only {naive:7.2f} s ({naive / len(files) * 1000:5.2f} "
                f"ms/file) | ratio {naive / seconds:5.1f}×"
            )
            if counties > 1:  # do two worker processes pay? the same run both ways
                alone, two = (
                    min(_run(ws, args.period, "--workers", n) for _ in range(args.repeat))
                    for n in ("0", "2")
                )
                print(
                    f"{'':>29} one process (--workers 0) {alone:6.2f} s, two workers "
                    f"(--workers 2) {two:6.2f} s: {alone / two:4.2f}× (the default uses two "
                    f"from {MIN_FILES} files up)"
                )
    finally:
        if not args.work:
            shutil.rmtree(root, ignore_errors=True)
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
