"""Locate the table on a sheet and give each column its role (本月, 累计, 目标 …)."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline._memo import MAX_KEY_TEXT, Memo
from pipeline.parse import unit_named

# Roles are tried in this order: the first pattern that matches a header text wins, so the
# more specific come first (上月累计 before 累计, 累计完成比例 before 累计,
# 截至本月累计 before 本月).
ROLE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (role, re.compile(pattern))
    for role, pattern in [
        ("reference", r"上月|上期|去年|同期"),
        ("ratio", r"比例|完成率|完成进度|百分比|进度[%(（]|占比"),
        # 年度目标, 计划任务数, 全年计划: what was planned, never a figure reached
        ("target", r"^(?!.*(实际|累计|已|本月|当月|截至|截止|完成情况)).*(目标|计划)"),
        ("code", r"^(指标)?(编号|代码|编码)$"),
        ("seq", r"^(序号|序|编号序号|No\.?)$"),
        ("unit", r"^(计量)?单位$"),
        ("dept", r"(责任|牵头|实施|填报|配合)(单位|部门)"),
        ("reason", r"滞后原因|下步|整改措施|措施"),
        ("problem", r"存在问题|困难和问题|问题"),
        ("progress", r"进展|推进情况|情况说明|工作开展"),
        ("state", r"状态|推进阶段"),
        ("monthly", r"^\d{1,2}月份?(完成|新增|完成量|完成数)$"),  # 6月完成: that month's
        ("cumulative", r"累计|截至|截止|至今"),  # 截至本月累计 before 本月
        ("monthly", r"本月|当月|月度完成|本期|新增"),  # 本月完成量 before 完成量
        ("cumulative", r"完成值|实际完成|完成数|完成量|现状值|当前值|完成情况$"),
        ("target", r"目标|计划|任务数"),
        ("indicator", r"指标|建设内容|主要内容|具体内容|内容|名称|(?<!实)事项"),  # 实事项目: a task
        ("task", r"实事|任务|项目"),
        ("remark", r"备注"),
    ]
]
VALUE_ROLES = ("cumulative", "monthly", "state")
LABEL_ROLES = ("indicator", "code", "target", "task")
_MONTH = re.compile(r"(\d{1,2})月")


def clean(value: Any) -> str:
    """Cell text as compared: NFKC (full-width → ASCII), no whitespace at all."""
    if value is None:
        return ""
    if isinstance(value, str):
        hit = _CLEANED.answers.get(value)
        return hit if hit is not None else _clean_text(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):  # digits, sign, point, e, inf, nan: nothing to clean
        return str(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


def filled(row: tuple[Any, ...]) -> bool:
    """Whether any cell of the row holds something other than blanks (a cell that is not
    text — a number, a date — always does)."""
    for v in row:
        if v is None:
            continue
        if not isinstance(v, str):
            return True
        hit = _CLEANED.answers.get(v)
        if hit if hit is not None else _clean_text(v):
            return True
    return False


_CLEANED = Memo()  # clean() of short texts (see pipeline._memo); looked up inline, for speed


def _clean_text(value: str) -> str:
    out = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    if len(value) <= MAX_KEY_TEXT:
        _CLEANED.keep(value, out, len(value), len(out))
    return out


_ROLES = Memo()


def role_of(header: str, month: int | None = None) -> str | None:
    """The role a header text names, or None. A cumulative column dated another month is
    a reference column (e.g. ``截至5月底累计`` in a June file)."""
    key = (header, month)
    role = _ROLES.answers.get(key, _UNKNOWN)
    if role is _UNKNOWN:
        role = _role_of(header, month)
        if len(header) <= MAX_KEY_TEXT:
            _ROLES.keep(key, role, len(header), 1)
    return role  # type: ignore[return-value]


_UNKNOWN = object()


def _role_of(header: str, month: int | None) -> str | None:
    text = clean(header)
    bare = _BRACKETED.sub("", text)  # "本月（单位：公里）" is a header, "填报单位：…" a line
    if not text or len(text) > 30 or ":" in bare:
        return None
    # the header without its unit first (9月完成（件）), then as written (进度（%）)
    for candidate in dict.fromkeys((bare, text)):
        for role, pattern in ROLE_PATTERNS:
            if pattern.search(candidate):
                if role in ("cumulative", "monthly") and month is not None:
                    named = _MONTH.findall(candidate)  # 1-6月累计: the last month named
                    if named and int(named[-1]) != month:
                        return "reference"
                return role
    return None


_BRACKETED = re.compile(r"[(\[【]\s*(?:计量)?(?:单位[:：]?)?\s*([^()\[\]【】]{1,10}?)\s*[)\]】]")


def column_letter(c: int) -> str:
    """``A`` for column 0, ``AA`` for 26."""
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def header_unit(header: str) -> str | None:
    """The unit a header names for its column: ``累计完成（万人）``, ``本月(单位:公里)``."""
    for m in _BRACKETED.finditer(header):
        unit = unit_named(m.group(1))
        if unit:
            return unit
    return None


_UNIT_LINE = re.compile(r"^(?:计量|数量)?单位[:：](.{1,8})$")


def table_unit(rows: Sequence[tuple[Any, ...]]) -> str | None:
    """The unit a line above a table states for all its figures (``单位：人``); not a money
    unit (``金额单位：万元``), which is about other columns."""
    for row in rows:
        for v in row:
            m = _UNIT_LINE.match(clean(v)) if isinstance(v, str) else None
            if m and (unit := unit_named(m.group(1))):
                return unit
    return None


@functools.lru_cache(maxsize=4096)  # names repeat from row to row and file to file
def split_unit(label: str) -> tuple[str, str | None]:
    """A label without the unit it carries in brackets: ``农村公路提质改造（公里）`` →
    (``农村公路提质改造``, ``公里``)."""
    text = unicodedata.normalize("NFKC", label)
    for m in _BRACKETED.finditer(text):
        unit = unit_named(m.group(1))
        if unit:
            return (text[: m.start()] + text[m.end() :]).strip(), unit
    return label, None


@dataclass(frozen=True)
class TableLayout:
    """Where a table sits on a sheet and which column holds what."""

    header_rows: tuple[int, ...]  # 0-based rows making the header
    columns: dict[str, int]  # role → 0-based column
    headers: dict[int, str]  # column → combined header text
    ambiguous: tuple[str, ...] = ()  # roles named by more than one column
    # columns a row's label is read from, best first (see ``roles``); by header until then
    labels: tuple[int, ...] = ()
    unit: str | None = None  # the unit a line above the table states for all its figures
    end: int | None = None  # 0-based row the next table's lines start at (None: sheet's end)
    above: int = 0  # 0-based row this table's title lines start at
    # role → why its column was taken, where the header alone did not say (see ``roles``)
    evidence: tuple[tuple[str, str], ...] = ()
    # (role, column) of further columns whose header names a value role already taken
    duplicates: tuple[tuple[str, int], ...] = ()

    def with_duplicates(self, month: int | None) -> TableLayout:
        """This layout knowing the other columns that claim its value roles."""
        dup = tuple(
            (role, c)
            for role in self.ambiguous
            if role in ("cumulative", "monthly")
            for c, text in sorted(self.headers.items())
            if c != self.columns.get(role) and role_of(text, month) == role
        )
        return replace(self, duplicates=dup)

    def decisions(self) -> tuple[tuple[str, str], ...]:
        """Each role's column with the evidence it was taken on, for the record."""
        why = dict(self.evidence)
        out = [
            (role, f"{column_letter(c)}：{why.get(role, '表头“' + self.headers.get(c, '') + '”')}")
            for role, c in sorted(self.columns.items(), key=lambda rc: rc[1])
        ]
        if self.labels:
            out.append(
                (
                    "label",
                    "、".join(column_letter(c) for c in self.labels)
                    + "："
                    + why.get("label", "表头"),
                )
            )
        return tuple(out)

    @property
    def units(self) -> dict[int, str]:
        """Column → the unit its header names."""
        return {c: u for c, t in self.headers.items() if (u := header_unit(t))}

    @property
    def first_data_row(self) -> int:
        return self.header_rows[-1] + 1


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _combined(rows: Sequence[tuple[Any, ...]]) -> dict[int, tuple[str, ...]]:
    """Column → the header texts of ``rows`` stacked (group cell above sub-header)."""
    width = max(len(row) for row in rows)
    out: dict[int, tuple[str, ...]] = {}
    for c in range(width):
        parts: list[str] = []
        for row in rows:
            v = row[c] if c < len(row) else None
            t = "" if v is None else clean(v)
            if t and t not in parts:
                parts.append(t)
        if parts:
            out[c] = tuple(parts)
    return out


def column_role(parts: tuple[str, ...], month: int | None) -> str | None:
    """A column's role from its header texts, group first: the sub-header decides
    (``完成情况`` over ``1-6月累计`` is last month's total, over ``本月新增`` this month's),
    unless the group says the column is a reference (``上月`` over ``累计``); a sub-header
    naming nothing leaves it to the texts together."""
    whole = role_of("".join(parts), month)
    if len(parts) == 1:
        return whole
    if any(role_of(group, month) == "reference" for group in parts[:-1]):
        return "reference"
    return role_of(parts[-1], month) or whole


def _layout(
    headers: dict[int, tuple[str, ...]], month: int | None
) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    ambiguous: list[str] = []
    for c, parts in sorted(headers.items()):
        role = column_role(parts, month)
        if role is None:
            continue
        if role in columns:
            if role in (*VALUE_ROLES, "code", "indicator") and role not in ambiguous:
                ambiguous.append(role)
            continue
        columns[role] = c
    return columns, ambiguous


def _qualifies(columns: dict[str, int]) -> bool:
    has_label = any(r in columns for r in LABEL_ROLES)
    has_value = any(r in columns for r in (*VALUE_ROLES, "progress"))
    return has_label and has_value


_Header = tuple[dict[str, int], tuple[str, ...], dict[int, str], int]  # columns … rows spanned


def _header(
    row: tuple[Any, ...], below: tuple[Any, ...] | None, month: int | None
) -> _Header | None:
    """The table header starting at ``row`` (one row, or two with ``below``), or None.
    Remembered: the departments of a county, and the counties of a city, share templates.
    The cells' types are part of the key: True and 1 are equal, but only 1 is a number."""
    kinds = (tuple(map(type, row)), tuple(map(type, below)) if below is not None else None)
    key = (row, below, month, kinds)
    found = _HEADERS.answers.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = _header_of(row, below, month)
        # a cell's object counted as 16 characters more (a wide crafted row is not kept)
        cells = (*row, *(below or ()))
        size = sum(len(v) if isinstance(v, str) else 0 for v in cells) + 16 * len(cells)
        texts = sum(map(len, found[2].values())) if found else 0
        _HEADERS.keep(key, found, size, texts)
    return found  # type: ignore[return-value]


_HEADERS = Memo()


def _header_of(
    row: tuple[Any, ...], below: tuple[Any, ...] | None, month: int | None
) -> _Header | None:
    if all(v is None for v in row) or any(_is_number(v) for v in row):
        return None
    texts = {clean(v) for v in row if isinstance(v, str)} - {""}
    if len(texts) < 2:
        return None  # a title line (one text, or one merged across the row) is no header
    if any(REPORTING_UNIT.match(t) or _DATE_LINE.match(t) for t in texts):
        return None  # 填报单位（盖章）… 填报日期：… is the line above the header
    single = _combined((row,))
    cols1, amb1 = _layout(single, month)
    if not _qualifies(cols1) and not any(column_role(t, month) for t in single.values()):
        return None
    best: _Header = (cols1, tuple(amb1), _joined(single), 1)
    if below is not None and not any(_is_number(v) for v in below):
        # a sub-header row: texts only, some naming a role (本月 / 累计 under 完成情况)
        subs = [role_of(clean(v), month) for v in below if isinstance(v, str) and clean(v)]
        double = _combined((row, below))
        cols2, amb2 = _layout(double, month)
        if _qualifies(cols2) and (
            below == row  # a header merged down two rows, filled into both
            or (any(subs) and (len(cols2) > len(cols1) or len(amb2) < len(amb1) or _grouped(row)))
        ):
            best = (cols2, tuple(amb2), _joined(double), 2)
    return best if _qualifies(best[0]) else None


def _joined(headers: dict[int, tuple[str, ...]]) -> dict[int, str]:
    return {c: "".join(parts) for c, parts in headers.items()}


def _grouped(row: tuple[Any, ...]) -> bool:
    """Whether a header row has a group cell spread over several columns (a merged range,
    filled by the reader into each of its cells)."""
    texts = [clean(v) if isinstance(v, str) else "" for v in row]
    return any(a and a == b for a, b in itertools.pairwise(texts))


def locate_table(
    rows: tuple[tuple[Any, ...], ...], month: int | None = None, scan: int = 40
) -> TableLayout | None:
    """Find the header (one or two rows, merged group cells already filled) within the first
    ``scan`` rows; None when the sheet holds no recognisable table."""
    for r in range(min(scan, len(rows))):
        found = _header(rows[r], rows[r + 1] if r + 1 < len(rows) else None, month)
        if found is not None:
            cols, amb, headers, span = found
            return TableLayout(tuple(range(r, r + span)), dict(cols), dict(headers), amb)
    return None


def locate_tables(rows: tuple[tuple[Any, ...], ...], month: int | None = None) -> list[TableLayout]:
    """Every table on a sheet: the first within the first rows, then each further header
    further down (one department's block under another's, each under its 单位：… line)."""
    first = locate_table(rows, month)
    if first is None:
        return []
    found = [first]
    r = first.first_data_row
    while r < len(rows):
        row = rows[r]
        above = rows[r - 1]
        if (
            (any(v is not None and v != "" for v in above) and single_text(above) is None)
            or _has_number(row)
            or sum(1 for v in row if isinstance(v, str) and role_of(v, month)) < 3
        ):
            # a further table's header follows a blank or title line, names three roles
            # and holds no figures
            r += 1
            continue
        head = _header(rows[r], rows[r + 1] if r + 1 < len(rows) else None, month)
        if head is None or len(head[0]) < 3:
            r += 1
            continue
        cols, amb, headers, span = head
        prev = found[-1]
        top = r
        while top > prev.first_data_row and _title_line(rows[top - 1]):
            top -= 1  # the block's own title and 单位：… lines
        found[-1] = replace(prev, end=top)
        found.append(
            TableLayout(tuple(range(r, r + span)), dict(cols), dict(headers), amb, above=top)
        )
        r += span
    return found


def _has_number(row: tuple[Any, ...]) -> bool:
    return any(_is_number(v) for v in row)


def _title_line(row: tuple[Any, ...]) -> bool:
    """A line above a table: empty, or one text (alone or merged across the row)."""
    return len({clean(v) for v in row if v is not None} - {""}) <= 1


FOOTER = re.compile(
    r"^(填报人|填表人|联系人|联系电话|电话|注[:：]|说明[:：]|审核人|审核|负责人|单位负责人|"
    r"分管领导|制表|制表人|填报日期|报送日期|日期[:：]|备注[:：])"
)
SUBTOTAL = re.compile(r"^(合计|小计|总计|共计|汇总)")
REPORTING_UNIT = re.compile(r"(填报单位|报送单位|单位名称|填报部门)[:：]?(.*)$")
_DATE_LINE = re.compile(r"^(填报|报送|填表)?(日期|时间)[:：]")


def single_text(row: tuple[Any, ...]) -> str | None:
    """The one text a row holds (alone, or merged across it and filled into each cell)."""
    first: Any = None
    for v in row:
        if v is None or v == "":
            continue
        if first is None:
            first = v
        elif v != first:
            return None
    return first if isinstance(first, str) else None


def footer_row(row: tuple[Any, ...]) -> bool:
    """Footer lines under a table: 填报人, 联系电话, 注：…"""
    for v in row:
        if v is not None and (text := clean(v)):
            return bool(FOOTER.match(text))
    return False


def subtotal_row(row: tuple[Any, ...]) -> bool:
    """合计 / 小计 rows are sums, not indicators."""
    return any(
        SUBTOTAL.match(clean(v))
        for v in row
        if isinstance(v, str) and len(v) <= 12 and v.lstrip()[:1] in _SUBTOTAL_FIRST
    )


_SUBTOTAL_FIRST = frozenset("合小总共汇")


def reporting_unit(
    rows: tuple[tuple[Any, ...], ...], scan: int = 12
) -> tuple[str, int, int] | None:
    """The ``填报单位：…`` text above a table, with its cell (row, col)."""
    for r, row in enumerate(rows[:scan]):
        for c, v in enumerate(row):
            text = re.sub(r"[(（]盖章[)）]", "", clean(v))  # 报送单位（盖章）：县总工会
            m = REPORTING_UNIT.search(text)
            if not m:
                continue
            name = re.split(r"(填报|日期|时间|联系|[（(]盖章)", m.group(2))[0].strip("：:（）()")
            if not name and c + 1 < len(row):
                name = clean(row[c + 1])
            if name:
                return name, r, c
    return None
