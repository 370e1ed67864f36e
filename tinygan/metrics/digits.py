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


def nearest_neighbours(samples, training_images, batch_size=500):
    """For each sample, the index of and Euclidean distance to its nearest training image."""
    xp = backend.xp
    train = backend.asarray(training_images, dtype="float32")
    squared_train = (train * train).sum(axis=1)
    samples = backend.asarray(samples, dtype="float32")
    indices, distances = [], []
    for start in range(0, samples.shape[0], batch_size):
        s = samples[start:start + batch_size]
        squared = (s * s).sum(axis=1)[:, None] - 2 * (s @ train.T) + squared_train[None, :]
        nearest = squared.argmin(axis=1)
        indices.append(nearest)
        distances.append(xp.sqrt(xp.maximum(squared[xp.arange(s.shape[0]), nearest], 0)))
    return backend.to_numpy(xp.concatenate(indices)), backend.to_numpy(xp.concatenate(distances))
