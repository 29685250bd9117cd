"""JSON shape checks for a DSL or runtime conf.

``require`` and the ``expect_*`` functions raise InvalidInput naming the JSON
path of the value, such as ``conf.role.host``, and otherwise return the value.
"""

from __future__ import annotations

import reprlib
from typing import TYPE_CHECKING, Any, TypeGuard

from fate_lineage.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping


def describe(value: object) -> str:
    """Describe a JSON value for an error message, shortening long values."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return reprlib.repr(value)


def is_whole_number(value: object) -> TypeGuard[int]:
    """Return True for an int that is not a bool, which is a subclass of int."""
    return isinstance(value, int) and not isinstance(value, bool)


def require(body: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in body:
        raise InvalidInput(f"{path}.{key}: required field is missing")
    return body[key]


def expect_object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{path}: expected an object, got {describe(value)}")
    for key in value:
        if not isinstance(key, str):
            raise InvalidInput(f"{path}: key {key!r} is not a string")
    return value


def expect_array(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{path}: expected an array, got {describe(value)}")
    return value


def expect_string(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            f"{path}: expected a non-empty string, got {describe(value)}"
        )
    return value


def expect_strings(value: object, path: str) -> list[str]:
    items = expect_array(value, path)
    return [expect_string(item, f"{path}[{index}]") for index, item in enumerate(items)]
