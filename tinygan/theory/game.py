"""The minimax game of Goodfellow et al. (2014) for a fixed generator.

    V(D, G)  = E_{x~p_data}[log D(x)] + E_{x~p_g}[log(1 − D(x))]
    D*_G(x)  = p_data(x) / (p_data(x) + p_g(x))
    C(G)     = max_D V(D, G) = V(D*_G, G) = −log 4 + 2·JSD(p_data ‖ p_g)

D* is the pointwise maximiser because f(y) = a log y + b log(1 − y) peaks on [0, 1] at
y = a/(a + b). Densities are given as values on a grid ``x`` (1-D array, or a tuple of
axes for a 2-D grid), or as discrete probabilities with ``x=None``.
"""
import math

from tinygan import backend
from tinygan.theory._arrays import as_array, check_normalized, integrate, nonnegative, result

__all__ = ["binary_objective", "binary_objective_argmax", "optimal_discriminator",
           "value_function", "generator_criterion", "label_smoothed_optimum", "LOG4"]

LOG4 = math.log(4.0)


def binary_objective(y, a, b):
    """f(y) = a log y + b log(1 − y), the integrand of V at one point x."""
    xp = backend.xp
    y = _probabilities(as_array(y, "y"), "y")
    a, b = _weights(a, b)
    return result(a * xp.log(y) + b * xp.log1p(-y))


def _weights(a, b):
    if not all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in (a, b)) \
            or a + b == 0:
        raise ValueError(f"need finite a, b ≥ 0 with a + b > 0, got a={a}, b={b}")
    return a, b


def _probabilities(values, name):
    if bool(((values < 0) | (values > 1)).any()):
        raise ValueError(f"{name} must lie in [0, 1] (it is a probability)")
    return values


def binary_objective_argmax(a, b):
    """argmax_{y∈[0,1]} a log y + b log(1 − y) = a / (a + b)  (a, b ≥ 0, not both 0)."""
    a, b = _weights(a, b)
    return a / (a + b)


def _pointwise(p_data, p_g):
    """Density (or probability) values, finite and ≥ 0, compared point by point."""
    return nonnegative(as_array(p_data, "p_data"), "p_data"), nonnegative(as_array(p_g, "p_g"), "p_g")


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) elementwise; defined as ½ where both are
    0 (no sample ever lands there, so any value is optimal; ½ is the symmetric choice)."""
    xp = backend.xp
    p_data, p_g = _pointwise(p_data, p_g)
    total = p_data + p_g
    return result(xp.where(total > 0, p_data / xp.where(total > 0, total, 1.0), 0.5))


def _weighted_log(weight, values):
    """weight · log(values) with 0 · log 0 = 0 (the value where nothing lands is irrelevant)."""
    xp = backend.xp
    positive = weight > 0
    return xp.where(positive, weight * xp.log(xp.where(positive, values, 1.0)), 0.0)


def value_function(d, p_data, p_g, x=None, one_minus_d=None):
    """V(D, G) = ∫ p_data log D + p_g log(1 − D) dx  (a sum when ``x`` is None).

    ``one_minus_d`` may give 1 − D directly where D rounds to 1 in floating point.
    ``p_data`` and ``p_g`` must be distributions (sum, or integrate over ``x``, to 1)."""
    d = _probabilities(as_array(d, "d"), "d")
    one_minus_d = 1 - d if one_minus_d is None else _probabilities(
        as_array(one_minus_d, "one_minus_d"), "one_minus_d")
    p_data, p_g = as_array(p_data, "p_data"), as_array(p_g, "p_g")
    if not (d.shape == p_data.shape == p_g.shape):
        raise ValueError(f"d, p_data and p_g must share one shape, got {d.shape}, "
                         f"{p_data.shape}, {p_g.shape}")
    check_normalized(p_data, x, "p_data")
    check_normalized(p_g, x, "p_g")
    return result(integrate(_weighted_log(p_data, d) + _weighted_log(p_g, one_minus_d), x))


def generator_criterion(p_data, p_g, x=None):
    """C(G) = V(D*_G, G); equals −log 4 + 2·JSD(p_data ‖ p_g), minimal (−log 4) iff p_g = p_data.

    1 − D* = p_g / (p_data + p_g) is computed as such, not as 1 − D* (which is 0 in
    floating point where p_g ≪ p_data)."""
    return value_function(optimal_discriminator(p_data, p_g), p_data, p_g, x,
                          one_minus_d=optimal_discriminator(p_g, p_data))


def label_smoothed_optimum(p_data, p_g, alpha=0.0, beta=0.0):
    """The discriminator optimum with real targets 1 − α and fake targets β:
        D(x) = ((1 − α) p_data(x) + β p_g(x)) / (p_data(x) + p_g(x))
    (with β > 0 it stays above 0 where p_data is small, rewarding G for staying there)."""
    xp = backend.xp
    p_data, p_g = _pointwise(p_data, p_g)
    total = p_data + p_g
    smoothed = ((1 - alpha) * p_data + beta * p_g) / xp.where(total > 0, total, 1.0)
    return result(xp.where(total > 0, smoothed, (1 - alpha + beta) / 2))
