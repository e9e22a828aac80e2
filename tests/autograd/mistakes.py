"""A corpus of hand derivations written the way learners write them: right ones, and the classic
mistakes, each labelled with the cause compare_gradients must find.

Every case is a small network (samples as rows or as columns, float64 or float32), its forward
code (run under autograd by compare_gradients), and a backward pass in plain NumPy with one
mistake switched on. test_explain.py runs them all; `python tests/autograd/mistakes.py` prints
how many mistakes get a diagnosis of "wrong" or "partial" (no simple pattern) and how many of those
get the right cause, for the code on the PYTHONPATH.
"""
from dataclasses import dataclass, field

import numpy as np

from autograd import watch


@dataclass
class Case:
    """A hand derivation. `cause` is None for a right one (the report must be ok), else the cause
    the first wrong row must get; `row`, when given, is the name of that row, and `says` a piece
    of text its explanation must contain (the op, as written)."""
    name: str
    loss_fn: callable = field(repr=False)
    params: dict = field(repr=False)
    hand: dict = field(repr=False)
    cause: str = None
    row: str = None
    says: str = None

    @property
    def id(self):
        return self.name


class Layout:
    """Samples as rows (X is N x D, z = a @ W + b) or as columns (X is D x N, z = W @ a + b)."""

    def __init__(self, kind):
        self.kind = kind
        self.rows = kind == "rows"
        self.classes = 1 if self.rows else 0  # the axis a softmax normalises over

    def data(self, X):
        return X if self.rows else X.T.copy()

    def weight(self, rng, n_in, n_out, dtype):
        shape = (n_in, n_out) if self.rows else (n_out, n_in)
        return (rng.standard_normal(shape) / np.sqrt(n_in)).astype(dtype)

    def bias(self, rng, n, dtype):
        shape = (n,) if self.rows else (n, 1)
        return (0.1 * rng.standard_normal(shape)).astype(dtype)

    def dense(self, a, W, b=None):
        z = a @ W if self.rows else W @ a
        return z if b is None else z + b

    def grad_W(self, a, d):      # dL/dW from the layer's input a and its delta d
        return a.T @ d if self.rows else d @ a.T

    def grad_a(self, d, W):      # the delta sent back to the layer's input
        return d @ W.T if self.rows else W.T @ d

    def grad_a_untransposed(self, d, W):  # the classic slip: W where W.T belongs
        return d @ W if self.rows else W @ d

    def grad_b(self, d):
        return d.sum(axis=0) if self.rows else d.sum(axis=1, keepdims=True)

    def onehot(self, labels, classes, dtype):
        Y = np.eye(classes, dtype=dtype)[labels]
        return Y if self.rows else Y.T.copy()


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- activations as learners write them, forward and derivative ---------------------------------

ACTIVATIONS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
    "relu_mask": (lambda z: z * (z > 0), lambda z, a: (z > 0) * 1.0),
    "leaky": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z, a: np.where(z > 0, 1.0, 0.01)),
}

# The wrong derivatives: (activation, mistake) -> derivative(z, a); all are local derivatives.
WRONG_DERIVATIVES = {
    ("sigmoid", "left_out"): lambda z, a: 1.0,
    ("sigmoid", "sigmoid_of_a"): lambda z, a: sigmoid(a) * (1 - sigmoid(a)),
    ("sigmoid", "one_minus_sigmoid_of_a"): lambda z, a: 1 - sigmoid(a),
    ("sigmoid", "on_the_pre_activation"): lambda z, a: z * (1 - z),
    ("sigmoid", "one_minus_a"): lambda z, a: 1 - a,
    ("tanh", "left_out"): lambda z, a: 1.0,
    ("tanh", "no_square"): lambda z, a: 1 - a,
    ("tanh", "on_the_pre_activation"): lambda z, a: 1 - z ** 2,
    ("tanh", "tanh_of_a"): lambda z, a: 1 - np.tanh(a) ** 2,
    ("tanh", "sigmoid_formula"): lambda z, a: a * (1 - a),
    ("relu", "left_out"): lambda z, a: 1.0,
    ("relu", "leaky_slope"): lambda z, a: np.where(z > 0, 1.0, 0.01),
    ("relu", "values_for_mask"): lambda z, a: a,
    ("relu_mask", "left_out"): lambda z, a: 1.0,
    ("leaky", "relu_slope"): lambda z, a: (z > 0) * 1.0,
    ("leaky", "left_out"): lambda z, a: 1.0,
}

# What the explanation names for a step through each activation
SAYS = {"sigmoid": "sigmoid", "tanh": "np.tanh", "relu": "np.maximum", "relu_mask": "*",
        "leaky": "np.where"}


# -- a two-layer network: X -> dense -> activation -> dense -> head ------------------------------

HEADS = ("softmax", "log_softmax", "mse", "sigmoid_bce", "sigmoid_mse")


def two_layer(act="sigmoid", head="softmax", layout="rows", dtype=np.float64, mistake=None,
              sizes=(6, 4, 5, 3), l2=0.0, seed=0, watch_a1=False, a1_row=False):
    """The network, its forward code and its hand derivation with `mistake` (None: right)."""
    L = Layout(layout)
    rng = np.random.default_rng(seed)
    N, D, H, C = sizes
    if head in ("sigmoid_bce", "sigmoid_mse"):
        C = 1
    X = L.data(rng.standard_normal((N, D)).astype(dtype))
    labels = rng.integers(0, C, N) if C > 1 else None
    if head in ("softmax", "log_softmax"):
        labels = np.arange(N) % C  # every class present
        T = L.onehot(labels, C, dtype)
    elif head == "mse":
        T = L.data(rng.standard_normal((N, C)).astype(dtype))
    else:
        T = L.data(rng.integers(0, 2, (N, 1)).astype(dtype))
    params = {"W1": L.weight(rng, D, H, dtype), "b1": L.bias(rng, H, dtype),
              "W2": L.weight(rng, H, C, dtype), "b2": L.bias(rng, C, dtype)}
    f, df = ACTIVATIONS[act]
    axis = L.classes

    def loss_fn(W1, b1, W2, b2):
        z1 = watch("z1", L.dense(X, W1, b1))
        a1 = f(z1)
        if watch_a1:
            a1 = watch("a1", a1)
        z2 = watch("z2", L.dense(a1, W2, b2))
        if head == "softmax":
            e = np.exp(z2 - np.max(z2, axis=axis, keepdims=True))
            p = e / np.sum(e, axis=axis, keepdims=True)
            data = -np.sum(T * np.log(p)) / N
        elif head == "log_softmax":
            logp = z2 - np.log(np.sum(np.exp(z2), axis=axis, keepdims=True))
            picked = logp[np.arange(N), labels] if L.rows else logp[labels, np.arange(N)]
            data = -np.mean(picked)
        elif head == "mse":
            data = np.mean((z2 - T) ** 2)
        elif head == "sigmoid_bce":
            out = 1 / (1 + np.exp(-z2))
            data = -np.mean(T * np.log(out) + (1 - T) * np.log(1 - out))
        else:
            out = 1 / (1 + np.exp(-z2))
            data = 0.5 * np.mean((out - T) ** 2)
        if l2:
            data = data + l2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        return data

    # -- the learner's backward pass, in NumPy ---------------------------------------------------
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    z1 = L.dense(X, W1, b1)
    a1 = ACTIVATIONS[act][0](z1)
    z2 = L.dense(a1, W2, b2)
    if head in ("softmax", "log_softmax"):
        e = np.exp(z2 - z2.max(axis=axis, keepdims=True))
        p = e / e.sum(axis=axis, keepdims=True)
        dz2 = (p - T) / N
        if mistake == "softmax_diagonal_only":
            dz2 = (-T / p) * p * (1 - p) / N
        elif mistake == "extra_softmax_prime":
            dz2 = (p - T) * p * (1 - p) / N
        elif mistake == "p_minus_1":
            dz2 = (p - 1) / N
        elif mistake == "p_minus_labels":
            dz2 = (p - (labels if not L.rows else labels[:, None])) / N
        out = p
    elif head == "mse":
        dz2 = 2 * (z2 - T) / T.size
        out = z2
    elif head == "sigmoid_bce":
        out = sigmoid(z2)
        dz2 = (out - T) / N
        if mistake == "extra_sigmoid_prime":
            dz2 = dz2 * out * (1 - out)
    else:
        out = sigmoid(z2)
        dz2 = (out - T) * out * (1 - out) / N
        if mistake == "output_derivative_left_out":
            dz2 = (out - T) / N
    dW2 = L.grad_W(a1, dz2)
    db2 = L.grad_b(dz2)
    da1 = L.grad_a(dz2, W2)
    if mistake == "W_not_transposed":
        da1 = L.grad_a_untransposed(dz2, W2)
    elif mistake == "outputs_sent_back":
        da1 = L.grad_a(out, W2)
    elif mistake == "pre_activation_values_sent_back":
        da1 = L.grad_a(z2, W2)
    derivative = df(z1, a1)
    if (act, mistake) in WRONG_DERIVATIVES:
        derivative = WRONG_DERIVATIVES[act, mistake](z1, a1)
    dz1 = da1 * derivative
    if mistake == "activation_gradient_for_pre_activation":
        dz1 = da1
    if mistake == "delta_of_the_next_layer":
        dz1 = dz2
    dW1 = L.grad_W(X, dz1)
    db1 = L.grad_b(dz1)
    if l2:
        dW2 = dW2 + 2 * l2 * W2
        dW1 = dW1 + {"l2_forgotten": 0, "l2_factor_2_missing": 1}.get(mistake, 2) * l2 * W1
    if mistake == "l2_on_bias":
        db1 = db1 + 2 * 0.01 * b1
    if mistake == "l2_in_backward_only":
        dW1 = dW1 + 2 * 0.01 * W1
    hand = {"z2": dz2, "W2": dW2, "b2": db2, "z1": dz1, "W1": dW1, "b1": db1}
    if a1_row:
        hand["a1"] = da1
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


def _label(*parts):
    return "-".join(str(p) for p in parts if p)


# -- the corpus -----------------------------------------------------------------------------------

def _two_layer_cases():
    out = []
    for layout in ("rows", "cols"):
        for dtype in (np.float64, np.float32):
            dt = "f32" if dtype == np.float32 else "f64"
            for act in ACTIVATIONS:
                for head in HEADS:
                    seed = len(out)
                    lf, p, h = two_layer(act, head, layout, dtype, seed=seed)
                    out.append(Case(_label("right", act, head, layout, dt), lf, p, h))
            for (act, mistake) in WRONG_DERIVATIVES:
                for head in ("softmax", "mse"):
                    lf, p, h = two_layer(act, head, layout, dtype, mistake, seed=len(out))
                    out.append(Case(_label(act, mistake, head, layout, dt), lf, p, h,
                                    "local_derivative", "z1", SAYS[act]))
            for act in ("sigmoid", "tanh"):
                for head in ("softmax", "log_softmax"):
                    for mistake, cause, row, says in (
                            ("softmax_diagonal_only", "local_derivative", "z2", "softmax"),
                            ("extra_softmax_prime", "local_derivative", "z2", "softmax"),
                            ("p_minus_1", "local_derivative", "z2", "softmax"),
                            ("outputs_sent_back", "values_for_gradient", "z1", None)):
                        lf, p, h = two_layer(act, head, layout, dtype, mistake, seed=len(out))
                        out.append(Case(_label(act, head, mistake, layout, dt), lf, p, h, cause,
                                        row, says))
                lf, p, h = two_layer(act, "sigmoid_bce", layout, dtype, "extra_sigmoid_prime",
                                     seed=len(out))
                out.append(Case(_label(act, "bce", "extra_sigmoid_prime", layout, dt), lf, p, h,
                                "local_derivative", "z2", "sigmoid"))
                lf, p, h = two_layer(act, "sigmoid_mse", layout, dtype,
                                     "output_derivative_left_out", seed=len(out))
                out.append(Case(_label(act, "sigmoid_mse", "output_derivative_left_out", layout,
                                       dt), lf, p, h, "local_derivative", "z2", "sigmoid"))
                lf, p, h = two_layer(act, "mse", layout, dtype, "outputs_sent_back",
                                     seed=len(out))
                out.append(Case(_label(act, "mse", "outputs_sent_back", layout, dt), lf, p, h,
                                "values_for_gradient", "z1"))
            if layout == "cols":
                lf, p, h = two_layer("tanh", "softmax", layout, dtype, "p_minus_labels",
                                     seed=len(out))
                out.append(Case(_label("tanh", "p_minus_labels", layout, dt), lf, p, h,
                                "local_derivative", "z2", "softmax"))
            # square layers: W where W.T belongs, and the next layer's delta
            for act in ("sigmoid", "tanh", "relu"):
                lf, p, h = two_layer(act, "softmax", layout, dtype, "W_not_transposed",
                                     sizes=(6, 4, 3, 3), seed=len(out))
                out.append(Case(_label(act, "W_not_transposed", layout, dt), lf, p, h,
                                "local_derivative", "z1", "@"))
                lf, p, h = two_layer(act, "mse", layout, dtype, "delta_of_the_next_layer",
                                     sizes=(6, 4, 3, 3), seed=len(out))
                out.append(Case(_label(act, "delta_of_the_next_layer", layout, dt), lf, p, h,
                                "other_tensor", "z1", "z2"))
            # the activation's gradient handed in for the pre-activation
            lf, p, h = two_layer("tanh", "softmax", layout, dtype,
                                 "activation_gradient_for_pre_activation", watch_a1=True,
                                 seed=len(out))
            out.append(Case(_label("activation_gradient_watched", layout, dt), lf, p, h,
                            "other_tensor", "z1", "a1"))
            lf, p, h = two_layer("sigmoid", "mse", layout, dtype,
                                 "activation_gradient_for_pre_activation", watch_a1=True,
                                 a1_row=True, seed=len(out))
            out.append(Case(_label("activation_gradient_with_its_row", layout, dt), lf, p, h,
                            "local_derivative", "z1", "sigmoid"))
            # L2: forgotten, factor 2 missing, on the biases, in backward only
            for mistake, cause, l2 in (("l2_forgotten", "missing_term", 0.05),
                                       ("l2_factor_2_missing", "missing_term", 0.05),
                                       ("l2_on_bias", "extra_term", 0.05),
                                       ("l2_in_backward_only", "extra_term", 0.0)):
                lf, p, h = two_layer("tanh", "softmax", layout, dtype, mistake, l2=l2,
                                     seed=len(out))
                row = "b1" if mistake == "l2_on_bias" else "W1"
                out.append(Case(_label(mistake, layout, dt), lf, p, h, cause, row))
            lf, p, h = two_layer("tanh", "softmax", layout, dtype, l2=0.05, seed=len(out))
            out.append(Case(_label("right", "l2", layout, dt), lf, p, h))
    return out


# -- tied weights: an autoencoder whose decoder is the encoder's transpose ----------------------

def tied_autoencoder(layout="rows", dtype=np.float64, mistake=None, seed=0):
    L = Layout(layout)
    rng = np.random.default_rng(seed)
    N, D, H = 7, 5, 3
    X = L.data(rng.standard_normal((N, D)).astype(dtype))
    params = {"W": L.weight(rng, D, H, dtype), "b": L.bias(rng, H, dtype)}

    def loss_fn(W, b):
        h = np.tanh(L.dense(X, W, b))
        out = watch("out", L.dense(h, W.T))
        return np.mean((out - X) ** 2)

    W, b = params["W"], params["b"]
    h = np.tanh(L.dense(X, W, b))
    out = L.dense(h, W.T)
    dout = 2 * (out - X) / X.size
    dW_decoder = L.grad_W(h, dout).T
    dz = L.grad_a(dout, W.T) * (1 - h ** 2)
    dW_encoder = L.grad_W(X, dz)
    dW = {"encoder_only": dW_encoder, "decoder_only": dW_decoder}.get(mistake,
                                                                     dW_encoder + dW_decoder)
    hand = {"out": dout, "W": dW, "b": L.grad_b(dz)}
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


# -- a residual block: y = x + tanh(x W1) W2 ------------------------------------------------------

def residual(layout="rows", dtype=np.float64, mistake=None, seed=0):
    L = Layout(layout)
    rng = np.random.default_rng(seed)
    N, D, H = 6, 3, 4
    X = L.data(rng.standard_normal((N, D)).astype(dtype))
    T = L.data(rng.standard_normal((N, 2)).astype(dtype))
    params = {"W0": L.weight(rng, D, H, dtype), "W1": L.weight(rng, H, H, dtype),
              "W2": L.weight(rng, H, H, dtype), "W3": L.weight(rng, H, 2, dtype)}

    def loss_fn(W0, W1, W2, W3):
        x = watch("x", L.dense(X, W0))
        y = watch("y", x + L.dense(np.tanh(L.dense(x, W1)), W2))
        return np.mean((L.dense(y, W3) - T) ** 2)

    W0, W1, W2, W3 = (params[k] for k in ("W0", "W1", "W2", "W3"))
    x = L.dense(X, W0)
    t = np.tanh(L.dense(x, W1))
    y = x + L.dense(t, W2)
    out = L.dense(y, W3)
    dout = 2 * (out - T) / T.size
    dy = L.grad_a(dout, W3)
    dt = L.grad_a(dy, W2)
    dpre = dt * (1 - t ** 2)
    dx_branch = L.grad_a(dpre, W1)
    dx = dx_branch if mistake == "identity_path_forgotten" else dy + dx_branch
    hand = {"W3": L.grad_W(y, dout), "y": dy, "W2": L.grad_W(t, dy), "W1": L.grad_W(x, dpre),
            "x": dx, "W0": L.grad_W(X, dx)}
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


# -- a small RNN, back-propagated through time ----------------------------------------------------

def rnn(dtype=np.float64, mistake=None, seed=0, steps=4):
    rng = np.random.default_rng(seed)
    N, D, H = 5, 3, 4
    xs = [rng.standard_normal((N, D)).astype(dtype) for _ in range(steps)]
    T = rng.standard_normal((N, 2)).astype(dtype)
    params = {"Wx": (rng.standard_normal((D, H)) * 0.5).astype(dtype),
              "Wh": (rng.standard_normal((H, H)) * 0.5).astype(dtype),
              "b": np.zeros(H, dtype=dtype),
              "Wy": (rng.standard_normal((H, 2)) * 0.5).astype(dtype)}

    def loss_fn(Wx, Wh, b, Wy):
        h = np.zeros((N, H), dtype=dtype)
        for x in xs:
            h = np.tanh(x @ Wx + h @ Wh + b)
        return np.mean((h @ Wy - T) ** 2)

    Wx, Wh, b, Wy = (params[k] for k in ("Wx", "Wh", "b", "Wy"))
    hs = [np.zeros((N, H), dtype=dtype)]
    for x in xs:
        hs.append(np.tanh(xs[len(hs) - 1] @ Wx + hs[-1] @ Wh + b))
    dout = 2 * (hs[-1] @ Wy - T) / T.size
    dWy = hs[-1].T @ dout
    dh = dout @ Wy.T
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for t in reversed(range(steps)):
        dpre = dh * (1 - hs[t + 1] ** 2)
        dWx += xs[t].T @ dpre
        dWh += hs[t].T @ dpre
        db += dpre.sum(axis=0)
        dh = dpre @ Wh.T
        if mistake == "bptt_cut":
            break  # only the last step
    hand = {"Wy": dWy, "Wh": dWh, "Wx": dWx, "b": db}
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


# -- source 000 and 003 as written -----------------------------------------------------------------

def three_layer_sigmoid(layout="rows", dtype=np.float64, mistake=None, seed=0):
    """Source 003: two sigmoid hidden layers of 3 units, softmax output, averaged CE."""
    L = Layout(layout)
    rng = np.random.default_rng(seed)
    N, D, H, C = 8, 6, 3, 2
    X = L.data(rng.standard_normal((N, D)).astype(dtype))
    labels = np.arange(N) % C
    Y = L.onehot(labels, C, dtype)
    params = {"W1": L.weight(rng, D, H, dtype), "b1": L.bias(rng, H, dtype),
              "W2": L.weight(rng, H, H, dtype), "b2": L.bias(rng, H, dtype),
              "W3": L.weight(rng, H, C, dtype), "b3": L.bias(rng, C, dtype)}
    axis = L.classes

    def loss_fn(W1, b1, W2, b2, W3, b3):
        a1 = sigmoid(watch("z1", L.dense(X, W1, b1)))
        a2 = sigmoid(watch("z2", L.dense(a1, W2, b2)))
        z3 = watch("z3", L.dense(a2, W3, b3))
        e = np.exp(z3)
        probs = e / np.sum(e, axis=axis, keepdims=True)
        return -np.sum(Y * np.log(probs)) / N

    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    a1 = sigmoid(L.dense(X, W1, b1))
    a2 = sigmoid(L.dense(a1, W2, b2))
    e = np.exp(L.dense(a2, W3, b3))
    probs = e / e.sum(axis=axis, keepdims=True)
    d3 = (probs - Y) / N

    def sig_grad(a):
        return 1 - sigmoid(a) if mistake == "one_minus_sigmoid_of_a" else a * (1 - a)

    back = L.grad_a_untransposed if mistake == "W_not_transposed" else L.grad_a
    d2 = L.grad_a(d3, W3) * sig_grad(a2)
    d1 = back(d2, W2) * sig_grad(a1)
    hand = {"z3": d3, "W3": L.grad_W(a2, d3), "b3": L.grad_b(d3),
            "z2": d2, "W2": L.grad_W(a1, d2), "b2": L.grad_b(d2),
            "z1": d1, "W1": L.grad_W(X, d1), "b1": L.grad_b(d1)}
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


def source_000(mistake=None, dtype=np.float64, seed=0):
    """Source 000's network (columns are samples), its loss summed over the batch."""
    rng = np.random.default_rng(seed)
    I, H, O, N = 6, 5, 4, 8
    X = rng.uniform(0, 1, (I, N)).astype(dtype)
    Y = np.eye(O, dtype=dtype)[np.arange(N) % O].T
    params = {"wih": (rng.standard_normal((H, I)) / np.sqrt(I)).astype(dtype),
              "who": (rng.standard_normal((O, H)) / np.sqrt(H)).astype(dtype)}
    class_axis = 1 if mistake == "normalised_over_the_batch" else 0
    squash = mistake == "activation_before_softmax"

    def forward(wih, who):
        hidden_in = watch("hidden_in", np.dot(wih, X))
        hidden_out = sigmoid(hidden_in)
        final_in = watch("final_in", np.dot(who, hidden_out))
        scores = sigmoid(final_in) if squash else final_in
        e = np.exp(scores)
        return hidden_in, hidden_out, e / np.sum(e, axis=class_axis, keepdims=True)

    def loss_fn(wih, who):
        return -np.sum(Y * np.log(forward(wih, who)[2]))

    wih, who = params["wih"], params["who"]
    hidden_in = wih @ X
    hidden_out = sigmoid(hidden_in)
    final_in = who @ hidden_out
    e = np.exp(sigmoid(final_in) if squash else final_in)
    p = e / e.sum(axis=class_axis, keepdims=True)
    final_error = p - Y
    if mistake == "mse_recipe_with_softmax":
        final_error = (p - Y) * p * (1 - p)
    hidden_error = who.T @ final_error
    if mistake == "outputs_sent_back":
        hidden_error = who.T @ p
    if mistake == "loss_sent_back":
        hidden_error = who.T @ -np.log(p)
    hidden_delta = hidden_error * hidden_out * (1 - hidden_out)
    hand = {"final_in": final_error, "who": final_error @ hidden_out.T,
            "hidden_in": hidden_delta, "wih": hidden_delta @ X.T}
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


def fused_loss(loss="cross_entropy", dtype=np.float64, mistake=None, seed=0):
    """A tanh layer and nn.functional's fused losses (softmax or sigmoid inside the loss op)."""
    from nn import functional as F
    rng = np.random.default_rng(seed)
    N, D, H, C = 6, 4, 5, 3
    X = rng.standard_normal((N, D)).astype(dtype)
    labels = np.arange(N) % C
    if loss == "bce_with_logits":
        C = 1
        T = rng.integers(0, 2, (N, 1)).astype(dtype)
    params = {"W1": (rng.standard_normal((D, H)) / 2).astype(dtype),
              "W2": (rng.standard_normal((H, C)) / 2).astype(dtype)}

    def loss_fn(W1, W2):
        z = watch("z", np.tanh(X @ W1) @ W2)
        if loss == "bce_with_logits":
            return F.binary_cross_entropy_with_logits(z, T)
        return F.cross_entropy(z, labels)

    h = np.tanh(X @ params["W1"])
    z = h @ params["W2"]
    if loss == "bce_with_logits":
        a = sigmoid(z)
        dz = (a - T) / N
        if mistake == "extra_sigmoid_prime":
            dz = dz * a * (1 - a)
    else:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        Y = np.eye(C, dtype=dtype)[labels]
        dz = {None: (p - Y) / N, "extra_softmax_prime": (p - Y) * p * (1 - p) / N,
              "softmax_diagonal_only": -Y * (1 - p) / N, "p_minus_1": (p - 1) / N,
              "p_minus_labels": (p - labels[:, None]) / N}[mistake]
    dh = dz @ params["W2"].T * (1 - h ** 2)
    hand = {"z": dz, "W2": h.T @ dz, "W1": X.T @ dh}
    return loss_fn, params, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


SOURCE_000 = {  # mistake -> (cause, first wrong row, what the explanation names)
    "normalised_over_the_batch": ("local_derivative", "final_in", "softmax"),
    "activation_before_softmax": ("local_derivative", "final_in", "sigmoid"),
    "outputs_sent_back": ("values_for_gradient", "hidden_in", "final_in"),
    "mse_recipe_with_softmax": ("local_derivative", "final_in", "softmax"),
    "loss_sent_back": ("values_for_gradient", "hidden_in", "np.log"),
}


def _other_cases():
    out = []
    for dtype, dt in ((np.float64, "f64"), (np.float32, "f32")):
        for layout in ("rows", "cols"):
            for mistake in (None, "encoder_only", "decoder_only"):
                lf, p, h = tied_autoencoder(layout, dtype, mistake, seed=len(out))
                out.append(Case(_label("tied", mistake or "right", layout, dt), lf, p, h,
                                mistake and "missing_term", "W" if mistake else None))
            for mistake in (None, "identity_path_forgotten"):
                lf, p, h = residual(layout, dtype, mistake, seed=len(out))
                out.append(Case(_label("residual", mistake or "right", layout, dt), lf, p, h,
                                mistake and "missing_term", "x" if mistake else None, "+"
                                if mistake else None))
            for mistake in (None, "one_minus_sigmoid_of_a", "W_not_transposed"):
                lf, p, h = three_layer_sigmoid(layout, dtype, mistake, seed=len(out))
                out.append(Case(_label("source_003", mistake or "right", layout, dt), lf, p, h,
                                mistake and "local_derivative",
                                {"one_minus_sigmoid_of_a": "z2", "W_not_transposed": "z1"}.get(
                                    mistake)))
        for mistake in (None, "bptt_cut"):
            lf, p, h = rnn(dtype, mistake, seed=len(out))
            out.append(Case(_label("rnn", mistake or "right", dt), lf, p, h,
                            mistake and "missing_term"))
        lf, p, h = source_000(None, dtype)
        out.append(Case(_label("source_000", "right", dt), lf, p, h))
        for loss, mistake in (("cross_entropy", None), ("cross_entropy", "extra_softmax_prime"),
                              ("cross_entropy", "softmax_diagonal_only"),
                              ("cross_entropy", "p_minus_1"), ("cross_entropy", "p_minus_labels"),
                              ("bce_with_logits", None),
                              ("bce_with_logits", "extra_sigmoid_prime")):
            lf, p, h = fused_loss(loss, dtype, mistake, seed=len(out))
            out.append(Case(_label("F", loss, mistake or "right", dt), lf, p, h,
                            mistake and "local_derivative", mistake and "z",
                            mistake and "F." + loss.replace("bce", "binary_cross_entropy")))
        for mistake, (cause, row, says) in SOURCE_000.items():
            lf, p, h = source_000(mistake, dtype, seed=len(out))
            out.append(Case(_label("source_000", mistake, dt), lf, p, h, cause, row, says))
    return out


def corpus():
    """Every case, right ones and mistakes."""
    return _two_layer_cases() + _other_cases()


if __name__ == "__main__":  # the rates, for the code on the PYTHONPATH
    from autograd import compare_gradients

    cases = corpus()
    right = [c for c in cases if c.cause is None]
    wrong = [c for c in cases if c.cause is not None]
    false_alarms = [c.name for c in right if not compare_gradients(c.loss_fn, c.params, c.hand).ok]
    unexplained, explained, simple = [], [], 0
    for c in wrong:
        report = compare_gradients(c.loss_fn, c.params, c.hand)
        row = report[report.first_mismatch] if report.first_mismatch else None
        if row is None or row.diagnosis not in ("wrong", "partial"):
            simple += 1
            continue
        unexplained.append(c.name)
        if getattr(row, "cause", None) == c.cause:
            explained.append(c.name)
    print(f"{len(right)} right derivations, {len(false_alarms)} not ok: {false_alarms}")
    print(f"{len(wrong)} mistakes: {len(unexplained)} diagnosed wrong/partial (no simple pattern),"
          f" {simple} with a simple diagnosis or none")
    print(f"of the {len(unexplained)}: {len(explained)} get the right cause "
          f"({len(explained) / max(len(unexplained), 1):.0%})")
    missed = sorted(set(unexplained) - set(explained))
    if missed:
        print("not explained:", missed)
