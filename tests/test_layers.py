"""The layers import downward only: survey -> analysis -> questionnaires (DESIGN.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "questionnaires": {"flask", "flask_sqlalchemy", "flask_wtf", "flask_babel", "sqlalchemy",
                       "wtforms", "survey", "analysis", "psycopg"},
    "analysis": {"flask", "flask_sqlalchemy", "flask_wtf", "flask_babel", "sqlalchemy",
                 "wtforms", "survey", "psycopg"},
}


def imported_top_levels(path):
    """Yield (line, top-level module) for every absolute import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_downward(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files found in {package}/"
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_top_levels(path)
        if module in FORBIDDEN[package]
    ]
    assert offences == []


def test_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom flask import Flask\nfrom .x import y\n", encoding="utf-8")
    assert [m for _, m in imported_top_levels(bad)] == ["os", "flask"]
