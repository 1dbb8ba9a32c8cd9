"""SFTP paths mapped into the project: the root's names, `..`, symlinks, state folder."""

from __future__ import annotations

import pytest

from cocalc_compute_wasm.websocketfs.confine import Confined, PathRefused


@pytest.fixture
def confined(tmp_path):
    root = tmp_path / "project"
    (root / "a" / "b").mkdir(parents=True)
    (root / ".cocalc-compute").mkdir()
    (tmp_path / "outside").mkdir()
    (root / "out").symlink_to(tmp_path / "outside")
    (root / "state").symlink_to(root / ".cocalc-compute")
    (root / "in").symlink_to("a/b")
    return Confined(root)


@pytest.mark.parametrize(
    ("path", "relative"),
    [("", "."), (".", "."), ("/", "."), ("//./", "."), ("/a/b", "a/b"), ("a/../a/b/", "a/b")],
)
def test_root_relative_names(confined, path, relative):
    assert confined.relative(path) == relative


@pytest.mark.parametrize(
    "path",
    ["..", "/..", "a/../..", "../project", "out", "out/x", "state", ".cocalc-compute/db"],
)
def test_refused_when_followed(confined, path):
    with pytest.raises(PathRefused):
        confined.follow(path)


def test_canonical_names(confined):
    assert confined.canonical(confined.follow("/")) == "/"
    assert confined.canonical(confined.follow("a//b/.")) == "/a/b"
    assert confined.canonical(confined.follow("in")) == "/a/b"  # REALPATH follows links


def test_locate_does_not_follow_the_last_link(confined):
    assert confined.locate("out") == confined.root / "out"  # LSTAT/REMOVE of the link
    assert confined.locate("/") == confined.root
    with pytest.raises(PathRefused):
        confined.locate("out/x")  # but not through it
    with pytest.raises(PathRefused):
        confined.locate(".cocalc-compute")
    with pytest.raises(PathRefused):
        confined.locate("nul\0byte")
