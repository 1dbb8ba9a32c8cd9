"""The host side of GPU arrays (sans-IO): dtypes, shapes, and Python values packed into
the bytes a GPU buffer holds, and back.

Packing goes through `array.array`, whose typecodes 'f' and 'i' are exactly WGSL's
`f32` and `i32` (4 bytes, little-endian on every platform Pyodide and wgpu run on), so a
buffer is filled with one copy and read back with one copy.
"""

from __future__ import annotations

import array
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Shape = tuple[int, ...]

FLOAT_FORMATS = frozenset("efd")
"""memoryview formats of floating-point data: they become float32 unless told."""
RAW_FORMATS = frozenset("Bc")
"""memoryview formats of plain bytes (a memoryview of bytes): raw elements, as bytes are."""


@dataclass(frozen=True)
class DType:
    name: str
    code: str  # array.array typecode
    wgsl: str
    python: type

    itemsize = 4

    def __repr__(self) -> str:
        return self.name


FLOAT32 = DType("float32", "f", "f32", float)
INT32 = DType("int32", "i", "i32", int)
DTYPES = {d.name: d for d in (FLOAT32, INT32)}

assert all(array.array(d.code).itemsize == DType.itemsize for d in DTYPES.values())


def dtype_of(dtype: str | DType) -> DType:
    if isinstance(dtype, DType):
        return dtype
    try:
        return DTYPES[dtype]
    except (KeyError, TypeError):
        raise TypeError(
            f"dtype must be one of {', '.join(map(repr, DTYPES))}, not {dtype!r}"
        ) from None


def check_shape(shape: int | Sequence[int]) -> Shape:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"a shape is a tuple of sizes (ints >= 0), not {shape!r}")
    return dims


def size_of(shape: Shape) -> int:
    return math.prod(shape)


def reshaped(shape: Shape, new: int | Sequence[int]) -> Shape:
    """`new` (one size may be -1: whatever is left), checked to hold as many elements."""
    dims = (new,) if isinstance(new, int) else tuple(new)
    size = size_of(shape)
    if dims.count(-1) == 1:
        rest = size_of(tuple(d for d in dims if d != -1))
        if rest == 0 or size % rest:
            raise ValueError(f"cannot reshape {size} elements into {dims}")
        dims = tuple(size // rest if d == -1 else d for d in dims)
    dims = check_shape(dims)
    if size_of(dims) != size:
        raise ValueError(f"cannot reshape {size} elements of shape {shape} into {dims}")
    return dims


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


def nested_shape(value: Any) -> Shape:
    """The shape of nested lists or tuples of numbers; ValueError when ragged."""
    if _is_number(value):
        return ()
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a number or a list or tuple of them, got {type(value).__name__}")
    if not value:
        return (0,)
    inner = nested_shape(value[0])
    for item in value[1:]:
        if nested_shape(item) != inner:
            raise ValueError(
                "the nested lists are ragged: every row must have the same shape "
                f"(found {inner} and {nested_shape(item)})"
            )
    return (len(value), *inner)


def _flatten(value: Any, depth: int) -> list:
    if depth == 0:
        return [value]
    if depth == 1:
        return list(value)
    return [x for item in value for x in _flatten(item, depth - 1)]


def _filled(dtype: DType, values: Any) -> array.array:
    try:
        return array.array(dtype.code, values)
    except OverflowError:
        raise OverflowError("a value does not fit in int32 (-2**31 .. 2**31-1)") from None
    except TypeError:
        if dtype is INT32:
            raise TypeError("int32 arrays hold ints: round the values first") from None
        raise


def pack(
    value: Any, dtype: str | DType | None = None, shape: int | Sequence[int] | None = None
) -> tuple[array.array, Shape, DType]:
    """The elements of `value` as an array.array of `dtype`, and the array's shape.

    `value` may be a number, nested lists or tuples of numbers, bytes, bytearray or a
    memoryview of bytes (the raw little-endian elements: float32 unless `dtype` says
    otherwise), or any other buffer
    such as a memoryview or array.array (its format gives the dtype unless told: float
    formats float32, integer formats int32; other widths are converted). `shape`
    reshapes the result and must hold as many elements.
    """
    wanted = dtype_of(dtype) if dtype is not None else None
    if isinstance(value, memoryview) and value.format in RAW_FORMATS:
        value = value.tobytes()
    if isinstance(value, bytes | bytearray):
        kind = wanted or FLOAT32
        if len(value) % kind.itemsize:
            raise ValueError(
                f"{len(value)} bytes are not a whole number of {kind.name} elements"
                f" ({kind.itemsize} bytes each)"
            )
        data = array.array(kind.code)
        data.frombytes(value)
        found: Shape = (len(data),)
    elif _is_number(value) or isinstance(value, list | tuple):
        kind = wanted or FLOAT32
        found = nested_shape(value)
        data = _filled(kind, _flatten(value, len(found)))
    else:
        try:
            view = memoryview(value)
        except TypeError:
            raise TypeError(
                "gpu.array takes a number, (nested) lists or tuples of numbers, bytes, or a"
                f" buffer such as a memoryview or array.array; got {type(value).__name__}"
            ) from None
        fmt = view.format.lstrip("@=<")
        kind = wanted or (FLOAT32 if fmt in FLOAT_FORMATS else INT32)
        found = tuple(view.shape or ())
        if fmt == kind.code and view.itemsize == kind.itemsize and view.c_contiguous:
            data = array.array(kind.code)
            data.frombytes(view.cast("B"))
        elif view.ndim == 0:
            data = _filled(kind, [view[()]])
        else:
            data = _filled(kind, _flatten(view.tolist(), view.ndim))
    return data, (found if shape is None else reshaped(found, shape)), kind


def unflatten(flat: Sequence[Any], shape: Shape) -> Any:
    """Nested lists of `shape` from row-major `flat` (a number for shape ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = size_of(shape[1:])
    return [unflatten(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def same_shape(a: Shape, b: Shape) -> Shape:
    if a != b:
        raise ValueError(
            f"shapes {a} and {b} differ: elementwise operations need equal shapes"
            " (there is no broadcasting) or a Python number"
        )
    return a


def matmul_dims(a: Shape, b: Shape) -> tuple[int, int, int]:
    """(m, k, n) of a 2-D product a @ b."""
    if len(a) != 2 or len(b) != 2:
        raise ValueError(f"matmul multiplies 2-D arrays; got shapes {a} and {b}")
    if a[1] != b[0]:
        raise ValueError(f"matmul: shapes {a} and {b} do not fit ({a[1]} != {b[0]})")
    return a[0], a[1], b[1]
