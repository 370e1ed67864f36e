"""Layers and losses: gradchecks in float64, maxout ties, dropout statistics, batch norm
modes, stable BCE, and Module bookkeeping."""
import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.nn import functional as F

pytestmark = pytest.mark.usefixtures("on_backend")


def _f64(values, requires_grad=True):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def _layer_gradcheck(layer, x):
    params = layer.parameters()
    def run(x, *ps):
        return layer(x)
    return tg.gradcheck(run, x, *params)


def test_linear_gradcheck(host_rng):
    layer = nn.Linear(4, 3, dtype="float64")
    assert _layer_gradcheck(layer, _f64(host_rng.standard_normal((5, 4))))


def test_maxout_gradcheck_away_from_ties(host_rng):
    layer = nn.Maxout(4, 3, pieces=5, dtype="float64")
    assert _layer_gradcheck(layer, _f64(host_rng.standard_normal((6, 4))))


def test_maxout_routes_gradient_to_the_winning_piece_and_first_on_ties():
    # two units, three pieces, piece-major columns: [p0u0 p0u1 p1u0 p1u1 p2u0 p2u1]
    x = _f64([[1.0, 5.0, 3.0, 5.0, 2.0, -1.0],     # unit 0: piece 1 wins; unit 1: tie p0/p1
              [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])     # all tied: piece 0 gets everything
    y = F.maxout(x, pieces=3)
    np.testing.assert_array_equal(y.numpy(), [[3.0, 5.0], [0.0, 0.0]])
    y.backward(tg.tensor(np.array([[10.0, 20.0], [30.0, 40.0]])))
    np.testing.assert_array_equal(tg.tensor(x.grad).numpy(), [[0, 20, 10, 0, 0, 0],
                                                             [30, 40, 0, 0, 0, 0]])
    # the total gradient is conserved (no double counting on ties)
    assert tg.tensor(x.grad).numpy().sum() == 100.0


def test_maxout_equals_max_over_pieces(host_rng):
    x = host_rng.standard_normal((7, 12))
    expected = x.reshape(7, 4, 3).max(axis=1)        # piece-major: (n, pieces, units)
    np.testing.assert_array_equal(F.maxout(_f64(x, False), 4).numpy(), expected)


@pytest.mark.parametrize("slope", [0.2, 0.01, 0.0, 1.0, 1.5, -0.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_leaky_relu_is_exactly_its_definition_at_every_kind_of_input(slope, dtype, host_rng):
    """y = x for x > 0 else s·x, and ∂y/∂x = 1 for x > 0 else s (NaN included, as PyTorch's
    leaky_relu_backward), bit for bit, for slopes inside [0, 1] (the two-pass max form)
    and outside it (the general form), at 0, −0, ±inf, NaN and random values."""
    x = np.concatenate([[0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30],
                        host_rng.standard_normal(57) * 3]).astype(dtype)
    s = np.asarray(slope, dtype=dtype)
    leaf = tg.tensor(x, requires_grad=True)
    y = F.leaky_relu(leaf, slope)
    y.backward(tg.tensor(np.ones_like(x)))
    with np.errstate(invalid="ignore"):
        expected = np.where(x > 0, x, x * s)
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(expected))  # zeros' signs
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(leaf.grad.numpy(), np.where(x > 0, 1, s).astype(dtype))


def test_dropout_in_eval_is_identity_and_gradchecks(host_rng):
    layer = nn.Dropout(0.5).eval()
    x = _f64(host_rng.standard_normal((3, 4)))
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    assert tg.gradcheck(lambda t: layer(t) * 2, x)


def test_dropout_keeps_the_expected_value_and_zeroes_at_rate_p():
    """Over 10⁶ entries the kept fraction is 0.8 ± 5σ (σ = √(0.8·0.2/10⁶) = 4e-4) and the
    mean of dropout(1) is 1 ± 5σ·1.25; the gradient is the same mask times the scale."""
    tg.manual_seed(3)
    x = tg.ones(1000, 1000, requires_grad=True)
    y = F.dropout(x, p=0.2, training=True)
    kept = (y.numpy() != 0).mean()
    assert abs(kept - 0.8) < 5 * 4e-4
    assert abs(y.numpy().mean() - 1.0) < 5 * 4e-4 * 1.25
    y.sum().backward()
    np.testing.assert_array_equal(tg.tensor(x.grad).numpy(), y.numpy())
    tg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.2).numpy(), y.numpy())   # seeded


def test_batchnorm_gradcheck_and_modes(host_rng):
    layer = nn.BatchNorm1d(3, dtype="float64")
    layer.weight.data[...] = tg.tensor(np.array([1.5, 0.5, 2.0])).data
    x = _f64(host_rng.standard_normal((8, 3)) * 3 + 1)
    assert tg.gradcheck(lambda t, w, b: layer(t) * tg.tensor(np.arange(1.0, 4.0)), x,
                        layer.weight, layer.bias)
    out = nn.BatchNorm1d(3, dtype="float64")(x).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(0), 1, rtol=1e-4)       # ε = 1e-5 in the denominator
    layer = nn.BatchNorm1d(3, momentum=1.0, dtype="float64")
    layer(x)                                                    # running stats := batch stats
    np.testing.assert_allclose(tg.tensor(layer.running_mean).numpy(), x.numpy().mean(0), rtol=1e-12)
    np.testing.assert_allclose(tg.tensor(layer.running_var).numpy(), x.numpy().var(0, ddof=1), rtol=1e-12)
    layer.eval()
    expected = (x.numpy() - x.numpy().mean(0)) / np.sqrt(x.numpy().var(0, ddof=1) + 1e-5)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_is_exact_at_1e4_and_its_gradient_is_sigmoid_minus_y(dtype):
    logits = tg.tensor(np.array([1e4, -1e4, 1e4, -1e4, 0.3], dtype=dtype), requires_grad=True)
    targets = np.array([1.0, 0.0, 0.0, 1.0, 0.25], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    x = 0.3
    expected = [0.0, 0.0, 1e4, 1e4, np.log1p(np.exp(x)) - 0.25 * x]
    np.testing.assert_allclose(loss.numpy(), np.array(expected, dtype=dtype), rtol=1e-6)
    loss.sum().backward()
    sig = np.array([1.0, 0.0, 1.0, 0.0, 1 / (1 + np.exp(-x))])
    np.testing.assert_allclose(tg.tensor(logits.grad).numpy(), sig - targets, rtol=1e-6, atol=0)


def test_bce_on_probabilities_matches_the_logit_form_and_clamps():
    logits = np.array([-3.0, -0.2, 0.0, 1.7])
    y = np.array([0.0, 1.0, 0.5, 1.0])
    p = 1 / (1 + np.exp(-logits))
    a = F.binary_cross_entropy(_f64(p, False), y).item()
    b = F.binary_cross_entropy_with_logits(_f64(logits, False), y).item()
    assert abs(a - b) < 1e-12
    assert np.isfinite(F.binary_cross_entropy(_f64([0.0, 1.0], False), [1.0, 0.0]).item())


def test_cross_entropy_matches_numpy(host_rng):
    logits = host_rng.standard_normal((5, 4)) * 10
    labels = np.array([0, 3, 1, 1, 2])
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    value = F.cross_entropy(_f64(logits, False), labels).item()
    assert abs(value - (-logp[np.arange(5), labels].mean())) < 1e-12
    assert tg.gradcheck(lambda t: F.cross_entropy(t, labels), _f64(logits))


def test_gan_losses_from_logits_match_the_formulas():
    real = np.array([2.0, -1.0, 0.5])
    fake = np.array([-3.0, 0.2])
    d = lambda l: 1 / (1 + np.exp(-l))
    want = -np.log(d(real)).mean() - np.log(1 - d(fake)).mean()
    got = F.discriminator_loss(_f64(real, False), _f64(fake, False)).item()
    assert abs(got - want) < 1e-12
    alpha, beta = 0.1, 0.05
    smoothed = (-(1 - alpha) * np.log(d(real)) - alpha * np.log(1 - d(real))).mean() + \
               (-beta * np.log(d(fake)) - (1 - beta) * np.log(1 - d(fake))).mean()
    got = F.discriminator_loss(_f64(real, False), _f64(fake, False), 1 - alpha, beta).item()
    assert abs(got - smoothed) < 1e-12
    assert abs(F.generator_loss(_f64(fake, False), "minimax").item()
               - np.log(1 - d(fake)).mean()) < 1e-12
    assert abs(F.generator_loss(_f64(fake, False), "non_saturating").item()
               + np.log(d(fake)).mean()) < 1e-12
    with pytest.raises(ValueError, match="minimax"):
        F.generator_loss(_f64(fake, False), "wasserstein")


def test_generator_losses_are_stable_at_saturation():
    fake = tg.tensor(np.array([-1e4, 1e4], dtype=np.float32), requires_grad=True)
    for kind in ("minimax", "non_saturating"):
        fake.zero_grad()
        loss = F.generator_loss(fake, kind)
        loss.backward()
        assert np.isfinite(loss.item()) and np.all(np.isfinite(tg.tensor(fake.grad).numpy()))


def test_clip_column_norms_caps_each_unit_incoming_weights():
    w = nn.Parameter(tg.tensor(np.array([[3.0, 0.1], [4.0, 0.1]])).data)
    nn.utils.clip_column_norms_(w, 1.0)
    np.testing.assert_allclose(w.numpy(), [[0.6, 0.1], [0.8, 0.1]], rtol=1e-12)


# Spectral normalisation: (layer, its output axis — the axis of u —, an input).
_SPECTRAL = {
    "Linear": (lambda: nn.Linear(6, 4, dtype="float64"), 1, (3, 6)),
    "Conv2d": (lambda: nn.Conv2d(2, 4, 3, 2, 1, dtype="float64"), 0, (2, 2, 5, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(4, 2, 3, 2, 1, dtype="float64"), 1,
                        (2, 4, 3, 3)),
}


def _as_matrix(weight, axis):
    moved = np.moveaxis(weight, axis, 0)
    return moved.reshape(moved.shape[0], -1)


@pytest.mark.parametrize("kind", sorted(_SPECTRAL))
def test_spectral_norm_divides_the_weight_by_its_largest_singular_value(kind, host_rng):
    """A weight made with singular values 3, 1.5, 1, 0.5 (as a matrix: the output axis by
    the rest, PyTorch's convention): power iteration's error shrinks by (1.5/3)² a step, so
    after 40 training forwards of one step each the used weight is W/3 to 1e-12 and its own
    largest singular value is 1 (NumPy's SVD as the oracle)."""
    make, axis, shape = _SPECTRAL[kind]
    layer = nn.utils.spectral_norm(make())
    original = layer.weight_orig.numpy()
    rows, cols = _as_matrix(original, axis).shape
    assert layer.weight_u.shape == (rows,) and layer.weight_v.shape == (cols,)
    left, _ = np.linalg.qr(host_rng.standard_normal((rows, rows)))
    right, _ = np.linalg.qr(host_rng.standard_normal((cols, rows)))
    matrix = left @ np.diag([3.0, 1.5, 1.0, 0.5][:rows]) @ right.T
    moved = np.moveaxis(original, axis, 0).shape
    layer.weight_orig.data[...] = tg.backend.asarray(np.moveaxis(matrix.reshape(moved), 0, axis))
    x = _f64(host_rng.standard_normal(shape), requires_grad=False)
    for _ in range(40):
        layer(x)
    used = layer.weight.numpy()
    np.testing.assert_allclose(used, layer.weight_orig.numpy() / 3.0, rtol=1e-12, atol=1e-15)
    assert abs(np.linalg.svd(_as_matrix(used, axis), compute_uv=False)[0] - 1) < 1e-12
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight_orig"]


@pytest.mark.parametrize("kind", sorted(_SPECTRAL))
def test_spectral_norm_gradients_flow_through_sigma(kind, host_rng):
    """In evaluation u and v stay fixed, so the layer is a function of x and W alone:
    float64 central differences check it (σ = uᵀWv is differentiated, not held), and the
    gradient of ⟨G, W/σ⟩ is Miyato et al.'s (G − ⟨G, W/σ⟩ u vᵀ)/σ in closed form."""
    make, axis, shape = _SPECTRAL[kind]
    layer = nn.utils.spectral_norm(make()).eval()
    x = _f64(host_rng.standard_normal(shape))
    assert tg.gradcheck(lambda x, *ps: layer(x), x, *layer.parameters())
    direction = host_rng.standard_normal(layer.weight_orig.shape)
    layer(x)
    (layer.weight * tg.tensor(direction)).sum().backward()
    u, v = tg.backend.to_numpy(layer.weight_u), tg.backend.to_numpy(layer.weight_v)
    W = layer.weight_orig.numpy()
    outer = np.moveaxis(np.outer(u, v).reshape(np.moveaxis(W, axis, 0).shape), 0, axis)
    sigma = (W * outer).sum()
    expected = (direction - (direction * W / sigma).sum() * outer) / sigma
    np.testing.assert_allclose(layer.weight_orig.grad.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["Conv2d", "ConvTranspose2d"])
def test_spectral_norm_matches_pytorchs(kind, host_rng):
    """``torch.nn.utils.spectral_norm`` (an independent implementation) given the same W, u
    and v: after three training forwards u and the used weight agree to 1e-12 in float64
    (tinygan's Linear stores Wᵀ, so the convolutions are compared, whose layouts agree)."""
    torch = pytest.importorskip("torch")
    make, _, shape = _SPECTRAL[kind]
    ours = nn.utils.spectral_norm(make())
    theirs = getattr(torch.nn, kind)(*([2, 4] if kind == "Conv2d" else [4, 2]), 3, 2, 1).double()
    theirs = torch.nn.utils.spectral_norm(theirs)
    with torch.no_grad():
        theirs.weight_orig.copy_(torch.from_numpy(ours.weight_orig.numpy()))
        theirs.weight_u.copy_(torch.from_numpy(tg.backend.to_numpy(ours.weight_u)))
        theirs.weight_v.copy_(torch.from_numpy(tg.backend.to_numpy(ours.weight_v)))
    x = host_rng.standard_normal(shape)
    for _ in range(3):
        ours(_f64(x, requires_grad=False))
        theirs(torch.from_numpy(x))
    np.testing.assert_allclose(tg.backend.to_numpy(ours.weight_u), theirs.weight_u.numpy(),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-12, atol=1e-14)


def test_spectral_norm_iterates_in_training_only_and_its_state_round_trips(host_rng):
    """Training forwards move u and v; evaluation forwards do not; a fresh layer loaded
    with the state gives the same output in evaluation."""
    layer = nn.utils.spectral_norm(nn.Linear(5, 3, dtype="float64"))
    x = _f64(host_rng.standard_normal((4, 5)), requires_grad=False)
    layer.weight_orig.data[...] += 0.5                  # away from the point u converged to
    before = tg.backend.to_numpy(layer.weight_u).copy()
    layer.eval()
    layer(x)
    np.testing.assert_array_equal(tg.backend.to_numpy(layer.weight_u), before)
    layer.train()
    layer(x)
    assert not np.allclose(tg.backend.to_numpy(layer.weight_u), before)
    layer.eval()
    copy = nn.utils.spectral_norm(nn.Linear(5, 3, dtype="float64")).eval()
    copy.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(copy(x).numpy(), layer(x).numpy())


def test_spectral_norm_refuses_what_it_cannot_normalise():
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(ValueError, match="n_power_iterations must be an integer ≥ 1"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="n_power_iterations must be an integer ≥ 1"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=True)
    with pytest.raises(ValueError, match=r"dim must be an axis of weight's shape \(2, 3\)"):
        nn.utils.spectral_norm(nn.Linear(2, 3), dim=2)
    with pytest.raises(ValueError, match="Linear.weight is already normalised"):
        nn.utils.spectral_norm(nn.utils.spectral_norm(nn.Linear(2, 3)))


def test_forward_pre_hooks_replace_inputs_and_come_off_with_their_handle():
    """As PyTorch's: a hook's non-None return replaces the inputs (one value or a tuple),
    and the returned handle's remove() takes the hook off (a second remove does nothing)."""
    layer, calls = nn.Linear(2, 1, init=0.5), []
    x = tg.tensor(np.ones((1, 2), dtype=np.float32))
    handle = layer.register_forward_pre_hook(lambda module, inputs: calls.append(inputs) or x * 2)
    np.testing.assert_allclose(layer(x * 7).numpy(), (layer.forward(x * 2)).numpy())
    assert len(calls) == 1 and np.array_equal(calls[0][0].numpy(), (x * 7).numpy())
    handle.remove()
    handle.remove()
    np.testing.assert_allclose(layer(x * 7).numpy(), (layer.forward(x * 7)).numpy())
    assert len(calls) == 1


def test_module_bookkeeping_and_repr():
    model = nn.Sequential(nn.Linear(3, 4, init=0.05), nn.ReLU(), nn.Dropout(0.5),
                          nn.BatchNorm1d(4), nn.Linear(4, 1, init="he"))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias", "4.weight", "4.bias"]
    assert model.num_parameters() == 3 * 4 + 4 + 4 + 4 + 4 + 1
    assert np.abs(model[0].weight.numpy()).max() <= 0.05
    assert "3.running_mean" in model.state_dict()
    model.eval()
    assert not any(m.training for _, m in model.named_modules())
    text = repr(model)
    assert "Linear(3, 4, bias=True)  # 16 parameters" in text and "# 29 parameters" in text
    with pytest.raises(ValueError, match=r"last axis must be 3"):
        model(tg.zeros(2, 5))
    with pytest.raises(ValueError, match="init must be"):
        nn.Linear(2, 2, init="orthogonal")


def test_load_state_dict_names_what_differs():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    other = nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 1))
    with pytest.raises(nn.StateDictError, match=r"0.weight has shape \(3, 5\)"):
        model.load_state_dict(other.state_dict())
    with pytest.raises(nn.StateDictError, match="missing"):
        model.load_state_dict({"0.weight": np.zeros((3, 4))})
