"""A float32 matmul on the browser kernel's GPU against the same product in pure Python,
in the same kernel.

A project is served, headless Chromium with WebGPU opens its compute page as
``worker --headless`` does, and a collaborator runs one cell there that measures, on two
``--size`` x ``--size`` matrices of random floats in [-1, 1):

- GPU: the product of two arrays already on the GPU, ``--repeats`` times back to back
  until ``gpu.synchronize()`` says the queue is done (after a warm-up that compiles the
  shader and touches the buffers); and once end to end: both matrices uploaded from
  Python lists, multiplied, the result read back with ``await c.tolist()``;
- pure Python: the same product (rows times columns, ``sum(map(mul, row, col))``) on
  the same float32 values, once;

GFLOP/s = 2 size^3 / seconds for each, and their ratio. The two results are compared
within float32's error bound. SwiftShader, the adapter Chromium gives on a machine
without a GPU driver, computes on the CPU: there the figure is a floor for a real GPU.
The adapter is part of the result.

    .venv/bin/python bench/gpu_matmul.py [--size 512] [--repeats 10] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from browser_cells import served_compute_page

CELL = """
import json, operator, random, time
from cocalc_compute_wasm import gpu

n, repeats = {size}, {repeats}
rng = random.Random(1)
rows = [[rng.uniform(-1, 1) for _ in range(n)] for _ in range(2 * n)]
await (gpu.array([[1.0]]) @ gpu.array([[1.0]])).tolist()  # compiles the shader

started = time.perf_counter()
a, b = gpu.array(rows[:n]), gpu.array(rows[n:])
got = await (a @ b).tolist()
end_to_end = time.perf_counter() - started

c = a @ b  # warm-up at this size
await gpu.synchronize()
started = time.perf_counter()
for _ in range(repeats):
    c = a @ b
await gpu.synchronize()
on_gpu = (time.perf_counter() - started) / repeats

A, B = await a.tolist(), await b.tolist()  # the float32 values the GPU multiplied
started = time.perf_counter()
columns = list(zip(*B))
want = [[sum(map(operator.mul, row, col)) for col in columns] for row in A]
in_python = time.perf_counter() - started

error = max(abs(g - w) for gr, wr in zip(got, want) for g, w in zip(gr, wr))
print(json.dumps({{
    "adapter": gpu.adapter_info(),
    "gpu_s": on_gpu, "end_to_end_s": end_to_end, "python_s": in_python,
    "max_error": error,
    # |a|, |b| < 1: each element's error is at most 2 n u n (u = 2**-24)
    "error_bound": 2 * n * n * 2.0**-24,
}}))
"""


def gflops(size: int, seconds: float) -> float:
    return 2 * size**3 / seconds / 1e9


def measure(size: int, repeats: int) -> dict:
    with served_compute_page(webgpu=True) as page:
        found = asyncio.run(page.run_cell(CELL.format(size=size, repeats=repeats)))
    return {
        "size": size,
        "repeats": repeats,
        "adapter": found["adapter"],
        "gpu_gflops": gflops(size, found["gpu_s"]),
        "gpu_ms": found["gpu_s"] * 1000,
        "end_to_end_gflops": gflops(size, found["end_to_end_s"]),
        "end_to_end_ms": found["end_to_end_s"] * 1000,
        "python_gflops": gflops(size, found["python_s"]),
        "python_ms": found["python_s"] * 1000,
        "ratio_gpu_vs_python": found["python_s"] / found["gpu_s"],
        "ratio_end_to_end_vs_python": found["python_s"] / found["end_to_end_s"],
        "max_error": found["max_error"],
        "error_bound": found["error_bound"],
        "agree": found["max_error"] <= found["error_bound"],
    }


def report(r: dict) -> str:
    a = r["adapter"]
    kind = "a software adapter: it computes on the CPU" if a["fallback"] else "hardware"
    name = " ".join(filter(None, (a["vendor"], a["architecture"], a["description"])))
    return "\n".join(
        [
            f"{r['size']}x{r['size']} float32 matmul in the browser kernel (Chromium, Pyodide)",
            f"  adapter: {name} ({kind})",
            f"  GPU (WebGPU)      {r['gpu_gflops']:9.3f} GFLOP/s  {r['gpu_ms']:10.1f} ms"
            f"  (mean of {r['repeats']}, arrays on the GPU)",
            f"  GPU end to end    {r['end_to_end_gflops']:9.3f} GFLOP/s"
            f"  {r['end_to_end_ms']:10.1f} ms  (upload lists, multiply, read back)",
            f"  pure Python       {r['python_gflops']:9.3f} GFLOP/s  {r['python_ms']:10.1f} ms",
            f"  ratio GPU / Python: {r['ratio_gpu_vs_python']:.1f}x"
            f" ({r['ratio_end_to_end_vs_python']:.1f}x end to end)",
            f"  results agree: {r['agree']} (max difference {r['max_error']:.2e},"
            f" bound {r['error_bound']:.2e})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.size, args.repeats)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
