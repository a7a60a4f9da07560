"""The layers in .importlinter place every module of claims/, and imports hidden in functions stay rare."""

from __future__ import annotations

import ast
import configparser

from claims.core import ROOT

PACKAGE = ROOT / "claims"


def _modules() -> set[str]:
    """Every module of the package with code in it (a package __init__ with only its docstring needs no place)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        if path.name == "__init__.py" and all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names - {"claims"}  # the app factory sits on top of everything


def _placed() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    layers = config["importlinter:contract:layers"]["layers"]
    return {name.strip() for line in layers.splitlines() if line.strip() and not line.strip().startswith("#") for name in line.split(":")}


def test_every_module_has_its_layer() -> None:
    placed = _placed()
    covered = {m for m in _modules() if any(m == p or m.startswith(p + ".") for p in placed)}
    assert _modules() - covered == set(), "add these modules to a layer in .importlinter"
    assert placed - _modules() == set(), "these modules in .importlinter do not exist"


def _function_level_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("claims"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_imports_inside_functions_are_rare() -> None:
    """An import moved into a function hides a cycle from the layer check: fix the layers instead."""
    assert _function_level_imports() == []
