"""Stabilisers from the lectures, as layers (Salimans et al. 2016, "Improved techniques
for training GANs", sections 3.2 and 3.4):

- ``MinibatchDiscrimination``: D sees, for each sample, how close it is to the others in
  its batch, so a collapsed G (all samples alike) is easy to spot.
- ``ReferenceBatchNorm``: batch normalisation whose statistics come from a fixed reference
  batch (``virtual=True``: from the reference batch plus the sample itself, virtual batch
  normalisation), so one sample's output does not depend on the rest of its batch.
  ``WithReferenceBatch`` runs the reference batch through the network beside every batch.
Feature matching is a loss: ``tinygan.gan.objectives.feature_matching_loss``.
"""
from tinygan import backend, nn
from tinygan.gan.models import Discriminator, mlp_discriminator
from tinygan.ops import abs as absolute, concatenate, exp, mean, sqrt, sum as reduce_sum
from tinygan.tensor import Tensor

__all__ = ["MinibatchDiscrimination", "ReferenceBatchNorm", "WithReferenceBatch",
           "minibatch_discriminator", "stabilised_discriminator"]


class MinibatchDiscrimination(nn.Module):
    """For features f(xᵢ) ∈ ℝᴬ and a learned tensor T ∈ ℝ^{A×B×C}: Mᵢ = f(xᵢ)·T ∈ ℝ^{B×C},
        c_b(xᵢ, xⱼ) = exp(−‖Mᵢ,b − Mⱼ,b‖₁),     o(xᵢ)_b = Σⱼ≠ᵢ c_b(xᵢ, xⱼ),
    and the output is [f(xᵢ), o(xᵢ)] ∈ ℝ^{A+B} (the j = i term, always 1, is left out)."""

    def __init__(self, in_features, kernels=8, kernel_dim=4, dtype="float32"):
        super().__init__()
        self.in_features, self.kernels, self.kernel_dim = in_features, kernels, kernel_dim
        scale = 1 / in_features ** 0.5
        self.T = nn.Parameter(backend.rng().random((in_features, kernels * kernel_dim),
                                                   dtype=dtype) * (2 * scale) - scale)

    def forward(self, x):
        m = (x @ self.T).reshape(x.shape[0], self.kernels, self.kernel_dim)
        distances = reduce_sum(absolute(m.reshape(x.shape[0], 1, self.kernels, self.kernel_dim)
                                        - m.reshape(1, x.shape[0], self.kernels, self.kernel_dim)),
                               axis=3)                                  # (n, n, B)
        closeness = reduce_sum(exp(-distances), axis=1) - 1             # drop j = i
        return concatenate([x, closeness], axis=1)

    def extra_repr(self):
        return f"in_features={self.in_features}, kernels={self.kernels}, kernel_dim={self.kernel_dim}"


def minibatch_discriminator(data_dim, hidden=128, depth=2, kernels=8, kernel_dim=4, **settings):
    """``mlp_discriminator`` with a ``MinibatchDiscrimination`` layer before its output."""
    return stabilised_discriminator(data_dim, hidden, depth, minibatch_kernels=kernels,
                                    minibatch_kernel_dim=kernel_dim, **settings)


def stabilised_discriminator(data_dim, hidden=128, depth=2, pack=1, minibatch_kernels=0,
                             minibatch_kernel_dim=5, batch_norm="none", reference=None, **settings):
    """``mlp_discriminator`` with the stabilisers of Salimans et al. (2016) that live in D:
    ``minibatch_kernels`` = B > 0 puts a ``MinibatchDiscrimination`` layer (B kernels of
    ``minibatch_kernel_dim`` = C dimensions) before the output; ``batch_norm`` "reference"
    or "virtual" puts a ``ReferenceBatchNorm`` after every hidden linear layer, normalised
    by ``reference`` (a fixed batch of real samples, shape (r, data_dim)). With none of
    them it is ``mlp_discriminator`` itself."""
    plain = mlp_discriminator(data_dim, hidden, depth, pack=pack, **settings)
    if not minibatch_kernels and batch_norm == "none":
        return plain
    layers = list(plain.net)
    if batch_norm != "none":
        if batch_norm not in ("reference", "virtual"):
            raise ValueError(f"batch_norm must be 'none', 'reference' or 'virtual', got {batch_norm!r}")
        if reference is None:
            raise ValueError("reference or virtual batch norm needs a reference batch of real samples")
        normalised = []
        for layer in layers[:-1]:
            normalised.append(layer)
            if isinstance(layer, nn.Linear):
                normalised.append(ReferenceBatchNorm(layer.weight.shape[-1],
                                                     virtual=batch_norm == "virtual"))
        layers = normalised + layers[-1:]
    if minibatch_kernels:
        layers[-1:] = [MinibatchDiscrimination(hidden, minibatch_kernels, minibatch_kernel_dim),
                       nn.Linear(hidden + minibatch_kernels, 1, init="fan_in")]
    net = nn.Sequential(*layers)
    if batch_norm != "none":
        reference = backend.asarray(reference)          # packed as D packs its inputs
        net = WithReferenceBatch(net, reference.reshape(reference.shape[0] // pack, -1))
    return Discriminator(net, pack)


class ReferenceBatchNorm(nn.Module):
    """y = (x − μ)/√(σ² + ε)·γ + β where μ, σ² come from the first ``reference_size`` rows
    of the batch (the reference batch, which ``WithReferenceBatch`` puts there), never
    from the other samples. With ``virtual=True`` (virtual batch normalisation) sample i
    uses the reference batch plus itself, r = reference size:
        μᵢ = (r·μ_ref + xᵢ)/(r + 1),     σᵢ² = (r·E_ref[x²] + xᵢ²)/(r + 1) − μᵢ².
    Outside ``WithReferenceBatch`` (reference_size 0) it is ordinary batch statistics."""

    def __init__(self, num_features, virtual=False, eps=1e-5, dtype="float32"):
        super().__init__()
        self.num_features, self.virtual, self.eps = num_features, virtual, eps
        self.reference_size = 0
        self.weight = nn.Parameter(backend.xp.ones(num_features, dtype=dtype))
        self.bias = nn.Parameter(backend.xp.zeros(num_features, dtype=dtype))

    def forward(self, x):
        r = self.reference_size or x.shape[0]
        reference = x[:r]
        mu, second = mean(reference, axis=0), mean(reference * reference, axis=0)
        if self.virtual:
            mu, second = (mu * r + x) / (r + 1), (second * r + x * x) / (r + 1)
        variance = second - mu * mu
        return (x - mu) / sqrt(variance + self.eps) * self.weight + self.bias

    def extra_repr(self):
        return f"{self.num_features}, virtual={self.virtual}"


class WithReferenceBatch(nn.Module):
    """Runs ``module`` on [reference; x] and returns the rows of x only, so every
    ``ReferenceBatchNorm`` inside normalises with the reference batch's statistics.
    ``reference`` is a fixed batch of real samples, chosen once (Salimans et al. 2016)."""

    def __init__(self, module, reference):
        super().__init__()
        self.module = module
        self.register_buffer("reference", backend.asarray(reference))
        for _, layer in module.named_modules():
            if isinstance(layer, ReferenceBatchNorm):
                layer.reference_size = self.reference.shape[0]

    def forward(self, x):
        r = self.reference.shape[0]
        return self.module(concatenate([Tensor(self.reference.astype(x.dtype)), x]))[r:]
