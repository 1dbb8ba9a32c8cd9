"""The GPU module in CPython (a native kernel) and what the page makes of a kernel's GPU."""

import pytest

from cocalc_compute_wasm import gpu
from cocalc_compute_wasm.browser.compute import gpu_feature


async def test_a_native_kernel_has_no_gpu_and_says_why():
    assert await gpu.attach() is False
    assert gpu.available() is False
    assert "this kernel runs in CPython" in gpu.why_not()
    with pytest.raises(gpu.GPUUnavailable, match="no GPU in this kernel: WebGPU is reached"):
        gpu.array([1.0])
    with pytest.raises(gpu.GPUUnavailable):
        await gpu.run("@compute @workgroup_size(1) fn main() {}", [], 1)
    assert gpu.summary() == {
        "available": False,
        "why": gpu.why_not(),
        "vendor": None,
        "architecture": None,
        "description": None,
        "fallback": None,
        "sync_reads": False,
        "sync_reads_why": "",
    }


SWIFTSHADER = {
    "available": True,
    "why": "",
    "vendor": "google",
    "architecture": "swiftshader",
    "description": "",
    "fallback": True,
    "sync_reads": False,
    "sync_reads_why": "no JSPI here",
}


def test_the_page_names_the_adapter_or_says_why_there_is_none():
    assert gpu_feature(None) == {"on": False, "why": "no kernel has started yet"}
    off = gpu_feature({**SWIFTSHADER, "available": False, "why": "no adapter"})
    assert off == {"on": False, "why": "no adapter"}
    on = gpu_feature(SWIFTSHADER)
    assert on["on"] is True
    assert on["detail"] == (
        "google swiftshader, a software (fallback) adapter, on the CPU;"
        " results read with await (not without: no JSPI here)"
    )
    real = gpu_feature({**SWIFTSHADER, "vendor": "nvidia", "architecture": "hopper",
                        "fallback": False, "sync_reads": True})  # fmt: skip
    assert real["detail"] == (
        "nvidia hopper, a hardware adapter; results read with await, or without it (JSPI)"
    )
