"""The array-module switch: the one place that decides whether tinygan computes
with NumPy (CPU) or CuPy (GPU).

Choose it with ``tinygan.set_backend("cupy")``, the context manager
``tinygan.backend.using("cupy")``, or the environment variable
``TINYGAN_BACKEND=cupy`` read at import.  Everything else in tinygan asks this
module for the array module (``backend.xp``, or ``get_array_module(array)``) and
for random numbers (``backend.rng()``), so the whole library runs on either.
"""
import contextlib
import os

import numpy

__all__ = [
    "host", "BackendError", "available_backends", "set_backend", "get_backend", "using",
    "get_array_module", "to_numpy", "asarray", "manual_seed", "rng", "seed_for", "backend_generator",
    "scatter_add", "gpu_status",
]

CUPY_INSTALL_HINT = (
    "Install the CuPy wheel that matches your CUDA driver: "
    "`pip install cupy-cuda12x` for CUDA 12, `pip install cupy-cuda13x` for CUDA 13 "
    "(or `pip install 'tinygan[gpu]'`), and check that `nvidia-smi` sees a GPU."
)


# The host array module, whatever the backend: for files, host copies and fixed inputs.
host = numpy


class BackendError(RuntimeError):
    """A backend was asked for that cannot be used here."""


def _load_numpy():
    return numpy


def _load_cupy():
    try:
        import cupy
    except Exception as error:  # ImportError, or a broken CUDA install
        raise BackendError(f"the 'cupy' backend needs CuPy, which is not importable ({error}). "
                           + CUPY_INSTALL_HINT) from error
    try:
        usable = cupy.is_available()
    except Exception as error:  # import succeeded but CUDA libraries are missing
        raise BackendError(f"CuPy is installed but cannot reach a GPU ({error}). "
                           + CUPY_INSTALL_HINT) from error
    if not usable:
        raise BackendError("CuPy is installed but no GPU is visible. " + CUPY_INSTALL_HINT)
    return cupy


def _load_strict():
    from tinygan._testing import strict
    return strict


# name -> loader. "strict" is NumPy wrapped to refuse what CuPy refuses (tests only).
_LOADERS = {"numpy": _load_numpy, "cupy": _load_cupy, "strict": _load_strict}


class _State:
    name = "numpy"
    xp = numpy
    seed = None          # the last manual seed, reused when the backend changes
    generator = None     # the active backend's random generator


_state = _State()


def available_backends():
    """Names of the backends that can be used on this machine, e.g. ``["numpy"]``."""
    names = []
    for name in ("numpy", "cupy"):
        try:
            _LOADERS[name]()
            names.append(name)
        except BackendError:
            pass
    return names


def gpu_status():
    """One line saying whether CuPy can reach a GPU here, and why not if not."""
    try:
        cupy = _load_cupy()
        props = cupy.cuda.runtime.getDeviceProperties(0)
        return f"yes: {props['name'].decode()} (CuPy {cupy.__version__})"
    except BackendError as error:
        return f"no: {error}"


def set_backend(name):
    """Make ``name`` ("numpy" or "cupy") the array module for everything created from now on.

    Raises :class:`BackendError` saying what is missing when CuPy or a GPU is not there.
    The random generator is re-created on the new backend from the last manual seed.
    """
    if name not in _LOADERS:
        raise BackendError(f"unknown backend {name!r}: choose 'numpy' or 'cupy'")
    xp = _LOADERS[name]()
    _state.name, _state.xp = name, xp
    _state.generator = None  # made lazily from _state.seed
    return xp


def get_backend():
    """The active backend's name."""
    return _state.name


@contextlib.contextmanager
def using(name):
    """``with backend.using("cupy"): ...`` runs the block on that backend, then restores."""
    previous_name, previous_xp = _state.name, _state.xp
    previous_generator = _state.generator
    set_backend(name)
    try:
        yield _state.xp
    finally:
        _state.name, _state.xp, _state.generator = previous_name, previous_xp, previous_generator


def __getattr__(attribute):
    # ``backend.xp`` always names the active module (PEP 562 module attribute).
    if attribute == "xp":
        return _state.xp
    raise AttributeError(f"module 'tinygan.backend' has no attribute {attribute!r}")


def get_array_module(*arrays):
    """The module that owns these arrays (CuPy for CuPy arrays), else the active one."""
    for array in arrays:
        if type(array) is numpy.ndarray:
            return numpy
        module = type(array).__module__
        if module.startswith("cupy"):
            return _LOADERS["cupy"]()
        if module.startswith("tinygan._testing"):
            return _load_strict()
    return _state.xp


def to_numpy(array):
    """A host NumPy array, whatever the backend the array lives on."""
    if isinstance(array, numpy.ndarray) and type(array) is numpy.ndarray:
        return array
    if hasattr(array, "get"):            # CuPy: explicit device -> host copy
        return array.get()
    if type(array).__module__.startswith("tinygan._testing"):
        return array.view(numpy.ndarray)
    return numpy.asarray(array)


def asarray(values, dtype=None):
    """Values (lists, NumPy or CuPy arrays) as an array of the active backend."""
    if hasattr(values, "get") and _state.name != "cupy":
        values = values.get()            # CuPy -> host, explicitly
    elif _state.name == "strict" and type(values) is numpy.ndarray:
        return _state.xp.asarray(values.copy(), dtype=dtype)
    return _state.xp.asarray(values, dtype=dtype)


def seed_for(*keys):
    """A 32-bit seed derived from integers (e.g. ``seed_for(seed, step)``): the same keys
    always give the same seed, different keys give independent streams."""
    return int(numpy.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


def manual_seed(seed):
    """Seed tinygan's random generator on the active backend (and on any backend chosen later)."""
    if isinstance(seed, (tuple, list)):
        seed = seed_for(*seed)
    _state.seed = int(seed)
    _state.generator = _state.xp.random.default_rng(_state.seed)
    return _state.generator


def backend_generator(seed):
    """A new generator of the active backend seeded with ``seed`` (an int or a tuple of
    ints, see :func:`seed_for`), independent of the global one."""
    if isinstance(seed, (tuple, list)):
        seed = seed_for(*seed)
    return _state.xp.random.default_rng(int(seed))


def rng():
    """The active backend's random generator. Only ``random``, ``standard_normal`` and
    ``integers`` are used in tinygan, because CuPy's generator lacks ``normal``,
    ``permutation`` and ``choice``."""
    if _state.generator is None:
        _state.generator = _state.xp.random.default_rng(_state.seed)
    return _state.generator


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices summed (``numpy.add.at``)."""
    xp = get_array_module(target)
    if xp is numpy or not hasattr(xp, "cuda"):
        xp.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)
    return target


_requested = os.environ.get("TINYGAN_BACKEND")
if _requested:
    set_backend(_requested.strip().lower())
