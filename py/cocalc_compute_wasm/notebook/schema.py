"""The vocabulary of a notebook document: record types, field names, cell types and states.

Every module (importer, exporter, runner, clients) spells fields through these names, so a
renamed or misspelt field is an ImportError, not a silently missing key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# Record types; the primary key of every record is (TYPE, ID).
CELL: Final = "cell"
SETTINGS: Final = "settings"
SETTINGS_ID: Final = "main"
"""The id of the one settings record."""

# Fields of every record.
TYPE: Final = "type"
ID: Final = "id"

# Cell fields that the .ipynb stores.
POS: Final = "pos"
INPUT: Final = "input"
CELL_TYPE: Final = "cell_type"
OUTPUT: Final = "output"
EXEC_COUNT: Final = "exec_count"
METADATA: Final = "metadata"
TAGS: Final = "tags"
ATTACHMENTS: Final = "attachments"
COLLAPSED: Final = "collapsed"
SCROLLED: Final = "scrolled"

# Cell fields of the run queue, never written to the .ipynb.
STATE: Final = "state"
START: Final = "start"
END: Final = "end"
NO_HALT: Final = "no_halt"
TRANSIENT_FIELDS: Final = (STATE, START, END, NO_HALT)

# Settings fields (METADATA is shared with cells).
KERNEL: Final = "kernel"
NBFORMAT: Final = "nbformat"
NBFORMAT_MINOR: Final = "nbformat_minor"
MAX_OUTPUT_LENGTH: Final = "max_output_length"

DEFAULT_MAX_OUTPUT_LENGTH: Final = 250_000
"""Characters of output per cell before the runner writes a ``more_output`` marker."""


class CellType(StrEnum):
    """The three nbformat cell types; the value of ``cell_type``."""

    CODE = "code"
    MARKDOWN = "markdown"
    RAW = "raw"


class CellState(StrEnum):
    """The value of ``state`` (absent means idle): a cell's place in the run queue.

    A collaborator sets START; the runner sets RUN, BUSY and finally DONE.
    """

    START = "start"
    RUN = "run"
    BUSY = "busy"
    DONE = "done"


# A tuple, not a set: ``x in CELL_TYPES`` must not fail on an unhashable x from bad input.
CELL_TYPES: Final = tuple(CellType)
