"""The browser's WebGPU, driven from the kernel worker's Python (the IO shell of `plans`).

One adapter and one device per kernel (`open_device`). Plans become compute passes in
one command buffer each; shader modules and pipelines are made once and cached. WebGPU
reports errors asynchronously, so every piece of work runs inside error scopes whose
results are awaited at the next read (`check`): an error surfaces there, as a GPUError,
rather than being lost in the console.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from . import shaders
from .data import DType, size_of
from .errors import GPUError, WGSLError
from .plans import Input, Output, Plan, Ref

T = TypeVar("T")

NO_WEBGPU = (
    "this browser has no WebGPU (navigator.gpu is missing in the kernel's worker): it"
    " needs a browser with WebGPU (Chromium 113 or newer) on an https or localhost page"
)
NO_ADAPTER = (
    "the browser has WebGPU but gave no adapter (requestAdapter() returned null): it found"
    " no usable GPU, or WebGPU is blocked for it. On Linux, Chromium gives an adapter only"
    " with --enable-unsafe-webgpu (`worker --headless` passes it), and without a GPU"
    " driver that adapter is SwiftShader, a software one"
)
PENDING_SCOPES = 256
"""Error scopes kept unawaited before they are folded into one promise."""
RAISED_LIMITS = ("maxBufferSize", "maxStorageBufferBindingSize")
"""Limits asked for at the adapter's maximum rather than WebGPU's defaults: the size of
the largest array."""
LIMITS = (
    *RAISED_LIMITS,
    "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupsPerDimension",
)


def _is_null(value: Any) -> bool:
    from pyodide.ffi import jsnull

    return value is None or value is jsnull


def _js(value: Any) -> Any:
    import js
    from pyodide.ffi import to_js

    return to_js(value, dict_converter=js.Object.fromEntries)


def adapter_facts(adapter: Any) -> dict[str, Any]:
    """What a person wants to know about an adapter: who made it, and is it real."""
    info = adapter.info
    return {
        "vendor": str(info.vendor),
        "architecture": str(info.architecture),
        "device": str(info.device),
        "description": str(info.description),
        # a fallback adapter is a software one (SwiftShader): it computes on the CPU
        "fallback": bool(getattr(info, "isFallbackAdapter", False)),
        "limits": {name: int(getattr(adapter.limits, name)) for name in LIMITS},
    }


async def open_device() -> WebGPU | str:
    """The device of the browser's adapter, or why there is none."""
    import js
    from pyodide.ffi import JsException

    navigator_gpu = getattr(js.navigator, "gpu", None)
    if _is_null(navigator_gpu):
        return NO_WEBGPU
    try:
        adapter = await navigator_gpu.requestAdapter(_js({"powerPreference": "high-performance"}))
        if _is_null(adapter):
            return NO_ADAPTER
        limits = {name: getattr(adapter.limits, name) for name in RAISED_LIMITS}
        device = await adapter.requestDevice(_js({"requiredLimits": limits}))
    except JsException as error:
        return f"the browser's WebGPU failed to give a device: {error}"
    return WebGPU(adapter, device)


class Buffer:
    """A GPU buffer that Python owns: destroyed when the last array using it is gone
    (WebGPU frees it once the work already submitted with it is done)."""

    __slots__ = ("js", "nbytes")

    def __init__(self, js_buffer: Any, nbytes: int) -> None:
        self.js = js_buffer
        self.nbytes = nbytes

    def __del__(self) -> None:
        self.js.destroy()


class WebGPU:
    """One kernel's device and everything made on it."""

    def __init__(self, adapter: Any, device: Any) -> None:
        from pyodide.ffi import create_once_callable

        self.adapter = adapter
        self.device = device
        self.facts = adapter_facts(adapter)
        self.lost: str | None = None
        self._modules: dict[tuple[str, str], Any] = {}
        self._pipelines: dict[tuple, Any] = {}
        self._user_pipelines: dict[tuple, Any] = {}
        self._scopes: list[Any] = []
        device.lost.then(create_once_callable(self._on_lost))

    def _on_lost(self, info: Any) -> None:
        self.lost = (
            f"the GPU device was lost ({info.reason}: {info.message}); restart the kernel"
            " for a new one"
        )

    # --- errors -----------------------------------------------------------------------

    def _guarded(self, work: Callable[[], T]) -> T:
        """Run `work` (WebGPU calls) inside validation and out-of-memory error scopes,
        whose outcome `check` awaits."""
        import js

        if self.lost:
            raise GPUError(self.lost)
        self.device.pushErrorScope("out-of-memory")
        self.device.pushErrorScope("validation")
        try:
            return work()
        finally:
            self._scopes += [self.device.popErrorScope(), self.device.popErrorScope()]
            if len(self._scopes) > PENDING_SCOPES:
                self._scopes = [js.Promise.all(_js(self._scopes))]

    async def check(self) -> None:
        """Raise the first error of the work done since the last check."""
        scopes, self._scopes = self._scopes, []
        for scope in scopes:
            if (error := _first_error(await scope)) is not None:
                raise GPUError(f"WebGPU: {error.message}")
        if self.lost:
            raise GPUError(self.lost)

    # --- buffers ------------------------------------------------------------------------

    def _usage(self, *names: str) -> int:
        import js

        usage = 0
        for name in names:
            usage |= getattr(js.GPUBufferUsage, name)
        return usage

    def _fits(self, nbytes: int) -> None:
        most = self.facts["limits"]["maxStorageBufferBindingSize"]
        if nbytes > most:
            raise GPUError(
                f"{nbytes} bytes do not fit in one buffer: this adapter binds at most"
                f" {most} bytes ({most >> 20} MiB)"
            )

    def storage(self, elements: int) -> Buffer:
        """A zero-filled array buffer of `elements` 4-byte elements."""
        nbytes = elements * DType.itemsize
        self._fits(nbytes)
        usage = self._usage("STORAGE", "COPY_SRC", "COPY_DST")
        # a binding cannot be empty: an array of nothing still gets 4 bytes
        created = self.device.createBuffer(_js({"size": max(nbytes, 4), "usage": usage}))
        return Buffer(created, nbytes)

    def upload(self, data: Any, *usage: str) -> Buffer:
        """A buffer holding the bytes of `data` (any Python buffer), copied once."""
        import js

        view = memoryview(data).cast("B")
        self._fits(view.nbytes)
        size = max(-(-view.nbytes // 4) * 4, 4)
        descriptor = {"size": size, "usage": self._usage(*usage), "mappedAtCreation": True}
        created = self.device.createBuffer(_js(descriptor))
        if view.nbytes:
            js.Uint8Array.new(created.getMappedRange(), 0, view.nbytes).assign(view)
        created.unmap()
        return Buffer(created, view.nbytes)

    def array_buffer(self, data: Any) -> Buffer:
        return self._guarded(lambda: self.upload(data, "STORAGE", "COPY_SRC", "COPY_DST"))

    async def read(self, buffer: Buffer, into: Any) -> None:
        """Copy `buffer`'s bytes into the Python buffer `into` (as long as it)."""
        import js

        await self.check()
        target = memoryview(into).cast("B")
        if not target.nbytes:
            return
        size = -(-target.nbytes // 4) * 4

        def copy() -> Any:
            staging = self.device.createBuffer(
                _js({"size": size, "usage": self._usage("MAP_READ", "COPY_DST")})
            )
            encoder = self.device.createCommandEncoder()
            encoder.copyBufferToBuffer(buffer.js, 0, staging, 0, size)
            self.device.queue.submit(_js([encoder.finish()]))
            return staging

        staging = self._guarded(copy)
        try:
            await staging.mapAsync(js.GPUMapMode.READ)
            js.Uint8Array.new(staging.getMappedRange(), 0, target.nbytes).assign_to(target)
        except Exception:
            await self.check()  # the reason the mapping failed, if WebGPU gave one
            raise
        finally:
            staging.destroy()
        await self.check()

    async def done(self) -> None:
        """Until the work submitted so far is done; raises its first error."""
        await self.device.queue.onSubmittedWorkDone()
        await self.check()

    # --- plans --------------------------------------------------------------------------

    def _module(self, shader: str, dtype: DType) -> Any:
        key = (shader, dtype.name)
        if key not in self._modules:
            code = shaders.source(shader, dtype)
            self._modules[key] = self.device.createShaderModule(_js({"code": code}))
        return self._modules[key]

    def _pipeline(self, module: Any, entry: str, constants: Sequence[tuple[str, int]]) -> Any:
        compute: dict[str, Any] = {"module": module, "entryPoint": entry}
        if constants:
            compute["constants"] = dict(constants)
        return self.device.createComputePipeline(_js({"layout": "auto", "compute": compute}))

    def _encode(self, encoder: Any, pipeline: Any, entries: list, workgroups: Sequence[int]):
        layout = pipeline.getBindGroupLayout(0)
        group = self.device.createBindGroup(_js({"layout": layout, "entries": entries}))
        compute = encoder.beginComputePass()
        compute.setPipeline(pipeline)
        compute.setBindGroup(0, group)
        compute.dispatchWorkgroups(*workgroups)
        compute.end()

    def execute(self, plan: Plan, inputs: Sequence[Buffer]) -> Buffer:
        """Submit `plan` over `inputs`; returns its output buffer at once (the queue
        keeps the order: later work and reads see the result)."""
        return self._guarded(lambda: self._execute(plan, inputs))

    def _execute(self, plan: Plan, inputs: Sequence[Buffer]) -> Buffer:
        out = self.storage(size_of(plan.shape))
        scratch = [self.storage(n) for n in plan.scratch]
        kept: list[Buffer] = list(scratch)

        def buffer(ref: Ref) -> Buffer:
            if isinstance(ref, Input):
                return inputs[ref.index]
            return out if isinstance(ref, Output) else scratch[ref.index]

        encoder = self.device.createCommandEncoder()
        for step in plan.steps:
            key = (step.shader, plan.dtype.name, step.entry, step.constants)
            if key not in self._pipelines:
                module = self._module(step.shader, plan.dtype)
                self._pipelines[key] = self._pipeline(module, step.entry, step.constants)
            params = self.upload(step.params, "UNIFORM")
            kept.append(params)
            entries = [_entry(b, buffer(ref)) for b, ref in step.bindings]
            entries.append(_entry(step.params_binding, params))
            self._encode(encoder, self._pipelines[key], entries, step.workgroups)
        self.device.queue.submit(_js([encoder.finish()]))
        return out  # `kept` goes now: destroyed once the submitted work is done

    # --- a user's own shader ------------------------------------------------------------

    async def run_shader(
        self,
        source: str,
        buffers: Sequence[Buffer],
        workgroups: tuple[int, int, int],
        entry_point: str,
        constants: dict[str, float],
    ) -> None:
        """Compile `source` (once per source, entry point and constants), bind `buffers`
        at group 0, bindings 0, 1, ..., and dispatch `workgroups`; raises WGSLError for
        a shader that does not compile and GPUError for work WebGPU refuses."""
        key = (source, entry_point, tuple(sorted(constants.items())))
        if key not in self._user_pipelines:
            module = self.device.createShaderModule(_js({"code": source}))
            info = await module.getCompilationInfo()
            errors = [m for m in info.messages if m.type == "error"]
            if errors:
                raise WGSLError(
                    "the shader does not compile:\n"
                    + "\n".join(f"  line {m.lineNum}:{m.linePos}: {m.message}" for m in errors)
                )
            pipeline = self._guarded(
                lambda: self._pipeline(module, entry_point, tuple(constants.items()))
            )
            await self.check()
            self._user_pipelines[key] = pipeline
        pipeline = self._user_pipelines[key]

        def dispatch() -> None:
            encoder = self.device.createCommandEncoder()
            entries = [_entry(i, b) for i, b in enumerate(buffers)]
            self._encode(encoder, pipeline, entries, workgroups)
            self.device.queue.submit(_js([encoder.finish()]))

        self._guarded(dispatch)
        await self.check()


def _entry(binding: int, buffer: Buffer) -> dict[str, Any]:
    return {"binding": binding, "resource": {"buffer": buffer.js}}


def _first_error(result: Any) -> Any:
    """The first GPUError in what an error scope (or several, through Promise.all)
    resolved to; None when there was none."""
    if _is_null(result):
        return None
    if hasattr(result, "message"):
        return result
    for item in result:
        if (error := _first_error(item)) is not None:
            return error
    return None
