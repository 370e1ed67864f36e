"""The DCGAN pair (Radford, Metz & Chintala 2015) for 28×28 digits.

The paper's guidelines: strided convolutions instead of pooling (transposed ones in G),
batch norm in G and D except G's output and D's input, ReLU in G with a tanh output,
LeakyReLU 0.2 in D, no fully connected hidden layers, weights N(0, 0.02) (batch norm's γ
N(1, 0.02), β 0); trained with Adam 2e-4, β₁ = 0.5, on z ~ N(0, I₁₀₀).

    G: z (100) ─ConvT 7×7─► 128×7×7 ─BN, ReLU─ConvT 4×4 /2─► 64×14×14 ─BN, ReLU─
       ConvT 4×4 /2─► 1×28×28 ─tanh
    D: 1×28×28 ─Conv 4×4 /2─► 64×14×14 ─LReLU─Conv 4×4 /2─► 128×7×7 ─BN, LReLU─
       Conv 7×7─► 1 logit

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


def dcgan_init_(module, std=0.02):
    """The paper's initialisation: every conv weight N(0, std²), batch norm's γ N(1, std²)
    and β 0; conv biases 0."""
    for _, layer in module.named_modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)):
            centre = 1.0 if isinstance(layer, nn.BatchNorm2d) else 0.0
            if layer.weight is not None:
                draws = backend.rng().standard_normal(layer.weight.shape, dtype=layer.weight.dtype)
                layer.weight.data[...] = draws * std + centre
            if layer.bias is not None:
                layer.bias.data[...] = 0
    return module


def dcgan_generator(noise_dim=100, width=64, unit=True, noise="gaussian"):
    """G: z → a flat 28×28 image; ``width`` channels at 14×14, 2·width at 7×7; z ~ N(0, I)
    as in the paper (``noise="uniform"``: U(−1, 1)^d)."""
    layers = [nn.Unflatten(1, (noise_dim, 1, 1)),
              nn.ConvTranspose2d(noise_dim, 2 * width, 7, bias=False),            # 7×7
              nn.BatchNorm2d(2 * width), nn.ReLU(),
              nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),          # 14×14
              nn.BatchNorm2d(width), nn.ReLU(),
              nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh(),                   # 28×28
              nn.Flatten()]
    if unit:
        layers.append(_Affine(0.5, 0.5))
    return Generator(dcgan_init_(nn.Sequential(*layers)), noise_dim, noise)


def dcgan_discriminator(width=64, unit=True):
    """D: a flat 28×28 image → one logit; no batch norm on the input layer."""
    layers = [_Affine(2.0, -1.0)] if unit else []
    layers += [nn.Unflatten(1, (1, SIDE, SIDE)),
               nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),                   # 14×14
               nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),                  # 7×7
               nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
               nn.Conv2d(2 * width, 1, 7), nn.Flatten()]                          # (m, 1)
    return Discriminator(dcgan_init_(nn.Sequential(*layers)))
