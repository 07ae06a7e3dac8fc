"""Build messy department submissions in code: every quirk a named option.

A sheet is a grid (list of rows) plus merges, number formats and a hidden flag; writers put
the same sheets into .xlsx (XlsxWriter), .xls (xlwt), .csv (UTF-8 or GBK) or — through
LibreOffice — .ods.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Cell = Any


@dataclass
class SheetSpec:
    name: str
    rows: list[list[Cell]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (r, c) → num format
    formulas: dict[tuple[int, int], tuple[str, Any]] = field(
        default_factory=dict
    )  # formula, cached
    hidden: bool = False


@dataclass(frozen=True)
class Formula:
    """A formula cell with its cached value (what Excel saved)."""

    formula: str
    cached: Any


STANDARD_HEADER = [
    "序号",
    "指标名称",
    "目标任务",
    "单位",
    "本月完成",
    "累计完成",
    "进展情况",
    "存在问题",
]


def department_sheet(
    unit: str | None,
    rows: list[list[Cell]],
    *,
    header: list[str] | None = None,
    title: str | None = "2022年民生实事进度报表",
    footer: list[str] | None = None,
    blank_rows_before_header: int = 0,
    name: str = "进度表",
) -> SheetSpec:
    """A department's own layout: title, 填报单位 line, header, rows, footer."""
    grid: list[list[Cell]] = []
    if title:
        grid.append([title])
    if unit:
        grid.append([f"填报单位：{unit}", None, None, None, "填报日期：2022年7月4日"])
    grid.extend([[] for _ in range(blank_rows_before_header)])
    grid.append(list(header or STANDARD_HEADER))
    grid.extend(rows)
    for line in footer or []:
        grid.append([line])
    return SheetSpec(name, grid)


def two_row_header_sheet(unit: str, rows: list[list[Cell]]) -> SheetSpec:
    """完成情况 merged over 本月 / 累计 / 完成比例; 序号 and 指标 merged down two rows."""
    top = ["序号", "指标内容", "年度目标", "单位", "完成情况", None, None, "进展情况"]
    sub = [None, None, None, None, "本月", "累计", "完成比例", None]
    grid = [["民生实事项目推进情况表"], [f"填报单位：{unit}"], top, sub, *rows]
    merges = [
        (2, 0, 3, 0),
        (2, 1, 3, 1),
        (2, 2, 3, 2),
        (2, 3, 3, 3),
        (2, 4, 2, 6),
        (2, 7, 3, 7),
        (0, 0, 0, 7),
    ]
    return SheetSpec("Sheet1", grid, merges=merges)


def write_xlsx(path: Path, sheets: list[SheetSpec]) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"created": dt.datetime(2022, 7, 4)})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    fmts: dict[str, Any] = {}
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        merged_cells = set()
        for r1, c1, r2, c2 in spec.merges:
            ws.merge_range(r1, c1, r2, c2, spec.rows[r1][c1] if c1 < len(spec.rows[r1]) else None)
            merged_cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(spec.rows):
            for c, v in enumerate(row):
                if (r, c) in merged_cells or v is None:
                    continue
                f = None
                if (r, c) in spec.formats:
                    nf = spec.formats[(r, c)]
                    f = fmts.setdefault(nf, wb.add_format({"num_format": nf}))
                if isinstance(v, Formula):
                    ws.write_formula(r, c, v.formula, f, v.cached)
                elif isinstance(v, (dt.date, dt.datetime)):
                    ws.write_datetime(r, c, v, f or date_fmt)
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, c, v, f)
                else:
                    ws.write_string(r, c, str(v), f)
        if spec.hidden:
            ws.hide()
    wb.close()
    return path


def write_xls(path: Path, sheets: list[SheetSpec]) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for spec in sheets:
        ws = wb.add_sheet(spec.name)
        merged_cells = set()
        for r1, c1, r2, c2 in spec.merges:
            ws.write_merge(r1, r2, c1, c2, spec.rows[r1][c1] if c1 < len(spec.rows[r1]) else "")
            merged_cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(spec.rows):
            for c, v in enumerate(row):
                if (r, c) in merged_cells or v is None:
                    continue
                if isinstance(v, Formula):
                    v = v.cached
                style = (
                    xlwt.easyxf(num_format_str=spec.formats[(r, c)])
                    if ((r, c) in spec.formats)
                    else None
                )
                if style is not None:
                    ws.write(r, c, v, style)
                else:
                    ws.write(r, c, v)
        if spec.hidden:
            ws.visibility = 1
    wb.save(str(path))
    return path


def write_csv(path: Path, sheet: SheetSpec, encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in sheet.rows:
        writer.writerow(
            ["" if v is None else (v.cached if isinstance(v, Formula) else v) for v in row]
        )
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, fmt: str, out_dir: Path) -> Path:
    """Save ``path`` once through LibreOffice as ``fmt`` (xlsx, ods, xls, pdf)."""
    (out,) = convert_many([path], fmt, out_dir)
    return out


def convert_many(
    paths: list[Path], fmt: str, out_dir: Path, exe: str | None = None, timeout: int = 600
) -> list[Path]:
    """Save each file once through LibreOffice as ``fmt``, in one LibreOffice start."""
    exe = exe or soffice()
    assert exe, "LibreOffice is needed"
    if not paths:
        return []
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                exe,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                fmt,
                "--outdir",
                str(out_dir),
                *map(str, paths),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    outs = [out_dir / (p.stem + "." + fmt.split(":")[0]) for p in paths]
    missing = [o for o in outs if not o.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return outs
