"""cocalc-compute-wasm: lend a browser's (or a host's) compute to a collaborative notebook.

The package is one pure-Python wheel that runs in CPython (project server, clients,
native runner) and in Pyodide (the browser compute worker).
"""

__version__ = "0.1.0"
