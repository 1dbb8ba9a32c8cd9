"""cocalc-compute-wasm: lend a browser's (or a host's) compute to a collaborative notebook.

The package is one pure-Python wheel that runs in CPython (project server, clients,
native runner) and in Pyodide (the browser compute worker).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # mount_project is the seed's mountProject; it lives with the browser kernel, which
    # needs Pyodide, so it is imported only when asked for
    if name == "mount_project":
        from .browser.project_files import mount_project

        return mount_project
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
