"""Ops that move entries around without arithmetic: reshape, transpose, indexing,
concatenate, stack, and dtype conversion."""
from tinygan import backend
from tinygan.backend import get_array_module
from tinygan.tensor import Tensor, as_tensor, make_node

__all__ = ["reshape", "transpose", "getitem", "concatenate", "stack", "astype"]


def reshape(x, *shape):
    """y = x viewed with another shape;  ∂L/∂x = g reshaped back."""
    x = as_tensor(x)
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    try:
        out = x.data.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} entries) into shape {tuple(shape)}") from None
    return make_node(out, (x,), lambda g: (g.reshape(x.shape),), "reshape")


def transpose(x, *axes):
    """y = x with its axes permuted (reversed by default);  ∂L/∂x = g with the inverse
    permutation."""
    x = as_tensor(x)
    axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    axes = tuple(a % x.ndim for a in axes) if axes else tuple(reversed(range(x.ndim)))
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
    return make_node(x.data.transpose(axes), (x,), lambda g: (g.transpose(inverse),),
                     "transpose")


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


def getitem(x, index):
    """y = x[index] (slices, integers, integer or boolean arrays).

    ∂L/∂x = zeros with g added at the indexed places; a repeated integer index adds its
    gradient once per occurrence (a scatter-add, ``numpy.add.at``).
    """
    x = as_tensor(x)
    index = _device_index(index)
    out = x.data[index]

    def backward(g):
        grad = get_array_module(g).zeros(x.shape, dtype=g.dtype)
        if _is_advanced(index):
            backend.scatter_add(grad, index, g)
        else:
            grad[index] = g
        return (grad,)
    return make_node(out, (x,), backward, "getitem")


def _join(tensors, join, complaint):
    """Tensors, their array module, and ``join(xp, arrays)``; a shape mismatch is reported
    as ``complaint`` followed by every input shape."""
    tensors = [as_tensor(t) for t in tensors]
    xp = get_array_module(tensors[0].data)
    try:
        return tensors, xp, join(xp, [t.data for t in tensors])
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{complaint}, got {shapes}") from None


def concatenate(tensors, axis=0):
    """y = [a, b, …] joined along ``axis``;  ∂L/∂a, ∂L/∂b, … are g's matching slices."""
    tensors, xp, out = _join(tensors, lambda xp, arrays: xp.concatenate(arrays, axis=axis),
                             f"concatenate: shapes must agree outside axis {axis}")
    ends, total = [], 0
    for t in tensors:
        total += t.shape[axis]
        ends.append(total)
    return make_node(out, tuple(tensors), lambda g: tuple(xp.split(g, ends[:-1], axis=axis)),
                     "concatenate")


def stack(tensors, axis=0):
    """y = [a, b, …] stacked along a new ``axis``;  ∂L/∂a = g taken at index 0 of it, …"""
    tensors, xp, out = _join(tensors, lambda xp, arrays: xp.stack(arrays, axis=axis),
                             "stack: all shapes must be equal")
    return make_node(out, tuple(tensors), lambda g: tuple(xp.moveaxis(g, axis, 0)), "stack")


def astype(x, dtype):
    """y = x converted to ``dtype``;  ∂L/∂x = g converted back."""
    x = as_tensor(x)
    return make_node(x.data.astype(dtype), (x,), lambda g: (g.astype(x.dtype),), "astype")
