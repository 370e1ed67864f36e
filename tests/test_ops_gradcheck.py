"""Every op is gradchecked in float64 against central finite differences.

One table drives the tests (minitorch's idea): each row is an op, the shapes of its
inputs (broadcasting included) and the domain its inputs are drawn from. Tolerance:
central differences with ε = 1e-6 have truncation error O(ε²·f''') ≈ 1e-12 and rounding
error ≈ 1e-16/ε = 1e-10, so atol 1e-6 / rtol 1e-4 leaves a wide margin yet fails on
any wrong formula (those are off by O(1)).
"""
import numpy as np
import pytest

import tinygan as tg
from tinygan import backend

pytestmark = pytest.mark.usefixtures("on_backend")

positive = (0.5, 2.0)
anywhere = (-2.0, 2.0)

OPS = [
    # name, function, input shapes, domain
    ("add broadcast", lambda a, b: a + b, [(3, 4), (4,)], anywhere),
    ("add keep-dim broadcast", lambda a, b: a + b, [(3, 1), (2, 3, 4)], anywhere),
    ("sub", lambda a, b: a - b, [(2, 3), (2, 1)], anywhere),
    ("rsub scalar", lambda a: 1.5 - a, [(3,)], anywhere),
    ("mul broadcast", lambda a, b: a * b, [(2, 3, 4), (3, 1)], anywhere),
    ("div", lambda a, b: a / b, [(3, 4), (4,)], positive),
    ("rdiv scalar", lambda a: 2.0 / a, [(3,)], positive),
    ("pow scalar", lambda a: a ** 3, [(3, 2)], anywhere),
    ("pow tensor", lambda a, b: a ** b, [(3, 2), (2,)], positive),
    ("neg", lambda a: -a, [(4,)], anywhere),
    ("matmul 2-D", lambda a, b: a @ b, [(3, 4), (4, 5)], anywhere),
    ("matmul 1-D @ 2-D", lambda a, b: a @ b, [(4,), (4, 5)], anywhere),
    ("matmul 2-D @ 1-D", lambda a, b: a @ b, [(3, 4), (4,)], anywhere),
    ("matmul 1-D @ 1-D", lambda a, b: a @ b, [(4,), (4,)], anywhere),
    ("matmul batched", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)], anywhere),
    ("matmul batch broadcast", lambda a, b: a @ b, [(2, 3, 4), (4, 5)], anywhere),
    ("exp", tg.exp, [(3, 4)], anywhere),
    ("log", tg.log, [(3, 4)], positive),
    ("sqrt", tg.sqrt, [(3, 4)], positive),
    ("abs", tg.abs, [(3, 4)], anywhere),
    ("clip", lambda a: tg.clip(a, -0.5, 0.7), [(4, 5)], anywhere),
    ("maximum", tg.maximum, [(3, 4), (4,)], anywhere),
    ("minimum", tg.minimum, [(3, 4), (3, 1)], anywhere),
    ("where", lambda a, b: tg.where(a > 0, a, b), [(3, 4), (3, 4)], anywhere),
    ("sum all", lambda a: a.sum(), [(3, 4)], anywhere),
    ("sum axis", lambda a: a.sum(axis=1), [(3, 4, 2)], anywhere),
    ("sum negative axis keepdims", lambda a: a.sum(axis=-1, keepdims=True), [(3, 4)], anywhere),
    ("sum tuple axes", lambda a: a.sum(axis=(0, 2)), [(3, 4, 2)], anywhere),
    ("mean", lambda a: a.mean(axis=0), [(3, 4)], anywhere),
    ("mean keepdims", lambda a: a.mean(axis=-2, keepdims=True), [(2, 3, 4)], anywhere),
    ("max", lambda a: a.max(axis=1), [(3, 5)], anywhere),
    ("max all", lambda a: a.max(), [(3, 5)], anywhere),
    ("min keepdims", lambda a: a.min(axis=0, keepdims=True), [(4, 3)], anywhere),
    ("var", lambda a: a.var(axis=0), [(5, 3)], anywhere),
    ("var ddof", lambda a: a.var(ddof=1), [(5, 3)], anywhere),
    ("reshape", lambda a: a.reshape(6, 2) * 2, [(3, 4)], anywhere),
    ("transpose", lambda a: a.transpose(1, 0, 2), [(2, 3, 4)], anywhere),
    (".T", lambda a: a.T, [(2, 3)], anywhere),
    ("getitem slice", lambda a: a[1:, ::2], [(3, 4)], anywhere),
    ("getitem int", lambda a: a[1], [(3, 4)], anywhere),
    ("getitem repeated indices", lambda a: a[[0, 2, 0, 0]], [(3, 4)], anywhere),
    ("getitem pairs", lambda a: a[[0, 1, 1], [2, 2, 3]], [(3, 4)], anywhere),
    ("getitem mask", lambda a: a[a > 0], [(3, 4)], anywhere),
    ("concatenate", lambda a, b: tg.concatenate([a, b, a], axis=1), [(2, 3), (2, 1)], anywhere),
    ("stack", lambda a, b: tg.stack([a, b], axis=-1), [(2, 3), (2, 3)], anywhere),
    ("relu", tg.relu, [(4, 5)], anywhere),
    ("leaky_relu", lambda a: tg.leaky_relu(a, 0.2), [(4, 5)], anywhere),
    ("sigmoid", tg.sigmoid, [(4, 5)], anywhere),
    ("tanh", tg.tanh, [(4, 5)], anywhere),
    ("softplus", tg.softplus, [(4, 5)], anywhere),
    ("log_sigmoid", tg.log_sigmoid, [(4, 5)], anywhere),
]


def _inputs(shapes, domain, seed):
    rng = np.random.default_rng(seed)
    low, high = domain
    # keep entries away from kinks (0 for relu/abs, clip bounds, ties) by > ε
    values = [rng.uniform(low, high, shape) for shape in shapes]
    values = [np.where(np.abs(v) < 0.05, 0.1, v) for v in values]
    values = [np.where(np.abs(v + 0.5) < 0.05, -0.6, v) for v in values]
    values = [np.where(np.abs(v - 0.7) < 0.05, 0.8, v) for v in values]
    return [tg.tensor(v, requires_grad=True) for v in values]


@pytest.mark.parametrize("name, fn, shapes, domain", OPS, ids=[row[0] for row in OPS])
def test_op_gradient_matches_finite_differences(name, fn, shapes, domain):
    inputs = _inputs(shapes, domain, seed=len(name))
    result = tg.gradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-4)
    assert result.passed, str(result)
    assert result.max_abs_error < 1e-6


@pytest.mark.parametrize("name, fn, shapes, domain", OPS, ids=[row[0] for row in OPS])
def test_op_keeps_float32(name, fn, shapes, domain):
    """No silent upcast: float32 in, float32 out, float32 gradients."""
    inputs = [tg.tensor(x.numpy().astype(np.float32), requires_grad=True)
              for x in _inputs(shapes, domain, seed=1)]
    out = fn(*inputs)
    assert out.dtype == np.float32
    out.sum().backward()
    for x in inputs:
        assert x.grad is None or x.grad.dtype == np.float32
        assert x.grad is None or x.grad.shape == x.shape


def test_gradcheck_catches_a_wrong_gradient():
    """gradcheck itself can fail: an op whose backward is off by a factor 2 is reported."""
    from tinygan.tensor import make_node

    def bad_square(x):
        return make_node(x.data ** 2, (x,), lambda g: (g * 4 * x.data,), "bad_square")

    x = tg.tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
    with pytest.raises(tg.GradcheckError, match="worst entry is input 0"):
        tg.gradcheck(bad_square, x)
    result = tg.gradcheck(bad_square, x, raise_exception=False)
    assert not result.passed and result.max_abs_error > 1.0


def test_gradcheck_refuses_float32():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(tg.exp, x)


def test_arrays_live_on_the_active_backend(on_backend):
    x = tg.tensor([1.0, 2.0])
    assert backend.get_array_module(x.data) is backend.xp
    assert type(x.numpy()) is np.ndarray


def test_astype_gradient_is_converted_back():
    """astype is the identity on values, so its gradient is g in the input's dtype."""
    x = tg.tensor([0.25, -1.5], dtype="float64", requires_grad=True)
    (x.astype("float32") * tg.tensor([2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(tg.tensor(x.grad).numpy(), [2.0, 3.0])
