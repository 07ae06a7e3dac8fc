"""An office that installs minsheng from a wheel gets the same reports as a source checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md")


def _wheel(tmp_path: Path) -> Path:
    """Build a wheel from a copy of the sources (the checkout stays clean)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "_templates", "_samples")
    shutil.copytree(ROOT / "pipeline", src / "pipeline", ignore=ignore)
    shutil.copytree(ROOT / "templates", src / "templates")
    shutil.copytree(ROOT / "inputs", src / "inputs")
    build = ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist")]
    subprocess.run(
        [sys.executable, "-m", "pip", *build, str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("minsheng-*.whl")
    return wheel


def test_the_wheel_carries_the_templates_and_the_target_table(tmp_path):
    wheel = _wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*")
    }
    assert {
        f"pipeline/_templates/{n}" for n in shipped if (ROOT / "templates" / n).is_file()
    } <= names
    assert "pipeline/data/targets-2022.xlsx" in names
    # the sample submissions for `minsheng demo`, every file of both months
    for month in ("2022-05", "2022-06"):
        for p in (ROOT / "inputs" / month).iterdir():
            assert f"pipeline/_samples/{month}/{p.name}" in names, p.name

    # installed on its own (no source tree beside it), it runs the month on the samples
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        check=True,
        capture_output=True,
    )
    ws = tmp_path / "office"
    shutil.copytree(ROOT / "inputs" / "2022-06", ws / "inputs" / "2022-06")
    code = (
        "import sys; sys.path.insert(0, sys.argv.pop(1)); import pipeline; "
        "assert pipeline.__file__.startswith(sys.path[0]), pipeline.__file__; "
        "from pipeline.cli import main; main()"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for args in (["init", str(ws)], ["run", "-p", "2022-06", "-w", str(ws)]):
        done = subprocess.run(
            [sys.executable, "-c", code, str(site), *args], capture_output=True, env=env
        )
        assert done.returncode == 0, done.stderr.decode()
    assert (ws / "templates" / "示例" / "report.html").is_file()
    # and `minsheng demo` needs neither make nor the source tree (the office PC: Windows)
    demo = subprocess.run(
        [sys.executable, "-c", code, str(site), "demo", str(tmp_path / "示例")],
        capture_output=True,
        env=env,
    )
    assert demo.returncode == 0, demo.stderr.decode()
    assert sorted(p.name for p in (tmp_path / "示例" / "outputs").iterdir()) == [
        "2022-05",
        "2022-06",
    ]
    html = sorted((ws / "outputs" / "2022-06").glob("*.html"))
    assert html and "民生实事" in html[0].read_text(encoding="utf-8")
