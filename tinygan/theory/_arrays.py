"""Input handling shared by the theory functions: arrays on the active backend, checked."""
from tinygan import backend
from tinygan.tensor import Tensor


DENSITY_TOLERANCE = 1e-3     # |∫ p dx − 1| allowed on a grid (trapezoid rule error)
SUM_TOLERANCE = 1e-6         # |Σ p − 1| allowed for a discrete distribution


def as_array(values, name="input"):
    """A float64 array of the active backend (theory favours precision over speed);
    refuses non-numbers and NaN or ±inf, naming the input and the first bad position."""
    if isinstance(values, Tensor):
        values = values.data
    try:
        array = backend.asarray(values)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} must be an array of numbers ({error})") from None
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    array = array.astype("float64")
    finite = backend.get_array_module(array).isfinite(array)
    if not bool(finite.all()):
        bad = backend.to_numpy(~finite).nonzero()
        where = f" (first at index {tuple(int(axis[0]) for axis in bad)})" if array.ndim else ""
        raise ValueError(f"{name} holds NaN or inf{where}; every value must be finite")
    return array


def result(array):
    """A Python float for a 0-d result, else the array itself."""
    return float(array) if getattr(array, "ndim", 0) == 0 else array


def trapezoid(values, x, axis=-1):
    """∫ f dx on a grid by the trapezoid rule: Σᵢ (fᵢ + fᵢ₊₁)/2 · (xᵢ₊₁ − xᵢ) along ``axis``."""
    xp = backend.get_array_module(values)
    values = xp.moveaxis(values, axis, -1)
    widths = x[1:] - x[:-1]
    return ((values[..., 1:] + values[..., :-1]) * 0.5 * widths).sum(axis=-1)


def grid(values, name="grid"):
    """A 1-D, strictly increasing grid of finite points."""
    x = as_array(values, name)
    if x.ndim != 1 or x.shape[0] < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 points, got shape {x.shape}")
    steps = x[1:] - x[:-1]
    if not bool((steps > 0).all()):
        first = int(backend.to_numpy(steps <= 0).argmax())
        raise ValueError(f"{name} must be strictly increasing; it goes from {float(x[first])} "
                         f"to {float(x[first + 1])} at index {first + 1}")
    return x


def nonnegative(values, name):
    if bool((values < 0).any()):
        raise ValueError(f"{name} has negative entries; probabilities and densities must be ≥ 0")
    return values


def check_normalized(values, x, name, hint=""):
    """Refuse ``values`` that are not a distribution: negative entries, or a total (a sum
    along the last axis when ``x`` is None, else the trapezoid integral over the grid)
    farther from 1 than ``SUM_TOLERANCE`` / ``DENSITY_TOLERANCE``."""
    nonnegative(values, name)
    total = integrate(values, x)
    tolerance = SUM_TOLERANCE if x is None else DENSITY_TOLERANCE
    worst = float(abs(total - 1).max())
    if worst > tolerance:
        what = "sum to 1" if x is None else "integrate to 1 over the grid"
        raise ValueError(f"{name} does not {what} (off by up to {worst:.3g}, tolerance "
                         f"{tolerance:g}){hint}")
    return values


def integrate(values, x):
    """Σ values when ``x`` is None (a discrete distribution), else the trapezoid integral
    over the grid ``x``: a 1-D array of points, or a tuple of axes for a 2-D grid
    (``values[i, j]`` at ``(x[0][i], x[1][j])``)."""
    if x is None:
        return values.sum(axis=-1) if values.ndim else values
    if isinstance(x, (tuple, list)) and all(hasattr(axis, "__len__") for axis in x):
        axes = [grid(axis, "grid axis") for axis in x]
        if values.shape[-len(axes):] != tuple(len(a) for a in axes):
            raise ValueError(f"density values of shape {values.shape} do not match grid axes of "
                             f"lengths {[len(a) for a in axes]}")
        for axis in reversed(axes):
            values = trapezoid(values, axis, axis=-1)
        return values
    x = grid(x)
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
