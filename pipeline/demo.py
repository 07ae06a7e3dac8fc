"""``minsheng demo``: a ready workspace holding the shipped sample submissions (2022-05 and
2022-06), so that an office can see what minsheng makes without ``make`` or a source tree —
the samples travel inside the package (``setup.py`` copies them, like the templates)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.errors import InputError
from pipeline.workspace import PROJECT_ROOT, init_workspace

# a wheel's copy of the samples; a source checkout (and an editable install) has them at the top
PACKAGED_SAMPLES = Path(__file__).resolve().parent / "_samples"
SAMPLES = PACKAGED_SAMPLES if PACKAGED_SAMPLES.is_dir() else PROJECT_ROOT / "inputs"
MONTHS = ("2022-05", "2022-06")


def make_demo(directory: str | Path) -> list[str]:
    """Make ``directory`` a workspace with the sample months in ``inputs/``; a month folder
    the office already has is left as it is. Returns the months to run, in order."""
    if not all((SAMPLES / m).is_dir() for m in MONTHS):
        raise InputError(f"找不到示例报送文件（{SAMPLES}），请重新安装 minsheng")
    root = Path(directory)
    init_workspace(root)
    for month in MONTHS:
        target = root / "inputs" / month
        if not target.exists():
            shutil.copytree(SAMPLES / month, target)
    return list(MONTHS)
