"""From a configuration to a ready ``Trainer``: data, models and optimisers wired
together, so a lesson or the command line needs one call: ``gan.build("ring")``."""
from tinygan import backend
from tinygan.data import load_mnist, make_toy
from tinygan.data.loader import DistributionSampler, EpochSampler
from tinygan.gan.config import ConfigError, GANConfig, preset
from tinygan.gan.models import (mlp_discriminator, mlp_generator, paper_mnist_discriminator,
                                paper_mnist_generator)
from tinygan.gan.trainer import Trainer

__all__ = ["build", "Experiment"]


class Experiment:
    """What ``build`` returns: the ``trainer`` and the ``data`` it trains on
    (``data.distribution`` for toy sets, ``data.mnist`` for MNIST)."""

    def __init__(self, trainer, distribution=None, mnist=None):
        self.trainer, self.distribution, self.mnist = trainer, distribution, mnist
        self.config = trainer.config
        self.data_source = trainer.data_source = (mnist or distribution).provenance()


def build(config="ring", callbacks=(), checkpoint_path=None, data_dir=None, **overrides):
    """A ready Experiment for ``config`` (a GANConfig, or a data set name whose preset is
    used), with any field overridden by keyword (``build("ring", steps=500, seed=3)``)."""
    if isinstance(config, str):
        config = preset(config)
    config = config.with_(**overrides).validate()
    backend.manual_seed((config.seed, 2 ** 31 - 2))        # model initialisation
    if config.dataset == "mnist":
        mnist = load_mnist(data_dir)
        if config.batch_size > len(mnist.train):
            raise ConfigError(f"batch size {config.batch_size} is larger than the "
                              f"{len(mnist.train)} training images of {mnist.source}")
        generator, discriminator = _mnist_models(config, mnist)
        sampler = EpochSampler(mnist.train, config.batch_size, seed=config.seed)
        trainer = Trainer(generator, discriminator, sampler, config, callbacks, checkpoint_path,
                          batches_per_epoch=sampler.batches_per_epoch)
        return Experiment(trainer, mnist=mnist)
    distribution = make_toy(config.dataset)
    generator = mlp_generator(config.noise_dim, distribution.dim, config.g_hidden, config.g_depth,
                              noise=config.noise)
    discriminator = mlp_discriminator(distribution.dim, config.d_hidden, config.d_depth,
                                      pack=config.pack)
    sampler = DistributionSampler(distribution, config.batch_size)
    trainer = Trainer(generator, discriminator, sampler, config, callbacks, checkpoint_path)
    return Experiment(trainer, distribution=distribution)


def _mnist_models(config, mnist):
    if config.model == "mnist_2014":
        return (paper_mnist_generator(config.noise_dim, pixel_means=mnist.train.mean(axis=0),
                                      noise=config.noise),
                paper_mnist_discriminator(pack=config.pack))
    generator = mlp_generator(config.noise_dim, 784, config.g_hidden, config.g_depth,
                              noise=config.noise, output="sigmoid")
    return generator, mlp_discriminator(784, config.d_hidden, config.d_depth, pack=config.pack)
