"""The GAN of Goodfellow et al. (2014): models, Algorithm 1, presets, and ``build``."""
from tinygan.gan import conditional
from tinygan.gan.conditional import ConditionalDiscriminator, ConditionalGenerator
from tinygan.gan.config import DATASETS, MAX_SEED, PRESETS, ConfigError, GANConfig, preset
from tinygan.gan.datakinds import ImageData, ToyData, data_kind
from tinygan.gan.ema import ExponentialMovingAverage
from tinygan.gan.experiment import Experiment, build
from tinygan.gan.models import (Discriminator, Generator, mlp_discriminator, mlp_generator,
                                paper_mnist_discriminator, paper_mnist_generator)
from tinygan.gan.trainer import HISTORY_FIELDS, Trainer, TrainingDiverged, TrainingInterrupted
from tinygan.nn.losses import discriminator_loss, generator_loss

__all__ = ["GANConfig", "ConfigError", "MAX_SEED", "PRESETS", "DATASETS", "preset", "build", "Experiment", "Trainer",
           "TrainingDiverged", "TrainingInterrupted", "HISTORY_FIELDS", "Generator",
           "Discriminator", "mlp_generator", "mlp_discriminator", "paper_mnist_generator",
           "paper_mnist_discriminator", "ExponentialMovingAverage", "discriminator_loss",
           "generator_loss", "ToyData", "ImageData", "data_kind", "conditional",
           "ConditionalGenerator", "ConditionalDiscriminator"]
