"""One optimizer step equals the published update computed by hand, in float64, to 1e-12."""
import numpy as np
import pytest

import tinygan as tg
from tinygan import nn, optim

pytestmark = pytest.mark.usefixtures("on_backend")


def _parameter(values):
    return nn.Parameter(tg.tensor(np.asarray(values, dtype=np.float64)).data)


def _set_grad(p, values):
    p.grad = tg.tensor(np.asarray(values, dtype=np.float64))


theta0 = np.array([0.5, -1.0, 2.0])
grads = [np.array([0.1, -0.3, 0.7]), np.array([-0.2, 0.4, 0.05]), np.array([0.3, 0.3, -0.1])]


@pytest.mark.parametrize("momentum, nesterov, weight_decay",
                         [(0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 0.0), (0.5, False, 0.01)])
def test_sgd_matches_the_formula(momentum, nesterov, weight_decay):
    p = _parameter(theta0)
    opt = optim.SGD([p], lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    theta, v = theta0.copy(), None
    for g in grads:
        _set_grad(p, g)
        opt.step()
        g = g + weight_decay * theta
        v = g.copy() if v is None else momentum * v + g
        d = (g + momentum * v if nesterov else v) if momentum else g
        theta = theta - 0.1 * d
        np.testing.assert_allclose(p.numpy(), theta, rtol=0, atol=1e-12)


def test_adam_matches_the_formula():
    p = _parameter(theta0)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    theta, m, v = theta0.copy(), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        _set_grad(p, g)
        opt.step()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(p.numpy(), theta, rtol=0, atol=1e-12)


def test_param_groups_take_their_own_learning_rates():
    a, b = _parameter([1.0]), _parameter([1.0])
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b]}], lr=0.1)
    _set_grad(a, [1.0])
    _set_grad(b, [1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.5, 0.9], atol=1e-15)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="unknown optimizer settings"):
        optim.SGD([{"params": [a], "learning_rate": 0.5}], lr=0.1)


def test_paper_schedules():
    """η_t = max(0.1 / 1.000004ᵗ, 1e-6) and momentum 0.5 → 0.7 linearly, then held."""
    p = _parameter([0.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    decay = optim.ExponentialDecay(opt, initial=0.1, factor=1.000004, floor=1e-6)
    ramp = optim.LinearRamp(opt, start=0.5, end=0.7, steps=100)
    for _ in range(50):
        decay.step()
        ramp.step()
    assert abs(opt.param_groups[0]["lr"] - 0.1 / 1.000004 ** 50) < 1e-15
    assert abs(opt.param_groups[0]["momentum"] - 0.6) < 1e-15
    for _ in range(100):
        ramp.step()
    assert opt.param_groups[0]["momentum"] == 0.7
    assert optim.ExponentialDecay(opt, initial=0.1, factor=2.0, floor=1e-6).value(100) == 1e-6
    decay.load_state_dict({"t": 10})
    assert abs(opt.param_groups[0]["lr"] - 0.1 / 1.000004 ** 10) < 1e-15
