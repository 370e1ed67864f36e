"""MNIST checks beyond likelihood: which digits the generator draws, judged by a tinygan
classifier trained on the real digits, and how close samples sit to their nearest
training images (the paper's Figure 2 check against memorisation)."""
from tinygan import backend, nn, optim
from tinygan.nn import functional as F
from tinygan.tensor import Tensor, no_grad

__all__ = ["train_digit_classifier", "class_coverage", "nearest_neighbours"]


def train_digit_classifier(images, labels, epochs=15, batch_size=100, seed=0, hidden=256):
    """A 784 → 256 ReLU → 256 ReLU → 10 MLP trained with Adam on real digits."""
    backend.manual_seed((seed, 0))
    model = nn.Sequential(nn.Linear(784, hidden, init="he"), nn.ReLU(),
                          nn.Linear(hidden, hidden, init="he"), nn.ReLU(), nn.Linear(hidden, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    x = backend.asarray(images, dtype="float32")
    y = backend.asarray(labels)
    for epoch in range(epochs):
        order = backend.backend_generator((seed, epoch + 1)).random(x.shape[0]).argsort()
        for start in range(0, x.shape[0] - batch_size + 1, batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            F.cross_entropy(model(Tensor(x[rows])), y[rows]).backward()
            optimizer.step()
    return model.eval()


def predict(model, images, batch_size=1000):
    xp = backend.xp
    x = backend.asarray(images, dtype="float32")
    with no_grad():
        return xp.concatenate([model(Tensor(x[i:i + batch_size])).data.argmax(axis=1)
                               for i in range(0, x.shape[0], batch_size)])


def class_coverage(samples, classifier, minimum_share=0.05):
    """The classifier's class histogram of the samples (shares summing to 1) and how many
    of the 10 classes hold at least ``minimum_share`` of them."""
    xp = backend.xp
    predicted = predict(classifier, samples)
    shares = backend.to_numpy(xp.bincount(predicted, minlength=10) / predicted.shape[0]).tolist()
    return {"class_shares": shares,
            "classes_covered": sum(share >= minimum_share for share in shares),
            "minimum_share": minimum_share}


def nearest_neighbours(samples, training_images, batch_size=250):
    """For each sample, the index of and Euclidean distance to its nearest training image.

    Candidates come from ‖x − s‖² = ‖x‖² − 2x·s + ‖s‖² in float64 (one matrix product).
    Its rounding error is at most about (d + 4)·ε·(‖x‖² + ‖s‖²) (ε = 2⁻⁵², d pixels)
    whatever the BLAS does, so every training image within that bound of the smallest
    value is measured again directly as Σ (x − s)² in float64, and the smallest of those
    wins (the lowest index on a tie). A self-match is therefore exactly 0, and the answer
    does not depend on the BLAS build or its thread count."""
    xp = backend.xp
    train = backend.asarray(training_images, dtype="float64")
    squared_train = (train * train).sum(axis=1)
    samples = backend.asarray(samples, dtype="float64")
    slack = (train.shape[1] + 4) * 2.0 ** -52
    indices, distances = [], []
    for start in range(0, samples.shape[0], batch_size):
        s = samples[start:start + batch_size]
        squared_s = (s * s).sum(axis=1)
        expanded = squared_s[:, None] - 2 * (s @ train.T) + squared_train[None, :]
        bound = slack * (squared_s[:, None] + squared_train[None, :])
        # j may be nearest if its lowest possible value is below every other's highest
        rows, columns = xp.nonzero(expanded - bound <= (expanded + bound).min(axis=1, keepdims=True))
        exact = xp.full(expanded.shape, xp.inf)
        exact[rows, columns] = ((s[rows] - train[columns]) ** 2).sum(axis=1)
        nearest = exact.argmin(axis=1)
        indices.append(nearest)
        distances.append(xp.sqrt(exact[xp.arange(s.shape[0]), nearest]))
    return backend.to_numpy(xp.concatenate(indices)), backend.to_numpy(xp.concatenate(distances))
