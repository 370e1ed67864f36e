"""``Module``, ``Parameter`` and ``Sequential``: how layers hold their weights, nest,
switch between training and evaluation, and save their state."""
from collections import OrderedDict

from tinygan import backend
from tinygan.tensor import Tensor

__all__ = ["Parameter", "Module", "Sequential", "StateDictError"]


class StateDictError(ValueError):
    """A saved state does not fit this model (names or shapes differ)."""


class Parameter(Tensor):
    """A Tensor that is a model's weight: it requires grad and ``Module`` finds it.
    ``Parameter(array)`` and, as in PyTorch, ``Parameter(tensor)`` (its data is shared)."""
    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        if getattr(data, "dtype", None) is None or data.dtype.kind != "f":
            raise TypeError(f"Parameter needs a floating-point array or Tensor, got "
                            f"{getattr(data, 'dtype', type(data).__name__)}")
        super().__init__(data, requires_grad=requires_grad)


class RemovableHandle:
    """What ``register_forward_pre_hook`` returns: ``remove()`` takes the hook off its list
    (once; a second call does nothing), as PyTorch's ``RemovableHandle``."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class Module:
    """Base class of layers and models, as ``torch.nn.Module``: assign Parameters and
    sub-Modules as attributes, write ``forward``, call the module."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", [])

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *inputs, **kwargs):
        for hook in list(self._forward_pre_hooks):
            result = hook(self, inputs)
            if result is not None:
                inputs = result if isinstance(result, tuple) else (result,)
        return self.forward(*inputs, **kwargs)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, inputs)`` before every forward, as PyTorch's (which
        ``nn.utils.spectral_norm`` uses to recompute the weight): a hook that returns
        something other than None replaces the inputs with it (a tuple, or one input).
        Returns a handle whose ``remove()`` takes the hook off again."""
        self._forward_pre_hooks.append(hook)
        return RemovableHandle(self._forward_pre_hooks, hook)

    # ----- what a module holds ------------------------------------------------------
    def register_buffer(self, name, value):
        """A state array that is saved but not trained (e.g. BatchNorm's running mean)."""
        self._buffers[name] = value

    def __getattr__(self, name):
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            return buffers[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in self.__dict__.get("_buffers", {}):
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def named_children(self):
        for name, value in self.__dict__.items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        return [module for _, module in self.named_children()]

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}{name}.")

    def named_parameters(self, prefix=""):
        for name, value in self.__dict__.items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(f"{prefix}{name}.")

    def parameters(self):
        return [parameter for _, parameter in self.named_parameters()]

    def named_buffers(self, prefix=""):
        """(name, array) of every buffer, this module's and its sub-modules' (as PyTorch)."""
        for module_prefix, module in self.named_modules(prefix):
            for name, value in module._buffers.items():
                yield module_prefix + name, value

    def buffers(self):
        return [buffer for _, buffer in self.named_buffers()]

    def num_parameters(self):
        return sum(p.size for p in self.parameters())

    # ----- modes and gradients ------------------------------------------------------
    def train(self, mode=True):
        for _, module in self.named_modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for parameter in self.parameters():
            parameter.grad = None

    def requires_grad_(self, flag=True):
        for parameter in self.parameters():
            parameter.requires_grad = flag
        return self

    # ----- state ----------------------------------------------------------------------
    def state_dict(self):
        """Name → array of every parameter and buffer (arrays of the active backend)."""
        state = OrderedDict()
        for prefix, module in self.named_modules():
            for name, value in module.__dict__.items():
                if isinstance(value, Parameter):
                    state[prefix + name] = value.data
            for name, value in module._buffers.items():
                state[prefix + name] = value.data if isinstance(value, Tensor) else value
        return state

    def load_state_dict(self, state):
        """Copy saved arrays (NumPy or CuPy) into this model, in place. Names and shapes
        must match exactly; otherwise :class:`StateDictError` says which differ."""
        own = self.state_dict()
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        if missing or unexpected:
            raise StateDictError(
                f"the saved state is for another architecture: missing {missing or 'nothing'}, "
                f"unexpected {unexpected or 'nothing'}")
        for name, target in own.items():
            source = state[name]
            if tuple(source.shape) != tuple(target.shape):
                raise StateDictError(f"the saved state is for another architecture: {name} has "
                                     f"shape {tuple(source.shape)} there but {target.shape} here")
        for name, target in own.items():
            target[...] = backend.asarray(state[name], dtype=target.dtype)
        return self

    # ----- printing -------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        children = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            count = self.num_parameters()
            return head + ")" + (f"  # {count:,} parameters" if count else "")
        lines = [head]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(f")  # {self.num_parameters():,} parameters")
        return "\n".join(lines)


class Sequential(Module):
    """Layers applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``."""

    def __init__(self, *layers):
        super().__init__()
        for index, layer in enumerate(layers):
            setattr(self, str(index), layer)

    def __iter__(self):
        return iter(self.children())

    def __getitem__(self, index):
        return self.children()[index]

    def __len__(self):
        return len(self.children())

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x
