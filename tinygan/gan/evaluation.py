"""Measure a trained GAN with the protocol that fits its data:

- 2-D mixtures (ring, grid): modes captured, high-quality fraction, per-mode shares and
  JSD (``metrics.mode_coverage``);
- 1-D data: the JSD between generated and real samples from shared histograms, and the
  generated mean and standard deviation beside the data's;
- MNIST: the paper's Parzen-window log-likelihood with σ and the real-data ceiling,
  digit-class coverage by a tinygan classifier, and nearest-training-neighbour distances.
"""
import time

from tinygan import backend
from tinygan.metrics import (class_coverage, mode_coverage, nearest_neighbours, parzen_evaluation,
                             predict, train_digit_classifier)
from tinygan.theory import histogram_jsd

__all__ = ["evaluate"]


def evaluate(experiment, samples=None):
    """A dict of metrics for ``experiment`` (from ``gan.build``); ``samples`` default to
    ``config.eval_samples`` fresh samples of the (EMA) generator."""
    config, trainer = experiment.config, experiment.trainer
    started = time.perf_counter()
    if samples is None:
        samples = trainer.sample(config.eval_samples)
    if config.dataset == "mnist":
        result = _evaluate_mnist(samples, experiment.mnist)
    elif experiment.distribution.dim == 2:
        result = mode_coverage(samples, experiment.distribution)
    else:
        result = _evaluate_1d(samples, experiment.distribution)
    result["evaluation_seconds"] = time.perf_counter() - started
    return result


def _evaluate_1d(samples, distribution):
    backend.manual_seed(12345)
    real = backend.to_numpy(distribution.sample(len(samples), dtype="float64"))
    return {"jsd": histogram_jsd(samples, real, bins=100),
            "sample_mean": float(samples.mean()), "sample_std": float(samples.std()),
            "data_mean": float(real.mean()), "data_std": float(real.std())}


def _evaluate_mnist(samples, mnist):
    parzen = parzen_evaluation(samples, mnist.valid, mnist.test, ceiling_samples=mnist.train)
    classifier = train_digit_classifier(mnist.train, mnist.train_labels)
    test_accuracy = float((backend.to_numpy(predict(classifier, mnist.test)) == mnist.test_labels).mean())
    coverage = class_coverage(samples, classifier)
    _, sample_distances = nearest_neighbours(samples[:1000], mnist.train)
    _, test_distances = nearest_neighbours(mnist.test[:1000], mnist.train)
    return {"parzen": parzen, **coverage, "classifier_test_accuracy": test_accuracy,
            "nearest_train_distance_samples": float(sample_distances.mean()),
            "nearest_train_distance_test_images": float(test_distances.mean())}
