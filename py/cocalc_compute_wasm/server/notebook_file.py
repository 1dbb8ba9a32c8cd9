"""The `.ipynb` on disk: read it into records, write records back atomically.

A reader (Jupyter, git, a collaborator's editor) must never see a half-written file, so
export writes a temporary file next to the target, fsyncs it and renames it into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..notebook import ipynb_to_records, records_to_ipynb_text
from ..sync import NOTEBOOK, Value


def value_of(records: list[dict]) -> Value:
    return {NOTEBOOK.key(record): record for record in records}


def read_notebook(path: Path) -> tuple[Value, int]:
    """The file's records as a document value, and the mtime they were read at.

    Raises InvalidNotebook when the text is not a notebook, OSError when unreadable.
    """
    mtime_ns = path.stat().st_mtime_ns
    return value_of(ipynb_to_records(path.read_bytes())), mtime_ns


def write_notebook(path: Path, value: Value) -> int:
    """Export the value to `path` by atomic replace; returns the new file's mtime.

    Raises InvalidNotebook when the records do not make a valid notebook, UnicodeError
    when its text cannot be UTF-8 (a lone surrogate); the old file is then left as it was.
    """
    data = records_to_ipynb_text(value.values()).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path.stat().st_mtime_ns
