from pathlib import Path

import pytest

from cocalc_compute_wasm.server import wheel_index

ONE = "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"  # sha256(b"one")


@pytest.fixture
def folder(tmp_path: Path) -> wheel_index.WheelFolder:
    (tmp_path / "Foo_Bar-1.0-py3-none-any.whl").write_bytes(b"one")
    (tmp_path / "foo_bar-1.1-py3-none-any.whl").write_bytes(b"two")
    (tmp_path / "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a wheel")
    (tmp_path / "not-a-wheel.whl").write_text("bad name")
    return wheel_index.WheelFolder(tmp_path)


def test_projects_are_normalised_and_listed_once(folder):
    wheels = folder.wheels()
    assert wheel_index.projects(wheels) == ["foo-bar", "msgpack"]
    assert wheel_index.root_json(wheels)["projects"] == [{"name": "foo-bar"}, {"name": "msgpack"}]
    assert '<a href="foo-bar/">foo-bar</a>' in wheel_index.root_html(wheels)


def test_project_page_has_absolute_content_addressed_urls_and_hashes(folder):
    page = wheel_index.project_json("foo-bar", folder.wheels(), "http://h:1/base/")
    assert page["name"] == "foo-bar"
    assert page["files"][0]["url"] == f"http://h:1/base/files/{ONE}/Foo_Bar-1.0-py3-none-any.whl"
    assert page["files"][0]["hashes"]["sha256"] == ONE
    assert len(page["files"]) == 2


def test_html_page_carries_hash_fragments(folder):
    text = wheel_index.project_html("msgpack", folder.wheels(), "http://h/")
    assert "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl#sha256=" in text
    assert "foo_bar" not in text


def test_hashes_follow_file_changes(folder):
    before = {w.filename: w.sha256 for w in folder.wheels()}
    path = folder.folder / "foo_bar-1.1-py3-none-any.whl"
    path.write_bytes(b"changed content")
    after = {w.filename: w.sha256 for w in folder.wheels()}
    assert after[path.name] != before[path.name]


def test_a_missing_folder_is_an_empty_source(tmp_path):
    assert wheel_index.WheelFolder(tmp_path / "not-yet").wheels() == []


def test_the_index_joins_sources_first_wins_and_lists_only_browser_fit_wheels(tmp_path):
    build, house = tmp_path / "build", tmp_path / "house"
    build.mkdir()
    house.mkdir()
    (build / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"build's")
    (house / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"wheelhouse's")
    (house / "attrs-25.1.0-py3-none-any.whl").write_bytes(b"attrs")
    (house / "numpy-2.4.6-cp314-cp314-manylinux_2_28_x86_64.whl").write_bytes(b"host only")
    (house / "old-1.0-cp312-cp312-pyodide_2024_0_wasm32.whl").write_bytes(b"other abi")
    index = wheel_index.WheelIndex(
        [wheel_index.WheelFolder(build).wheels, wheel_index.WheelFolder(house).wheels]
    )
    wheels = index.wheels()
    assert sorted(w.filename for w in wheels) == [
        "attrs-25.1.0-py3-none-any.whl",
        "six-1.17.0-py2.py3-none-any.whl",
    ]
    six = next(w for w in wheels if w.project == "six")
    assert six.path.parent == build
    assert index.file(six.sha256, six.filename) == six
    assert index.file(six.sha256, "attrs-25.1.0-py3-none-any.whl") is None
    assert index.file("0" * 64, six.filename) is None


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
