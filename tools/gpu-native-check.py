#!/usr/bin/env python3
"""Run the package's WGSL shaders on a native GPU and check them against numpy.

The browser kernel's GPU module (`cocalc_compute_wasm.gpu`) turns every operation into a
plan of compute passes over the package's own `.wgsl` files (`gpu/plans.py`,
`gpu/shaders.py`); this tool carries out the very same plans through wgpu-py (wgpu-native
over Vulkan, Metal or DX12) on whatever adapter the machine has: a real GPU where the
browser's only adapter here is SwiftShader. It prints the adapter, checks matmul (odd
shapes included), elementwise arithmetic and reductions against numpy, then times the
float32 matmul (GFLOP/s against numpy's on the CPU), and exits 1 on any mismatch.

wgpu and numpy are needed only for this check, never by the project:

    python3 -m pip install wgpu==0.32.0 numpy
    python3 tools/gpu-native-check.py [--sizes 512,4096] [--require-gpu]

It exits 3 (before any check) when no adapter is found, and with --require-gpu also when
the adapter found is a CPU one (llvmpipe, SwiftShader): no GPU driver was found.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import wgpu

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py"))

from cocalc_compute_wasm.gpu import data, plans, shaders

STORAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
U = 2.0**-24  # float32 unit roundoff
NUMPY = {data.FLOAT32: np.float32, data.INT32: np.int32}


class Native:
    """Carries out plans with wgpu-py, as gpu/webgpu.py does with the browser's WebGPU."""

    def __init__(self, device: wgpu.GPUDevice) -> None:
        self.device = device
        self.modules: dict = {}
        self.pipelines: dict = {}

    def pipeline(self, step: plans.Step, dtype: data.DType):
        key = (step.shader, dtype.name, step.entry, step.constants)
        if key not in self.pipelines:
            module_key = (step.shader, dtype.name)
            if module_key not in self.modules:
                self.modules[module_key] = self.device.create_shader_module(
                    code=shaders.source(step.shader, dtype)
                )
            compute = {"module": self.modules[module_key], "entry_point": step.entry}
            if step.constants:
                compute["constants"] = dict(step.constants)
            self.pipelines[key] = self.device.create_compute_pipeline(
                layout="auto", compute=compute
            )
        return self.pipelines[key]

    def storage(self, elements: int) -> wgpu.GPUBuffer:
        return self.device.create_buffer(size=max(elements, 1) * 4, usage=STORAGE)

    def upload(self, values: np.ndarray) -> wgpu.GPUBuffer:
        raw = np.ascontiguousarray(values).tobytes() or bytes(4)
        return self.device.create_buffer_with_data(data=raw, usage=STORAGE)

    def encode(self, plan: plans.Plan, inputs: list, out, encoder) -> list:
        """Encode the plan's passes; returns the buffers to keep alive until done."""
        scratch = [self.storage(n) for n in plan.scratch]
        keep = list(scratch)

        def buffer(ref: plans.Ref):
            if isinstance(ref, plans.Input):
                return inputs[ref.index]
            return out if isinstance(ref, plans.Output) else scratch[ref.index]

        for step in plan.steps:
            pipeline = self.pipeline(step, plan.dtype)
            params = self.device.create_buffer_with_data(
                data=step.params, usage=wgpu.BufferUsage.UNIFORM
            )
            keep.append(params)
            entries = [{"binding": b, "resource": {"buffer": buffer(r)}} for b, r in step.bindings]
            entries.append({"binding": step.params_binding, "resource": {"buffer": params}})
            group = self.device.create_bind_group(
                layout=pipeline.get_bind_group_layout(0), entries=entries
            )
            compute = encoder.begin_compute_pass()
            compute.set_pipeline(pipeline)
            compute.set_bind_group(0, group)
            compute.dispatch_workgroups(*step.workgroups)
            compute.end()
        return keep

    def run(self, plan: plans.Plan, inputs: list, out=None) -> wgpu.GPUBuffer:
        out = out or self.storage(data.size_of(plan.shape))
        encoder = self.device.create_command_encoder()
        keep = self.encode(plan, inputs, out, encoder)
        self.device.queue.submit([encoder.finish()])
        del keep
        return out

    def wait(self, buffer: wgpu.GPUBuffer) -> None:
        """Until the work submitted so far is done (reading a buffer waits for it; wgpu
        0.32's on_submitted_work_done_sync fails in cffi)."""
        self.device.queue.read_buffer(buffer, size=4)

    def read(self, buffer: wgpu.GPUBuffer, plan: plans.Plan) -> np.ndarray:
        raw = self.device.queue.read_buffer(buffer)
        values = np.frombuffer(raw, dtype=NUMPY[plan.dtype])[: data.size_of(plan.shape)]
        return values.reshape(plan.shape)


class Checks:
    def __init__(self, native: Native, rng: np.random.Generator) -> None:
        self.native = native
        self.rng = rng
        self.failed = 0
        self.passed = 0

    def report(self, name: str, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{f': {detail}' if detail else ''}")

    def values(self, shape, dtype: data.DType) -> np.ndarray:
        if dtype is data.INT32:
            return self.rng.integers(-50, 50, size=shape, dtype=np.int32)
        return self.rng.uniform(-1, 1, size=shape).astype(np.float32)

    def matmul(self, m: int, k: int, n: int, dtype: data.DType = data.FLOAT32) -> None:
        a, b = self.values((m, k), dtype), self.values((k, n), dtype)
        plan = plans.matmul(dtype, m, k, n)
        got = self.native.read(self.native.run(plan, [self.native.upload(x) for x in (a, b)]), plan)
        if dtype is data.INT32:
            ok = np.array_equal(got, a.astype(np.int64) @ b.astype(np.int64))
            self.report(f"matmul int32 {m}x{k} @ {k}x{n}", ok)
            return
        ref = a.astype(np.float64) @ b.astype(np.float64)
        bound = 2 * k * U * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)) + 1e-30
        err = np.abs(got - ref)
        self.report(
            f"matmul float32 {m}x{k} @ {k}x{n}",
            bool(np.all(err <= bound)),
            f"max error {err.max():.2e} (bound {bound.max():.2e})",
        )

    def elementwise(self, n: int, dtype: data.DType) -> None:
        a, b = self.values(n, dtype), self.values(n, dtype)
        if dtype is data.FLOAT32:
            b = np.where(np.abs(b) < 1e-3, np.float32(0.5), b)  # a divisor, away from 0
        ops = [op for op in plans.BINARY_OPS if not (op == "div" and dtype is data.INT32)]
        reference = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}
        inputs = [self.native.upload(x) for x in (a, b)]
        s = dtype.python(3) if dtype is data.INT32 else 1.75
        for op in ops:
            cases = [
                (f"a {op} b", plans.binary(op, dtype, (n,)), inputs, reference[op](a, b)),
                (f"a {op} {s}", plans.scalar(op, dtype, (n,), s), inputs[:1], reference[op](a, s)),
                (
                    f"{s} {op} a",
                    plans.scalar(op, dtype, (n,), s, swap=True),
                    inputs[:1],
                    reference[op](s, a),
                ),
            ]
            for name, plan, given, ref in cases:
                got = self.native.read(self.native.run(plan, given), plan)
                ref = ref.astype(NUMPY[dtype])
                if op == "div":  # WGSL's f32 division is accurate to 2.5 ULP
                    ok = bool(np.all(np.abs(got - ref) <= 3 * np.spacing(np.abs(ref))))
                else:
                    ok = np.array_equal(got, ref)
                self.report(f"{dtype.name} n={n}: {name}", ok)

    def reduce(self, n: int, dtype: data.DType) -> None:
        x = self.values(n, dtype)
        given = [self.native.upload(x)]
        for op in plans.REDUCTIONS:
            plan = plans.reduce(op, dtype, n)
            got = self.native.read(self.native.run(plan, given), plan)
            if op == "sum" and dtype is data.FLOAT32:
                ref = float(np.sum(x, dtype=np.float64))
                bound = 2 * n * U * float(np.sum(np.abs(x), dtype=np.float64))
                ok = abs(float(got) - ref) <= bound
                detail = f"error {abs(float(got) - ref):.2e} (bound {bound:.2e})"
            else:
                ref = {"sum": np.sum, "max": np.max, "min": np.min}[op](x)
                ok = got == ref.astype(NUMPY[dtype])
                detail = ""
            self.report(f"{dtype.name} n={n}: {op}", bool(ok), detail)


def gflops(m: int, k: int, n: int, seconds: float) -> float:
    return 2 * m * k * n / seconds / 1e9


def time_matmul(native: Native, size: int, rng: np.random.Generator) -> dict:
    """GFLOP/s of a size x size float32 product: on the GPU (submitted back to back,
    until the last is done), and numpy's on the CPU."""
    a = rng.uniform(-1, 1, (size, size)).astype(np.float32)
    b = rng.uniform(-1, 1, (size, size)).astype(np.float32)
    plan = plans.matmul(data.FLOAT32, size, size, size)
    inputs = [native.upload(x) for x in (a, b)]
    out = native.storage(size * size)
    native.run(plan, inputs, out)  # compile, first touch
    native.wait(out)
    repeats, elapsed = 1, 0.0
    while elapsed < 0.5 and repeats <= 1 << 12:
        started = time.perf_counter()
        for _ in range(repeats):
            native.run(plan, inputs, out)
        native.wait(out)
        elapsed = time.perf_counter() - started
        repeats *= 2
    gpu_seconds = elapsed / (repeats // 2)
    a @ b  # warm-up
    cpu_runs, started = 0, time.perf_counter()
    while cpu_runs == 0 or time.perf_counter() - started < 0.5:
        a @ b
        cpu_runs += 1
    cpu_seconds = (time.perf_counter() - started) / cpu_runs
    return {
        "size": size,
        "gpu_gflops": gflops(size, size, size, gpu_seconds),
        "numpy_gflops": gflops(size, size, size, cpu_seconds),
        "gpu_ms": gpu_seconds * 1000,
        "numpy_ms": cpu_seconds * 1000,
    }


def adapter_and_device():
    adapters = wgpu.gpu.enumerate_adapters_sync()
    print("adapters found:")
    for found in adapters:
        info = found.info
        print(f"  - {info['device']} ({info['adapter_type']}, {info['backend_type']})")
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    if adapter is None:
        return None, None
    limits = adapter.limits
    wanted = {
        name: limits[name]
        for name in ("max-buffer-size", "max-storage-buffer-binding-size")
        if name in limits
    }
    return adapter, adapter.request_device_sync(required_limits=wanted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="512,4096", help="matmul sizes to time")
    parser.add_argument("--require-gpu", action="store_true")
    args = parser.parse_args()
    adapter, device = adapter_and_device()
    if adapter is None:
        print("no adapter found: no Vulkan, Metal or DX12 driver", file=sys.stderr)
        return 3
    info = adapter.info
    print(
        f"adapter: vendor={info['vendor']!r} architecture={info['architecture']!r}"
        f" device={info['device']!r} description={info['description']!r}"
        f" type={info['adapter_type']} backend={info['backend_type']}"
    )
    print(f"wgpu {wgpu.__version__}, numpy {np.__version__}")
    if args.require_gpu and info["adapter_type"] == "CPU":
        print("this adapter runs on the CPU: no GPU driver was found", file=sys.stderr)
        return 3
    native = Native(device)
    rng = np.random.default_rng(7)
    checks = Checks(native, rng)
    print("matmul:")
    for m, k, n in [(256, 256, 256), (1, 1, 1), (3, 5, 7), (65, 129, 63), (100, 1, 100),
                    (1, 300, 1), (130, 17, 257), (512, 512, 512)]:  # fmt: skip
        checks.matmul(m, k, n)
    checks.matmul(67, 45, 71, data.INT32)
    print("elementwise:")
    for n in (1, 1000, 65537, 16_777_216 + 300):
        checks.elementwise(n, data.FLOAT32)
    checks.elementwise(1000, data.INT32)
    print("reductions:")
    for n in (1, 255, 256, 257, 100_000, 3_000_001):
        checks.reduce(n, data.FLOAT32)
    checks.reduce(100_000, data.INT32)
    print(f"{checks.passed} checks passed, {checks.failed} failed")
    print("float32 matmul, GFLOP/s (GPU through wgpu vs numpy on this CPU):")
    for size in (int(s) for s in args.sizes.split(",") if s):
        t = time_matmul(native, size, rng)
        print(
            f"  {size}x{size}: GPU {t['gpu_gflops']:.1f} GFLOP/s ({t['gpu_ms']:.2f} ms),"
            f" numpy {t['numpy_gflops']:.1f} GFLOP/s ({t['numpy_ms']:.2f} ms),"
            f" ratio {t['gpu_gflops'] / t['numpy_gflops']:.2f}"
        )
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
