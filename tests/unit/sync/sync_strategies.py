"""Hypothesis strategies for notebook documents, shared by the sync tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from cocalc_compute_wasm.sync import NOTEBOOK, Key, Record, Value

#: A small pool, so that concurrent edits meet on the same records.
KEYS: list[Key] = [("cell", f"c{i}") for i in range(5)] + [("settings", "main"), ("x", 7)]

#: Text with the characters that trip text algorithms: newlines, non-ASCII, astral, and
#: diff-match-patch's own padding characters.
texts = st.text(alphabet="ab \nxé😀\x01", max_size=30)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def _stored(value: Any) -> Any:
    """What a record can hold: no None at the top of a map."""
    return {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value


stored_values = json_values.filter(lambda v: v is not None).map(_stored)
maps = st.dictionaries(st.sampled_from("0123"), json_values, max_size=3).map(_stored)

#: The fields a record may carry beyond its key, each drawn from a fitting strategy.
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "input": texts,
    "output": maps,
    "metadata": stored_values,
    "exec_count": st.integers(0, 9),
    "pos": st.floats(-10, 10),
    "state": st.sampled_from(["start", "run", "busy", "done"]),
}


def records(key: Key) -> st.SearchStrategy[Record]:
    return st.fixed_dictionaries(
        dict(zip(NOTEBOOK.primary_keys, map(st.just, key), strict=True)),
        optional=FIELDS,
    )


values: st.SearchStrategy[Value] = st.lists(st.sampled_from(KEYS), unique=True).flatmap(
    lambda keys: st.tuples(*map(records, keys)).map(lambda recs: dict(zip(keys, recs, strict=True)))
)


def splice(data: st.DataObject, text: str) -> str:
    """`text` with one random stretch replaced: how people edit."""
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    return text[:i] + data.draw(texts) + text[j:]


def edit_value(data: st.DataObject, value: Value) -> Value:
    """A new value made from `value` by random record and field edits."""
    out = dict(value)
    for key in data.draw(st.lists(st.sampled_from(KEYS), max_size=4)):
        record = out.get(key)
        action = data.draw(st.sampled_from(["delete", "replace", "fields"]))
        if record is None or action == "replace":
            out[key] = data.draw(records(key))
        elif action == "delete":
            del out[key]
        else:
            out[key] = record = dict(record)
            for name in data.draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=3)):
                if name in record and data.draw(st.booleans()):
                    del record[name]
                elif name == "input" and "input" in record:
                    record[name] = splice(data, record[name])
                elif name in ("output", "metadata") and isinstance(record.get(name), dict):
                    record[name] = _stored({**record[name], **data.draw(maps)})
                else:
                    record[name] = data.draw(FIELDS[name])
    return out
