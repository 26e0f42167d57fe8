"""Equality of JSON values as JSON and JSON Schema define it, for conditions, tables, enums.

Python's ``==`` says ``True == 1`` and ``hash(True) == hash(1)``; JSON does not. These two
helpers keep booleans apart from numbers (while ``1`` still equals ``1.0``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["json_equal", "json_key"]


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON (and jsonschema) sees it: ``true != 1``, ``1 == 1.0``, deep."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # distinct objects, at least one a boolean: never equal
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(
            key in two and json_equal(value, two[key]) for key, value in one.items()
        )
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        return False
    return bool(one == two)


def json_key(value: Any) -> tuple[str, Any]:
    """A hashable key that keeps JSON types apart (``true`` is not ``1``, ``1`` is ``1.0``)."""
    if value is True or value is False:
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z", None)
    return ("x", id(value))  # lists/objects never equal a table key
