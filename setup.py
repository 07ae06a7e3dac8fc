"""Ship the top-level ``templates/`` inside the package (as ``pipeline/_templates``), so that
an office that installs minsheng from a wheel gets the same reports as a source checkout, and
the sample submissions (``inputs/2022-05``, ``inputs/2022-06``, as ``pipeline/_samples``) for
``minsheng demo``. Everything else is in setup.cfg."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
TEMPLATES = ROOT / "templates"
SAMPLE_MONTHS = ("2022-05", "2022-06")


class BuildWithTemplates(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "pipeline" / "_templates"
        shutil.rmtree(target, ignore_errors=True)  # a reused build/ keeps no removed template
        shutil.copytree(TEMPLATES, target)
        samples = Path(self.build_lib) / "pipeline" / "_samples"
        shutil.rmtree(samples, ignore_errors=True)
        for month in SAMPLE_MONTHS:
            if (ROOT / "inputs" / month).is_dir():
                shutil.copytree(ROOT / "inputs" / month, samples / month)


setup(cmdclass={"build_py": BuildWithTemplates})
