"""Constraints on weights (a column-norm cap between updates, spectral normalisation in
every forward); a module switched to evaluation."""
from contextlib import contextmanager

from tinygan import backend
from tinygan.backend import get_array_module
from tinygan.nn.conv import ConvTranspose2d
from tinygan.nn.layers import Linear
from tinygan.nn.module import Parameter
from tinygan.tensor import Tensor

__all__ = ["clip_column_norms_", "grad_norm", "evaluating", "spectral_norm", "spectral_norms",
           "SpectralNorm"]


def clip_column_norms_(weight, max_norm):
    """Rescale, in place, every column of ``weight`` (one unit's incoming weights) whose
    Euclidean norm exceeds ``max_norm`` down to exactly ``max_norm``:
        w_j ← w_j · min(1, max_norm / ‖w_j‖)
    (the ``max_col_norm`` constraint of the 2014 paper's configurations)."""
    data = weight.data if hasattr(weight, "data") else weight
    xp = get_array_module(data)
    norms = xp.sqrt((data * data).sum(axis=0))
    scale = xp.minimum(1, max_norm / xp.maximum(norms, 1e-12)).astype(data.dtype)
    data *= scale
    return weight


def grad_norm(parameters):
    """The Euclidean norm of all parameters' gradients together, ‖∇θ‖₂ (0 if none)."""
    total = 0.0
    for parameter in parameters:
        if parameter.grad is not None:
            g = parameter.grad.data
            total += float((g * g).sum())
    return total ** 0.5


@contextmanager
def evaluating(module):
    """``with evaluating(G): ...`` runs ``module`` in evaluation mode (``module.eval()``:
    batch norm uses and keeps its running statistics, dropout is off) and puts every
    sub-module back in the mode it had, also when the body raises."""
    modes = [(layer, layer.training) for _, layer in module.named_modules()]
    module.eval()
    try:
        yield module
    finally:
        for layer, training in modes:
            layer.training = training


class SpectralNorm:
    """The forward pre-hook of :func:`spectral_norm`: before each forward it sets
    ``module.<name>`` to W / σ(W), W = ``module.<name>_orig``.

    σ(W), W's largest singular value (of W as a matrix: axis ``dim`` by everything else),
    comes from power iteration on unit vectors u, v kept as buffers ``<name>_u``,
    ``<name>_v``. In training each forward first takes ``n_power_iterations`` steps
        v ← Wᵀu / ‖Wᵀu‖,   u ← W v / ‖W v‖
    (evaluation reuses the stored u and v); then σ = uᵀ(W v), one matrix-vector product of
    the Tensor W and a dot with u, so that gradients flow through σ as through W itself (u
    and v are constants, as in PyTorch and in Miyato et al. 2018, Algorithm 1)."""

    def __init__(self, name="weight", n_power_iterations=1, eps=1e-12, dim=0):
        self.name, self.n_power_iterations, self.eps, self.dim = name, n_power_iterations, eps, dim

    def matrix(self, weight):
        """W as a matrix: axis ``dim`` first, the others flattened (an array or a Tensor)."""
        axes = (self.dim,) + tuple(axis for axis in range(weight.ndim) if axis != self.dim)
        return weight.transpose(axes).reshape(weight.shape[self.dim], -1)

    def normalize(self, vector):
        """vector / max(‖vector‖, eps), on the vector's device."""
        xp = get_array_module(vector)
        return vector / xp.maximum(xp.linalg.norm(vector), self.eps).astype(vector.dtype)

    def power_iterate(self, module, steps):
        """``steps`` steps of power iteration from the stored u, v; stores the new ones."""
        matrix = self.matrix(getattr(module, self.name + "_orig").data)
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        for _ in range(steps):
            v = self.normalize(matrix.T @ u)
            u = self.normalize(matrix @ v)
        setattr(module, self.name + "_u", u)
        setattr(module, self.name + "_v", v)

    def __call__(self, module, inputs=()):
        if module.training:
            self.power_iterate(module, self.n_power_iterations)
        self.set_weight(module)

    def set_weight(self, module):
        """Set ``module.<name>`` to W / σ, σ = uᵀ W v from the stored u and v."""
        original = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        sigma = ((self.matrix(original) @ Tensor(v[:, None])) * Tensor(u[:, None])).sum()  # uᵀWv
        object.__setattr__(module, self.name, original / sigma)


def spectral_norms(module):
    """(layer, its :class:`SpectralNorm` hook) for every spectrally normalised layer in
    ``module`` (itself included)."""
    for _, layer in module.named_modules():
        for hook in layer._forward_pre_hooks:
            if isinstance(hook, SpectralNorm):
                yield layer, hook


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalisation (Miyato et al. 2018), as ``torch.nn.utils.spectral_norm``:
    the module's ``name`` parameter becomes ``<name>_orig`` and every forward uses
    W / σ(W), σ the largest singular value of W as a matrix (see :class:`SpectralNorm`).
    A linear layer's map is then 1-Lipschitz; a convolution's is not bounded by its
    reshaped kernel's σ and can stretch more where windows overlap (so in PyTorch and in
    Miyato et al.). ``dim``: the weight's output axis by default — 1 for
    ``ConvTranspose2d`` and for tinygan's ``Linear`` (its weight is (in, out)), 0
    otherwise. u and v start from random unit vectors (the global generator) and 15 steps
    of power iteration, as PyTorch's parametrization (``torch.nn.utils.spectral_norm``,
    whose names and buffers these are, takes none). Returns ``module``."""
    if name + "_orig" in module.__dict__:
        raise ValueError(f"spectral_norm: {type(module).__name__}.{name} is already normalised")
    weight = getattr(module, name, None)
    if not isinstance(weight, Parameter):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if (isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int)
            or n_power_iterations < 1):
        raise ValueError(f"spectral_norm: n_power_iterations must be an integer ≥ 1, "
                         f"got {n_power_iterations!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose2d, Linear)) else 0
    if not -weight.ndim <= dim < weight.ndim:
        raise ValueError(f"spectral_norm: dim must be an axis of {name}'s shape "
                         f"{tuple(weight.shape)}, got {dim}")
    hook = SpectralNorm(name, n_power_iterations, eps, dim % weight.ndim)
    del module.__dict__[name]
    object.__setattr__(module, name + "_orig", weight)
    height, width = hook.matrix(weight.data).shape
    for key, size in ((name + "_u", height), (name + "_v", width)):
        draws = backend.rng().standard_normal(size, dtype=weight.dtype)
        module.register_buffer(key, hook.normalize(draws))
    hook.power_iterate(module, 15)
    hook.set_weight(module)
    module.register_forward_pre_hook(hook)
    return module
