"""GPU arrays' host side (sans-IO): Python values packed into buffer bytes and back."""

import array
import struct

import pytest

from cocalc_compute_wasm.gpu.data import (
    FLOAT32,
    INT32,
    matmul_dims,
    pack,
    reshaped,
    same_shape,
    unflatten,
)


def test_nested_lists_give_their_shape_and_float32_values():
    values, shape, dtype = pack([[1, 2.5, 3], [4, 5, 6]])
    assert (shape, dtype) == ((2, 3), FLOAT32)
    assert values.typecode == "f"
    assert values.tolist() == [1.0, 2.5, 3.0, 4.0, 5.0, 6.0]
    assert unflatten(values, shape) == [[1, 2.5, 3], [4, 5, 6]]


def test_float32_rounding_is_applied_once_as_the_gpu_holds_it():
    values, _, _ = pack([0.1])
    assert values[0] == struct.unpack("<f", struct.pack("<f", 0.1))[0] != 0.1


@pytest.mark.parametrize(
    ("value", "shape"),
    [(3.0, ()), ([], (0,)), ((1, 2), (2,)), ([[[1], [2]], [[3], [4]]], (2, 2, 1))],
)
def test_shapes_of_numbers_tuples_and_deep_nesting(value, shape):
    assert pack(value)[1] == shape


def test_ragged_lists_are_refused_with_both_shapes():
    with pytest.raises(ValueError, match=r"ragged.*\(2,\) and \(1,\)"):
        pack([[1, 2], [3]])


def test_int32_takes_ints_that_fit():
    values, shape, dtype = pack([[1, -2], [3, 4]], dtype="int32")
    assert (values.tolist(), shape, dtype) == ([1, -2, 3, 4], (2, 2), INT32)
    with pytest.raises(TypeError, match="int32 arrays hold ints"):
        pack([1.5], dtype="int32")
    with pytest.raises(OverflowError, match="does not fit in int32"):
        pack([2**31], dtype="int32")


def test_unknown_dtype_and_values_are_refused_clearly():
    with pytest.raises(TypeError, match="dtype must be one of 'float32', 'int32'"):
        pack([1], dtype="float64")
    with pytest.raises(TypeError, match=r"gpu\.array takes a number"):
        pack("text")
    with pytest.raises(TypeError, match="expected a number"):
        pack([[1, "2"]])


def test_bytes_are_raw_little_endian_elements():
    raw = struct.pack("<3f", 1.5, -2.0, 8.0)
    assert pack(raw)[0].tolist() == [1.5, -2.0, 8.0]
    assert pack(bytearray(raw), shape=(3, 1))[1] == (3, 1)
    assert pack(memoryview(raw))[0].tolist() == [1.5, -2.0, 8.0]  # a view of bytes too
    assert pack(struct.pack("<2i", 7, -7), dtype="int32")[0].tolist() == [7, -7]
    with pytest.raises(ValueError, match="5 bytes are not a whole number of float32"):
        pack(b"12345")


def test_buffers_keep_their_shape_and_say_their_dtype():
    grid = memoryview(array.array("f", range(6))).cast("B").cast("f", (2, 3))
    values, shape, dtype = pack(grid)
    assert (shape, dtype, values.tolist()) == ((2, 3), FLOAT32, [0, 1, 2, 3, 4, 5])
    assert pack(array.array("i", [1, 2]))[2] == INT32
    doubles = pack(array.array("d", [0.5, 1e40]))  # converted (1e40 is beyond float32)
    assert doubles[2] == FLOAT32
    assert doubles[0][0] == 0.5
    assert doubles[0][1] == float("inf")
    assert pack(array.array("q", [5, 6]))[0].tolist() == [5, 6]
    assert pack(memoryview(array.array("f", [1, 2, 3, 4]))[::2])[0].tolist() == [1, 3]


def test_reshape_checks_the_count_and_fills_in_minus_one():
    assert reshaped((2, 6), (3, -1)) == (3, 4)
    assert reshaped((4,), 4) == (4,)
    with pytest.raises(ValueError, match="cannot reshape 12 elements"):
        reshaped((2, 6), (5, -1))
    with pytest.raises(ValueError, match="cannot reshape 4 elements"):
        reshaped((4,), (3,))


def test_elementwise_needs_equal_shapes_and_matmul_fitting_ones():
    assert same_shape((2, 3), (2, 3)) == (2, 3)
    with pytest.raises(ValueError, match="no broadcasting"):
        same_shape((2, 3), (3,))
    assert matmul_dims((2, 3), (3, 5)) == (2, 3, 5)
    with pytest.raises(ValueError, match=r"do not fit \(3 != 4\)"):
        matmul_dims((2, 3), (4, 5))
    with pytest.raises(ValueError, match="2-D"):
        matmul_dims((3,), (3, 1))
