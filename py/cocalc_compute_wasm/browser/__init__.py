"""The Python side of the browser compute worker (runs in Pyodide, called by web/worker.js)."""
