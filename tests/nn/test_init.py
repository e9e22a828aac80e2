"""Initialisers: the right bounds and spreads, in place, reproducible."""
import math

import numpy as np
import pytest

import nn
from nn import init


def param(*shape):
    return nn.Parameter(np.zeros(shape))


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name, param_, gain", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("selu", None, 0.75), ("conv2d", None, 1.0),
])
def test_calculate_gain_follows_the_table(name, param_, gain):
    assert init.calculate_gain(name, param_) == pytest.approx(gain)


def test_calculate_gain_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_of_a_matrix_are_columns_and_rows():
    assert init.fan_in_and_fan_out(param(3, 5)) == (5, 3)


def test_fans_include_the_kernel_size():
    assert init.fan_in_and_fan_out(param(8, 4, 3, 3)) == (36, 72)


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fan_in_and_fan_out(param(3))


def test_constant_initialisers_fill_the_tensor():
    p = param(2, 3)
    assert np.all(init.ones_(p).data == 1) and np.all(init.zeros_(p).data == 0)
    assert np.all(init.constant_(p, 0.5).data == 0.5)


def test_initialisers_write_in_place_and_bump_the_version():
    p = param(2, 3)
    data, version = p.data, p.version
    assert init.uniform_(p, rng=rng()) is p
    assert p.data is data and p.version > version


def test_initialisers_keep_the_dtype():
    p = nn.Parameter(np.zeros((3, 3), dtype=np.float32))
    assert init.normal_(p, rng=rng()).dtype == np.float32


def test_initialisers_also_fill_plain_arrays():
    a = np.zeros((4, 4))
    init.xavier_uniform_(a, rng=rng())
    assert np.any(a != 0)


def test_uniform_stays_in_its_interval():
    p = init.uniform_(param(100, 100), -0.3, 0.2, rng=rng())
    assert p.data.min() >= -0.3 and p.data.max() < 0.2


def test_normal_has_the_requested_mean_and_std():
    p = init.normal_(param(300, 300), 1.0, 0.5, rng=rng())
    assert abs(p.data.mean() - 1.0) < 0.01 and abs(p.data.std() - 0.5) < 0.01


def test_xavier_uniform_bound_is_gain_sqrt_six_over_fan_sum():
    p = init.xavier_uniform_(param(200, 100), gain=2.0, rng=rng())
    bound = 2.0 * math.sqrt(6 / 300)
    assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.99 * bound


def test_xavier_normal_std_is_gain_sqrt_two_over_fan_sum():
    p = init.xavier_normal_(param(300, 200), rng=rng())
    assert p.data.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)


def test_kaiming_uniform_bound_is_gain_sqrt_three_over_fan_in():
    p = init.kaiming_uniform_(param(200, 50), nonlinearity="relu", rng=rng())
    bound = math.sqrt(2) * math.sqrt(3 / 50)
    assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.99 * bound


def test_kaiming_uniform_with_a_sqrt5_is_pytorch_linear_bound():
    p = init.kaiming_uniform_(param(300, 25), a=math.sqrt(5), rng=rng())
    assert np.abs(p.data).max() <= 1 / 5 and np.abs(p.data).max() > 0.99 / 5


def test_kaiming_normal_fan_out_mode_uses_rows():
    p = init.kaiming_normal_(param(100, 400), mode="fan_out", nonlinearity="relu", rng=rng())
    assert p.data.std() == pytest.approx(math.sqrt(2 / 100), rel=0.02)


def test_kaiming_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_normal_(param(2, 2), mode="fan_avg")


def test_lecun_normal_is_randn_over_sqrt_fan_in():
    p = init.lecun_normal_(param(3, 4), rng=rng(5))
    np.testing.assert_array_equal(p.data, rng(5).standard_normal((3, 4)) / 2.0)


def test_same_generator_seed_gives_the_same_values():
    a = init.kaiming_normal_(param(4, 4), rng=rng(9))
    b = init.kaiming_normal_(param(4, 4), rng=rng(9))
    np.testing.assert_array_equal(a.data, b.data)


def test_manual_seed_makes_the_default_generator_reproducible():
    nn.manual_seed(11)
    a = init.normal_(param(3, 3)).data.copy()
    nn.manual_seed(11)
    np.testing.assert_array_equal(init.normal_(param(3, 3)).data, a)


def test_manual_seed_returns_the_new_default_generator():
    assert nn.manual_seed(1) is nn.get_rng()
