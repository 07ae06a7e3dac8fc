"""Department submissions from the independent layout generator (tests/layouts.py), read
through ``read_period`` and scored against the generator's ground truth.

The sample tests hold the product to what offices really send: every figure a file gives
is read exactly, or its absence is reported by an issue naming the indicator, and nothing
is read that the files do not say this month. The generator tests check the ground truth
itself against the files it wrote.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from layouts import (
    FULL,
    STATE_WORDS,
    Case,
    CaseFile,
    Counts,
    Expected,
    convert_pending,
    make_case,
    score,
    targets,
)

from pipeline.config import Config
from pipeline.model import Issue, Observation
from pipeline.run import read_period

SAMPLE = range(1000, 1300)  # 300 cases
OFFICE_SAMPLE = range(5000, 5010)  # one LibreOffice batch of about ten files


def _run(cases: list[Case]) -> Counts:
    counts = Counts()
    for case in cases:
        counts += score(case, read_period(case.folder, case.period, targets(), Config()))
    return counts


def _report(counts: Counts) -> str:
    lines = [
        f"{counts.total} figures: {counts.exact} exact, {counts.absent_with_issue} absent with "
        f"an issue, {counts.absent_without_issue} absent without one, {counts.wrong} wrong",
        *counts.details[:200],
    ]
    if len(counts.details) > 200:
        lines.append(f"… and {len(counts.details) - 200} more")
    return "\n".join(lines)


def test_generated_submissions_are_read_exactly_or_reported(tmp_path: Path) -> None:
    """300 generated cases (xlsxwriter and openpyxl): no figure is wrong, spurious or taken
    from a stale or junk file, and every figure not read has an issue naming its indicator."""
    cases = [make_case(seed, tmp_path / f"case{seed}") for seed in SAMPLE]
    counts = _run(cases)
    assert counts.total > 1000
    assert (counts.wrong, counts.absent_without_issue) == (0, 0), _report(counts)


@pytest.mark.office
def test_submissions_saved_by_libreoffice_are_read_exactly_or_reported(
    tmp_path: Path, soffice: str
) -> None:
    """The same promise for files saved by LibreOffice (.xlsx and .xls), converted in one
    batch."""
    cases = [make_case(seed, tmp_path / f"case{seed}", office_share=1.0) for seed in OFFICE_SAMPLE]
    convert_pending(cases, soffice)
    written = [f for c in cases for f in c.files if f.writer.startswith("libreoffice")]
    assert written and all(
        (c.folder / f.name).stat().st_size
        for c in cases
        for f in c.files
        if f.writer.startswith("libreoffice")
    )
    counts = _run(cases)
    assert (counts.wrong, counts.absent_without_issue) == (0, 0), _report(counts)


# ----------------------------------------------------------------------------- the generator

_NUM = re.compile(r"\d+(?:\.\d+)?")


def _numbers_and_words(path: Path) -> tuple[list[float], str]:
    """Every number a person would read in the workbook (percent formats ×100, formulas as
    cached), and its text."""
    numbers: list[float] = []
    text: list[str] = []
    for ws in openpyxl.load_workbook(path, data_only=True):  # formulas: the cached value
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, bool) or v is None:
                    continue
                if isinstance(v, (int, float)):
                    numbers.append(float(v) * (100 if "%" in cell.number_format else 1))
                    continue
                s = str(v).translate({ord(a): ord(b) for b, a in zip(*_FULL_PAIRS, strict=True)})
                text.append(s)
                numbers += [float(n) for n in _NUM.findall(s.replace(",", ""))]
    return numbers, "\n".join(text)


_FULL_PAIRS = ("0123456789.%,", "0123456789.%,".translate(FULL))


def _appears(value: float, numbers: list[float]) -> bool:
    return any(
        abs(n - value * f) <= 1e-9 * max(1.0, abs(value * f))
        for n in numbers
        for f in (1, 10000, 0.0001, 1000)
    )


@pytest.mark.parametrize("seed", range(60))
def test_expected_figures_appear_in_the_files_written(tmp_path: Path, seed: int) -> None:
    """The ground truth is in the file: every expected value and monthly figure is a number
    in it (in the indicator's unit or a 万/千 scale of it), every state a word for it."""
    case = make_case(seed, tmp_path / "case")
    for e in case.expected:
        numbers, words = _numbers_and_words(case.folder / e.file)
        for v in (e.value, e.monthly):
            if v is not None:
                assert _appears(v, numbers), (seed, e)
        if e.state is not None:
            assert any(w in words for w in STATE_WORDS[e.state]), (seed, e)


def test_stale_files_say_last_month_and_expect_nothing(tmp_path: Path) -> None:
    """A resent report of last month says so in its title or headers (截至5月底, 1-5月…) and
    none of its figures is expected."""
    seen = 0
    for seed in range(400):
        case = make_case(seed, tmp_path / f"case{seed}")
        for f in case.files:
            if not f.stale or f.junk:
                continue
            seen += 1
            _, words = _numbers_and_words(case.folder / f.name)
            last = int(case.period[-2:]) - 1
            assert re.search(rf"(?<!\d){last}月", words), (seed, f.name)
            assert not [e for e in case.expected if e.file == f.name]
    assert seen >= 10


def test_cases_are_reproducible(tmp_path: Path) -> None:
    """The same seed writes the same files with the same ground truth."""
    a, b = (make_case(77, tmp_path / d) for d in ("a", "b"))
    assert a.period == b.period and a.expected == b.expected
    assert [f.name for f in a.files] == [f.name for f in b.files]


def test_the_generator_covers_its_grammar(tmp_path: Path) -> None:
    """Across a few hundred seeds every case kind and the main quirks all occur."""
    features: set[str] = set()
    for seed in range(300):
        case = make_case(seed, tmp_path / f"case{seed}")
        features |= set(case.features) | {f for e in case.expected for f in e.features}
    for must in [
        "table",
        "prose",
        "multi_sheet",
        "multi_block",
        "junk",
        "stale",
        "stale_resend",
        "folder",
        "two_row_header",
        "merged_group_header",
        "task_column",
        "task_rows",
        "unit_in_name",
        "unit_in_cell",
        "unit_conversion",
        "pct_format",
        "fullwidth",
        "text_number",
        "ordinal",
        "name_variant",
        "partial",
        "total_row",
        "title",
        "footer",
    ]:
        assert must in features, must


def _obs(ind: str, value=None, monthly=None, state="", file="a.xlsx", dept="县司法局"):
    return Observation("2022-06", dept, ind, value, monthly, state, source_file=file)


def test_score_sorts_each_figure_into_one_outcome() -> None:
    """Exact, wrong, absent with and without an issue, spurious and stale figures are each
    counted where they belong."""
    case = Case(
        1,
        "2022-06",
        Path("."),
        files=[CaseFile("a.xlsx", "openpyxl"), CaseFile("old.xlsx", "openpyxl", stale=True)],
        expected=[
            Expected("县司法局", "18.1", value=55.0, monthly=10.0, file="a.xlsx"),
            Expected("县司法局", "18.2", state="推进中", file="a.xlsx"),
            Expected("县交通运输局", "1.1", value=1.2, file="a.xlsx"),
            Expected("县交通运输局", "1.3", value=96.0, file="a.xlsx"),
        ],
    )
    data = SimpleNamespace(
        observations=[
            _obs("18.1", 55.0, 9.0),  # value exact, monthly wrong
            _obs("18.2", state="推进中"),
            _obs("1.3", 96.0, file="old.xlsx"),  # from the stale file
            _obs("5.1", 3.0),  # not expected at all
        ],
        issues=[Issue("error", "E-X", "…", "县交通运输局", "a.xlsx", indicator_id="1.1")],
    )
    counts = score(case, data)
    assert (counts.exact, counts.absent_with_issue, counts.absent_without_issue) == (2, 1, 0)
    assert counts.wrong == 3  # 18.1 monthly, 1.3 from the stale file, 5.1 spurious
    data.issues = []
    assert score(case, data).absent_without_issue == 1
