"""Whole notebooks: .ipynb text or dict <-> the record list of a notebook document.

The project server imports a notebook's file into a document and exports the document
back into the file; this module is that conversion and nothing else (the server does the
file IO, the debouncing and the atomic replace). Export is a pure function of the
records and writes what Jupyter writes for the same notebook, so an unchanged notebook
saves to identical bytes and a save rewrites the file only where something changed.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterable, Mapping
from typing import Any, Final

from .cells import cell_from_ipynb, cell_to_ipynb
from .errors import MISSING, InvalidNotebook, require_dict, require_list
from .ids import is_valid_cell_id, repair_cell_ids
from .order import sorted_cells
from .schema import ID, SETTINGS, SETTINGS_ID, TYPE
from .settings import header_to_ipynb, settings_from_ipynb

Records = list[dict[str, Any]]

# What Jupyter writes for a new Python notebook, less what only a running kernel knows
# (language_info.version).
_EMPTY_NOTEBOOK: Final = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": []}
    ],
    "metadata": {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
        },
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def ipynb_to_records(
    notebook: str | bytes | Mapping[str, Any], rng: random.Random | None = None
) -> Records:
    """The records of a notebook (its .ipynb text, or the parsed dict, which is not kept).

    The settings record comes first, then one record per cell with ``pos`` 0.0, 1.0, ...
    Cells without a valid unique nbformat 4.5 id get a fresh one drawn from ``rng``
    (default: the system's random source). Raises InvalidNotebook.
    """
    nb = _load(notebook)
    settings = settings_from_ipynb(nb)
    cells = [
        require_dict(cell, f"cell {n}")
        for n, cell in enumerate(require_list(nb.get("cells", MISSING), "cells"))
    ]
    ids = repair_cell_ids([cell.get("id") for cell in cells], rng or random.SystemRandom())
    return [
        settings,
        *(
            cell_from_ipynb(cell, cell_id, float(n), f"cell {n}")
            for n, (cell, cell_id) in enumerate(zip(cells, ids, strict=True))
        ),
    ]


def records_to_ipynb(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The nbformat 4 notebook of a document's records, ready for ``dumps_ipynb``.

    Records of other types are ignored, and so are the run-queue fields of cells (state,
    start, end, no_halt): a running cell is saved with the outputs it has so far. Cell
    ids are written (with nbformat_minor >= 5) when every cell's id is valid for nbformat
    4.5. Raises InvalidNotebook for a record the file cannot represent; the result shares
    no objects with the records.
    """
    return copy.deepcopy(_notebook_of(records))


def records_to_ipynb_text(records: Iterable[Mapping[str, Any]]) -> str:
    """``dumps_ipynb(records_to_ipynb(records))``, without the copy that only a notebook
    kept by the caller needs (it was most of the time of saving a large notebook)."""
    return dumps_ipynb(_notebook_of(records))


def _notebook_of(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The notebook of ``records_to_ipynb``, sharing the records' outputs and metadata."""
    records = list(records)
    settings = next(
        (r for r in records if r.get(TYPE) == SETTINGS and r.get(ID) == SETTINGS_ID), None
    )
    cells = sorted_cells(records)
    with_ids = all(is_valid_cell_id(cell.get(ID)) for cell in cells)
    nb = header_to_ipynb(settings, with_ids)
    nb["cells"] = [cell_to_ipynb(cell, with_ids, f"cell {cell.get(ID)!r}") for cell in cells]
    return nb


def dumps_ipynb(nb: Mapping[str, Any]) -> str:
    """The text of a notebook exactly as Jupyter writes it (``nbformat.write``).

    Except that NaN and infinities are refused rather than written as invalid JSON.
    """
    try:
        text = json.dumps(
            nb,
            indent=1,
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ": "),
            allow_nan=False,  # NaN and Infinity are not JSON: a browser could not read the file
        )
    except (TypeError, ValueError) as error:
        raise InvalidNotebook(f"not serialisable as JSON: {error}") from error
    return text + "\n"


def empty_notebook(rng: random.Random | None = None) -> Records:
    """The records of a new notebook: one empty code cell and a Python 3 kernel."""
    return ipynb_to_records(_EMPTY_NOTEBOOK, rng)


def _load(notebook: object) -> Mapping[str, Any]:
    if isinstance(notebook, Mapping):
        nb = copy.deepcopy(notebook)
    elif isinstance(notebook, str | bytes | bytearray):
        try:
            nb = json.loads(notebook)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            raise InvalidNotebook(f"not JSON: {error}") from error
        except RecursionError as error:
            raise InvalidNotebook("not JSON this reader can take: nested too deeply") from error
    else:
        raise InvalidNotebook(f"expected notebook text or a dict, got {type(notebook).__name__}")
    return require_dict(nb, "the notebook")
