"""The fsspec file system "cocalc" against the real server, as a collaborator's script
uses it."""

from __future__ import annotations

import fsspec
import pytest

from cocalc_compute_wasm.client.errors import AuthError
from cocalc_compute_wasm.websocketfs.fsspec_fs import CocalcFileSystem


@pytest.fixture
def fs(served_project, monkeypatch):
    for name, value in served_project.env.items():
        monkeypatch.setenv(name, value)
    fs = fsspec.filesystem("cocalc", skip_instance_cache=True)  # settings from the env vars
    yield fs
    fs.close()


def test_the_entry_point_names_the_class():
    assert fsspec.get_filesystem_class("cocalc") is CocalcFileSystem


def test_files_and_folders(fs, served_project):
    root = served_project.directory
    (root / "data.csv").write_text("a,b\n1,2\n")
    assert fs.ls("", detail=False) == ["data.csv"]
    assert fs.cat_file("data.csv") == b"a,b\n1,2\n"
    assert fs.cat_file("cocalc://data.csv", start=2, end=5) == b"b\n1"
    with pytest.raises(FileNotFoundError):
        fs.open("out/result.txt", "w")  # as on a local disk: no folder, no file
    fs.mkdir("out")
    with fs.open("cocalc://out/result.txt", "w") as out:  # text mode
        out.write("ünïcode\n" * 1000)
    assert (root / "out" / "result.txt").read_text() == "ünïcode\n" * 1000
    info = fs.info("out/result.txt")
    assert info["type"] == "file"
    assert info["size"] == len("ünïcode\n".encode()) * 1000
    assert fs.info("out")["type"] == "directory"
    fs.makedirs("x/y/z", exist_ok=True)
    fs.pipe_file("x/y/z/blob.bin", bytes(range(256)) * 4096)
    assert fs.find("x") == ["x/y/z/blob.bin"]
    fs.cp_file("x/y/z/blob.bin", "copy.bin")
    assert (root / "copy.bin").read_bytes() == bytes(range(256)) * 4096
    fs.mv("copy.bin", "out")  # into the folder, as mv does
    assert sorted(fs.ls("out", detail=False)) == ["out/copy.bin", "out/result.txt"]
    with fs.open("out/result.txt", "ab") as out:
        out.write(b"end\n")
    assert fs.cat_file("out/result.txt").endswith(b"\xc3\xbcn\xc3\xafcode\nend\n")
    with fs.open("out/result.txt", "r+b") as both:
        both.seek(-4, 2)
        assert both.read() == b"end\n"
        both.seek(0)
        both.write(b"U")
        both.truncate(10)
    assert (root / "out" / "result.txt").read_bytes() == b"U\xbcn\xc3\xafcode\n"
    fs.rm("x", recursive=True)
    assert not (root / "x").exists()
    fs.touch("empty")
    assert fs.info("empty")["size"] == 0
    assert [path for path, _, _ in fs.walk("")] == ["", "out"]


def test_errors_are_oserrors(fs):
    with pytest.raises(FileNotFoundError):
        fs.cat_file("missing.txt")
    with pytest.raises(FileNotFoundError):
        fs.info("missing/deeper")
    assert not fs.exists("missing.txt")
    fs.mkdir("d")
    fs.pipe_file("d/f", b"x")
    with pytest.raises(OSError, match="Directory not empty"):
        fs.rmdir("d")
    with pytest.raises(IsADirectoryError):
        fs.open("d", "wb")


def test_a_collaborators_change_is_seen_after_invalidation(fs, served_project):
    (served_project.directory / "shared.txt").write_bytes(b"one")
    assert fs.cat_file("shared.txt") == b"one"
    assert fs.ls("", detail=False) == ["shared.txt"]
    (served_project.directory / "other.txt").write_bytes(b"")
    fs.invalidate_cache()
    assert fs.ls("", detail=False) == ["other.txt", "shared.txt"]


def test_a_wrong_key_is_refused_clearly(served_project):
    fs = CocalcFileSystem(
        served_project.server,
        served_project.project_id,
        "sk-wrong",
        skip_instance_cache=True,
    )
    with pytest.raises(AuthError, match="401"):
        fs.ls("")
    fs.close()
