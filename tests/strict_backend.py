"""NumPy that refuses what CuPy refuses: the "strict" backend for tests on CPU.

CuPy arrays live on the GPU. CuPy raises a TypeError when a host NumPy array is mixed
into a device computation, and its random generator lacks ``normal``, ``permutation``
and ``choice``; it has no ``errstate``; it refuses a host array assigned into a device
array. This module is NumPy with those refusals, so a test run with
``set_backend("strict")`` on a machine without a GPU catches code that would only work on
NumPy. The test suite registers it (``conftest.py``); users never see it.

What it cannot refuse: ``numpy.array(device_array)`` (CuPy raises; NumPy copies a subclass
without asking it), and a CuPy ``ValueError`` for object arrays. Tests read device arrays
with ``tinygan.backend.to_numpy``; ``.ci/gpu`` on a GPU is the proof.
"""
import sys

import numpy as _np

__all__ = ["StrictArray", "ndarray", "random"]


class StrictArray(_np.ndarray):
    """An ndarray standing in for a device array."""

    def get(self):
        """Device -> host copy, as ``cupy.ndarray.get``."""
        return _np.array(self.view(_np.ndarray))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _refuse_host_arrays(ufunc.__name__, inputs)
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*[_unwrap(x) for x in inputs], **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __setitem__(self, key, value):
        """CuPy fills from numbers and device arrays only: ``device[...] = host_array`` (or a
        list) raises (move it with ``tinygan.backend.asarray`` first)."""
        if isinstance(value, (list, tuple)) or (type(value) is _np.ndarray and value.ndim > 0):
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill (CuPy refuses "
                             "a host array assigned into a device array)")
        super().__setitem__(key, value)

    def __array_function__(self, func, types, args, kwargs):
        _refuse_host_arrays(func.__name__, args, kwargs)
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))


ndarray = StrictArray


def _walk(tree):
    if isinstance(tree, (list, tuple)):
        for item in tree:
            yield from _walk(item)
    elif isinstance(tree, dict):
        for item in tree.values():
            yield from _walk(item)
    else:
        yield tree


def _refuse_host_arrays(name, *trees):
    for tree in trees:
        for item in _walk(tree):
            if type(item) is _np.ndarray:
                raise TypeError(
                    f"{name}: a host NumPy array was mixed with a device array (CuPy refuses "
                    "this). Create arrays with the backend's module (tinygan.backend.xp) or "
                    "move them with tinygan.backend.asarray.")


def _unwrap(tree):
    if isinstance(tree, StrictArray):
        return tree.view(_np.ndarray)
    if isinstance(tree, list):
        return [_unwrap(item) for item in tree]
    if isinstance(tree, tuple):
        return tuple(_unwrap(item) for item in tree)
    if isinstance(tree, dict):
        return {key: _unwrap(value) for key, value in tree.items()}
    return tree


def _wrap(tree):
    if type(tree) is _np.ndarray:
        return tree.view(StrictArray)
    if isinstance(tree, _np.generic):        # CuPy returns 0-d device arrays, not scalars
        return _np.asarray(tree).view(StrictArray)
    if isinstance(tree, tuple):
        return tuple(_wrap(item) for item in tree)
    if isinstance(tree, list):
        return [_wrap(item) for item in tree]
    return tree


def _creator(function):
    def create(*args, **kwargs):
        return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))
    create.__name__ = function.__name__
    return create


_CREATORS = ("array", "ascontiguousarray", "zeros", "ones", "empty", "full",
             "arange", "linspace", "eye", "frombuffer")
_REFUSED = ("errstate", "seterr")   # CuPy has neither


class _Generator:
    """What ``cupy.random.Generator`` offers (no normal, permutation or choice)."""

    def __init__(self, seed):
        self._generator = _np.random.default_rng(seed)

    def random(self, size=None, dtype=_np.float64, out=None):
        return _wrap(self._generator.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        return _wrap(self._generator.standard_normal(size, dtype=dtype))

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        return _wrap(self._generator.integers(low, high, size, dtype=dtype, endpoint=endpoint))


class random:  # noqa: N801 - mirrors the module name ``cupy.random``
    @staticmethod
    def default_rng(seed=None):
        return _Generator(seed)


def register(backend):
    """Make ``backend.set_backend("strict")`` load this module: the suite's conftest, and a
    lesson run on the stand-in (test_lessons.py)."""
    module = sys.modules[__name__]
    backend.register_backend("strict", lambda: module, lambda array: isinstance(array, StrictArray))


def asarray(values, dtype=None):
    """As ``cupy.asarray``: a host array is copied to the "device", never shared."""
    if type(values) is _np.ndarray:
        values = values.copy()
    return _wrap(_np.asarray(_unwrap(values), dtype=dtype))


def __getattr__(name):
    if name in _REFUSED:
        raise AttributeError(f"CuPy has no {name!r}; tinygan must not use it")
    attribute = getattr(_np, name)
    if name in _CREATORS:
        return _creator(attribute)
    return attribute
