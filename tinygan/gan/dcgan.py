"""The DCGAN pair (Radford, Metz & Chintala 2015) for 28×28 digits.

The paper's guidelines: strided convolutions instead of pooling (transposed ones in G),
batch norm in G and D except G's output and D's input, ReLU in G with a tanh output,
LeakyReLU 0.2 in D, no fully connected hidden layers, weights N(0, 0.02) (batch norm's γ
N(1, 0.02), β 0); trained with Adam 2e-4, β₁ = 0.5, on z ~ N(0, I₁₀₀).

    G: z (100) ─ConvT 7×7─► 128×7×7 ─BN, ReLU─ConvT 4×4 /2─► 64×14×14 ─BN, ReLU─
       ConvT 4×4 /2─► 1×28×28 ─tanh
    D: 1×28×28 ─Conv 4×4 /2─► 64×14×14 ─LReLU─Conv 4×4 /2─► 128×7×7 ─BN, LReLU─
       Conv 7×7─► 1 logit

With ``fc=1024`` (the ``dcgan`` preset) they are InfoGAN's MNIST networks (Chen et al. 2016,
appendix C, Table 1), a DCGAN-style pair widely used for MNIST: a fully connected hidden
layer of 1024 units (batch norm, ReLU in G / LeakyReLU in D) between z and G's 7×7
projection and between D's last convolution and its logit. Radford et al. remove such
layers from *deep* nets; at two convolutions on 28×28 digits they are what makes the pair
strong enough (docs/dcgan_experiments.md: without them both tinygan and PyTorch stall at a
classifier score near 6.5).

    G: z ─Linear─► 1024 ─BN, ReLU─Linear─► 128·7·7 ─BN, ReLU─ ConvT 4×4 /2 … (as above)
    D: … 128×7×7 ─BN, LReLU─Linear─► 1024 ─BN, LReLU─Linear─► 1 logit

Both speak tinygan's data format: flat rows of 784 pixels in [0, 1]. With ``unit=True``
(default) D first maps x to 2x − 1 and G's output is (tanh + 1)/2, so the trainer, the
sample grids and the classifier-based measures see [0, 1] as for the MLP GANs, while the
networks work in the paper's [−1, 1]. ``unit=False`` gives the bare [−1, 1] networks.
"""
from tinygan import backend, nn
from tinygan.gan.models import Discriminator, Generator

__all__ = ["dcgan_generator", "dcgan_discriminator", "dcgan_init_"]

SIDE = 28


class _Affine(nn.Module):
    """y = scale · x + shift (a fixed change of units, no parameters)."""

    def __init__(self, scale, shift):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x):
        return x * self.scale + self.shift

    def extra_repr(self):
        return f"scale={self.scale}, shift={self.shift}"


_INITIALISED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)


def dcgan_init_(module, std=0.02):
    """The paper's initialisation: every conv and linear weight N(0, std²), batch norm's γ
    N(1, std²) and β 0; biases 0."""
    for _, layer in module.named_modules():
        if isinstance(layer, _INITIALISED):
            centre = 1.0 if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)) else 0.0
            if layer.weight is not None:
                draws = backend.rng().standard_normal(layer.weight.shape, dtype=layer.weight.dtype)
                layer.weight.data[...] = draws * std + centre
            if layer.bias is not None:
                layer.bias.data[...] = 0
    return module


def dcgan_generator(noise_dim=100, width=64, unit=True, noise="gaussian", fc=0):
    """G: z → a flat 28×28 image; ``width`` channels at 14×14, 2·width at 7×7; z ~ N(0, I)
    as in the paper (``noise="uniform"``: U(−1, 1)^d); ``fc`` > 0: a hidden layer of that
    many units after z (InfoGAN's MNIST G), the 7×7 projection then a linear layer."""
    projected = 2 * width * 7 * 7
    if fc:
        layers = [nn.Linear(noise_dim, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU(),
                  nn.Linear(fc, projected, bias=False), nn.BatchNorm1d(projected), nn.ReLU(),
                  nn.Unflatten(1, (2 * width, 7, 7))]                              # 7×7
    else:
        layers = [nn.Unflatten(1, (noise_dim, 1, 1)),
                  nn.ConvTranspose2d(noise_dim, 2 * width, 7, bias=False),         # 7×7
                  nn.BatchNorm2d(2 * width), nn.ReLU()]
    layers += [nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),          # 14×14
               nn.BatchNorm2d(width), nn.ReLU(),
               nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh(),                   # 28×28
               nn.Flatten()]
    if unit:
        layers.append(_Affine(0.5, 0.5))
    return Generator(dcgan_init_(nn.Sequential(*layers)), noise_dim, noise)


def dcgan_discriminator(width=64, unit=True, fc=0, spectral_norm=False):
    """D: a flat 28×28 image → one logit; no batch norm on the input layer; ``fc`` > 0: a
    hidden layer of that many units before the logit (InfoGAN's MNIST D).
    ``spectral_norm=True``: SN-GAN's D (Miyato et al. 2018) — every convolution and linear
    weight divided by its largest singular value (``nn.utils.spectral_norm``), and no batch
    norm, whose division by the batch's spread would undo the bound on D's slope (a bound
    only approximately: a convolution's norm is not its reshaped kernel's σ)."""
    def normed(features, layer):
        return [] if spectral_norm else [layer(features)]
    layers = [_Affine(2.0, -1.0)] if unit else []
    layers += [nn.Unflatten(1, (1, SIDE, SIDE)),
               nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),                   # 14×14
               nn.Conv2d(width, 2 * width, 4, 2, 1, bias=spectral_norm),          # 7×7
               *normed(2 * width, nn.BatchNorm2d), nn.LeakyReLU(0.2)]
    if fc:
        layers += [nn.Flatten(), nn.Linear(2 * width * 7 * 7, fc, bias=spectral_norm),
                   *normed(fc, nn.BatchNorm1d), nn.LeakyReLU(0.2), nn.Linear(fc, 1)]  # (m, 1)
    else:
        layers += [nn.Conv2d(2 * width, 1, 7), nn.Flatten()]                       # (m, 1)
    model = dcgan_init_(nn.Sequential(*layers))
    if spectral_norm:
        for layer in model:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.utils.spectral_norm(layer)
    return Discriminator(model)
