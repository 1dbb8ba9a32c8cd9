"""The package's WGSL shaders, loaded from the `.wgsl` files shipped beside this module.

Each file is valid WGSL as written, for float32 (`alias T = f32;`); the int32 variant is
the same source with that one line changed. The browser kernel and the native check
(tools/gpu-native-check.py) both take their shaders from here.
"""

from __future__ import annotations

import functools
from importlib import resources

from .data import FLOAT32, DType

SHADERS = ("elementwise", "reduce", "matmul")
ELEMENT_ALIAS = f"alias T = {FLOAT32.wgsl};"


@functools.cache
def _file(name: str) -> str:
    if name not in SHADERS:
        raise ValueError(f"no shader named {name!r}: one of {', '.join(SHADERS)}")
    text = resources.files(__package__).joinpath("shaders", f"{name}.wgsl").read_text()
    if text.count(ELEMENT_ALIAS) != 1:
        raise ValueError(f"{name}.wgsl must declare {ELEMENT_ALIAS!r} once")
    return text


def source(name: str, dtype: DType) -> str:
    """The WGSL of shader `name` for elements of `dtype`."""
    return _file(name).replace(ELEMENT_ALIAS, f"alias T = {dtype.wgsl};")
