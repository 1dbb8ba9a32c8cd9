"""Cell outputs: a list of nbformat output dicts in the file, a map "0", "1", ... in the document.

The document keys outputs by their index as strings because a map merges field by field:
the runner appends output n by setting one key, without resending the earlier ones. Each
value is the nbformat output dict itself (one path for outputs), with its multiline
strings joined. Both directions keep exactly the fields nbformat defines for the output's
type, so that what the runner carries besides (``transient``, which holds the display_id,
or any marker of its own) never reaches the file, whose schema forbids other fields.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, Final

from .errors import (
    MISSING,
    InvalidNotebook,
    require_count,
    require_dict,
    require_list,
    require_str,
    require_str_list,
)
from .multiline import join_lines, join_mimebundle, split_lines, split_mimebundle

# The fields of each output type, as nbformat 4's schema lists them.
_FIELDS: Final = {
    "stream": ("name", "text"),
    "display_data": ("data", "metadata"),
    "execute_result": ("data", "metadata", "execution_count"),
    "error": ("ename", "evalue", "traceback"),
}

# Fields that may be absent (or null): their value then.
_DEFAULTS: Final[dict[str, Callable[[], Any]]] = {"metadata": dict, "execution_count": lambda: None}

# Each field's check; the check also joins multiline strings.
_CHECKS: Final[dict[str, Callable[[Any, str], Any]]] = {
    "name": require_str,
    "text": join_lines,
    "data": join_mimebundle,
    "metadata": lambda value, what: dict(require_dict(value, what)),
    "execution_count": require_count,
    "ename": require_str,
    "evalue": require_str,
    "traceback": require_str_list,
}


def outputs_from_ipynb(outputs: object, what: str) -> dict[str, dict[str, Any]]:
    """The output map of a cell's ``outputs`` list (empty when the cell has none)."""
    return {
        str(n): _joined(output, f"{what} output {n}")
        for n, output in enumerate(require_list(outputs, f"{what}: outputs"))
    }


def outputs_to_ipynb(output_map: object, what: str) -> list[dict[str, Any]]:
    """The ``outputs`` list of a cell's output map, in index order, split as Jupyter writes."""
    if output_map is None:
        return []
    items = require_dict(output_map, f"{what}: output").items()
    ordered = sorted(((_index(key, what), output) for key, output in items), key=itemgetter(0))
    return [_split(_joined(output, f"{what} output {n}")) for n, output in ordered]


def _index(key: object, what: str) -> int:
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    raise InvalidNotebook(f"{what}: output key {key!r} is not an index")


def _joined(output: object, what: str) -> dict[str, Any]:
    """A checked copy of one output with only its type's fields, multiline strings joined."""
    output = require_dict(output, what)
    output_type = output.get("output_type", MISSING)
    if output_type is MISSING:
        raise InvalidNotebook(f"{what}: output_type is missing")
    if not (isinstance(output_type, str) and output_type in _FIELDS):
        raise InvalidNotebook(f"{what}: unknown output_type {output_type!r}")
    joined: dict[str, Any] = {"output_type": output_type}
    for field in _FIELDS[output_type]:
        value = output.get(field, MISSING)
        if field in _DEFAULTS and (value is MISSING or value is None):
            joined[field] = _DEFAULTS[field]()
        else:
            joined[field] = _CHECKS[field](value, f"{what}: {field}")
    return joined


def _split(output: dict[str, Any]) -> dict[str, Any]:
    if "text" in output:
        output["text"] = split_lines(output["text"])
    if "data" in output:
        output["data"] = split_mimebundle(output["data"])
    return output
