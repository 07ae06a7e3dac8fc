"""The README keeps up with the command line."""

from __future__ import annotations

from pathlib import Path

from pipeline.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands():
    """The first lines give the demo and the test command."""
    block = README.split("```")[1]
    assert "make demo" in block and "make test" in block


def test_every_command_is_in_the_readme():
    """Each subcommand is documented in the README's command table."""
    for name, command in cli.commands.items():  # type: ignore[attr-defined]
        assert f"`minsheng {name}" in README, name
        assert command.help, name


def test_readme_examples_name_files_among_the_samples():
    """Every sample file the clerk's path names (``inputs/2022-06/….xlsx``, the 收文登记
    example) is one of the shipped samples (they named 交通局6月.xlsx, which is not)."""
    import re

    inputs = Path(__file__).resolve().parent.parent / "inputs"
    named = re.findall(r"inputs/(20\d\d-\d\d)/([^`\s，,）)]+\.(?:xlsx|xls|csv))", README)
    named += [("2022-06", n) for n in re.findall(r"`([^`/]+\.xlsx),20\d\d-", README)]
    assert len(named) >= 2
    for month, name in named:
        assert (inputs / month / name).is_file(), f"{month}/{name}"


def test_readme_gives_an_install_path_without_make():
    """The clerk's install (usually Windows) needs no make: pip install and minsheng demo;
    and the make path says where the command is (.venv/bin)."""
    assert "py -m pip install" in README and "minsheng demo" in README
    assert "`.venv/bin/minsheng`" in README
