"""What the GPU is asked to do for each operation, without a GPU (sans-IO).

An operation becomes a `Plan`: the output's dtype and shape, the scratch buffers it
needs, and the compute passes to encode, each naming its shader, entry point,
pipeline constants, which buffer goes to which binding, its uniform parameters (packed
bytes) and its workgroup counts. A thin shell carries a plan out: WebGPU from JavaScript
in the browser kernel (`webgpu`), wgpu-native in tools/gpu-native-check.py.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from .data import INT32, DType, Shape, size_of

WORKGROUP = 256
"""Invocations per workgroup of the elementwise and reduction shaders."""
MAX_GROUPS = 65535
"""maxComputeWorkgroupsPerDimension that every WebGPU device supports."""
REDUCE_GROUPS = 1024
"""Most workgroups of a reduction's first pass (its second pass folds their results)."""
TILE = 64
"""Rows and columns of the product that one matmul workgroup computes (matmul.wgsl)."""

BINARY_OPS = {"add": 0, "sub": 1, "mul": 2, "div": 3}
REDUCTIONS = {"sum": 0, "max": 1, "min": 2}


@dataclass(frozen=True)
class Input:
    index: int


@dataclass(frozen=True)
class Output:
    pass


@dataclass(frozen=True)
class Scratch:
    index: int


Ref = Input | Output | Scratch


@dataclass(frozen=True)
class Step:
    """One compute pass."""

    shader: str
    entry: str
    constants: tuple[tuple[str, int], ...]
    bindings: tuple[tuple[int, Ref], ...]
    params: bytes  # the uniform buffer's contents
    params_binding: int
    workgroups: tuple[int, int, int]


@dataclass(frozen=True)
class Plan:
    dtype: DType
    shape: Shape  # of the output
    scratch: tuple[int, ...]  # element counts of the scratch buffers
    steps: tuple[Step, ...]


def groups_for(n: int, per_group: int = WORKGROUP, limit: int = MAX_GROUPS) -> int:
    """Workgroups for `n` elements with grid-stride loops: enough for one element per
    invocation, up to `limit` (each invocation then takes several)."""
    return max(1, min(math.ceil(n / per_group), limit))


def _params(dtype: DType, n: int, swap: int = 0, value: float = 0) -> bytes:
    try:
        return struct.pack(f"<II{dtype.code}I", n, swap, value, 0)
    except struct.error:
        raise OverflowError(f"{value!r} does not fit in {dtype.name}") from None


def _no_int_division(op: str, dtype: DType) -> None:
    if op == "div" and dtype is INT32:
        raise TypeError("int32 arrays have no division on the GPU: make them float32")


def binary(op: str, dtype: DType, shape: Shape) -> Plan:
    """out = a (op) b, elementwise, for two arrays of `shape`."""
    _no_int_division(op, dtype)
    n = size_of(shape)
    step = Step(
        "elementwise",
        "binary",
        (("OP", BINARY_OPS[op]),),
        ((0, Input(0)), (1, Input(1)), (2, Output())),
        _params(dtype, n),
        3,
        (groups_for(n), 1, 1),
    )
    return Plan(dtype, shape, (), (step,) if n else ())


def scalar(op: str, dtype: DType, shape: Shape, value: float, swap: bool = False) -> Plan:
    """out = a (op) value, or value (op) a with `swap`."""
    _no_int_division(op, dtype)
    if dtype is INT32 and not isinstance(value, int):
        raise TypeError(f"int32 arrays combine with ints only, not {type(value).__name__}")
    n = size_of(shape)
    step = Step(
        "elementwise",
        "scalar",
        (("OP", BINARY_OPS[op]),),
        ((0, Input(0)), (2, Output())),
        _params(dtype, n, int(swap), value),
        3,
        (groups_for(n), 1, 1),
    )
    return Plan(dtype, shape, (), (step,) if n else ())


def reduce(op: str, dtype: DType, n: int) -> Plan:
    """The sum, max or min of `n` elements, as an array of shape (). A sum of nothing
    is zero (GPU buffers start zeroed: no pass at all); max and min of nothing are
    errors, as in Python."""
    code = REDUCTIONS[op]
    if n == 0:
        if op != "sum":
            raise ValueError(f"{op}() of an empty array")
        return Plan(dtype, (), (), ())

    def fold(source: Ref, target: Ref, count: int, groups: int) -> Step:
        return Step(
            "reduce",
            "main",
            (("OP", code),),
            ((0, source), (1, target)),
            _params(dtype, count),
            2,
            (groups, 1, 1),
        )

    groups = groups_for(n, limit=REDUCE_GROUPS)
    if groups == 1:
        return Plan(dtype, (), (), (fold(Input(0), Output(), n, 1),))
    steps = (fold(Input(0), Scratch(0), n, groups), fold(Scratch(0), Output(), groups, 1))
    return Plan(dtype, (), (groups,), steps)


def matmul(dtype: DType, m: int, k: int, n: int) -> Plan:
    """c = a @ b for a of m x k and b of k x n (row-major)."""
    columns, rows = math.ceil(n / TILE), math.ceil(m / TILE)
    if max(columns, rows) > MAX_GROUPS:
        raise ValueError(f"matmul: a side longer than {MAX_GROUPS * TILE} is not supported")
    step = Step(
        "matmul",
        "main",
        (),
        ((0, Input(0)), (1, Input(1)), (2, Output())),
        struct.pack("<IIII", m, n, k, 0),
        3,
        (columns, rows, 1),
    )
    return Plan(dtype, (m, n), (), (step,) if m and n else ())
