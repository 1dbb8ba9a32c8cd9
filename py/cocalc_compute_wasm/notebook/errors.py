"""``InvalidNotebook`` and the type guards that raise it.

A notebook file comes from anywhere (an old tool, a hand edit, a truncated upload) and a
record set from many writers; both must fail with a message that says what is wrong and
where ("cell 3: unknown cell_type 'foo'"), never with a bare KeyError or TypeError from
deep inside the conversion. The guards take ``what``, the place being checked, and return
the value with its type narrowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final


class InvalidNotebook(ValueError):
    """A notebook or a record set that cannot be converted; the message says what and where."""


MISSING: Final[Any] = object()
"""Pass ``mapping.get(key, MISSING)`` so that a message can say "is missing" rather than "null"."""

_JSON_NAMES: Final = {
    type(None): "null",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def fail(what: str, expected: str, value: object) -> InvalidNotebook:
    """The error for ``value`` found at ``what`` where ``expected`` was needed."""
    if value is MISSING:
        return InvalidNotebook(f"{what} is missing (expected {expected})")
    got = _JSON_NAMES.get(type(value), type(value).__name__)
    return InvalidNotebook(f"{what} must be {expected}, got {got}")


def require_dict(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise fail(what, "an object", value)
    return value


def require_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(what, "an array", value)
    return value


def require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise fail(what, "a string", value)
    return value


def require_str_list(value: object, what: str) -> list[str]:
    if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        raise fail(what, "an array of strings", value)
    return value


def require_int(value: object, what: str) -> int:
    """A non-negative integer (JSON's ``true`` is not one)."""
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        raise fail(what, "a non-negative integer", value)
    return value


def require_count(value: object, what: str) -> int | None:
    """An execution count: null (never run) or a non-negative integer."""
    return None if value is None else require_int(value, what)
