"""The project server: an aiohttp shell around the sans-IO core.

It serves the browser distribution (page, Pyodide, wheels and their index) with the
headers that make the compute page cross-origin isolated.
"""

from .app import make_app
from .dist import BrowserDist, DistError

__all__ = ["BrowserDist", "DistError", "make_app"]
