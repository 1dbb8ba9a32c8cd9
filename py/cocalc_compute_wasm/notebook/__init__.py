"""The notebook model: CoCalc's "jupyter2" records and their .ipynb import and export.

Pure Python (stdlib only), no IO: the project server reads and writes the files, the
browser worker runs the same code under Pyodide. Nothing here imports nbformat; the tests
use nbformat as the judge of what export writes.

Records
-------
A notebook document is a set of records keyed by ``(type, id)``. A field that is absent
is a missing key (the sync layer deletes a field by setting it to null, so null and
absent mean the same here too). Field names are the constants of ``schema``.

One ``settings`` record::

    {"type": "settings", "id": "main",
     "kernel": <kernelspec name>,          # absent when the notebook names no kernel
     "metadata": {...},                    # the notebook metadata, all of it, unknown keys kept
     "nbformat": 4,
     "nbformat_minor": <int>,              # the file's; see "Export" for what is written
     "max_output_length": <int>}           # document setting, not in the file

One ``cell`` record per cell::

    {"type": "cell", "id": <str>,
     "pos": <float>,                       # order: by pos, then id
     "cell_type": "code" | "markdown" | "raw",
     "input": <str>,                       # the source, one string
     "metadata": {...},                    # cell metadata without tags/collapsed/scrolled
     "tags": {<tag>: true, ...},           # metadata.tags; absent when the file has none
     "collapsed": <bool>,                  # metadata.collapsed; absent when the file has none
     "scrolled": <bool | "auto">,          # metadata.scrolled; absent when the file has none
     "attachments": {<name>: {<mime>: <data>}},  # absent when the file has none
     "output": {"0": <output>, "1": ...},  # code cells; absent when there is no output
     "exec_count": <int>,                  # code cells; absent when never run
     "state": null|"start"|"run"|"busy"|"done", "start": <ms>, "end": <ms>,
     "no_halt": <bool>}                    # run queue; never in the file

An ``<output>`` is the nbformat output dict (stream, display_data, execute_result,
error) with its multiline strings joined; attachment and output mime data likewise.

Choices
-------
- ``tags``, ``collapsed`` and ``scrolled`` are lifted out of the cell metadata into
  fields (as CoCalc does) because collaborators toggle them and a field merges on its
  own; tags become a map so that adding or removing one tag is a one-key patch. Export
  writes them back into the metadata (tags in the map's order; a tag whose value is not
  true is left out), where they override metadata keys of the same name.
- Multiline strings are joined on import; export splits them into lines exactly as
  Jupyter's writer does (source, stream text, text/*, application/javascript and
  image/svg+xml data; JSON mime data stays a JSON value, image/png a base64 string).
- Cell ids: a valid (1-64 chars of [a-zA-Z0-9-_]), first-seen id is kept; others and
  missing ones (notebooks before 4.5) get fresh 8-hex-digit ids from the given random
  source. Export writes ids and nbformat_minor >= 5 when all ids are valid, else
  no ids and nbformat_minor <= 4.
- ``kernel`` mirrors ``metadata.kernelspec.name``; on export it wins (see ``settings``).
- Export writes per cell type only what nbformat allows, and per output type only
  nbformat's fields: ``transient`` or any other extra output key is dropped, a code cell
  has no attachments, a markdown/raw cell no outputs. Jupyter's transient metadata
  (cell ``trusted``; notebook ``signature``, ``orig_nbformat``, ``orig_nbformat_minor``)
  is stripped as Jupyter's writer strips it. Missing fields take a new cell's values
  (code cell, empty input, no output).
- Run-queue fields are never written; a running cell saves with its outputs so far.
- ``dumps_ipynb`` writes what ``nbformat.write`` writes: indent 1, sorted keys, no ASCII
  escaping, trailing newline; an unchanged notebook saves to identical bytes.
  ``records_to_ipynb_text`` is the two at once, without a copy of the records' data.
- Anything that cannot be converted raises ``InvalidNotebook`` saying what and where:
  "cell 3: ..." (index in the file) on import, "cell 'id': ..." on export. Import is
  strict where a guess would lose data (nbformat other than 4, unknown cell or output
  types, wrongly typed fields) and lenient where Jupyter's reader is: a missing
  ``nbformat_minor`` reads as 0, missing ``metadata``/``outputs``/``execution_count``
  as empty. Export refuses NaN and infinities (not JSON; a browser could not read them).

Modules
-------
``schema`` names, ``errors`` InvalidNotebook and its guards, ``ids`` cell ids,
``order`` pos ordering, ``multiline`` line joining and splitting, ``outputs`` one cell's
outputs, ``cells`` one cell, ``settings`` the header, ``ipynb`` whole notebooks.
"""

from .errors import InvalidNotebook
from .ids import is_valid_cell_id, new_cell_id
from .ipynb import (
    dumps_ipynb,
    empty_notebook,
    ipynb_to_records,
    records_to_ipynb,
    records_to_ipynb_text,
)
from .order import cell_order_key, pos_between, sorted_cells
from .schema import (
    ATTACHMENTS,
    CELL,
    CELL_TYPE,
    CELL_TYPES,
    COLLAPSED,
    DEFAULT_MAX_OUTPUT_LENGTH,
    END,
    EXEC_COUNT,
    ID,
    INPUT,
    KERNEL,
    MAX_OUTPUT_LENGTH,
    METADATA,
    NBFORMAT,
    NBFORMAT_MINOR,
    NO_HALT,
    OUTPUT,
    POS,
    SCROLLED,
    SETTINGS,
    SETTINGS_ID,
    START,
    STATE,
    TAGS,
    TRANSIENT_FIELDS,
    TYPE,
    CellState,
    CellType,
)

__all__ = [
    "ATTACHMENTS",
    "CELL",
    "CELL_TYPE",
    "CELL_TYPES",
    "COLLAPSED",
    "DEFAULT_MAX_OUTPUT_LENGTH",
    "END",
    "EXEC_COUNT",
    "ID",
    "INPUT",
    "KERNEL",
    "MAX_OUTPUT_LENGTH",
    "METADATA",
    "NBFORMAT",
    "NBFORMAT_MINOR",
    "NO_HALT",
    "OUTPUT",
    "POS",
    "SCROLLED",
    "SETTINGS",
    "SETTINGS_ID",
    "START",
    "STATE",
    "TAGS",
    "TRANSIENT_FIELDS",
    "TYPE",
    "CellState",
    "CellType",
    "InvalidNotebook",
    "cell_order_key",
    "dumps_ipynb",
    "empty_notebook",
    "ipynb_to_records",
    "is_valid_cell_id",
    "new_cell_id",
    "pos_between",
    "records_to_ipynb",
    "records_to_ipynb_text",
    "sorted_cells",
]
