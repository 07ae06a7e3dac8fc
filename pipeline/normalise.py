"""One submitted file → observations, skipped rows and issues (see ``rows`` for a row)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.discover import department_from_name
from pipeline.match import match_label
from pipeline.model import (
    FileResult,
    Indicator,
    Issue,
    Observation,
    SkippedRow,
    SourceFile,
    TargetTable,
)
from pipeline.narrative import prose_cells, read_narrative
from pipeline.period_evidence import MonthMention, mentions, other_month, written_month
from pipeline.read import Book, CellInfo, Sheet, a1, cell_formats, read_book
from pipeline.roles import label_columns, with_arithmetic, with_labels
from pipeline.rows import Outcome, RowContext, process_row
from pipeline.tables import (
    TableLayout,
    clean,
    column_role,
    filled,
    locate_tables,
    reporting_unit,
    single_text,
    table_unit,
)
from pipeline.wide import read_wide

_NO_TABLE = "文件中没有找到可识别的进度报表（应有“指标名称”和“累计完成”等表头），请使用报送模板"
SPREADSHEET_FORMATS = frozenset({"xlsx", "xls", "ods", "csv", "xlsb", "html"})
_NOT_EXCEL = "不是 Excel 表格，请用报送模板填写后报送"
FORMAT_ISSUES: dict[str, tuple[str, str]] = {
    "encrypted": (
        "E-FILE-ENCRYPTED",
        "文件已加密（设置了打开密码），无法读取，请取消密码后重新报送",
    ),
    "empty": ("E-FILE-EMPTY", "文件是空的（0 字节），请重新报送"),
    "locked": (
        "E-FILE-UNREADABLE",
        "文件无法打开（可能正在被 Excel 等程序打开，或没有读取权限），请关闭该文件后重新汇总",
    ),
    "docx": ("E-FILE-NOT-EXCEL", f"这是 Word 文档，{_NOT_EXCEL}"),
    "doc": ("E-FILE-NOT-EXCEL", f"这是 Word 文档（.doc），{_NOT_EXCEL}"),
    "pptx": ("E-FILE-NOT-EXCEL", f"这是 PowerPoint 演示文稿，{_NOT_EXCEL}"),
    "ppt": ("E-FILE-NOT-EXCEL", f"这是 PowerPoint 演示文稿（.ppt），{_NOT_EXCEL}"),
    "ole": ("E-FILE-NOT-EXCEL", f"这是其他 Office 文件，{_NOT_EXCEL}"),
    "pdf": ("E-FILE-NOT-EXCEL", f"这是 PDF 文件（无法从中读取数据），{_NOT_EXCEL}"),
    "image": ("E-FILE-NOT-EXCEL", f"这是图片（照片或截图），{_NOT_EXCEL}"),
    "zip": ("E-FILE-NOT-EXCEL", "这是压缩包或其他文件，不是 Excel 表格，请解压后报送表格"),
    "archive": ("E-FILE-NOT-EXCEL", "这是压缩包（rar/7z/gz），不是 Excel 表格，请解压后报送表格"),
    "mhtml": (
        "E-FILE-NOT-EXCEL",
        "这是“单个文件网页”（.mht），不是 Excel 表格，"
        "请在 Excel 中“另存为 Excel 工作簿(.xlsx)”后报送",
    ),
    "xml": (
        "E-FILE-NOT-EXCEL",
        "这是 XML 文件（如 Excel 2003 XML 表格），不是 Excel 工作簿，"
        "请在 Excel 中“另存为 Excel 工作簿(.xlsx)”后报送",
    ),
    "unknown": ("E-FILE-NOT-EXCEL", f"无法识别的文件格式，{_NOT_EXCEL}"),
}


def _file_issue(source: SourceFile, code: str, message: str, dept: str | None) -> FileResult:
    issue = Issue("error", code, message, dept or "", source.name)
    return FileResult(source, dept, issues=(issue,), readable=False)


def normalise_file(
    source: SourceFile, targets: TargetTable, period: str, data: bytes | None = None
) -> FileResult:
    """Read one file and normalise every table in it; bad data becomes issues, never raises.
    ``data``: the file's bytes as ``discover`` read them (else the file is read again)."""
    dept = source.department
    if source.format not in SPREADSHEET_FORMATS:
        code, message = FORMAT_ISSUES.get(source.format, FORMAT_ISSUES["unknown"])
        return _file_issue(source, code, message, dept)
    book = read_book(source.path, source.format, data)
    issues: list[Issue] = [replace(i, department=dept or "") for i in book.issues]
    if not book.sheets:
        return FileResult(source, dept, issues=tuple(issues), readable=False)
    month = int(period[5:7]) if len(period) >= 7 and period[5:7].isdigit() else None
    visible = [s for s in book.sheets if not s.hidden]
    for s in book.sheets:
        if s.hidden:
            issues.append(
                Issue(
                    "info",
                    "I-SHEET-HIDDEN",
                    f"隐藏的工作表“{s.name}”未读取",
                    dept or "",
                    source.name,
                    s.name,
                )
            )
    tables = [(s, layout) for s in visible for layout in locate_tables(s.rows, month)]
    tables, month_notes = _this_months_tables(tables, month, dept, source.name)
    issues += month_notes
    dept, dept_issues = _department(source, book, tables, targets)
    by_table = _table_departments(tables, targets)
    by_sheet = {s.name: d for s in visible if (d := _sheet_department(s, targets))}
    if len(set(by_table.values()) | set(by_sheet.values())) > 1:  # a sheet or block each
        dept_issues = [i for i in dept_issues if i.code != "E-DEPT-UNKNOWN"]
        dept = dept or next(iter([*by_table.values(), *by_sheet.values()]))
    else:
        by_table, by_sheet = {}, {}
    issues += dept_issues
    if dept is None:
        return FileResult(
            source,
            None,
            issues=tuple(issues),
            readable=True,
            rows_seen=sum(_count_rows(s, lay) for s, lay in tables),
        )
    issues = [replace(i, department=dept) for i in issues]
    own = targets.indicators_of(dept)
    stale = _other_month(source, visible, tables, period, month)
    wide_obs: list[Observation] = []
    for sheet in visible:
        d = by_sheet.get(sheet.name, dept)
        wide = read_wide(sheet, targets.indicators_of(d), period, d, source.name, month)
        if wide is not None:  # a column group per indicator: read as such, not as a table
            wide_obs += wide[0]
            issues += wide[1]
            tables = [t for t in tables if t[0] is not sheet]
        elif by_sheet and not any(t[0] is sheet for t in tables) and sheet.name in by_sheet:
            # a department's own sheet with no table: its prose, or the reason it gave nothing
            obs, said = read_narrative(
                prose_cells([sheet]), targets.indicators_of(d), period, d, source.name
            )
            wide_obs += obs
            issues += said or [Issue("error", "E-NO-TABLE", _NO_TABLE, d, source.name, sheet.name)]
    if not tables and wide_obs:
        if stale is not None:
            return FileResult(source, dept, (), (*issues, stale(dept)))
        return FileResult(source, dept, tuple(wide_obs), tuple(issues))
    if not tables:
        obs, narrative_issues = read_narrative(prose_cells(visible), own, period, dept, source.name)
        if stale is not None:
            return FileResult(source, dept, (), (*issues, *narrative_issues, stale(dept)))
        if obs or narrative_issues:
            return FileResult(source, dept, tuple(obs), tuple(issues + narrative_issues))
        issues.append(Issue("error", "E-NO-TABLE", _NO_TABLE, dept, source.name))
        return FileResult(source, dept, issues=tuple(issues))
    formats = _FormatLookup(source)
    observations: list[Observation] = list(wide_obs)
    skipped: list[SkippedRow] = []
    accounting: list[tuple[str, int, str]] = []
    seen: dict[str, dict[str, int]] = {}  # department → indicator id → row it was taken from
    rows_seen = 0
    read_as: list[tuple[str, int, str, tuple[tuple[str, str], ...]]] = []
    for sheet, layout in tables:
        sheet_dept = by_table.get(_key(sheet, layout), dept)
        mine = targets.indicators_of(sheet_dept)
        layout = with_arithmetic(sheet.rows, with_labels(sheet.rows, layout, mine))
        layout = replace(layout, unit=table_unit(sheet.rows[layout.above : layout.header_rows[0]]))
        layout = layout.with_duplicates(month)
        read_as.append((sheet.name, layout.header_rows[0] + 1, sheet_dept, layout.decisions()))
        issues += _layout_issues(sheet, layout, sheet_dept, source.name)
        for r in range(layout.above, layout.header_rows[0]):
            if filled(sheet.rows[r]):
                rows_seen += 1
                skipped.append(SkippedRow(source.name, sheet.name, r + 1, "标题行"))
                accounting.append((sheet.name, r + 1, "skipped"))
        # one context for the sheet's rows (a step may set in_footer for the rows below)
        ctx = RowContext(
            (),
            0,
            layout,
            mine,
            period,
            sheet_dept,
            source.name,
            sheet.name,
            formats.for_sheet(sheet.name, len(sheet.rows)),
            seen=seen.setdefault(sheet_dept, {}),
        )
        for r in range(layout.first_data_row, layout.end or len(sheet.rows)):
            row = sheet.rows[r]
            if not filled(row):
                continue
            rows_seen += 1
            heading = _department_heading(row, targets)
            if heading is not None:  # 单位：县民政局 — the rows below are that department's
                ctx.department, ctx.indicators = heading, targets.indicators_of(heading)
                ctx.seen = seen.setdefault(heading, {})
                ctx.layout = with_labels(sheet.rows, layout, ctx.indicators)
                skipped.append(SkippedRow(source.name, sheet.name, r + 1, "单位小标题"))
                accounting.append((sheet.name, r + 1, "skipped"))
                continue
            ctx.row, ctx.r = row, r
            outcome: Outcome = process_row(ctx)
            issues += outcome.issues
            accounting.append((sheet.name, r + 1, outcome.kind))
            if outcome.observation:
                observations.append(outcome.observation)
            elif outcome.kind == "skipped":
                skipped.append(SkippedRow(source.name, sheet.name, r + 1, outcome.reason))
    found, from_prose = [], []
    for d in dict.fromkeys([dept, *(by_table.get(_key(*t), dept) for t in tables)]):
        mine_tables = [t for t in tables if by_table.get(_key(*t), dept) == d]
        more, said = _prose_figures(
            mine_tables, observations, issues, targets.indicators_of(d), period, d, source
        )
        found += more
        from_prose += said
    if found:
        taken = {o.indicator_id for o in found}
        observations += found
        issues = [
            i for i in issues if not (i.code == "W-VALUE-MISSING" and i.indicator_id in taken)
        ]
        issues += from_prose
    if stale is not None:
        departments = {o.department for o in observations} | {dept}
        issues += [stale(d) for d in sorted(departments)]
        observations = []
    return FileResult(
        source,
        dept,
        tuple(observations),
        tuple(issues),
        tuple(skipped),
        rows_seen,
        accounting=tuple(accounting),
        tables=tuple(read_as),
    )


def _prose_figures(
    tables: Sequence[tuple[Sheet, TableLayout]],
    observations: Sequence[Observation],
    issues: Sequence[Issue],
    own: Sequence[Indicator],
    period: str,
    dept: str,
    source: SourceFile,
) -> tuple[list[Observation], list[Issue]]:
    """Figures the table's prose gives for the department's indicators the table did not:
    its 进展情况 / 备注 cells and lines of sentences, each figure pairing with exactly one of
    the department's indicators (see ``narrative``)."""
    given = {o.indicator_id for o in observations if o.department == dept}
    named = {
        i.indicator_id
        for i in issues
        if i.indicator_id and i.department == dept and i.code != "W-VALUE-MISSING"
    }
    missing = {
        i.id
        for i in own
        if i.kind != "milestone" and i.lead_department == dept and i.id not in given | named
    }
    if not missing:
        return [], []
    # rows matched to an indicator that gave no figure: their own prose is about it
    unfilled = {
        (i.sheet, i.cell[1:] if i.cell[:1] == "A" else ""): i.indicator_id
        for i in issues
        if i.code == "W-VALUE-MISSING" and i.department == dept and i.indicator_id in missing
    }
    cells: list[tuple[str, str, str]] = []
    kept: list[Observation] = []
    said: list[Issue] = []
    by_id = {i.id: i for i in own}
    for sheet, layout in tables:
        text_columns = [layout.columns[r] for r in ("progress", "remark") if r in layout.columns]
        for r in range(layout.first_data_row, layout.end or len(sheet.rows)):
            row = sheet.rows[r]
            texts = {v for v in row if isinstance(v, str) and v.strip()}
            columns = range(len(row)) if len(texts) == 1 else text_columns
            found = [
                (sheet.name, a1(r, c), v)
                for c in columns
                if isinstance(v := row[c] if c < len(row) else None, str) and len(v.strip()) >= 8
            ]
            iid = unfilled.get((sheet.name, str(r + 1)))
            if iid is not None and found:
                obs, notes = read_narrative(found, (by_id[iid],), period, dept, source.name)
                kept += obs
                said += [i for i in notes if i.indicator_id == iid]
            else:
                cells += found
    missing -= {o.indicator_id for o in kept}
    if cells and missing:
        obs, notes = read_narrative(cells, own, period, dept, source.name)
        kept += [o for o in obs if o.indicator_id in missing]
        said += [i for i in notes if i.indicator_id in missing]
    return kept, said


_UNIT_OF_BLOCK = re.compile(r"(?:填报|报送|牵头|责任)?单位(?:名称)?[:：]?(.+)$")


def _key(sheet: Sheet, layout: TableLayout) -> tuple[str, int]:
    """A table's place: its sheet and header row."""
    return sheet.name, layout.header_rows[0]


def _sheet_department(sheet: Sheet, targets: TargetTable) -> str | None:
    """The department a sheet's name or its own 填报单位 line names."""
    found = department_from_name(sheet.name, targets.departments)
    if found is None and (unit := reporting_unit(sheet.rows)):
        found = department_from_name(unit[0], targets.departments)
    return found


def _table_departments(
    tables: Sequence[tuple[Sheet, TableLayout]], targets: TargetTable
) -> dict[tuple[str, int], str]:
    """Table (by its place) → the department its sheet's name, or its own
    lines above it (``填报单位：…``, ``单位：县民政局``, a heading naming it), name."""
    out: dict[tuple[str, int], str] = {}
    for sheet, layout in tables:
        found = None
        for row in sheet.rows[layout.above : layout.header_rows[0]]:
            for v in row:
                text = clean(v) if isinstance(v, str) else ""
                m = _UNIT_OF_BLOCK.search(text)
                if m and (d := department_from_name(m.group(1), targets.departments)):
                    found = d
            if found is None and (heading := _department_heading(row, targets)):
                found = heading
        if found is None and layout.above == 0:
            found = department_from_name(sheet.name, targets.departments)
        if found:
            out[_key(sheet, layout)] = found
    return out


_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\d{1,2}[、.]|[(（][一二三四五六七八九十\d]+[)）])?"
    r"(?:(?:填报|报送|责任|牵头)?单位[:：]?)?(.{2,20})$"
)


def _department_heading(row: tuple[Any, ...], targets: TargetTable) -> str | None:
    """A sub-heading row naming a department (``单位：县民政局``, ``二、县残联``): one text,
    merged across the row or alone in it, and nothing else."""
    only = single_text(row)
    if only is None:
        return None
    text = clean(only)
    m = _HEADING.match(text)
    if not m or not re.search(r"局|委|会|联|院|办|中心|公司|部", m.group(1)):
        return None
    return department_from_name(m.group(1), targets.departments)


def _sheet_texts(sheet: Sheet, layout: TableLayout) -> list[tuple[str, str, str]]:
    """What says which month a table reports: its sheet's name, titles and value headers."""
    texts = [(sheet.name, "", sheet.name)]
    for r in range(layout.above, layout.header_rows[0]):
        texts += [
            (sheet.name, a1(r, c), v) for c, v in enumerate(sheet.rows[r]) if isinstance(v, str)
        ]
    values = [layout.columns[r] for r in ("cumulative", "monthly") if r in layout.columns]
    if "cumulative" not in layout.columns:
        # no total of this month: a total dated another month (截至8月底累计) is the
        # file's own (上月累计 beside this month's figures is not)
        values += [
            c
            for c, text in layout.headers.items()
            if column_role((text,), None) == "cumulative"
            and not re.search("上月|上期|去年|同期", text)
        ]
    for c in values:
        texts.append((sheet.name, a1(layout.header_rows[0], c), layout.headers[c]))
    return texts


def _this_months_tables(
    tables: list[tuple[Sheet, TableLayout]], month: int | None, dept: str | None, file: str
) -> tuple[list[tuple[Sheet, TableLayout]], list[Issue]]:
    """A workbook of a sheet per month (``9月``, ``10月``…): only this month's sheets are
    read; the others are said to be skipped. All sheets of another month: kept here, and the
    file as a whole is judged by ``_other_month``."""
    if month is None or len(tables) < 2:
        return tables, []
    other = {
        n: hit
        for n, (sheet, layout) in enumerate(tables)
        if (hit := other_month(mentions(_sheet_texts(sheet, layout)), month))
    }
    if not other or len(other) == len(tables):
        return tables, []
    notes = [
        Issue(
            "info",
            "I-SHEET-OTHER-MONTH",
            f"工作表“{tables[n][0].name}”中的表格（第{tables[n][1].header_rows[0] + 1}行起）"
            f"是{hit.month}月的数据，本期未读取",
            dept or "",
            file,
            tables[n][0].name,
            a1(tables[n][1].header_rows[0], 0),
        )
        for n, hit in other.items()
    ]
    return [t for n, t in enumerate(tables) if n not in other], notes


_AS_OF = re.compile(r"(?:截至|截止)(\d{1,2})月(?:底|末|份)|(?<![\d-])1[-－—~至到](\d{1,2})月")


def _as_of_in_rows(sheet: Sheet, layout: TableLayout) -> list[MonthMention]:
    """The months a table's own prose says its figures are as of (``截至4月底累计完成…``)."""
    out = []
    for role in ("progress", "remark"):
        c = layout.columns.get(role)
        if c is None:
            continue
        for r in range(layout.first_data_row, layout.end or len(sheet.rows)):
            v = sheet.rows[r][c] if c < len(sheet.rows[r]) else None
            if isinstance(v, str) and len(v) <= 200:
                for m in _AS_OF.finditer(clean(v)):
                    month = int(m.group(1) or m.group(2))
                    out.append(MonthMention(month, sheet.name, a1(r, c), v))
    return out


def _other_month(
    source: SourceFile,
    sheets: Sequence[Sheet],
    tables: Sequence[tuple[Sheet, TableLayout]],
    period: str,
    month: int | None,
) -> Callable[[str], Issue] | None:
    """When the file's name, titles or value headers name another month and never this one,
    the W-PERIOD-MISMATCH issue to give (per department); its figures are not this month's."""
    if month is None:
        return None
    texts: list[tuple[str, str, str]] = []
    for sheet, layout in tables:
        texts += _sheet_texts(sheet, layout)
    if not tables:  # prose: its first lines
        for sheet in sheets:
            for r, row in enumerate(sheet.rows[:3]):
                texts += [
                    (sheet.name, a1(r, c), v) for c, v in enumerate(row) if isinstance(v, str)
                ]
    found = mentions(texts)  # what the file's contents say beats what its name says
    if not found:  # no title says: the rows' own 截至4月底累计… (all of one month)
        as_of = [m for sheet, layout in tables for m in _as_of_in_rows(sheet, layout)]
        if as_of and len({m.month for m in as_of}) == 1:
            found = as_of
    named = source.period_guess
    if not found and named is not None and named != period and named[:4] == period[:4]:
        found = [MonthMention(int(named[5:7]), "", "", source.name)]
    if not found and named != period:
        # nor its name: a 填报日期 before this month was over (7月5日 in the July folder)
        found = [m for m in written_month(texts, int(period[:4])) if m.month < month]
    hit = other_month(found, month)
    if hit is None:
        return None
    if not hit.sheet:
        where = f"文件名“{hit.text}”"
        fix = f"如确为本月数据，请在文件名中注明“{month}月”后重新汇总"
    else:
        where = f"表内“{hit.text}”（{hit.sheet}{' ' + hit.cell if hit.cell else ''}）"
        fix = f"如确为本月数据，请单位把表内的月份改为{month}月后重新报送"
    msg = (
        f"{where}表明这是{hit.month}月的报表，却放在{period}的文件夹中，其中的数据本期未采用；{fix}"
    )

    def issue(department: str) -> Issue:
        return Issue(
            "warning", "W-PERIOD-MISMATCH", msg, department, source.name, hit.sheet, hit.cell
        )

    return issue


MAX_FORMAT_PASSES = 4  # columns a file's number formats are looked up in (one pass each)


class _FormatLookup:
    """Number formats from a second, openpyxl pass — only for the columns that need one,
    each read once (a pass per cell took quadratic time on a long sheet), and for at most
    MAX_FORMAT_PASSES columns a file (each pass re-reads the workbook's styles); beyond
    that a cell's format is unknown and its figure stays ambiguous."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.columns: dict[tuple[str, int], dict[tuple[int, int], CellInfo]] = {}

    def for_sheet(self, sheet: str, rows: int) -> Callable[[int, int], str | None]:
        def lookup(r: int, c: int) -> str | None:
            key = (sheet, c)
            if key not in self.columns:
                if len(self.columns) >= MAX_FORMAT_PASSES:
                    return None
                wanted = [(row, c) for row in range(rows)]
                self.columns[key] = cell_formats(
                    self.source.path, self.source.format, sheet, wanted
                )
            info = self.columns[key].get((r, c))
            return info.number_format if info else None

        return lookup


def _count_rows(sheet: Sheet, layout: TableLayout) -> int:
    return sum(1 for row in sheet.rows[layout.first_data_row :] if filled(row))


def _layout_issues(sheet: Sheet, layout: TableLayout, dept: str, file: str) -> list[Issue]:
    out = []
    for role in layout.ambiguous:
        names = {
            "cumulative": "累计完成",
            "monthly": "本月完成",
            "state": "推进状态",
            "code": "指标编号",
            "indicator": "指标名称",
        }
        out.append(
            Issue(
                "warning",
                "W-COLUMN-AMBIGUOUS",
                f"表头中有多列都像“{names.get(role, role)}”，已采用第一列"
                f"（{a1(layout.header_rows[-1], layout.columns[role])}），请核对",
                dept,
                file,
                sheet.name,
                a1(layout.header_rows[0], layout.columns[role]),
            )
        )
    if not any(r in layout.columns for r in ("cumulative", "monthly", "state")):
        out.append(
            Issue(
                "warning",
                "W-NO-VALUE-COLUMN",
                "表中没有“累计完成”或“本月完成”列，只能读取进展情况",
                dept,
                file,
                sheet.name,
                a1(layout.header_rows[0], 0),
            )
        )
    return out


def _department(
    source: SourceFile,
    book: Book,
    tables: Sequence[tuple[Sheet, TableLayout]],
    targets: TargetTable,
) -> tuple[str | None, list[Issue]]:
    """From the file name, the 填报单位 cell, or the set of indicators the rows name."""
    by_name = source.department or department_from_name(Path(source.name).stem, targets.departments)
    in_file: tuple[str, str, str] | None = None  # department, sheet, cell
    for sheet in book.sheets:
        found = reporting_unit(sheet.rows)
        if found:
            d = department_from_name(found[0], targets.departments)
            if d:
                in_file = (d, sheet.name, a1(found[1], found[2]))
                break
    if in_file is None:  # the title names it: 县教育局2022年民生实事10月份进展情况
        in_file = _department_in_title(book, targets)
    if by_name and in_file and by_name != in_file[0]:
        by_rows = _department_from_rows(tables, targets)
        issue = Issue(
            "warning",
            "W-DEPT-CONFLICT",
            f"文件名显示为“{by_name}”，表内填报单位为“{in_file[0]}”，"
            + (f"按所填指标认定为“{by_rows}”" if by_rows else "无法确定报送单位"),
            by_rows or "",
            source.name,
            in_file[1],
            in_file[2],
        )
        return by_rows, [issue]
    if by_name or in_file:
        return by_name or (in_file[0] if in_file else None), []
    by_rows = _department_from_rows(tables, targets)
    if by_rows:
        return by_rows, []
    return None, [
        Issue(
            "error",
            "E-DEPT-UNKNOWN",
            "无法确定报送单位：文件名和表内都没有写明"
            "单位名称（如“填报单位：县交通运输局”），请在文件名中注明单位后重新报送",
            "",
            source.name,
        )
    ]


def _department_in_title(book: Book, targets: TargetTable) -> tuple[str, str, str] | None:
    """The one department the first lines of the visible sheets name (a title)."""
    found: set[tuple[str, str, str]] = set()
    for sheet in book.sheets:
        if sheet.hidden:
            continue
        for r, row in enumerate(sheet.rows[:3]):
            for c, v in enumerate(row):
                if isinstance(v, str) and len(v) <= 80:
                    d = department_from_name(v, targets.departments)
                    if d:
                        found.add((d, sheet.name, a1(r, c)))
                        break
    if len({d for d, _, _ in found}) != 1:
        return None
    return min(found, key=lambda f: (f[1], len(f[2]), f[2]))


def _department_from_rows(
    tables: Sequence[tuple[Sheet, TableLayout]], targets: TargetTable
) -> str | None:
    """The one department whose indicators include every indicator the rows name."""
    named: set[str] = set()
    for sheet, layout in tables:
        columns = label_columns(sheet.rows, layout, targets.indicators)
        if not columns:
            continue
        col = columns[0]
        for row in sheet.rows[layout.first_data_row :]:
            if col < len(row) and clean(row[col]):
                m = match_label(str(row[col]), targets.indicators)
                if m.indicator and m.how != "fuzzy":
                    named.add(m.indicator.id)
    if not named:
        return None
    fits = [
        d.name
        for d in targets.departments
        if named <= {i.id for i in targets.indicators_of(d.name)}
    ]
    return fits[0] if len(fits) == 1 else None
