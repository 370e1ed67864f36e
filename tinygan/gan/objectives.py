"""GAN objectives beyond 2014: the loss pairs for D (or the critic) and G, the penalties
that keep D smooth, weight clipping, and feature matching.

Every loss takes D's raw outputs o (logits for the binary objectives, critic values for
the Wasserstein one) on real samples x and generated samples G(z), and is minimised.

| loss | D (critic) minimises | G minimises |
|---|---|---|
| minimax (2014) | −E log σ(o(x)) − E log(1 − σ(o(G(z)))) | E log(1 − σ(o(G(z)))) |
| non_saturating | the same | −E log σ(o(G(z))) |
| least_squares (Mao et al. 2017) | ½E(o(x) − 1)² + ½E o(G(z))² | ½E(o(G(z)) − 1)² |
| hinge (Lim & Ye 2017; Miyato et al. 2018) | E max(0, 1 − o(x)) + E max(0, 1 + o(G(z))) | −E o(G(z)) |
| wasserstein (Arjovsky et al. 2017) | E o(G(z)) − E o(x) | −E o(G(z)) |

Penalties (added to D's loss): ``gp`` (WGAN-GP, Gulrajani et al. 2017) and ``r1``
(Mescheder et al. 2018); both differentiate D's gradient with ``create_graph=True``.
"""
from collections import namedtuple

from tinygan import backend
from tinygan.nn.losses import discriminator_loss, generator_loss
from tinygan.ops import concatenate, mean, relu, sum as reduce_sum
from tinygan.tensor import Tensor, grad
from tinygan.theory.wasserstein import gradient_penalty

__all__ = ["LossPair", "LOSSES", "loss_pair", "least_squares_discriminator_loss",
           "least_squares_generator_loss", "hinge_discriminator_loss", "hinge_generator_loss",
           "wasserstein_critic_loss", "wasserstein_generator_loss", "gradient_penalty",
           "r1_penalty", "PENALTIES", "penalty", "clip_weights_", "discriminator_features",
           "feature_matching_loss"]

LossPair = namedtuple("LossPair", "discriminator generator")


def least_squares_discriminator_loss(real_output, fake_output):
    """LSGAN (a, b, c) = (0, 1, 1): ½E[(o(x) − 1)²] + ½E[o(G(z))²]."""
    return mean((real_output - 1) ** 2) * 0.5 + mean(fake_output ** 2) * 0.5


def least_squares_generator_loss(fake_output):
    """LSGAN: ½E[(o(G(z)) − 1)²]."""
    return mean((fake_output - 1) ** 2) * 0.5


def hinge_discriminator_loss(real_output, fake_output):
    """E[max(0, 1 − o(x))] + E[max(0, 1 + o(G(z)))]."""
    return mean(relu(1 - real_output)) + mean(relu(1 + fake_output))


def wasserstein_generator_loss(fake_output):
    """−E[f(G(z))]: G moves its samples up the critic's slope (also the hinge GAN's G loss)."""
    return -mean(fake_output)


hinge_generator_loss = wasserstein_generator_loss


def wasserstein_critic_loss(real_output, fake_output):
    """E[f(G(z))] − E[f(x)]: minus the Kantorovich–Rubinstein estimate of W₁."""
    return mean(fake_output) - mean(real_output)


LOSSES = {
    "minimax": LossPair(discriminator_loss, lambda fake: generator_loss(fake, "minimax")),
    "non_saturating": LossPair(discriminator_loss,
                               lambda fake: generator_loss(fake, "non_saturating")),
    "least_squares": LossPair(least_squares_discriminator_loss, least_squares_generator_loss),
    "hinge": LossPair(hinge_discriminator_loss, hinge_generator_loss),
    "wasserstein": LossPair(wasserstein_critic_loss, wasserstein_generator_loss),
}


def loss_pair(name):
    """The (discriminator, generator) loss functions of objective ``name``."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {name!r}")
    return LOSSES[name]


def r1_penalty(discriminator, real, fake=None, weight=10.0):
    """R1 (Mescheder et al. 2018): γ/2 · E_x[‖∇ₓ o(x)‖²] on real data only (zero-centred:
    it pushes D's gradient to 0 where the data is). ``weight`` is γ; ``fake`` is ignored
    (the signature matches ``gradient_penalty``)."""
    real = real.detach().requires_grad_(True)
    (gradients,) = grad(reduce_sum(discriminator(real)), real, create_graph=True)
    return mean(reduce_sum(gradients * gradients, axis=1)) * (weight / 2)


PENALTIES = {"none": None, "gp": gradient_penalty, "r1": r1_penalty}


def penalty(name, discriminator, real, fake, weight):
    """The penalty ``name`` ("none", "gp" or "r1") for D at this batch, or None for "none"."""
    if name not in PENALTIES:
        raise ValueError(f"penalty must be one of {', '.join(PENALTIES)}, got {name!r}")
    function = PENALTIES[name]
    return None if function is None else function(discriminator, real, fake, weight)


def clip_weights_(module, limit):
    """WGAN's Lipschitz constraint (Arjovsky et al. 2017): clamp every parameter of
    ``module`` to [−c, c] in place, after each critic step (c = 0.01 in the paper)."""
    if limit <= 0:
        raise ValueError(f"the weight clip must be positive, got {limit}")
    for parameter in module.parameters():
        xp = backend.get_array_module(parameter.data)
        xp.clip(parameter.data, -limit, limit, out=parameter.data)


def discriminator_features(discriminator, x):
    """f(x): the activations of D's last hidden layer (every layer of ``discriminator.net``
    but the output layer), after PacGAN's packing when D packs samples; a D with a
    reference batch (``stabilisers.WithReferenceBatch``) normalises with it here too."""
    if getattr(discriminator, "pack", 1) > 1:
        x = x.reshape(x.shape[0] // discriminator.pack, x.shape[1] * discriminator.pack)
    net = discriminator.net
    reference = getattr(net, "reference", None)
    if reference is not None:
        net, x = net.module, concatenate([Tensor(reference.astype(x.dtype)), x])
    for layer in list(net)[:-1]:
        x = layer(x)
    return x if reference is None else x[reference.shape[0]:]


def feature_matching_loss(real_features, fake_features):
    """Feature matching (Salimans et al. 2016): G minimises ‖E_x f(x) − E_z f(G(z))‖₂²,
    f = D's last hidden layer; the real features are a target (no gradient)."""
    difference = mean(real_features.detach(), axis=0) - mean(fake_features, axis=0)
    return reduce_sum(difference * difference)
