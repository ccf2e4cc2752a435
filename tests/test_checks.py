"""seqnlp.checks: every conversion gives plain built-in values, whatever object a student returns."""

from __future__ import annotations

import json
from collections import Counter, OrderedDict

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from seqnlp.checks import (
    NotPlain,
    as_array,
    as_bool,
    as_float,
    as_float_list,
    as_int,
    as_int_list,
    as_json,
    as_plain,
    as_sparse,
    as_str,
    as_str_list,
    dtype_of,
)


class Always:
    """Equal to, smaller and greater than everything; every operator gives another Always."""

    def __eq__(self, other):
        return True

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __sub__(self, other):
        return self

    __rsub__ = __add__ = __radd__ = __mul__ = __pow__ = __truediv__ = __abs__ = __neg__ = __sub__

    def __bool__(self):
        return True

    def __hash__(self):
        return 0

    def __float__(self):
        return 0.0

    def __index__(self):
        return 0

    def __len__(self):
        return 3

    def __iter__(self):
        return iter([Always(), Always(), Always()])


class FakeFloatClass(Always):
    """Claims to be a float through ``__class__``."""

    @property
    def __class__(self):
        return float


class LyingFloat(float):
    def __eq__(self, other):
        return True

    __ne__ = __lt__ = __gt__ = __eq__

    def __sub__(self, other):
        return LyingFloat(0.0)

    def __float__(self):
        return 42.0

    __hash__ = float.__hash__


class LyingInt(int):
    def __eq__(self, other):
        return True

    def __index__(self):
        return 99

    def __int__(self):
        return 99

    __hash__ = int.__hash__


class LyingStr(str):
    def __eq__(self, other):
        return True

    def __str__(self):
        return "something else"

    __hash__ = str.__hash__


class LyingList(list):
    def __eq__(self, other):
        return True

    __ne__ = __eq__


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __sub__(self, other):
        return np.zeros(np.shape(other))

    def tolist(self):
        return [1.0, 2.0, 3.0]

    def view(self, *args, **kwargs):
        return np.array([1.0, 2.0, 3.0])


class LyingTensor(torch.Tensor):
    def __eq__(self, other):
        return torch.ones(3, dtype=torch.bool)

    def tolist(self):
        return [0.0, 0.0, 0.0]


def is_exactly(value, kind) -> bool:
    return type(value) is kind


# --------------------------------------------------------------------------- as_array


def test_as_array_gives_a_base_float64_array():
    got = as_array([[1, 2], [3, 4]], shape=(2, 2))
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    got = as_array(np.arange(3, dtype=np.int32), dtype=np.int64)
    assert type(got) is np.ndarray and got.dtype == np.int64


def test_as_array_reads_an_ndarray_subclass_by_the_base_class():
    fake = np.array([7.0, 8.0, 9.0]).view(LyingArray)
    got = as_array(fake, shape=(3,))
    assert type(got) is np.ndarray and got.tolist() == [7.0, 8.0, 9.0]
    assert not ((got - np.array([1.0, 2.0, 3.0])) ** 2).max() < 1e-12


def test_as_array_rebuilds_numbers_from_lying_subclasses():
    got = as_array([LyingFloat(1.5), LyingInt(2)])
    assert got.tolist() == [1.5, 2.0]


def test_as_array_rejects_objects_that_fake_numbers():
    for fake in (Always(), [Always()], FakeFloatClass(), "1.0", [[1.0], [2.0, 3.0]], {"a": 1}):
        with pytest.raises(NotPlain):
            as_array(fake)


def test_as_array_checks_the_shape_and_keeps_empty_shapes():
    with pytest.raises(NotPlain, match="expected shape"):
        as_array(np.zeros((2, 3)), shape=(3, 2))
    assert as_array(np.zeros((0, 0), dtype=np.int32)).shape == (0, 0)
    assert as_array(np.zeros((4, 0))).shape == (4, 0)
    assert as_array(torch.zeros(0, 5)).shape == (0, 5)


def test_as_array_reads_tensors_and_lying_tensors_by_value():
    got = as_array(torch.tensor([[1.0, 2.0]], requires_grad=True) * 2, shape=(1, 2))
    assert type(got) is np.ndarray and got.tolist() == [[2.0, 4.0]]
    fake = torch.tensor([1.0, 2.0, 3.0]).as_subclass(LyingTensor)
    got = as_array(fake)
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.shape == (3,)
    assert as_array(torch.tensor([True, False])).tolist() == [1.0, 0.0]


# --------------------------------------------------------------------------- scalars


def test_as_float():
    assert is_exactly(as_float(np.float32(0.5)), float) and as_float(np.float32(0.5)) == 0.5
    assert is_exactly(as_float(LyingFloat(1.25)), float) and as_float(LyingFloat(1.25)) == 1.25
    assert as_float(np.array([3.0])) == 3.0 and as_float(torch.tensor(2.5)) == 2.5 and as_float(7) == 7.0
    for bad in (True, np.bool_(False), "1.0", Always(), FakeFloatClass(), np.zeros(2), None):
        with pytest.raises(NotPlain):
            as_float(bad)


def test_as_int():
    assert is_exactly(as_int(LyingInt(3)), int) and as_int(LyingInt(3)) == 3
    assert as_int(np.int64(4)) == 4 and as_int(5.0) == 5 and as_int(torch.tensor(6)) == 6
    for bad in (2.5, True, float("nan"), Always(), "3"):
        with pytest.raises(NotPlain):
            as_int(bad)


def test_as_bool():
    assert as_bool(True) is True and as_bool(np.bool_(False)) is False and as_bool(torch.tensor(True)) is True
    for bad in (1, 0.0, Always(), "True", [True]):
        with pytest.raises(NotPlain):
            as_bool(bad)


def test_as_str():
    got = as_str(LyingStr("abc"))
    assert is_exactly(got, str) and got == "abc" and got != "abd"
    for bad in (Always(), b"abc", 3, None):
        with pytest.raises(NotPlain):
            as_str(bad)


# --------------------------------------------------------------------------- lists


def test_as_str_list():
    got = as_str_list(LyingList([LyingStr("a"), "b"]))
    assert is_exactly(got, list) and all(is_exactly(s, str) for s in got) and got == ["a", "b"] and got != ["a", "c"]
    assert as_str_list(("x", "y")) == ["x", "y"] and as_str_list(np.array(["u"])) == ["u"]
    for bad in ("ab", [Always()], Always(), [1]):
        with pytest.raises(NotPlain):
            as_str_list(bad)


def test_as_int_list_and_as_float_list():
    got = as_int_list(np.array([1, 2], dtype=np.int32))
    assert is_exactly(got, list) and all(is_exactly(i, int) for i in got) and got == [1, 2]
    assert as_int_list([LyingInt(5)]) == [5]
    got = as_float_list((np.float32(0.5), LyingFloat(2.0)))
    assert all(is_exactly(f, float) for f in got) and got == [0.5, 2.0]
    for bad in ([Always()], Always(), [1.5]):
        with pytest.raises(NotPlain):
            as_int_list(bad)
    with pytest.raises(NotPlain):
        as_float_list([FakeFloatClass()])


# --------------------------------------------------------------------------- nested values


def test_as_plain_rebuilds_nested_values():
    value = Counter({("a", LyingStr("b")): np.int64(2)})
    got = as_plain(value)
    assert is_exactly(got, dict) and got == {("a", "b"): 2}
    key = next(iter(got))
    assert is_exactly(key, tuple) and all(is_exactly(k, str) for k in key)
    got = as_plain(OrderedDict([("z", [1, np.float64(2.5), None, (True, "s")]), ("a", np.arange(2))]))
    assert list(got) == ["z", "a"] and got == {"z": [1, 2.5, None, (True, "s")], "a": [0, 1]}
    assert is_exactly(got["z"][3][0], bool)


def test_as_plain_rejects_fakes():
    for bad in (Always(), [Always()], {"a": Always()}, {Always(): 1}, FakeFloatClass(), object()):
        with pytest.raises(NotPlain):
            as_plain(bad)
    got = as_plain(LyingList([1, 2]))
    assert is_exactly(got, list) and got != [1, 3]


def test_as_json():
    got = as_json({"a": (1, 2), "b": np.float32(0.5)})
    assert got == {"a": [1, 2], "b": 0.5} and json.dumps(got)
    with pytest.raises(NotPlain):
        as_json({(1, 2): 3})


# --------------------------------------------------------------------------- dtypes and sparse matrices


def test_dtype_of():
    assert dtype_of(np.zeros(2, dtype=np.float32)) == "float32"
    assert dtype_of(np.zeros(2, dtype=np.int32).view(LyingArray)) == "int32"
    assert dtype_of(torch.zeros(2, dtype=torch.float64)) == "torch.float64"
    for bad in ([1.0], 1.0, Always(), torch.zeros(2).as_subclass(LyingTensor)):
        with pytest.raises(NotPlain):
            dtype_of(bad)


def test_as_sparse_reads_every_format_from_its_stored_entries():
    dense = np.array([[0, 2, 0], [1, 0, 3]])
    for matrix in (sp.csr_matrix(dense), sp.csc_matrix(dense), sp.coo_matrix(dense), sp.lil_matrix(dense),
                   sp.csr_array(dense)):
        got = as_sparse(matrix, shape=(2, 3))
        assert got["shape"] == (2, 3) and got["nnz"] == 3 and got["dtype"] == dense.dtype.name
        assert type(got["dense"]) is np.ndarray and got["dense"].tolist() == dense.tolist()
        assert sorted(zip(got["rows"].tolist(), got["cols"].tolist(), strict=True)) == [(0, 1), (1, 0), (1, 2)]
    assert as_sparse(sp.csr_matrix(dense))["format"] == "csr" and as_sparse(sp.csc_matrix(dense))["format"] == "csc"


def test_as_sparse_counts_stored_zeros_and_rejects_fakes():
    Z = sp.csr_matrix((np.array([0, 5]), np.array([0, 1]), np.array([0, 2, 2])), shape=(2, 3))
    got = as_sparse(Z)
    assert got["nnz"] == 2 and got["dense"].tolist() == [[0, 5, 0], [0, 0, 0]]

    class LyingCSR(sp.csr_matrix):
        def __eq__(self, other):
            return True

    with pytest.raises(NotPlain):
        as_sparse(LyingCSR(np.eye(2)))
    tampered = sp.csr_matrix(np.eye(2))
    tampered.data = [Always(), Always()]
    with pytest.raises(NotPlain):
        as_sparse(tampered)
    for bad in (np.eye(2), Always(), [[1, 0]]):
        with pytest.raises(NotPlain):
            as_sparse(bad)
    with pytest.raises(NotPlain, match="expected shape"):
        as_sparse(sp.csr_matrix(np.eye(2)), shape=(3, 3))


def test_not_plain_is_an_assertion_error():
    assert issubclass(NotPlain, AssertionError)
