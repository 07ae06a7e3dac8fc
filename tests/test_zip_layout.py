"""Zips whose parts share their bytes or whose records disagree on how many parts there are
are refused before anything walks them once per name (each case found in a review)."""

from __future__ import annotations

import io
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


def test_a_zip64_record_counting_more_entries_is_refused_before_zipfile_lists_them(
    tmp_path: Path,
) -> None:
    path = hostile.zip64_counts_xlsx(tmp_path / "z64.xlsx")
    with pytest.raises(_precheck.Refused, match="20000 个部件"):  # before zipfile is asked
        _zipcheck._checked_end_record(io.BytesIO(path.read_bytes()))
    with pytest.raises(_precheck.Refused, match="超过上限"):
        _precheck.plan(path, "xlsx", path.read_bytes())
    assert discover.sniff_format(path, path.read_bytes()) == "xlsx"  # named as it was sent


def test_an_end_record_spelling_the_signature_again_is_still_the_one_read(
    tmp_path: Path,
) -> None:
    path = hostile.straddled_end_xlsx(tmp_path / "straddle.xlsx")
    with pytest.raises(_precheck.Refused, match="19280 个部件"):  # before zipfile is asked
        _zipcheck._checked_end_record(io.BytesIO(path.read_bytes()))
    book = read_book(path, "xlsx")
    assert [i.code for i in book.issues] == ["E-FILE-TOO-LARGE"]
