from pathlib import Path

import pytest

from cocalc_compute_wasm.server import wheel_index


@pytest.fixture
def folder(tmp_path: Path) -> wheel_index.WheelFolder:
    (tmp_path / "Foo_Bar-1.0-py3-none-any.whl").write_bytes(b"one")
    (tmp_path / "foo_bar-1.1-py3-none-any.whl").write_bytes(b"two")
    (tmp_path / "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a wheel")
    return wheel_index.WheelFolder(tmp_path)


def test_projects_are_normalised_and_listed_once(folder):
    wheels = folder.wheels()
    assert wheel_index.projects(wheels) == ["foo-bar", "msgpack"]
    assert wheel_index.root_json(wheels)["projects"] == [{"name": "foo-bar"}, {"name": "msgpack"}]
    assert '<a href="foo-bar/">foo-bar</a>' in wheel_index.root_html(wheels)


def test_project_page_has_absolute_urls_and_hashes(folder):
    page = wheel_index.project_json("foo-bar", folder.wheels(), "http://h:1/base/wheels/")
    assert page["name"] == "foo-bar"
    assert [f["url"] for f in page["files"]] == [
        "http://h:1/base/wheels/Foo_Bar-1.0-py3-none-any.whl",
        "http://h:1/base/wheels/foo_bar-1.1-py3-none-any.whl",
    ]
    assert page["files"][0]["hashes"]["sha256"] == (
        "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"  # sha256(b"one")
    )


def test_html_page_carries_hash_fragments(folder):
    text = wheel_index.project_html("msgpack", folder.wheels(), "http://h/wheels/")
    assert "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl#sha256=" in text
    assert "foo_bar" not in text


def test_hashes_follow_file_changes(folder):
    before = {w.filename: w.sha256 for w in folder.wheels()}
    path = folder.folder / "foo_bar-1.1-py3-none-any.whl"
    path.write_bytes(b"changed content")
    after = {w.filename: w.sha256 for w in folder.wheels()}
    assert after[path.name] != before[path.name]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/vnd.pypi.simple.v1+json, */*;q=0.01", True),
        ("application/json", True),
        ("text/html", False),
        ("", False),
    ],
)
def test_content_negotiation(accept, expected):
    assert wheel_index.wants_json(accept) is expected
