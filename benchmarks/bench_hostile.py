"""Time and memory of reading each hostile file, and the cost of the isolated reader.

    python benchmarks/bench_hostile.py [--files 200]

Each hostile case is sniffed and read (``sniff_format``, then ``read_book`` or, for what is
not a spreadsheet, the file-level issue ``normalise`` gives) in a fresh Python process, so its
peak resident memory is its own: ``self`` is that process (checks and in-process reading,
VmHWM), ``worker`` the sandbox process it started, if any. Then a batch of small,
ordinary workbooks is read both ways — in-process (what the checks allow for them) and forced
through the sandbox worker — to show what isolating every file would cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def build_cases(folder: Path) -> dict[str, Path]:
    import hostile
    from builders import department_sheet, write_xls

    secret = folder / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    (folder / "empty.xlsx").write_bytes(b"")
    return {
        "ordinary xlsx": hostile.good_xlsx(folder / "good.xlsx"),
        "ordinary xls": write_xls(folder / "good.xls", [department_sheet(None, hostile.ROWS)]),
        "zip bomb (64 MB of padding)": hostile.zip_bomb(folder / "bomb.xlsx"),
        "zip sizes that lie (16 MB)": hostile.lying_zip(folder / "lying.xlsx"),
        "billion laughs, sheet XML": hostile.billion_laughs(folder / "l1.xlsx", hostile.SHEET_XML),
        "billion laughs, sharedStrings": hostile.billion_laughs(
            folder / "l2.xlsx", hostile.STRINGS_XML
        ),
        "external entity (XXE)": hostile.external_entity(folder / "xxe.xlsx", secret),
        "far cell XFD1048576 (xlsx)": hostile.far_cell_xlsx(folder / "far.xlsx"),
        "far cells IV65536 × 3 sheets (xls)": hostile.far_cell_xls(folder / "far.xls"),
        "xls that panics calamine": hostile.xls_bad_sheet_offset(folder / "panic.xls"),
        "xls claiming 4 billion rows": hostile.xls_lying_dimensions(folder / "dims.xls"),
        "cells without addresses, row 900000": hostile.xml_sheet_without_addresses(
            folder / "noaddr.xlsx"
        ),
        "truncated zip": hostile.truncated(folder / "cut.xlsx"),
        "zero bytes": folder / "empty.xlsx",
        "Word document named .xlsx": hostile.word_as_xlsx(folder / "word.xlsx"),
        "encrypted xlsx": hostile.encrypted_xlsx(folder / "enc.xlsx"),
        "HTML table saved as .xls": hostile.html_as_xls(folder / "page.xls"),
    }


def _peak_mib() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(path: str) -> None:
    """Child mode: sniff and read one file, print the figures as JSON."""
    from pipeline import _precheck
    from pipeline.discover import sniff_format
    from pipeline.normalise import FORMAT_ISSUES, SPREADSHEET_FORMATS
    from pipeline.read import read_book

    t0 = time.perf_counter()
    fmt = sniff_format(Path(path))
    how = "-"
    if fmt in ("xlsx", "xls", "ods", "xlsb"):
        try:
            how = "isolated" if _precheck.plan(Path(path), fmt).isolate else "in-process"
        except Exception:  # Refused, or a container the checks cannot open
            how = "refused"
    if fmt in SPREADSHEET_FORMATS:
        codes = sorted({i.code for i in read_book(path, fmt).issues})
    else:
        codes = [FORMAT_ISSUES.get(fmt, FORMAT_ISSUES["unknown"])[0]]
    elapsed = time.perf_counter() - t0
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "fmt": fmt,
                "how": how,
                "ms": elapsed * 1000,
                "self_mib": _peak_mib(),
                "worker_mib": worker,
                "codes": codes,
            }
        )
    )


def batch(n: int) -> None:
    """Ordinary files: in-process against forced isolation, per file."""
    import hostile

    from pipeline._sandbox import read_isolated
    from pipeline.read import read_book

    with tempfile.TemporaryDirectory() as tmp:
        paths = [hostile.good_xlsx(Path(tmp) / f"f{i}.xlsx") for i in range(n)]
        read_book(paths[0], "xlsx")  # warm the imports
        t0 = time.perf_counter()
        here = [read_book(p, "xlsx") for p in paths]
        t_here = time.perf_counter() - t0
        t0 = time.perf_counter()
        isolated = [read_isolated(p, "xlsx") for p in paths]
        t_iso = time.perf_counter() - t0
    assert here == isolated
    print(
        f"\n{n} ordinary xlsx files: in-process {t_here / n * 1000:.2f} ms/file "
        f"({t_here:.2f} s), through the sandbox worker {t_iso / n * 1000:.1f} ms/file "
        f"({t_iso:.2f} s) — isolating everything would cost {t_iso / max(t_here, 1e-9):.0f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200, help="ordinary files for the batch")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one)
        return
    from pipeline._bounds import MAX_BOOK_CELLS, MAX_FILE_BYTES, MAX_UNZIPPED
    from pipeline._sandbox import MEMORY_LIMIT

    print(
        f"limits: file {MAX_FILE_BYTES >> 20} MiB, unzipped {MAX_UNZIPPED >> 20} MiB, "
        f"{MAX_BOOK_CELLS:,} cells per book, worker address space {MEMORY_LIMIT >> 20} MiB\n"
    )
    head = (
        f"{'case':38} {'format':9} {'read':10} {'ms':>7} {'self MiB':>9} {'worker MiB':>10}  issue"
    )
    print(head)
    print("-" * len(head))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_cases(Path(tmp))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for label, path in cases.items():
            proc = subprocess.run(
                [sys.executable, __file__, "--one", str(path)],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            if proc.returncode != 0:
                print(f"{label:38} CRASHED {proc.returncode}: {proc.stderr[-200:]}")
                continue
            r = json.loads(proc.stdout)
            worst = max(worst, r["self_mib"], r["worker_mib"])
            worker = f"{r['worker_mib']:.0f}" if r["how"] == "isolated" else "-"
            print(
                f"{label:38} {r['fmt']:9} {r['how']:10} {r['ms']:7.1f} {r['self_mib']:9.0f} "
                f"{worker:>10}  {', '.join(r['codes']) or 'ok'}"
            )
    print(f"\nlargest resident set of any process: {worst:.0f} MiB (limit {MEMORY_LIMIT >> 20})")
    batch(args.files)


if __name__ == "__main__":
    main()
