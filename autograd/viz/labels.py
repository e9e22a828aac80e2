"""What the boxes say: numbers as short text, and the labels of tensors and ops."""
import numpy as np

from ..inplace import Overwritten
from ..tensor import Tensor
from .style import COLOR, esc, lines, row, table


# ----------------------------------------------------------------------------------------------
# Numbers as short text

def num(v, digits=4):
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(v)
    return f"{v:.{digits}g}"


def values(a):
    """All values of a small array, one row per line for matrices."""
    a = np.asarray(a)
    if a.ndim == 0:
        return num(a.item())
    return np.array2string(a, separator=" ", max_line_width=60,
                           formatter={"float_kind": num, "int": num, "bool": num})


def norm(a):
    a = np.asarray(a)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.sum(np.square(a.astype(np.float64)))))


def summary(a):
    """mean/std/min/max of a large array, counting NaN and inf apart so they cannot hide."""
    a = np.asarray(a).astype(np.float64, copy=False)
    finite = a[np.isfinite(a)]
    out = []
    if finite.size:
        # three digits: a summary is for the eye, and narrow boxes keep big graphs readable
        out.append(f"mean {num(finite.mean(), 3)}  std {num(finite.std(), 3)}")
        out.append(f"min {num(finite.min(), 3)}  max {num(finite.max(), 3)}")
    bad = []
    if np.isnan(a).any():
        bad.append(f"{int(np.isnan(a).sum())} NaN")
    if np.isinf(a).any():
        bad.append(f"{int(np.isinf(a).sum())} inf")
    if bad:
        out.append(", ".join(bad) + f" of {a.size}")
    return "\n".join(out)


def array_text(a, max_elements):
    a = np.asarray(a)
    return values(a) if a.size <= max_elements else summary(a)


def edge_text(g, max_elements):
    """A gradient on an arrow: its values when small, else its shape and norm."""
    g = np.asarray(g)
    if g.size <= max_elements:
        return values(g)
    return f"{shape_text(g.shape)} \u2016g\u2016={num(norm(g), 3)}"


def constant_text(x, max_elements):
    """A constant input (Python number or ndarray): its values, or its type and a summary."""
    if not isinstance(x, (np.ndarray, np.generic, int, float, bool, complex)):  # a Ghost
        return f"{x.dtype} array {shape_text(x.shape)}\n(freed by backward)"
    a = np.asarray(x)
    if a.size <= max_elements:
        return values(a)
    return f"{a.dtype} array {shape_text(a.shape)}\n{summary(a)}"


def shape_text(shape):
    return "scalar" if tuple(shape) == () else str(tuple(shape))


def grad_flag(g, max_grad_norm):
    """'nonfinite', 'zero', 'exploding' or None: what a reader should notice about a gradient."""
    if g is None:
        return None
    g = np.asarray(g)
    if g.dtype.kind not in "fc":
        return None
    if not np.isfinite(g).all():
        return "nonfinite"
    if not g.any():
        return "zero"
    if norm(g) > max_grad_norm:
        return "exploding"
    return None


def short(v, width=32):
    if isinstance(v, np.ndarray):
        text = f"{v.dtype} array {shape_text(v.shape)}" if v.size > 6 else values(v)
    elif isinstance(v, float):
        text = num(v)
    else:
        text = repr(v) if not isinstance(v, str) else v
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "\u2026"


# ----------------------------------------------------------------------------------------------
# Labels

def tensor_label(t, kind, view, show, max_elements, max_grad_norm):
    """A tensor's box: name, shape and dtype; its values and its gradient (show="both"), with a
    highlighted row and border when the gradient is zero, NaN/inf or exploding. Returns
    (label, flag). A tensor whose values backward freed (a Ghost) says so, with a dashed border."""
    bg = COLOR[kind]
    live = isinstance(t, Tensor)
    head = f"<B>{esc(t.name)}</B>  " if t.name else ""
    head += lines(f"{shape_text(t.shape)} {t.dtype}", size=9, color=COLOR["muted"])
    rows = [row(head)]
    if show in ("data", "both"):
        if not live:
            text = "values freed by backward()"
        elif isinstance(t.data, Overwritten):
            text = "(overwritten in place)"
        else:
            text = array_text(t.data, max_elements)
        rows.append(row(lines(text, mono=live, size=10, color=None if live else COLOR["muted"])))
    flag = None
    if show in ("grad", "both") and t.requires_grad:
        state = view.grad_state.get(id(t), "shown")
        g = view.grads.get(id(t))
        if state == "hidden":
            # Same text as the final frame, drawn in the background colour: every frame keeps
            # the same node sizes, so dot lays them out the same and the slider does not jump.
            text = view.hidden_grads.get(id(t))
            if text is not None:
                rows.append(row(lines("grad " + text, color=bg, mono=True, size=10)))
        elif g is not None:
            flag = grad_flag(g, max_grad_norm) if state == "shown" else None
            # On a highlighted (coloured) row, red text would vanish: use black there.
            color = (COLOR["grad_partial"] if state == "partial" else
                     "#000000" if flag else COLOR["grad"])
            rows.append(row(lines("grad " + array_text(g, max_elements), color=color,
                                  mono=True, size=10),
                            bgcolor=COLOR[flag] if flag else None))
    style = None if live else "dashed"
    if flag:
        return table(rows, bg, COLOR[flag], border=3, style=style), flag
    label = table(rows, bg, COLOR["border"], style=style)
    if id(t) in view.thick:
        # backward_frames: this tensor is flagged (thick border) in a later frame. A thick
        # border would make the node bigger and move the layout, so reserve the room with
        # padding now: 2 * 2 padding + 2 * 1 border = 2 * 3 border.
        label = (f'<<TABLE BORDER="0" CELLPADDING="2" CELLSPACING="0"><TR><TD>{label[1:-1]}'
                 f'</TD></TR></TABLE>>')
    return label, None


def op_label(op, view):
    """The op's name, its parameters below it, and (draw_backward) a dark badge on the left with
    its step number in the backward pass."""
    text = f"<B>{esc(op.name)}</B>"
    params = ", ".join(f"{k}={short(v, 40)}" for k, v in op.params().items()
                       if not k.startswith("_"))
    if params:
        text += f'<BR ALIGN="LEFT"/>{lines(params, size=9)}'
    if id(op) in view.skipped:
        note = lines("(no gradient reached it)", color=COLOR["muted"], size=9)
        text += f'<BR ALIGN="LEFT"/>{note}'
    cells = f'<TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD>'
    number = view.numbers.get(id(op))
    if number is not None:
        # Fixed size: a cell otherwise takes a share of any spare width and looks stretched.
        width = 12 + 8 * len(str(number))
        cells = (f'<TD BGCOLOR="{COLOR["badge"]}" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="18">'
                 f'<FONT COLOR="white"><B>{number}</B></FONT></TD>' + cells)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">'
            f'<TR>{cells}</TR></TABLE>>')
