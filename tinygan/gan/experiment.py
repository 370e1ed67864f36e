"""From a configuration to a ready ``Trainer``: data, models and optimisers wired
together, so a lesson or the command line needs one call: ``gan.build("ring")``."""
from tinygan import backend
from tinygan.gan.config import preset
from tinygan.gan.datakinds import data_kind
from tinygan.gan.trainer import Trainer

__all__ = ["build", "Experiment"]


class Experiment:
    """What ``build`` returns: the ``trainer`` and the ``data`` it trains on (a
    ``ToyData`` or ``ImageData``, which also evaluates, summarises and draws samples).
    ``distribution`` (toy sets) and ``mnist`` (MNIST) reach into it."""

    def __init__(self, trainer, data):
        self.trainer, self.data, self.config = trainer, data, trainer.config
        self.data_source = trainer.data_source = data.provenance()
        self.distribution = getattr(data, "distribution", None)
        self.mnist = getattr(data, "mnist", None)


def build(config="ring", callbacks=(), checkpoint_path=None, data_dir=None, **overrides):
    """A ready Experiment for ``config`` (a GANConfig, or a data set name whose preset is
    used; ``model=`` picks that model family's preset), with any field overridden by keyword
    (``build("ring", steps=500, seed=3)``, ``build("mnist", model="dcgan")``)."""
    if isinstance(config, str):
        config = preset(config, overrides.get("model"))   # a model family has its own preset
    config = config.with_(**overrides).validate()
    data = data_kind(config.dataset, data_dir)
    backend.manual_seed(backend.stream_seed(config.seed, "init"))
    generator, discriminator = data.models(config)
    if config.noise == "mixture":
        generator.use_mixture_prior(config.noise_components, config.noise_sigma,
                                    backend.stream_seed(config.seed, "prior"), config.noise_range)
    sampler = data.sampler(config)
    trainer = Trainer(generator, discriminator, sampler, config, callbacks, checkpoint_path,
                      batches_per_epoch=getattr(sampler, "batches_per_epoch", None))
    return Experiment(trainer, data)
