"""Each claim of the lectures' GAN theory, checked numerically against closed forms or
SciPy. Tolerances: discrete quantities agree with SciPy to 1e-12 (float64 rounding of a
few dozen terms); grid identities hold to 1e-8 because both sides are integrated on the
same grid, whose densities integrate to 1 within 1e-10."""
import math

import numpy as np
import pytest
from scipy import integrate as scipy_integrate
from scipy import stats
from scipy.spatial import distance

import tinygan as tg
from tinygan import theory

LOG2, LOG4 = math.log(2), math.log(4)


def _normal(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def _random_pairs(n=20, k=7, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n)
    q = rng.dirichlet(np.ones(k) * 0.5, size=n)
    return p, q


def _host(x):
    return tg.tensor(x).numpy() if not isinstance(x, float) else x


# ----- divergences on discrete distributions ------------------------------------------
@pytest.mark.usefixtures("on_backend")
class TestDiscrete:
    def test_properties_on_random_pairs(self):
        p, q = _random_pairs()
        kl_pq = _host(theory.kl(p, q))
        js = _host(theory.jsd(p, q))
        assert np.all(kl_pq >= 0)
        np.testing.assert_allclose(js, _host(theory.jsd(q, p)), rtol=0, atol=1e-15)
        assert np.all(js >= 0) and np.all(js <= LOG2)
        assert np.all(js > 1e-6)                                  # p ≠ q here
        np.testing.assert_allclose(_host(theory.jsd(p, p)), 0, atol=1e-15)
        assert abs(theory.jsd([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7]) - LOG2) < 1e-15
        assert abs(theory.jsd([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7], base=2) - 1.0) < 1e-15

    def test_agreement_with_scipy(self):
        p, q = _random_pairs(seed=3)
        np.testing.assert_allclose(_host(theory.jsd(p, q)),
                                   distance.jensenshannon(p, q, axis=1) ** 2, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(_host(theory.jsd(p, q, base=2)),
                                   distance.jensenshannon(p, q, axis=1, base=2) ** 2,
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(_host(theory.kl(p, q)), stats.entropy(p, q, axis=1), rtol=1e-12)
        np.testing.assert_allclose(_host(theory.entropy(p)), stats.entropy(p, axis=1), rtol=1e-12)
        np.testing.assert_allclose(_host(theory.entropy(p, base=2)),
                                   stats.entropy(p, axis=1, base=2), rtol=1e-12)
        np.testing.assert_allclose(_host(theory.kl(p.T, q.T, axis=0)), stats.entropy(p, q, axis=1),
                                   rtol=1e-12)

    def test_zeros_are_handled_exactly(self):
        assert theory.kl([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(LOG2, abs=1e-15)
        assert theory.kl([0.5, 0.5], [1.0, 0.0]) == math.inf
        assert theory.entropy([1.0, 0.0]) == 0.0

    def test_bad_input_gets_clear_errors(self):
        with pytest.raises(ValueError, match="negative"):
            theory.kl([1.5, -0.5], [0.5, 0.5])
        with pytest.raises(ValueError, match="does not sum to 1.*normalize=True"):
            theory.jsd([1, 2, 3], [1, 1, 1])
        with pytest.raises(ValueError, match="same shape"):
            theory.jsd([0.5, 0.5], [0.2, 0.3, 0.5])
        assert abs(theory.jsd([1, 2, 3], [3, 2, 1], normalize=True)
                   - distance.jensenshannon([1, 2, 3], [3, 2, 1]) ** 2) < 1e-12


# ----- C(G) = −log 4 + 2·JSD ------------------------------------------------------------
GRID = np.linspace(-12, 12, 48001)
UNIT = np.linspace(0, 1, 10001)
PAIRS = {
    "two gaussians": (GRID, _normal(GRID, 0, 1), _normal(GRID, 1.5, 0.7)),
    "gaussian vs mixture": (GRID, _normal(GRID, 0, 1),
                            0.3 * _normal(GRID, -2, 0.5) + 0.7 * _normal(GRID, 2, 1.2)),
    "uniform vs triangular": (UNIT, np.ones_like(UNIT), np.where(UNIT < 0.5, 4 * UNIT, 4 * (1 - UNIT))),
    "discrete": (None, np.array([0.1, 0.2, 0.3, 0.4, 0.0]), np.array([0.25, 0.25, 0.0, 0.25, 0.25])),
}


@pytest.mark.usefixtures("on_backend")
@pytest.mark.parametrize("name", list(PAIRS))
def test_generator_criterion_is_minus_log4_plus_twice_jsd(name):
    x, p_data, p_g = PAIRS[name]
    c = theory.generator_criterion(p_data, p_g, x)
    js = theory.jsd(p_data, p_g) if x is None else theory.jsd_densities(p_data, p_g, x)
    assert abs(c - (-LOG4 + 2 * js)) < 1e-8
    assert c > -LOG4 + 1e-3                    # p_g ≠ p_data, so strictly above the minimum


@pytest.mark.usefixtures("on_backend")
def test_jsd_of_densities_matches_scipy_quadrature():
    p = lambda x: _normal(x, 0, 1)
    q = lambda x: _normal(x, 1.5, 0.7)
    m = lambda x: (p(x) + q(x)) / 2
    integrand = lambda x: 0.5 * p(x) * math.log(p(x) / m(x)) + 0.5 * q(x) * math.log(q(x) / m(x))
    reference = scipy_integrate.quad(integrand, -12, 12, epsabs=1e-13, limit=200)[0]
    x = PAIRS["two gaussians"][0]
    assert abs(theory.jsd_densities(p(x), q(x), x) - reference) < 1e-8


@pytest.mark.usefixtures("on_backend")
def test_2d_grid_integration():
    axis = np.linspace(-14, 14, 1401)
    X, Y = np.meshgrid(axis, axis, indexing="ij")
    p = _normal(X, 0, 1) * _normal(Y, 0, 1)
    q = _normal(X, 1, 1) * _normal(Y, -1, 2)
    # KL of independent products is the sum of the 1-D KLs
    expected = float(theory.kl_gaussian(0, 1, 1, 1)) + float(theory.kl_gaussian(0, 1, -1, 2))
    assert abs(theory.kl_densities(p, q, (axis, axis)) - expected) < 1e-6
    c = theory.generator_criterion(p, q, (axis, axis))
    assert abs(c - (-LOG4 + 2 * theory.jsd_densities(p, q, (axis, axis)))) < 1e-8


@pytest.mark.usefixtures("on_backend")
def test_at_p_g_equal_p_data_the_optimum_is_half_and_c_is_minus_log4():
    x, p_data, _ = PAIRS["gaussian vs mixture"]
    assert np.all(_host(theory.optimal_discriminator(p_data, p_data)) == 0.5)
    assert abs(theory.generator_criterion(p_data, p_data, x) + LOG4) < 1e-9
    assert np.all(_host(theory.optimal_discriminator([0.0], [0.0])) == 0.5)


@pytest.mark.usefixtures("on_backend")
def test_optimal_discriminator_is_the_pointwise_maximiser():
    x = np.linspace(-5, 6, 11001)      # where D* stays representably inside (0, 1)
    p_data, p_g = _normal(x, 0, 1), _normal(x, 1.5, 0.7)
    d_star = _host(theory.optimal_discriminator(p_data, p_g))
    best = theory.value_function(d_star, p_data, p_g, x)
    assert abs(best - theory.generator_criterion(p_data, p_g, x)) < 1e-12
    rng = np.random.default_rng(0)
    for _ in range(10):
        start = rng.integers(3000, 8000)
        bumped = d_star.copy()
        window = slice(start, start + 500)
        bumped[window] = np.clip(bumped[window] + rng.choice([-0.05, 0.05]), 1e-9, 1 - 1e-9)
        assert theory.value_function(bumped, p_data, p_g, x) < best - 1e-6


def test_binary_objective_peaks_at_a_over_a_plus_b():
    y = np.linspace(1e-6, 1 - 1e-6, 1_000_001)
    for a, b in [(1.0, 1.0), (0.3, 2.0), (5.0, 0.1), (0.01, 0.02)]:
        peak = y[np.argmax(_host(theory.binary_objective(y, a, b)))]
        assert abs(peak - theory.binary_objective_argmax(a, b)) < 2e-6


def test_label_smoothed_optimum_formula():
    p, q = np.array([0.2, 0.0, 0.5, 0.0]), np.array([0.2, 0.4, 0.0, 0.0])
    got = _host(theory.label_smoothed_optimum(p, q, alpha=0.1, beta=0.05))
    np.testing.assert_allclose(got, [(0.9 * 0.2 + 0.05 * 0.2) / 0.4, 0.05, 0.9, (0.9 + 0.05) / 2], atol=1e-15)
    np.testing.assert_allclose(_host(theory.label_smoothed_optimum(p[:3], q[:3])),
                               _host(theory.optimal_discriminator(p[:3], q[:3])))


# ----- Gaussians: closed form vs quadrature vs Monte Carlo ------------------------------
@pytest.mark.usefixtures("on_backend")
def test_kl_gaussian_closed_form_quadrature_and_monte_carlo_agree():
    mu1, s1, mu2, s2 = 0.3, 0.8, -0.5, 1.7
    closed = theory.kl_gaussian(mu1, s1, mu2, s2)
    x = GRID
    quadrature = theory.kl_densities(_normal(x, mu1, s1), _normal(x, mu2, s2), x)
    assert abs(closed - quadrature) < 1e-9
    samples = np.random.default_rng(0).normal(mu1, s1, 400_000)
    log_ratio = np.log(_normal(samples, mu1, s1)) - np.log(_normal(samples, mu2, s2))
    standard_error = log_ratio.std() / math.sqrt(samples.size)
    assert abs(log_ratio.mean() - closed) < 5 * standard_error
    mu, sigma = np.array([0.5, -1.0]), np.array([0.7, 1.3])
    vae = 0.5 * np.sum(sigma ** 2 + mu ** 2 - 1 - np.log(sigma ** 2))
    assert abs(theory.kl_diagonal_gaussian(mu, sigma) - vae) < 1e-12


# ----- saturation -------------------------------------------------------------------------
@pytest.mark.usefixtures("on_backend")
def test_minimax_gradient_vanishes_and_non_saturating_does_not():
    """By autograd: |∂/∂l log(1 − σ(l))| = D(G(z)) → 0, |∂/∂l −log σ(l)| = 1 − D(G(z)) → 1."""
    d = np.array([1e-6, 1e-4, 1e-2, 0.5, 0.99])
    minimax = _host(theory.generator_gradient(d, "minimax"))
    non_saturating = _host(theory.generator_gradient(d, "non_saturating"))
    np.testing.assert_allclose(minimax, d, rtol=1e-9)
    np.testing.assert_allclose(non_saturating, 1 - d, rtol=1e-9)
    assert minimax[0] < 1e-5 and non_saturating[0] > 0.999


# ----- estimators from samples ------------------------------------------------------------
def _gaussian_samples(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, n), rng.normal(1.5, 0.7, n)


def test_histogram_jsd_approaches_the_true_value(on_backend):
    p, q = _gaussian_samples(400_000, 1)
    x, p_data, p_g = PAIRS["two gaussians"]
    truth = theory.jsd_densities(p_data, p_g, x)
    assert abs(theory.histogram_jsd(p, q, bins=200, bounds=(-6, 6)) - truth) < 0.01


def test_trained_discriminator_recovers_d_star_and_bounds_jsd_from_below():
    """A tinygan MLP trained on 40,000 samples of each Gaussian: D̂ within mean absolute
    error 0.03 of D* where (p_data + p_g) > 1% of its peak; the JSD estimate is a lower
    bound up to sampling error (≤ truth + 3 SE) and within 0.02 of the truth."""
    p, q = _gaussian_samples(80_000, 2)
    estimate = theory.discriminator_jsd(p, q, steps=1500, seed=0)
    x = np.linspace(-4, 4, 801)
    p_data, p_g = _normal(x, 0, 1), _normal(x, 1.5, 0.7)
    mask = (p_data + p_g) > 0.01 * (p_data + p_g).max()
    with tg.no_grad():
        d_hat = tg.sigmoid(estimate.discriminator(tg.tensor(x[:, None].astype(np.float32)))).numpy()[:, 0]
    d_star = _host(theory.optimal_discriminator(p_data, p_g))
    error = np.abs(d_hat - d_star)[mask].mean()
    assert error < 0.03, f"mean |D̂ − D*| = {error:.4f}"
    truth = theory.jsd_densities(_normal(GRID, 0, 1), _normal(GRID, 1.5, 0.7), GRID)
    assert estimate.estimate <= truth + 3 * estimate.standard_error
    assert truth - estimate.estimate < 0.02


def test_label_smoothed_discriminator_approaches_the_smoothed_optimum():
    p, q = _gaussian_samples(80_000, 3)
    alpha, beta = 0.2, 0.1
    discriminator = theory.fit_discriminator(p, q, steps=1500, real_target=1 - alpha,
                                             fake_target=beta, seed=1)
    x = np.linspace(-4, 4, 801)
    p_data, p_g = _normal(x, 0, 1), _normal(x, 1.5, 0.7)
    mask = (p_data + p_g) > 0.01 * (p_data + p_g).max()
    with tg.no_grad():
        d_hat = tg.sigmoid(discriminator(tg.tensor(x[:, None].astype(np.float32)))).numpy()[:, 0]
    target = _host(theory.label_smoothed_optimum(p_data, p_g, alpha, beta))
    error = np.abs(d_hat - target)[mask].mean()
    assert error < 0.03, f"mean |D̂ − D_smoothed| = {error:.4f}"
    assert d_hat[mask].max() < 1 - alpha + 0.03         # never confident beyond 1 − α
