"""Long training runs that check the headline claims. Opt-in: ``python -m pytest -m slow``
(about two and a half hours on 2 cores, most of it the `mnist` preset's 75,000 iterations;
each test longer than the suite's 600-second timeout states its own)."""
import pytest

from tinygan import gan
from tinygan.gan.evaluation import evaluate
from tinygan.metrics import COVERAGE_GOALS, coverage_shortfalls, mode_coverage

pytestmark = pytest.mark.slow


# The default toy presets on five seeds at the final step (benchmarks/toy_presets.py; README
# "Results"), against issue 14's goals (COVERAGE_GOALS). Measured worst: ring 10.1% smallest
# share and 93.6% high quality; grid 2.6% and 85.2%. One and two BLAS threads gave
# bit-identical runs on the measuring machine; another machine (other BLAS kernels) gives
# other trajectories.
@pytest.mark.parametrize("dataset", sorted(COVERAGE_GOALS))
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_toy_preset_covers_every_mode_with_its_share(dataset, seed):
    """Every mode captured, the smallest mode's share of all samples and the high-quality
    share at least the goals."""
    experiment = gan.build(dataset, seed=seed)
    experiment.trainer.fit()
    result = mode_coverage(experiment.trainer.sample(2500), experiment.distribution)
    assert coverage_shortfalls(result, dataset) == [], result


def test_1d_gaussian_preset_matches_the_data():
    experiment = gan.build("gaussian1d", seed=0)
    experiment.trainer.fit()
    result = evaluate(experiment)
    # measured: JSD 0.02–0.04 (histogram estimate, 100 bins), std 0.50 against the data's 0.51
    assert result["jsd"] < 0.06, result
    assert abs(result["sample_mean"] - 4.0) < 0.05 and abs(result["sample_std"] - 0.5) < 0.08


@pytest.mark.timeout(3600)
def test_paper_configuration_on_full_mnist_climbs_past_the_alternating_update():
    """`--paper` (the authors' code: simultaneous updates, D's objective halved, z ~ U(−√3,
    √3)) on full MNIST for 10,000 iterations, the paper's Parzen protocol on 10,000 samples.
    Measured (README, Table 1): 94.1 ± 1.6 (seed 0) and 84.2 ± 1.8 (seed 1) at 10,000
    iterations; the alternating update that --paper used before had 13.0 ± 2.0 at 13,000.
    The bound sits 24 nats under the lower seed: at 5,000 iterations the two seeds were
    75 nats apart (46.2 and −29.1), so early values move a lot with the trajectory (and
    another BLAS thread count is another trajectory). Needs `tinygan data fetch mnist`;
    about 8–25 minutes on 2 cores."""
    from tinygan.gan.config import PAPER_EXACTLY
    from tinygan.metrics.parzen_protocol import paper_parzen
    experiment = _full_mnist(steps=10_000, **PAPER_EXACTLY)
    experiment.trainer.fit()
    result = paper_parzen(experiment.trainer.sample(10_000), experiment.mnist, ceiling_images=0)
    assert result["log_likelihood"] > 60, result


@pytest.mark.timeout(4 * 3600)
def test_mlp_preset_on_full_mnist_meets_the_class_goals():
    """The `mnist` preset (an MLP GAN: Adam at 1e-3 for G and 2e-4 for D, R1 with γ = 1, an
    average of G), judged on 10,000 samples of the average at 30,000 iterations and at the
    preset's 75,000. Measured (README): at 30,000, seeds 0, 1 and 2 scored 8.77, 8.78 and
    8.73, with 85.8%, 86.0% and 85.4% of samples read with p ≥ 0.9, Fréchet distance
    1.74–1.78; at 75,000 they scored 9.08, 9.10 and 9.09, with 90.1%, 90.0% and 89.8%
    confident, Fréchet distance 1.04–1.09; 10/10 classes within 5–15% throughout. Another
    machine's BLAS gives another trajectory, so the bounds keep a margin below the
    measurements (about two points of confident share, 0.2–0.25 of score) and hold the Fréchet
    distance under the best `--paper` run's 3.86, then under 1.5. Needs `tinygan data fetch
    mnist`; about 67 minutes on one core."""
    experiment = _full_mnist()
    _judge_at(experiment, {30_000: (0.83, 8.5, 3.86), experiment.config.steps: (0.88, 8.85, 1.5)})


@pytest.mark.timeout(2 * 3600)
def test_dcgan_preset_on_full_mnist_reads_as_reported():
    """The `dcgan` preset (InfoGAN's MNIST networks, Adam at 1e-3 for G and 2e-4 for D, an
    average of G's weights and batch-norm statistics), judged on 10,000 samples of the
    average at its 4,500 steps. Measured (README): seeds 0 and 1 scored 9.10 and 9.09, with
    89.9% and 89.6% confident, Fréchet distance 1.80 and 2.05, 10/10 classes — not the
    issue's 9.5 and 95%, which these bounds do not claim. The margins are the MLP test's.
    Needs `tinygan data fetch mnist`; about 22 minutes on two idle threads, 34–41 on one
    core of a shared machine (this test: 2,042 s there)."""
    _judge_at(_full_mnist(model="dcgan"), {4_500: (0.875, 8.85, 2.5)})


def _full_mnist(**overrides):
    """Seed 0's experiment on full MNIST, or a skip when it has not been fetched."""
    from tinygan.data import DataError
    try:
        return gan.build("mnist", seed=0, **overrides)
    except DataError as error:
        pytest.skip(f"full MNIST is not fetched: {error}")


def _judge_at(experiment, bounds):
    """Train to each step of ``bounds`` ({steps: (confident share, score, Fréchet)}) and
    judge 10,000 samples there: 10/10 classes, at least the share and score, under the
    distance."""
    from tinygan.metrics.quality import evaluate_mnist_samples
    for steps, (confident, score, frechet) in bounds.items():
        experiment.trainer.fit(steps)
        quality = evaluate_mnist_samples(experiment.trainer.sample(10_000), experiment.mnist,
                                         progress=False, parzen=False)["quality"]
        assert quality["classes_in_range"] == 10, (steps, quality)
        assert quality["confident_share"] >= confident, (steps, quality)
        assert quality["classifier_score"] >= score, (steps, quality)
        assert quality["frechet_distance"] < frechet, (steps, quality)
