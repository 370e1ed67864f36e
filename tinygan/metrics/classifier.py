"""The MNIST judge for sample quality: a classifier trained in tinygan.

784 → 512 ReLU → 512 ReLU → 10, dropout on both hidden layers, Adam with a cosine
learning-rate decay, trained on the 50,000 training images, each moved by up to one pixel
in each direction every time it is drawn (data augmentation). It is trained once and
cached in the data folder under a hash of those images and of the recipe (a tinygan
``.npz`` checkpoint, never pickle); ``load_or_train_classifier`` trains it on demand.
Its 512 penultimate activations are the features of the Fréchet distance.
"""
import hashlib
import json
import math
import time

from tinygan import backend, nn, optim
from tinygan.backend import host as numpy
from tinygan.checkpoint import CheckpointError, load, save
from tinygan.data.fetch import data_folder, progress_bar
from tinygan.data.mnist import DataError
from tinygan.nn import functional as F
from tinygan.optim.schedules import Schedule
from tinygan.tensor import Tensor, no_grad

__all__ = ["RECIPE", "mnist_classifier", "train_classifier", "classifier_path",
           "load_or_train_classifier", "classifier_outputs", "accuracy"]

RECIPE = {"version": 1, "hidden": 512, "dropout": 0.3, "epochs": 20, "batch_size": 100,
          "lr": 1e-3, "shift": 1, "seed": 0}


class CosineDecay(Schedule):
    """η_t = η₀ · ½ (1 + cos(π t / T)): from η₀ to 0 over T updates."""

    def __init__(self, optimizer, initial, steps):
        self.initial, self.steps = initial, steps
        super().__init__(optimizer)

    def value(self, t):
        return self.initial * 0.5 * (1 + math.cos(math.pi * min(t, self.steps) / self.steps))


def mnist_classifier(hidden=RECIPE["hidden"], dropout=RECIPE["dropout"]):
    """784 → hidden ReLU → hidden ReLU → 10 logits; the last layer alone maps the
    penultimate features to the logits."""
    return nn.Sequential(nn.Linear(784, hidden, init="he"), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, hidden, init="he"), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, 10))


def shift_images(images, shift, generator):
    """Each row (a 28×28 image) moved by a random whole number of pixels in [−shift, shift]
    along each axis, the pixels moved in being 0."""
    xp = backend.get_array_module(images)
    n, offsets = images.shape[0], xp.arange(28)
    padded = xp.pad(images.reshape(n, 28, 28), ((0, 0), (shift, shift), (shift, shift)))
    rows = generator.integers(0, 2 * shift + 1, size=n)[:, None] + offsets
    columns = generator.integers(0, 2 * shift + 1, size=n)[:, None] + offsets
    return padded[xp.arange(n)[:, None, None], rows[:, :, None], columns[:, None, :]].reshape(n, 784)


def train_classifier(images, labels, recipe=RECIPE, progress=False):
    """Train ``mnist_classifier`` on ``images`` (rows of 784 pixels in [0, 1]) and integer
    ``labels``; returns the model in eval mode. The recipe's seed fixes everything."""
    seed, batch_size = recipe["seed"], recipe["batch_size"]
    backend.manual_seed((seed, 0))
    model = mnist_classifier(recipe["hidden"], recipe["dropout"]).train()
    optimizer = optim.Adam(model.parameters(), lr=recipe["lr"])
    x, y = backend.asarray(images, dtype="float32"), backend.asarray(labels)
    per_epoch = x.shape[0] // batch_size
    schedule = CosineDecay(optimizer, recipe["lr"], recipe["epochs"] * per_epoch)
    bar = progress_bar(recipe["epochs"] * per_epoch, "training the MNIST classifier", progress,
                       unit="step")
    for epoch in range(recipe["epochs"]):
        generator = backend.backend_generator((seed, epoch + 1))
        order = generator.random(x.shape[0]).argsort()
        for start in range(0, per_epoch * batch_size, batch_size):
            rows = order[start:start + batch_size]
            batch = shift_images(x[rows], recipe["shift"], generator) if recipe["shift"] else x[rows]
            optimizer.zero_grad()
            F.cross_entropy(model(Tensor(batch)), y[rows]).backward()
            optimizer.step()
            schedule.step()
            bar.update(1)
    bar.close()
    return model.eval()


def classifier_outputs(model, images, batch_size=1000):
    """(penultimate features, class probabilities) of ``images`` as host float64 arrays."""
    x = backend.asarray(images, dtype="float32")
    body, head = list(model)[:-1], list(model)[-1]
    features, probabilities = [], []
    with no_grad():
        for start in range(0, x.shape[0], batch_size):
            h = Tensor(x[start:start + batch_size])
            for layer in body:
                h = layer(h)
            features.append(backend.to_numpy(h.data).astype(numpy.float64))
            probabilities.append(backend.to_numpy(F.softmax(head(h)).data).astype(numpy.float64))
    return numpy.concatenate(features), numpy.concatenate(probabilities)


def accuracy(model, images, labels):
    """Share of ``images`` whose most probable class is the label."""
    _, probabilities = classifier_outputs(model, images)
    return float((probabilities.argmax(axis=1) == backend.to_numpy(labels)).mean())


def _key(mnist, recipe):
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode())
    for array in (mnist.train, mnist.train_labels):
        array = numpy.ascontiguousarray(backend.to_numpy(array))
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def classifier_path(mnist, data_dir=None, recipe=RECIPE):
    """Where the classifier for these training images and this recipe is cached."""
    return data_folder(data_dir) / f"mnist-classifier-{_key(mnist, recipe)[:16]}.npz"


def load_or_train_classifier(mnist, data_dir=None, recipe=RECIPE, progress=True, log=print):
    """The cached classifier for ``mnist.train`` (trained and cached first if absent), and
    its record: ``test_accuracy``, ``training_seconds``, ``path``."""
    path = classifier_path(mnist, data_dir, recipe)
    model = mnist_classifier(recipe["hidden"], recipe["dropout"])
    if path.exists():
        try:
            state = load(path)
            model.load_state_dict(state["model"])
        except (CheckpointError, KeyError, ValueError) as error:
            raise DataError(f"the cached classifier {path} cannot be used ({error}); delete it "
                            f"to train it again") from None
        return model.eval(), {**state["record"], "path": str(path)}
    log(f"training the MNIST classifier once on {len(mnist.train):,} images "
        f"(cached afterwards in {path})")
    started = time.perf_counter()
    model = train_classifier(mnist.train, mnist.train_labels, recipe, progress)
    record = {"test_accuracy": accuracy(model, mnist.test, mnist.test_labels),
              "training_seconds": time.perf_counter() - started, "recipe": recipe,
              "data": mnist.source}
    try:
        save({"model": model.state_dict(), "record": record}, path)
    except OSError as error:
        log(f"could not cache the classifier in {path} ({error}): it is trained again next time")
    return model, {**record, "path": str(path)}
