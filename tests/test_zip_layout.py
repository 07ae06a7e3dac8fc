"""Zips whose parts share their bytes or whose records disagree on how many parts there are
are refused before anything walks them once per name (each case found in a review)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import hostile
import pytest

from pipeline import _precheck, _zipcheck, discover
from pipeline.read import read_book


def test_parts_sharing_their_stored_bytes_are_refused(tmp_path: Path) -> None:
    """A directory listing one stored part under many names: each name would be inflated
    again (a quarter of an hour for thousands of them over megabytes); refused at once."""
    path = hostile.shared_data_xlsx(tmp_path / "shared.xlsx")
    with pytest.raises(_precheck.Refused, match="重叠"):
        _precheck.plan(path, "xlsx", path.read_bytes())
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-UNREADABLE"] and not book.sheets


def test_parts_sharing_one_local_header_are_refused(tmp_path: Path) -> None:
    path = hostile.shared_header_xlsx(tmp_path / "header.xlsx")
    with pytest.raises(_precheck.Refused, match="重叠"):
        _precheck.plan(path, "xlsx", path.read_bytes())


@pytest.mark.parametrize(
    ("build", "count"),
    [
        (hostile.zip64_counts_xlsx, "20000 个部件"),  # a zip64 record zipfile takes
        (hostile.straddled_end_xlsx, "19280 个部件"),  # an end record spelling "PK\5\6" again
    ],
)
def test_the_directory_zipfile_would_list_is_counted_first(
    tmp_path: Path, build: Callable[[Path], Path], count: str
) -> None:
    path = build(tmp_path / "counted.xlsx")
    with pytest.raises(_precheck.Refused, match=count):  # before zipfile is asked
        _zipcheck._checked_end_record(io.BytesIO(path.read_bytes()))
    assert discover.sniff_format(path, path.read_bytes()) == "xlsx"  # named as it was sent
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-TOO-LARGE"]
