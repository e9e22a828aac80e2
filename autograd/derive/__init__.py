"""Show the derivation: the backward pass of a forward computation, written out as the NumPy a
learner would write by hand, and as formulas.

    d = derive(loss_fn, {"W1": W1, "W2": W2})
    print(d)                 # def gradients(W1, W2, x, y): ... one line per backward step
    d.function(W1=W1, W2=W2) # {"W1": dW1, "W2": dW2}, the same numbers as backward()
    d.math                   # the same steps in LaTeX (rendered in Jupyter)
    d.compare(my_grads)      # where a hand derivation departs from it

Files: capture.py runs the forward and collects the learner's names and lines; constants.py,
naming.py and templates.py turn values and op rules (`Op.code`, `Op.tex`) into text; writer.py
writes the backward steps, forward.py the forward lines they need, fusions.py the steps learners
know as one (p - Y, h (1 - h)); derivation.py assembles the result; display.py and compare.py
show it.
"""
from .derivation import Derivation, DerivationTooLarge, derive

__all__ = ["derive", "Derivation", "DerivationTooLarge"]
