"""MLPClassifier and MLPRegressor: scikit-learn's estimator API, checked by scikit-learn itself,
then the behaviours a user relies on, then the stand-ins used when scikit-learn is missing."""
import contextlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import nn
from nn.data import sine, spirals
from nn.estimator import OPTIMIZERS, MLPClassifier, MLPRegressor
from nn.train import History


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Run BLAS on one thread: for these small matrices OpenBLAS's threads only wait for each
    other when the 2 cores are busy (the sine pipeline below runs 7x slower with 2 threads)."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
    with limits:
        yield


def blobs(n=60, classes=2, seed=0):
    """Well-separated Gaussian clusters in 2-D: any working classifier gets them all right."""
    rng = np.random.default_rng(seed)
    centres = 4.0 * np.stack([np.cos(np.arange(classes)), np.sin(np.arange(classes))], axis=1)
    y = np.arange(n) % classes
    return centres[y] + 0.3 * rng.standard_normal((n, 2)), y


def linear_targets(n=80, outputs=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = X @ rng.standard_normal((3, outputs))
    return X, (Y.ravel() if outputs == 1 else Y)


# --- scikit-learn's own conformance checks --------------------------------------------------
# With the defaults (a 100-unit hidden layer, 200 epochs at most) every check passes; none is
# marked as an expected failure. scikit-learn itself skips two checks per estimator here:
# the pandas ones (pandas is not installed) and the array-API one (needs SCIPY_ARRAY_API=1).

@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_passes_scikit_learn_estimator_check(estimator, check):
    check(estimator)


# --- the classifier --------------------------------------------------------------------------

def test_classifier_predicts_the_string_labels_it_was_trained_on():
    X, y = blobs()
    names = np.array(["dog", "cat"])[y]
    clf = MLPClassifier(random_state=0).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog"])
    np.testing.assert_array_equal(clf.predict(X), names)


@pytest.mark.parametrize("labels", [[-1, 1], [1.0, 3.0], [10, 20, 30]],
                         ids=["ints", "floats", "three"])
def test_classifier_maps_any_discrete_labels_to_classes(labels):
    X, y = blobs(classes=len(labels))
    clf = MLPClassifier(random_state=0).fit(X, np.asarray(labels)[y])
    np.testing.assert_array_equal(clf.classes_, labels)
    assert clf.score(X, np.asarray(labels)[y]) == 1.0


def test_predict_proba_rows_sum_to_one_with_columns_in_classes_order():
    X, y = blobs(classes=3)
    clf = MLPClassifier(random_state=0).fit(X, np.array(["c", "a", "b"])[y])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_classifier_refuses_a_single_class():
    X, _ = blobs()
    with pytest.raises(ValueError, match="at least 2 classes"):
        MLPClassifier().fit(X, np.zeros(len(X)))


def test_classifier_refuses_continuous_targets():
    X, _ = blobs()
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_classifier_network_has_one_output_per_class():
    X, y = blobs(classes=3)
    clf = MLPClassifier(hidden_layer_sizes=(8, 5), max_iter=2).fit(X, y)
    assert isinstance(clf.model_, nn.MLP)
    assert clf.model_.sizes == [2, 8, 5, 3]


# --- the regressor ---------------------------------------------------------------------------

def test_regressor_predicts_a_1d_array_for_one_target():
    X, y = linear_targets()
    reg = MLPRegressor(random_state=0).fit(X, y)
    assert reg.predict(X).shape == (len(X),)
    assert reg.score(X, y) > 0.95


def test_regressor_fits_several_targets_at_once():
    X, Y = linear_targets(outputs=2)
    reg = MLPRegressor(random_state=0).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == (len(X), 2)
    assert reg.score(X, Y) > 0.95


# --- fitting: parameters, attributes, reproducibility --------------------------------------------

def test_fit_returns_self_and_sets_attributes_ending_in_underscore():
    X, y = blobs()
    clf = MLPClassifier(max_iter=5, n_iter_no_change=None)
    assert clf.fit(X, y) is clf
    assert clf.n_features_in_ == 2
    assert isinstance(clf.history_, History)
    assert clf.n_iter_ == len(clf.loss_curve_) == 5
    assert clf.loss_ == clf.loss_curve_[-1]


def test_constructor_stores_arguments_untouched_and_fit_checks_them():
    clf = MLPClassifier(activation="swish", lr=-1)  # no error yet: scikit-learn's convention
    assert clf.get_params()["activation"] == "swish"
    with pytest.raises(ValueError, match="activation"):
        clf.fit(*blobs())


@pytest.mark.parametrize("params", [{"hidden_layer_sizes": (0,)}, {"lr": 0}, {"batch_size": 0},
                                    {"max_iter": 2.5}, {"optimizer": "lbfgs"}, {"tol": -1}])
def test_fit_rejects_invalid_parameters(params):
    with pytest.raises(ValueError, match=next(iter(params))):
        MLPClassifier(**params).fit(*blobs())


def test_hidden_layer_sizes_may_be_a_single_int():
    clf = MLPClassifier(hidden_layer_sizes=7, max_iter=1).fit(*blobs())
    assert clf.model_.sizes == [2, 7, 2]


def test_logistic_is_accepted_as_scikit_learns_name_for_sigmoid():
    clf = MLPClassifier(activation="logistic", max_iter=1).fit(*blobs())
    assert isinstance(clf.model_[1], nn.Sigmoid)


def test_the_same_random_state_gives_the_same_model():
    X, y = blobs()
    a = MLPClassifier(max_iter=20, random_state=3).fit(X, y).predict_proba(X)
    b = MLPClassifier(max_iter=20, random_state=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_refitting_starts_from_a_new_network():
    X, y = blobs()
    clf = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    first = clf.model_
    clf.fit(X, y)
    assert clf.model_ is not first
    assert clf.n_iter_ == 3


def test_training_stops_when_the_loss_stops_improving_by_tol():
    # A tolerance no loss can beat: epoch 1 sets the best, then n_iter_no_change epochs fail to
    # improve on it by tol, and training ends there instead of at max_iter.
    clf = MLPClassifier(max_iter=100, tol=1e6, n_iter_no_change=4).fit(*blobs())
    assert clf.n_iter_ == 5


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_learns_a_separable_problem(name):
    X, y = blobs()
    lr = {"sgd": 0.05, "adagrad": 0.05, "rmsprop": 0.01}.get(name, 0.01)
    clf = MLPClassifier(hidden_layer_sizes=(16,), optimizer=name, lr=lr, max_iter=50,
                        random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_predicting_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(np.zeros((2, 3)))


def test_predict_checks_the_number_of_features():
    clf = MLPClassifier(max_iter=1).fit(*blobs())
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        clf.predict(np.zeros((4, 3)))


def test_clone_gives_an_unfitted_copy_with_the_same_parameters():
    clf = MLPClassifier(hidden_layer_sizes=(5,), lr=0.01, max_iter=2).fit(*blobs())
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model_")


# --- inside scikit-learn's tools ---------------------------------------------------------------

def test_classifier_in_a_pipeline_with_a_scaler_cross_validates_on_spirals():
    (X, y), _ = spirals(100, classes=3, noise=0.1, seed=0)
    pipe = make_pipeline(StandardScaler(),
                         MLPClassifier(hidden_layer_sizes=(32, 32), lr=1e-2, max_iter=150,
                                       random_state=0))
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert scores.mean() >= 0.9  # chance is 1/3


def test_regressor_in_a_pipeline_with_a_scaler_cross_validates_on_sine():
    (X, y), _ = sine(300, seed=0)
    pipe = make_pipeline(StandardScaler(),
                         MLPRegressor(hidden_layer_sizes=(64, 64), activation="tanh", lr=1e-2,
                                      random_state=0))
    scores = cross_val_score(pipe, X, y.ravel(), cv=KFold(3, shuffle=True, random_state=0))
    assert scores.min() > 0.99  # R^2


# --- without scikit-learn ---------------------------------------------------------------------
# nn.estimator only needs NumPy. Load a fresh copy of it while every sklearn module is hidden,
# so that it falls back to its own get_params/set_params/score and input checks.

@pytest.fixture(scope="module")
def plain():
    path = Path(nn.__file__).with_name("estimator.py")
    with pytest.MonkeyPatch.context() as mp:
        for name in [m for m in sys.modules if m.split(".")[0] == "sklearn"] + ["sklearn"]:
            mp.setitem(sys.modules, name, None)  # None in sys.modules makes `import` fail
        spec = importlib.util.spec_from_file_location("nn._estimator_without_sklearn", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    assert not module.HAVE_SKLEARN
    return module


def test_without_sklearn_get_params_returns_the_constructor_arguments(plain):
    params = plain.MLPClassifier(lr=0.5, hidden_layer_sizes=(3,)).get_params()
    assert params == {**MLPClassifier().get_params(), "lr": 0.5, "hidden_layer_sizes": (3,)}


def test_without_sklearn_set_params_sets_them_and_returns_self(plain):
    clf = plain.MLPRegressor()
    assert clf.set_params(max_iter=7, random_state=1) is clf
    assert (clf.max_iter, clf.random_state) == (7, 1)


def test_without_sklearn_set_params_rejects_unknown_names(plain):
    with pytest.raises(ValueError, match="Invalid parameter 'alpha'"):
        plain.MLPClassifier().set_params(alpha=1.0)


def test_without_sklearn_repr_shows_the_changed_parameters(plain):
    assert repr(plain.MLPClassifier(lr=0.1)) == "MLPClassifier(lr=0.1)"


def test_without_sklearn_classifier_learns_string_labels_and_scores_accuracy(plain):
    X, y = blobs(classes=3)
    names = np.array(["a", "b", "c"])[y]
    clf = plain.MLPClassifier(random_state=0).fit(X, names)
    np.testing.assert_array_equal(clf.predict(X), names)
    flipped = names.copy()
    flipped[:6] = "a"
    assert clf.score(X, flipped) == pytest.approx(np.mean(flipped == names))


def test_without_sklearn_regressor_score_is_r2(plain):
    X, y = linear_targets()
    reg = plain.MLPRegressor(max_iter=5, random_state=0).fit(X, y)
    assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)))


def test_without_sklearn_column_vector_y_is_flattened_with_a_warning(plain):
    X, y = blobs()
    with pytest.warns(UserWarning, match="column-vector y"):
        clf = plain.MLPClassifier(max_iter=1).fit(X, y[:, None])
    assert clf.predict(X).shape == (len(X),)


def test_without_sklearn_predicting_before_fit_raises_not_fitted(plain):
    with pytest.raises(plain.NotFittedError, match="not fitted yet"):
        plain.MLPClassifier().predict(np.zeros((2, 2)))


def _with_nan(X):
    X = X.copy()
    X[0, 0] = np.nan
    return X


@pytest.mark.parametrize("make_X, error, message", [
    (_with_nan, ValueError, "NaN or infinity"),
    (lambda X: X * np.inf, ValueError, "NaN or infinity"),
    (lambda X: X[:, 0], ValueError, "Expected 2D array"),
    (lambda X: X[:0], ValueError, "minimum of 1 sample"),
    (lambda X: X.astype(complex), ValueError, "Complex data"),
    (lambda X: np.full(X.shape, "x", dtype=object), ValueError, "must hold numbers"),
    (scipy.sparse.csr_matrix, TypeError, "[Ss]parse data"),
], ids=["nan", "inf", "1d", "empty", "complex", "strings", "sparse"])
def test_without_sklearn_fit_rejects_bad_X(plain, make_X, error, message):
    X, y = blobs()
    with pytest.raises(error, match=message):
        plain.MLPClassifier().fit(make_X(X), y)


def test_without_sklearn_fit_rejects_y_of_another_length(plain):
    X, y = blobs()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        plain.MLPRegressor().fit(X, y[:-1])


def test_without_sklearn_fit_rejects_continuous_labels(plain):
    X, _ = blobs()
    with pytest.raises(ValueError, match="Unknown label type"):
        plain.MLPClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_without_sklearn_predict_checks_the_number_of_features(plain):
    reg = plain.MLPRegressor(max_iter=1).fit(*linear_targets())
    with pytest.raises(ValueError, match="X has 2 features, but MLPRegressor is expecting 3"):
        reg.predict(np.zeros((4, 2)))


# ---- stopping at max_iter -----------------------------------------------------------------------

@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_stopping_at_max_iter_unconverged_warns_with_scikit_learns_convergence_warning(Estimator):
    from sklearn.exceptions import ConvergenceWarning
    (X, y), _ = spirals(30, seed=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        Estimator(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)


def test_a_run_that_converges_before_max_iter_does_not_warn():
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    (X, y), _ = spirals(30, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, tol=10.0, n_iter_no_change=2,
                            random_state=0).fit(X, y)
    assert clf.n_iter_ < 50
