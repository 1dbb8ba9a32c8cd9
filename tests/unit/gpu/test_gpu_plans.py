"""What each GPU operation asks of the GPU (sans-IO plans), and the shaders it names."""

import re
import struct
from importlib import resources

import pytest

from cocalc_compute_wasm.gpu import plans, shaders
from cocalc_compute_wasm.gpu.data import FLOAT32, INT32
from cocalc_compute_wasm.gpu.plans import Input, Output, Scratch


def test_elementwise_covers_any_length_with_at_most_65535_workgroups():
    plan = plans.binary("mul", FLOAT32, (3, 100))
    (step,) = plan.steps
    assert (plan.shape, step.shader, step.entry) == ((3, 100), "elementwise", "binary")
    assert step.constants == (("OP", plans.BINARY_OPS["mul"]),)
    assert step.bindings == ((0, Input(0)), (1, Input(1)), (2, Output()))
    assert step.workgroups == (2, 1, 1)
    assert struct.unpack("<IIfI", step.params) == (300, 0, 0.0, 0)
    huge = plans.binary("add", FLOAT32, (20_000_000,))
    assert huge.steps[0].workgroups == (65535, 1, 1)  # each invocation strides on
    assert plans.binary("add", FLOAT32, (0,)).steps == ()


def test_a_scalar_travels_in_the_uniforms_in_the_arrays_dtype():
    (step,) = plans.scalar("sub", INT32, (5,), 7, swap=True).steps
    assert step.entry == "scalar"
    assert struct.unpack("<IIiI", step.params) == (5, 1, 7, 0)
    assert dict(step.bindings) == {0: Input(0), 2: Output()}
    with pytest.raises(TypeError, match="int32 arrays combine with ints only"):
        plans.scalar("add", INT32, (5,), 0.5)
    with pytest.raises(OverflowError, match="does not fit in int32"):
        plans.scalar("add", INT32, (5,), 2**40)


def test_int32_has_no_division():
    with pytest.raises(TypeError, match="no division"):
        plans.binary("div", INT32, (4,))
    with pytest.raises(TypeError, match="no division"):
        plans.scalar("div", INT32, (4,), 2)


def test_reductions_fold_in_one_pass_or_two():
    (one,) = plans.reduce("max", FLOAT32, 256).steps
    assert one.bindings == ((0, Input(0)), (1, Output()))
    assert one.workgroups == (1, 1, 1)
    two = plans.reduce("sum", FLOAT32, 1_000_000)
    first, second = two.steps
    assert two.scratch == (plans.REDUCE_GROUPS,)
    assert first.bindings == ((0, Input(0)), (1, Scratch(0)))
    assert first.workgroups == (plans.REDUCE_GROUPS, 1, 1)
    assert second.bindings == ((0, Scratch(0)), (1, Output()))
    assert struct.unpack("<4I", second.params)[0] == plans.REDUCE_GROUPS
    assert two.shape == ()


def test_reducing_nothing_is_zero_for_sum_and_an_error_for_max():
    assert plans.reduce("sum", INT32, 0).steps == ()  # the zeroed output is the answer
    with pytest.raises(ValueError, match=r"min\(\) of an empty array"):
        plans.reduce("min", FLOAT32, 0)


def test_matmul_tiles_the_product_in_64_by_64_workgroups():
    plan = plans.matmul(FLOAT32, 130, 17, 257)
    (step,) = plan.steps
    assert plan.shape == (130, 257)
    assert step.workgroups == (5, 3, 1)  # ceil(257 / 64) columns, ceil(130 / 64) rows
    assert struct.unpack("<4I", step.params) == (130, 257, 17, 0)
    assert plans.matmul(FLOAT32, 0, 3, 4).steps == ()


def test_every_shader_ships_and_is_the_same_source_for_both_dtypes():
    shipped = resources.files("cocalc_compute_wasm.gpu").joinpath("shaders")
    names = sorted(p.name.removesuffix(".wgsl") for p in shipped.iterdir())
    assert names == sorted(shaders.SHADERS)
    for name in shaders.SHADERS:
        f32, i32 = shaders.source(name, FLOAT32), shaders.source(name, INT32)
        assert "alias T = f32;" in f32
        assert i32 == f32.replace("alias T = f32;", "alias T = i32;")


def test_plans_name_entry_points_and_constants_the_shaders_declare():
    steps = [
        *plans.binary("add", FLOAT32, (4,)).steps,
        *plans.scalar("add", FLOAT32, (4,), 1.0).steps,
        *plans.reduce("sum", FLOAT32, 10**6).steps,
        *plans.matmul(FLOAT32, 2, 2, 2).steps,
    ]
    for step in steps:
        source = shaders.source(step.shader, FLOAT32)
        assert re.search(rf"fn {step.entry}\(", source), step
        for name, _ in step.constants:
            assert f"override {name}:" in source
        declared = {int(b) for b in re.findall(r"@binding\((\d+)\)", source)}
        assert {b for b, _ in step.bindings} | {step.params_binding} <= declared
