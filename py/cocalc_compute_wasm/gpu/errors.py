"""What can go wrong with the GPU, as exceptions a notebook user can tell apart."""

from __future__ import annotations


class GPUUnavailable(RuntimeError):
    """This kernel has no GPU; the message says why (and the kernel is fine otherwise)."""


class GPUError(RuntimeError):
    """WebGPU refused or failed some work: validation, out of memory, a lost device."""


class WGSLError(GPUError):
    """A shader did not compile; the message gives each error with its line and column."""
