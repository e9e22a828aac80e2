"""Real training runs: glassgrad reaches the results the source problems were after.

Each test trains a network from scratch with `nn.train.fit` and asserts the target of issue 5:
3-vs-7 MNIST (source 003) >= 99% test accuracy, XOR (source 001) solved for 10 seeds out of 10,
y = sin(x) (source 004) fitted to a mean squared error below 1e-3.
"""
import contextlib

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from nn.data import DataLoader, binary_mnist, sine, xor
from nn.train import evaluate, fit


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Run BLAS on one thread. These matrices are small; on a 2-core machine that is busy with
    other work, OpenBLAS's threads wait for each other and a 32x784 product takes ~100x longer."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, just run as is
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
    with limits:
        yield


def test_three_vs_seven_sigmoid_mlp_reaches_99_percent_test_accuracy(needs_mnist):
    # Source 003's network, 784-64-32-2 with sigmoid hidden layers and a softmax output, trained
    # with what it lacked: the loss averaged over a mini-batch, Adam, and a decaying step size.
    (X, y), (X_test, y_test) = binary_mnist(3, 7, download=False)
    rng = np.random.default_rng(0)
    model = nn.MLP([784, 64, 32, 2], activation="sigmoid", dtype=np.float32, rng=rng)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    epochs = 8
    fit(model, F.cross_entropy, optimizer, DataLoader(X, y, batch_size=128, seed=0), epochs,
        scheduler=nn.optim.CosineAnnealingLR(optimizer, T_max=epochs), progress=False)

    assert evaluate(model, (X_test, y_test), F.cross_entropy)["accuracy"] >= 0.99


@pytest.mark.parametrize("seed", range(10))
def test_xor_2_4_1_tanh_sigmoid_net_classifies_all_four_points(seed):
    (X, y), _ = xor()
    rng = np.random.default_rng(seed)
    model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid",
                   dtype=np.float32, rng=rng)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    # The output is a probability, so no "accuracy" metric here: F.accuracy thresholds logits at 0.
    fit(model, F.binary_cross_entropy, optimizer, (X, y), epochs=300, batch_size=4,
        metrics=(), progress=False)

    with ag.no_grad():
        p = model(ag.Tensor(X)).data
    np.testing.assert_array_equal(p > 0.5, y > 0.5)


def test_sine_1_64_64_1_tanh_net_reaches_mse_below_1e_3_on_new_points():
    (X, y), (X_test, y_test) = sine(256, seed=0, n_test=200)  # test points drawn apart
    rng = np.random.default_rng(0)
    model = nn.MLP([1, 64, 64, 1], activation="tanh", dtype=np.float32, rng=rng)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    epochs = 150
    fit(model, F.mse_loss, optimizer, DataLoader(X, y, batch_size=64, seed=0), epochs,
        scheduler=nn.optim.CosineAnnealingLR(optimizer, T_max=epochs), metrics=(),
        progress=False)

    assert evaluate(model, (X_test, y_test), F.mse_loss, metrics=())["loss"] < 1e-3
