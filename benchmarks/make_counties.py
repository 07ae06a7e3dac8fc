"""Generate C counties × 16 departments of realistic submissions for the scale benchmark.

    python benchmarks/make_counties.py OUT_DIR --counties 125 [--period 2022-06]

Each department's file has title rows, a 填报单位 line, a two-row merged header, its
indicators (the co-units' too), per-township detail rows and a footer: 5–60 rows. About one
file in eight is an .xls (Excel 97), the rest .xlsx. Figures are random but plausible and
reproducible (seeded by county and department).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from builders import SheetSpec, write_xls, write_xlsx  # noqa: E402

from pipeline.targets import load_targets  # noqa: E402

TOWNS = ["碧阳镇", "宏村镇", "渔亭镇", "西递镇", "柯村镇", "美溪乡", "宏潭乡", "洪星乡"]
TOP = ["序号", "指标名称", "年度目标", "单位", "完成情况", None, None, "进展情况", "存在问题"]
SUB = [None, None, None, None, "本月完成", "累计完成", "完成比例", None, None]


def department_file(county: str, dept: str, period: str, rng: random.Random) -> SheetSpec:
    table = load_targets()
    month = int(period[5:7])
    rows: list[list[object]] = []
    for n, ind in enumerate(table.indicators_of(dept), start=1):
        if ind.kind == "milestone":
            rows.append(
                [
                    n,
                    ind.name,
                    None,
                    None,
                    None,
                    rng.choice(["推进中", "已完成"]),
                    None,
                    "按计划推进",
                    "",
                ]
            )
            continue
        target = ind.target or 1
        if ind.kind == "level":
            value = round(target * rng.uniform(0.95, 1.05), 1)
            value = min(value, 100.0) if ind.unit == "%" else value
            rows.append([n, ind.name, target, ind.unit, None, f"{value}{ind.unit}", None, "", ""])
            continue
        done = round(target * rng.uniform(0.2, 0.9) * month / 12 * 2, 3)
        done = min(done, target)
        rows.append(
            [
                n,
                ind.name,
                target,
                ind.unit,
                round(done / month, 3),
                done,
                f"{done / target:.0%}",
                "有序推进",
                "",
            ]
        )
        for town in rng.sample(TOWNS, rng.randint(0, 4)):
            rows.append(
                [
                    None,
                    f"其中：{town}",
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"{town}已完成{rng.randint(1, 9)}处",
                    "",
                ]
            )
    grid: list[list[object]] = [
        [f"{county}2022年民生实事项目推进情况表（{month}月）"],
        [f"填报单位：{dept}", None, None, None, None, None, None, "填报日期：2022年7月3日"],
        TOP,
        SUB,
        *rows,
        ["填报人：张三", None, None, None, "联系电话：0559-5512345"],
    ]
    merges = [
        (0, 0, 0, 8),
        (2, 0, 3, 0),
        (2, 1, 3, 1),
        (2, 2, 3, 2),
        (2, 3, 3, 3),
        (2, 4, 2, 6),
        (2, 7, 3, 7),
        (2, 8, 3, 8),
    ]
    return SheetSpec("进度表", grid, merges=merges)


def generate(out: Path, counties: int, period: str) -> int:
    table = load_targets()
    written = 0
    for c in range(counties):
        county = f"第{c + 1:03d}县"
        folder = out / "inputs" / period / county
        folder.mkdir(parents=True, exist_ok=True)
        for d, dept in enumerate(table.departments):
            rng = random.Random(c * 100 + d)
            spec = department_file(county, dept.name, period, rng)
            short = dept.aliases[0] if dept.aliases else dept.name
            if rng.random() < 0.125:
                write_xls(folder / f"{short}{int(period[5:7])}月.xls", [spec])
            else:
                write_xlsx(folder / f"{short}{int(period[5:7])}月进度.xlsx", [spec])
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--counties", type=int, default=125)
    parser.add_argument("--period", default="2022-06")
    args = parser.parse_args()
    n = generate(args.out, args.counties, args.period)
    print(f"wrote {n} files for {args.counties} counties into {args.out}/inputs/{args.period}")


if __name__ == "__main__":
    main()
