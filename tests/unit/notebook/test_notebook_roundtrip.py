"""Import and export of whole notebooks, judged by Jupyter's nbformat."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from cocalc_compute_wasm.notebook import (
    CELL,
    SETTINGS,
    CellState,
    dumps_ipynb,
    empty_notebook,
    ipynb_to_records,
    is_valid_cell_id,
    records_to_ipynb,
)


def round_trip(nb: Any, seed: int = 0) -> dict[str, Any]:
    return records_to_ipynb(ipynb_to_records(nb, random.Random(seed)))


def cells_by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in records if r["type"] == CELL}


def test_rich_notebook_round_trips_and_validates(rich_notebook, jupyter):
    exported = round_trip(rich_notebook)
    assert jupyter.rejoined(exported) == jupyter.rejoined(rich_notebook)
    jupyter.validate(dumps_ipynb(exported))


def test_text_is_what_jupyter_writes(rich_notebook, jupyter):
    """A notebook Jupyter saved is written back byte for byte, from text or from a dict."""
    text = jupyter.writes(rich_notebook)
    assert dumps_ipynb(round_trip(text)) == text
    assert dumps_ipynb(round_trip(json.loads(text))) == text
    assert dumps_ipynb(round_trip(text.encode())) == text


def test_export_is_byte_stable(rich_notebook):
    """Strings instead of lines (not what Jupyter writes) settle after one save."""
    first = dumps_ipynb(round_trip(rich_notebook))
    records = ipynb_to_records(first)
    assert dumps_ipynb(records_to_ipynb(records)) == first
    assert dumps_ipynb(records_to_ipynb(records)) == first
    assert dumps_ipynb(round_trip(first, seed=1)) == first
    assert first.endswith("}\n")


def test_records_of_rich_notebook(rich_notebook):
    records = ipynb_to_records(rich_notebook)
    settings = records[0]
    assert settings == {
        "type": SETTINGS,
        "id": "main",
        "kernel": "python3",
        "metadata": rich_notebook["metadata"],
        "nbformat": 4,
        "nbformat_minor": 5,
        "max_output_length": 250_000,
    }
    assert [r["id"] for r in records[1:]] == [c["id"] for c in rich_notebook["cells"]]
    assert [r["pos"] for r in records[1:]] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    cells = cells_by_id(records)
    assert cells["intro"] == {
        "type": "cell",
        "id": "intro",
        "pos": 0.0,
        "cell_type": "markdown",
        "input": "# Ünïcødé title ✓\n\n![dot](attachment:dot.png)",
        "metadata": {"jupyter": {"source_hidden": False}},
        "tags": {"intro": True, "b-tag": True},
        "attachments": rich_notebook["cells"][0]["attachments"],
    }
    assert cells["raw-latex"]["metadata"] == {"raw_mimetype": "text/latex", "format": "text/latex"}
    streams = cells["streams"]
    assert streams["collapsed"] is False
    assert streams["scrolled"] == "auto"
    assert streams["tags"] == {"x": True}
    assert set(streams["metadata"]) == {"execution", "unknown_extension"}
    assert streams["exec_count"] == 1
    assert streams["output"] == {
        "0": {"output_type": "stream", "name": "stdout", "text": "hello\nworld\n"},
        "1": {"output_type": "stream", "name": "stderr", "text": "warning: ✗\n"},
    }
    data = cells["rich_outputs"]["output"]["0"]["data"]
    assert data["text/html"] == "<b>bold</b>\n<i>it</i>"
    assert data["application/vnd.custom+json"] == ["not", "joined\n"]
    never_run = cells["never-run"]
    assert "output" not in never_run
    assert "exec_count" not in never_run
    assert (never_run["collapsed"], never_run["scrolled"]) == (True, True)
    assert cells["empty-attachments"]["attachments"] == {}
    assert cells["empty-attachments"]["tags"] == {}


def test_split_like_jupyter(rich_notebook):
    exported = round_trip(rich_notebook)
    code = exported["cells"][3]
    assert code["source"] == ["display(fig)\n", "6 * 7\n", "1 / 0\n"]
    data = code["outputs"][0]["data"]
    assert data["text/latex"] == ["$$x^2$$"]
    assert data["application/javascript"] == ["console.log(1);\n", "console.log(2);"]
    assert data["image/png"] == rich_notebook["cells"][3]["outputs"][0]["data"]["image/png"]
    assert data["application/json"] == {"a": [1, 2, {"b": None}], "s": "t"}
    assert exported["cells"][4]["source"] == []


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4])
def test_notebook_without_ids_gets_valid_unique_ids(minor, rich_notebook, jupyter):
    for cell in rich_notebook["cells"]:
        del cell["id"]
    rich_notebook["nbformat_minor"] = minor
    records = ipynb_to_records(rich_notebook, random.Random(minor))
    ids = [r["id"] for r in records if r["type"] == CELL]
    assert len(set(ids)) == len(ids) == 6
    assert all(is_valid_cell_id(cell_id) for cell_id in ids)
    assert ipynb_to_records(rich_notebook, random.Random(minor)) == records
    exported = records_to_ipynb(records)
    assert exported["nbformat_minor"] == 5
    assert [c["id"] for c in exported["cells"]] == ids
    jupyter.validate(dumps_ipynb(exported))


def test_invalid_and_duplicate_ids_are_replaced(rich_notebook, jupyter):
    bad_ids = ["intro", "intro", "has space", "x" * 65, "", 7]
    for cell, cell_id in zip(rich_notebook["cells"], bad_ids, strict=True):
        cell["id"] = cell_id
    ids = [r["id"] for r in ipynb_to_records(rich_notebook, random.Random(0)) if r["type"] == CELL]
    assert ids[0] == "intro"
    assert len(set(ids)) == 6
    assert all(is_valid_cell_id(cell_id) for cell_id in ids)
    jupyter.validate(dumps_ipynb(round_trip(rich_notebook)))


def test_records_with_an_invalid_id_export_without_ids(rich_notebook, jupyter):
    records = ipynb_to_records(rich_notebook)
    records[2]["id"] = "made by a collaborator!"
    exported = records_to_ipynb(records)
    assert exported["nbformat_minor"] == 4
    assert all("id" not in cell for cell in exported["cells"])
    jupyter.validate(dumps_ipynb(exported))


def test_missing_minor_version_reads_as_zero_like_jupyter(rich_notebook):
    del rich_notebook["nbformat_minor"]
    assert ipynb_to_records(rich_notebook)[0]["nbformat_minor"] == 0
    assert round_trip(rich_notebook)["nbformat_minor"] == 5


def test_later_minor_versions_are_kept(rich_notebook):
    rich_notebook["nbformat_minor"] = 7
    assert round_trip(rich_notebook)["nbformat_minor"] == 7


def test_run_queue_fields_are_not_written(rich_notebook, jupyter):
    records = ipynb_to_records(rich_notebook)
    cells = cells_by_id(records)
    for state, cell in zip(CellState, cells.values(), strict=False):
        cell.update(state=state.value, start=1_700_000_000_000, end=1_700_000_000_500, no_halt=True)
    cells["streams"]["output"]["2"] = {
        "output_type": "display_data",
        "data": {"text/plain": "partial"},
        "metadata": {},
        "transient": {"display_id": "abc"},
        "more_output": True,
    }
    text = dumps_ipynb(records_to_ipynb(records))
    for field in ("state", "start", "end", "no_halt", "transient", "display_id", "more_output"):
        assert f'"{field}"' not in text
    nb = jupyter.validate(text)
    assert nb.cells[2].outputs[2].data["text/plain"] == "partial"


def test_transient_metadata_is_stripped_like_jupyter(rich_notebook, jupyter):
    rich_notebook["metadata"]["signature"] = "sha256:abc"
    rich_notebook["metadata"]["orig_nbformat"] = 3
    rich_notebook["cells"][2]["metadata"]["trusted"] = True
    text = dumps_ipynb(round_trip(rich_notebook))
    assert text == jupyter.writes(rich_notebook)
    assert '"trusted"' not in text
    assert '"signature"' not in text


def test_tags_map_exports_in_order_without_removed_tags(rich_notebook):
    records = ipynb_to_records(rich_notebook)
    cells = cells_by_id(records)
    cells["intro"]["tags"] = {"z": True, "off": False, "a": True}
    assert records_to_ipynb(records)["cells"][0]["metadata"]["tags"] == ["z", "a"]


def test_changed_cell_type_exports_only_what_the_type_allows(rich_notebook, jupyter):
    records = ipynb_to_records(rich_notebook)
    cells = cells_by_id(records)
    cells["rich_outputs"]["cell_type"] = "markdown"
    cells["intro"]["cell_type"] = "code"
    exported = records_to_ipynb(records)
    assert set(exported["cells"][3]) == {"cell_type", "id", "metadata", "source"}
    assert set(exported["cells"][0]) == {
        "cell_type",
        "execution_count",
        "id",
        "metadata",
        "outputs",
        "source",
    }
    jupyter.validate(dumps_ipynb(exported))


def test_minimal_records_export_as_new_cells(jupyter):
    records = [
        {"type": "cell", "id": "b", "pos": 1},
        {"type": "cell", "id": "a"},
        {"type": "cell", "id": "c", "pos": -0.5, "cell_type": "markdown", "input": "hi\nthere"},
        {"type": "cursor", "id": "someone"},
    ]
    exported = records_to_ipynb(records)
    assert [c["id"] for c in exported["cells"]] == ["c", "a", "b"]
    assert exported["cells"][1] == {
        "cell_type": "code",
        "execution_count": None,
        "id": "a",
        "metadata": {},
        "outputs": [],
        "source": [],
    }
    assert exported["metadata"] == {}
    jupyter.validate(dumps_ipynb(exported))


def test_kernel_setting_wins_over_kernelspec(rich_notebook):
    records = ipynb_to_records(rich_notebook)
    assert records_to_ipynb(records)["metadata"]["kernelspec"]["display_name"] == (
        "Python 3 (ipykernel)"
    )
    records[0]["kernel"] = "ir"
    metadata = records_to_ipynb(records)["metadata"]
    assert metadata["kernelspec"] == {"name": "ir", "display_name": "ir"}
    assert metadata["language_info"]["name"] == "python"
    del records[0]["kernel"]
    assert records_to_ipynb(records)["metadata"]["kernelspec"]["name"] == "python3"


def test_export_does_not_share_objects_with_records(rich_notebook):
    records = ipynb_to_records(rich_notebook)
    exported = records_to_ipynb(records)
    exported["metadata"]["unknown_tool"]["setting"].append("changed")
    exported["cells"][3]["outputs"][0]["data"]["application/json"]["a"].append(3)
    assert records_to_ipynb(records) == round_trip(rich_notebook)


def test_import_does_not_keep_the_given_dict(rich_notebook):
    records = ipynb_to_records(rich_notebook)
    rich_notebook["metadata"]["unknown_tool"]["setting"].append("changed")
    assert records[0]["metadata"]["unknown_tool"]["setting"] == [1, "two", None]


def test_empty_notebook(jupyter):
    records = empty_notebook(random.Random(3))
    settings, cell = records
    assert settings["kernel"] == "python3"
    assert settings["metadata"]["language_info"]["name"] == "python"
    assert cell["cell_type"] == "code"
    assert cell["input"] == ""
    assert is_valid_cell_id(cell["id"])
    text = dumps_ipynb(records_to_ipynb(records))
    nb = jupyter.validate(text)
    assert nb.metadata.kernelspec.name == "python3"
    assert text == jupyter.writes(json.loads(text))
