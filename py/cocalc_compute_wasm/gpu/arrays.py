"""GPUArray: a float32 or int32 array in GPU memory, with arithmetic that runs there.

Operations return at once with a new array (the work is queued on the GPU, in order);
only reading a result back waits: `await x.read()` (top-level await works in cells),
or `x.read_sync()` where the browser has JSPI (WebAssembly JavaScript Promise
Integration) and the code runs where Pyodide can block on a promise.
"""

from __future__ import annotations

import array as pyarray
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from . import plans
from .data import DType, Shape, matmul_dims, reshaped, same_shape, size_of, unflatten

if TYPE_CHECKING:
    from .webgpu import Buffer, WebGPU

T = TypeVar("T")


def blocking(awaitable: Awaitable[T]) -> T:
    """The result of `awaitable`, blocking on it through JSPI; RuntimeError says why not
    where that cannot be done."""
    from pyodide.ffi import run_sync

    if why := jspi_why_not():
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()  # a coroutine that never runs: no "never awaited" warning
        raise RuntimeError(f"cannot wait for the GPU without await here: {why}; use await")
    return run_sync(awaitable)


class _Suspending:
    """Whether this Pyodide runtime can suspend at all (found once, by trying)."""

    why_not: str | None = None


def jspi_why_not() -> str:
    """Why Python cannot block on a promise here ("" when it can)."""
    import js
    from pyodide.ffi import can_run_sync, run_sync

    if not hasattr(js.WebAssembly, "Suspending"):
        return "this browser has no JSPI (WebAssembly JavaScript Promise Integration)"
    if not can_run_sync():
        return "this code was not entered through an async call, so it cannot suspend"
    if _Suspending.why_not is None:
        try:
            run_sync(js.Promise.resolve(0))
            _Suspending.why_not = ""
        except RuntimeError as error:
            # Pyodide decides once, as its runtime starts; a kernel restored from a memory
            # snapshot made in Node (no JSPI) keeps Node's answer
            _Suspending.why_not = (
                f"the browser has JSPI, but this Pyodide runtime started without it ({error})"
            )
    return _Suspending.why_not


class GPUArray:
    """An array on the GPU. Arithmetic with another GPUArray of the same shape and
    dtype (no broadcasting) or a Python number: ``+ - * /`` (no ``/`` for int32), unary
    ``-``, ``@`` for 2-D matrices; reductions ``sum() max() min()`` give a 0-d array."""

    __slots__ = ("_buffer", "_gpu", "dtype", "shape")

    def __init__(self, gpu: WebGPU, buffer: Buffer, shape: Shape, dtype: DType) -> None:
        self._gpu = gpu
        self._buffer = buffer
        self.shape = shape
        self.dtype = dtype

    @property
    def size(self) -> int:
        return size_of(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def buffer(self) -> Any:
        """The JavaScript GPUBuffer (for WebGPU code of your own)."""
        return self._buffer.js

    def __repr__(self) -> str:
        return f"GPUArray(shape={self.shape}, dtype={self.dtype.name})"

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def reshape(self, *shape: Any) -> GPUArray:
        """The same elements (and memory) in another shape; one size may be -1."""
        new = shape[0] if len(shape) == 1 else shape
        return GPUArray(self._gpu, self._buffer, reshaped(self.shape, new), self.dtype)

    # --- arithmetic ---------------------------------------------------------------------

    def _run(self, plan: plans.Plan, inputs: Sequence[GPUArray]) -> GPUArray:
        out = self._gpu.execute(plan, [x._buffer for x in inputs])
        return GPUArray(self._gpu, out, plan.shape, plan.dtype)

    def _same_kind(self, other: GPUArray) -> None:
        if other._gpu is not self._gpu:
            raise ValueError("the arrays belong to different GPU devices")
        if other.dtype is not self.dtype:
            raise TypeError(
                f"{self.dtype.name} and {other.dtype.name} arrays do not mix: create both"
                " with the same dtype"
            )

    def _elementwise(self, op: str, other: Any, swap: bool = False) -> GPUArray:
        if isinstance(other, GPUArray):
            self._same_kind(other)
            plan = plans.binary(op, self.dtype, same_shape(self.shape, other.shape))
            return self._run(plan, [other, self] if swap else [self, other])
        if isinstance(other, int | float):
            return self._run(plans.scalar(op, self.dtype, self.shape, other, swap), [self])
        return NotImplemented

    def __add__(self, other: Any) -> GPUArray:
        return self._elementwise("add", other)

    def __radd__(self, other: Any) -> GPUArray:
        return self._elementwise("add", other, swap=True)

    def __sub__(self, other: Any) -> GPUArray:
        return self._elementwise("sub", other)

    def __rsub__(self, other: Any) -> GPUArray:
        return self._elementwise("sub", other, swap=True)

    def __mul__(self, other: Any) -> GPUArray:
        return self._elementwise("mul", other)

    def __rmul__(self, other: Any) -> GPUArray:
        return self._elementwise("mul", other, swap=True)

    def __truediv__(self, other: Any) -> GPUArray:
        return self._elementwise("div", other)

    def __rtruediv__(self, other: Any) -> GPUArray:
        return self._elementwise("div", other, swap=True)

    def __neg__(self) -> GPUArray:
        return self._elementwise("sub", 0, swap=True)

    def __matmul__(self, other: Any) -> GPUArray:
        if not isinstance(other, GPUArray):
            return NotImplemented
        self._same_kind(other)
        m, k, n = matmul_dims(self.shape, other.shape)
        return self._run(plans.matmul(self.dtype, m, k, n), [self, other])

    def sum(self) -> GPUArray:
        return self._run(plans.reduce("sum", self.dtype, self.size), [self])

    def max(self) -> GPUArray:
        return self._run(plans.reduce("max", self.dtype, self.size), [self])

    def min(self) -> GPUArray:
        return self._run(plans.reduce("min", self.dtype, self.size), [self])

    # --- reading back -------------------------------------------------------------------

    async def read(self) -> pyarray.array:
        """The elements, row-major, as an array.array ('f' or 'i'): one copy."""
        values = pyarray.array(self.dtype.code, bytes(self.nbytes))
        await self._gpu.read(self._buffer, values)
        return values

    async def tolist(self) -> Any:
        """Nested lists of Python numbers (a number for a 0-d array)."""
        return unflatten(await self.read(), self.shape)

    async def item(self) -> Any:
        """The one element of a 1-element array, as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs an array of one element, not {self.size}")
        return (await self.read())[0]

    def read_sync(self) -> pyarray.array:
        """`read()` without await, where JSPI lets Python wait (RuntimeError elsewhere)."""
        return blocking(self.read())

    def tolist_sync(self) -> Any:
        return blocking(self.tolist())

    def item_sync(self) -> Any:
        return blocking(self.item())
