"""Measure a trained GAN with the protocol that fits its data (each data kind in
``tinygan.gan.datakinds`` owns its protocol): VEEGAN's mode coverage for 2-D mixtures,
a histogram JSD for 1-D data, the paper's Parzen window and digit coverage for MNIST."""
import time

__all__ = ["evaluate"]


def evaluate(experiment, samples=None):
    """A dict of metrics for ``experiment`` (from ``gan.build``); ``samples`` default to
    ``config.eval_samples`` fresh samples of the (EMA) generator. Seeded by the run's seed."""
    config, trainer = experiment.config, experiment.trainer
    started = time.perf_counter()
    if samples is None:
        samples = trainer.sample(config.eval_samples)
    result = experiment.data.evaluate(samples, config.seed)
    result["evaluation_seconds"] = time.perf_counter() - started
    return result
