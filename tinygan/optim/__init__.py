"""Optimizers in the style of ``torch.optim``, and the 2014 paper's schedules."""
from tinygan.optim.adam import Adam
from tinygan.optim.optimizer import Optimizer
from tinygan.optim.rmsprop import RMSprop
from tinygan.optim.schedules import ExponentialDecay, LinearRamp, Schedule
from tinygan.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Schedule", "ExponentialDecay", "LinearRamp"]
