"""The collaborators' notebook page (/{project}/files/<path>.ipynb) in headless Chromium,
with a native worker running the cells: login, the file listing, live editing between
two pages, every kind of output, input() answered in place.

Screenshots go to $NOTEBOOK_SCREENSHOTS (default: the test's tmp_path) for a person to
look at; the assertions read the DOM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from pathlib import Path

import pytest
from compute_page import in_browser
from notebook_cells import notebook_with
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from cocalc_compute_wasm.client import Backoff, connect
from cocalc_compute_wasm.headless.page import set_key_cookie
from cocalc_compute_wasm.server.files import create_notebook
from cocalc_compute_wasm.worker.native import NativeWorker
from cocalc_compute_wasm.worker.service import worker_client_id

BOOT_TIMEOUT = 60.0
RUN_TIMEOUT = 60.0


@contextlib.asynccontextmanager
async def attached_native_worker(served_project, cwd: Path):
    """A native compute worker attached to the served project while the block runs."""
    worker = NativeWorker(cwd)
    client = await connect(
        served_project.origin,
        served_project.project_id,
        served_project.api_key,
        kind="compute",
        client_id=worker_client_id("native", uuid.uuid4().hex),
        backoff=Backoff(initial=0.05, maximum=0.5),
        **worker.handlers(),
    )
    task = asyncio.ensure_future(worker.serve(client))
    try:
        yield worker
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


@pytest.fixture
async def native_worker(served_project, tmp_path):
    async with attached_native_worker(served_project, tmp_path) as worker:
        yield worker


class Tab:
    """One browser tab; every call switches to it first (calls are awaited one by one)."""

    def __init__(self, driver, handle: str) -> None:
        self.driver = driver
        self.handle = handle

    def _js(self, script: str, *args):
        self.driver.switch_to.window(self.handle)
        return self.driver.execute_script(script, *args)

    async def js(self, script: str, *args):
        return await in_browser(self._js, script, *args)

    async def until(self, script: str, *args, timeout: float = RUN_TIMEOUT):
        """Wait until ``script`` returns something true; returns it."""
        async with asyncio.timeout(timeout):
            while not (value := await self.js(script, *args)):
                await asyncio.sleep(0.1)
        return value

    def _do(self, action):
        self.driver.switch_to.window(self.handle)
        return action(self.driver)

    async def do(self, action):
        return await in_browser(self._do, action)

    async def type_into(self, index: int, keys: str) -> None:
        """Type into the editor of the index-th cell as a person would."""

        def typing(driver):
            editors = driver.find_elements(By.CSS_SELECTOR, ".cell .cm-content")
            editors[index].click()
            editors[index].send_keys(keys)

        await self.do(typing)

    async def editor_text(self, index: int) -> str:
        return await self.js(
            "const e = document.querySelectorAll('.cell .cm-content')[arguments[0]];"
            "return e ? [...e.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n')"
            " : null",
            index,
        )

    async def wait_open(self) -> None:
        await self.until(
            "return window.cocalcNotebook?.ready && window.cocalcNotebook.presence?.runner",
            timeout=BOOT_TIMEOUT,
        )

    async def screenshot(self, path: Path) -> None:
        await self.do(lambda driver: driver.get_screenshot_as_file(str(path)))


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NOTEBOOK_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cell_outputs(index: int) -> str:
    """A JS expression: the text of the index-th cell's outputs, one after the other."""
    return (
        f"[...(document.querySelectorAll('.cell')[{index}]?.querySelectorAll('.output') ?? [])]"
        ".map(o => o.textContent).join('')"
    )


def log_in(driver, key: str) -> None:
    driver.find_element(By.ID, "api-key").clear()
    driver.find_element(By.ID, "api-key").send_keys(key, Keys.ENTER)


def create_from_listing(driver, name: str) -> None:
    driver.find_element(By.NAME, "name").send_keys(name, Keys.ENTER)


async def test_login_listing_and_two_pages_editing_and_running(
    served_project, native_worker, chromium, tmp_path
):
    files = f"{served_project.origin}/{served_project.project_id}/files/"
    (served_project.project.directory / "notes.txt").write_text("not a notebook")
    a = Tab(chromium, chromium.current_window_handle)
    await in_browser(chromium.get, files)
    # no cookie: the login form; a wrong key is refused with the server's reason
    await a.until("return document.getElementById('login-form')")
    await a.do(lambda driver: log_in(driver, "sk-wrong"))
    assert "Not logged in" in await a.until("return document.getElementById('problem').textContent")
    await a.screenshot(screenshots(tmp_path) / "files-login.png")
    await a.do(lambda driver: log_in(driver, served_project.api_key))
    listing = await a.until("return document.getElementById('files')?.innerText")
    assert "notes.txt" in listing
    await a.screenshot(screenshots(tmp_path) / "files-listing.png")
    # a bad name is refused with the reason, a good one makes a notebook and opens it
    await a.do(lambda driver: create_from_listing(driver, "a/b"))
    assert "contains a slash" in await a.until(
        "return document.querySelector('.error')?.textContent"
    )
    await a.do(lambda driver: create_from_listing(driver, "shared"))
    await a.wait_open()
    assert await a.js("return location.pathname") == (
        f"/{served_project.project_id}/files/shared.ipynb"
    )
    assert (served_project.project.directory / "shared.ipynb").exists()
    assert "native worker" in await a.js("return document.getElementById('kernel').textContent")
    assert await a.js("return document.getElementById('no-worker').hidden") is True

    b = Tab(chromium, await in_browser(lambda: _new_window(chromium)))
    await in_browser(chromium.get, f"{files}shared.ipynb")
    await b.wait_open()
    await a.until("return document.getElementById('people').textContent.includes('1 other')")

    # an edit in one page appears in the other; concurrent edits of one cell both stay
    await a.type_into(0, "x = 6 * 7")
    async with asyncio.timeout(RUN_TIMEOUT):
        while await b.editor_text(0) != "x = 6 * 7":
            await asyncio.sleep(0.1)
    await b.type_into(0, Keys.END + "\nprint(x)")
    async with asyncio.timeout(RUN_TIMEOUT):
        while await a.editor_text(0) != "x = 6 * 7\nprint(x)":
            await asyncio.sleep(0.1)

    # run in one page: the output shows in both
    await b.do(lambda driver: driver.find_element(By.CSS_SELECTOR, ".cell .tools button").click())
    for tab in (a, b):
        await tab.until(f"return {cell_outputs(0)}.trim() === '42'")
        assert await tab.js("return document.querySelector('.cell .prompt').textContent") == (
            "In [1]:"
        )
    # add, move and delete cells from one page; the other follows
    await a.do(lambda driver: driver.find_element(By.ID, "add-code").click())
    await a.until("return document.querySelectorAll('.cell').length === 2")
    await a.type_into(1, "print('second')")
    await b.until("return document.querySelectorAll('.cell').length === 2")
    await b.do(
        lambda driver: (
            driver.find_elements(By.CSS_SELECTOR, ".cell")[1]
            .find_element(By.CSS_SELECTOR, "button[title='move up']")
            .click()
        )
    )
    async with asyncio.timeout(RUN_TIMEOUT):
        while await a.editor_text(0) != "print('second')":
            await asyncio.sleep(0.1)
    await a.screenshot(screenshots(tmp_path) / "notebook-two-pages.png")
    await a.do(
        lambda driver: (
            driver.find_elements(By.CSS_SELECTOR, ".cell")[0]
            .find_element(By.CSS_SELECTOR, "button[title='delete']")
            .click()
        )
    )
    await b.until("return document.querySelectorAll('.cell').length === 1")
    assert await b.editor_text(0) == "x = 6 * 7\nprint(x)"


def _new_window(driver) -> str:
    driver.switch_to.new_window("window")
    return driver.current_window_handle


CANVAS_IMAGE = """
const canvas = Object.assign(document.createElement('canvas'), {width: 48, height: 24});
const g = canvas.getContext('2d');
g.fillStyle = arguments[1]; g.fillRect(0, 0, 48, 24);
return canvas.toDataURL(arguments[0]).split(',')[1];
"""

RICH = """\
from IPython.display import HTML, JSON, SVG, Image, Latex, Markdown, display
import base64
display(HTML('<table><tr><th>html</th><td id="html-cell">table</td></tr></table>'))
display(Markdown('**bold** text and $x^2$'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
            '<rect width="40" height="20" fill="teal"/></svg>'))
display(Image(data=base64.b64decode('{png}'), format='png'))
display(Image(data=base64.b64decode('{jpeg}'), format='jpeg'))
display(JSON({{'key': [1, 2]}}))
display(Latex(r'$\\alpha + \\beta$'))
"""

PROMPTS = """\
import getpass
name = input('Name? ')
secret = getpass.getpass('Secret: ')
print('hello', name, len(secret))
"""


async def test_every_output_kind_and_input_from_the_page(
    served_project, native_worker, chromium, tmp_path
):
    create_notebook(served_project.project.directory, "kinds")
    url = f"{served_project.origin}/{served_project.project_id}/files/kinds.ipynb"
    await in_browser(set_key_cookie, chromium, url, served_project.api_key)
    await in_browser(chromium.get, url)
    page = Tab(chromium, chromium.current_window_handle)
    await page.wait_open()
    await page.do(lambda driver: driver.set_window_size(1100, 2400))
    png = await page.js(CANVAS_IMAGE, "image/png", "purple")
    jpeg = await page.js(CANVAS_IMAGE, "image/jpeg", "orange")
    client = await served_project.client()
    nb, ids = await notebook_with(
        client,
        "kinds.ipynb",
        "print('plain \\x1b[31mred\\x1b[0m'); import sys; print('to stderr', file=sys.stderr)\n42",
        RICH.format(png=png, jpeg=jpeg),
        "print('x' * 300_000)",
        PROMPTS,
        "def f():\n    return 1 / 0\nf()",
    )
    await page.until(f"return document.querySelectorAll('.cell').length === {len(ids)}")
    await page.do(lambda driver: driver.find_element(By.ID, "run-all").click())

    # input() and getpass() are answered in place; the password is masked
    await page.until("return document.querySelector('input.stdin[type=text]')")
    await page.do(
        lambda driver: driver.find_element(By.CSS_SELECTOR, "input.stdin").send_keys(
            "Ada", Keys.ENTER
        )
    )
    await page.until("return document.querySelector('input.stdin[type=password]')")
    await page.do(
        lambda driver: driver.find_element(By.CSS_SELECTOR, "input.stdin").send_keys(
            "hunter2", Keys.ENTER
        )
    )
    await nb.wait_done(ids, timeout=RUN_TIMEOUT)
    await page.until(
        "return [...document.querySelectorAll('.cell .run-state')]"
        ".every(s => s.dataset.state === 'done')"
    )
    assert (
        await page.js(f"return {cell_outputs(3)}") == "Name? Ada\nSecret: ········\nhello Ada 7\n"
    )

    # streams: stdout with its ANSI colour, stderr apart, the result after them
    kinds = await page.js(
        "return [...document.querySelectorAll('.cell')[0].querySelectorAll('.output')]"
        ".map(o => [o.dataset.outputType, o.dataset.name || o.dataset.mime || ''])"
    )
    assert kinds == [
        ["stream", "stdout"],
        ["stream", "stderr"],
        ["execute_result", "text/plain"],
    ]
    assert (
        await page.js(
            "const red = document.querySelector('.output[data-name=stdout] span');"
            "return getComputedStyle(red).color"
        )
        == "rgb(231, 92, 88)"
    )
    # every rich kind, by the element that shows it
    shown = await page.js(
        "const outs = document.querySelectorAll('.cell')[1].querySelectorAll('.output');"
        "return [...outs].map(o => [o.dataset.mime, o.lastElementChild.tagName,"
        " o.lastElementChild.tagName === 'IMG' ? o.lastElementChild.naturalWidth :"
        " o.innerText.trim()])"
    )
    assert shown == [
        ["text/html", "DIV", "html\ttable"],
        ["text/markdown", "DIV", "bold text and $x^2$"],
        ["image/svg+xml", "IMG", 40],
        ["image/png", "IMG", 48],
        ["image/jpeg", "IMG", 48],
        ["application/json", "PRE", '{\n  "key": [\n    1,\n    2\n  ]\n}'],
        ["text/latex", "PRE", "$\\alpha + \\beta$"],
    ]
    assert (
        await page.js("return document.querySelector('.output .markdown strong').textContent")
        == "bold"
    )
    await page.js("window.scrollTo(0, 0)")
    await page.screenshot(screenshots(tmp_path) / "notebook-outputs.png")
    # a long output: the more_output marker, and the rest fetched from the runner
    assert "Output truncated" in await page.js(f"return {cell_outputs(2)}")
    await page.do(lambda driver: driver.find_element(By.CSS_SELECTOR, "button.more").click())
    await page.until("return !document.querySelectorAll('.cell')[2].querySelector('.more-output')")
    assert (await page.js(f"return {cell_outputs(2)}")).count("x") == 300_000
    # a traceback with its colours
    error = await page.js(
        "const o = document.querySelectorAll('.cell')[4].querySelector('.output');"
        "return [o.dataset.outputType, o.innerText, o.querySelectorAll('span').length]"
    )
    assert error[0] == "error"
    assert "ZeroDivisionError" in error[1]
    assert error[2] > 3
    assert "\x1b" not in error[1]
    await client.close()


async def test_no_worker_banner_interrupt_restart_and_markdown(served_project, chromium, tmp_path):
    create_notebook(served_project.project.directory, "control")
    url = f"{served_project.origin}/{served_project.project_id}/files/control.ipynb"
    await in_browser(set_key_cookie, chromium, url, served_project.api_key)
    await in_browser(chromium.get, url)
    page = Tab(chromium, chromium.current_window_handle)
    await page.until("return window.cocalcNotebook?.ready", timeout=BOOT_TIMEOUT)
    assert await page.js("return document.getElementById('no-worker').hidden") is False
    assert await page.js("return document.getElementById('kernel').textContent") == (
        "no worker attached"
    )
    await page.screenshot(screenshots(tmp_path) / "notebook-no-worker.png")

    # a person types into a cell while a collaborator's client edits the same cell: both
    # keep their text, and the page and the client end with the same text
    client = await served_project.client()
    nb = await client.open_notebook("control.ipynb")
    (cell,) = nb.cell_ids()
    typing = asyncio.ensure_future(page.type_into(0, "y" * 40))
    for _ in range(5):
        nb.set_input(cell, "#" + nb.cell(cell)["input"])
        await asyncio.sleep(0.05)
    await typing

    def merged(text: str | None) -> bool:
        # where the #s land among the ys depends on where the click put the cursor and how
        # the edits crossed; that every keystroke of both is there does not
        return text is not None and sorted(text) == sorted("#" * 5 + "y" * 40)

    async with asyncio.timeout(RUN_TIMEOUT):
        while not (merged(shown := await page.editor_text(0)) and shown == nb.cell(cell)["input"]):
            await asyncio.sleep(0.1)
    await client.close()
    # a Markdown cell, added from the page, shows rendered once run
    await page.do(lambda driver: driver.find_element(By.ID, "add-markdown").click())
    await page.until("return document.querySelectorAll('.cell').length === 2")
    await page.type_into(1, "# Title\n*emphasis* and $E = mc^2$" + Keys.SHIFT + Keys.ENTER)
    assert (
        await page.until(
            "const markdown = document.querySelectorAll('.cell')[1];"
            "return markdown.querySelector('.rendered h1')?.textContent"
        )
        == "Title"
    )

    async with attached_native_worker(served_project, tmp_path):
        await page.until("return document.getElementById('no-worker').hidden")
        await page.until(
            "return document.getElementById('kernel').textContent.includes('native worker')"
        )
        await page.type_into(
            0, Keys.CONTROL + "a" + Keys.NULL + "import time\nn = 1\ntime.sleep(100)"
        )
        await page.do(lambda driver: driver.find_element(By.CSS_SELECTOR, ".cell button").click())
        await page.until(
            "return document.querySelector('.cell .run-state').dataset.state === 'running'"
        )
        await page.do(lambda driver: driver.find_element(By.ID, "interrupt").click())
        assert "KeyboardInterrupt" in await page.until(f"return {cell_outputs(0)}")
        await page.do(lambda driver: driver.find_element(By.ID, "restart").click())
        await page.until("return window.cocalcNotebook.done.restart === 1")
        await page.type_into(0, Keys.CONTROL + "a" + Keys.NULL + "n" + Keys.CONTROL + Keys.ENTER)
        assert "NameError" in await page.until(
            f"const text = {cell_outputs(0)}; return text.includes('NameError') && text"
        )
        await page.screenshot(screenshots(tmp_path) / "notebook-restarted.png")
