"""The collector stands alone: it imports nothing of the hub (they meet only over HTTP), and its
package data (migrations, templates, CSS) is declared for installation."""

from __future__ import annotations

import ast
from pathlib import Path

import cloud_bridge.hq

PACKAGE = Path(cloud_bridge.hq.__file__).parent
FORBIDDEN = ("hub", "drivers", "discovery", "reftill")


def test_hq_imports_nothing_of_the_hub():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not found


def test_hq_package_data_is_installed():
    pyproject = (PACKAGE.parent.parent / "pyproject.toml").read_text()
    assert 'cloud_bridge = ["**/*.sql", "**/*.html", "**/*.css"]' in pyproject
    assert list(PACKAGE.glob("migrations/*.sql")) and list(PACKAGE.glob("templates/*.html"))
