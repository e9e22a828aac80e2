"""Source 000: a two-layer MNIST net stuck at 10% accuracy.

Column layout (one sample per column): X is (inputs x N), wih is (hidden x inputs), who is
(outputs x hidden). The network the answer points to:
    hidden_in = wih X,  hidden_out = sigmoid(hidden_in),  final_in = who hidden_out,
    p = softmax of final_in over the classes (axis 0, each column sums to 1),
    loss = -sum(Y log p) over the batch + l2/2 (|wih|^2 + |who|^2).
The learner's gradients are summed over the batch (np.dot over the N columns), so the loss here is
summed too. By hand:
    dL/dfinal_in  = p - Y                                    (softmax + cross-entropy)
    dL/dwho       = (p - Y) hidden_out^T + l2 who
    dL/dhidden_in = who^T (p - Y) * hidden_out (1 - hidden_out)
    dL/dwih       = dL/dhidden_in X^T + l2 wih
Each learner bug below is put back, one at a time, into this derivation. The learner's update is
`w = w - lr * grad`, so `grad` is what their code claims the gradient is.
"""
import numpy as np

from autograd import GradientLostWarning, Tensor
from autograd.check import compare_gradients, watch

I, H, O, N = 6, 5, 4, 8

rng = np.random.default_rng(0)
X = rng.uniform(0, 1, (I, N))                  # pixels in [0, 1], one image per column
labels = np.array([0, 1, 2, 3, 0, 1, 2, 3])    # each class twice
Y = np.eye(O)[labels].T                        # one-hot, (outputs x N)


def weights():
    r = np.random.default_rng(1)
    return {"wih": r.standard_normal((H, I)) / pow(I, 0.5),
            "who": r.standard_normal((O, H)) / pow(H, 0.5)}


def sigmoid(x, der=False):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s) if der else s


def forward(wih, who, *, class_axis=0, squash_logits=False):
    """The learner's forward pass. class_axis=1 is their normalisation loop (row f of the
    (outputs x N) matrix divided by its own sum, i.e. each output unit across the batch), written
    as one vectorised expression; squash_logits applies the activation before the exp."""
    hidden_input = watch("hidden_in", np.dot(wih, X))
    hidden_outputs = sigmoid(hidden_input)
    final_input = watch("final_in", np.dot(who, hidden_outputs))
    scores = sigmoid(final_input) if squash_logits else final_input
    final_outputs = np.exp(scores)
    final_outputs = final_outputs / np.sum(final_outputs, axis=class_axis, keepdims=True)
    return hidden_input, hidden_outputs, final_outputs


def make_loss(l2=0.0, **forward_options):
    def loss_fn(wih, who):
        p = forward(wih, who, **forward_options)[2]
        return -np.sum(Y * np.log(p)) + l2 / 2 * (np.sum(wih * wih) + np.sum(who * who))
    return loss_fn


def backprop(w, final_error, hidden_error=None, l2=0.0, **forward_options):
    """The rest of the learner's train_batch, given their output error term (dL/dfinal_in)."""
    wih, who = w["wih"], w["who"]
    hidden_input, hidden_outputs, _ = forward(wih, who, **forward_options)
    if hidden_error is None:
        hidden_error = np.dot(who.T, final_error)
    hidden_delta = hidden_error * sigmoid(hidden_input, der=True)
    grad_who = np.dot(final_error, hidden_outputs.T)
    grad_wih = np.dot(hidden_delta, X.T)
    return {"final_in": final_error, "hidden_in": hidden_delta,
            "who": grad_who + l2 * who, "wih": grad_wih + l2 * wih}


def outputs(w, **forward_options):
    return forward(w["wih"], w["who"], **forward_options)[2]


def test_p_minus_y_gradients_with_l2_penalty_match_autograd():
    w = weights()
    hand = backprop(w, outputs(w) - Y, l2=0.01)
    report = compare_gradients(make_loss(l2=0.01), w, hand)
    assert report.ok, str(report)


def test_normalising_each_output_unit_across_the_batch_is_caught_at_the_output_delta():
    w = weights()
    p = outputs(w, class_axis=1)
    report = compare_gradients(make_loss(class_axis=1), w,
                               backprop(w, p - Y, class_axis=1))
    assert report.first_mismatch == "final_in"


def test_activation_before_the_softmax_is_caught_at_the_output_delta():
    # p - y is the gradient of the logits only when nothing sits between them and the softmax
    w = weights()
    p = outputs(w, squash_logits=True)
    report = compare_gradients(make_loss(squash_logits=True), w,
                               backprop(w, p - Y, squash_logits=True))
    assert report.first_mismatch == "final_in"
    assert report["final_in"].diagnosis == "wrong"


def test_label_minus_output_then_subtracted_is_a_sign_flip_in_every_row():
    w = weights()
    final_error_wrt_out = Y - outputs(w)
    report = compare_gradients(make_loss(), w, backprop(w, final_error_wrt_out))
    assert report.first_mismatch == "final_in"
    assert {row.diagnosis for row in report} == {"sign"}


def test_hidden_error_from_the_outputs_is_caught_at_the_hidden_delta():
    w = weights()
    p = outputs(w)
    hidden_error_wrt_out = np.dot(w["who"].T, p)  # the outputs, not the output error
    report = compare_gradients(make_loss(), w, backprop(w, p - Y, hidden_error_wrt_out))
    assert report.first_mismatch == "hidden_in"
    assert report["final_in"].ok and report["who"].ok


def test_mse_style_output_gradient_with_a_softmax_is_caught_at_the_output_delta():
    # (p - y) times an element-wise "softmax derivative" p (1 - p): the MSE recipe, which ignores
    # that every logit moves every probability
    w = weights()
    p = outputs(w)
    report = compare_gradients(make_loss(), w, backprop(w, (p - Y) * p * (1 - p)))
    assert report.first_mismatch == "final_in"
    assert report["final_in"].diagnosis == "wrong"


def test_edit_one_output_error_p_minus_one_is_caught_at_the_output_delta():
    w = weights()
    final_error_wrt_out = outputs(w) - 1
    report = compare_gradients(make_loss(), w, backprop(w, final_error_wrt_out))
    assert report.first_mismatch == "final_in"


def test_edit_one_back_propagating_the_loss_is_caught_at_the_hidden_delta():
    w = weights()
    p = outputs(w)
    hidden_error_wrt_out = np.dot(w["who"].T, -np.log(p))
    report = compare_gradients(make_loss(), w, backprop(w, p - Y, hidden_error_wrt_out))
    assert report.first_mismatch == "hidden_in"


# ---- the learner's train_batch, as written, on Tensors ----------------------------------------

class NeuralNetwork:
    """Source 000's class, unchanged but for Python 3's print and seeded weights: its forward pass
    normalises the outputs row by row, in place, with Python's sum over each row."""

    def __init__(self, inodes, hnodes, outnodes, activation_func, learning_rate):
        self.inodes = inodes
        self.hnodes = hnodes
        self.onodes = outnodes
        self.activation_function = activation_func
        self.lr = learning_rate
        w = weights()
        self.wih = w["wih"]
        self.who = w["who"]

    def train_batch(self, training_data, target_labels, l2_penalty=0):
        train = np.array(training_data, ndmin=2).T
        label = np.array(target_labels, ndmin=2).T
        inputs = train # IxN
        hidden_input = np.dot(self.wih, inputs) # (HxI).(IxN) = HxN
        hidden_ouputs = self.activation_function(hidden_input) # (HxN) -> (HxN)
        final_input = np.dot(self.who, hidden_ouputs) # (OxH).(HxN) -> OxN
        final_outputs = self.activation_function(final_input) # OxN -> OxN
        final_outputs = np.exp(final_outputs) # OxN
        for f in range(len(final_outputs)):
            final_outputs[f] = final_outputs[f] / sum(final_outputs[f])
        final_error_wrt_out = label - final_outputs # OxN
        hidden_error_wrt_out = np.dot(self.who.T, final_outputs) # HxN
        final_in_wrt_out = self.activation_function(final_input, der=True) # OxN
        hidden_in_wrt_out = self.activation_function(hidden_input, der=True) # HxN
        grad_who = np.dot(final_error_wrt_out * final_in_wrt_out, hidden_ouputs.T) # (OxN).(NxH) -> OxH
        grad_wih = np.dot(hidden_error_wrt_out * hidden_in_wrt_out, inputs.T) # (HxN).(NxI) -> HxI
        self.who = self.who - self.lr * (grad_who + l2_penalty*(self.who))
        self.wih = self.wih - self.lr * (grad_wih + l2_penalty*(self.wih))
        return np.sum(final_error_wrt_out * final_error_wrt_out) / (2*len(training_data))


def test_the_learners_train_batch_runs_on_tensors_and_its_loss_has_the_vectorised_gradients(recwarn):
    net = NeuralNetwork(I, H, O, sigmoid, learning_rate=0.1)
    wih = net.wih = Tensor(net.wih, requires_grad=True)
    who = net.who = Tensor(net.who, requires_grad=True)
    error = net.train_batch(X.T, Y.T)  # one image (and one label) per row, as the learner passes them
    error.backward()

    # The same forward pass, vectorised: the loop divides row f by its own sum (axis 1).
    p = outputs({"wih": wih.data, "who": who.data}, class_axis=1, squash_logits=True)
    want = {k: Tensor(v, requires_grad=True) for k, v in weights().items()}
    q = forward(want["wih"], want["who"], class_axis=1, squash_logits=True)[2]
    (np.sum((Y - q) * (Y - q)) / (2 * N)).backward()

    assert np.isclose(error.item(), np.sum((Y - p) ** 2) / (2 * N), rtol=1e-13)
    np.testing.assert_allclose(wih.grad, want["wih"].grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(who.grad, want["who"].grad, rtol=1e-12, atol=1e-15)
    assert not [w for w in recwarn if issubclass(w.category, GradientLostWarning)]
