"""Layers: shapes, initialisation, forward values, Dropout's modes, MLP's structure."""
import numpy as np
import pytest

import autograd as ag
import nn


def randn(*shape, seed=0):
    return ag.Tensor(np.random.default_rng(seed).standard_normal(shape))


# ---- Linear --------------------------------------------------------------------------------
def test_linear_weight_is_out_by_in():
    layer = nn.Linear(5, 3)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)


def test_linear_init_stays_within_one_over_sqrt_fan_in():
    layer = nn.Linear(16, 200)
    bound = 1 / np.sqrt(16)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound  # uses the whole range


def test_linear_computes_x_times_w_transposed_plus_b():
    layer = nn.Linear(4, 3)
    x = randn(2, 4)
    expected = x.data @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected)


def test_linear_without_bias_has_only_a_weight():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_allclose(layer(randn(2, 4)).data, randn(2, 4).data @ layer.weight.data.T)


def test_linear_gradients_are_the_textbook_ones():
    layer = nn.Linear(4, 3)
    x = randn(5, 4)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.ones((3, 5)) @ x.data)
    np.testing.assert_allclose(layer.bias.grad, np.full(3, 5.0))


def test_linear_keeps_its_weight_column_major_with_the_usual_shape_and_values():
    layer = nn.Linear(3, 2)
    W = layer.weight.data
    assert W.shape == (2, 3) and W.flags.f_contiguous
    np.testing.assert_array_equal(W, np.ascontiguousarray(W))


def test_linear_weight_gradient_has_the_weights_layout_and_the_textbook_values():
    layer = nn.Linear(4, 3)
    x = randn(5, 4).data.astype(np.float32)
    layer(ag.Tensor(x)).sum().backward()
    g = layer.weight.grad
    assert g.flags.f_contiguous and g.base is None and g.dtype == layer.weight.dtype
    np.testing.assert_allclose(g, np.ones((5, 3)).T @ x, rtol=1e-6)


def test_linear_gives_the_same_numbers_for_a_row_major_weight():
    layer = nn.Linear(6, 4)
    x = randn(8, 6).data.astype(np.float32)
    out_f = layer(ag.Tensor(x))
    out_f.sum().backward()
    grad_f = layer.weight.grad
    layer.weight.data = np.ascontiguousarray(layer.weight.data)  # row-major, same values
    layer.weight.grad = None
    out_c = layer(ag.Tensor(x))
    out_c.sum().backward()
    assert layer.weight.grad.flags.c_contiguous
    np.testing.assert_allclose(out_f.data, out_c.data, rtol=1e-6)
    np.testing.assert_allclose(grad_f, layer.weight.grad, rtol=1e-6)


def test_linear_honours_dtype():
    layer = nn.Linear(4, 3, dtype=np.float32)
    x = ag.Tensor(np.ones((2, 4), dtype=np.float32))
    assert layer.weight.dtype == np.float32 and layer(x).dtype == np.float32


def test_linear_repr_names_its_sizes():
    assert repr(nn.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)  # 9 parameters"


def test_manual_seed_makes_construction_reproducible():
    nn.manual_seed(42)
    a = nn.MLP([3, 4, 2])
    nn.manual_seed(42)
    b = nn.MLP([3, 4, 2])
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_explicit_generator_makes_a_layer_reproducible():
    a = nn.Linear(3, 2, rng=np.random.default_rng(7))
    b = nn.Linear(3, 2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


# ---- activations ---------------------------------------------------------------------------
X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])

ACTIVATION_FORMULAS = [
    (nn.ReLU(), np.maximum(X, 0)),
    (nn.LeakyReLU(0.1), np.where(X > 0, X, 0.1 * X)),
    (nn.Sigmoid(), 1 / (1 + np.exp(-X))),
    (nn.Tanh(), np.tanh(X)),
    (nn.Softmax(dim=-1), np.exp(X) / np.exp(X).sum(axis=-1, keepdims=True)),
    (nn.LogSoftmax(dim=-1), X - np.log(np.exp(X).sum(axis=-1, keepdims=True))),
    (nn.Identity(), X),
]


@pytest.mark.parametrize("layer, expected", ACTIVATION_FORMULAS, ids=lambda v: type(v).__name__)
def test_activation_computes_its_formula(layer, expected):
    np.testing.assert_allclose(layer(ag.Tensor(X)).data, expected, rtol=1e-12)


def test_softmax_normalises_along_the_given_dim():
    out = nn.Softmax(dim=0)(randn(3, 4))
    np.testing.assert_allclose(out.data.sum(axis=0), np.ones(4))


def test_activation_reprs_show_their_settings():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)" and repr(nn.Softmax(1)) == "Softmax(dim=1)"


# ---- Dropout -------------------------------------------------------------------------------
def test_dropout_is_identity_in_eval_mode():
    x = randn(4, 5)
    assert nn.Dropout(0.5).eval()(x) is x


def test_dropout_zeroes_about_p_and_scales_the_rest():
    x = ag.Tensor(np.ones((200, 100)))
    out = nn.Dropout(0.25, rng=np.random.default_rng(0))(x).data
    assert abs((out == 0).mean() - 0.25) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.75)


def test_dropout_gradient_uses_the_same_mask():
    x = ag.Tensor(np.ones((10, 10)), requires_grad=True)
    out = nn.Dropout(0.5)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)


def test_dropout_with_p_zero_changes_nothing():
    x = randn(3, 3)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)


def test_dropout_with_p_one_zeroes_everything():
    assert np.all(nn.Dropout(1.0)(randn(3, 3)).data == 0)


def test_dropout_rejects_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_masks_follow_manual_seed():
    x = ag.Tensor(np.ones((5, 5)))
    nn.manual_seed(3)
    a = nn.Dropout(0.5)(x).data
    nn.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, a)


# ---- Flatten -------------------------------------------------------------------------------
def test_flatten_keeps_the_batch_dimension():
    assert nn.Flatten()(randn(2, 3, 4, 5)).shape == (2, 60)


def test_flatten_merges_the_given_range():
    assert nn.Flatten(0, 1)(randn(2, 3, 4)).shape == (6, 4)


# ---- MLP -----------------------------------------------------------------------------------
def test_mlp_alternates_linear_and_activation():
    model = nn.MLP([4, 8, 8, 2], activation="tanh")
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]


def test_mlp_appends_the_output_activation():
    model = nn.MLP([4, 3], output_activation="sigmoid")
    assert [type(m).__name__ for m in model] == ["Linear", "Sigmoid"]


def test_mlp_accepts_an_activation_class():
    assert isinstance(nn.MLP([2, 2, 1], activation=nn.LeakyReLU)[1], nn.LeakyReLU)


def test_mlp_rejects_an_unknown_activation_name():
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        nn.MLP([2, 2, 1], activation="swishy")


def test_mlp_rejects_a_shared_activation_instance():
    with pytest.raises(TypeError, match="name or class"):
        nn.MLP([2, 2, 1], activation=nn.ReLU())


def test_mlp_puts_dropout_after_hidden_activations():
    model = nn.MLP([4, 8, 2], dropout=0.2)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Dropout", "Linear"]


def test_mlp_maps_input_size_to_output_size():
    assert nn.MLP([4, 8, 3])(randn(5, 4)).shape == (5, 3)


def test_mlp_needs_two_sizes():
    with pytest.raises(ValueError, match="at least"):
        nn.MLP([4])


def test_mlp_repr_counts_all_parameters():
    assert repr(nn.MLP([2, 3, 1])).endswith(")  # 13 parameters")


def test_linear_given_images_suggests_flattening_them():
    layer = nn.Linear(784, 10)
    with pytest.raises(ValueError) as info:
        layer(ag.Tensor(np.zeros((32, 28, 28), np.float32)))
    message = str(info.value)
    assert "(32, 28, 28)" in message and "nn.Flatten()" in message
    assert "x.reshape(len(x), -1)" in message


def test_linear_given_the_wrong_width_does_not_suggest_flattening():
    with pytest.raises(ValueError) as info:
        nn.Linear(784, 10)(ag.Tensor(np.zeros((32, 100), np.float32)))
    assert "Flatten" not in str(info.value)


def test_flatten_then_linear_takes_images():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    assert model(ag.Tensor(np.zeros((32, 28, 28), np.float32))).shape == (32, 10)
