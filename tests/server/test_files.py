"""The collaborators' pages: the login page without a key, the file listing, creating a
notebook (judged by nbformat), bad names, confinement, and the notebook page."""

import json

import nbformat
import pytest

from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.app import ISOLATION_HEADERS
from cocalc_compute_wasm.server.files import NameRefused, notebook_name


@pytest.fixture
async def key(project):
    return keys.create_key(project.db)[0]


@pytest.fixture
async def client(aiohttp_client, project, dist):
    return await aiohttp_client(make_app(project, dist, base_path="/base"))


def files_url(project, path: str = "") -> str:
    return f"/base/{project.project_id}/files/{path}"


async def test_without_a_key_every_page_is_the_login_page(client, project):
    (project.directory / "a.ipynb").write_text("{}")
    for path in ("", "a.ipynb", "sub/"):
        response = await client.get(files_url(project, path))
        assert response.status == 401
        page = await response.text()
        assert 'id="login-form"' in page
        # its modules load from the compute page's folder, whatever the depth
        assert f'<base href="/base/{project.project_id}/compute/">' in page
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    refused = await client.get(files_url(project), cookies={"api_key": "sk-wrong"})
    assert refused.status == 401
    bearer = await client.get(files_url(project), headers={"Authorization": "Bearer sk-wrong"})
    assert bearer.status == 401


async def test_the_listing_links_notebooks_and_folders(client, project, key):
    (project.directory / "b.ipynb").write_text("{}")
    (project.directory / "notes <1>.txt").write_text("x")
    (project.directory / "sub dir").mkdir()
    (project.directory / "sub dir" / "deep.ipynb").write_text("{}")
    (project.directory / ".hidden.ipynb").write_text("{}")
    response = await client.get(files_url(project), cookies={"api_key": key})
    assert response.status == 200
    for name, value in ISOLATION_HEADERS.items():
        assert response.headers[name] == value
    page = await response.text()
    assert '<a class="notebook" href="b.ipynb">b.ipynb</a>' in page
    assert '<a href="sub%20dir/">sub dir/</a>' in page
    assert "notes &lt;1&gt;.txt" in page  # listed, escaped, not a link
    assert ".hidden" not in page
    assert ".cocalc-compute" not in page
    assert '<form method="post" id="new-notebook">' in page
    sub = await client.get(
        files_url(project, "sub%20dir/"), headers={"Authorization": f"Bearer {key}"}
    )
    assert 'href="deep.ipynb"' in await sub.text()
    assert 'href="../"' in await sub.text()
    bare = await client.get(
        f"/base/{project.project_id}/files", cookies={"api_key": key}, allow_redirects=False
    )
    assert bare.headers["Location"] == f"/base/{project.project_id}/files/"
    folder = await client.get(
        files_url(project, "sub%20dir"), cookies={"api_key": key}, allow_redirects=False
    )
    assert (folder.status, folder.headers["Location"]) == (302, files_url(project, "sub%20dir/"))


async def test_creating_a_notebook_writes_a_valid_one_and_opens_it(client, project, key):
    (project.directory / "sub").mkdir()
    response = await client.post(
        files_url(project, "sub/"),
        data={"name": "analysis"},
        cookies={"api_key": key},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == files_url(project, "sub/analysis.ipynb")
    made = project.directory / "sub" / "analysis.ipynb"
    notebook = nbformat.read(made, as_version=4)
    nbformat.validate(notebook)
    assert [c.cell_type for c in notebook.cells] == ["code"]
    # the notebook page: the app's page with its <base>
    page = await client.get(response.headers["Location"], cookies={"api_key": key})
    assert page.status == 200
    text = await page.text()
    assert 'src="notebook.js"' in text
    assert f'<base href="/base/{project.project_id}/compute/">' in text
    # never replaces a file
    again = await client.post(
        files_url(project, "sub/"), data={"name": "analysis.ipynb"}, cookies={"api_key": key}
    )
    assert again.status == 400
    assert "analysis.ipynb already exists here" in await again.text()
    assert json.loads(made.read_text())["nbformat"] == 4


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "give the new notebook a name"),
        ("a/b", "contains a slash"),
        ("..\\x", "contains a slash"),
        (".secret", "starts with a dot"),
        ("tab\there", "control character"),
        (".ipynb", "starts with a dot"),
        ("x" * 300, "longer than a file name"),
    ],
)
def test_bad_names_are_refused_with_the_reason(name, why):
    with pytest.raises(NameRefused, match=why):
        notebook_name(name)


def test_names_get_the_notebook_suffix():
    assert notebook_name(" plot ") == "plot.ipynb"
    assert notebook_name("plot.ipynb") == "plot.ipynb"


async def test_a_bad_name_is_shown_on_the_listing(client, project, key):
    response = await client.post(files_url(project), data={"name": "a/b"}, cookies={"api_key": key})
    assert response.status == 400
    assert "contains a slash" in await response.text()
    assert not any(project.directory.glob("*.ipynb"))
    unauthorized = await client.post(files_url(project), data={"name": "x"})
    assert unauthorized.status == 401


async def test_paths_stay_inside_the_project(client, project, key, tmp_path):
    (project.directory / "out").symlink_to(tmp_path)
    for path in ("out/", ".cocalc-compute/", "%2E%2E/"):
        response = await client.get(files_url(project, path), cookies={"api_key": key})
        assert response.status in (403, 404), path
    outside = await client.get(files_url(project, "out/"), cookies={"api_key": key})
    assert "leads out of the project" in await outside.text()


async def test_missing_notebooks_and_other_files_are_clear_404s(client, project, key):
    (project.directory / "notes.txt").write_text("x")
    missing = await client.get(files_url(project, "nope.ipynb"), cookies={"api_key": key})
    assert missing.status == 404
    assert "no notebook nope.ipynb" in await missing.text()
    other = await client.get(files_url(project, "notes.txt"), cookies={"api_key": key})
    assert other.status == 404
    assert "only folders and notebooks" in await other.text()
    wrong = await client.get("/base/not-the-project/files/", cookies={"api_key": key})
    assert wrong.status == 404
