"""The DCGAN pair (tinygan.gan.dcgan): shapes, the paper's guidelines as structure, its
initialisation, and a smoke test that a few Adam steps lower D's loss."""
import numpy as np
import pytest

import tinygan as tg
import tinygan.nn.functional as F
from tinygan import gan, nn, optim
from tinygan.gan.dcgan import dcgan_discriminator, dcgan_generator

pytestmark = pytest.mark.usefixtures("on_backend")


def _layers(model):
    return [layer for layer in model.net]


def test_shapes_range_and_the_papers_guidelines():
    G, D = dcgan_generator(), dcgan_discriminator()
    x = G.sample(6)
    assert x.shape == (6, 784) and x.dtype == np.float32
    assert 0 <= x.numpy().min() and x.numpy().max() <= 1           # (tanh + 1) / 2
    assert D(x).shape == (6, 1)
    g, d = _layers(G), _layers(D)
    assert not any(isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d, nn.Linear)) for layer in g + d)
    # batch norm everywhere but G's output and D's input
    g_convs = [i for i, layer in enumerate(g) if isinstance(layer, nn.ConvTranspose2d)]
    assert all(isinstance(g[i + 1], nn.BatchNorm2d) for i in g_convs[:-1])
    assert isinstance(g[g_convs[-1] + 1], nn.Tanh)
    d_convs = [i for i, layer in enumerate(d) if isinstance(layer, nn.Conv2d)]
    assert isinstance(d[d_convs[0] + 1], nn.LeakyReLU) and d[d_convs[0] + 1].negative_slope == 0.2
    assert isinstance(d[d_convs[1] + 1], nn.BatchNorm2d)
    assert [layer.stride for layer in (g[i] for i in g_convs[1:])] == [(2, 2), (2, 2)]
    assert G.noise == "gaussian" and G.noise_dim == 100


def test_infogan_networks_add_one_fully_connected_layer_each_and_the_preset_uses_them():
    """fc=1024: G is z → Linear 1024 → BN, ReLU → Linear 128·7·7 → BN, ReLU → the convolutional
    upsampling; D ends in Linear 1024 → BN, LeakyReLU 0.2 → Linear 1 (Chen et al. 2016,
    appendix C, Table 1); the preset trains them at InfoGAN's rates, 1e-3 for G, 2e-4 for D.
    Linear weights are drawn N(0, 0.02) too (≈ 6.4M draws: std within
    1%)."""
    from tinygan.gan.config import preset
    G, D = dcgan_generator(fc=1024), dcgan_discriminator(fc=1024)
    g, d = _layers(G), _layers(D)
    kinds = lambda layers: [type(layer).__name__ for layer in layers]   # noqa: E731
    assert kinds(g)[:7] == ["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Unflatten"]
    assert (g[0].in_features, g[0].out_features, g[3].out_features) == (100, 1024, 128 * 7 * 7)
    assert kinds(d)[-6:] == ["LeakyReLU", "Flatten", "Linear", "BatchNorm1d", "LeakyReLU", "Linear"]
    assert (d[-4].in_features, d[-4].out_features, d[-1].out_features) == (128 * 7 * 7, 1024, 1)
    assert d[-2].negative_slope == 0.2
    x = G.sample(5)
    assert x.shape == (5, 784) and D(x).shape == (5, 1)
    weights = np.concatenate([layer.weight.numpy().ravel() for layer in g + d
                              if isinstance(layer, nn.Linear)])
    assert abs(weights.std() / 0.02 - 1) < 0.01
    config = preset("mnist", "dcgan")
    assert (config.dcgan_fc, config.g_hidden, config.d_hidden, config.batch_size) == (1024, 64, 64, 64)
    assert (config.lr_g, config.lr_d, config.beta1) == (1e-3, 2e-4, 0.5)    # InfoGAN's rates


@pytest.mark.parametrize("fc", [0, 1024])
def test_spectral_norm_gives_sn_gans_discriminator(fc):
    """spectral_norm=True: D has no batch norm, each convolution and linear layer has a
    bias in its place and uses W/σ(W) (its own weight_orig is the N(0, 0.02) draw); the
    used weights' largest singular values are 1 to the power iteration's accuracy (15
    steps at construction, then one per forward: 5% after ten forwards, NumPy's SVD the
    oracle)."""
    D = dcgan_discriminator(fc=fc, spectral_norm=True)
    layers = _layers(D)
    assert not any(isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)) for layer in layers)
    weighted = [layer for layer in layers if isinstance(layer, (nn.Conv2d, nn.Linear))]
    assert len(weighted) == (4 if fc else 3) and all(layer.bias is not None for layer in weighted)
    x = tg.tensor(np.random.default_rng(0).random((4, 784)).astype(np.float32))
    for _ in range(10):
        D(x)
    for layer in weighted:
        axis = 1 if isinstance(layer, nn.Linear) else 0
        used = np.moveaxis(layer.weight.numpy().astype(np.float64), axis, 0)
        sigma = np.linalg.svd(used.reshape(used.shape[0], -1), compute_uv=False)[0]
        assert abs(sigma - 1) < 0.05, (layer, sigma)
        assert abs(layer.weight_orig.numpy().std() / 0.02 - 1) < 0.3


def test_weights_are_normal_with_std_0_02():
    """All conv weights pooled (≈ 140k draws for D and G): the sample std is 0.02 within
    2% (its relative standard error is 1/√(2n) ≈ 0.2%) and the mean is 0 within 3e-4
    (standard error 0.02/√n ≈ 5e-5)."""
    G, D = dcgan_generator(), dcgan_discriminator()
    weights = np.concatenate([layer.weight.numpy().ravel()
                              for model in (G, D) for layer in _layers(model)
                              if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d))])
    assert weights.size > 100_000
    assert abs(weights.std() / 0.02 - 1) < 0.02 and abs(weights.mean()) < 3e-4


def test_a_few_adam_steps_lower_the_discriminators_loss(host_rng):
    """Smoke test: D learns to tell a fixed batch of random 'digits' from G's samples."""
    tg.manual_seed(0)
    G, D = dcgan_generator(), dcgan_discriminator()
    real = tg.tensor(host_rng.random((16, 784)).astype(np.float32))
    fake = G.sample(16).detach()
    opt = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    losses = []
    for _ in range(5):
        loss = F.discriminator_loss(D(real), D(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0], losses


def _buffers(model):
    return {name: tg.backend.to_numpy(value).copy() for name, value in model.named_buffers()}


def test_evaluating_keeps_batch_norms_buffers_and_restores_each_modules_mode():
    """Inside ``evaluating``: batch norm normalises with its running statistics (the
    output is BN's affine map of them, checked in float32 to 1e-5) and leaves them as they
    were; afterwards every sub-module has its own earlier mode back."""
    G = dcgan_generator()
    G.net[2].eval()                                    # one sub-module already in eval
    before = _buffers(G)
    with tg.no_grad(), nn.utils.evaluating(G):
        assert not any(layer.training for _, layer in G.named_modules())
        G.sample(32)
    for name, value in _buffers(G).items():
        np.testing.assert_array_equal(value, before[name])
    assert G.training and not G.net[2].training and G.net[5].training
    bn = nn.BatchNorm2d(3)
    bn.running_mean[...] = tg.backend.asarray([1.0, 2.0, 3.0])
    bn.running_var[...] = tg.backend.asarray([4.0, 1.0, 0.25])
    x = tg.tensor(np.full((2, 3, 2, 2), 5, np.float32))
    with nn.utils.evaluating(bn):
        y = bn(x).numpy()
    np.testing.assert_allclose(y[0, :, 0, 0], np.array([4, 3, 2]) / np.sqrt(np.array([4, 1, 0.25]) + 1e-5),
                               rtol=1e-5)


def test_sampling_leaves_gs_buffers_unchanged_and_samples_depend_on_their_own_z_only():
    """Trainer.sample runs G in evaluation mode: the running statistics after sampling are
    bit for bit those before, and the first sample is the same whether drawn alone or
    among 64 (in training mode batch statistics would mix the chunk's samples; float32
    products of another shape may differ in the last bits: 1e-5)."""
    from tinygan import gan
    trainer = gan.build("mnist-5k", model="dcgan", steps=0, batch_size=8).trainer
    G = trainer.generator
    trainer.train_step()                       # running statistics that are not the initial ones
    before = _buffers(G)
    first = next(name for name in before if name.endswith("running_mean"))
    assert not np.allclose(before[first], 0)
    one, many = trainer.sample(1, seed=3), trainer.sample(64, seed=3)
    for name, value in _buffers(G).items():
        np.testing.assert_array_equal(value, before[name])
    assert G.training
    np.testing.assert_allclose(one[0], many[0], atol=1e-5)
    with tg.no_grad():                         # what eval avoids: in training mode the
        z = G.sample_noise(64)                 # chunk changes each sample, and buffers move
        alone, among = G(z[:2]).numpy(), G(z).numpy()
    assert np.abs(alone[0] - among[0]).max() > 1e-3
    assert not np.array_equal(_buffers(G)[first], before[first])


def test_the_ema_of_g_averages_batch_norms_buffers_with_the_weights():
    """The EMA holds the bias-corrected average Σ β^(t−k) θ_k (1 − β)/(1 − βᵗ) of the
    weights and of batch norm's running statistics after each update, whatever G started
    from (checked in float64 against that closed form over five updates of moving
    weights; float32 storage, so 1e-5 relative). After many updates of a model that no
    longer changes, the EMA model equals it and so samples alike in evaluation mode."""
    from tinygan.gan import ExponentialMovingAverage
    beta, G = 0.9, dcgan_generator()
    ema = ExponentialMovingAverage(G, decay=beta)
    seen = []
    for t in range(1, 6):
        with tg.no_grad():                          # move G's running statistics
            G.sample(16)
        G.net[1].weight.data[...] += 0.01 * t
        seen.append(_buffers(G) | {"w": tg.backend.to_numpy(G.net[1].weight.data).astype(np.float64)})
        ema.update(G)
        weights = np.array([beta ** (t - k) for k in range(1, t + 1)])
        weights *= (1 - beta) / (1 - beta ** t)
        assert abs(weights.sum() - 1) < 1e-12
        averaged = _buffers(ema.model) | {"w": tg.backend.to_numpy(ema.model.net[1].weight.data).copy()}
        for name, value in averaged.items():
            expected = sum(w * s[name] for w, s in zip(weights, seen))
            np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-7)
    now = _buffers(G)
    for _ in range(300):                            # 0.9³⁰⁰ ≈ 2e-14 of the gap is left
        ema.update(G)
    for name, value in _buffers(ema.model).items():
        np.testing.assert_allclose(value, now[name], rtol=1e-5, atol=1e-6)
    z = G.sample_noise(8)
    with tg.no_grad(), nn.utils.evaluating(G):
        np.testing.assert_allclose(ema.model(z).numpy(), G(z).numpy(), atol=1e-5)


def test_the_ema_of_a_spectrally_normalised_layer_keeps_unit_vectors_and_norm_one(host_rng):
    """An average of unit vectors is shorter than one, and σ = uᵀWv from shorter u and v
    is too small. After each update the EMA's u and v are unit vectors again (1e-12) and
    its used weight's largest singular value is 1 within 2e-2 (NumPy's SVD; one step of
    power iteration from the averaged vectors while W drifts fast: at most 1.7e-2 over 30
    seeds of this set-up, median 7e-4; averaged without that step, median 0.10, up to 0.49)."""
    from tinygan.gan import ExponentialMovingAverage
    layer = nn.utils.spectral_norm(nn.Linear(6, 4, dtype="float64"))
    ema = ExponentialMovingAverage(layer, decay=0.5)
    x = tg.tensor(host_rng.standard_normal((3, 6)))
    start, drift = host_rng.standard_normal((6, 4)), host_rng.standard_normal((6, 4))
    for t in range(6):
        layer.weight_orig.data[...] = tg.backend.asarray(start + 0.5 * t * drift)
        for _ in range(30):                              # u and v converge on the live W
            layer(x)
        ema.update(layer)
        ema.model(x)
        for vector in (ema.model.weight_u, ema.model.weight_v):
            assert abs(np.linalg.norm(tg.backend.to_numpy(vector)) - 1) < 1e-12
        used = ema.model.weight.numpy()
        assert abs(np.linalg.svd(used, compute_uv=False)[0] - 1) < 2e-2


def test_a_resumed_ema_continues_as_the_uninterrupted_one():
    """The trainer gives a loaded EMA its update count (its step): resuming a run with an
    EMA at step 3 of 6 ends with the same averaged weights as the run without a break."""
    def trainer():
        return gan.build("mnist-5k", model="dcgan", steps=6, seed=0, ema=0.9, g_hidden=8,
                         d_hidden=8, dcgan_fc=0, batch_size=8).trainer
    whole, first, second = trainer(), trainer(), trainer()
    whole.fit()
    first.fit(3)
    second.load_state_dict(first.state_dict())
    assert second.ema.updates == 3
    second.fit()
    for a, b in zip(whole.ema.model.parameters(), second.ema.model.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("fc, spectral_norm", [(0, False), (1024, False), (1024, True)])
def test_the_pytorch_cross_check_builds_the_same_networks(fc, spectral_norm):
    """benchmarks/dcgan_torch.py trains 'the same DCGAN in PyTorch': its parameters, in
    order, have tinygan's shapes (a tinygan Linear stores W as (in, out), PyTorch as (out, in))."""
    pytest.importorskip("torch")
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "dcgan_torch.py"
    spec = importlib.util.spec_from_file_location("dcgan_torch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch_g, torch_d = module.networks(64, 64, 100, fc, spectral_norm)
    ours = [dcgan_generator(fc=fc), dcgan_discriminator(fc=fc, spectral_norm=spectral_norm)]
    for theirs, mine in zip((torch_g, torch_d), ours):
        linear = {id(getattr(layer, "weight_orig", layer.weight))    # spectral norm's W
                  for layer in mine.net if isinstance(layer, nn.Linear)}
        shapes = [tuple(p.shape)[::-1] if id(p) in linear else tuple(p.shape) for p in mine.parameters()]
        assert shapes == [tuple(p.shape) for p in theirs.parameters()]
