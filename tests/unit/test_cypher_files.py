"""Keep the ``.cypher`` files and the names the code loads in step."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fate_lineage
from fate_lineage import cypher

# Calls whose first argument is a statement name.
LOADING_CALLS = {"load", "read", "write", "run", "merge", "_hops"}


def source_files() -> list[Path]:
    # The strict editable install links each module into one tree, so walking
    # the installed package covers every folder of the repository.
    installed = Path(fate_lineage.__file__).parent
    return sorted(path.resolve() for path in installed.rglob("*.py"))


def used_names() -> set[str]:
    names: set[str] = set()
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names.update(_names_in(node))
    return names


def _names_in(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Call):
        func = node.func
        called = (
            func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        )
        first = node.args[0] if node.args else None
        if called in LOADING_CALLS and isinstance(first, ast.Constant):
            return {str(first.value)}
    if isinstance(node, ast.Assign):
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if any(t.endswith("_STATEMENTS") for t in targets):
            return {
                str(item.value)
                for item in ast.walk(node.value)
                if isinstance(item, ast.Constant) and isinstance(item.value, str)
            }
    return set()


def test_every_file_is_used() -> None:
    unused = set(cypher.names()) - used_names()

    assert not unused, f"cypher files that no code loads: {sorted(unused)}"


def test_every_used_name_has_file() -> None:
    missing = used_names() - set(cypher.names())

    assert not missing, f"statement names without a cypher file: {sorted(missing)}"


@pytest.mark.parametrize("name", cypher.names())
def test_file_holds_one_statement(name: str) -> None:
    text = cypher.load(name)

    assert text
    assert ";" not in text.rstrip(";"), f"{name}.cypher holds more than one statement"


def test_unknown_name_is_rejected() -> None:
    with pytest.raises(
        cypher.UnknownStatement, match=r"cypher/no_such_statement\.cypher"
    ):
        cypher.load("no_such_statement")


def test_load_is_cached() -> None:
    assert cypher.load("find_server_version") is cypher.load("find_server_version")
