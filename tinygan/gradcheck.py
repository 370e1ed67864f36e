"""``gradcheck`` and ``gradgradcheck``: compare autograd with central finite differences,
in float64.

For a function f of tensors and a fixed random direction r, ``gradcheck`` checks the
scalar L(x) = Σ f(x)·r: each analytic ∂L/∂xᵢ is compared with
    (L(x + ε eᵢ) − L(x − ε eᵢ)) / 2ε        (error O(ε²))
``gradgradcheck`` does the same for the first derivative: with a second random direction
v it checks H(x) = Σᵢ ⟨∂L/∂xᵢ, vᵢ⟩, whose gradient is the Hessian-vector product. An
entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
"""
from dataclasses import dataclass

from tinygan import backend
from tinygan.tensor import Tensor, grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "GradcheckResult"]


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree."""


@dataclass
class GradcheckResult:
    passed: bool
    max_abs_error: float
    max_rel_error: float
    worst_input: int
    worst_index: tuple
    analytic: float
    numeric: float
    order: int = 1

    def __bool__(self):
        return self.passed

    def __str__(self):
        verdict = "passed" if self.passed else "FAILED"
        name = "gradcheck" if self.order == 1 else "gradgradcheck"
        return (f"{name} {verdict}: worst entry is input {self.worst_input} at index "
                f"{self.worst_index}: analytic {self.analytic:.10g}, numeric {self.numeric:.10g} "
                f"(abs error {self.max_abs_error:.3g}, rel error {self.max_rel_error:.3g})")


def _checked_inputs(name, inputs):
    for position, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.itemsize < 8:
            raise TypeError(f"{name}: input {position} is {x.dtype}; finite differences need "
                            f"float64 inputs (use .astype('float64') or dtype='float64')")
    checked = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{name}: no input has requires_grad=True")
    return checked


def _direction(shape, seed, like):
    """A fixed random direction, drawn on the host so it is the same on every backend."""
    values = backend.host.random.default_rng(seed).standard_normal(shape)
    return Tensor(backend.asarray(values.astype(like.dtype)))


def _first_order(fn, inputs, checked, seed):
    """L(x) = Σ f(x)·r as a function of nothing (it reads the inputs' current data)."""
    probe = fn(*inputs)         # with grad mode on: fn may differentiate inside (tg.grad)
    direction = _direction(probe.shape, seed, probe)
    return lambda: (fn(*inputs) * direction).sum()


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0, raise_exception=True):
    """Check ``fn``'s gradients with respect to every input that requires grad.

    ``inputs`` are Tensors (float64 ones, so that ε = 1e-6 differences are meaningful:
    float32 inputs are refused). ``fn`` returns a Tensor of any shape. Returns a
    :class:`GradcheckResult` (truthy when all entries pass) and raises
    :class:`GradcheckError` describing the worst entry when one fails, unless
    ``raise_exception=False``.
    """
    checked = _checked_inputs("gradcheck", inputs)
    objective = _first_order(fn, inputs, checked, seed)
    analytic = _gradients(objective, [x for _, x in checked], create_graph=False)
    return _compare(objective, analytic, checked, eps, atol, rtol, raise_exception, order=1)


def gradgradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0, raise_exception=True):
    """Check ``fn``'s second derivatives: the gradient of H(x) = Σᵢ ⟨∂L/∂xᵢ, vᵢ⟩ (a
    Hessian-vector product of L(x) = Σ f(x)·r) against central differences of H, where
    ∂L/∂x comes from a first-order backward pass. Same arguments as :func:`gradcheck`."""
    checked = _checked_inputs("gradgradcheck", inputs)
    objective = _first_order(fn, inputs, checked, seed)
    tensors = [x for _, x in checked]
    directions = [_direction(x.shape, seed + 1 + i, x) for i, x in enumerate(tensors)]

    def hessian_vector(create_graph):
        firsts = _gradients(objective, tensors, create_graph=create_graph)
        total = None
        for first, v in zip(firsts, directions):
            term = (first * v).sum()
            total = term if total is None else total + term
        return total

    analytic = _gradients(lambda: hessian_vector(True), tensors, create_graph=False)
    return _compare(lambda: hessian_vector(False), analytic, checked, eps, atol, rtol,
                    raise_exception, order=2)


def _gradients(objective, tensors, create_graph):
    """∂objective/∂tensors (zeros where the objective does not depend on a tensor)."""
    value = objective()
    if not value.requires_grad:
        found = [None] * len(tensors)
    else:
        found = grad(value, tensors, create_graph=create_graph, allow_unused=True)
    return [g if g is not None else Tensor(backend.get_array_module(x.data).zeros_like(x.data))
            for g, x in zip(found, tensors)]


def _compare(objective, analytic, checked, eps, atol, rtol, raise_exception, order):
    """Central differences of ``objective`` at every entry of every checked input."""
    analytic = [backend.to_numpy(g.data) for g in analytic]
    worst = GradcheckResult(True, 0.0, 0.0, -1, (), 0.0, 0.0, order)
    worst_excess = -float("inf")
    for position, (input_number, x) in enumerate(checked):
        host = backend.to_numpy(x.data)
        for flat in range(host.size):
            index = _unravel(flat, host.shape)
            original = float(host[index])
            x.data[index] = original + eps
            upper = objective().item()
            x.data[index] = original - eps
            lower = objective().item()
            x.data[index] = original
            numeric = (upper - lower) / (2 * eps)
            exact = float(analytic[position][index])
            error = abs(exact - numeric)
            excess = error - (atol + rtol * abs(numeric))
            if excess > worst_excess:
                worst_excess = excess
                worst = GradcheckResult(excess <= 0, error, error / max(abs(numeric), 1e-300),
                                        input_number, index, exact, numeric, order)
    worst.passed = worst_excess <= 0
    if not worst.passed and raise_exception:
        raise GradcheckError(str(worst))
    return worst


def _unravel(flat, shape):
    index = []
    for n in reversed(shape):
        index.append(flat % n)
        flat //= n
    return tuple(reversed(index))
