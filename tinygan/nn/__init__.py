"""Neural-network modules in the style of ``torch.nn``."""
from tinygan.nn import functional, init, utils
from tinygan.nn.layers import (BatchNorm1d, Dropout, Identity, LeakyReLU, Linear, Maxout, ReLU,
                               Sigmoid, Tanh)
from tinygan.nn.module import Module, Parameter, Sequential, StateDictError
from tinygan.nn.conv import (AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Flatten,
                             MaxPool2d, Unflatten)

__all__ = ["functional", "init", "utils", "Module", "Parameter", "Sequential", "StateDictError",
           "Linear", "Maxout", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Dropout",
           "BatchNorm1d", "Conv2d", "ConvTranspose2d", "BatchNorm2d", "MaxPool2d", "AvgPool2d",
           "Flatten", "Unflatten"]
