"""Generate C counties × 16 departments of realistic submissions for the scale benchmark.

    python benchmarks/make_counties.py OUT_DIR --counties 125 [--period 2022-06]

Each department's file has title rows, a 填报单位 line, a two-row merged header, its
indicators (the co-units' too), per-township detail rows and a footer: 5–60 rows, the
detail rows drawn so that a file's length is spread evenly up to 60 (as far as its indicators
allow: a department with no count indicator has no township rows). About one
file in eight is an .xls (Excel 97), the rest .xlsx formatted as offices format their tables
(title font, bold shaded header, borders on every table cell, wrapped text, column widths,
row heights, A4 landscape with repeated header rows), each with its own document properties
(author, time saved), as files saved by different people are. Figures are random but
plausible and reproducible (seeded by county and department).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from builders import SheetSpec, write_xls  # noqa: E402

from pipeline.targets import load_targets  # noqa: E402

TOWNS = [  # a large county's townships (歙县 has 28): the detail rows under a count
    *("徽城镇", "深渡镇", "北岸镇", "富堨镇", "郑村镇", "桂林镇", "许村镇", "溪头镇", "杞梓里镇"),
    *("霞坑镇", "岔口镇", "街口镇", "王村镇", "雄村镇", "三阳镇", "金川乡", "小川乡", "新溪口乡"),
    *("璜田乡", "长陔乡", "森村乡", "绍濂乡", "石门乡", "狮石乡", "昌溪乡", "武阳乡", "上丰乡"),
    "碧阳镇",
]
MAX_ROWS = 60  # a file has 5–60 rows (the range); its detail rows fill it up
TOP = ["序号", "指标名称", "年度目标", "单位", "完成情况", None, None, "进展情况", "存在问题"]
SUB = [None, None, None, None, "本月完成", "累计完成", "完成比例", None, None]


def department_file(county: str, dept: str, period: str, rng: random.Random) -> SheetSpec:
    table = load_targets()
    month = int(period[5:7])
    indicators = table.indicators_of(dept)
    # how many township rows under each count indicator: the file's total is spread evenly
    # from its fixed rows (title, unit line, two header rows, indicators, footer) up to 60
    towns = {i.id: 0 for i in indicators if i.kind == "count"}
    for _ in range(rng.randint(0, MAX_ROWS - 5 - len(indicators)) if towns else 0):
        room = [k for k, n in towns.items() if n < len(TOWNS)]
        if room:
            towns[rng.choice(room)] += 1
    rows: list[list[object]] = []
    for n, ind in enumerate(indicators, start=1):
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
        for town in rng.sample(TOWNS, towns[ind.id]):
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


def write_formatted_xlsx(
    path: Path, spec: SheetSpec, author: str = "", saved: dt.datetime | None = None
) -> None:
    """The sheet as an office formats it in Excel or WPS (see the module docstring), saved
    by ``author`` at ``saved`` (each real file has its own document properties)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    if saved is not None:
        wb.set_properties({"author": author, "created": saved})
    ws = wb.add_worksheet(spec.name)
    font = {"font_name": "仿宋_GB2312", "font_size": 11, "valign": "vcenter"}
    title = wb.add_format(
        {**font, "font_name": "方正小标宋简体", "font_size": 18, "align": "center"}
    )
    head = wb.add_format(
        {**font, "font_name": "黑体", "bold": True, "align": "center", "border": 1}
        | {"text_wrap": True, "bg_color": "#D9E1F2"}
    )
    body = wb.add_format({**font, "border": 1, "text_wrap": True})
    number = wb.add_format({**font, "border": 1, "num_format": "0.00"})
    plain = wb.add_format(font)
    for first, last, width in ((0, 0, 6), (1, 1, 34), (2, 6, 11), (7, 8, 30)):
        ws.set_column(first, last, width)
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(2, 3)
    ws.fit_to_pages(1, 0)
    merged: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in spec.merges:
        ws.merge_range(r1, c1, r2, c2, spec.rows[r1][c1], title if r1 == 0 else head)
        merged |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    last = len(spec.rows) - 1
    for r, row in enumerate(spec.rows):
        ws.set_row(r, 36 if r == 0 else 28)
        for c in range(9):
            if (r, c) in merged:
                continue
            v = row[c] if c < len(row) else None
            if r in (1, last):
                fmt = plain
            elif r in (2, 3):
                fmt = head
            else:
                fmt = number if isinstance(v, float) else body
            if v is None:
                ws.write_blank(r, c, None, fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, fmt)
            else:
                ws.write_string(r, c, str(v), fmt)
    wb.close()


def generate(out: Path, counties: int, period: str) -> int:
    table = load_targets()
    written = 0
    next_month = (dt.datetime.fromisoformat(period + "-01") + dt.timedelta(days=32)).replace(day=1)
    for c in range(counties):
        county = f"第{c + 1:03d}县"
        folder = out / "inputs" / period / county
        folder.mkdir(parents=True, exist_ok=True)
        receipts = ["文件名,收到时间"]
        for d, dept in enumerate(table.departments):
            rng = random.Random(c * 100 + d)
            spec = department_file(county, dept.name, period, rng)
            short = dept.aliases[0] if dept.aliases else dept.name
            as_xls = rng.random() < 0.125
            # most arrive by the 5th of the next month (the deadline), some a few days late
            received = next_month + dt.timedelta(
                days=rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 6]), hours=rng.randint(8, 17)
            )
            if as_xls:
                name = f"{short}{int(period[5:7])}月.xls"
                write_xls(folder / name, [spec])
            else:
                name = f"{short}{int(period[5:7])}月进度.xlsx"
                saved = received - dt.timedelta(minutes=rng.randint(5, 600), seconds=c * 16 + d)
                write_formatted_xlsx(folder / name, spec, f"{county}{dept.name}", saved)
            receipts.append(f"{name},{received:%Y-%m-%d %H:%M}")
            written += 1
        (folder / "收文登记.csv").write_text("\n".join(receipts) + "\n", encoding="utf-8")
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
