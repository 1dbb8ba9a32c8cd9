"""How much memory this Pyodide holds: what a person lending a browser wants to know."""


def heap_bytes() -> int:
    """The size of this Pyodide's WebAssembly memory (it only grows)."""
    import pyodide_js

    return int(pyodide_js._module.HEAPU8.length)
