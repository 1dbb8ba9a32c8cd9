"""CoCalc's db patch: deletes by key, then partial records merged field by field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .data import check_json, same
from .errors import InvalidPatch, brief, within
from .schema import Key, Record, Schema, Value
from .text import apply_text_patch, check_text_patch, make_text_patch, text_patch_diffs

#: Bound on the diffs of all the text patches of one patch. Applying a hunk copies the whole
#: text, so a patch holding many small hunks for a long text kept the project server busy
#: (8,000 hunks, 110 kB, on a 4 MB text: 7 s; a 16 MB frame of them: hours). A client's patch
#: holding more is refused; make_patch sends the text itself instead of going past it.
MAX_TEXT_DIFFS = 1000


@dataclass(frozen=True)
class Patch:
    """One change to a document; valid by construction.

    `deletes` name records by their primary-key fields exactly; `sets` are partial records,
    each with its key fields. Both are copied (one level deep) into tuples, so changing the
    dicts you passed in afterwards does not change the patch.
    """

    schema: Schema = field(repr=False)
    deletes: Sequence[Record] = ()
    sets: Sequence[Record] = ()

    def __post_init__(self) -> None:
        for name in ("deletes", "sets"):
            if not isinstance(getattr(self, name), list | tuple):
                raise InvalidPatch(f"{name}: expected a list of maps")
        object.__setattr__(self, "deletes", tuple(map(self._check_delete, enumerate(self.deletes))))
        object.__setattr__(self, "sets", tuple(map(self._check_set, enumerate(self.sets))))

    @property
    def text_diffs(self) -> int:
        """How many diffs the text patches of this patch hold: the cost of applying it."""
        return sum(
            text_patch_diffs(value)
            for record in self.sets
            for name, value in record.items()
            if name in self.schema.string_cols and isinstance(value, list)
        )

    @property
    def empty(self) -> bool:
        """Whether the patch changes nothing at all (makes no deletes and no sets)."""
        return not self.deletes and not self.sets

    def apply(self, value: Value) -> Value:
        """The value after this patch; `value` itself is left untouched."""
        return apply_patches(value, (self,))

    def to_wire(self) -> list[Any]:
        """CoCalc's array form `[-1, deletes, 1, sets]`, leaving out a part that is empty."""
        wire: list[Any] = []
        if self.deletes:
            wire += [-1, list(self.deletes)]
        if self.sets:
            wire += [1, list(self.sets)]
        return wire

    @classmethod
    def from_wire(cls, schema: Schema, data: object) -> Patch:
        """Decode and check a patch that came off the wire; anything else is InvalidPatch."""
        with within("patch"):
            if not isinstance(data, list) or len(data) % 2:
                raise InvalidPatch("expected a list [-1, deletes, 1, sets]")
            ops = data[::2]
            if not all(type(op) is int for op in ops) or ops not in ([], [-1], [1], [-1, 1]):
                raise InvalidPatch("expected -1 (deletes) then 1 (sets), each at most once")
            parts = dict(zip(ops, data[1::2], strict=True))
            return cls(schema, deletes=parts.get(-1, ()), sets=parts.get(1, ()))

    def _check_delete(self, item: tuple[int, object]) -> Record:
        i, record = item
        where = f"deletes[{i}]"
        rec = self.schema.check_key(record, where)
        extra = set(rec) - set(self.schema.primary_keys)
        if extra:
            raise InvalidPatch(
                f"{where}: a delete names exactly the primary-key fields"
                f" {', '.join(self.schema.primary_keys)}; it also has {sorted(map(brief, extra))}"
            )
        return dict(rec)

    def _check_set(self, item: tuple[int, object]) -> Record:
        i, record = item
        where = f"sets[{i}]"
        rec = self.schema.check_key(record, where)
        for name, value in rec.items():  # the field's place is spelt only on an error
            if not isinstance(name, str):
                raise InvalidPatch(f"{where}: field name {brief(name)} is not a string")
            if name in self.schema.string_cols and value is not None:
                if isinstance(value, list):
                    check_text_patch(value, f"{where}[{brief(name)}]")
                elif not isinstance(value, str):
                    raise InvalidPatch(
                        f"{where}[{brief(name)}]: a string column takes a str, a text patch"
                        f" (list) or None, not {type(value).__name__}"
                    )
            else:
                check_json(value, where, name)
        return dict(rec)


def apply_patches(value: Value, patches: Iterable[Patch]) -> Value:
    """Apply patches in order, copying the value's dict only once."""
    out = dict(value)
    for patch in patches:
        schema = patch.schema
        for record in patch.deletes:
            out.pop(schema.key(record), None)
        for record in patch.sets:
            key = schema.key(record)
            out[key] = _merge_record(schema, out.get(key, {}), record)
    return out


def _merge_record(schema: Schema, old: Record, change: Record) -> Record:
    new = dict(old)
    for name, value in change.items():
        current = new.get(name)
        if value is None:
            new.pop(name, None)
        elif name in schema.string_cols and isinstance(value, list):
            new[name] = apply_text_patch(value, current if isinstance(current, str) else "")
        elif isinstance(value, dict):
            new[name] = _merge_map(current if isinstance(current, dict) else {}, value)
        else:
            new[name] = value
    return new


def _merge_map(old: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Shallow merge; None deletes a key. A map set over a non-map merges into an empty one,
    so that no map ever holds None at its top, however it was reached."""
    new = dict(old)
    for k, v in change.items():
        if v is None:
            new.pop(k, None)
        else:
            new[k] = v
    return new


def make_patch(schema: Schema, before: Value, after: Value) -> Patch:
    """A small patch p with `p.apply(before) == after`.

    Records of `after` that are not `before`'s very objects are checked: what a patch cannot
    express (a None field, None at the top of a map, a key that does not match its record)
    raises InvalidPatch rather than giving a patch that silently lands elsewhere.
    """
    deletes = [schema.key_fields(key) for key in before if key not in after]
    sets: list[Record] = []
    budget = [MAX_TEXT_DIFFS]  # the text diffs this patch may still use
    for key, record in after.items():
        old = before.get(key)
        if old is record:
            continue
        where = f"value[{brief(key)}]"
        if schema.check_stored(record, where) != key:
            raise InvalidPatch(f"{where}: the record's key fields name another key")
        change = record if old is None else _diff_record(schema, key, old, record, budget)
        if change is not None:
            sets.append(change)
    return Patch(schema, deletes=deletes, sets=sets)


def _diff_record(
    schema: Schema, key: Key, old: Record, new: Record, budget: list[int]
) -> Record | None:
    change = schema.key_fields(key)
    for name in old.keys() - new.keys():
        change[name] = None
    for name, value in new.items():
        if name not in old:
            change[name] = value
            continue
        prev = old[name]
        if same(prev, value):
            continue
        if name in schema.string_cols:
            text = make_text_patch(prev, value)
            diffs = 0 if text is None else text_patch_diffs(text)
            if text is None or diffs > budget[0]:
                change[name] = value
            else:
                change[name] = text
                budget[0] -= diffs
        elif isinstance(prev, dict) and isinstance(value, dict):
            change[name] = {k: None for k in prev.keys() - value.keys()} | {
                k: v for k, v in value.items() if k not in prev or not same(prev[k], v)
            }
        else:
            change[name] = value
    return change if len(change) > len(schema.primary_keys) else None
