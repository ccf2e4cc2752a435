"""Plain values for test cells: turn a student's result into built-in types before comparing.

A student's function can return an object that equals everything (``__eq__``,
``__lt__``, ``__abs__``, ``__sub__`` ... all say "yes"), so a test must never
compare the raw result. Each function here rebuilds the value with trusted
code into a plain built-in type (``float``, ``int``, ``str``, ``bool``, a
``list``/``dict``/``tuple`` of those, or a base-class ``numpy.ndarray`` of
``float64``/``int64``) and raises :class:`NotPlain` (an ``AssertionError``,
so the test cell fails with a readable message) when that is not possible.

Use them inside the test cell, importing them there (a name bound in an
earlier cell can be rebound by the student)::

    from seqnlp.checks import as_array, as_float, as_str_list
    got = as_array(softmax(z), shape=(3,))
    assert ((got - want) ** 2).max() < 1e-12, "softmax: ..."

The grader restores this module's functions before every test cell, so a
student cannot replace them either. The module imports only the standard
library and NumPy; PyTorch and TensorFlow values are read through the
modules already imported (``sys.modules``), never imported here.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "NotPlain",
    "as_array",
    "as_bool",
    "as_float",
    "as_int",
    "as_json",
    "as_str",
    "as_str_list",
    "as_int_list",
    "as_float_list",
    "as_plain",
    "as_sparse",
    "dtype_of",
]



def _is(value: Any, kinds: Any) -> bool:
    """``isinstance`` by the real type: an object can fake ``__class__`` but not ``type()``."""
    return issubclass(type(value), kinds)


class NotPlain(AssertionError):
    """A result could not be turned into the plain value the test expects."""


def _name(value: Any) -> str:
    return type(value).__name__


def _tensor_to_numpy(value: Any) -> np.ndarray | None:
    """A ``torch.Tensor`` or TensorFlow tensor as a NumPy array, through the library's own classes."""
    torch = sys.modules.get("torch")
    if torch is not None and _is(value, torch.Tensor):
        base = torch.Tensor
        t = base.detach(value)
        t = base.cpu(t)
        if base.is_complex(t):
            raise NotPlain(f"expected real numbers, got a complex tensor of dtype {t.dtype}")
        dims = tuple(int(n) for n in base.size(t))
        if t.dtype == torch.bool:
            out = np.array(base.tolist(t), dtype=np.int64)
        else:
            out = np.array(base.tolist(base.double(t)), dtype=np.float64)
        if out.size == 0 and math.prod(dims) == 0:
            out = out.reshape(dims)  # tolist() loses the shape of an empty tensor
        return out
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(value, "numpy") and _is(value, (tf.Tensor, tf.Variable)):
        return np.array(value.numpy().tolist(), dtype=np.float64)
    return None


def as_array(value: Any, shape: tuple[int, ...] | None = None, dtype: Any = np.float64, name: str = "result"
             ) -> np.ndarray:
    """``value`` as a new base-class ``numpy.ndarray`` of ``dtype`` (float64 by default).

    Accepts NumPy arrays, PyTorch/TensorFlow tensors, numbers and (nested) lists
    or tuples of numbers. With ``shape`` the shape must match exactly.
    """
    tensor = _tensor_to_numpy(value)
    source = tensor if tensor is not None else value
    dims = None
    if _is(source, np.ndarray):
        base = np.ndarray.view(source, np.ndarray)
        dims = tuple(int(n) for n in base.shape)  # kept: tolist() loses the shape of an empty array
        source = np.ndarray.tolist(base)
    try:
        out = np.array(_plain_numbers(source, name), dtype=dtype)
        if dims is not None and out.size == 0 and out.shape != dims and math.prod(dims) == 0:
            out = out.reshape(dims)
    except (TypeError, ValueError, OverflowError) as err:
        raise NotPlain(f"{name}: expected numbers (an array, tensor or list), got {_name(value)} ({err})") from None
    out = out.view(np.ndarray)
    if out.dtype == object:
        raise NotPlain(f"{name}: expected numbers, got objects of type {_name(value)}")
    if shape is not None and tuple(int(n) for n in out.shape) != tuple(shape):
        raise NotPlain(f"{name}: expected shape {tuple(shape)}, got {tuple(out.shape)}")
    return out


def _plain_numbers(value: Any, name: str, depth: int = 0) -> Any:
    """Nested lists of plain ``float``/``int``/``bool``, rebuilt element by element."""
    if depth > 32:
        raise NotPlain(f"{name}: nested too deeply")
    if _is(value, (list, tuple)):
        return [_plain_numbers(v, name, depth + 1) for v in value]
    if _is(value, np.ndarray):
        return _plain_numbers(np.ndarray.tolist(value.view(np.ndarray)), name, depth + 1)
    tensor = _tensor_to_numpy(value)
    if tensor is not None:
        return _plain_numbers(np.ndarray.tolist(tensor), name, depth + 1)
    if _is(value, (bool, np.bool_)):
        return bool.__bool__(bool(value)) if _is(value, bool) else bool(np.bool_(value))
    if _is(value, (int, np.integer)):
        return int.__index__(value) if _is(value, int) else int(np.int64(value))
    if _is(value, (float, np.floating)):
        return float.__float__(value) if _is(value, float) else float(np.float64(value))
    raise NotPlain(f"{name}: expected a number, got {_name(value)}")


def as_float(value: Any, name: str = "result") -> float:
    """A plain ``float`` (from a Python/NumPy number or a one-element array/tensor)."""
    if _is(value, (bool, np.bool_)):
        raise NotPlain(f"{name}: expected a number, got a bool")
    arr = as_array(value, name=name)
    if arr.size != 1:
        raise NotPlain(f"{name}: expected one number, got shape {tuple(arr.shape)}")
    return float(arr.reshape(-1)[0])


def as_int(value: Any, name: str = "result") -> int:
    """A plain ``int``; floats must be whole numbers."""
    if _is(value, (bool, np.bool_)):
        raise NotPlain(f"{name}: expected an integer, got a bool")
    if _is(value, (int, np.integer)):
        return int.__index__(value) if _is(value, int) else int(np.int64(value))
    number = as_float(value, name)
    if not math.isfinite(number) or number != int(number):
        raise NotPlain(f"{name}: expected an integer, got {number!r}")
    return int(number)


def as_bool(value: Any, name: str = "result") -> bool:
    """A plain ``bool`` from a ``bool`` or NumPy/torch boolean (not from any truthy object)."""
    if _is(value, bool):
        return value is True
    if _is(value, np.bool_):
        return bool(value.item())
    tensor = _tensor_to_numpy(value)
    if tensor is not None and tensor.size == 1:
        return bool(tensor.reshape(-1)[0] != 0)
    raise NotPlain(f"{name}: expected True or False, got {_name(value)}")


def as_str(value: Any, name: str = "result") -> str:
    """A plain ``str`` (a copy of a ``str`` or ``str`` subclass's characters)."""
    if not _is(value, str):
        raise NotPlain(f"{name}: expected a str, got {_name(value)}")
    return str.__str__(value)[:]


def _as_list(value: Any, name: str) -> list:
    if _is(value, np.ndarray):
        value = np.ndarray.tolist(value.view(np.ndarray))
    if not _is(value, (list, tuple)):
        raise NotPlain(f"{name}: expected a list, got {_name(value)}")
    return list.copy(list(value)) if _is(value, list) else list(tuple.__iter__(value))


def as_str_list(value: Any, name: str = "result") -> list[str]:
    """A plain ``list`` of plain ``str``."""
    return [as_str(v, f"{name}[{i}]") for i, v in enumerate(_as_list(value, name))]


def as_int_list(value: Any, name: str = "result") -> list[int]:
    """A plain ``list`` of plain ``int``."""
    return [as_int(v, f"{name}[{i}]") for i, v in enumerate(_as_list(value, name))]


def as_float_list(value: Any, name: str = "result") -> list[float]:
    """A plain ``list`` of plain ``float``."""
    return [as_float(v, f"{name}[{i}]") for i, v in enumerate(_as_list(value, name))]


def as_plain(value: Any, name: str = "result", depth: int = 0) -> Any:
    """Any nesting of dicts (str/int keys), lists, tuples, strings and numbers, rebuilt as built-in types.

    Tuples stay tuples; NumPy scalars and arrays become Python numbers and lists;
    ``None`` stays ``None``. Anything else raises :class:`NotPlain`.
    """
    if depth > 32:
        raise NotPlain(f"{name}: nested too deeply")
    if value is None:
        return None
    if _is(value, (bool, np.bool_)):
        return as_bool(value, name)
    if _is(value, (int, np.integer)):
        return as_int(value, name)
    if _is(value, (float, np.floating)):
        return as_float(value, name)
    if _is(value, str):
        return as_str(value, name)
    if _is(value, Mapping):
        out = {}
        for key in list(value.keys()):
            plain_key = as_plain(key, f"{name} key", depth + 1)
            if _is(plain_key, (list, dict)):
                raise NotPlain(f"{name}: unhashable key {plain_key!r}")
            out[plain_key] = as_plain(value[key], f"{name}[{plain_key!r}]", depth + 1)
        return out
    if _is(value, tuple):
        return tuple(as_plain(v, f"{name}[{i}]", depth + 1) for i, v in enumerate(tuple.__iter__(value)))
    if _is(value, list):
        return [as_plain(v, f"{name}[{i}]", depth + 1) for i, v in enumerate(list.__iter__(value))]
    if _is(value, np.ndarray) or _tensor_to_numpy(value) is not None:
        return np.ndarray.tolist(as_array(value, name=name))
    raise NotPlain(f"{name}: expected plain data (numbers, strings, lists, dicts), got {_name(value)}")


def as_json(value: Any, name: str = "result") -> Any:
    """``value`` through a JSON round trip (after :func:`as_plain`): only JSON types come out."""
    plain = as_plain(value, name)
    try:
        return json.loads(json.dumps(plain, allow_nan=True))
    except (TypeError, ValueError) as err:
        raise NotPlain(f"{name}: cannot be written as JSON ({err})") from None


def dtype_of(value: Any, name: str = "result") -> str:
    """The element type of a NumPy array (``"float32"``) or PyTorch tensor (``"torch.float32"``) as a plain str.

    Read from the base class, so an array subclass cannot misreport it; a
    tensor must be a plain ``torch.Tensor`` (or ``nn.Parameter``).
    """
    if _is(value, np.ndarray):
        return as_str(np.ndarray.view(value, np.ndarray).dtype.name, name)
    torch = sys.modules.get("torch")
    if torch is not None and type(value) in (torch.Tensor, torch.nn.Parameter):
        return as_str(str(torch.Tensor.dtype.__get__(value)), name)
    raise NotPlain(f"{name}: expected a NumPy array or a torch.Tensor, got {_name(value)}")


_SPARSE_FORMATS = ("csr", "csc", "coo", "bsr", "lil", "dok", "dia")


def as_sparse(value: Any, shape: tuple[int, ...] | None = None, name: str = "result") -> dict[str, Any]:
    """A SciPy sparse matrix or array as plain parts, rebuilt from its stored entries.

    Returns ``{"format": "csr", "shape": (rows, cols), "dtype": "int64",
    "nnz": stored entries, "dense": float64 ndarray, "rows": ..., "cols": ...}``
    (``rows``/``cols``: int64 arrays of the stored entries' coordinates, explicit
    zeros included). Only SciPy's own
    classes are accepted (no subclasses); the dense array is assembled here
    from the stored data and indices, not by the matrix's methods.
    """
    sparse = sys.modules.get("scipy.sparse")
    kinds = {}
    if sparse is not None:
        for fmt in _SPARSE_FORMATS:
            for suffix in ("_matrix", "_array"):
                cls = getattr(sparse, fmt + suffix, None)
                if cls is not None:
                    kinds[cls] = fmt
    fmt = kinds.get(type(value))
    if fmt is None:
        raise NotPlain(f"{name}: expected a SciPy sparse matrix, got {_name(value)}")
    dims = tuple(as_int_list(list(value.shape), f"{name}.shape"))
    if len(dims) != 2 or min(dims) < 0:
        raise NotPlain(f"{name}: expected a 2-D shape, got {dims}")
    if shape is not None and dims != tuple(shape):
        raise NotPlain(f"{name}: expected shape {tuple(shape)}, got {dims}")
    if fmt in ("csr", "csc"):
        data, indices, indptr = (_base_array(getattr(value, a), f"{name}.{a}") for a in ("data", "indices", "indptr"))
        major = dims[0] if fmt == "csr" else dims[1]
        ptr = np.array(np.ndarray.tolist(indptr), dtype=np.int64)
        if ptr.shape != (major + 1,) or ptr[0] != 0 or (np.diff(ptr) < 0).any() or ptr[-1] > len(indices):
            raise NotPlain(f"{name}: malformed index pointer")
        nnz = int(ptr[-1])
        majors = np.repeat(np.arange(major, dtype=np.int64), np.diff(ptr))
        minors = np.array(np.ndarray.tolist(indices[:nnz]), dtype=np.int64).reshape(-1)
        rows, cols = (majors, minors) if fmt == "csr" else (minors, majors)
    else:
        coo = value if fmt == "coo" else value.tocoo()
        if type(coo) not in kinds or kinds[type(coo)] != "coo":
            raise NotPlain(f"{name}: cannot read the stored entries of {_name(value)}")
        coords = getattr(coo, "coords", None)
        row, col = coords if coords is not None else (coo.row, coo.col)
        data = _base_array(coo.data, f"{name}.data")
        rows = np.array(np.ndarray.tolist(_base_array(row, f"{name}.row")), dtype=np.int64).reshape(-1)
        cols = np.array(np.ndarray.tolist(_base_array(col, f"{name}.col")), dtype=np.int64).reshape(-1)
        nnz = len(data)
    values = as_array(data[:nnz], name=f"{name}.data").reshape(-1)
    if not (len(rows) == len(cols) == len(values) == nnz):
        raise NotPlain(f"{name}: stored data and indices have different lengths")
    if nnz and (rows.min() < 0 or cols.min() < 0 or rows.max() >= dims[0] or cols.max() >= dims[1]):
        raise NotPlain(f"{name}: a stored index is outside the shape {dims}")
    dense = np.zeros(dims, dtype=np.float64)
    np.add.at(dense, (rows, cols), values)
    return {"format": fmt, "shape": dims, "dtype": dtype_of(data, f"{name}.dtype"), "nnz": nnz, "dense": dense,
            "rows": rows, "cols": cols}


def _base_array(value: Any, name: str) -> np.ndarray:
    if not _is(value, np.ndarray):
        raise NotPlain(f"{name}: expected a NumPy array, got {_name(value)}")
    return np.ndarray.view(value, np.ndarray)
