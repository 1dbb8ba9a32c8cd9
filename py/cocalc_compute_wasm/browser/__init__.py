"""The browser side: Python that runs in the compute page's Pyodide workers.

`compute` (in worker.js) joins the project over `websocket` and serves the notebooks the
server assigns, with the same `ComputeWorker` as a native host; each notebook's kernel is
a `kernel_worker` (kernel.js), whose inside is `kernel_side`. Nothing here is imported
in CPython except by tests: it needs Pyodide's `js` and `pyodide` modules.
"""
