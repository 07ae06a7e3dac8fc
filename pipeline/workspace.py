"""Resolve a workspace: where inputs, outputs, the history store, config and targets live."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import CONFIG_NAME, DEFAULT_TOML, Config, check_recipients, load_config
from pipeline.errors import InputError
from pipeline.model import TargetTable

# The project's Jinja templates (top-level ``templates/``); a workspace may override any.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# the templates a wheel ships inside the package (setup.py copies them); a source checkout
# (and an editable install) has them at the top level
PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "_templates"
BUILTIN_TEMPLATES = (
    PACKAGED_TEMPLATES if PACKAGED_TEMPLATES.is_dir() else PROJECT_ROOT / "templates"
)
DB_NAME = "minsheng.db"
OWN_TARGETS = "目标任务分解表.xlsx"  # the office's editable copy, made by ``minsheng init``


@dataclass(frozen=True)
class Workspace:
    root: Path
    inputs: Path
    outputs: Path
    db: Path
    config: Config
    targets: TargetTable

    def period_inputs(self, period: str) -> Path:
        return self.inputs / period

    def period_outputs(self, period: str) -> Path:
        return self.outputs / period

    @property
    def template_dirs(self) -> list[Path]:
        """Workspace overrides first, then the built-in templates."""
        own = self.root / "templates"
        return [p for p in (own, BUILTIN_TEMPLATES) if p.is_dir()]


def open_workspace(
    root: str | Path = ".",
    *,
    inputs: Path | None = None,
    outputs: Path | None = None,
    db: Path | None = None,
    targets: Path | None = None,
) -> Workspace:
    """Load config and target table; options given on the command line win over config."""
    from pipeline.targets import load_targets

    root = Path(root)
    config = load_config(root)
    targets_file = targets or (Path(config.targets) if config.targets else None)
    table = load_targets(targets_file)
    check_recipients(config, table.departments, root)
    return Workspace(
        root=root,
        inputs=inputs or root / "inputs",
        outputs=outputs or root / "outputs",
        db=db or root / DB_NAME,
        config=config,
        targets=table,
    )


TEMPLATES_NOTE = """\
报表和邮件的模板（Jinja）。
“示例”文件夹中是内置模板的副本：要修改哪个，就把它复制到本文件夹（templates/）再修改，
minsheng 会优先使用本文件夹中的同名模板；没有复制的模板继续使用内置版本。
模板写错时，运行会报告出错的模板名称和行号。
"""


def init_workspace(directory: str | Path) -> list[Path]:
    """Create a ready workspace; never overwrite what an office already has."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise InputError(f"{root} 已存在且不是目录")
    created: list[Path] = []
    for sub in ("inputs", "outputs"):
        d = root / sub
        if not d.exists():
            d.mkdir(parents=True)
            created.append(d)
    cfg = root / CONFIG_NAME
    if not cfg.exists():
        text = DEFAULT_TOML.replace('targets = ""', f'targets = "{OWN_TARGETS}"', 1)
        cfg.write_text(text, encoding="utf-8")
        created.append(cfg)
    # Examples to customise: a file copied from templates/示例/ up into templates/ overrides
    # the built-in one; untouched built-ins keep getting the project's fixes.
    examples = root / "templates" / "示例"
    if not examples.exists() and BUILTIN_TEMPLATES.is_dir():
        shutil.copytree(BUILTIN_TEMPLATES, examples)
        (root / "templates" / "说明.txt").write_text(TEMPLATES_NOTE, encoding="utf-8")
        created.append(examples)
    from pipeline.targets import default_targets_path

    own_targets = root / OWN_TARGETS
    if not own_targets.exists():
        shutil.copyfile(default_targets_path(), own_targets)
        created.append(own_targets)
    return created
