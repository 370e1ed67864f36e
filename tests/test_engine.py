"""The engine's documented behaviour: known derivatives, numerical stability, gradient
accumulation, no_grad / detach / retain_graph, deep graphs, and errors that teach."""
import types

import numpy as np
import pytest

import tinygan as tg
from tinygan import backend

pytestmark = pytest.mark.usefixtures("on_backend")


def _f64(values, requires_grad=True):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def test_derivative_of_x_sigmoid_x_matches_the_closed_form():
    """d/dx x·σ(x) = σ(x) + x·σ(x)(1 − σ(x)), to float64 rounding (1e-12)."""
    values = np.linspace(-6, 6, 25)
    x = _f64(values)
    (x * tg.sigmoid(x)).sum().backward()
    s = 1 / (1 + np.exp(-values))
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), s + values * s * (1 - s), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_log_sigmoid_sigmoid_are_exact_at_plus_minus_1e4(dtype):
    """At |x| = 1e4 the naive formulas give inf or nan; ours give the exact limits:
    softplus(1e4) = 1e4, softplus(−1e4) = 0, log σ(1e4) = 0, log σ(−1e4) = −1e4, and
    derivatives σ(x) → 1 / 0 and 1 − σ(x) → 0 / 1."""
    x = tg.tensor(np.array([1e4, -1e4], dtype=dtype), requires_grad=True)
    for fn, value, slope in [(tg.softplus, [1e4, 0.0], [1.0, 0.0]),
                             (tg.log_sigmoid, [0.0, -1e4], [0.0, 1.0]),
                             (tg.sigmoid, [1.0, 0.0], [0.0, 0.0])]:
        x.zero_grad()
        y = fn(x)
        y.sum().backward()
        assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(tg.tensor(x.grad).numpy()))
        np.testing.assert_array_equal(y.numpy(), np.array(value, dtype=dtype))
        np.testing.assert_array_equal(tg.tensor(x.grad).numpy(), np.array(slope, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_matches_scipy_where_the_naive_formula_overflows(dtype):
    """logsumexp against SciPy's (the oracle) on rows near ±1e4, where log Σ eˣ overflows
    to inf or underflows to −inf; an all −∞ row gives −∞ as SciPy does. Its gradient is
    the softmax, so each row's gradient sums to 1. Tolerances: float64 rounding (1e-12,
    relative); in float32, y near 1e4 is rounded to half the spacing of numbers there
    (2⁻¹¹ ≈ 4.9e-4), so y is good to 2e-7 relative but e^(x − y), the gradient, only to
    4.9e-4 (bound 1e-3)."""
    from scipy.special import logsumexp
    values = np.array([[1e4, 1e4 - 1, 1e4 + 2], [-1e4, -1e4 + 3, -1e4 - 5],
                       [0.5, -0.25, 2.0]], dtype=dtype)
    x = tg.tensor(values, requires_grad=True)
    y = tg.logsumexp(x, axis=1)
    y.sum().backward()
    rtol = 1e-12 if dtype == "float64" else 2e-7
    np.testing.assert_allclose(y.numpy(), logsumexp(values.astype(np.float64), axis=1), rtol=rtol)
    np.testing.assert_allclose(tg.tensor(x.grad).numpy().sum(axis=1), 1.0,
                               rtol=1e-12 if dtype == "float64" else 1e-3)
    with np.errstate(divide="ignore"):
        empty = tg.logsumexp(tg.tensor(np.full((1, 3), -np.inf, dtype=dtype)), axis=1)
    assert empty.numpy()[0] == -np.inf


def test_small_mlp_gradient_matches_hand_derivation(host_rng):
    """L = Σ (W2 relu(W1 x + b1) + b2 − y)² / n, derived by hand:
    e = 2(ŷ − y)/n;  ∂L/∂W2 = hᵀe;  ∂L/∂b2 = Σe;  δ = (e W2ᵀ)·[a > 0];  ∂L/∂W1 = xᵀδ;  ∂L/∂b1 = Σδ."""
    n = 6
    x = host_rng.standard_normal((n, 3))
    y = host_rng.standard_normal((n, 2))
    W1, b1 = host_rng.standard_normal((3, 4)), host_rng.standard_normal(4)
    W2, b2 = host_rng.standard_normal((4, 2)), host_rng.standard_normal(2)
    params = [_f64(p) for p in (W1, b1, W2, b2)]
    tW1, tb1, tW2, tb2 = params
    prediction = tg.relu(_f64(x, False) @ tW1 + tb1) @ tW2 + tb2
    ((prediction - _f64(y, False)) ** 2).sum().__truediv__(n).backward()

    a = x @ W1 + b1
    h = np.maximum(a, 0)
    e = 2 * (h @ W2 + b2 - y) / n
    delta = (e @ W2.T) * (a > 0)
    expected = [x.T @ delta, delta.sum(0), h.T @ e, e.sum(0)]
    for p, want in zip(params, expected):
        np.testing.assert_allclose(tg.tensor(p.grad).numpy(), want, rtol=1e-12, atol=1e-12)


def test_gradients_accumulate_until_zero_grad():
    x = _f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), [3 + 2, 3 + 4])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), [3, 3])


def test_a_value_used_twice_gets_both_gradients():
    x = _f64([2.0])
    y = x * x + x          # dy/dx = 2x + 1 = 5
    y.backward(tg.tensor(np.ones(1)))
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), [5.0])


def test_no_grad_builds_no_graph_and_detach_cuts_it():
    x = _f64([1.0, 2.0])
    with tg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    z = (x.detach() * x).sum()     # only the second factor carries gradient
    z.backward()
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), [1.0, 2.0])

    @tg.no_grad()
    def doubled(t):
        return t * 2
    assert not doubled(x).requires_grad
    assert tg.is_grad_enabled()


def test_retain_graph_allows_a_second_backward_and_freed_graph_says_so():
    x = _f64([1.5])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), [6.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_frees_intermediate_buffers():
    x = _f64([1.0, 2.0])
    h = x * x
    loss = h.sum()
    loss.backward()
    assert h._parents == () and loss._parents == ()


def test_chain_of_100000_ops_runs_backward_without_recursion_error():
    x = _f64([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(tg.tensor(x.grad).numpy(), [1.0])


def test_backward_on_non_scalar_needs_a_gradient():
    x = _f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"one-element output.*shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(tg.tensor(np.array([1.0, 10.0])))
    np.testing.assert_allclose(tg.tensor(x.grad).numpy(), [2.0, 20.0])


def test_shape_errors_name_the_op_and_both_shapes():
    a, b = tg.zeros(2, 3), tg.zeros(4, 5)
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4, 5\)"):
        a + b
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        a @ b
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        a.reshape(4, 2)


def test_mixing_float32_and_float64_is_refused():
    with pytest.raises(TypeError, match="float32 and float64 would silently upcast"):
        tg.zeros(2) * tg.zeros(2, dtype="float64")


def test_python_floats_keep_the_tensor_dtype():
    assert (tg.zeros(2) * 0.5 + 1).dtype == np.float32
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor([1, 2]).dtype.kind == "i"


def test_item_numpy_and_repr():
    x = tg.tensor([[3.5]])
    assert x.item() == 3.5
    assert type(x.numpy()) is np.ndarray
    assert "tensor(" in repr(x)
    with pytest.raises(ValueError, match="one element"):
        tg.zeros(2).item()


def test_manual_seed_makes_draws_repeat():
    tg.manual_seed(7)
    first = tg.randn(3, 4).numpy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(first, tg.randn(3, 4).numpy())
    assert not np.array_equal(first, tg.randn(3, 4).numpy())


def test_every_draw_tinygan_makes_repeats_from_a_seed_and_differs_between_seeds():
    """The three kinds of draw the library makes (uniform float32, normal float32, 16-bit
    integers for dropout) from ``backend.rng()``: PCG64 on NumPy, Philox4x32-10 on CuPy.
    Over 10⁵ draws, within 5 standard errors: the uniforms lie in [0, 1) with mean 1/2
    (± 0.005), the normals have mean 0 (± 0.016) and sd 1 (± 0.011), and the integers
    span [0, 2¹⁶) with mean 32767.5 (± 300)."""
    def draws(seed):
        generator = backend.manual_seed(seed)
        return [backend.to_numpy(a).astype(np.float64) for a in (
            generator.random(100_000, dtype=np.float32),
            generator.standard_normal(100_000, dtype=np.float32),
            generator.integers(0, 1 << 16, size=100_000, dtype=backend.xp.uint16))]
    uniform, normal, integers = draws(5)
    for again, first in zip(draws(5), (uniform, normal, integers)):
        np.testing.assert_array_equal(again, first)
    assert not any(np.array_equal(a, b) for a, b in zip(draws(6), (uniform, normal, integers)))
    assert 0 <= uniform.min() and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.005
    assert abs(normal.mean()) < 0.016 and abs(normal.std() - 1) < 0.011
    assert integers.min() < 100 and integers.max() > 65435 and abs(integers.mean() - 32767.5) < 300


def test_a_module_with_philox_gets_philox_generators_and_numpy_keeps_pcg64(monkeypatch):
    """CuPy's generators are Philox4x32-10 (XORWOW's seeding costs 18 × more GPU time,
    benchmarks/PROFILE.md §7): any array module whose ``random`` has ``Philox4x3210`` gets
    ``Generator(Philox4x3210(seed))``; NumPy's ``default_rng`` stays PCG64."""
    if backend.get_backend() == "numpy":
        assert type(backend._new_generator(7).bit_generator).__name__ == "PCG64"

    class Philox4x3210:
        def __init__(self, seed):
            self.seed = seed

    fake = types.SimpleNamespace(random=types.SimpleNamespace(
        Philox4x3210=Philox4x3210, Generator=lambda bits: ("Generator", bits),
        default_rng=lambda seed: pytest.fail("default_rng where Philox exists")))
    monkeypatch.setattr(backend, "_active", lambda: fake)
    kind, bits = backend._new_generator(7)
    assert kind == "Generator" and isinstance(bits, Philox4x3210) and bits.seed == 7


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="floating-point"):
        tg.tensor([1, 2], requires_grad=True)


def test_unknown_and_unavailable_backends_say_what_to_do():
    with pytest.raises(backend.BackendError, match="unknown backend 'jax'"):
        tg.set_backend("jax")
    if "cupy" not in backend.available_backends():
        with pytest.raises(backend.BackendError, match="cupy-cuda12x"):
            tg.set_backend("cupy")


def test_tensors_from_two_backends_do_not_mix():
    """A NumPy-backed tensor and a device-backed one (the strict stand-in here; CuPy on a
    GPU machine) refuse to combine instead of silently copying between host and device."""
    with backend.using("numpy"):
        host = tg.tensor([1.0, 2.0])
    with backend.using("strict"):
        device = tg.tensor([1.0, 2.0])
        with pytest.raises(TypeError, match="host NumPy array was mixed with a device array"):
            host + device


def test_strict_backend_refuses_what_cupy_refuses():
    """The CPU check for CuPy breakage is itself checked: host arrays in device math, the
    generator methods CuPy lacks, and errstate are all refused."""
    with backend.using("strict"):
        xp = backend.xp
        device = xp.ones(3)
        with pytest.raises(TypeError, match="host NumPy array"):
            device * np.ones(3)
        with pytest.raises(TypeError, match="host NumPy array"):
            xp.concatenate([device, np.ones(2)])
        generator = backend.rng()
        for missing in ("normal", "permutation", "choice"):
            assert not hasattr(generator, missing)
        with pytest.raises(AttributeError, match="CuPy has no 'errstate'"):
            xp.errstate
        assert type(tg.tensor([1.0]).numpy()) is np.ndarray          # explicit copies are fine


def test_parameter_accepts_a_tensor_and_refuses_what_is_not_numbers():
    """``nn.Parameter(tg.tensor(...))`` (the PyTorch idiom) shares the tensor's array;
    object arrays (e.g. a list of Tensors) are refused with a message."""
    t = tg.tensor([1.0, 2.0])
    p = tg.nn.Parameter(t)
    assert p.data is t.data and p.requires_grad
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])
    stacked = tg.tensor([tg.tensor([1.0]), tg.tensor([2.0])])     # Tensors read as numbers
    assert stacked.shape == (2, 1) and stacked.dtype == np.float32
    with pytest.raises(TypeError, match="not numbers"):
        tg.tensor([object(), "a"])
    with pytest.raises(TypeError, match="floating-point"):
        tg.nn.Parameter(np.array([object()]))


def test_every_op_refuses_to_mix_float_dtypes():
    """float32 with float64 is refused alike by arithmetic, concatenate and stack (NumPy
    would silently upcast to float64)."""
    a = tg.tensor(np.ones(2, dtype=np.float32))
    b = tg.tensor(np.ones(2, dtype=np.float64))
    for combine in (lambda: a + b, lambda: tg.concatenate([a, b]), lambda: tg.stack([a, b]),
                    lambda: tg.maximum(a, b), lambda: tg.where(a > 0, a, b)):
        with pytest.raises(TypeError, match="mixing float32 and float64"):
            combine()


def test_losses_refuse_targets_of_another_shape():
    """(3, 1) logits against (3,) targets would broadcast to a 3 × 3 table and average the
    wrong pairs (0.805 instead of 0.305); the loss refuses instead."""
    logits = tg.tensor(np.array([[2.0], [-1.0], [0.5]], dtype=np.float32))
    with pytest.raises(ValueError, match=r"targets of shape \(3,\) do not match"):
        tg.nn.functional.binary_cross_entropy_with_logits(logits, np.array([1.0, 0.0, 1.0]))
    loss = tg.nn.functional.binary_cross_entropy_with_logits(logits, np.array([[1.0], [0.0], [1.0]]))
    expected = np.mean(np.log1p(np.exp(-np.array([2.0, 1.0, 0.5]))))
    assert abs(loss.item() - expected) < 1e-6


def test_a_bad_TINYGAN_BACKEND_does_not_break_import_or_info(tmp_path):
    """Import and ``tinygan info`` work and say why; computing raises one clear error."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "TINYGAN_BACKEND": "nosuch"}
    code = ("import tinygan as tg\n"
            "try:\n    tg.tensor([1.0])\nexcept tg.backend.BackendError as e:\n    print('E', e)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and "E TINYGAN_BACKEND=nosuch: unknown backend 'nosuch'" in out.stdout
    info = subprocess.run([sys.executable, "-m", "tinygan", "info"], env=env, capture_output=True,
                          text=True)
    assert info.returncode == 0 and "unusable: TINYGAN_BACKEND=nosuch" in info.stdout
