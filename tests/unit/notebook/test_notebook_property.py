"""Property tests: random valid notebooks round-trip, validate, and save as Jupyter saves them."""

from __future__ import annotations

import random
import string
from base64 import b64encode
from typing import Any

import nbformat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocalc_compute_wasm.notebook import dumps_ipynb, ipynb_to_records, records_to_ipynb

# Line breaks of every kind str.splitlines knows, among any other (non-surrogate) text.
text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\n", "\r", "\u2028", "\x85", "\x0b", "\x0c", "\x1c"]),
    ),
    max_size=30,
)
# nbformat allows a multiline string in either form; a list may cut lines anywhere.
multiline = st.one_of(text, st.lists(text, max_size=4))
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(text, children, max_size=3)
    ),
    max_leaves=6,
)
# Unknown metadata: prefixed so as not to collide with keys whose type nbformat fixes.
unknown_metadata = st.dictionaries(text.map("x-{}".format), json_values, max_size=3)
tags = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters=","), min_size=1, max_size=8),
    unique=True,
    max_size=3,
)
base64 = st.binary(max_size=24).map(lambda b: b64encode(b).decode() + "\n")
mime_bundle = st.fixed_dictionaries(
    {},
    optional={
        "text/plain": multiline,
        "text/html": multiline,
        "text/markdown": multiline,
        "text/latex": multiline,
        "image/svg+xml": multiline,
        "application/javascript": multiline,
        "application/pdf": base64,
        "image/png": base64,
        "application/json": json_values,
        "application/vnd.example+json": json_values,
    },
)
execution_count = st.one_of(st.none(), st.integers(0, 10**6))
outputs = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "output_type": st.just("stream"),
                "name": st.sampled_from(["stdout", "stderr"]),
                "text": multiline,
            }
        ),
        st.fixed_dictionaries(
            {
                "output_type": st.just("display_data"),
                "data": mime_bundle,
                "metadata": unknown_metadata,
            }
        ),
        st.fixed_dictionaries(
            {
                "output_type": st.just("execute_result"),
                "data": mime_bundle,
                "metadata": unknown_metadata,
                "execution_count": execution_count,
            }
        ),
        st.fixed_dictionaries(
            {
                "output_type": st.just("error"),
                "ename": text,
                "evalue": text,
                "traceback": st.lists(text, max_size=3),
            }
        ),
    ),
    max_size=4,
)


@st.composite
def cell_metadata(draw: st.DrawFn) -> dict[str, Any]:
    metadata = draw(unknown_metadata)
    metadata.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "tags": tags,
                    "collapsed": st.booleans(),
                    "scrolled": st.sampled_from([True, False, "auto"]),
                },
            )
        )
    )
    return metadata


attachments = st.dictionaries(text.map("{}.png".format), mime_bundle, max_size=2)
code_cell = st.fixed_dictionaries(
    {
        "cell_type": st.just("code"),
        "source": multiline,
        "metadata": cell_metadata(),
        "outputs": outputs,
        "execution_count": execution_count,
    }
)
markdown_or_raw_cell = st.fixed_dictionaries(
    {
        "cell_type": st.sampled_from(["markdown", "raw"]),
        "source": multiline,
        "metadata": cell_metadata(),
    },
    optional={"attachments": attachments},
)
cell_ids = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=64)


@st.composite
def notebooks(draw: st.DrawFn) -> dict[str, Any]:
    cells = draw(st.lists(st.one_of(code_cell, markdown_or_raw_cell), max_size=6))
    minor = draw(st.integers(0, 5))
    if minor == 5:
        ids = draw(st.lists(cell_ids, min_size=len(cells), max_size=len(cells), unique=True))
        for cell, cell_id in zip(cells, ids, strict=True):
            cell["id"] = cell_id
    metadata = draw(unknown_metadata)
    if draw(st.booleans()):
        metadata["kernelspec"] = {"name": draw(text), "display_name": draw(text)}
        metadata["language_info"] = {"name": draw(text)}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(notebooks(), st.integers(0, 2**32))
def test_random_notebooks_round_trip_validate_and_save_like_jupyter(jupyter, nb, seed):
    exported = records_to_ipynb(ipynb_to_records(nb, random.Random(seed)))
    text = dumps_ipynb(exported)
    jupyter.validate(text)
    assert text == jupyter.writes(exported)
    if nb["nbformat_minor"] < 5:
        for cell, exported_cell in zip(nb["cells"], exported["cells"], strict=True):
            cell["id"] = exported_cell["id"]
        nb["nbformat_minor"] = 5
    assert jupyter.rejoined(exported) == jupyter.rejoined(nb)
    assert dumps_ipynb(records_to_ipynb(ipynb_to_records(text))) == text


@ROUND_TRIP
@given(notebooks())
def test_random_notebooks_are_valid_inputs(nb):
    """The strategy's own check: each generated notebook is valid once ids are added."""
    nb = nbformat.from_dict(nb)
    if nb.nbformat_minor < 5:
        nb = nbformat.v4.upgrade(nb, from_version=4, from_minor=nb.nbformat_minor)
    nbformat.validate(nb)
