"""The GPU module in the browser kernel: cells run through a served project on the compute
page of a headless Chromium with WebGPU (SwiftShader here), their results judged by
pure-Python references within float32's error bounds (tests/support/gpu_reference.py,
sent into the kernel as a cell)."""

import inspect
import json
from pathlib import Path

import gpu_reference
import pytest
from compute_page import in_browser, open_compute_page
from notebook_cells import notebook_with, outputs, text

from cocalc_compute_wasm.headless import launch_chromium

SETUP = "from cocalc_compute_wasm import gpu\nimport json, random\n" + inspect.getsource(
    gpu_reference
).replace("from __future__ import annotations\n", "")


@pytest.fixture
def webgpu_chromium():
    """Headless Chromium with WebGPU on, as `worker --headless` starts it."""
    with launch_chromium(webgpu=True) as driver:
        yield driver


@pytest.fixture
async def gpu_page(served_project, webgpu_chromium):
    return await open_compute_page(
        webgpu_chromium, served_project.page_url(), served_project.api_key
    )


async def run_cells(served_project, path: str, *sources: str, timeout: float = 240):
    """Run `sources` as the cells of notebook `path`; the notebook and cell ids."""
    client = await served_project.client()
    nb, ids = await notebook_with(client, path, *sources)
    await nb.request_run(ids, no_halt=True)
    await nb.wait_done(ids, timeout=timeout)
    return client, nb, ids


def last_json(nb, cell_id) -> dict:
    """The JSON line a cell printed last (its traceback, if it failed)."""
    assert not [o for o in outputs(nb, cell_id) if o["output_type"] == "error"], outputs(
        nb, cell_id
    )
    return json.loads(text(nb, cell_id).strip().splitlines()[-1])


MATMULS = """
rng = random.Random(11)
report = {}
for m, k, n in [(256, 256, 256), (1, 1, 1), (3, 5, 7), (65, 129, 63), (130, 17, 257),
                (1, 300, 1), (100, 1, 100)]:
    a, b = matrix(rng, m, k), matrix(rng, k, n)
    got = await (gpu.array(a) @ gpu.array(b)).tolist()
    report[f"{m}x{k}x{n}"] = matmul_error(got, a, b)
ints_a = [[rng.randrange(-50, 50) for _ in range(45)] for _ in range(67)]
ints_b = [[rng.randrange(-50, 50) for _ in range(71)] for _ in range(45)]
got = await gpu.matmul(gpu.array(ints_a, "int32"), gpu.array(ints_b, "int32")).tolist()
report["int32 67x45x71"] = {"ok": got == matmul(ints_a, ints_b)}
print(json.dumps(report))
"""

ELEMENTWISE = """
import array, operator
rng = random.Random(12)
n = 70001  # more than one workgroup, not a multiple of 256
x = [f32(rng.uniform(-4, 4)) for _ in range(n)]
y = [f32(rng.choice([-1, 1]) * rng.uniform(0.25, 4)) for _ in range(n)]  # divisors
a, b = gpu.array(x), gpu.array(array.array("f", y))
ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
report = {}
for name, op in ops.items():
    cases = {
        f"a {name} b": (op(a, b), [op(p, q) for p, q in zip(x, y)]),
        f"a {name} 2.5": (op(a, 2.5), [op(p, 2.5) for p in x]),
        f"3 {name} a": (op(3, a), [op(3, p) for p in x]),
    }
    for label, (result, want) in cases.items():
        got = await result.read()
        # + - * are exact in float32 (rounded once); WGSL's division is within 2.5 ULP
        worst = max(ulps_apart(g, f32(w)) for g, w in zip(got, want))
        report[label] = {"ok": worst <= (3 if name == "/" else 0), "ulps": worst}
got = await (-a * 0.5).read()
report["-a * 0.5"] = {"ok": list(got) == [f32(-p * 0.5) for p in x]}
ints = [rng.randrange(-1000, 1000) for _ in range(5000)]
i = gpu.array(ints, dtype="int32")
report["int32 i * 3 - i"] = {"ok": await (i * 3 - i).tolist() == [v * 2 for v in ints]}
for label, data, want in [
    ("from bytes", array.array("f", [1.5, -2.0, 3.25, 4.0]).tobytes(), [1.5, -2.0, 3.25, 4.0]),
    ("from a memoryview", memoryview(array.array("i", [7, 8, 9])), [7, 8, 9]),
]:
    report[label] = {"ok": await gpu.array(data).tolist() == want}
shaped = gpu.array(memoryview(array.array("f", range(6))).cast("B").cast("f", (2, 3)))
report["memoryview shape"] = {"ok": shaped.shape == (2, 3)
                              and await shaped.tolist() == [[0, 1, 2], [3, 4, 5]]}
print(json.dumps(report))
"""

REDUCTIONS = """
rng = random.Random(13)
report = {}
for n in (1, 255, 256, 257, 100_000, 1_000_003):
    x = [f32(rng.uniform(-1, 1)) for _ in range(n)]
    a = gpu.array(x)
    report[f"sum {n}"] = sum_error(await a.sum().item(), x)
    report[f"max {n}"] = {"ok": await a.max().item() == max(x)}
    report[f"min {n}"] = {"ok": await a.min().item() == min(x)}
ints = [rng.randrange(-10**6, 10**6) for _ in range(100_000)]
i = gpu.array(ints, dtype="int32")
report["int32 sum max min"] = {"ok": [await i.sum().item(), await i.max().item(),
                                      await i.min().item()] == [sum(ints), max(ints), min(ints)]}
report["sum of nothing"] = {"ok": await gpu.zeros(0).sum().item() == 0}
print(json.dumps(report))
"""


async def test_matmul_elementwise_and_reductions_match_python(gpu_page, served_project):
    client, nb, ids = await run_cells(
        served_project, "gpu.ipynb", SETUP, MATMULS, ELEMENTWISE, REDUCTIONS
    )
    for cell in ids[1:]:
        report = last_json(nb, cell)
        assert report
        assert all(r["ok"] for r in report.values()), report
    await client.close()


SAXPY = """
shader = '''
override SCALE: f32 = 1.0;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> count: array<u32>;
@compute @workgroup_size(64)
fn saxpy(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < count[0]) {
    y[id.x] = SCALE * x[id.x] + y[id.x];
  }
}
'''
n = 1000
x = gpu.array([float(i) for i in range(n)])
y = gpu.array([1.0] * n)
count = gpu.array([n], dtype="int32")  # the same 4 bytes as a u32
await gpu.run(shader, [x, y, count], workgroups=(n + 63) // 64, entry_point="saxpy",
              constants={"SCALE": 2.0})
print(json.dumps({"ok": await y.tolist() == [2.0 * i + 1 for i in range(n)]}))
"""

BROKEN_SHADER = """
try:
    await gpu.run("@compute @workgroup_size(1)\\nfn main() {\\n  let v = undefined_name;\\n}",
                  [], workgroups=1)
except gpu.WGSLError as error:
    print(json.dumps({"ok": "line 3" in str(error) and "undefined_name" in str(error),
                      "message": str(error)}))
"""

UNUSED_BINDING = """
try:
    await gpu.run("@compute @workgroup_size(1) fn main() {}", [gpu.zeros(4)], workgroups=1)
except gpu.GPUError as error:
    print(json.dumps({"ok": "WebGPU" in str(error), "message": str(error)}))
"""


async def test_a_users_wgsl_shader_runs_and_its_errors_are_clear(gpu_page, served_project):
    client, nb, ids = await run_cells(
        served_project, "wgsl.ipynb", SETUP, SAXPY, BROKEN_SHADER, UNUSED_BINDING
    )
    for cell in ids[1:]:
        assert last_json(nb, cell)["ok"], text(nb, cell)
    await client.close()


FACTS = """
info = gpu.adapter_info()
c = gpu.array([[1, 2], [3, 4]]) @ gpu.array([[5, 6], [7, 8]])
try:
    sync = c.tolist_sync()
except RuntimeError as error:
    sync = f"RuntimeError: {error}"
print(json.dumps({"available": gpu.available(), "info": info, "summary": gpu.summary(),
                  "sync": sync, "awaited": await c.tolist()}))
"""


async def test_the_page_and_presence_say_which_gpu(gpu_page, served_project):
    client, nb, ids = await run_cells(served_project, "facts.ipynb", SETUP, FACTS)
    facts = last_json(nb, ids[1])
    assert facts["available"] is True
    assert facts["info"]["architecture"] == "swiftshader"  # the adapter on these machines
    assert facts["info"]["fallback"] is True
    assert facts["info"]["limits"]["maxStorageBufferBindingSize"] >= 128 << 20
    assert facts["awaited"] == [[19.0, 22.0], [43.0, 50.0]]
    # Reading without await needs JSPI in this kernel (a kernel restored from a memory
    # snapshot made without JSPI has none): either it works, or the kernel says why not
    # and await still works.
    if facts["summary"]["sync_reads"]:
        assert facts["sync"] == facts["awaited"]
    else:
        assert facts["summary"]["sync_reads_why"]
        assert facts["sync"].startswith("RuntimeError: cannot wait for the GPU without await")
    gpu = nb.presence["gpu"]  # what collaborators see of the runner's kernel
    assert gpu["available"] is True
    assert (gpu["vendor"], gpu["architecture"]) == ("google", "swiftshader")
    status = await gpu_page.status()
    assert status["features"]["gpu"]["on"] is True
    shown = await in_browser(
        gpu_page.driver.execute_script, "return document.getElementById('features').textContent"
    )
    assert "GPU (WebGPU): google swiftshader, a software (fallback) adapter" in shown
    await client.close()


NO_GPU = """
from cocalc_compute_wasm import gpu
print(gpu.available())
print(gpu.why_not())
gpu.array([1.0, 2.0])
"""


async def test_without_an_adapter_a_clear_error_and_the_kernel_lives_on(
    compute_page, served_project
):
    # the plain fixture's Chromium runs without --enable-unsafe-webgpu: no adapter
    client, nb, ids = await run_cells(served_project, "nogpu.ipynb", NO_GPU, "6 * 7")
    printed = text(nb, ids[0])
    assert printed.startswith("False\n")
    assert "requestAdapter() returned null" in printed
    (error,) = [o for o in outputs(nb, ids[0]) if o["output_type"] == "error"]
    assert error["ename"] == "GPUUnavailable"
    assert "no GPU in this kernel: the browser has WebGPU but gave no adapter" in error["evalue"]
    assert outputs(nb, ids[1])[0]["data"] == {"text/plain": "42"}  # still usable
    assert nb.presence["gpu"]["available"] is False
    feature = (await compute_page.status())["features"]["gpu"]
    assert feature["on"] is False
    assert "requestAdapter() returned null" in feature["why"]
    await client.close()


def forget_snapshots(root):
    info = json.loads((root / "build-info.json").read_text())
    del info["snapshots"]
    (root / "build-info.json").write_text(json.dumps(info))


def readme_example() -> str:
    """The README's notebook example (it reads without await: it needs JSPI)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## The GPU from notebook cells (WebGPU)", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


async def test_results_are_read_without_await_where_jspi_works(
    serve_project, changed_dist, webgpu_chromium
):
    served = await serve_project(other=changed_dist(forget_snapshots))
    page = await open_compute_page(webgpu_chromium, served.page_url(), served.api_key)
    assert page.boot.result["kernel"]["snapshot"] is None  # booted the normal way
    values = "print(json.dumps([await c.tolist(), await c.sum().item(), await x.tolist()]))"
    client, nb, ids = await run_cells(served, "sync.ipynb", SETUP, FACTS, readme_example(), values)
    facts = last_json(nb, ids[1])
    assert facts["summary"]["sync_reads"] is True, facts["summary"]
    assert facts["sync"] == facts["awaited"] == [[19.0, 22.0], [43.0, 50.0]]
    assert not [o for o in outputs(nb, ids[2]) if o["output_type"] == "error"]
    # what the README's comments say
    assert json.loads(text(nb, ids[3])) == [[[3.0, 4.5], [5.0, 8.5]], 21.0, [1.0, 4.0, 9.0]]
    await client.close()
