"""The DCGAN pair (tinygan.gan.dcgan): shapes, the paper's guidelines as structure, its
initialisation, and a smoke test that a few Adam steps lower D's loss."""
import numpy as np
import pytest

import tinygan as tg
import tinygan.nn.functional as F
from tinygan import nn, optim
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
