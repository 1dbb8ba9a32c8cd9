"""The browser's GPU for notebook cells, through WebGPU: a small, honest path.

In the browser kernel (Pyodide in a worker), cells can put float32 and int32 arrays on
the GPU, compute with them there, and read the results back::

    from cocalc_compute_wasm import gpu

    gpu.available(), gpu.why_not()     # is there a GPU, and if not, why
    a = gpu.array([[1, 2], [3, 4]])    # float32 unless dtype="int32"
    c = (a @ a) * 0.5 + 1              # queued on the GPU; returns at once
    await c.tolist()                   # [[4.5, 6.0], [8.5, 12.0]]
    await (c.sum()).item()

This is not PyTorch (or numpy) on the GPU: there are no autograd, broadcasting, dtypes
beyond these two, or kernels beyond elementwise arithmetic, reductions and a tiled
matmul. `run()` runs a WGSL compute shader of your own over arrays. The shaders are
the package's `.wgsl` files (`shaders/`), compiled once per kernel and cached.

The kernel worker obtains the adapter and device as it starts (`attach`), once per
kernel; in CPython (a native kernel) there is no GPU here and `why_not()` says so.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .arrays import GPUArray, jspi_why_not
from .data import DTYPES, check_shape, dtype_of, matmul_dims, pack, size_of
from .errors import GPUError, GPUUnavailable, WGSLError

if TYPE_CHECKING:
    from .webgpu import WebGPU

__all__ = [
    "DTYPES",
    "GPUArray",
    "GPUError",
    "GPUUnavailable",
    "WGSLError",
    "adapter_info",
    "array",
    "attach",
    "available",
    "device",
    "matmul",
    "run",
    "summary",
    "synchronize",
    "why_not",
    "zeros",
]

IN_BROWSER = sys.platform == "emscripten"
NOT_IN_BROWSER = "WebGPU is reached from the browser kernel (Pyodide); this kernel runs in CPython"
NOT_ATTACHED = "the kernel has not looked for a GPU yet (await gpu.attach())"
ATTACH_TIMEOUT = 10.0
"""Seconds the kernel waits for the browser's adapter and device as it starts."""
SUMMARY_TEXT = 400
"""Longest text in `summary()`: it travels in presence, which takes short facts."""


class _Attachment:
    """This kernel's one device, or why it has none; `sync_reads` is why results cannot
    be read without await ("" when they can), as seen when the kernel attached."""

    def __init__(self) -> None:
        self.gpu: WebGPU | None = None
        self.why = NOT_ATTACHED if IN_BROWSER else NOT_IN_BROWSER
        self.sync_reads = ""
        self.attaching: asyncio.Future[None] | None = None


_attached = _Attachment()


async def attach() -> bool:
    """Obtain the browser's adapter and device, once per kernel (the browser kernel does
    it as it starts; later calls return at once). True when there is a GPU."""
    if IN_BROWSER and _attached.attaching is None:
        _attached.attaching = asyncio.ensure_future(_attach())
    if _attached.attaching is not None:
        await _attached.attaching
    return available()


async def _attach() -> None:
    """Never raises: a browser whose WebGPU misbehaves gives a kernel without a GPU."""
    from .webgpu import open_device

    try:
        async with asyncio.timeout(ATTACH_TIMEOUT):
            found = await open_device()
    except TimeoutError:
        found = f"the browser's WebGPU did not answer within {ATTACH_TIMEOUT:g} s"
    except Exception as error:
        found = f"looking for a GPU failed: {error!r}"
    if isinstance(found, str):
        _attached.why = found
    else:
        _attached.gpu, _attached.why = found, ""
        _attached.sync_reads = jspi_why_not()


def available() -> bool:
    """Is there a usable GPU in this kernel?"""
    return _attached.gpu is not None and _attached.gpu.lost is None


def why_not() -> str:
    """Why there is no GPU ("" when there is one)."""
    if _attached.gpu is not None:
        return _attached.gpu.lost or ""
    return _attached.why


def _gpu() -> WebGPU:
    if not available():
        raise GPUUnavailable(f"no GPU in this kernel: {why_not()}")
    assert _attached.gpu is not None
    return _attached.gpu


def adapter_info() -> dict[str, Any]:
    """The adapter's vendor, architecture, device, description, whether it is a
    fallback (software) adapter, and the limits that bound array sizes."""
    return dict(_gpu().facts)


def device() -> Any:
    """The kernel's JavaScript GPUDevice, for WebGPU code of your own."""
    return _gpu().device


def summary() -> dict[str, Any]:
    """What collaborators and the compute page are told: is there a GPU, which one, or
    why not; and whether results can be read without await (JSPI)."""
    on = available()
    facts = _attached.gpu.facts if on and _attached.gpu else {}
    summary = {
        "available": on,
        "why": why_not(),
        **{k: facts.get(k) for k in ("vendor", "architecture", "description", "fallback")},
        "sync_reads": on and not _attached.sync_reads,
        "sync_reads_why": _attached.sync_reads if on else "",
    }
    return {k: v[:SUMMARY_TEXT] if isinstance(v, str) else v for k, v in summary.items()}


def array(
    data: Any, dtype: str | None = None, shape: int | Sequence[int] | None = None
) -> GPUArray:
    """A GPUArray from a number, nested lists or tuples, bytes, or a buffer such as a
    memoryview or array.array (see `data.pack` for how each is read)."""
    gpu = _gpu()
    values, found, kind = pack(data, dtype, shape)
    return GPUArray(gpu, gpu.array_buffer(values), found, kind)


def zeros(shape: int | Sequence[int], dtype: str = "float32") -> GPUArray:
    """An array of zeros (GPU buffers start zeroed: nothing is copied)."""
    gpu = _gpu()
    dims, kind = check_shape(shape), dtype_of(dtype)
    return GPUArray(gpu, gpu.storage(size_of(dims)), dims, kind)


def matmul(a: GPUArray, b: GPUArray) -> GPUArray:
    """a @ b for 2-D arrays."""
    if not isinstance(a, GPUArray) or not isinstance(b, GPUArray):
        raise TypeError("matmul multiplies two GPUArrays (make them with gpu.array)")
    matmul_dims(a.shape, b.shape)
    return a @ b


async def run(
    source: str,
    arrays: Sequence[GPUArray],
    workgroups: int | Sequence[int],
    entry_point: str = "main",
    constants: dict[str, float] | None = None,
) -> None:
    """Run a WGSL compute shader of your own: `arrays[i]` is bound as a storage buffer
    at ``@group(0) @binding(i)`` (the shader must use every one of them), and
    `workgroups` (x or (x, y, z)) are dispatched. Results land in the arrays; read them
    as usual. WGSLError gives the compiler's messages with line numbers."""
    gpu = _gpu()
    if not all(isinstance(a, GPUArray) for a in arrays):
        raise TypeError("run() binds GPUArrays only (make them with gpu.array or gpu.zeros)")
    counts = (workgroups,) if isinstance(workgroups, int) else tuple(workgroups)
    if not 1 <= len(counts) <= 3 or not all(isinstance(c, int) and c >= 0 for c in counts):
        raise ValueError(f"workgroups is a count or (x, y, z) counts, not {workgroups!r}")
    dims = (*counts, 1, 1)[:3]
    await gpu.run_shader(
        source, [a._buffer for a in arrays], dims, entry_point, dict(constants or {})
    )


async def synchronize() -> None:
    """Until all GPU work queued so far is done (for timing); raises its first error."""
    await _gpu().done()
