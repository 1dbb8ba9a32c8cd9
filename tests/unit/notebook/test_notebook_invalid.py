"""Every input the model refuses raises InvalidNotebook, saying what is wrong and where."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

from cocalc_compute_wasm.notebook import (
    InvalidNotebook,
    dumps_ipynb,
    ipynb_to_records,
    records_to_ipynb,
)

Notebook = dict[str, Any]


def notebook(*cells: Any, **header: Any) -> Notebook:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **header}


def code(**fields: Any) -> dict[str, Any]:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
    return {**cell, "source": "x", **fields}


def output(**fields: Any) -> Notebook:
    return notebook(code(outputs=[{"name": "stdout", "output_type": "stream", "text": ""}, fields]))


def markdown(**fields: Any) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": "", **fields}


def without(nb: Notebook, key: str) -> Notebook:
    nb = copy.deepcopy(nb)
    del nb[key]
    return nb


IMPORT_CASES: list[tuple[Any, str]] = [
    ("{not json", "not JSON: Expecting property name enclosed in double quotes: line 1 column 2"),
    (b"\xff\xfe\xfa", "not JSON: "),
    ("[" * 100_000, "not JSON this reader can take: nested too deeply"),
    (42, "expected notebook text or a dict, got int"),
    ("[]", "the notebook must be an object, got an array"),
    (without(notebook(), "nbformat"), "not an nbformat 4 notebook: nbformat is missing"),
    (notebook(nbformat=3), "not an nbformat 4 notebook: nbformat is 3"),
    (notebook(nbformat="4"), "not an nbformat 4 notebook: nbformat is '4'"),
    (notebook(nbformat=4.0), "not an nbformat 4 notebook: nbformat is 4.0"),
    (notebook(nbformat_minor=None), "nbformat_minor must be a non-negative integer, got null"),
    (notebook(nbformat_minor=-1), "nbformat_minor must be a non-negative integer, got an integer"),
    (notebook(nbformat_minor=True), "nbformat_minor must be a non-negative integer, got a boolean"),
    (notebook(metadata=[]), "metadata must be an object, got an array"),
    (without(notebook(), "cells"), "cells is missing (expected an array)"),
    (notebook(cells={}), "cells must be an array, got an object"),
    (notebook(code(), "cell"), "cell 1 must be an object, got a string"),
    (notebook({"source": ""}), "cell 0: cell_type is missing"),
    (notebook(code(), code(cell_type="foo")), "cell 1: unknown cell_type 'foo'"),
    (notebook(code(cell_type=["code"])), "cell 0: unknown cell_type ['code']"),
    (
        notebook(markdown(source=None)),
        "cell 0: source must be a string or an array of strings, got null",
    ),
    (notebook({"cell_type": "raw"}), "cell 0: source is missing (expected a string or an array"),
    (notebook(code(source=["a", 1])), "cell 0: source must be a string or an array of strings"),
    (notebook(code(metadata=[])), "cell 0: metadata must be an object, got an array"),
    (notebook(code(metadata={"tags": "a,b"})), "cell 0: metadata.tags must be an array of strings"),
    (notebook(markdown(attachments=[])), "cell 0: attachments must be an object, got an array"),
    (
        notebook(markdown(attachments={"a.png": "x"})),
        "cell 0: attachments 'a.png' must be an object",
    ),
    (
        notebook(markdown(attachments={"a.png": {"image/png": 1}})),
        "cell 0: attachments 'a.png' 'image/png' must be a string or an array of strings",
    ),
    (notebook(code(execution_count="1")), "cell 0: execution_count must be a non-negative integer"),
    (notebook(code(execution_count=-1)), "cell 0: execution_count must be a non-negative integer"),
    (notebook(code(outputs={})), "cell 0: outputs must be an array, got an object"),
    (notebook(code(outputs=[None])), "cell 0 output 0 must be an object, got null"),
    (output(text="x"), "cell 0 output 1: output_type is missing"),
    (output(output_type="pyout"), "cell 0 output 1: unknown output_type 'pyout'"),
    (output(output_type={}), "cell 0 output 1: unknown output_type {}"),
    (output(output_type="stream", text=""), "cell 0 output 1: name is missing (expected a string)"),
    (output(output_type="stream", name="stdout", text=5), "cell 0 output 1: text must be a string"),
    (output(output_type="display_data", metadata={}), "cell 0 output 1: data is missing"),
    (output(output_type="display_data", data=[]), "cell 0 output 1: data must be an object"),
    (
        output(output_type="display_data", data={"text/plain": {"a": 1}}),
        "cell 0 output 1: data 'text/plain' must be a string or an array of strings, got an object",
    ),
    (
        output(output_type="display_data", data={}, metadata=[]),
        "cell 0 output 1: metadata must be an object, got an array",
    ),
    (
        output(output_type="execute_result", data={}, execution_count=True),
        "cell 0 output 1: execution_count must be a non-negative integer, got a boolean",
    ),
    (
        output(output_type="error", evalue="", traceback=[]),
        "cell 0 output 1: ename is missing (expected a string)",
    ),
    (
        output(output_type="error", ename="E", evalue="", traceback="tb"),
        "cell 0 output 1: traceback must be an array of strings, got a string",
    ),
]


@pytest.mark.parametrize(("source", "message"), IMPORT_CASES)
def test_import_refuses(source: Any, message: str):
    with pytest.raises(InvalidNotebook) as error:
        ipynb_to_records(source)
    assert str(error.value).startswith(message)


def cell(**fields: Any) -> list[dict[str, Any]]:
    return [{"type": "settings", "id": "main"}, {"type": "cell", "id": "c1", "pos": 0, **fields}]


def settings(**fields: Any) -> list[dict[str, Any]]:
    return [{"type": "settings", "id": "main", **fields}]


EXPORT_CASES: list[tuple[list[dict[str, Any]], str]] = [
    (cell(cell_type="heading"), "cell 'c1': unknown cell_type 'heading'"),
    (cell(input=["a"]), "cell 'c1': input must be a string, got an array"),
    (cell(metadata=[]), "cell 'c1': metadata must be an object, got an array"),
    (cell(tags=["a"]), "cell 'c1': tags must be an object, got an array"),
    (cell(pos="1"), "cell 'c1': pos must be a finite number, got '1'"),
    (cell(pos=math.nan), "cell 'c1': pos must be a finite number, got nan"),
    (cell(pos=True), "cell 'c1': pos must be a finite number, got True"),
    (cell(exec_count=1.0), "cell 'c1': exec_count must be a non-negative integer, got a number"),
    (cell(output=[]), "cell 'c1': output must be an object, got an array"),
    (cell(output={"first": {}}), "cell 'c1': output key 'first' is not an index"),
    (cell(output={"0": {"text": "x"}}), "cell 'c1' output 0: output_type is missing"),
    (
        cell(output={"0": {"output_type": "stream", "name": "stdout", "text": b"x"}}),
        "cell 'c1' output 0: text must be a string or an array of strings, got bytes",
    ),
    (cell(cell_type="raw", attachments=[]), "cell 'c1': attachments must be an object"),
    (settings(metadata=[]), "settings: metadata must be an object, got an array"),
    (settings(kernel=3), "settings: kernel must be a string, got an integer"),
    (settings(nbformat_minor="5"), "settings: nbformat_minor must be a non-negative integer"),
]


@pytest.mark.parametrize(("records", "message"), EXPORT_CASES)
def test_export_refuses(records: list[dict[str, Any]], message: str):
    with pytest.raises(InvalidNotebook) as error:
        records_to_ipynb(records)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    "make",
    [
        lambda: {"metadata": {"x": object()}},
        lambda: {"metadata": {"x": math.inf}},
        lambda: {"metadata": {"x": math.nan}},
        lambda: {"metadata": {1: "int key", "b": "str key"}},
    ],
)
def test_dumps_refuses_what_json_cannot_hold(make: Callable[[], dict[str, Any]]):
    nb = make()
    with pytest.raises(InvalidNotebook, match="not serialisable as JSON"):
        dumps_ipynb(nb)
