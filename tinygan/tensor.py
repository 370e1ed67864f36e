"""The autograd engine: a ``Tensor`` that records how it was computed, and the reverse
pass (``backward()``, ``tinygan.grad``) that walks that record to compute gradients.

Reverse mode in one formula: for a node y = f(a, b) and a scalar loss L,
    ∂L/∂a = (∂L/∂y) · ∂y/∂a        (the vector-Jacobian product of f)
Every op is an entry of the op table (``tinygan/ops/table.py``) with one gradient rule
per input, written with Tensor ops. This module applies ops (``apply``), orders the graph,
sums the gradients that reach a node along different paths, and reduces a broadcast
gradient back to its input's shape — once, here, for every op. With
``create_graph=True`` the rules themselves are recorded, so gradients can be
differentiated again (gradient penalties, Hessian-vector products).
"""
import contextlib
import inspect
import types

from tinygan import backend
from tinygan.ops import table

__all__ = ["Tensor", "tensor", "grad", "no_grad", "enable_grad", "is_grad_enabled"]

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


METHODS = {}    # Tensor attribute -> the op it calls, as listed in the class below


class _Method:
    """A Tensor method or operator that calls the op ``name`` of the op table. On first
    use it replaces itself in the class by the op's function (so later calls cost no
    more than a plain method)."""
    __slots__ = ("name", "reflected", "attribute")

    def __init__(self, name, reflected=False):
        self.name, self.reflected, self.attribute = name, reflected, None

    def __set_name__(self, owner, attribute):
        self.attribute = attribute
        METHODS[attribute] = self.name

    def __get__(self, instance, owner):
        if not table.OPS:
            import tinygan.ops  # noqa: F401  (registers every op on first use)
        op_function = function = table.OPS[self.name].function
        if self.reflected:
            def function(tensor, other):           # b.__radd__(a) is add(a, b)
                return op_function(other, tensor)
            function.__name__, function.__doc__ = self.attribute, op_function.__doc__
        setattr(owner, self.attribute, function)
        return function if instance is None else types.MethodType(function, instance)


class Tensor:
    """An array of the active backend (``.data``) plus what autograd needs.

    ``requires_grad=True`` marks a leaf whose gradient ``backward()`` stores in ``.grad``
    (a Tensor, summed across calls until ``zero_grad()``). Tensors computed from it
    remember the op that made them and its inputs until the graph is freed.
    """
    __slots__ = ("data", "grad", "requires_grad", "_parents", "_op", "_params", "__weakref__")
    __array_ufunc__ = None   # ``ndarray + Tensor`` defers to Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.data
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._op = None
        self._params = None
        if self.requires_grad and data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {data.dtype}")

    # ----- the op table's methods and operators (each op lives in tinygan/ops/) ------
    # arithmetic.py
    __add__, __radd__ = _Method("add"), _Method("add", reflected=True)
    __sub__, __rsub__ = _Method("sub"), _Method("sub", reflected=True)
    __mul__, __rmul__ = _Method("mul"), _Method("mul", reflected=True)
    __truediv__, __rtruediv__ = _Method("div"), _Method("div", reflected=True)
    __pow__, __rpow__ = _Method("pow"), _Method("pow", reflected=True)
    __matmul__, __rmatmul__ = _Method("matmul"), _Method("matmul", reflected=True)
    __neg__ = _Method("neg")
    matmul = _Method("matmul")
    # elementwise.py
    exp, log, sqrt, abs = _Method("exp"), _Method("log"), _Method("sqrt"), _Method("abs")
    __abs__ = _Method("abs")
    clip, maximum, minimum = _Method("clip"), _Method("maximum"), _Method("minimum")
    __lt__, __le__ = _Method("less"), _Method("less_equal")
    __gt__, __ge__ = _Method("greater"), _Method("greater_equal")
    # reductions.py
    sum, mean, var = _Method("sum"), _Method("mean"), _Method("var")
    max, min, logsumexp = _Method("max"), _Method("min"), _Method("logsumexp")
    # shape.py
    reshape, transpose, astype = _Method("reshape"), _Method("transpose"), _Method("astype")
    __getitem__ = _Method("getitem")
    broadcast_to = _Method("broadcast_to")
    T = property(lambda self: self.transpose(), doc="The transpose (axes reversed).")
    # activations.py
    relu, leaky_relu, sigmoid = _Method("relu"), _Method("leaky_relu"), _Method("sigmoid")
    tanh, softplus, log_sigmoid = _Method("tanh"), _Method("softplus"), _Method("log_sigmoid")

    # ----- properties -------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._op is None)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._op.name}" if self._op is not None else ""
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

    def __float__(self):
        return float(self.item())

    def numpy(self):
        """The data as a host NumPy array (copied from the GPU when on CuPy)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(t)``: the host array, as ``t.numpy()``."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def tolist(self):
        return self.numpy().tolist()

    def requires_grad_(self, flag=True):
        self.requires_grad = bool(flag)
        return self

    def zero_grad(self):
        self.grad = None

    # ----- reverse mode -----------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is ∂L/∂self; it may be left out only for a one-element tensor (a loss),
        where it is 1. The graph's buffers are freed afterwards unless ``retain_graph``
        (default: ``create_graph``). With ``create_graph=True`` the gradients are themselves
        part of a graph and can be differentiated again.
        """
        _backpropagate([self], [gradient], retain_graph, create_graph, targets=None)


def _check_differentiable(outputs):
    for output in outputs:
        if not output.requires_grad:
            raise RuntimeError(
                "cannot differentiate a tensor that does not require grad: none of its inputs "
                "has requires_grad=True, or it was computed inside no_grad()")


def _seed_gradient(output, gradient):
    """∂L/∂output as a Tensor: 1 for a one-element output, else the given gradient."""
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a one-element output (a loss), got "
                f"shape {output.shape}; reduce it first (e.g. y.sum().backward()) or pass "
                f"a gradient of shape {output.shape}")
        return Tensor(backend.get_array_module(output.data).ones_like(output.data))
    gradient = gradient if isinstance(gradient, Tensor) else \
        Tensor(backend.asarray(gradient, output.dtype))
    if gradient.shape != output.shape:
        raise ValueError(f"the gradient has shape {gradient.shape} but the tensor has "
                         f"shape {output.shape}")
    return gradient


def _freed(*_):
    raise RuntimeError(
        "backward() reached a part of the graph whose buffers were already freed by an "
        "earlier backward(). Pass retain_graph=True to the first backward() if you need to "
        "go through the same graph twice.")


_FREED = table.Op(name="freed", forward=_freed, grads=(_freed,), variadic=True, public=False)


def _backpropagate(outputs, gradients, retain_graph, create_graph, targets):
    """The reverse pass. Without ``targets``, leaf gradients are added to ``leaf.grad``;
    with ``targets`` (tensors), their gradients are returned by id and ``.grad`` is left
    alone, and only the part of the graph that leads to a target is visited.

    With ``create_graph`` every rule runs on Tensors and is recorded. Without it, the
    gradients flowing through the graph are plain arrays: the rules of ops marked
    ``arrays`` (plain arithmetic that works on arrays and Tensors alike) run on the raw
    arrays, the others on Tensors with recording off — the same formulas either way.
    """
    _check_differentiable(outputs)
    retain_graph = create_graph if retain_graph is None else retain_graph
    order = _topological_order(outputs)
    needed = None
    if targets is not None:
        target_ids = {id(t) for t in targets}
        needed = set()
        for node in order:                      # parents come first
            if id(node) in target_ids or any(id(p) in needed for p in node._parents):
                needed.add(id(node))
    grads, found = {}, {}
    for output, gradient in zip(outputs, gradients):
        g = _seed_gradient(output, gradient)
        _accumulate(grads, output, g if create_graph else g.data)
    with _GradMode(create_graph):
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if targets is not None and id(node) in target_ids:
                found[id(node)] = g if create_graph else Tensor(g)
            op = node._op
            if op is _FREED:
                _freed()
            if op is None:                                   # a leaf
                if targets is None:
                    _store_gradient(node, g, create_graph)
                continue
            parents, params = node._parents, node._params
            on_arrays = not create_graph and op.arrays
            for position, (parent, rule) in enumerate(zip(parents, op.rules(len(parents)))):
                if rule is None or not parent.requires_grad or (
                        needed is not None and id(parent) not in needed):
                    continue
                if op.variadic:
                    params = {**node._params, "position": position}
                if create_graph:
                    parent_grad = rule(g, node, *parents, **params)
                elif on_arrays:
                    parent_grad = rule(g, node.data, *[p.data for p in parents], **params)
                else:
                    parent_grad = rule(Tensor(g), node, *parents, **params).data
                if parent_grad.shape != parent.shape:
                    parent_grad = unbroadcast(parent_grad, parent.shape)
                _accumulate(grads, parent, parent_grad)
            if not retain_graph:                              # release buffers
                node._parents, node._op, node._params = (), _FREED, {}
    return found


def _store_gradient(leaf, g, create_graph):
    """Add g to ``leaf.grad`` (a Tensor; a recorded one with ``create_graph``)."""
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    if leaf.grad is not None:
        g = leaf.grad.data + g            # a new array (one pass, whatever g's layout)
    if not g.flags.c_contiguous:
        g = backend.get_array_module(g).ascontiguousarray(g)
    leaf.grad = Tensor(g)


def _accumulate(grads, node, g):
    """Sum the gradients that reach ``node`` along different paths (Tensors or arrays)."""
    key = id(node)
    grads[key] = g if key not in grads else grads[key] + g


def _topological_order(outputs):
    """Nodes that need a gradient, each after all of its parents (iterative DFS, so
    deep graphs do not hit Python's recursion limit)."""
    order, visited = [], set()
    stack = [(output, False) for output in reversed(outputs)]
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


def unbroadcast(g, shape):
    """Sum a gradient (a Tensor or an array) over the axes along which its input was
    broadcast.

    If x of shape (3, 1) became (2, 3, 4) by broadcasting, ∂L/∂x = Σ over the new leading
    axis and over the stretched axis of ∂L/∂y, keeping the result shaped (3, 1).
    """
    extra = g.ndim - len(shape)
    stretched = tuple(i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if not stretched:                          # e.g. a bias: sum over the batch axis only
        return g.sum(axis=tuple(range(extra)))
    return g.sum(axis=tuple(range(extra)) + stretched, keepdims=True).reshape(shape)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors
    (PyTorch's ``torch.autograd.grad``). ``.grad`` attributes are left untouched.

    ``grad_outputs`` are ∂L/∂outputs (default 1 for one-element outputs). With
    ``create_graph=True`` the result is part of a graph, so it can be differentiated
    again: the gradient penalty (‖∇ₓD(x̂)‖ − 1)² of WGAN-GP is built this way. An input
    that the outputs do not depend on raises, unless ``allow_unused`` (then ``None``).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for position, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: input {position} does not require grad")
    found = _backpropagate(outputs, grad_outputs, retain_graph, create_graph, targets=inputs)
    result = []
    for position, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {position} was not used to compute the outputs "
                               f"(pass allow_unused=True to get None for it)")
        result.append(g)
    return tuple(result)


# ----- applying ops ---------------------------------------------------------------------

def apply(entry, inputs, params):
    """Run the op ``entry`` on ``inputs`` (Tensors, arrays or numbers) and record the
    result in the graph when grad mode is on and an input it differentiates needs grad."""
    tensors = _operands(entry, inputs)
    try:
        out = Tensor(entry.forward(*[t.data for t in tensors], **params))
    except ValueError:
        if entry.broadcasts:
            _check_broadcast(entry.name, tensors)     # the one place broadcasting is judged
        raise
    if _GRAD_ENABLED[0]:
        for t, rule in zip(tensors, entry.rules(len(tensors))):
            if t.requires_grad and rule is not None:
                out.requires_grad = True
                out._parents, out._op, out._params = tuple(tensors), entry, params
                break
    return out


def _operands(entry, inputs):
    """Inputs as Tensors of one float dtype. Python numbers take that dtype; integer
    tensors are converted to it; two different float dtypes are refused (NumPy would
    silently upcast float32 to float64, doubling memory and time)."""
    first = inputs[0]
    if isinstance(first, Tensor):                       # the common case: nothing to do
        dtype = first.data.dtype
        for x in inputs[1:]:
            if not isinstance(x, Tensor) or x.data.dtype != dtype:
                break
        else:
            return inputs
    tensors, numbers, dtype, xp = [], [], None, None
    for x, rule in zip(inputs, entry.rules(len(inputs))):
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            numbers.append(len(tensors))
            tensors.append(x)
            continue
        if not isinstance(x, Tensor):
            x = tensor(x)
        tensors.append(x)
        xp = x.data if xp is None else xp
        if x.data.dtype.kind == "f" and rule is not None:
            if dtype is None:
                dtype = x.data.dtype
            elif x.data.dtype != dtype:
                raise TypeError(f"{entry.name}: mixing {dtype} and {x.data.dtype} would silently "
                                f"upcast; convert one side with .astype(...) first")
    module = backend.xp if xp is None else backend.get_array_module(xp)
    if dtype is None and any(isinstance(tensors[p], float) for p in numbers):
        dtype = backend.host.dtype("float32")   # Python floats are float32, as in tensor()
    for position in numbers:
        tensors[position] = Tensor(module.asarray(tensors[position], dtype=dtype))
    if dtype is not None:
        for position, (t, rule) in enumerate(zip(tensors, entry.rules(len(tensors)))):
            if t.data.dtype.kind in "iu" and rule is not None:
                tensors[position] = Tensor(t.data.astype(dtype))
    return tensors


def _check_broadcast(name, tensors):
    shapes = [t.shape for t in tensors]
    try:
        backend.host.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{name}: shapes {' and '.join(map(str, shapes))} cannot be broadcast "
                         f"together (NumPy broadcasting rules: trailing axes must match or "
                         f"be 1)") from None


def op(grads=(), *, methods=(), reflected=(), cases=(), broadcasts=False, variadic=False,
       derived=False, public=True, arrays=False, name=None):
    """Register the decorated function in the op table and return the public function.

    For a primitive op the decorated function is the forward computation on arrays:
    its first ``len(grads)`` parameters are the inputs (a variadic op takes a sequence
    of inputs), the rest are parameters passed by keyword to the forward and to every
    gradient rule. For a ``derived`` op it is a composition of Tensor ops, used as is.
    ``arrays=True`` says the rules are plain arithmetic that works on raw arrays as on
    Tensors, so a first-order pass runs them on the arrays (no Tensor per step).
    """
    def register(forward):
        entry = table.register(table.Op(
            name=name or forward.__name__, forward=forward, grads=tuple(grads),
            methods=tuple(methods), reflected=tuple(reflected), cases=tuple(cases),
            broadcasts=broadcasts, variadic=variadic, derived=derived, public=public,
            arrays=arrays, module=forward.__module__))
        entry.function = forward if derived else _public_function(entry)
        return entry.function
    return register


def constant(function, x, *args):
    """``function(x.data, *args)``: a value computed from the data alone (a mask, a sign),
    through which no gradient flows; a Tensor when x is one, else an array. Rules use it
    so that the same formula runs on Tensors and on raw arrays."""
    args = [array_of(a) for a in args]
    if isinstance(x, Tensor):
        return Tensor(function(x.data, *args))
    return function(x, *args)


def array_of(x):
    """The array inside a Tensor; anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def same_kind(function, x, **params):
    """The op ``function`` applied to x: recorded when x is a Tensor, the bare forward on
    an array (a first-order pass, where nothing is recorded)."""
    if isinstance(x, Tensor):
        return function(x, **params)
    return table.OPS[function.__name__].forward(x, **params)


def entry_point(name):
    """Make the decorated function the public face of op ``name`` (its Tensor methods
    call it too): for ops whose arguments need normalising first, e.g. ``x.reshape(2, 3)``
    and ``x.reshape((2, 3))``. It calls ``apply(table.OPS[name], inputs, params)``."""
    def register(function):
        table.OPS[name].function = function
        return function
    return register


def _public_function(entry):
    """``f(*inputs, *params)`` → ``apply(entry, inputs, params)``, with the parameters
    bound by name and their defaults filled in, so every rule sees all of them."""
    signature = list(inspect.signature(entry.forward).parameters.values())
    arity = 0 if entry.variadic else len(entry.grads)
    names = [p.name for p in signature[1 if entry.variadic else arity:]]
    defaults = {p.name: p.default for p in signature if p.default is not inspect.Parameter.empty}

    if entry.variadic:
        def function(inputs, *args, **kwargs):
            kwargs.update(zip(names, args))
            return apply(entry, tuple(inputs), {**defaults, **kwargs})
    else:
        def function(*args, **kwargs):
            if len(args) > arity:
                kwargs.update(zip(names, args[arity:]))
            return apply(entry, args[:arity], {**defaults, **kwargs} if defaults else kwargs)
    function.__name__ = function.__qualname__ = entry.name
    function.__doc__ = entry.forward.__doc__
    function.__module__ = entry.module
    return function


# ----- making tensors ---------------------------------------------------------------------

def _contains_float(values):
    """Whether a number or nested list holds a Python float (then it becomes float32)."""
    if isinstance(values, (list, tuple)):
        return any(_contains_float(item) for item in values)
    return isinstance(values, float)


def tensor(values, requires_grad=False, dtype=None):
    """Create a Tensor on the active backend from a number, a (nested) list, a NumPy or
    CuPy array, or another Tensor (sharing its data). Python floats become float32
    (the default float dtype); arrays keep their dtype unless ``dtype`` is given."""
    if isinstance(values, Tensor):
        values = values.data
    if dtype is None and not hasattr(values, "dtype") and _contains_float(values):
        dtype = backend.xp.float32
    try:
        data = backend.asarray(values, dtype=dtype)
    except ValueError as error:          # CuPy refuses object arrays outright
        if "object" not in str(error):
            raise
        data = None
    if data is None or data.dtype == object:
        raise TypeError("tensor(): the values are not numbers (an object array; a list "
                        "of Tensors? use tinygan.stack)")
    return Tensor(data, requires_grad=requires_grad)


def as_tensor(value, like=None):
    """``value`` as a Tensor: Tensors pass through; numbers take ``like``'s float dtype."""
    if isinstance(value, Tensor):
        return value
    if (like is not None and like.dtype.kind == "f"
            and isinstance(value, (int, float)) and not isinstance(value, bool)):
        return Tensor(backend.get_array_module(like.data).asarray(value, dtype=like.dtype))
    return tensor(value)
