"""Ops that move entries around without arithmetic: reshape, transpose, broadcasting,
indexing, concatenate, stack, and dtype conversion. Most come in adjoint pairs — the
gradient of a gather is a scatter and the other way round — so each rule is again an op
of this file and gradients of any order follow."""
from tinygan import backend
from tinygan.backend import get_array_module
from tinygan.ops.table import Case
from tinygan.ops.table import OPS
from tinygan.tensor import Tensor, apply, entry_point, op, same_kind, unbroadcast

__all__ = ["reshape", "transpose", "broadcast_to", "getitem", "concatenate", "stack",
           "astype"]


def _shape_arguments(shape):
    """``f(x, 2, 3)`` and ``f(x, (2, 3))`` both mean the tuple (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
        else tuple(shape)


def _reshape(x, shape):
    """y = x viewed with another shape;  ∂L/∂x = g reshaped back."""
    try:
        return x.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} entries) into shape {shape}") from None


op(grads=(lambda g, y, x, shape: g.reshape(x.shape),), name="reshape", methods=("reshape",),
   arrays=True,
   cases=(Case(((3, 4),), call=lambda x: x.reshape(6, 2) * 2),))(_reshape)


@entry_point("reshape")
def reshape(x, *shape):
    """y = x viewed with another shape;  ∂L/∂x = g reshaped back."""
    return apply(OPS["reshape"], (x,), {"shape": _shape_arguments(shape)})


def _transpose(x, axes):
    """y = x with its axes permuted (reversed by default);  ∂L/∂x = g with the inverse
    permutation."""
    return x.transpose(axes)


def _inverse(axes):
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))


op(grads=(lambda g, y, x, axes: g.transpose(_inverse(axes)),), name="transpose",
   methods=("transpose", "T"), arrays=True,
   cases=(Case(((2, 3, 4),), call=lambda x: x.transpose(1, 0, 2)),
          Case(((2, 3),), call=lambda x: x.T, label=".T")))(_transpose)


@entry_point("transpose")
def transpose(x, *axes):
    """y = x with its axes permuted (reversed by default);  ∂L/∂x = g with the inverse
    permutation."""
    axes = _shape_arguments(axes)
    ndim = len(x.shape)
    axes = tuple(a % ndim for a in axes) if axes else tuple(reversed(range(ndim)))
    return apply(OPS["transpose"], (x,), {"axes": axes})


@op(grads=(lambda g, y, x, shape: unbroadcast(g, x.shape),), methods=("broadcast_to",), arrays=True,
    cases=(Case(((3, 1),), call=lambda x: x.broadcast_to((2, 3, 4))),))
def broadcast_to(x, shape):
    """y = x repeated along new or length-1 axes to ``shape`` (a read-only view);
    ∂L/∂x = g summed over those axes."""
    return get_array_module(x).broadcast_to(x, shape)


def _device_index(index):
    """Index arrays (lists, Tensors, host arrays) moved to the tensor's backend."""
    if isinstance(index, tuple):
        return tuple(_device_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list) or hasattr(index, "__array_interface__") or hasattr(index, "get"):
        return backend.asarray(index)
    return index


def _is_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(p, "dtype") and p.dtype.kind in "iu" for p in parts)


def _getitem(x, index):
    """y = x[index] (slices, integers, integer or boolean arrays);  ∂L/∂x = zeros with g
    added at the indexed places (``scatter``)."""
    return x[index]


op(grads=(lambda g, y, x, index: same_kind(scatter, g, index=index, shape=x.shape),),
   name="getitem", methods=("__getitem__",), arrays=True,
   cases=(Case(((3, 4),), call=lambda x: x[1:, ::2], label="slice"),
          Case(((3, 4),), call=lambda x: x[1], label="int"),
          Case(((3, 4),), call=lambda x: x[[0, 2, 0, 0]], label="repeated"),
          Case(((3, 4),), call=lambda x: x[[0, 1, 1], [2, 2, 3]], label="pairs"),
          Case(((3, 4),), call=lambda x: x[x > 0], label="mask")))(_getitem)


@entry_point("getitem")
def getitem(x, index):
    """y = x[index] (slices, integers, integer or boolean arrays);  ∂L/∂x = zeros with g
    added at the indexed places (``scatter``)."""
    return apply(OPS["getitem"], (x,), {"index": _device_index(index)})


@op(grads=(lambda g, y, v, index, shape: g[index],), public=False, arrays=True,
    cases=(Case(((2, 4),), call=lambda v: scatter(v, index=_device_index([2, 0]), shape=(3, 4)),
                label="rows"),
           Case(((4,),), call=lambda v: scatter(v, index=_device_index(([0, 1, 1, 0], [2, 2, 2, 0])),
                                                shape=(3, 4)), label="repeated pairs")))
def scatter(v, index, shape):
    """y = zeros(shape) with v added at ``index`` (a repeated index adds once per
    occurrence: ``numpy.add.at``);  ∂L/∂v = g[index]."""
    out = get_array_module(v).zeros(shape, dtype=v.dtype)
    if _is_advanced(index):
        backend.scatter_add(out, index, v)
    else:
        out[index] = v
    return out


def _join(arrays, join, complaint):
    """``join(xp, arrays)``; a shape mismatch is reported as ``complaint`` and every shape."""
    try:
        return join(get_array_module(arrays[0]), arrays)
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{complaint}, got {shapes}") from None


def _slab(g, inputs, position, axis):
    """The part of g along ``axis`` that came from ``inputs[position]``."""
    start = 0
    for x in inputs[:position]:
        start += x.shape[axis]
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + inputs[position].shape[axis])
    return g[tuple(index)]


@op(grads=(lambda g, y, *xs, position, axis: _slab(g, xs, position, axis),), variadic=True,
    arrays=True,
    cases=(Case(((2, 3), (2, 1)), call=lambda a, b: concatenate([a, b, a], axis=1)),))
def concatenate(*arrays, axis=0):
    """y = [a, b, …] joined along ``axis``;  ∂L/∂a, ∂L/∂b, … are g's matching slices."""
    return _join(arrays, lambda xp, arrays: xp.concatenate(arrays, axis=axis),
                 f"concatenate: shapes must agree outside axis {axis}")


def _layer(g, position, axis):
    index = [slice(None)] * g.ndim
    index[axis] = position
    return g[tuple(index)]


@op(grads=(lambda g, y, *xs, position, axis: _layer(g, position, axis),), variadic=True,
    arrays=True,
    cases=(Case(((2, 3), (2, 3)), call=lambda a, b: stack([a, b], axis=-1)),))
def stack(*arrays, axis=0):
    """y = [a, b, …] stacked along a new ``axis``;  ∂L/∂a = g at index 0 of that axis, …"""
    return _join(arrays, lambda xp, arrays: xp.stack(arrays, axis=axis),
                 "stack: all shapes must be equal")


@op(grads=(lambda g, y, x, dtype: g.astype(x.dtype),), methods=("astype",), arrays=True,
    cases=(Case(((2, 3),), call=lambda x: x.astype(x.dtype) * 2, label="same dtype"),))
def astype(x, dtype):
    """y = x converted to ``dtype``;  ∂L/∂x = g converted back."""
    return x.astype(dtype)
