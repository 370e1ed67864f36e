"""Fused GPU kernels: one CUDA kernel where NumPy's formulation launches several.

On a GPU a small op costs its launch (microseconds of host time), not its arithmetic, so a
chain such as softplus = max(x, 0) + log1p(exp(−|x|)) — five kernels and four temporaries in
CuPy — is written here as one ``cupy.ElementwiseKernel``. Each function below returns the
fused result when its arrays are CuPy arrays and fusion is on, and ``None`` otherwise; the
op that calls it then runs its NumPy formulation, which is the reference: the tests check
every kernel against it on a GPU (``tests/test_fused.py``).

The formulas are the ops' own (see their docstrings); only the number of launches changes.
Fusion is **on by default** since ``.ci/gpu`` verified these kernels on an H200: every test
of ``tests/test_fused.py`` passed there, and ``benchmarks/gan_step.py`` timed the paper's
iteration at 7.1–7.3 ms fused against 7.9–12.6 ms unfused at m = 100 over three runs
(README, "On the GPU, measured"). ``TINYGAN_FUSED=0`` (or ``false``, ``off``, ``no``) or
``set_enabled(False)`` turns it off. NumPy arrays never reach a kernel, so the CPU path is
the same either way. TF32 stays off: CuPy uses it only with ``CUPY_TF32=1``.
"""
import os
import warnings

__all__ = ["enabled", "set_enabled", "broken", "sigmoid", "softplus", "bce_with_logits", "bce_grad",
           "leaky_slope", "masked_scale", "maxout", "maxout_backward", "sgd_momentum_", "adam_"]

_OFF = ("0", "false", "off", "no")
_state = {"enabled": os.environ.get("TINYGAN_FUSED", "1").strip().lower() not in _OFF}
_kernels = {}
_broken = {}         # name -> why its first launch failed (it then falls back for good)


def enabled():
    return _state["enabled"]


def set_enabled(flag):
    """Turn fusion on or off (on unless ``TINYGAN_FUSED=0``); returns the old setting."""
    old, _state["enabled"] = _state["enabled"], bool(flag)
    return old


def _cupy(*arrays):
    """CuPy, when fusion is on and every array given is a CuPy array; else None."""
    if not _state["enabled"] or not arrays:
        return None
    for array in arrays:
        if not type(array).__module__.startswith("cupy"):
            return None
    import cupy
    return cupy


# name -> (in_params, out_params, operation); compiled on first use, cached by CuPy on disk.
_SOURCES = {
    "sigmoid": ("T x", "T y", "y = (T)0.5 * ((T)1 + tanh(x * (T)0.5))"),
    "softplus": ("T x", "T y", "y = fmax(x, (T)0) + log1p(exp(-fabs(x)))"),
    "bce": ("T l, T t", "T y", "y = fmax(l, (T)0) + log1p(exp(-fabs(l))) - t * l"),
    "bce_grad": ("T g, T l, T t", "T y", "y = g * ((T)0.5 * ((T)1 + tanh(l * (T)0.5)) - t)"),
    "leaky_slope": ("T x, T s", "T y", "y = x > (T)0 ? (T)1 : s"),
    "masked_scale": ("T x, bool keep, T scale", "T y", "y = keep ? x * scale : (T)0"),
    # y has shape (n, units), x (n, pieces·units) piece-major; NaN wins, as in maximum().
    "maxout": (
        "raw T x, int32 pieces, int32 units", "T y",
        """
        const int width = pieces * units;
        const int row = i / units, unit = i % units;
        T best = x[row * width + unit];
        for (int p = 1; p < pieces; ++p) {
            const T v = x[row * width + p * units + unit];
            if (v > best || v != v) best = v;
        }
        y = best;
        """),
    # out has shape (n, pieces·units); x is maxout's input, y its output, g y's gradient.
    "maxout_backward": (
        "raw T x, raw T y, raw T g, int32 pieces, int32 units", "T out",
        """
        const int width = pieces * units;
        const int row = i / width, column = i % width;
        const int piece = column / units, unit = column % units;
        const T best = y[row * units + unit];
        bool earlier = false;
        for (int q = 0; q < piece; ++q) earlier |= (x[row * width + q * units + unit] == best);
        out = (!earlier && x[i] == best) ? g[row * units + unit] : (T)0;
        """),
    "sgd_momentum": ("T g, T momentum, T lr", "T p, T v", "v = momentum * v + g; p -= lr * v"),
    "adam": ("T g, T beta1, T beta2, T bias2, T step_size, T eps", "T p, T m, T v",
             """
             m = beta1 * m + ((T)1 - beta1) * g;
             v = beta2 * v + ((T)1 - beta2) * (g * g);
             p -= step_size * m / (sqrt(v / bias2) + eps);
             """),
}


def broken():
    """{kernel name: the error of its first launch} for kernels that failed to compile or
    run here; those ops use their NumPy formulation instead (``tinygan info`` lists them)."""
    return dict(_broken)


def _launch(cupy, name, *args):
    """Run kernel ``name``, compiled on its first launch; None if it cannot run here."""
    if name in _broken:
        return None
    kernel = _kernels.get(name)
    if kernel is not None:
        return kernel(*args)
    in_params, out_params, operation = _SOURCES[name]
    try:
        kernel = cupy.ElementwiseKernel(in_params, out_params, operation, f"tinygan_{name}")
        result = kernel(*args)            # compiles; a failure here has written nothing
    except Exception as error:            # CompileException, a CUDA error: fall back for good
        _broken[name] = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
        warnings.warn(f"tinygan: the fused kernel {name!r} cannot run here "
                      f"({_broken[name]}); its op uses the unfused formulation", RuntimeWarning)
        return None
    _kernels[name] = kernel
    return result


def _scalar(array, value):
    """A Python number as the arrays' dtype (a kernel's T must match across its inputs)."""
    return array.dtype.type(value)


def sigmoid(x):
    cupy = _cupy(x)
    return None if cupy is None else _launch(cupy, "sigmoid", x)


def softplus(x):
    cupy = _cupy(x)
    return None if cupy is None else _launch(cupy, "softplus", x)


def _targets(like, targets):
    """BCE's targets for a kernel: a CuPy array as it is, a number as the logits' dtype;
    None for anything else (the unfused path then runs)."""
    if hasattr(targets, "shape"):
        return targets if _cupy(targets) else None
    return _scalar(like, targets)


def bce_with_logits(logits, targets):
    cupy = _cupy(logits)
    if cupy is None or (t := _targets(logits, targets)) is None:
        return None
    return _launch(cupy, "bce", logits, t)


def bce_grad(g, logits, targets):
    cupy = _cupy(g, logits)
    if cupy is None or g.dtype != logits.dtype or (t := _targets(logits, targets)) is None:
        return None
    return _launch(cupy, "bce_grad", g, logits, t)


def leaky_slope(x, negative_slope):
    """LeakyReLU's slope: 1 where x > 0, else s (NaN included), as the unfused formulation
    (two launches)."""
    cupy = _cupy(x)
    return None if cupy is None else _launch(cupy, "leaky_slope", x, _scalar(x, negative_slope))


def masked_scale(x, keep, scale):
    cupy = _cupy(x, keep)
    if cupy is None or keep.dtype != bool:
        return None
    return _launch(cupy, "masked_scale", x, keep, _scalar(x, scale))


def maxout(x, pieces):
    """y[:, j] = max_p x[:, p·U + j] in one launch (the unfused op: a copy and
    ``pieces`` − 1 maxima)."""
    cupy = _cupy(x)
    if cupy is None:
        return None
    x = cupy.ascontiguousarray(x)
    out = cupy.empty((x.shape[0], x.shape[1] // pieces), dtype=x.dtype)
    return _launch(cupy, "maxout", x, pieces, out.shape[1], out)


def maxout_backward(g, y, x, pieces):
    """∂L/∂x of maxout: g at each unit's winning piece (the first on a tie), else 0."""
    cupy = _cupy(g, y, x)
    if cupy is None or not (g.dtype == y.dtype == x.dtype):
        return None
    x, y, g = (cupy.ascontiguousarray(a) for a in (x, y, g))
    out = cupy.empty(x.shape, dtype=x.dtype)
    return _launch(cupy, "maxout_backward", x, y, g, pieces, y.shape[1], out)


def sgd_momentum_(parameter, state, grad, momentum, lr):
    """v ← μ v + g, θ ← θ − η v, in place, in one launch (v = ``state["momentum_buffer"]``,
    made as zeros at the first step: μ·0 + g = g, as ``optim.SGD``); True if it ran."""
    cupy = _cupy(parameter, grad)
    if cupy is None or parameter.dtype != grad.dtype:
        return False
    velocity = state.get("momentum_buffer")
    if velocity is None:
        velocity = state["momentum_buffer"] = cupy.zeros_like(grad)
    return _launch(cupy, "sgd_momentum", grad, _scalar(grad, momentum), _scalar(grad, lr),
                   parameter, velocity) is not None


def adam_(parameter, m, v, grad, beta1, beta2, t, lr, eps):
    """Adam's moment updates and step (see ``optim.Adam``), in place, in one launch; True
    if it ran."""
    cupy = _cupy(parameter, m, v, grad)
    if cupy is None or not (parameter.dtype == m.dtype == v.dtype == grad.dtype):
        return False
    s = lambda value: _scalar(grad, value)                                   # noqa: E731
    return _launch(cupy, "adam", grad, s(beta1), s(beta2), s(1 - beta2 ** t),
                   s(lr / (1 - beta1 ** t)), s(eps), parameter, m, v) is not None
