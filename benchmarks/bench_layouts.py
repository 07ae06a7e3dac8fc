"""Accuracy benchmark: N random department submissions from the independent layout
generator (tests/layouts.py), each read with ``read_period`` and scored figure by figure
against the generator's ground truth.

    python benchmarks/bench_layouts.py [--cases 2000] [--seed 0] [--office-share 0.05]
                                       [--work DIR]

Prints how many figures were read exactly, were absent with an issue naming the indicator,
absent without one, or wrong (a different figure, a figure the files do not give, or one
taken from last month's resent report or a junk file) — in total, by writer (XlsxWriter,
openpyxl, LibreOffice) and by grammar feature — and the 20 most common failure reasons with
one example each. The LibreOffice share is converted in one soffice start per format.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from layouts import Counts, convert_pending, make_case, score, soffice_path, targets  # noqa: E402

from pipeline.config import Config  # noqa: E402
from pipeline.run import read_period  # noqa: E402

OUTCOMES = ("exact", "absent_with_issue", "absent_without_issue", "wrong")
HEAD = f"{'':<28}{'figures':>8}{'exact':>15}{'absent+issue':>15}{'absent-issue':>15}{'wrong':>13}"


def _line(label: str, tally: Counter[str]) -> str:
    total = sum(tally[o] for o in OUTCOMES)
    cells = "".join(
        f"{tally[o]:>7} {100 * tally[o] / total:5.1f}%" if total else f"{'':>13}" for o in OUTCOMES
    )
    return f"{label:<28}{total:>8}{cells}"


def _writer(name: str) -> str:
    return "libreoffice" if name.startswith("libreoffice") else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0, help="first case's seed")
    parser.add_argument(
        "--office-share", type=float, default=0.05, help="share of files saved by LibreOffice"
    )
    parser.add_argument("--work", type=Path, help="write the cases here (kept)")
    parser.add_argument("--min-figures", type=int, default=40, help="smallest feature row shown")
    args = parser.parse_args()
    if args.office_share and not soffice_path():
        raise SystemExit("LibreOffice (soffice) not found: use --office-share 0")
    root = args.work or Path(tempfile.mkdtemp(prefix="minsheng-layouts-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        cases = []
        for seed in range(args.seed, args.seed + args.cases):
            folder = root / f"case{seed}"
            shutil.rmtree(folder, ignore_errors=True)
            cases.append(make_case(seed, folder, office_share=args.office_share))
        t1 = time.perf_counter()
        convert_pending(cases)
        t2 = time.perf_counter()
        total = Counts()
        for case in cases:
            total += score(case, read_period(case.folder, case.period, targets(), Config()))
        t3 = time.perf_counter()
    finally:
        if not args.work:
            shutil.rmtree(root, ignore_errors=True)

    files = Counter(_writer(f.writer) for c in cases for f in c.files)
    print(
        f"{args.cases} cases (seeds {args.seed}–{args.seed + args.cases - 1}), "
        f"{sum(files.values())} files ({', '.join(f'{k} {v}' for k, v in sorted(files.items()))})"
    )
    print(
        f"generated in {t1 - t0:.1f} s, LibreOffice {t2 - t1:.1f} s, read and scored in "
        f"{t3 - t2:.1f} s ({(t3 - t2) / max(1, args.cases) * 1000:.1f} ms/case)\n"
    )
    print(HEAD)
    all_tally: Counter[str] = Counter(f.outcome for f in total.figures)
    print(_line("all figures", all_tally))
    by_writer: dict[str, Counter[str]] = defaultdict(Counter)
    by_feature: dict[str, Counter[str]] = defaultdict(Counter)
    for f in total.figures:
        by_writer[_writer(f.writer)][f.outcome] += 1
        if f.writer.startswith("libreoffice"):
            by_writer[f"  {f.writer}"][f.outcome] += 1
        for feat in set(f.features):
            if not feat.startswith("writer_"):
                by_feature[feat][f.outcome] += 1
    print("\nby writer")
    for w in sorted(by_writer, key=lambda w: (w.strip().split("-")[0], w)):
        print(_line(w, by_writer[w]))
    print(
        f"\nby grammar feature (a figure counts under each of its features; ≥ {args.min_figures})"
    )
    print(HEAD)
    shown = [k for k, v in by_feature.items() if sum(v.values()) >= args.min_figures]
    for feat in sorted(shown, key=lambda k: by_feature[k]["exact"] / sum(by_feature[k].values())):
        print(_line(feat, by_feature[feat]))
    reasons = Counter(f.reason for f in total.figures if f.outcome != "exact")
    example = {}
    for f in total.figures:
        if f.outcome != "exact" and f.reason not in example:
            example[f.reason] = f.detail
    print("\n20 most common failure reasons (absent-with-issue included), one example each")
    for reason, n in reasons.most_common(20):
        print(f"{n:>7}  {reason}\n         e.g. {example[reason][:400]}")


if __name__ == "__main__":
    main()
