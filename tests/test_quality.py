"""The paper's Parzen protocol, the Fréchet distance, and the classifier-based sample-quality
measures, each against closed forms, SciPy, or hand-computed values."""
import math
import sys

import numpy as np
import pytest
from scipy import linalg

from tinygan.data.mnist import MNIST, DataError
from tinygan.metrics import frechet
from tinygan.metrics.classifier import (RECIPE, accuracy, classifier_outputs, classifier_path,
                                        load_or_train_classifier, train_classifier)
from tinygan.metrics.frechet import feature_frechet_distance, frechet_distance, gaussian_statistics
from tinygan.metrics.parzen import PAPER_SIGMAS
from tinygan.metrics.parzen_protocol import paper_parzen, rows_per_block
from tinygan.metrics.quality import (class_shares, class_spread, classifier_score,
                                     confident_share, real_reference, sample_quality)

D = 784


def _mnist_like(rng, sigma0, valid=1500, test=4000, train=20):
    """Points x ~ N(0, σ₀² I) in 784 dimensions. Validation rows past the first 1,000 and
    training rows past the first are far away: they would change every number if used."""
    def points(n):
        return (sigma0 * rng.standard_normal((n, D))).astype(np.float32)
    valid_points = points(valid)
    valid_points[1000:] += 50
    train_points = np.full((train, D), 50, dtype=np.float32)
    train_points[0] = 0
    labels = np.zeros(max(valid, test, train), dtype=np.int64)
    return MNIST(train_points, labels[:train], valid_points, labels[:valid], points(test),
                 labels[:test], source="synthetic")


def _single_centre_ll(points, sigma):
    """log N(x; 0, σ² I): the Parzen window with one centre at 0, in closed form."""
    squared = (points.astype(np.float64) ** 2).sum(axis=1)
    return -squared / (2 * sigma ** 2) - D * math.log(sigma * math.sqrt(2 * math.pi))


def test_paper_parzen_chooses_sigma_and_reports_the_standard_error_of_a_known_density():
    sigma0 = PAPER_SIGMAS[4]                     # 0.278: the data's own width is on the grid
    mnist = _mnist_like(np.random.default_rng(0), sigma0)
    centre = np.zeros((1, D), dtype=np.float32)
    result = paper_parzen(centre, mnist, ceiling_images=1)
    # σ selection: the mean validation log-likelihood per σ, in closed form on the first
    # 1,000 validation images (the far rows after them are not used)
    expected_by_sigma = [_single_centre_ll(mnist.valid[:1000], s).mean() for s in PAPER_SIGMAS]
    np.testing.assert_allclose(list(result["validation_by_sigma"].values()), expected_by_sigma,
                               rtol=1e-9)     # float64 sums of float32 inputs, as here
    assert result["sigma"] == PAPER_SIGMAS[int(np.argmax(expected_by_sigma))] == sigma0
    # the test score and its standard error std/√n (NumPy's std, ddof 0, as the paper's script)
    ll = _single_centre_ll(mnist.test, sigma0)
    assert result["log_likelihood"] == pytest.approx(ll.mean(), rel=1e-9)
    assert result["standard_error"] == pytest.approx(ll.std() / math.sqrt(len(ll)), rel=1e-9)
    # ... and both against theory: ‖x‖²/σ₀² ~ χ²_d, so E ll = −d/2 − d·log(σ₀√2π) and
    # SE = √(d/2)/√n (0.31 here). The sample std of n = 4,000 near-normal values is within
    # 1/√(2n) = 1.1% of the truth (1 sd): 6% is five standard deviations.
    theory_mean = -D / 2 - D * math.log(sigma0 * math.sqrt(2 * math.pi))
    theory_error = math.sqrt(D / 2) / math.sqrt(len(ll))
    assert abs(result["log_likelihood"] - theory_mean) < 5 * theory_error
    assert result["standard_error"] == pytest.approx(theory_error, rel=0.06)
    # the ceiling: only the first training image is a centre (it sits where G's sample does)
    assert result["ceiling_log_likelihood"] == result["log_likelihood"]
    assert result["ceiling_sigma"] == sigma0 and result["ceiling_centres"] == 1
    assert result["validation_points"] == 1000 and result["paper_protocol"] is False


def test_sigma_between_grid_values_picks_the_closed_form_argmax():
    sigma0 = math.sqrt(PAPER_SIGMAS[6] * PAPER_SIGMAS[7])       # between two grid values
    mnist = _mnist_like(np.random.default_rng(1), sigma0, test=100)
    result = paper_parzen(np.zeros((1, D), dtype=np.float32), mnist, ceiling_images=1)
    m = (mnist.valid[:1000].astype(np.float64) ** 2).sum(axis=1).mean()
    # mean ll(σ) = −m/(2σ²) − d·log σ − (d/2)·log 2π; its argmax on the grid:
    best = max(PAPER_SIGMAS, key=lambda s: -m / (2 * s * s) - D * math.log(s))
    assert result["sigma"] == best and best in PAPER_SIGMAS[6:8]


def test_block_size_from_the_memory_budget_does_not_change_the_result():
    rng = np.random.default_rng(2)
    mnist = _mnist_like(rng, 0.3, valid=1000, test=50, train=30)
    samples = (0.3 * rng.standard_normal((40, D))).astype(np.float32)
    assert rows_per_block(40, memory_bytes=1) == 1 and rows_per_block(10_000) == 559
    small = paper_parzen(samples, mnist, memory_bytes=1)          # one point at a time
    large = paper_parzen(samples, mnist)                          # all points at once
    # only the float32 cross term x·s may round differently (matrix-vector vs matrix-matrix
    # kernels): ~1e-6 of |x·s| ≈ 70, over 2σ² ≥ 0.02, is below 1e-3 nats; a block that
    # dropped or repeated rows would be off by whole nats
    assert small["sigma"] == large["sigma"]
    for key in ("log_likelihood", "standard_error", "ceiling_log_likelihood"):
        assert small[key] == pytest.approx(large[key], abs=1e-3)


# ----- the Fréchet distance --------------------------------------------------------------

def _spd(rng, d, condition=10.0):
    """A random symmetric positive definite matrix with eigenvalues in [1, condition]."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (q * np.geomspace(1, condition, d)) @ q.T


def _trace_sqrt_product(sigma1, sigma2):
    """Tr (Σ₁Σ₂)^½ = Tr (Σ₁^½ Σ₂ Σ₁^½)^½, from symmetric eigendecompositions only
    (an independent route: no sqrtm of a non-symmetric product)."""
    values, vectors = linalg.eigh(sigma1)
    root = (vectors * np.sqrt(values)) @ vectors.T
    return np.sqrt(np.clip(linalg.eigvalsh(root @ sigma2 @ root), 0, None)).sum()


def test_frechet_distance_matches_closed_forms():
    rng = np.random.default_rng(3)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    sigma = _spd(rng, 6)
    # equal covariances: the trace term vanishes, d² = ‖μ₁ − μ₂‖²
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(((mu1 - mu2) ** 2).sum(),
                                                                      rel=1e-9)
    # diagonal covariances: d² = ‖μ₁ − μ₂‖² + Σ (√a − √b)²
    a, b = rng.uniform(0.1, 4, 6), rng.uniform(0.1, 4, 6)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-9)
    # one dimension: (μ₁ − μ₂)² + (s₁ − s₂)²
    assert frechet_distance(1.0, 4.0, -1.0, 1.0) == pytest.approx(4 + 1, rel=1e-12)
    # identical statistics: zero (up to round-off of the square root)
    assert abs(frechet_distance(mu1, sigma, mu1, sigma)) < 1e-9


def test_frechet_distance_matches_an_independent_scipy_computation():
    rng = np.random.default_rng(4)
    for d in (3, 20, 64):
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        sigma1, sigma2 = _spd(rng, d, 100.0), _spd(rng, d, 100.0)    # not commuting
        expected = (((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2)
                    - 2 * _trace_sqrt_product(sigma1, sigma2))
        # both routes are backward stable; relative 1e-8 of traces of size ~d·100
        assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-8)


def test_feature_statistics_are_float64_and_unbiased():
    rng = np.random.default_rng(5)
    features = rng.standard_normal((500, 4)).astype(np.float32)
    mean, covariance = gaussian_statistics(features)
    assert mean.dtype == covariance.dtype == np.float64
    np.testing.assert_allclose(covariance, np.cov(features.astype(np.float64), rowvar=False),
                               rtol=1e-12)
    # samples of N(μ₁, diag a) and N(μ₂, diag b): the estimate is near the closed form. With
    # n = 20,000 rows the sampling error of each term is ~0.03; 0.15 is five of those.
    a, b = np.array([1.0, 0.5, 2.0, 0.2]), np.array([0.3, 0.5, 1.0, 1.5])
    x = rng.standard_normal((20_000, 4)) * np.sqrt(a)
    y = 1.0 + rng.standard_normal((20_000, 4)) * np.sqrt(b)
    expected = 4 * 1.0 + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert feature_frechet_distance(x, y) == pytest.approx(expected, abs=0.15)
    with pytest.raises(ValueError, match="rows ≥ 2"):
        gaussian_statistics(features[:1])


def test_frechet_fallback_offset_and_imaginary_parts(monkeypatch):
    rng = np.random.default_rng(6)
    mu, sigma1, sigma2 = np.zeros(5), _spd(rng, 5), _spd(rng, 5)
    real_sqrtm = linalg.sqrtm
    calls = []

    def failing_once(matrix):          # the first square root is not finite
        calls.append(matrix)
        return np.full_like(matrix, np.inf) if len(calls) == 1 else real_sqrtm(matrix)
    monkeypatch.setattr(frechet, "_sqrtm", lambda: failing_once)
    offset = 1e-6 * np.eye(5)
    expected = (np.trace(sigma1) + np.trace(sigma2)
                - 2 * _trace_sqrt_product(sigma1 + offset, sigma2 + offset))
    assert frechet_distance(mu, sigma1, mu, sigma2) == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(calls[1], (sigma1 + offset) @ (sigma2 + offset))

    def complex_root(imaginary):
        return lambda matrix: real_sqrtm(matrix) + 1j * imaginary * np.eye(len(matrix))
    monkeypatch.setattr(frechet, "_sqrtm", lambda: complex_root(1e-5))     # dropped
    plain = np.trace(sigma1) + np.trace(sigma2) - 2 * _trace_sqrt_product(sigma1, sigma2)
    assert frechet_distance(mu, sigma1, mu, sigma2) == pytest.approx(plain, rel=1e-9)
    monkeypatch.setattr(frechet, "_sqrtm", lambda: complex_root(0.01))      # refused
    with pytest.raises(ValueError, match="imaginary part of 0.01"):
        frechet_distance(mu, sigma1, mu, sigma2)
    monkeypatch.setattr(frechet, "_sqrtm", lambda: real_sqrtm)
    for bad in (np.nan, np.inf):                # refused before a square root that may hang
        with pytest.raises(ValueError, match="hold NaN or inf"):
            frechet_distance(mu, np.where(np.eye(5) > 0, bad, sigma1), mu, sigma2)


def test_frechet_without_scipy_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)       # import fails
    with pytest.raises(ImportError, match="pip install scipy"):
        frechet_distance(0.0, 1.0, 0.0, 1.0)


# ----- the classifier and the sample-quality measures ------------------------------------

def test_classifier_score_confident_share_and_class_shares_against_hand_values():
    balanced = np.eye(10)[np.arange(1000) % 10]
    assert classifier_score(balanced) == pytest.approx(10, rel=1e-12)     # confident, all 10
    assert classifier_score(np.eye(10)[np.zeros(50, int)]) == pytest.approx(1, rel=1e-12)
    assert classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1, rel=1e-12)
    two = np.eye(10)[np.arange(40) % 2]
    assert classifier_score(two) == pytest.approx(2, rel=1e-12)
    # any probabilities: E KL(p ‖ p̄) = H(p̄) − E H(p), with SciPy's entropy as the oracle
    from scipy.stats import entropy
    p = np.random.default_rng(7).dirichlet(np.full(10, 0.3), size=200)
    oracle = math.exp(entropy(p.mean(axis=0)) - np.mean([entropy(row) for row in p]))
    assert classifier_score(p) == pytest.approx(oracle, rel=1e-10)
    rows = np.array([[0.95, 0.05] + [0] * 8, [0.4, 0.6] + [0] * 8, [0, 0.1, 0.9] + [0] * 7])
    assert confident_share(rows) == pytest.approx(2 / 3)        # 0.95 and exactly 0.9 count
    np.testing.assert_array_equal(class_shares(rows), [1 / 3, 1 / 3, 1 / 3] + [0] * 7)


def test_class_spread_against_hand_values_and_per_class_covariances():
    # one feature; class 0 holds 0 and 2 (mean 1), class 1 holds 10; overall mean 4
    features = np.array([[0.0], [2.0], [10.0]])
    probabilities = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    spread = class_spread(features, probabilities)
    assert spread["within"] == pytest.approx((1 + 1 + 0) / 3, rel=1e-12)
    assert spread["between"] == pytest.approx((2 * 3 ** 2 + 6 ** 2) / 3, rel=1e-12)
    # random features, a class left empty: NumPy's per-class covariances are the oracle, and
    # the two parts add up to the trace of the population covariance (total variance)
    rng = np.random.default_rng(11)
    features = rng.standard_normal((500, 6)) * [1, 2, 3, 1, 1, 5] + rng.standard_normal(6)
    probabilities = rng.dirichlet(np.ones(10), size=500)
    probabilities[:, 7] = 0                                           # no row picks class 7
    labels = probabilities.argmax(axis=1)
    spread = class_spread(features, probabilities)
    present = [c for c in range(10) if (labels == c).sum() > 1]
    assert len(present) == 9
    within = sum((labels == c).mean() * np.trace(np.cov(features[labels == c], rowvar=False,
                                                        bias=True)) for c in present)
    between = sum((labels == c).mean() * ((features[labels == c].mean(axis=0)
                                           - features.mean(axis=0)) ** 2).sum() for c in present)
    assert spread["within"] == pytest.approx(within, rel=1e-10)
    assert spread["between"] == pytest.approx(between, rel=1e-10)
    total = np.trace(np.cov(features, rowvar=False, bias=True))
    assert spread["within"] + spread["between"] == pytest.approx(total, rel=1e-10)
    # moving every class away from the centre (caricatures) changes only ``between``
    centre = features.mean(axis=0)
    class_means = np.stack([features[labels == c].mean(axis=0) if c in present else centre
                            for c in range(10)])
    pushed = class_spread(features + 0.5 * (class_means[labels] - centre), probabilities)
    assert pushed["within"] == pytest.approx(spread["within"], rel=1e-10)
    assert pushed["between"] == pytest.approx(1.5 ** 2 * spread["between"], rel=1e-10)


@pytest.fixture(scope="module")
def small_mnist():
    """The embedded sample, cut to keep a test classifier quick."""
    from tinygan.data import load_embedded_mnist
    full = load_embedded_mnist()
    return MNIST(full.train[:2000], full.train_labels[:2000], full.valid, full.valid_labels,
                 full.test[:300], full.test_labels[:300], source="embedded sample, cut")


TEST_RECIPE = {**RECIPE, "hidden": 64, "epochs": 3, "batch_size": 20, "shift": 0}


@pytest.fixture(scope="module")
def judge(small_mnist, tmp_path_factory):
    """A small classifier trained once through the cache: (folder, model, record, log)."""
    folder, messages = tmp_path_factory.mktemp("judge"), []
    model, record = load_or_train_classifier(small_mnist, folder, TEST_RECIPE, progress=False,
                                             log=messages.append)
    return folder, model, record, messages


def test_classifier_is_cached_by_data_and_recipe(small_mnist, judge, tmp_path):
    folder, model, record, messages = judge
    path = classifier_path(small_mnist, folder, TEST_RECIPE)
    assert record["path"] == str(path) and path.exists() and len(messages) == 1
    # 64 hidden units, 3 epochs on 2,000 digits: 0.83 and 0.84 measured (seeds 0, 1) on 300
    # test digits; 0.75 leaves room for other BLAS builds' rounding
    assert record["test_accuracy"] > 0.75
    assert record["test_accuracy"] == accuracy(model, small_mnist.test, small_mnist.test_labels)
    again, second = load_or_train_classifier(small_mnist, folder, TEST_RECIPE, log=messages.append)
    assert len(messages) == 1 and second == record                  # loaded, not retrained
    np.testing.assert_array_equal(classifier_outputs(again, small_mnist.test)[1],
                                  classifier_outputs(model, small_mnist.test)[1])
    # other labels or another recipe: another file
    labels = small_mnist.train_labels.copy()
    labels[0] = (labels[0] + 1) % 10
    relabelled = MNIST(small_mnist.train, labels, small_mnist.valid, small_mnist.valid_labels,
                       small_mnist.test, small_mnist.test_labels, source="relabelled")
    assert classifier_path(relabelled, folder, TEST_RECIPE) != path
    assert classifier_path(small_mnist, folder, {**TEST_RECIPE, "seed": 1}) != path
    # a corrupt cache file is an error naming it, and is kept
    corrupt = classifier_path(small_mnist, tmp_path, TEST_RECIPE)
    corrupt.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match=f"{corrupt}.*delete it"):
        load_or_train_classifier(small_mnist, tmp_path, TEST_RECIPE)
    assert corrupt.stat().st_size == 1000


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_outputs_are_penultimate_features_and_softmax_probabilities(small_mnist):
    from tinygan.tensor import tensor
    tiny = {**TEST_RECIPE, "epochs": 1}
    model = train_classifier(small_mnist.train[:200], small_mnist.train_labels[:200], tiny)
    x = small_mnist.test[:20]
    features, probabilities = classifier_outputs(model, x, batch_size=7)
    # the recipe's seed fixes the weights: the same training gives the same outputs
    twin = train_classifier(small_mnist.train[:200], small_mnist.train_labels[:200], tiny)
    np.testing.assert_array_equal(classifier_outputs(twin, x, batch_size=7)[0], features)
    hidden = np.maximum(model[0](tensor(x)).numpy(), 0)
    hidden = np.maximum(model[3](tensor(hidden)).numpy(), 0)       # dropout is off in eval
    np.testing.assert_allclose(features, hidden, rtol=1e-6, atol=1e-6)      # float32 products
    np.testing.assert_allclose(probabilities, _softmax(model[6](tensor(hidden)).numpy()
                                                       .astype(np.float64)), rtol=1e-5, atol=1e-7)
    assert features.dtype == probabilities.dtype == np.float64


def test_sample_quality_puts_real_values_beside_the_samples(small_mnist, judge):
    model = judge[1]
    reference = real_reference(small_mnist, model)
    # the test images as "samples" measure exactly as the real reference does
    same = sample_quality(small_mnist.test, small_mnist, model, reference)
    for key in ("class_shares", "class_spread", "classifier_score", "confident_share",
                "frechet_distance", "nearest_train_distance", "classes_in_range"):
        assert same[key] == same["real_test"][key]
    features, _ = classifier_outputs(model, small_mnist.test)
    train_features, _ = classifier_outputs(model, small_mnist.train)
    assert same["frechet_distance"] == pytest.approx(
        feature_frechet_distance(features, train_features), rel=1e-9)
    # a generator that draws one digit: one class, score 1, a larger distance
    collapsed = sample_quality(np.repeat(small_mnist.test[:1], 300, axis=0), small_mnist, model,
                               reference)
    assert max(collapsed["class_shares"]) == 1 and collapsed["classes_in_range"] == 0
    assert collapsed["classifier_score"] == pytest.approx(1, rel=1e-9)
    assert collapsed["frechet_distance"] > 10 * same["frechet_distance"]


def test_shift_images_moves_each_image_by_its_drawn_offsets():
    from tinygan.metrics.classifier import shift_images

    class Drawn:                       # a generator whose draws we choose: rows, then columns
        def __init__(self, *draws):
            self.draws = list(draws)

        def integers(self, low, high, size):
            values = np.array(self.draws.pop(0))
            assert low == 0 and high == 3 and values.shape == (size,)
            return values
    images = np.random.default_rng(8).random((3, 784)).astype(np.float32)
    # draw d in {0, 1, 2} means offset 1 − d: the output pixel (i, j) is input (i + d − 1, j + e − 1)
    moved = shift_images(images, 1, Drawn([0, 1, 2], [2, 1, 0])).reshape(3, 28, 28)
    square = images.reshape(3, 28, 28)
    np.testing.assert_array_equal(moved[0, 1:, :27], square[0, :27, 1:])   # down 1, left 1
    assert (moved[0, 0] == 0).all() and (moved[0, :, 27] == 0).all()
    np.testing.assert_array_equal(moved[1], square[1])                       # not moved
    np.testing.assert_array_equal(moved[2, :27, 1:], square[2, 1:, :27])   # up 1, right 1


def test_evaluate_mnist_samples_gathers_parzen_quality_and_the_judge(small_mnist, judge):
    import json
    from tinygan.metrics.quality import evaluate_mnist_samples
    folder, _, record, _ = judge
    samples = small_mnist.valid[:200]
    result = evaluate_mnist_samples(samples, small_mnist, folder, TEST_RECIPE, progress=False,
                                    log=pytest.fail)                   # cached: no training
    assert result["classifier"] == record
    assert result["parzen"] == paper_parzen(samples, small_mnist)
    assert result["quality"]["samples"] == 200 and result["parzen"]["paper_protocol"] is False
    json.dumps(result)                                               # ready for evaluation.json


@pytest.mark.slow
def test_reference_numbers_on_full_mnist():
    """The judge on full MNIST (trained and cached if absent: about 4 minutes on 2 cores)
    and the real-data references quoted in the README. Needs `tinygan data fetch mnist`."""
    from tinygan.data import load_mnist_full
    try:
        mnist = load_mnist_full()
    except DataError as error:
        pytest.skip(str(error))
    model, record = load_or_train_classifier(mnist, progress=False)
    assert record["test_accuracy"] >= 0.985                 # 0.9896 measured
    reference = real_reference(mnist, model)
    test = reference["test"]
    # measured: score 9.70, 97.4% confident, Fréchet distance 1.13, 10/10 classes in range
    assert test["classifier_score"] > 9.5 and test["confident_share"] > 0.95
    assert test["frechet_distance"] < 2 and test["classes_in_range"] == 10
    # The test images' distance is what fresh real digits score, not a lower bound: the
    # validation images (the training writers' digits, unseen by the judge and the
    # statistics) score the same (1.127 and 1.127 measured), 10,000 of the training images
    # the statistics were fitted on score 0.73.
    valid = sample_quality(mnist.valid, mnist, model, reference)["frechet_distance"]
    seen = sample_quality(mnist.train[:10_000], mnist, model, reference)["frechet_distance"]
    assert abs(valid - test["frechet_distance"]) < 0.1 and seen < valid - 0.2
    # the Parzen ceiling with pixels k/255: 241.19 ± 2.13 (σ 0.167) measured here, and
    # 241.2 ± 2.1 by an independent implementation (REFERENCE.md, section 7)
    ceiling = paper_parzen(mnist.train[10_000:20_000], mnist)
    assert ceiling["paper_protocol"] and ceiling["ceiling_sigma"] == PAPER_SIGMAS[2]
    assert ceiling["ceiling_log_likelihood"] == pytest.approx(241.19, abs=0.05)
    assert ceiling["ceiling_standard_error"] == pytest.approx(2.13, abs=0.01)
