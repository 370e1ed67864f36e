"""RMSProp (Tieleman & Hinton 2012), in PyTorch's formulation; the optimizer of the
original WGAN (Arjovsky et al. 2017: learning rate 5e-5, no momentum)."""
from tinygan.backend import get_array_module
from tinygan.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """For each parameter θ with gradient g (as ``torch.optim.RMSprop``):

        g ← g + λθ                                   (weight decay λ)
        v ← α v + (1 − α) g²                         (v starts at 0)
        centered:  ḡ ← α ḡ + (1 − α) g,  v̂ = v − ḡ²;  otherwise v̂ = v
        d = g / (√v̂ + ε)
        b ← μ b + d,  θ ← θ − η b   if momentum μ > 0 (b starts at 0), else θ ← θ − η d
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha must be in [0, 1), got {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def update(self, parameter, grad, group, state):
        xp = get_array_module(parameter.data)
        alpha = group["alpha"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter.data
        if "square_avg" not in state:
            state["square_avg"] = xp.zeros_like(parameter.data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(parameter.data)
            if group["momentum"]:
                state["momentum_buffer"] = xp.zeros_like(parameter.data)
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * (grad * grad)
        if group["centered"]:
            mean = state["grad_avg"]
            mean *= alpha
            mean += (1 - alpha) * grad
            denominator = xp.sqrt(v - mean * mean)
        else:
            denominator = xp.sqrt(v)
        denominator += group["eps"]
        direction = grad / denominator
        if group["momentum"]:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += direction
            direction = buffer
        parameter.data -= group["lr"] * direction
