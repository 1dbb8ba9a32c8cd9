import os
import sys

import pytest

from cocalc_compute_wasm.server.paths import PathRefused, project_path, relative_name


@pytest.fixture
def root(tmp_path):
    (tmp_path / "project" / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return tmp_path / "project"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "non-empty"),
        ("/etc/passwd", "absolute"),
        ("../outside/x", "goes up"),
        ("sub/../../outside", "goes up"),
        ("a\0b", "NUL"),
        (".cocalc-compute/state.sqlite3", "state folder"),
    ],
)
def test_refused(root, path, reason):
    with pytest.raises(PathRefused, match=reason):
        project_path(root, path)


def test_symlink_out_is_refused_and_inside_is_fine(root):
    os.symlink(root.parent / "outside", root / "escape")
    os.symlink(root / "sub", root / "alias")
    with pytest.raises(PathRefused, match="symbolic link"):
        project_path(root, "escape/x.ipynb")
    assert project_path(root, "alias/x.ipynb") == (root / "sub" / "x.ipynb").resolve()


def test_relative_name_is_canonical(root):
    assert relative_name(root, "sub/./x.ipynb") == "sub/x.ipynb"
    assert relative_name(root, "x.ipynb") == "x.ipynb"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13+ resolves a loop without raising")
def test_a_symlink_loop_is_refused(root):
    """Found by fuzzing the file server: Path.resolve() raises RuntimeError on a loop
    before Python 3.13, which escaped every caller's error handling."""
    os.symlink(root / "loop", root / "loop")
    with pytest.raises(PathRefused, match="loop of symbolic links"):
        project_path(root, "loop/x.ipynb")
