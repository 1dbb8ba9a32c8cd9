"""One cell: an nbformat cell dict in the file, a ``cell`` record in the document.

Three metadata entries become fields of their own, as in CoCalc, because collaborators
change them often and a record field merges on its own: ``tags`` (a list in the file, a
map tag -> true in the document, so that adding and removing one tag is a one-key patch
that cannot undo a concurrent change to another), ``collapsed`` and ``scrolled``. Export
puts them back into the metadata. The rest of the metadata, unknown keys included, stays
in ``metadata`` untouched. Fields the file's schema does not allow for the cell's type
(``outputs`` and ``execution_count`` of non-code cells, ``attachments`` of code cells) are
not written, so a cell whose type a collaborator changed still exports valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import (
    MISSING,
    InvalidNotebook,
    require_count,
    require_dict,
    require_str,
    require_str_list,
)
from .multiline import join_lines, join_mimebundle, split_lines, split_mimebundle
from .outputs import outputs_from_ipynb, outputs_to_ipynb
from .schema import (
    ATTACHMENTS,
    CELL,
    CELL_TYPE,
    CELL_TYPES,
    COLLAPSED,
    EXEC_COUNT,
    ID,
    INPUT,
    METADATA,
    OUTPUT,
    POS,
    SCROLLED,
    TAGS,
    TYPE,
    CellType,
)

_LIFTED_FLAGS: Final = (COLLAPSED, SCROLLED)

# Cell metadata that Jupyter's writer strips (nbformat.v4.rwbase.strip_transient).
_TRANSIENT_METADATA: Final = ("trusted",)


def cell_from_ipynb(cell: Mapping[str, Any], cell_id: str, pos: float, what: str) -> dict[str, Any]:
    """The record of one nbformat cell, given the id and position it gets in the document."""
    cell_type = cell.get("cell_type", MISSING)
    if cell_type is MISSING:
        raise InvalidNotebook(f"{what}: cell_type is missing")
    if cell_type not in CELL_TYPES:
        raise InvalidNotebook(f"{what}: unknown cell_type {cell_type!r}")
    record: dict[str, Any] = {
        TYPE: CELL,
        ID: cell_id,
        POS: pos,
        CELL_TYPE: cell_type,
        INPUT: join_lines(cell.get("source", MISSING), f"{what}: source"),
    }
    metadata = dict(require_dict(cell.get("metadata", {}), f"{what}: metadata"))
    if "tags" in metadata:
        tags = require_str_list(metadata.pop("tags"), f"{what}: metadata.tags")
        record[TAGS] = dict.fromkeys(tags, True)
    for flag in _LIFTED_FLAGS:
        value = metadata.pop(flag, None)
        if value is not None:
            record[flag] = value
    record[METADATA] = metadata
    if "attachments" in cell:
        record[ATTACHMENTS] = _attachments(cell["attachments"], f"{what}: attachments")
    if cell_type == CellType.CODE:
        output = outputs_from_ipynb(cell.get("outputs", []), what)
        if output:
            record[OUTPUT] = output
        exec_count = require_count(cell.get("execution_count"), f"{what}: execution_count")
        if exec_count is not None:
            record[EXEC_COUNT] = exec_count
    return record


def cell_to_ipynb(record: Mapping[str, Any], with_id: bool, what: str) -> dict[str, Any]:
    """The nbformat cell of one record; absent fields take the value of a new cell."""
    cell_type = _field(record, CELL_TYPE, CellType.CODE.value)
    if cell_type not in CELL_TYPES:
        raise InvalidNotebook(f"{what}: unknown cell_type {cell_type!r}")
    metadata = dict(require_dict(_field(record, METADATA, {}), f"{what}: metadata"))
    for key in _TRANSIENT_METADATA:
        metadata.pop(key, None)
    tags = _field(record, TAGS)
    if tags is not None:
        tags = require_dict(tags, f"{what}: tags")
        metadata["tags"] = require_str_list(
            [tag for tag, on in tags.items() if on], f"{what}: tags"
        )
    for flag in _LIFTED_FLAGS:
        value = _field(record, flag)
        if value is not None:
            metadata[flag] = value
    cell: dict[str, Any] = {
        "cell_type": str(cell_type),
        "metadata": metadata,
        "source": split_lines(require_str(_field(record, INPUT, ""), f"{what}: input")),
    }
    if with_id:
        cell["id"] = record[ID]
    if cell_type == CellType.CODE:
        cell["execution_count"] = require_count(_field(record, EXEC_COUNT), f"{what}: exec_count")
        cell["outputs"] = outputs_to_ipynb(_field(record, OUTPUT), what)
    elif _field(record, ATTACHMENTS) is not None:
        attachments = _attachments(record[ATTACHMENTS], f"{what}: attachments")
        cell["attachments"] = {name: split_mimebundle(b) for name, b in attachments.items()}
    return cell


def _field(record: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A record field; null counts as absent, since the sync layer deletes by setting null."""
    value = record.get(name)
    return default if value is None else value


def _attachments(attachments: object, what: str) -> dict[str, dict[str, Any]]:
    """Attachments (file name -> mime bundle) with multiline strings joined."""
    return {
        name: join_mimebundle(bundle, f"{what} {name!r}")
        for name, bundle in require_dict(attachments, what).items()
    }
