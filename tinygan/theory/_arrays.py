"""Input handling shared by the theory functions: arrays on the active backend, checked."""
from tinygan import backend
from tinygan.tensor import Tensor


def as_array(values, name="input"):
    """A float64 array of the active backend (theory favours precision over speed)."""
    if isinstance(values, Tensor):
        values = values.data
    array = backend.asarray(values)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return array.astype("float64")


def result(array):
    """A Python float for a 0-d result, else the array itself."""
    return float(array) if getattr(array, "ndim", 0) == 0 else array


def trapezoid(values, x, axis=-1):
    """∫ f dx on a grid by the trapezoid rule: Σᵢ (fᵢ + fᵢ₊₁)/2 · (xᵢ₊₁ − xᵢ) along ``axis``."""
    xp = backend.get_array_module(values)
    values = xp.moveaxis(values, axis, -1)
    widths = x[1:] - x[:-1]
    return ((values[..., 1:] + values[..., :-1]) * 0.5 * widths).sum(axis=-1)


def integrate(values, x):
    """Σ values when ``x`` is None (a discrete distribution), else the trapezoid integral
    over the grid ``x``: a 1-D array of points, or a tuple of axes for a 2-D grid
    (``values[i, j]`` at ``(x[0][i], x[1][j])``)."""
    if x is None:
        return values.sum(axis=-1) if values.ndim else values
    if isinstance(x, (tuple, list)):
        axes = [as_array(axis, "grid axis") for axis in x]
        if values.shape[-len(axes):] != tuple(len(a) for a in axes):
            raise ValueError(f"density values of shape {values.shape} do not match grid axes of "
                             f"lengths {[len(a) for a in axes]}")
        for axis in reversed(axes):
            values = trapezoid(values, axis, axis=-1)
        return values
    x = as_array(x, "grid")
    if values.shape[-1] != x.shape[0]:
        raise ValueError(f"density values of shape {values.shape} do not match a grid of "
                         f"{x.shape[0]} points")
    return trapezoid(values, x)


def xlogy_ratio(p, q):
    """p·log(p/q) with 0·log(0/q) = 0 and p·log(p/0) = +inf for p > 0, without warnings
    (CuPy has no errstate, so no log of zero is ever taken)."""
    xp = backend.get_array_module(p)
    positive = p > 0
    safe_p = xp.where(positive, p, 1.0)
    safe_q = xp.where(q > 0, q, 1.0)
    terms = xp.where(positive, p * (xp.log(safe_p) - xp.log(safe_q)), 0.0)
    return xp.where(positive & (q <= 0), xp.inf, terms)
