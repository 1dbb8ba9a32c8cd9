"""The package index the project server serves: the build's wheels, the project's
wheelhouse and a Pyodide distribution, each wheel under its content's hash (cached for
good), the distribution's lock for the kernels."""

import hashlib
import json
import shutil

import pytest

from cocalc_compute_wasm.server import DistError, make_app
from cocalc_compute_wasm.server.pyodide_dist import PyodideDist, only_wheels
from cocalc_compute_wasm.wheelhouse.folder import wheelhouse_dir

JSON_ACCEPT = {"Accept": "application/vnd.pypi.simple.v1+json"}
PARSO = "parso-0.8.7-py2.py3-none-any.whl"
SIX = "six-1.17.0-py2.py3-none-any.whl"


async def files_of(client, project: str) -> list[dict]:
    page = await client.get(f"/simple/{project}/", headers=JSON_ACCEPT)
    assert page.status == 200, project
    return (await page.json())["files"]


def local(client, url: str) -> str:
    return url.replace(str(client.make_url("/")), "/")


async def test_wheelhouse_wheels_are_served_under_their_hash_for_good(
    aiohttp_client, project, dist
):
    client = await aiohttp_client(make_app(project, dist))
    assert (await client.get("/simple/six/", headers=JSON_ACCEPT)).status == 404
    house = wheelhouse_dir(project.directory)
    house.mkdir(parents=True)
    (house / SIX).write_bytes(b"first build")
    (entry,) = await files_of(client, "six")  # no restart: the folder is read per request
    assert entry["url"].endswith(f"/files/{entry['hashes']['sha256']}/{SIX}")
    wheel = await client.get(local(client, entry["url"]))
    assert await wheel.read() == b"first build"
    assert wheel.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert wheel.content_type == "application/zip"
    (house / SIX).write_bytes(b"replaced")
    (new,) = await files_of(client, "six")
    assert new["url"] != entry["url"]
    assert new["hashes"]["sha256"] == hashlib.sha256(b"replaced").hexdigest()
    gone = await client.get(local(client, entry["url"]))
    assert gone.status == 404
    assert gone.headers["Cache-Control"] == "no-cache"


@pytest.fixture
def pyodide_dir(tmp_path, dist):
    """A Pyodide distribution's layout: a lock for this build's ABI, one package whose
    file is there, one whose file is missing and one that depends on the missing one."""
    root = tmp_path / "pyodide-dist"
    root.mkdir()
    shutil.copy(dist.wheels_dir / PARSO, root / PARSO)
    info = json.loads((dist.pyodide_dir / "pyodide-lock.json").read_text())["info"]

    def entry(name, file_name, depends=()):
        return {
            "name": name,
            "version": file_name.split("-")[1],
            "file_name": file_name,
            "sha256": hashlib.sha256(file_name.encode()).hexdigest(),
            "depends": list(depends),
            "imports": [name],
            "install_dir": "site",
            "package_type": "package",
        }

    lock = {
        "info": info,
        "packages": {
            "parso": entry("parso", PARSO),
            "numpy": entry("numpy", "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl"),
            "pandas": entry(
                "pandas", "pandas-3.0.2-cp314-cp314-pyemscripten_2026_0_wasm32.whl", ["numpy"]
            ),
        },
    }
    (root / "pyodide-lock.json").write_text(json.dumps(lock))
    return root


def test_the_index_leaves_packages_that_need_shared_libraries_to_the_lock():
    packages = {
        "numpy": {"file_name": "numpy.whl", "depends": []},
        "pandas": {"file_name": "pandas.whl", "depends": ["numpy"]},
        "libopenblas": {
            "file_name": "libopenblas-0.3.31.zip",
            "depends": [],
            "package_type": "shared_library",
        },
        "scipy": {"file_name": "scipy.whl", "depends": ["numpy", "libopenblas"]},
        "uses-scipy": {"file_name": "u.whl", "depends": ["scipy"]},
    }
    fit = [name for name in packages if only_wheels(packages, name)]
    assert fit == ["numpy", "pandas"]


async def test_a_pyodide_distribution_is_offered_as_its_lock_and_in_the_index(
    aiohttp_client, project, dist, pyodide_dir
):
    pyodide = PyodideDist.open(pyodide_dir, dist)
    assert (sorted(pyodide.packages), pyodide.missing) == (["parso"], 2)
    client = await aiohttp_client(make_app(project, dist, pyodide_dist=pyodide))
    config = await (await client.get(f"/{project.project_id}/compute/config.json")).json()
    assert config["lockFileURL"] == str(client.make_url("/pyodide-dist/pyodide-lock.json"))
    lock = await (await client.get("/pyodide-dist/pyodide-lock.json")).json()
    assert list(lock["packages"]) == ["parso"]
    assert (await client.get(f"/pyodide-dist/{PARSO}")).status == 200
    (served,) = await files_of(client, "parso")  # the build's and the dist's file: once
    assert served["filename"] == PARSO


async def test_without_a_distribution_the_kernels_get_no_lock(aiohttp_client, project, dist):
    client = await aiohttp_client(make_app(project, dist))
    config = await (await client.get(f"/{project.project_id}/compute/config.json")).json()
    assert config["lockFileURL"] is None
    assert (await client.get("/pyodide-dist/pyodide-lock.json")).status == 404


def test_a_distribution_for_another_pyodide_is_refused(dist, pyodide_dir, tmp_path):
    lock = json.loads((pyodide_dir / "pyodide-lock.json").read_text())
    lock["info"]["abi_version"] = "2025_0"
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(lock))
    with pytest.raises(DistError, match=r"abi_version '2025_0'.* Pyodide 314\.0\.7"):
        PyodideDist.open(pyodide_dir, dist)
    with pytest.raises(DistError, match=r"has no pyodide-lock\.json"):
        PyodideDist.open(tmp_path, dist)
