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
import threading
from dataclasses import dataclass

import numpy

__all__ = [
    "host", "BackendError", "register_backend", "backend_names", "available_backends",
    "set_backend", "get_backend", "using", "get_array_module", "to_numpy", "asarray",
    "manual_seed", "rng", "seed_for", "stream_seed", "STREAMS", "backend_generator",
    "scatter_add", "gpu_status", "status", "retain_freed_memory", "compute_threads",
    "split_elementwise",
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


@dataclass(frozen=True)
class Backend:
    """A registry entry: ``load()`` returns the array module (or raises BackendError
    saying what is missing); ``owns(array)`` tells whether an array is one of its own."""
    name: str
    load: object
    owns: object


_REGISTRY = {}
_LOADED = {}         # name -> module, once a backend has loaded


def register_backend(name, load, owns):
    """Make a backend available by ``name``. tinygan registers "numpy" and "cupy"; the
    test suite registers its strict CPU stand-in for CuPy."""
    _REGISTRY[name] = Backend(name, load, owns)
    _LOADED.pop(name, None)


def _load(name):
    module = _LOADED.get(name)
    if module is None:
        module = _LOADED[name] = _entry(name).load()
    return module


def backend_names():
    """Every registered backend, usable here or not (e.g. ``["numpy", "cupy"]``)."""
    return list(_REGISTRY)


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


register_backend("numpy", lambda: numpy, lambda array: type(array) is numpy.ndarray)
register_backend("cupy", _load_cupy, lambda array: type(array).__module__.startswith("cupy"))


def _entry(name):
    if name not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}: choose one of "
                           f"{', '.join(repr(n) for n in _REGISTRY)}")
    return _REGISTRY[name]


class _State:
    name = "numpy"
    module = numpy
    error = None         # why the requested backend (TINYGAN_BACKEND) cannot be used
    seed = None          # the last manual seed, reused when the backend changes
    generator = None     # the active backend's random generator


_state = _State()


def _active():
    """The active array module; raises the reason if the requested backend is unusable."""
    if _state.error is not None:
        raise _state.error
    return _state.module


def available_backends():
    """Names of the backends that can be used on this machine, e.g. ``["numpy"]``."""
    names = []
    for name in _REGISTRY:
        try:
            _load(name)
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


def status():
    """One line: the backend in use, or why the requested one cannot be used."""
    if _state.error is not None:
        return f"{_state.name} (unusable: {_state.error})"
    return _state.name


def set_backend(name):
    """Make ``name`` ("numpy" or "cupy") the array module for everything created from now on.

    Raises :class:`BackendError` saying what is missing when CuPy or a GPU is not there.
    The random generator is re-created on the new backend from the last manual seed.
    """
    module = _load(name)
    _state.name, _state.module, _state.error = name, module, None
    _state.generator = None  # made lazily from _state.seed
    return module


def get_backend():
    """The active backend's name."""
    return _state.name


@contextlib.contextmanager
def using(name):
    """``with backend.using("cupy"): ...`` runs the block on that backend, then restores."""
    previous = (_state.name, _state.module, _state.error, _state.generator)
    set_backend(name)
    try:
        yield _state.module
    finally:
        _state.name, _state.module, _state.error, _state.generator = previous


def __getattr__(attribute):
    # ``backend.xp`` always names the active module (PEP 562 module attribute).
    if attribute == "xp":
        return _active()
    raise AttributeError(f"module 'tinygan.backend' has no attribute {attribute!r}")


def get_array_module(*arrays):
    """The module that owns these arrays (CuPy for CuPy arrays), else the active one."""
    for array in arrays:
        if type(array) is numpy.ndarray:
            return numpy
        for name, entry in _REGISTRY.items():
            if entry.owns(array):
                return _load(name)
    return _active()


def to_numpy(array):
    """A host NumPy array, whatever the backend the array lives on."""
    if type(array) is numpy.ndarray:
        return array
    if hasattr(array, "get"):            # a device array: explicit device -> host copy
        return array.get()
    return numpy.asarray(array)


def asarray(values, dtype=None):
    """Values (lists, NumPy or CuPy arrays) as an array of the active backend."""
    module = _active()
    if hasattr(values, "get") and module is numpy:
        values = values.get()            # device -> host, explicitly
    return module.asarray(values, dtype=dtype)


def seed_for(*keys):
    """A 32-bit seed derived from integers (e.g. ``seed_for(seed, step)``): the same keys
    always give the same seed, different keys give independent streams."""
    return int(numpy.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


# Every random draw of a run comes from one of these streams, each derived from the run's
# one seed (``stream_seed(seed, "init")``), so that changing how often one purpose draws
# (e.g. more D steps) leaves every other purpose's numbers unchanged.
# Dropout masks are drawn inside the D and G steps, so they come from those steps' streams.
STREAMS = ("init", "data", "discriminator", "generator", "sampling", "evaluation", "prior")


def stream_seed(seed, stream, *keys):
    """The seed of the named ``stream`` of a run seeded with ``seed``, further split by
    integer ``keys`` (e.g. the step): ``stream_seed(seed, "discriminator", step, j)``."""
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}: one of {', '.join(STREAMS)}")
    return seed_for(seed, STREAMS.index(stream), *keys)


def _new_generator(seed):
    """A generator of the active backend seeded with ``seed``: ``default_rng`` (PCG64) on
    NumPy; Philox4x32-10 on CuPy, whose ``default_rng`` (XORWOW) initialises its 10⁵ curand
    states on the GPU at every seeding, about 18 × Philox's cost (``benchmarks/PROFILE.md``
    §7), and the trainer seeds twice per iteration."""
    random = _active().random
    if hasattr(random, "Philox4x3210"):
        return random.Generator(random.Philox4x3210(seed))
    return random.default_rng(seed)


def manual_seed(seed):
    """Seed tinygan's random generator on the active backend (and on any backend chosen later)."""
    if isinstance(seed, (tuple, list)):
        seed = seed_for(*seed)
    _state.seed = int(seed)
    _state.generator = _new_generator(_state.seed)
    return _state.generator


def backend_generator(seed):
    """A new generator of the active backend seeded with ``seed`` (an int or a tuple of
    ints, see :func:`seed_for`), independent of the global one."""
    if isinstance(seed, (tuple, list)):
        seed = seed_for(*seed)
    return _new_generator(int(seed))


def rng():
    """The active backend's random generator. Only ``random``, ``standard_normal`` and
    ``integers`` are used in tinygan, because CuPy's generator lacks ``normal``,
    ``permutation`` and ``choice``."""
    if _state.generator is None:
        _state.generator = _new_generator(_state.seed)
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


_malloc = {"tuned": None}
KEPT_MMAP_THRESHOLD, KEPT_TRIM_THRESHOLD = 64 << 20, 256 << 20     # bytes


def retain_freed_memory():
    """Ask glibc's allocator to keep freed memory for reuse instead of returning it to the
    kernel, so that a training step's temporaries (the same sizes every step) stop costing
    page faults: one ``mallopt`` each for M_MMAP_THRESHOLD (-3) = 64 MiB and
    M_TRIM_THRESHOLD (-1) = 256 MiB. Measured on the ring preset (one thread): 3,166 → 0
    page faults per step (benchmarks/PROFILE.md, R1). The process keeps its peak heap.
    Called once by the trainer; does nothing off glibc or with ``TINYGAN_SYSTEM_MALLOC=1``.
    Returns whether the setting is in effect."""
    if _malloc["tuned"] is None:
        _malloc["tuned"] = False
        if os.environ.get("TINYGAN_SYSTEM_MALLOC", "").strip() != "1":
            try:
                import ctypes
                libc = ctypes.CDLL("libc.so.6")
                _malloc["tuned"] = (bool(libc.mallopt(-3, KEPT_MMAP_THRESHOLD))
                                     and bool(libc.mallopt(-1, KEPT_TRIM_THRESHOLD)))
            except (OSError, AttributeError):        # not glibc: macOS, Windows, musl
                pass
    return _malloc["tuned"]


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SPLIT_MIN_SIZE = 1 << 18     # elements; below this one pass is quicker than handing off slices
SPLIT_BLOCK = 1 << 15        # elements per kernel call within a slice: its arrays stay in cache
_pool = {"executor": None, "workers": 0, "threads": None, "scratch": {}}


def compute_threads():
    """The threads tinygan's own elementwise work may use on NumPy: the first of
    OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS that is set (so one setting
    governs the BLAS and tinygan alike), else the CPUs this process may run on."""
    if _pool["threads"] is None:
        threads = None
        for variable in THREAD_VARIABLES:
            value = os.environ.get(variable, "").strip()
            if value.isdigit() and int(value) > 0:
                threads = int(value)
                break
        if threads is None:
            threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
                else (os.cpu_count() or 1)
        _pool["threads"] = threads
    return _pool["threads"]


def _forget_pool():
    """A forked child has no pool threads: it makes its own on first use."""
    _pool["executor"], _pool["workers"], _pool["scratch"] = None, 0, {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def split_elementwise(kernel, arrays, args=(), threads=None, scratch=0):
    """``kernel(*arrays, *work, *args)`` run on ``threads`` (default ``compute_threads()``)
    contiguous slices of the arrays at once, the calling thread taking the first, each
    slice in blocks of ``SPLIT_BLOCK`` elements.

    ``kernel`` must be elementwise: each output element depends only on the same element
    of the inputs, so every slicing gives bit for bit the same result as one call (an
    optimizer's in-place update is; a sum is not). NumPy releases the GIL inside its
    loops, so the slices can run on separate cores as PyTorch's multithreaded ``add_``
    does — when a core is free: right after a matrix product OpenBLAS's idle threads still
    spin on theirs, and each call hands the GIL over, so in training on two cores the
    second thread gains nothing measurable (benchmarks/PROFILE.md §9).
    Blocks: an update makes a dozen passes over arrays of millions of elements; on whole
    arrays each pass streams them from memory, on blocks of 32k elements every pass after
    the first finds them in the core's cache (Adam over 6.4 M parameters, one thread:
    57 → 29 ms, benchmarks/PROFILE.md). ``work``: ``scratch`` buffers shaped like the
    kernel's part of the first array, for its intermediate results; they are reused from
    call to call (one set per thread that runs a kernel). The arrays must not partly
    overlap in memory. Entries of ``arrays`` may be None (passed through). Runs as one call
    off NumPy, below ``2·SPLIT_BLOCK`` elements, or unless every array is C-contiguous and
    shaped like the first."""
    first = arrays[0]
    present = [a for a in arrays if a is not None]
    if (first.size < 2 * SPLIT_BLOCK or type(first) is not numpy.ndarray
            or any(a.shape != first.shape or not a.flags.c_contiguous for a in present)):
        xp = get_array_module(first)
        kernel(*arrays, *(xp.empty_like(first) for _ in range(scratch)), *args)
        return
    # no more slices than leave each at least half of SPLIT_MIN_SIZE elements
    threads = min(threads or compute_threads(), max(1, first.size // max(1, SPLIT_MIN_SIZE // 2)))
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    bounds = [first.size * i // threads for i in range(threads + 1)]

    def blocks(start, stop):
        key = (threading.get_ident(), first.dtype.str)          # each thread its own buffers
        work = _pool["scratch"].get(key, [])
        if len(work) < scratch:
            work = _pool["scratch"][key] = [numpy.empty(SPLIT_BLOCK, first.dtype) for _ in range(scratch)]
        work = work[:scratch]
        for low in range(start, stop, SPLIT_BLOCK):
            high = min(low + SPLIT_BLOCK, stop)
            kernel(*(None if f is None else f[low:high] for f in flat),
                   *(w[:high - low] for w in work), *args)

    if threads > 1 and _pool["workers"] < threads - 1:
        from concurrent.futures import ThreadPoolExecutor
        _pool["executor"] = ThreadPoolExecutor(threads - 1, thread_name_prefix="tinygan")
        _pool["workers"] = threads - 1
    futures = [_pool["executor"].submit(blocks, bounds[i], bounds[i + 1])
               for i in range(1, threads)]
    blocks(bounds[0], bounds[1])
    for future in futures:
        future.result()


_requested = os.environ.get("TINYGAN_BACKEND", "").strip().lower()
if _requested:
    try:
        set_backend(_requested)
    except BackendError as error:
        # Importing tinygan still works (``tinygan info`` says why); the first computation
        # raises this error.
        _state.name, _state.error = _requested, BackendError(
            f"TINYGAN_BACKEND={_requested}: {error}")
