"""Which month a file says it reports, from its titles and value headers.

Departments resend last month's file, or save this month's over last month's title: a title
``…进展情况（截至5月底）`` or a header ``1-5月累计`` in the June folder is a May report. Dates of
writing (``填报日期：2022年7月4日``) are not the reporting month; ``截至6月30日`` is.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN.update({"十": 10, "十一": 11, "十二": 12})
# 5月, 5月份, 5月底, 1-5月, 五月; a month followed by a day is a date, handled below
_MONTH = re.compile(r"(?<![\d.])(\d{1,2}|十[一二]?|[一二三四五六七八九])月(?!\d{1,2}[日号])")
_AS_OF_DATE = re.compile(r"(?:截至|截止|至)(?:20\d{2}年)?(\d{1,2})月(\d{1,2})[日号]")
_DATE_LINE = re.compile(r"^(填报|报送|填表|制表|打印)?(日期|时间)")


@dataclass(frozen=True)
class MonthMention:
    month: int
    sheet: str
    cell: str
    text: str


@functools.lru_cache(maxsize=4096)  # titles and headers repeat from file to file
def _months(text: str) -> frozenset[int]:
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if _DATE_LINE.match(t):
        return frozenset()
    found: set[int] = set()
    for m in _AS_OF_DATE.finditer(t):
        if int(m.group(2)) >= 20:  # 截至6月30日: June; 截至7月5日 is a date of writing
            found.add(int(m.group(1)))
    for m in _MONTH.finditer(t):
        g = m.group(1)
        month = int(g) if g.isdigit() else _CN[g]
        if 1 <= month <= 12:
            found.add(month)
    return frozenset(found)


def mentions(texts: Iterable[tuple[str, str, str]]) -> list[MonthMention]:
    """Each month named in ``texts`` ((sheet, cell, text) of titles and value headers)."""
    out: list[MonthMention] = []
    for sheet, cell, text in texts:
        if isinstance(text, str) and len(text) <= 200:
            out.extend(MonthMention(m, sheet, cell, text) for m in sorted(_months(text)))
    return out


def other_month(found: list[MonthMention], month: int) -> MonthMention | None:
    """The mention that shows a file reports another month: months are named and this one
    is not among them."""
    if not found or any(m.month == month for m in found):
        return None
    return found[0]


_WRITTEN = re.compile(
    r"(?:填报|报送|填表|制表)?日期[:：]?(20\d{2})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?"
)
REPORTING_DAYS = 15  # a report dated in the first days of a month is last month's


def written_month(texts: Iterable[tuple[str, str, str]], year: int) -> list[MonthMention]:
    """The month a file's 填报日期 in ``year`` implies it reports: dated 7月5日, it is
    June's report (departments report in the first days of the next month); dated 6月28日,
    June's. A date of another year says nothing (a template's date left unchanged)."""
    out: list[MonthMention] = []
    for sheet, cell, text in texts:
        if not isinstance(text, str) or len(text) > 200:
            continue
        for m in _WRITTEN.finditer(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))):
            month, day = int(m.group(2)), int(m.group(3))
            if int(m.group(1)) != year or not 1 <= month <= 12 or (month == 1 and day <= 15):
                continue
            implied = month if day > REPORTING_DAYS else month - 1
            out.append(MonthMention(implied, sheet, cell, text))
    return out
