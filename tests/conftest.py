"""Shared test helpers: real tools are required under CI, skipped locally when absent."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # tests/builders.py, tests/factories.py

CHROMIUM = "/usr/bin/chromium"


def require(executable: str, why: str) -> str:
    """The path of a real tool; skip when it is missing locally, fail when CI=true."""
    path = shutil.which(executable) or (executable if os.path.exists(executable) else None)
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{executable} is required under CI ({why})")
    pytest.skip(f"{executable} not installed ({why})")


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium for playwright (``executable_path``); browsers cannot be downloaded."""
    return require(CHROMIUM, "HTML report checks in a real browser")


@pytest.fixture
def soffice() -> str:
    """LibreOffice, to open generated workbooks the way an office would."""
    return require("soffice", "generated workbooks must open in LibreOffice")
