"""The reference till speaks only HTTP to the hub: no reftill module imports the hub's own code."""

from __future__ import annotations

import ast
from pathlib import Path

import reftill

FORBIDDEN = ("hub", "drivers", "cloud_bridge")
# discovery.resolve (the till-side mDNS resolver) may be allowed here once a till uses it to find
# the hub; nothing else of discovery would be.
ROOT = Path(reftill.__file__).parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def forbidden_imports(root: Path) -> list[str]:
    return [f"{path.relative_to(root.parent)}:{line} imports {name}"
            for path in sorted(root.rglob("*.py")) for line, name in imported_modules(path)
            if name.split(".")[0] in FORBIDDEN]


def test_no_reftill_module_imports_the_hub_drivers_or_the_bridge():
    modules = sorted(ROOT.rglob("*.py"))
    assert len(modules) >= 5  # the package is really there
    assert forbidden_imports(ROOT) == []


def test_the_check_catches_each_form_of_import(tmp_path):
    pkg = tmp_path / "fake"
    pkg.mkdir()
    (pkg / "a.py").write_text("import hub.db\n")
    (pkg / "b.py").write_text("from drivers.printers import x\n")
    (pkg / "c.py").write_text("def f():\n    from cloud_bridge import outbox\n")
    (pkg / "d.py").write_text("import importlib\nimportlib.import_module('hub.sales')\n")
    (pkg / "e.py").write_text("import httpx\nfrom . import a\nfrom hubris import x\n")
    found = forbidden_imports(pkg)
    assert [f.split(":")[0] for f in found] == ["fake/a.py", "fake/b.py", "fake/c.py", "fake/d.py"]
