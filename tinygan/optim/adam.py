"""Adam (Kingma & Ba 2015)."""
from tinygan import fused
from tinygan.backend import get_array_module, split_elementwise
from tinygan.optim.optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """For each parameter θ with gradient g, at step t = 1, 2, …:

        m ← β₁ m + (1 − β₁) g,        v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ),            v̂ = v / (1 − β₂ᵗ)
        θ ← θ − η m̂ / (√v̂ + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))

    def update(self, parameter, grad, group, state):
        xp = get_array_module(parameter.data)
        beta1, beta2 = group["betas"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter.data
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(parameter.data)
            state["exp_avg_sq"] = xp.zeros_like(parameter.data)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if fused.adam_(parameter.data, m, v, grad, beta1, beta2, t, group["lr"], group["eps"]):
            return                                   # the lines below, in one GPU kernel
        root_bias2 = (1 - beta2 ** t) ** 0.5
        split_elementwise(_adam_step, (parameter.data, grad, m, v),
                          (beta1, beta2, group["lr"] * root_bias2 / (1 - beta1 ** t),
                           group["eps"] * root_bias2), scratch=2)


def _adam_step(parameter, grad, m, v, step, denominator, beta1, beta2, lr_hat, eps_hat):
    """The update of the class docstring, in place, on arrays or on matching slices of
    them, with both bias corrections folded into two scalars (one pass fewer than
    dividing v by 1 − β₂ᵗ):

        η m̂ / (√v̂ + ε) = η̂ m / (√v + ε̂),
        η̂ = η √(1 − β₂ᵗ) / (1 − β₁ᵗ),  ε̂ = ε √(1 − β₂ᵗ)

    ``step`` and ``denominator`` are split_elementwise's reused work buffers (no
    temporaries)."""
    xp = get_array_module(parameter)
    m *= beta1
    xp.multiply(grad, 1 - beta1, out=step)
    m += step
    v *= beta2
    xp.multiply(grad, grad, out=step)
    step *= 1 - beta2
    v += step
    xp.sqrt(v, out=denominator)
    denominator += eps_hat
    xp.multiply(m, lr_hat, out=step)
    step /= denominator
    parameter -= step
