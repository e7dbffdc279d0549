"""docs/DESIGN.md's "may import" table, enforced over the project's real import graph: every
import of a project package (absolute, relative, or `importlib.import_module("...")` with a
literal name) must be allowed by the most specific row for the importing module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from patterns.launch.architectures import ARCHITECTURES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shared_model", "patterns", "archlab")
ROW = re.compile(r"^\| `([\w.<>]+)` \| [^|]* \| (.*) \|$")
ANY_ARCHITECTURE = "patterns.<arch>"  # the row of a registered architecture without one of its own


def rules() -> dict[str, set[str] | None]:
    """package -> packages it may import (None: everything), read from the DESIGN.md table."""
    table = {}
    for line in (ROOT / "docs" / "DESIGN.md").read_text().splitlines():
        match = ROW.match(line)
        if match:
            allowed = match.group(2)
            table[match.group(1)] = None if "everything" in allowed else set(re.findall(r"`([\w.]+)`", allowed))
    generic = table.pop(ANY_ARCHITECTURE)
    return {**{f"patterns.{arch}": generic for arch in ARCHITECTURES}, **table}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Project modules imported by the file at `path`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                # `from . import x` imports submodule x of the package
                found.update(f"{target}.{a.name}" for a in node.names) if not node.module else found.add(target)
            elif node.module:  # `from patterns import http` imports the module patterns.http
                found.update(_submodule_or_package(node.module, alias.name) for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def _submodule_or_package(package: str, name: str) -> str:
    folder = ROOT.joinpath(*package.split("."))
    return f"{package}.{name}" if (folder / f"{name}.py").exists() or (folder / name).is_dir() else package


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def rule_for(module: str, table: dict) -> str:
    matching = [package for package in table if _within(module, package)]
    assert matching, f"{module} is in no row of docs/DESIGN.md's package table"
    return max(matching, key=len)


def violations(table: dict) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = module_name(path)
            own = rule_for(module, table)
            allowed = table[own]
            if allowed is None:
                continue
            for target in sorted(imported(path)):
                if _within(target, own) or any(_within(target, ok) for ok in allowed):
                    continue
                found.append(f"{module} imports {target} ({own} may import: {', '.join(sorted(allowed)) or 'nothing'})")
    return found


def test_the_table_names_every_package():
    table = rules()
    assert {"shared_model", "patterns.launch", "archlab.compare", "archlab"} <= set(table)


def test_every_import_follows_the_design_table():
    assert violations(rules()) == []


def test_the_check_catches_a_forbidden_import():
    table = {**rules(), "archlab.compare": {"patterns.launch"}}  # as if compare could not use archlab.measure
    assert any(v.startswith("archlab.compare.") and "archlab.measure" in v for v in violations(table))


@pytest.mark.parametrize("source, expected", [
    ("from .contract import Step", {"patterns.launch.contract"}),
    ("from ..settings import Settings", {"patterns.settings"}),
    ('importlib.import_module("patterns.async.store")', {"patterns.async.store"}),
    ("import numpy", set()),
])
def test_imports_are_resolved(tmp_path, monkeypatch, source, expected):
    folder = ROOT / "patterns" / "launch"
    path = folder / "_graph_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source if self == path else Path.read_bytes(self).decode())
    assert imported(path) == expected
