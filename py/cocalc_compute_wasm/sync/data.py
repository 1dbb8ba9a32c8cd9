"""The field values a document may hold: JSON data that msgpack carries unchanged.

Every replica must compute the same value from the same patches, and the project server writes
the notebook as JSON; so values are restricted to what survives msgpack and JSON round trips
exactly (no tuples, bytes, NaN or non-string map keys), and nesting is bounded so that no
replica, the browser's smaller stack included, can be crashed by deep junk.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import InvalidPatch, brief

#: How deeply lists and maps may nest inside one field value.
MAX_DEPTH = 64

_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1

#: A path to a part of a value, built as a linked list so that valid data costs no strings.
_Path = tuple[Any, ...]


def check_json(value: object, where: str, field: str | None = None) -> None:
    """Raise InvalidPatch unless `value` (of `field`, when given) is JSON data within the
    limits above.

    Iterative, so that the walk itself cannot overflow the stack. Errors name the place
    as ``where[field][...]``, spelt only then: valid data costs no strings.
    """
    if value is None or type(value) is str:
        return
    stack: list[tuple[object, _Path, int]] = [(value, () if field is None else ((), field), 0)]
    while stack:
        item, path, depth = stack.pop()
        if item is None or isinstance(item, bool | str):
            continue
        if isinstance(item, int):
            if not _INT_MIN <= item <= _INT_MAX:
                raise InvalidPatch(
                    f"{_where(where, path)}: integer {brief(item)} does not fit 64 bits"
                )
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidPatch(f"{_where(where, path)}: {item} is not a finite number")
            continue
        if not isinstance(item, list | dict):
            raise InvalidPatch(f"{_where(where, path)}: {type(item).__name__} is not JSON data")
        if depth == MAX_DEPTH:
            raise InvalidPatch(f"{_where(where, path)}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, list):
            stack.extend((x, (path, i), depth + 1) for i, x in enumerate(item))
            continue
        for k, x in item.items():
            if not isinstance(k, str):
                raise InvalidPatch(f"{_where(where, path)}: map key {brief(k)} is not a string")
            stack.append((x, (path, k), depth + 1))


def same(a: object, b: object) -> bool:
    """Equality that also compares types: `True`, `1` and `1.0` are different values.

    Plain `==` would let make_patch skip a change from 1 to 1.0 (or True). The recursion goes
    no deeper than the shallower side, which make_patch always takes from a checked value.
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))  # type: ignore[arg-type]
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    return a == b


def _where(where: str, path: _Path) -> str:
    parts: list[str] = []
    while path:
        path, step = path
        parts.append(f"[{brief(step)}]")
    return where + "".join(reversed(parts))
