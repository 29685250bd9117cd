"""Cypher statements, one per ``.cypher`` file, loaded by name.

Keeping the text in files makes every statement readable on its own and lets
a test check that each file is used and each name used has a file.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import LiteralString, cast


class UnknownStatement(LookupError):
    """No ``.cypher`` file carries the requested name."""


@functools.cache
def load(name: str) -> LiteralString:
    """Return the statement in ``<name>.cypher``, read once and cached."""
    resource = resources.files(__name__) / f"{name}.cypher"
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownStatement(
            f"no Cypher statement named {name!r}: expected a file cypher/{name}.cypher"
        ) from None
    # The files ship with the package and never come from a request, so their
    # text is as trusted as a literal. Values still go in as parameters.
    # mypy reads LiteralString as str and calls the cast redundant, but
    # checkers that tell the two apart need it.
    return cast(LiteralString, text.strip())  # type: ignore[redundant-cast]


def names() -> list[str]:
    """Return the names of every statement file, sorted."""
    return sorted(
        entry.name.removesuffix(".cypher")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".cypher")
    )
