"""The toy problems -- XOR, y = sin(x), spirals -- and the shape every dataset returns.

Every dataset, these and MNIST, returns a TrainTest: a training Split and a test Split, each
(X, y), so that

    (X_train, y_train), (X_test, y_test) = spirals()

works for all of them. Test sets are drawn independently of the training set, from the same
distribution; XOR's four points are the whole problem, so its test set is those four again.
"""
from collections import namedtuple

import numpy as np

Split = namedtuple("Split", "X y")
Split.__doc__ = "One part of a dataset: inputs X (one row per sample) and targets y."
TrainTest = namedtuple("TrainTest", "train test")
TrainTest.__doc__ = "What every dataset returns: its training Split and its test Split."


def xor():
    """The four XOR points, as training set and (the same four points) as test set.

    X is float32 (4, 2), y float32 (4, 1) holding 0 or 1: a float column, not int labels, because
    a 2-h-1 net with one output is trained with binary cross-entropy against targets of exactly
    its output's shape and dtype. The four points are the whole problem, so the test set is them
    again (a copy).
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return TrainTest(Split(X, y), Split(X.copy(), y.copy()))


def sine(n=256, noise=0.0, seed=None, n_test=None):
    """y = sin(x) (+ Gaussian noise of std `noise`) at random x in [-pi, pi], sorted by x.

    Training set: n points; test set: n_test more (default n), drawn independently. X is float32
    (n, 1) and y float32 (n, 1): a regression target is a column of floats.
    """
    rng = np.random.default_rng(seed)

    def draw(count):
        x = np.sort(rng.uniform(-np.pi, np.pi, count))
        y = np.sin(x) + noise * rng.standard_normal(count)
        return Split(x.reshape(count, 1).astype(np.float32), y.reshape(count, 1).astype(np.float32))

    train = draw(n)  # first, so a seed gives the same training set whatever n_test is
    return TrainTest(train, draw(n if n_test is None else n_test))


def spirals(n=100, classes=3, noise=0.2, seed=None, n_test=None):
    """Interleaved spiral arms in the plane, one per class: n training points per arm, and n_test
    (default n) more per arm for the test set, with their own noise.

    X is float32 (n * classes, 2), within the unit disc, and y int64 (n * classes,), class 0's
    points first. Point i of arm k sits at radius r = i / (n - 1) and angle
    2 pi k / classes + 4 r (+ Gaussian noise of std `noise`): no straight line separates the arms.
    """
    rng = np.random.default_rng(seed)

    def draw(count):
        r = np.linspace(0.0, 1.0, count)
        X, y = [], []
        for k in range(classes):
            angle = 2 * np.pi * k / classes + 4 * r + noise * rng.standard_normal(count)
            X.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
            y.append(np.full(count, k, dtype=np.int64))
        return Split(np.concatenate(X).astype(np.float32), np.concatenate(y))

    train = draw(n)
    return TrainTest(train, draw(n if n_test is None else n_test))
