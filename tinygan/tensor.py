"""The autograd engine: a ``Tensor`` that records how it was computed, and
``backward()``, which walks that record in reverse to compute gradients.

Reverse mode in one formula: for a node y = f(a, b) and a scalar loss L,
    dL/da = (dL/dy) · ∂y/∂a        (the vector-Jacobian product of f)
Each op (see ``tinygan.ops``) stores a ``backward(g)`` that maps dL/dy = g to the
gradients of its inputs. This module only orders the graph, sums the gradients
that reach a node along different paths, and reduces a broadcast gradient back to
its input's shape (once, here, for every op).
"""
import contextlib

from tinygan import backend

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled"]

_GRAD_ENABLED = [True]


def is_grad_enabled():
    return _GRAD_ENABLED[0]


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self.previous = _GRAD_ENABLED[0]
        _GRAD_ENABLED[0] = self.enabled

    def __exit__(self, *exc):
        _GRAD_ENABLED[0] = self.previous
        return False


def no_grad():
    """``with tinygan.no_grad():`` (or ``@tinygan.no_grad()``): build no graph inside."""
    return _GradMode(False)


def enable_grad():
    """Turn graph building back on inside a ``no_grad`` block."""
    return _GradMode(True)


def _graph_freed(g):
    raise RuntimeError(
        "backward() reached a part of the graph whose buffers were already freed by an "
        "earlier backward(). Pass retain_graph=True to the first backward() if you need to "
        "go through the same graph twice.")


class Tensor:
    """An array of the active backend (``.data``) plus what autograd needs.

    ``requires_grad=True`` marks a leaf whose gradient ``backward()`` stores in ``.grad``
    (summed across calls until ``zero_grad()``). Tensors computed from it remember their
    parents and a ``backward`` function until the graph is freed.
    """
    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "__weakref__")
    __array_ufunc__ = None   # ``ndarray + Tensor`` defers to Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._op = ""
        if self.requires_grad and data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {data.dtype}")

    # ----- properties -------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._backward is None)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._op}" if self._op else ""
        body = repr(backend.to_numpy(self.data)).replace("array(", "").rstrip(")")
        return f"tensor({body}{grad}{op}, backend={backend.get_array_module(self.data).__name__})"

    # ----- leaving the graph ------------------------------------------------------
    def detach(self):
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item() if hasattr(self.data, "item") else float(self.data)

    def numpy(self):
        """The data as a host NumPy array (copied from the GPU when on CuPy)."""
        return backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def requires_grad_(self, flag=True):
        self.requires_grad = bool(flag)
        return self

    def zero_grad(self):
        self.grad = None

    # ----- reverse mode -----------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is dL/d(self); it may be left out only for a one-element tensor (a loss),
        where it is 1. The graph's buffers are freed afterwards unless ``retain_graph``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs "
                "has requires_grad=True, or it was computed inside no_grad()")
        xp = backend.get_array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element output (a loss), got "
                    f"shape {self.shape}; reduce it first (e.g. y.sum().backward()) or pass "
                    f"grad= of shape {self.shape}")
            grad = xp.ones_like(self.data)
        else:
            grad = grad.data if isinstance(grad, Tensor) else backend.asarray(grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape} but the tensor has "
                                 f"shape {self.shape}")
        grads = {id(self): grad}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._backward is None:                        # a leaf: store
                if not g.flags.c_contiguous:
                    g = xp.ascontiguousarray(g)
                node.grad = g if node.grad is None else node.grad + g
                continue
            parent_grads = node._backward(g)
            for parent, parent_grad in zip(node._parents, parent_grads):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if parent_grad.shape != parent.data.shape:
                    parent_grad = _unbroadcast(parent_grad, parent.data.shape)
                key = id(parent)
                grads[key] = parent_grad if key not in grads else grads[key] + parent_grad
            if not retain_graph:                              # release buffers
                node._parents, node._backward = (), _graph_freed

    def _topological_order(self):
        """Nodes that need a gradient, each after all of its parents (iterative DFS, so
        deep graphs do not hit Python's recursion limit)."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
        return order


def _unbroadcast(grad, shape):
    """Sum a gradient over the axes along which its input was broadcast.

    If x of shape (3, 1) became (2, 3, 4) by broadcasting, dL/dx = Σ over the new leading
    axis and over the stretched axis of dL/dy, keeping the result shaped (3, 1).
    """
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def make_node(data, parents, backward_fn, op):
    """The result of an op: a graph node when grad mode is on and a parent needs grad."""
    out = Tensor(data)
    if _GRAD_ENABLED[0]:
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad = True
                out._parents, out._backward, out._op = parents, backward_fn, op
                break
    return out


def _contains_float(values):
    """Whether a number or nested list holds a Python float (then it becomes float32)."""
    if isinstance(values, (list, tuple)):
        return any(_contains_float(item) for item in values)
    return isinstance(values, float)


def tensor(values, requires_grad=False, dtype=None):
    """Create a Tensor on the active backend from a number, a (nested) list, or a NumPy
    or CuPy array. Python floats become float32 (the default float dtype); arrays keep
    their dtype unless ``dtype`` is given."""
    if isinstance(values, Tensor):
        values = values.data
    if dtype is None and not hasattr(values, "dtype") and _contains_float(values):
        dtype = backend.xp.float32
    return Tensor(backend.asarray(values, dtype=dtype), requires_grad=requires_grad)


def as_tensor(value, like=None):
    """``value`` as a Tensor: Tensors pass through; numbers take ``like``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if (like is not None and like.dtype.kind == "f"
            and isinstance(value, (int, float)) and not isinstance(value, bool)):
        return Tensor(backend.get_array_module(like.data).asarray(value, dtype=like.dtype))
    return tensor(value)

