"""MLPClassifier and MLPRegressor: glassgrad's MLP behind scikit-learn's estimator API.

    clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0).fit(X, y)
    clf.predict(X_new), clf.predict_proba(X_new), clf.score(X_test, y_test)
    make_pipeline(StandardScaler(), MLPRegressor()).fit(X, y)

Nothing new happens inside: `fit` builds an `nn.MLP`, picks an optimizer from `nn.optim`, and hands
both to `nn.train.fit` with cross-entropy (classification) or mean squared error (regression).
What this file adds is scikit-learn's conventions: the constructor only stores its arguments, so
that `clone`, `get_params`, `set_params` and grid searches work; everything learned is stored in
attributes ending in `_`; inputs are checked the way scikit-learn checks them.

scikit-learn is not needed to use these classes. When it is installed they inherit its
BaseEstimator and mixins (and so its checks, tags, HTML repr and input validation); when it is
not, the small stand-ins below provide get_params/set_params/score and the same input checks.
"""
import inspect
import numbers
import warnings

import numpy as np

import autograd as ag

from . import functional as F
from . import optim
from .data import DataLoader
from .layers import MLP
from .train import EarlyStopping
from .train import fit as train_fit

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
    HAVE_SKLEARN = True
except ImportError:  # scikit-learn is optional: fall back to the stand-ins below
    HAVE_SKLEARN = False

__all__ = ["MLPClassifier", "MLPRegressor", "ConvergenceWarning", "HAVE_SKLEARN"]


# ----------------------------------------------------------------------------------------------
# Stand-ins for the parts of scikit-learn used here, for when it is not installed. They follow
# scikit-learn's behaviour (and error messages) closely enough for ordinary use; scikit-learn's
# own versions handle many more input types (pandas frames, feature names, ...).

if not HAVE_SKLEARN:

    class NotFittedError(ValueError, AttributeError):
        """predict/score/... was called before fit."""

    class ConvergenceWarning(UserWarning):
        """Training stopped at max_iter while the loss was still improving."""

    class BaseEstimator:
        """get_params / set_params / repr from the constructor's signature, as scikit-learn does."""

        @classmethod
        def _get_param_names(cls):
            signature = inspect.signature(cls.__init__)
            return sorted(p.name for p in signature.parameters.values()
                          if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(f"Invalid parameter {name!r} for estimator {self!r}. "
                                     f"Valid parameters are: {valid!r}.")
                setattr(self, name, value)
            return self

        def __repr__(self):
            defaults = {p.name: p.default
                        for p in inspect.signature(type(self).__init__).parameters.values()}
            changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                       if not (isinstance(v, type(defaults[k])) and v == defaults[k])]
            return f"{type(self).__name__}({', '.join(changed)})"

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            """Mean accuracy of predict(X) against y."""
            correct = (self.predict(X) == np.asarray(y).ravel()).astype(np.float64)
            return float(np.average(correct, weights=sample_weight))

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y, sample_weight=None):
            """Coefficient of determination R^2 of predict(X), averaged over the outputs."""
            y = np.asarray(y, dtype=np.float64)
            pred = self.predict(X).reshape(y.shape)
            if y.ndim == 1:
                y, pred = y[:, None], pred[:, None]
            w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
            residual = (w[:, None] * (y - pred) ** 2).sum(axis=0)
            total = (w[:, None] * (y - np.average(y, axis=0, weights=w)) ** 2).sum(axis=0)
            # scikit-learn's convention for a constant target: 1 if predicted exactly, else 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = np.where(total > 0, 1 - residual / total, (residual == 0).astype(float))
            return float(r2.mean())

    def check_is_fitted(estimator):
        if not any(k.endswith("_") and not k.startswith("__") for k in vars(estimator)):
            raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. "
                                 "Call 'fit' with appropriate arguments before using this "
                                 "estimator.")

    def check_classification_targets(y):
        y = np.asarray(y)
        if y.dtype.kind == "f" and np.any(y != np.round(y)):
            raise ValueError("Unknown label type: continuous. Classification needs discrete "
                             "labels (ints, strings, or floats with integral values); for a "
                             "continuous target use a regressor.")

    def _as_float_array(a, what):
        if hasattr(a, "toarray") or type(a).__module__.startswith("scipy.sparse"):
            raise TypeError(f"Sparse data was passed for {what}, but dense data is required. "
                            f"Use '{what}.toarray()' to convert to a dense numpy array.")
        a = np.asarray(a)
        if a.dtype.kind == "c":
            raise ValueError(f"Complex data not supported in {what}")
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{what} must hold numbers: {e}") from None
        if not np.isfinite(a).all():
            raise ValueError(f"Input {what} contains NaN or infinity.")
        return a

    def validate_data(estimator, X, y="no_validation", reset=True, dtype=np.float64,
                      multi_output=False, y_numeric=False):
        """Check X (and y) and return them as float64 arrays (y as given for a classifier)."""
        if y is None:
            raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the "
                             "target y is None")
        X = _as_float_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead: {X!r}.\nReshape "
                             "your data either using array.reshape(-1, 1) if your data has a "
                             "single feature or array.reshape(1, -1) if it contains a single "
                             "sample.")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with shape {X.shape}, but a minimum of 1 sample and "
                             "1 feature is required.")
        if reset:
            estimator.n_features_in_ = X.shape[1]
        elif X.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                             f"expecting {estimator.n_features_in_} features as input.")
        if isinstance(y, str) and y == "no_validation":
            return X
        y = _as_float_array(y, "y") if y_numeric else np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1 and not multi_output:
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please "
                          "change the shape of y to (n_samples,), for example using ravel().",
                          UserWarning, stacklevel=3)
            y = y.ravel()
        if y.ndim == 0 or y.ndim > (2 if multi_output else 1):
            raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
        if len(y) != len(X):
            raise ValueError("Found input variables with inconsistent numbers of samples: "
                             f"[{len(X)}, {len(y)}]")
        return X, y


# ----------------------------------------------------------------------------------------------

OPTIMIZERS = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD,
              "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "logistic", "leaky_relu", "identity")


def _generator(random_state):
    """A NumPy Generator from scikit-learn's kinds of random_state: None, an int, a RandomState
    (a seed is drawn from it, so that it advances as scikit-learn expects) or a Generator."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, checks, building and training."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam", lr=1e-3,
                 batch_size="auto", max_iter=200, weight_decay=0.0, momentum=0.9, tol=1e-4,
                 n_iter_no_change=10, random_state=None, verbose=False):
        # scikit-learn's rule: store the arguments untouched; check them in fit.
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    # -- checking the parameters (in fit, not in __init__) ------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):  # hidden_layer_sizes=50 means one layer of 50
            sizes = (sizes,)
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = None
        if sizes is None or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                                    and s > 0 for s in sizes):
            raise ValueError("hidden_layer_sizes must be a positive integer or a sequence of "
                             f"them, got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _check_params(self):
        def positive(name, integer=False):
            value = getattr(self, name)
            kinds = numbers.Integral if integer else numbers.Real
            if not isinstance(value, kinds) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive {'integer' if integer else 'number'}"
                                 f", got {value!r}")

        def non_negative(name):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")

        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}, "
                             f"got {self.optimizer!r}")
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            positive("batch_size", integer=True)
        positive("lr")
        positive("max_iter", integer=True)
        non_negative("weight_decay")
        non_negative("momentum")
        non_negative("tol")
        if self.n_iter_no_change is not None:
            positive("n_iter_no_change", integer=True)

    # -- training -----------------------------------------------------------------------------
    def _fit(self, X, targets, n_outputs, loss_fn, metrics):
        """Build a fresh MLP and train it on (X, targets); set the fitted attributes."""
        rng = _generator(self.random_state)
        activation = "sigmoid" if self.activation == "logistic" else self.activation
        sizes = [X.shape[1], *self._hidden_sizes(), n_outputs]
        model = MLP(sizes, activation=activation, dtype=np.float64, rng=rng)

        kwargs = dict(lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer == "sgd":
            kwargs["momentum"] = self.momentum
        optimizer = OPTIMIZERS[self.optimizer](model.parameters(), **kwargs)

        # "auto" is scikit-learn's choice: 200 samples a batch, or all of them if fewer.
        batch_size = min(200 if self.batch_size == "auto" else self.batch_size, len(X))
        loader = DataLoader(X, targets, batch_size=batch_size, shuffle=True,
                            seed=int(rng.integers(2**32)))
        # scikit-learn's stopping rule: end when the training loss has not improved by at least
        # tol for n_iter_no_change epochs in a row.
        callbacks = []
        if self.n_iter_no_change is not None:
            callbacks.append(EarlyStopping(monitor="train_loss", patience=self.n_iter_no_change,
                                           min_delta=self.tol, restore_best=False))
        history = train_fit(model, loss_fn, optimizer, loader, epochs=self.max_iter,
                            metrics=metrics, progress=bool(self.verbose), callbacks=callbacks)
        stopper = callbacks[0] if callbacks else None
        if stopper is not None and len(history) == self.max_iter \
                and stopper.wait < stopper.patience and not history.interrupted:
            # scikit-learn's own MLP warns the same way: the stopping rule never fired.
            warnings.warn(f"{type(self).__name__}: stopped at max_iter={self.max_iter} epochs "
                          "while the training loss was still improving by more than "
                          f"tol={self.tol}: it has not converged. Raise max_iter (or lr).",
                          ConvergenceWarning, stacklevel=3)
        model.eval()
        self.model_ = model
        self.history_ = history
        self.loss_curve_ = list(history["train_loss"])
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ = len(history)
        return self

    def _forward(self, X):
        """The trained network's raw outputs for X (checked like the training X), as an array."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with ag.no_grad():
            return self.model_(ag.Tensor(X)).data


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier trained with softmax cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Width of each hidden layer; the input and output sizes come from the data.
    activation : {"relu", "tanh", "sigmoid" (or "logistic"), "leaky_relu", "identity"}
        The hidden layers' activation.
    optimizer : {"adam", "adamw", "sgd", "rmsprop", "adagrad"}, default "adam"
        An optimizer from `nn.optim`, with learning rate `lr` and `weight_decay` (L2; decoupled
        for "adamw"); "sgd" also uses `momentum`.
    batch_size : int or "auto", default "auto" (min(200, n_samples))
    max_iter : int, default 200
        The largest number of epochs (passes over the training data).
    tol, n_iter_no_change : stop early when the training loss has not improved by at least
        `tol` for `n_iter_no_change` epochs in a row; n_iter_no_change=None always runs max_iter.
    random_state : None, int, RandomState or Generator
        Seeds the initial weights and the batch order; an int makes fit reproducible.
    verbose : bool, default False
        Show a progress bar per epoch.

    Attributes (after fit)
    ----------------------
    classes_ : the distinct labels of y, sorted; predict returns these.
    model_ : the trained `nn.MLP`, outputting one logit per class.
    history_ : the `nn.train.History` of the run; loss_curve_, loss_, n_iter_ summarise it.
    n_features_in_ (and feature_names_in_ for a DataFrame with scikit-learn installed).
    """

    def fit(self, X, y):
        """Train a new network on X (n_samples, n_features) and labels y; returns self."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        # Any labels -- strings, ints, floats -- become class indices 0..n_classes-1.
        classes, indices = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes, but y "
                             f"holds only 1 class: {classes[0]!r}")
        self.classes_ = classes
        return self._fit(X, indices.astype(np.int64), len(classes), F.cross_entropy,
                         metrics=("accuracy",))

    def predict_proba(self, X):
        """Probability of each class (columns in the order of classes_); each row sums to 1."""
        logits = self._forward(X)
        # Softmax by hand in NumPy: subtracting the row maximum keeps exp from overflowing.
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each sample, as a label from classes_."""
        logits = self._forward(X)  # first, so that an unfitted estimator raises NotFittedError
        return self.classes_[np.argmax(logits, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor trained with mean squared error, linear output.

    Parameters are those of `MLPClassifier`. y may be 1-D (one target) or 2-D (one column per
    target); predict returns 1-D for a single target, as scikit-learn's MLPRegressor does.

    Attributes (after fit): model_, history_, loss_curve_, loss_, n_iter_, n_outputs_,
    n_features_in_.
    """

    if HAVE_SKLEARN:
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.target_tags.multi_output = True  # y with several columns is fitted jointly
            return tags

    def fit(self, X, y):
        """Train a new network on X (n_samples, n_features) and targets y; returns self."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        targets = y.reshape(len(y), -1)
        self.n_outputs_ = targets.shape[1]
        return self._fit(X, targets, self.n_outputs_, F.mse_loss, metrics=())

    def predict(self, X):
        """The predicted targets: shape (n_samples,) for one target, else (n_samples, n_outputs)."""
        out = self._forward(X)
        return out.ravel() if self.n_outputs_ == 1 else out
