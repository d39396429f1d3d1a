"""The README and CI script cannot drift from the code."""

import re
from pathlib import Path

import click

from hub.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def command_paths(group: click.Group, prefix: str = "soko-hub") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_readme_documents_every_command():
    missing = [p for p in command_paths(main) if f"`{p}`" not in README]
    assert not missing, f"README does not document: {missing}"


def test_readme_documents_no_command_that_does_not_exist():
    documented = set(re.findall(r"`(soko-hub [a-z -]+?)`", README))
    real = set(command_paths(main))
    groups = {" ".join(p.split()[:2]) for p in real}
    stale = {d for d in documented if d not in real and d not in groups}
    assert not stale, f"README documents commands that do not exist: {stale}"


def test_every_command_has_help_text():
    def walk(group: click.Group):
        for command in group.commands.values():
            yield command
            if isinstance(command, click.Group):
                yield from walk(command)

    assert all((c.help or "").strip() for c in walk(main))


def test_readme_gives_the_two_commands_and_ci_runs_the_same_test_command():
    assert "./dev run" in README and "./dev test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev test" in ci
