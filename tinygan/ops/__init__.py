"""The operations on Tensors. Each op computes its forward value and defines its
gradient right beside it; here they are bound to ``Tensor`` as methods and operators,
so ``a @ b + c`` and ``x.sum(axis=0)`` work as in NumPy and PyTorch."""
from tinygan.ops.activations import leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh
from tinygan.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from tinygan.ops.elementwise import abs, clip, exp, log, maximum, minimum, sqrt, where
from tinygan.ops.reductions import max, mean, min, sum, var
from tinygan.ops.shape import astype, concatenate, getitem, reshape, stack, transpose
from tinygan.tensor import Tensor

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "abs",
           "clip", "maximum", "minimum", "where", "sum", "mean", "max", "min", "var",
           "reshape", "transpose", "getitem", "concatenate", "stack", "astype", "relu",
           "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid"]


def _reflected(op):
    return lambda self, other: op(other, self)


Tensor.__add__, Tensor.__radd__ = add, _reflected(add)
Tensor.__sub__, Tensor.__rsub__ = sub, _reflected(sub)
Tensor.__mul__, Tensor.__rmul__ = mul, _reflected(mul)
Tensor.__truediv__, Tensor.__rtruediv__ = div, _reflected(div)
Tensor.__pow__, Tensor.__rpow__ = pow, _reflected(pow)
Tensor.__matmul__, Tensor.__rmatmul__ = matmul, _reflected(matmul)
Tensor.__neg__ = neg
Tensor.__getitem__ = getitem
Tensor.T = property(lambda self: transpose(self))

for _name in ("exp", "log", "sqrt", "abs", "clip", "sum", "mean", "max", "min", "var",
              "reshape", "transpose", "astype", "relu", "sigmoid", "tanh", "softplus",
              "log_sigmoid", "leaky_relu", "maximum", "minimum", "matmul"):
    setattr(Tensor, _name, globals()[_name])
del _name


def _comparison(name):
    def compare(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(getattr(self.data, name)(other))
    compare.__doc__ = f"Elementwise {name}: a boolean Tensor (no gradient)."
    return compare


for _name in ("__lt__", "__le__", "__gt__", "__ge__"):
    setattr(Tensor, _name, _comparison(_name))
del _name
