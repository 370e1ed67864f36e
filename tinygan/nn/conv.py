"""Convolutional layers with PyTorch's names, argument order, weight layouts and default
initialisation: Conv2d, ConvTranspose2d, BatchNorm2d, MaxPool2d, AvgPool2d, Flatten,
Unflatten.

Weight layouts follow PyTorch: (out, in, kH, kW) for Conv2d and (in, out, kH, kW) for
ConvTranspose2d (the same tensor serves a convolution and its transpose). Note that
tinygan's ``Linear`` differs: it stores W as (in, out) and computes x W.

Default initialisation (PyTorch's): kaiming_uniform with a = √5, i.e. U(±1/√fan_in),
and the bias U(±1/√fan_in), where fan_in = weight.shape[1]·kH·kW — in·kH·kW for Conv2d,
out·kH·kW for ConvTranspose2d (PyTorch reads the fan from the weight's second axis).
"""
from tinygan import backend
from tinygan.nn import functional as F
from tinygan.nn import init
from tinygan.nn.module import Module, Parameter
from tinygan.ops.conv import _pair

__all__ = ["Conv2d", "ConvTranspose2d", "BatchNorm2d", "MaxPool2d", "AvgPool2d", "Flatten",
           "Unflatten"]


class _ConvNd(Module):
    """The weight (shape given), an optional bias of ``bias_size``, PyTorch's init."""

    def __init__(self, weight_shape, bias_size, bias, stride, padding, dilation, groups,
                 dtype):
        super().__init__()
        if groups != 1:
            raise ValueError(f"{type(self).__name__}: only groups=1 is implemented, got {groups}")
        self.kernel_size = weight_shape[2:]
        self.stride, self.padding = _pair(stride, "stride"), _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        fan_in = weight_shape[1] * weight_shape[2] * weight_shape[3]
        self.weight = init.fan_in_uniform_(
            Parameter(backend.xp.zeros(weight_shape, dtype=dtype)), fan_in)
        self.bias = init.fan_in_uniform_(
            Parameter(backend.xp.zeros(bias_size, dtype=dtype)), fan_in) if bias else None

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")


class Conv2d(_ConvNd):
    """y = conv2d(x, W) + b with W of shape (out_channels, in_channels, kH, kW)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, dtype="float32"):
        self.in_channels, self.out_channels = in_channels, out_channels
        super().__init__((out_channels, in_channels, *_pair(kernel_size, "kernel_size")),
                         out_channels, bias, stride, padding, dilation, groups, dtype)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class ConvTranspose2d(_ConvNd):
    """y = conv_transpose2d(x, W) + b with W of shape (in_channels, out_channels, kH, kW):
    output size (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, dtype="float32"):
        self.in_channels, self.out_channels = in_channels, out_channels
        super().__init__((in_channels, out_channels, *_pair(kernel_size, "kernel_size")),
                         out_channels, bias, stride, padding, dilation, groups, dtype)
        self.output_padding = _pair(output_padding, "output_padding")

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, 1, self.dilation)


class BatchNorm2d(Module):
    """Batch normalisation per channel of (N, C, H, W) inputs: γ (``weight``), β (``bias``)
    and running estimates ``running_mean``/``running_var`` for evaluation."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, dtype="float32"):
        super().__init__()
        xp = backend.xp
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(xp.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", xp.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", xp.ones(num_features, dtype=dtype))

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d({self.num_features}) needs (N, {self.num_features}, "
                             f"H, W) inputs, got {tuple(x.shape)}")
        return F.batch_norm2d(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training, self.momentum, self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class _Pool(Module):
    function = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return type(self).function(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool):
    """The maximum of each window (the DCGAN replaces pooling by strided convolutions)."""
    function = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool):
    """The mean of each window (zero padding counted)."""
    function = staticmethod(F.avg_pool2d)


class Flatten(Module):
    """Merge axes start_dim … end_dim (default: all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (e.g. (128, 7, 7) after a Linear)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        return F.unflatten(x, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"{self.dim}, {self.unflattened_size}"
