"""Stochastic gradient descent with momentum, as the 2014 paper trained its GAN."""
from tinygan import fused
from tinygan.backend import get_array_module, split_elementwise
from tinygan.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """For each parameter θ with gradient g (PyTorch's formulation):

        g ← g + λθ                      (weight decay λ)
        v ← μ v + g                     (momentum μ; v = g at the first step)
        d ← g + μ v  if nesterov, else v
        θ ← θ − η d                     (learning rate η)

    Updates are made in place on the parameter arrays.
    """

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov,
                                      weight_decay=weight_decay))

    def update(self, parameter, grad, group, state):
        lr, momentum = group["lr"], group["momentum"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter.data
        if momentum and not group["nesterov"] and fused.sgd_momentum_(parameter.data, state,
                                                                       grad, momentum, lr):
            return                                   # the lines below, in one GPU kernel
        velocity, first = None, False
        if momentum:
            velocity = state.get("momentum_buffer")
            first = velocity is None
            if first:
                velocity = state["momentum_buffer"] = get_array_module(grad).empty_like(grad)
        # η·d goes through a reused work buffer: no parameter-sized temporary per step
        split_elementwise(_sgd_step, (parameter.data, grad, velocity),
                          (momentum, lr, group["nesterov"], first), scratch=1)


def _sgd_step(parameter, grad, velocity, scratch, momentum, lr, nesterov, first):
    """The update of the class docstring, in place, on arrays or on matching slices of
    them (velocity is None without momentum; ``first``: v = g)."""
    xp = get_array_module(parameter)
    direction = grad
    if velocity is not None:
        if first:
            xp.copyto(velocity, grad)
        else:
            velocity *= momentum
            velocity += grad
        direction = velocity
        if nesterov:
            xp.multiply(velocity, momentum, out=scratch)
            scratch += grad
            direction = scratch
    xp.multiply(direction, lr, out=scratch)
    parameter -= scratch
