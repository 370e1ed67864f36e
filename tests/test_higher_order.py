"""Gradients of gradients: ``tinygan.grad`` and ``backward(create_graph=True)`` with
PyTorch's semantics, a Hessian-vector product, and the WGAN-GP penalty reaching D's
weights through the 2014 paper's maxout-and-dropout discriminator.

Finite-difference tolerances: central differences in float64 with ε = 1e-6 are accurate
to ~1e-9 for these smooth (or piecewise-linear, away from kinks) functions, so atol 1e-6
with rtol 1e-4 fails any wrong rule (off by O(1)) and passes correct ones with margin.
"""
import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.nn import functional as F

pytestmark = pytest.mark.usefixtures("on_backend")


def _f64(values, requires_grad=True):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def test_second_derivative_of_a_cubic():
    """f = x³: f' = 3x², f'' = 6x, f''' = 6 — each from grad(…, create_graph=True)."""
    x = _f64([0.5, -2.0])
    (first,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    (second,) = tg.grad(first.sum(), x, create_graph=True)
    (third,) = tg.grad(second.sum(), x)
    np.testing.assert_allclose(first.numpy(), [0.75, 12.0], rtol=1e-14)
    np.testing.assert_allclose(second.numpy(), [3.0, -12.0], rtol=1e-14)
    np.testing.assert_allclose(third.numpy(), [6.0, 6.0], rtol=1e-14)


def test_grad_leaves_dot_grad_alone_and_follows_pytorch():
    x = _f64([1.0, 2.0])
    y = _f64([3.0])
    out = (x * x).sum()
    (gx,) = tg.grad(out, [x], retain_graph=True)
    assert x.grad is None and isinstance(gx, tg.Tensor)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="not used"):
        tg.grad(out, [x, y], retain_graph=True)
    gx, gy = tg.grad(out, [x, y], allow_unused=True)
    assert gy is None
    with pytest.raises(RuntimeError, match="already freed"):
        tg.grad(out, x)                      # retain_graph defaulted to create_graph=False


def test_grad_with_respect_to_an_intermediate_tensor():
    x = _f64([1.0, -2.0])
    h = x * 3
    out = (h * h).sum()
    (gh,) = tg.grad(out, h)
    np.testing.assert_allclose(gh.numpy(), [6.0, -12.0])


def test_backward_create_graph_gives_a_differentiable_grad():
    x = _f64([0.3, 0.7])
    (x.sigmoid() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    penalty = (x.grad * x.grad).sum()
    (g,) = tg.grad(penalty, x)
    # check against finite differences of the first derivative f'(x) = σ + xσ(1 − σ)
    def first(v):
        s = 1 / (1 + np.exp(-v))
        return s + v * s * (1 - s)
    v, eps = x.numpy(), 1e-6
    numeric = (first(v + eps) ** 2 - first(v - eps) ** 2) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), numeric, rtol=1e-6)


def test_hessian_vector_product_of_a_small_mlp_matches_finite_differences():
    """Hv = ∂/∂θ ⟨∇θ L, v⟩ for a 2-layer tanh MLP, against (∇L(θ + εv) − ∇L(θ − εv)) / 2ε."""
    rng = np.random.default_rng(0)
    data = tg.tensor(rng.normal(size=(5, 3)))
    w1, w2 = _f64(rng.normal(size=(3, 4))), _f64(rng.normal(size=(4, 1)))
    v1, v2 = (tg.backend.asarray(rng.normal(size=shape)) for shape in [(3, 4), (4, 1)])

    def loss():
        return -((data @ w1).tanh() @ w2).log_sigmoid().mean()

    g1, g2 = tg.grad(loss(), [w1, w2], create_graph=True)
    dot = (g1 * tg.tensor(v1)).sum() + (g2 * tg.tensor(v2)).sum()
    h1, h2 = tg.grad(dot, [w1, w2])

    eps = 1e-6
    def gradient_at(shift):
        w1.data += shift * v1
        w2.data += shift * v2
        grads = [g.numpy() for g in tg.grad(loss(), [w1, w2])]
        w1.data -= shift * v1
        w2.data -= shift * v2
        return grads
    (p1, p2), (m1, m2) = gradient_at(eps), gradient_at(-eps)
    np.testing.assert_allclose(h1.numpy(), (p1 - m1) / (2 * eps), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(h2.numpy(), (p2 - m2) / (2 * eps), rtol=1e-4, atol=1e-6)


def _paper_discriminator():
    """The 2014 paper's D, small: dropout → maxout → dropout → maxout → dropout → linear."""
    tg.manual_seed(7)
    return nn.Sequential(nn.Dropout(0.2), nn.Maxout(6, 8, 3), nn.Dropout(0.5),
                         nn.Maxout(8, 8, 3), nn.Dropout(0.5), nn.Linear(8, 1))


def test_wgan_gp_penalty_reaches_the_discriminators_weights():
    """The classic bug: a penalty (‖∇ₓD(x̂)‖ − 1)² built from a first-order gradient never
    reaches D's weights. Here its gradient with respect to every weight of a maxout +
    dropout D is checked against central differences (dropout masks fixed by reseeding)."""
    critic = _paper_discriminator()
    for p in critic.parameters():
        p.data = p.data.astype("float64")
    x_hat = tg.tensor(np.random.default_rng(1).normal(size=(5, 6)), requires_grad=True)

    def penalty():
        tg.manual_seed(11)                        # the same dropout masks every time
        (gradient,) = tg.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        norms = ((gradient * gradient).sum(axis=1) + 1e-12).sqrt()   # a row may be all 0
        return ((norms - 1) ** 2).mean()

    parameters = critic.parameters()
    analytic = tg.grad(penalty(), parameters, allow_unused=True)
    # ∇ₓD = W₁ᵀ·(routing by the maxout winners)·…·w₃ involves every weight matrix; the
    # biases only move the (piecewise constant) winners, so the penalty does not depend on
    # them: PyTorch reports them unused too.
    weights = [g for p, g in zip(parameters, analytic) if p.ndim == 2]
    assert len(weights) == 3 and all(float(g.abs().sum()) > 0 for g in weights)
    result = tg.gradcheck(lambda *weights: penalty(), *parameters, atol=1e-6, rtol=1e-4)
    assert result.passed, str(result)


def test_first_order_results_do_not_depend_on_create_graph():
    """The same rules run with and without recording: identical first-order gradients."""
    critic = _paper_discriminator()
    x = tg.tensor(np.random.default_rng(2).normal(size=(8, 6)).astype("float32"))
    grads = []
    for create_graph in (False, True):
        tg.manual_seed(3)
        critic.zero_grad()
        F.binary_cross_entropy_with_logits(critic(x), 1.0).backward(create_graph=create_graph)
        grads.append([p.grad.numpy() for p in critic.parameters()])
    for plain, recorded in zip(*grads):
        np.testing.assert_array_equal(plain, recorded)
