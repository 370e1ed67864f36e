"""The layers: Linear, the activations, Maxout, Dropout, BatchNorm1d."""
from tinygan import backend
from tinygan.nn import functional as F
from tinygan.nn import init
from tinygan.nn.module import Module, Parameter

__all__ = ["Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Maxout", "Dropout",
           "BatchNorm1d"]


def _bias(in_features, out_features, init_scheme, dtype):
    """Zeros, except with "fan_in" init: U(±1/√fan_in) as PyTorch's default."""
    bias = Parameter(backend.xp.zeros(out_features, dtype=dtype))
    return init.fan_in_uniform_(bias, in_features) if init_scheme == "fan_in" else bias


def _weight(in_features, out_features, init_scheme, dtype):
    """A (in_features, out_features) weight: ``init_scheme`` is "xavier", "he", "fan_in",
    or a number r for U(−r, r) as in the 2014 paper's configurations."""
    weight = Parameter(backend.xp.zeros((in_features, out_features), dtype=dtype))
    if isinstance(init_scheme, (int, float)):
        return init.uniform_(weight, float(init_scheme))
    if init_scheme not in init.INITS:
        raise ValueError(f"init must be 'xavier', 'he', 'fan_in' or a number r for U(-r, r), "
                         f"got {init_scheme!r}")
    return init.INITS[init_scheme](weight)


class Linear(Module):
    """y = x W + b, W of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features, bias=True, init="xavier", dtype="float32"):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _weight(in_features, out_features, init, dtype)
        self.bias = _bias(in_features, out_features, init, dtype) if bias else None

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) got input of "
                             f"shape {tuple(x.shape)}: its last axis must be {self.in_features}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Maxout(Module):
    """Maxout units (Goodfellow et al. 2013), the 2014 discriminator's hidden layer: a linear
    map to ``out_features × pieces`` values, then the max over each unit's pieces."""

    def __init__(self, in_features, out_features, pieces, init="xavier", dtype="float32"):
        super().__init__()
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        self.weight = _weight(in_features, out_features * pieces, init, dtype)
        self.bias = _bias(in_features, out_features * pieces, init, dtype)

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Maxout({self.in_features}, {self.out_features}) got input of "
                             f"shape {tuple(x.shape)}: its last axis must be {self.in_features}")
        return F.maxout(F.linear(x, self.weight, self.bias), self.pieces)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, pieces={self.pieces}"


class _Activation(Module):
    function = None

    def forward(self, x):
        return type(self).function(x)


class ReLU(_Activation):
    function = staticmethod(F.relu)


class Sigmoid(_Activation):
    function = staticmethod(F.sigmoid)


class Tanh(_Activation):
    function = staticmethod(F.tanh)


class Identity(Module):
    def forward(self, x):
        return x


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Dropout(Module):
    """Inverted dropout with drop probability ``p`` in training, the identity in eval.
    (The 2014 paper speaks of *include* probabilities: include 0.8 is ``Dropout(0.2)``.)"""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalisation over (n, features) inputs with learnable γ, β and running
    statistics for evaluation."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype="float32"):
        super().__init__()
        xp = backend.xp
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(xp.ones(num_features, dtype=dtype))
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype))
        self.register_buffer("running_mean", xp.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", xp.ones(num_features, dtype=dtype))

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps)

    def extra_repr(self):
        return f"{self.num_features}"
