"""Evaluation metrics against closed forms and brute-force references."""
import math

import numpy as np
import pytest
from scipy.special import logsumexp

import tinygan as tg
from tinygan import data, metrics


@pytest.mark.usefixtures("on_backend")
def test_samples_from_the_data_capture_all_modes_with_the_closed_form_quality():
    """For a 2-D isotropic Gaussian P(‖x − μ‖ ≤ 3σ) = 1 − e^(−9/2) = 0.98889; with 20,000
    samples the standard error is 7e-4, so ±0.003 is over 4 standard errors."""
    for mixture in (data.ring(), data.grid()):
        tg.manual_seed(0)
        result = metrics.mode_coverage(tg.tensor(mixture.sample(20000)).numpy(), mixture)
        assert result["modes_captured"] == mixture.components
        assert abs(result["high_quality"] - (1 - math.exp(-4.5))) < 0.003
        assert abs(result["min_mode_share"] - 1 / mixture.components) < 0.02
        # shares of all samples: the same shares times the high-quality fraction, summing to it
        np.testing.assert_allclose(result["mode_shares_of_all"],
                                   np.array(result["mode_shares"]) * result["high_quality"],
                                   rtol=1e-12)
        assert result["min_mode_share_of_all"] == min(result["mode_shares_of_all"])
        assert result["jsd"] < 0.02


def test_a_collapsed_generator_is_caught():
    ring = data.ring()
    collapsed = np.tile(np.array(ring.means[3]), (2500, 1)) + 0.001
    result = metrics.mode_coverage(collapsed, ring)
    assert result["modes_captured"] == 1 and result["high_quality"] == 1.0
    assert result["min_mode_share_of_all"] == 0.0 and max(result["mode_shares_of_all"]) == 1.0
    assert result["jsd"] > 0.5
    between = np.zeros((100, 2))                 # the ring's centre: far from every mode
    assert metrics.mode_coverage(between, ring)["high_quality"] == 0.0
    assert metrics.coverage_shortfalls(result, "ring") == [
        "modes captured 1/8", "smallest mode share 0.0% < 6%"]


def test_the_data_itself_meets_the_coverage_goals_and_each_goal_is_checked():
    """The mixtures' own samples meet every goal (their HQ share is 98.9%, every mode 1/K of
    it); moving one goal just past the measured value makes exactly that goal fail."""
    for name in sorted(metrics.COVERAGE_GOALS):
        mixture = getattr(data, name)()
        tg.manual_seed(0)
        result = metrics.mode_coverage(tg.tensor(mixture.sample(2500)).numpy(), mixture)
        assert metrics.coverage_shortfalls(result, name) == []
        assert metrics.coverage_shortfalls(dict(result, high_quality=0.5), name) == [
            f"high quality 50.0% < {metrics.COVERAGE_GOALS[name]['high_quality']:.0%}"]
        assert metrics.coverage_shortfalls(dict(result, min_mode_share_of_all=0.001), name) == [
            f"smallest mode share 0.1% < {metrics.COVERAGE_GOALS[name]['min_share']:.0%}"]


@pytest.mark.usefixtures("on_backend")
def test_parzen_log_likelihood_matches_brute_force(host_rng):
    samples = host_rng.random((300, 784)).astype(np.float32)
    points = host_rng.random((7, 784)).astype(np.float32)
    sigma = 0.3
    squared = ((points[:, None, :].astype(np.float64) - samples[None]) ** 2).sum(-1)
    expected = logsumexp(-squared / (2 * sigma ** 2), axis=1) - math.log(300) \
        - 784 * math.log(sigma * math.sqrt(2 * math.pi))
    got = tg.tensor(metrics.parzen_log_likelihood(points, samples, sigma, batch_size=3)).numpy()
    # the cross term x·s is a float32 product (for speed): rounding ~1e-7·‖x‖‖s‖ ≈ 3e-5 in a
    # squared distance of ~130, i.e. ~2e-4 nats after dividing by 2σ² = 0.18
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)
    several = tg.tensor(metrics.parzen_log_likelihood(points, samples, [0.2, sigma], batch_size=3)).numpy()
    np.testing.assert_allclose(several[1], got, rtol=1e-12)


def test_parzen_on_gaussian_samples_approaches_the_true_density():
    """With many samples from N(0, s²I) in 2-D and the chosen σ, the Parzen estimate of
    the mean log-density is within 0.05 nats of the exact value −log(2πs²) − 1."""
    rng = np.random.default_rng(0)
    s = 0.5
    samples = rng.normal(0, s, (10000, 2))
    valid, test = rng.normal(0, s, (1000, 2)), rng.normal(0, s, (2000, 2))
    result = metrics.parzen_evaluation(samples, valid, test, sigmas=np.geomspace(0.02, 0.5, 12))
    assert abs(result["log_likelihood"] - (-math.log(2 * math.pi * s ** 2) - 1)) < 0.05
    assert result["standard_error"] < 0.05
    assert metrics.PAPER_SIGMAS[0] == pytest.approx(0.1) and metrics.PAPER_SIGMAS[-1] == pytest.approx(1.0)


def test_nearest_neighbours_and_class_coverage():
    mnist = data.load_embedded_mnist()
    index, distance = metrics.nearest_neighbours(mnist.train[[5, 9]], mnist.train)
    # the chosen neighbour's distance is measured directly as ‖x − s‖: a self-match is 0
    assert index.tolist() == [5, 9] and distance.tolist() == [0.0, 0.0]
    classifier = metrics.train_digit_classifier(mnist.train, mnist.train_labels, epochs=5)
    accuracy = (tg.tensor(metrics.predict(classifier, mnist.test)).numpy() == mnist.test_labels).mean()
    assert accuracy > 0.9
    real = metrics.class_coverage(mnist.test, classifier)
    assert real["classes_covered"] == 10 and abs(sum(real["class_shares"]) - 1) < 1e-9
    ones = mnist.test[mnist.test_labels == 1]
    assert metrics.class_coverage(ones, classifier)["classes_covered"] == 1


@pytest.mark.usefixtures("on_backend")
def test_nearest_neighbours_match_brute_force_exactly(host_rng):
    """Against scipy's cdist (float64, computed as ‖x − s‖): the same indices, and distances
    to 1e-12 relative (both sum the same float64 squares, in different orders); a training
    image that appears twice is matched to its lower index."""
    from scipy.spatial.distance import cdist
    train = host_rng.random((300, 784)).astype(np.float32)
    train[7] = train[3]                                       # a duplicate: index 3 wins
    queries = np.concatenate([train[[3, 10, 299]], host_rng.random((20, 784)).astype(np.float32)])
    queries[4] = train[11] + np.float32(1e-3)
    index, distance = metrics.nearest_neighbours(queries, train, batch_size=7)
    reference = cdist(queries.astype(np.float64), train.astype(np.float64))
    np.testing.assert_array_equal(index, reference.argmin(axis=1))
    np.testing.assert_allclose(distance, reference.min(axis=1), rtol=1e-12, atol=0)
    assert index[0] == 3 and distance[:3].tolist() == [0.0, 0.0, 0.0]
