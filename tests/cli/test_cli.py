"""The `cocalc-compute` console script."""

import json
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from cocalc_compute_wasm import __version__

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, check=check)


def test_version():
    assert cli("--version").stdout.strip() == f"cocalc-compute {__version__}"


def start_server(*args: str) -> tuple[subprocess.Popen, dict]:
    server = subprocess.Popen([*COMMAND, "serve", *args], stdout=subprocess.PIPE, text=True)
    return server, json.loads(server.stdout.readline())


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(10)


@pytest.fixture
def project_dir(tmp_path):
    path = tmp_path / "project"
    path.mkdir()
    return path


def test_serve_prints_and_writes_ready_json(dist, project_dir, tmp_path):
    ready_file = tmp_path / "ready.json"
    server, ready = start_server(
        str(project_dir), "--port", "0", "--base-path", "x", "--ready-file", str(ready_file)
    )
    try:
        assert ready["url"].startswith("http://127.0.0.1:")
        assert ready["url"].endswith("/x/")
        assert ready["api_key"].startswith("sk-")
        assert json.loads(ready_file.read_text()) == ready
        page = f"{ready['url']}{ready['project_id']}/compute/"
        with urllib.request.urlopen(page + "config.json") as response:
            assert json.load(response)["version"] == __version__
    finally:
        stop(server)

    # A restart keeps the project id and shows no key, unless asked for a new one.
    server, again = start_server(str(project_dir), "--port", "0")
    stop(server)
    assert again["project_id"] == ready["project_id"]
    assert again["api_key"] is None
    server, fresh = start_server(str(project_dir), "--port", "0", "--new-key")
    stop(server)
    assert fresh["api_key"] not in (None, ready["api_key"])


def test_state_folder_is_sqlite_in_wal_mode_with_hashed_keys(dist, project_dir):
    server, ready = start_server(str(project_dir), "--port", "0")
    stop(server)
    database = project_dir / ".cocalc-compute" / "state.sqlite3"
    db = sqlite3.connect(database)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ready["api_key"].encode() not in database.read_bytes()
    (stored,) = db.execute("SELECT key_hash FROM api_keys").fetchone()
    assert len(stored) == 32


def test_keys_create_list_revoke(project_dir):
    key = cli("keys", "create", str(project_dir), "--label", "laptop").stdout.strip()
    assert key.startswith("sk-")
    (line,) = cli("keys", "list", str(project_dir)).stdout.splitlines()
    key_id, status, *_ = line.split()
    assert status == "active"
    assert line.endswith("laptop")
    assert key not in line
    assert cli("keys", "revoke", str(project_dir), key_id).stdout.strip() == f"revoked {key_id}"
    assert cli("keys", "list", str(project_dir)).stdout.split()[1] == "revoked"


def test_keys_revoke_unknown_id_is_a_clear_error(project_dir):
    result = cli("keys", "revoke", str(project_dir), "nope", check=False)
    assert result.returncode == 2
    assert "no API key with id 'nope'" in result.stderr


def test_serve_refuses_a_missing_build(project_dir, tmp_path):
    result = cli("serve", str(project_dir), "--dist", str(tmp_path / "none"), check=False)
    assert result.returncode == 2
    assert "no complete browser build" in result.stderr
    assert "python build.py" in result.stderr


def test_serve_refuses_a_missing_project_folder(dist, tmp_path):
    result = cli("serve", str(tmp_path / "nowhere"), check=False)
    assert result.returncode == 2
    assert "does not exist" in result.stderr
