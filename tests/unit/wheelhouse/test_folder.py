"""The wheelhouse folder: one release per project, atomic adds, clear removals."""

import pytest

from cocalc_compute_wasm.wheelhouse.folder import Wheelhouse, WheelhouseError, wheelhouse_dir


def test_add_replaces_other_versions_and_remove_names_what_is_held(tmp_path):
    house = Wheelhouse(tmp_path)
    assert house.wheels() == []
    downloads = tmp_path / "dl"
    downloads.mkdir()
    for name in ("six-1.16.0-py2.py3-none-any.whl", "six-1.17.0-py2.py3-none-any.whl"):
        (downloads / name).write_bytes(name.encode())
    house.add(downloads / "six-1.16.0-py2.py3-none-any.whl")
    added = house.add(downloads / "six-1.17.0-py2.py3-none-any.whl")
    assert [w.path.name for w in house.wheels()] == ["six-1.17.0-py2.py3-none-any.whl"]
    assert (added.name, added.version) == ("six", "1.17.0")
    assert added.path.parent == wheelhouse_dir(tmp_path)
    assert list(wheelhouse_dir(tmp_path).glob(".*")) == []  # no staged leftovers
    with pytest.raises(WheelhouseError, match=r"no wheel of 'attrs' .* holds six"):
        house.remove("attrs")
    assert [w.path.name for w in house.remove("Six")] == ["six-1.17.0-py2.py3-none-any.whl"]
    assert house.wheels() == []


def test_a_project_directory_must_exist(tmp_path):
    with pytest.raises(WheelhouseError, match="is not a folder"):
        Wheelhouse(tmp_path / "nope")
