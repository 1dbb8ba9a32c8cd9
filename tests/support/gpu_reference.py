"""Pure-Python references for GPU results, within float32's error bounds.

The browser tests send this module's source into the kernel as a cell, so that the
same references judge the GPU there; the bounds are the classic ones for a sum of n
float32 terms in any order: |error| <= n u sum|terms|, u = 2**-24 (doubled for margin).
"""

from __future__ import annotations

import array
import operator
import random

U = 2.0**-24


def f32(x: float) -> float:
    """x rounded to float32."""
    return array.array("f", [x])[0]


def matrix(rng: random.Random, rows: int, cols: int) -> list[list[float]]:
    """Random float32 values in [-1, 1)."""
    return [[f32(rng.uniform(-1, 1)) for _ in range(cols)] for _ in range(rows)]


def matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    columns = list(zip(*b, strict=True)) if b else []
    return [[sum(map(operator.mul, row, col)) for col in columns] for row in a]


def matmul_error(got: list[list[float]], a: list[list[float]], b: list[list[float]]) -> dict:
    """The largest error of `got` against the exact product, and whether every element
    is within its bound."""
    want = matmul(a, b)
    scale = matmul([[abs(x) for x in row] for row in a], [[abs(x) for x in row] for row in b])
    k = len(b)
    ok, worst = True, 0.0
    for got_row, want_row, scale_row in zip(got, want, scale, strict=True):
        for g, w, s in zip(got_row, want_row, scale_row, strict=True):
            worst = max(worst, abs(g - w))
            ok = ok and abs(g - w) <= 2 * k * U * s
    return {"ok": ok and len(got) == len(a), "max_error": worst}


def sum_error(got: float, values: list[float]) -> dict:
    bound = 2 * len(values) * U * sum(map(abs, values))
    return {"ok": abs(got - sum(values)) <= bound, "error": abs(got - sum(values))}


def ulps_apart(x: float, y: float) -> int:
    """How many float32 steps lie between x and y (both float32)."""

    def ordered(v: float) -> int:
        (bits,) = array.array("i", array.array("f", [v]).tobytes())
        return bits if bits >= 0 else -(bits & 0x7FFFFFFF)

    return abs(ordered(x) - ordered(y))
