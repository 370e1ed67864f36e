"""``gradcheck``: compare autograd with central finite differences, in float64.

For a function f of tensors and a fixed random direction r, the checked scalar is
L(x) = Σ f(x)·r, and each analytic ∂L/∂xᵢ is compared with
    (L(x + ε eᵢ) − L(x − ε eᵢ)) / 2ε        (error O(ε²))
An entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
"""
from dataclasses import dataclass

from tinygan import backend
from tinygan.tensor import Tensor, no_grad

__all__ = ["gradcheck", "GradcheckError", "GradcheckResult"]


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

    def __bool__(self):
        return self.passed

    def __str__(self):
        verdict = "passed" if self.passed else "FAILED"
        return (f"gradcheck {verdict}: worst entry is input {self.worst_input} at index "
                f"{self.worst_index}: analytic {self.analytic:.10g}, numeric {self.numeric:.10g} "
                f"(abs error {self.max_abs_error:.3g}, rel error {self.max_rel_error:.3g})")


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0, raise_exception=True):
    """Check ``fn``'s gradients with respect to every input that requires grad.

    ``inputs`` are Tensors (float64 ones, so that ε = 1e-6 differences are meaningful:
    float32 inputs are refused). ``fn`` returns a Tensor of any shape. Returns a
    :class:`GradcheckResult` (truthy when all entries pass) and raises
    :class:`GradcheckError` describing the worst entry when one fails, unless
    ``raise_exception=False``.
    """
    for position, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.kind == "f" and x.dtype.itemsize < 8:
            raise TypeError(f"gradcheck: input {position} is {x.dtype}; finite differences need "
                            f"float64 inputs (use .astype('float64') or dtype='float64')")
    checked = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")

    with no_grad():
        probe = fn(*inputs)
    xp = backend.get_array_module(probe.data)
    direction = backend.asarray(_host_normal(probe.shape, seed).astype(probe.dtype))

    def objective():
        return (fn(*inputs) * Tensor(direction)).sum()

    for _, x in checked:
        x.grad = None
    objective().backward()
    analytic = [backend.to_numpy(x.grad) if x.grad is not None
                else backend.to_numpy(xp.zeros(x.shape)) for _, x in checked]

    worst = GradcheckResult(True, 0.0, 0.0, -1, (), 0.0, 0.0)
    worst_excess = -float("inf")
    with no_grad():
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
                                            input_number, index, exact, numeric)
    worst.passed = worst_excess <= 0
    if not worst.passed and raise_exception:
        raise GradcheckError(str(worst))
    return worst


def _host_normal(shape, seed):
    """The fixed random direction r, drawn on the host so it is the same on every backend."""
    return backend.host.random.default_rng(seed).standard_normal(shape)


def _unravel(flat, shape):
    index = []
    for n in reversed(shape):
        index.append(flat % n)
        flat //= n
    return tuple(reversed(index))
