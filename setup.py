"""Ship the top-level ``templates/`` inside the package (as ``pipeline/_templates``), so that
an office that installs minsheng from a wheel gets the same reports as a source checkout.
Everything else is in setup.cfg."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).resolve().parent / "templates"


class BuildWithTemplates(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "pipeline" / "_templates"
        shutil.rmtree(target, ignore_errors=True)  # a reused build/ keeps no removed template
        shutil.copytree(TEMPLATES, target)


setup(cmdclass={"build_py": BuildWithTemplates})
