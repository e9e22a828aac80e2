"""A micrograd-style neuron, o = tanh(w1*x1 + w2*x2 + b), built from 0-d tensors, with every
gradient checked against values worked out by hand.

The numbers are micrograd's: x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432.

    n  = x1*w1 + x2*w2 + b = -6 + 0 + 6.8813735870195432 = 0.8813735870195432
    o  = tanh(n) = 1/sqrt(2) = 0.7071067811865476   (b was chosen so that n = atanh(1/sqrt(2)))
    do/dn  = 1 - tanh(n)^2 = 1 - 1/2 = 0.5
    do/dw1 = do/dn * x1 = 0.5 * 2  =  1.0
    do/dw2 = do/dn * x2 = 0.5 * 0  =  0.0
    do/db  = do/dn * 1             =  0.5
    do/dx1 = do/dn * w1 = 0.5 * -3 = -1.5
    do/dx2 = do/dn * w2 = 0.5 * 1  =  0.5
"""
import math

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

B = 6.8813735870195432


def neuron(tanh=ag.tanh):
    x1 = Tensor(2.0, requires_grad=True, name="x1")
    x2 = Tensor(0.0, requires_grad=True, name="x2")
    w1 = Tensor(-3.0, requires_grad=True, name="w1")
    w2 = Tensor(1.0, requires_grad=True, name="w2")
    b = Tensor(B, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.retain_grad()
    o = tanh(n)
    o.backward()
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


def tanh_from_exp(n):
    """micrograd's second version: tanh written out as (e^2n - 1) / (e^2n + 1)."""
    e = (2 * n).exp()
    return (e - 1) / (e + 1)


def test_neuron_output_is_one_over_root_two():
    assert neuron()["o"].item() == pytest.approx(1 / math.sqrt(2), abs=1e-12)


def test_neuron_pre_activation_gradient_is_one_half():
    assert float(neuron()["n"].grad) == pytest.approx(0.5, abs=1e-12)


HAND = {"w1": 1.0, "w2": 0.0, "b": 0.5, "x1": -1.5, "x2": 0.5}


@pytest.mark.parametrize("name", HAND)
def test_neuron_gradient_matches_the_hand_derived_value(name):
    assert float(neuron()[name].grad) == pytest.approx(HAND[name], abs=1e-12)


@pytest.mark.parametrize("name", HAND)
def test_neuron_with_tanh_written_from_exp_has_the_same_gradients(name):
    assert float(neuron(tanh_from_exp)[name].grad) == pytest.approx(HAND[name], abs=1e-12)


@pytest.mark.parametrize("name", HAND)
def test_neuron_with_numpy_tanh_has_the_same_gradients(name):
    assert float(neuron(np.tanh)[name].grad) == pytest.approx(HAND[name], abs=1e-12)


def test_neuron_gradients_are_0d_like_the_values():
    values = neuron()
    assert all(values[name].grad.shape == () for name in HAND)


def test_one_gradient_step_on_the_weights_lowers_the_output():
    v = neuron()
    with ag.no_grad():
        for name in ("w1", "w2", "b"):
            v[name].sub_(0.1 * v[name].grad)
    o = ag.tanh(v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"])
    assert o.item() < v["o"].item()
