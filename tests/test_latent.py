"""tinygan.latent: interpolation, the √d shell argument for slerp (shown numerically),
attribute vectors, and the ink / slant measures against closed forms."""
import math

import numpy as np
import pytest

import tinygan as tg
from tinygan import latent, nn
from tinygan.gan.dcgan import dcgan_generator
from tinygan.gan.models import Generator

pytestmark = pytest.mark.usefixtures("on_backend")


def test_gaussian_norms_sit_on_the_sqrt_d_shell_and_lerp_leaves_it(host_rng):
    """d = 100, 4000 pairs: ‖z‖ has mean √d = 10 and spread 1/√2 (χ₁₀₀: mean 9.975, sd 0.706;
    the sample mean and sd are off by < 0.02 and < 0.03 at 4 standard errors). Lerp
    midpoints have norm ≈ √(d/2) = 7.07 ± 0.5: almost all (expected 99.5%) fall below the
    1% quantile q ≈ 8.4 of ‖z‖ itself, a radius G rarely saw; slerp midpoints keep
    ‖z‖ ≈ 10 ± 0.5 (expected ≈ 0.1% below q)."""
    d, n = 100, 4000
    radius, spread = latent.shell(d)
    z0, z1 = (host_rng.standard_normal((n, d)) for _ in range(2))
    norms = np.linalg.norm(z0, axis=1)
    assert abs(norms.mean() - radius) < 0.05 and abs(norms.std() - spread) < 0.03
    mid_lerp = np.linalg.norm(latent.lerp(z0, z1, 3).numpy()[:, 1], axis=1)
    mid_slerp = np.linalg.norm(latent.slerp(z0, z1, 3).numpy()[:, 1], axis=1)
    assert abs(mid_lerp.mean() - math.sqrt(d / 2)) < 0.05
    q = np.quantile(norms, 0.01)
    assert np.mean(mid_lerp < q) > 0.97 and np.mean(mid_slerp < q) < 0.01
    assert abs(mid_slerp.mean() - radius) < 0.05


def test_uniform_shell_matches_simulation(host_rng):
    radius, spread = latent.shell(100, "uniform")
    norms = np.linalg.norm(host_rng.uniform(-1, 1, (4000, 100)), axis=1)
    assert abs(norms.mean() - radius) < 0.02 and abs(norms.std() - spread) < 0.02
    with pytest.raises(ValueError, match="prior"):
        latent.shell(10, "cauchy")


def test_slerp_endpoints_equal_angles_and_norm(host_rng):
    z0, z1 = host_rng.standard_normal((2, 16))
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)            # equal norms
    path = latent.slerp(z0, z1, 7).numpy()
    np.testing.assert_allclose(path[0], z0, atol=1e-12)
    np.testing.assert_allclose(path[-1], z1, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-12)
    cosines = [p @ q / (np.linalg.norm(p) * np.linalg.norm(q)) for p, q in zip(path, path[1:])]
    np.testing.assert_allclose(cosines, cosines[0], rtol=1e-12)


def test_lerp_is_linear_and_slerp_of_parallel_endpoints_is_lerp(host_rng):
    z0 = host_rng.standard_normal(5)
    path = latent.lerp(z0, 3 * z0, 5).numpy()
    np.testing.assert_allclose(path, np.outer([1, 1.5, 2, 2.5, 3], z0), atol=1e-12)
    np.testing.assert_allclose(latent.slerp(z0, 3 * z0, 5).numpy(), path, atol=1e-12)
    assert latent.slerp(z0[None], z0[None], 4).shape == (1, 4, 5)


def test_attribute_vector_recovers_the_direction_that_defines_the_attribute(host_rng):
    """has = z₀ > 0: the vector is E[z₀ | z₀ > 0] − E[z₀ | z₀ < 0] = 2√(2/π) ≈ 1.596 along
    axis 0 and 0 elsewhere (20000 samples: standard errors ≈ 0.01)."""
    z = host_rng.standard_normal((20000, 8))
    v = latent.attribute_vector(z, z[:, 0] > 0).numpy()
    assert abs(v[0] - 2 * math.sqrt(2 / math.pi)) < 0.05
    assert np.abs(v[1:]).max() < 0.06
    with pytest.raises(ValueError, match="with and without"):
        latent.attribute_vector(z, np.ones(len(z), bool))


def _stroke(shear, width=2):
    """A 20-row stroke whose column moves by ``shear`` per row."""
    image = np.zeros((28, 28))
    for r in range(4, 24):
        c = int(round(14 + shear * (r - 13.5)))
        image[r, c:c + width] = 1.0
    return image.ravel()


def test_ink_and_slant_closed_forms():
    upright, slanted, thick = _stroke(0.0), _stroke(0.5), _stroke(0.0, width=4)
    np.testing.assert_allclose(latent.ink(np.stack([upright, thick])), [40 / 784, 80 / 784])
    s = latent.slant(np.stack([upright, slanted, thick]))
    assert abs(s[0]) < 1e-12 and abs(s[2]) < 1e-12
    assert abs(s[1] - 0.5) < 0.03                              # rounding to whole pixels


def test_interpolations_and_the_grid_figure(tmp_path):
    pytest.importorskip("matplotlib")
    tg.manual_seed(0)
    G = dcgan_generator()
    G.eval()
    images = latent.interpolations(G, rows=2, steps=4)
    assert images.shape == (8, 784) and 0 <= images.numpy().min() <= images.numpy().max() <= 1
    path = tmp_path / "strip.png"
    latent.interpolation_figure(G, rows=2, steps=4, path=path)
    assert path.stat().st_size > 1000


def test_attribute_arithmetic_on_a_generator_whose_ink_is_z0_and_class_is_the_sign_of_z1():
    """A linear 'generator' of 8-D z: every pixel is 0.5 + 0.05·z₀, except pixel 0, which is
    0.5 + 0.05·z₁ and decides the class (z₁ > 0). Ink is then linear in z₀ (plus z₁/784).
    The top and bottom quartiles of z₀ have means ±φ(0.674)/0.25 = ±1.271, so v₀ ≈ 2.54
    and every new sample's ink rises by 0.05·v₀·783/784 ≈ 0.127 (2000 draws: the quartile
    means are off by < 0.06 at 4 standard errors, ink by < 0.004; we allow 0.01). v's
    other components are noise of sd ≈ √(2/500) = 0.063, so a class flips only where
    |z₁| < |v₁| (≈ 5% at most, we allow 10%). The control, 16 random directions of the
    same norm in 8 dimensions, flips a class where z₁ lies between 0 and −u₁: on average
    E[Φ(2.54·|u₁|) − ½] = 24.3% of classes (sd 3.4% over sets of 16 directions, computed
    over 200,000 directions; fewer than 13.9% in 0.1% of sets), so it keeps fewer than
    class_kept − 0.1 on every backend's stream."""
    w = np.zeros((8, 784), np.float32)
    w[0, 1:], w[1, 0] = 0.05, 0.05
    net = nn.Linear(8, 784)
    net.weight.data[...], net.bias.data[...] = tg.backend.asarray(w), 0.5
    G = Generator(nn.Sequential(net), 8)
    tg.manual_seed(0)
    r = latent.attribute_arithmetic(G, latent.ink, lambda x: x[:, 0] > 0.5, n=2000)
    assert abs(r["vector_norm"] - 2.54) < 0.15
    assert abs(r["shift"] - 0.05 * 2 * 1.271 * 783 / 784) < 0.01 and r["rose"] == 1.0
    assert abs(r["attribute_sd"] - 0.05) < 0.003 and abs(r["shift_sd"] - 2.54) < 0.2
    assert r["class_kept"] > 0.9 and r["control_class_kept"] < r["class_kept"] - 0.1
    assert abs(r["control_shift"]) < r["shift"]


def test_attribute_vectors_taken_within_classes_keep_more_classes():
    """Half the pixels follow z₀ (which also decides the class), half follow z₂: thick
    digits are then mostly of class 1, and the plain vector (quartiles over all samples)
    carries z₀, so adding it turns class-0 samples into class 1. Within each class the
    quartiles pick z₂ more than z₀: measured over seeds 0-2, 71-72% of classes kept against
    53-55% for the plain vector (we ask for 10 points more), both raising every sample's ink."""
    w = np.zeros((8, 784), np.float32)
    w[0, :392], w[2, 392:] = 0.05, 0.05
    net = nn.Linear(8, 784)
    net.weight.data[...], net.bias.data[...] = tg.backend.asarray(w), 0.5
    G = Generator(nn.Sequential(net), 8)
    kept = {}
    for by_class in (True, False):
        tg.manual_seed(0)
        r = latent.attribute_arithmetic(G, latent.ink, lambda x: x[:, 0] > 0.5, by_class=by_class)
        assert r["rose"] == 1.0 and r["shift_sd"] > 2
        kept[by_class] = r["class_kept"]
    assert kept[True] > kept[False] + 0.1, kept
