"""The op catalogue itself: every op class of the engine is reached by some entry, and every
entry, of every kind, can be called on its example inputs (which is how the in-place checks, the
oracle tests and the fuzzer call it)."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

from op_catalogue import KINDS, entries, entry, example, op_classes


def _computed(*roots):
    return [t for t in ag.backward_order(*roots) if t.grad_fn is not None]


def _classes_reached(spec):
    """The op classes in an entry's graph, and in the graph of its gradient (create_graph=True)."""
    f, xs = example(spec)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    y = f(*leaves)
    grads = ag.grad(y, leaves, grad_outputs=np.ones(y.shape, y.dtype), create_graph=True,
                    allow_unused=True)
    return {type(t.grad_fn) for t in _computed(y, *[g for g in grads if g is not None])}


def test_every_op_class_is_reached_by_the_op_catalogue():
    reached = set().union(*map(_classes_reached, entries()))
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in op_classes() if c not in reached)
    assert not missing, (f"ops that no entry of tests/autograd/op_catalogue.py reaches: "
                         f"{', '.join(missing)}; add an entry for each")


def test_entry_names_are_unique():
    names = [e.name for e in entries()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_entries_are_found_by_name():
    assert entry("exp").name == "exp"
    with pytest.raises(KeyError, match="no entry 'nope'"):
        entry("nope")


def test_entries_include_every_kind():
    assert {type(e) for e in entries()} == set(KINDS)


@pytest.mark.parametrize("spec", entries(), ids=lambda s: s.name)
def test_every_entry_gives_a_tensor_with_a_gradient_on_its_example(spec):
    f, xs = example(spec)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    y = f(*leaves)
    assert isinstance(y, Tensor) and y.requires_grad, f"{spec.name}: {type(y).__name__}"
    grads = ag.grad(y, leaves, grad_outputs=np.ones(y.shape, y.dtype), allow_unused=True)
    assert all(np.isfinite(g.data).all() for g in grads if g is not None)


@pytest.mark.parametrize("spec", entries(), ids=lambda s: s.name)
def test_every_entry_has_a_pytorch_side(spec):
    assert spec.theirs is not None or spec.__class__.__name__ == "Structural", \
        f"{spec.name}: no `theirs`; write PyTorch's equivalent (a composition where it has none)"


def test_an_unknown_kind_of_entry_is_a_clear_error():
    with pytest.raises(TypeError, match="does not know entries of kind str"):
        example("exp")
