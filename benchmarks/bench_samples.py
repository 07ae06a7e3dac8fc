"""Time a full run over the shipped sample inputs, and the naive pandas/openpyxl read of the
same files, and print the figures.

    .venv/bin/python benchmarks/bench_samples.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--period", default="2022-06")
    args = parser.parse_args()

    from pipeline.job import run_job
    from pipeline.workspace import open_workspace

    inputs = ROOT / "inputs"
    from pipeline.discover import is_ignored

    files = [
        p
        for p in (inputs / args.period).iterdir()
        if p.suffix in (".xlsx", ".xls") and not is_ignored(p.name)
    ]
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            shutil.rmtree(Path(tmp) / "outputs", ignore_errors=True)
            (Path(tmp) / "minsheng.db").unlink(missing_ok=True)
            ws = open_workspace(Path(tmp), inputs=inputs)
            t0 = time.perf_counter()
            result = run_job(ws, args.period)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        run_job(open_workspace(Path(tmp), inputs=inputs), args.period)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    n = len(result.data.files)
    best = min(times)
    print(
        f"minsheng run {args.period}: {n} files, best {best * 1000:.0f} ms "
        f"(median {statistics.median(times) * 1000:.0f} ms), {best / n * 1000:.1f} ms per file, "
        f"Python peak {peak / 2**20:.1f} MiB"
    )

    import pandas as pd

    t0 = time.perf_counter()
    for p in files:
        if p.suffix == ".xlsx":
            pd.read_excel(p, sheet_name=None, engine="openpyxl", header=None)
    naive = time.perf_counter() - t0
    count = sum(p.suffix == ".xlsx" for p in files)
    print(
        f"naive pandas.read_excel(openpyxl), read only: {count} xlsx files, "
        f"{naive * 1000:.0f} ms, {naive / count * 1000:.1f} ms per file"
    )


if __name__ == "__main__":
    main()
