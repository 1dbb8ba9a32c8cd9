"""Which wheels fit the browser kernel (Pyodide 314: CPython 3.14, ABI 2026_0)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.markers import Marker

from cocalc_compute_wasm.wheelhouse.tags import best_fit, browser_environment, fit_rank

FIT = [
    "six-1.17.0-py2.py3-none-any.whl",
    "idna-3.20-py3-none-any.whl",
    "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
    "cryptography-46.0-cp311-abi3-pyemscripten_2026_0_wasm32.whl",
    "lib-1.0-cp314-none-any.whl",
]
UNFIT = [
    "numpy-2.4.6-cp314-cp314-manylinux_2_28_x86_64.whl",
    "msgpack-1.2.4-cp313-cp313-pyemscripten_2026_0_wasm32.whl",  # another Python
    "msgpack-1.1.0-cp312-cp312-pyodide_2024_0_wasm32.whl",  # another ABI
    "pure-1.0-py2-none-any.whl",
    "future-1.0-cp315-cp315-pyemscripten_2026_0_wasm32.whl",
    "not a wheel.zip",
    "msgpack-1.2.4.tar.gz",
]


@pytest.mark.parametrize("filename", FIT)
def test_browser_ready_wheels_fit(filename):
    assert fit_rank(filename) is not None


@pytest.mark.parametrize("filename", UNFIT)
def test_other_wheels_do_not(filename):
    assert fit_rank(filename) is None


def test_a_wheel_built_for_pyodide_beats_a_pure_one():
    pure = "msgpack-1.2.4-py3-none-any.whl"
    built = "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
    assert best_fit([pure, built]) == built
    assert best_fit([pure, *UNFIT]) == pure
    assert best_fit(UNFIT) is None


@given(st.permutations(FIT + UNFIT))
def test_the_best_fit_does_not_depend_on_order(files):
    assert best_fit(files) == best_fit(FIT)
    assert best_fit(files) in FIT


def test_markers_are_evaluated_as_the_browser_sees_them():
    env = browser_environment()
    assert Marker('sys_platform == "emscripten"').evaluate(env)
    assert not Marker('sys_platform == "win32" or platform_system == "Linux"').evaluate(env)
    assert Marker('python_version >= "3.14"').evaluate(env)
    assert Marker('extra == "socks"').evaluate(browser_environment(extra="socks"))
