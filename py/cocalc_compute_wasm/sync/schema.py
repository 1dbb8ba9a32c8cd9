"""What a document is: records keyed by primary-key fields, some fields being text.

A document value is a plain `dict` from key tuple to record `dict`. Values and records are
immutable by convention: applying a patch builds new dicts and shares the unchanged ones, so
never mutate a value you got from this package, and build a new one to change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidPatch, brief

#: A primary-key field holds a string or an integer; floats (1 == 1.0) and bools (True == 1)
#: would make two different keys collide.
Scalar = str | int
Key = tuple[Scalar, ...]
Record = dict[str, Any]
Value = dict[Key, Record]


@dataclass(frozen=True)
class Schema:
    """The primary-key fields and the text ("string") columns of one kind of document."""

    primary_keys: tuple[str, ...]
    string_cols: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.primary_keys:
            raise ValueError("a schema needs at least one primary-key field")
        if self.string_cols & set(self.primary_keys):
            raise ValueError("a primary-key field cannot be a string column")

    def key(self, record: Record) -> Key:
        """The key of a record already known to be valid."""
        return tuple(record[f] for f in self.primary_keys)

    def key_fields(self, key: Key) -> Record:
        """The record naming just this key: what a delete carries."""
        return dict(zip(self.primary_keys, key, strict=True))

    def check_key(self, record: object, where: str) -> Record:
        """Check that `record` is a map naming a valid key, and return it."""
        if not isinstance(record, dict):
            raise InvalidPatch(f"{where}: expected a map, got {type(record).__name__}")
        for field in self.primary_keys:
            if field not in record:
                raise InvalidPatch(f"{where}: primary-key field {brief(field)} is missing")
            if not _is_scalar(record[field]):
                raise InvalidPatch(
                    f"{where}[{brief(field)}]: a primary-key field holds a string or an integer,"
                    f" not {type(record[field]).__name__}"
                )
        return record

    def check_stored(self, record: object, where: str) -> Key:
        """Check the shape a record has inside a value, and return its key.

        Shallow: that the field values are JSON data is the caller's business. The checks
        here are exactly what a patch cannot express: None means "absent", both for a field
        and for a key at the top of a map field, and a text column holds text.
        """
        rec = self.check_key(record, where)
        for field, value in rec.items():
            if not isinstance(field, str):
                raise InvalidPatch(f"{where}: field name {brief(field)} is not a string")
            if value is None:
                raise InvalidPatch(f"{where}[{brief(field)}]: is None, which a record never holds")
            if field in self.string_cols and not isinstance(value, str):
                raise InvalidPatch(
                    f"{where}[{brief(field)}]: string column holds {type(value).__name__}, not str"
                )
            if isinstance(value, dict) and any(v is None for v in value.values()):
                raise InvalidPatch(f"{where}[{brief(field)}]: a map field never holds None")
        return self.key(rec)


def _is_scalar(value: object) -> bool:
    """Whether `value` may be a primary-key field."""
    return isinstance(value, str | int) and not isinstance(value, bool)


#: Jupyter notebooks as CoCalc's "jupyter2" syncdb stores them.
NOTEBOOK = Schema(primary_keys=("type", "id"), string_cols=frozenset({"input"}))
