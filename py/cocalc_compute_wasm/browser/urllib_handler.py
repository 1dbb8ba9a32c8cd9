"""urllib.request in the browser kernel, over the browser's own HTTP.

Pyodide has no sockets, so urllib's HTTP handlers cannot connect. This handler does
what pyodide-http does for urllib, as a handler rather than a replaced ``urlopen``: a
synchronous XMLHttpRequest (a worker may block), so ``Request`` objects, headers,
``data``, HTTP errors (``HTTPError``) and openers behave as in CPython. The browser
follows redirects itself, and refuses what its rules refuse (another origin without
CORS): that is a ``URLError``.

``requests`` goes through urllib3, which (2.2 and later) speaks to the browser by itself
under Emscripten: with JSPI (``pyodide.ffi.run_sync``) when ``can_run_sync()`` says it
may, else with a synchronous XMLHttpRequest. In our kernel workers ``can_run_sync()``
says yes but ``run_sync`` fails ("WebAssembly stack switching not supported"), so
`install` tries it once and, when it fails, makes ``can_run_sync`` say no.
"""

from __future__ import annotations

import email.parser
import http.client
import io
import urllib.request
import urllib.response
from urllib.error import URLError

# Headers a browser sets itself and refuses from scripts.
BROWSER_HEADERS = frozenset({"host", "connection", "content-length", "user-agent"})


def xhr_open(request: urllib.request.Request) -> urllib.response.addinfourl:
    import js
    from pyodide.ffi import JsException, to_js

    url = request.full_url
    xhr = js.XMLHttpRequest.new()
    xhr.open(request.get_method(), url, False)
    xhr.responseType = "arraybuffer"
    timeout = getattr(request, "timeout", None)
    if isinstance(timeout, int | float) and timeout > 0:
        xhr.timeout = int(timeout * 1000)
    for name, value in request.header_items():
        if name.lower() not in BROWSER_HEADERS:
            xhr.setRequestHeader(name, value)
    body = request.data
    try:
        xhr.send(to_js(bytes(body)) if body is not None else None)
    except JsException as error:
        raise URLError(f"the browser could not fetch {url}: {error}") from None
    if xhr.status == 0:
        raise URLError(f"the browser could not fetch {url} (network error, or refused by CORS)")
    headers = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(
        xhr.getAllResponseHeaders()
    )
    data = js.Uint8Array.new(xhr.response).to_bytes()
    final_url = str(xhr.responseURL or url)
    response = urllib.response.addinfourl(io.BytesIO(data), headers, final_url, int(xhr.status))
    response.msg = str(xhr.statusText)
    return response


class BrowserHandler(urllib.request.BaseHandler):
    """Opens http: and https: URLs through the browser, ahead of urllib's own."""

    handler_order = 100

    def http_open(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        return xhr_open(request)

    https_open = http_open


def jspi_works() -> bool:
    """Whether ``run_sync`` really can wait for a JavaScript promise here."""
    import js
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        return False
    try:
        run_sync(js.Promise.resolve(0))
    except RuntimeError:
        return False
    return True


def install() -> None:
    """Make ``urllib.request.urlopen`` (and its default opener) use the browser, and
    ``can_run_sync`` tell the truth (see above)."""
    import pyodide.ffi

    urllib.request.install_opener(urllib.request.build_opener(BrowserHandler))
    if not jspi_works():
        pyodide.ffi.can_run_sync = lambda: False
