"""The conditional GAN of Mirza & Osindero (2014): G(z, y) draws a digit of class y, and
D(x, y) judges whether x is a real image *of class y*.

A conditional GAN is a GAN on pairs. Real pairs are (image, its label); generated pairs are
(G(z, y), y) with y drawn uniformly over the ten digits; D sees whole pairs, so

    V(D, G) = E_(x,y)~data [log D(x, y)] + E_z, y [log(1 − D(G(z, y), y))],

which is the 2014 value function on the joint distribution p(x, y). That is why tinygan's
trainer, losses and checkpoints need nothing new: a row of a batch is the 784 pixels
followed by the label's one-hot code (``pairs``), and G's ``sample`` returns such rows.
``images_and_labels`` splits them again.

The architecture is the paper's MNIST one (Section 4.1): in G, z (100, uniform) → 200 ReLU
and y → 1000 ReLU, joined into 1200 ReLU → 784 sigmoid; in D, x → maxout 240 × 5 and y →
maxout 50 × 5, joined into maxout 240 × 4 → one logit; dropout 0.5 in both.
"""
from tinygan import backend, nn
from tinygan.data.loader import EpochSampler
from tinygan.gan.models import Discriminator, Generator, output_bias_from_means
from tinygan.ops import concatenate
from tinygan.tensor import Tensor

__all__ = ["NUM_CLASSES", "IMAGE_PIXELS", "one_hot", "pairs", "images_and_labels",
           "ConditionalGenerator", "ConditionalDiscriminator", "PairSampler"]

NUM_CLASSES = 10
IMAGE_PIXELS = 784


def one_hot(labels, num_classes=NUM_CLASSES):
    """Integer labels (n,) as float32 rows (n, num_classes) with a 1 at each label."""
    xp = backend.xp
    labels = backend.asarray(labels).astype("int64")
    return (labels[:, None] == xp.arange(num_classes)[None, :]).astype("float32")


def pairs(images, labels):
    """Rows of 784 pixels followed by the label's one-hot code: what D of a cGAN judges."""
    return backend.xp.concatenate([backend.asarray(images, dtype="float32"), one_hot(labels)],
                                  axis=1)


def images_and_labels(samples):
    """(images, labels) of a cGAN's pair rows (labels None for plain image rows); works on
    host or device arrays."""
    if samples.shape[1] == IMAGE_PIXELS:
        return samples, None
    if samples.shape[1] != IMAGE_PIXELS + NUM_CLASSES:
        raise ValueError(f"rows of {samples.shape[1]} values are neither images ({IMAGE_PIXELS}) "
                         f"nor image–label pairs ({IMAGE_PIXELS + NUM_CLASSES})")
    return samples[:, :IMAGE_PIXELS], samples[:, IMAGE_PIXELS:].argmax(axis=1)


class ConditionalGenerator(Generator):
    """G(z, y): z → 200 ReLU and y → 1000 ReLU, joined into 1200 ReLU (dropout 0.5 in
    training) → 784 sigmoid; weights U(±0.05), the output bias at the mean digit's logits
    (as the 2014 generator). ``sample(m, label=None)`` returns pair rows (image, one-hot
    label) with labels uniform over the digits, or all equal to ``label``. Uniform z is
    drawn on [−r, r], r = ``noise_range``."""

    def __init__(self, noise_dim=100, noise="uniform", z_hidden=200, y_hidden=1000, hidden=1200,
                 dropout=0.5, pixel_means=None, weight_range=0.05, noise_range=1.0):
        output = nn.Linear(hidden, IMAGE_PIXELS, init=weight_range)
        if pixel_means is not None:
            output_bias_from_means(output, pixel_means)
        joint = nn.Sequential(nn.Linear(z_hidden + y_hidden, hidden, init=weight_range), nn.ReLU(),
                              nn.Dropout(dropout), output, nn.Sigmoid())
        super().__init__(joint, noise_dim, noise, noise_range)
        self.z_branch = nn.Sequential(nn.Linear(noise_dim, z_hidden, init=weight_range), nn.ReLU())
        self.y_branch = nn.Sequential(nn.Linear(NUM_CLASSES, y_hidden, init=weight_range), nn.ReLU())

    def forward(self, z, y):
        """Images G(z, y) for noise z (m, noise_dim) and one-hot labels y (m, 10)."""
        return self.net(concatenate([self.z_branch(z), self.y_branch(y)], axis=1))

    def sample(self, m, label=None, *, noise_scale=1.0):
        z = self.sample_noise(m, noise_scale=noise_scale)
        if label is None:
            labels = backend.rng().integers(0, NUM_CLASSES, size=m)
        else:
            labels = backend.xp.full(m, int(label))
        y = Tensor(one_hot(labels))
        return concatenate([self(z, y), y], axis=1)


class ConditionalDiscriminator(Discriminator):
    """D(x, y): x (dropout keeping 0.8) → maxout 240 × 5 and y → maxout 50 × 5, joined
    (dropout 0.5) into maxout 240 × 4 → (dropout 0.5) one logit; weights U(±0.005). Takes
    pair rows (784 pixels, then 10 one-hot values)."""

    def __init__(self, x_units=240, x_pieces=5, y_units=50, y_pieces=5, joint_units=240,
                 joint_pieces=4, weight_range=0.005, input_keep=0.8, hidden_keep=0.5):
        joint = nn.Sequential(nn.Dropout(1 - hidden_keep),
                              nn.Maxout(x_units + y_units, joint_units, joint_pieces,
                                        init=weight_range),
                              nn.Dropout(1 - hidden_keep), nn.Linear(joint_units, 1, init=weight_range))
        super().__init__(joint, pack=1)
        self.x_branch = nn.Sequential(nn.Dropout(1 - input_keep),
                                      nn.Maxout(IMAGE_PIXELS, x_units, x_pieces, init=weight_range))
        self.y_branch = nn.Maxout(NUM_CLASSES, y_units, y_pieces, init=weight_range)

    def forward(self, rows):
        x, y = rows[:, :IMAGE_PIXELS], rows[:, IMAGE_PIXELS:]
        return self.net(concatenate([self.x_branch(x), self.y_branch(y)], axis=1))


class PairSampler(EpochSampler):
    """The training images with their one-hot labels, a fresh shuffle every epoch (the
    same order as ``EpochSampler`` gives the images alone)."""

    def __init__(self, images, labels, batch_size, seed=0):
        super().__init__(images, batch_size, seed)
        self.codes = one_hot(labels)

    def batch(self, step):
        rows = self.rows(step)
        return Tensor(backend.xp.concatenate([self.data[rows], self.codes[rows]], axis=1))
