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
