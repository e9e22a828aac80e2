"""The pictures' visual language in one place: colours, fonts, and graphviz's HTML-like labels."""
import html

FONT = "Helvetica"
MONO = "Courier"
COLOR = {
    "parameter": "#ffe4b5",      # leaves that require grad: what training changes
    "input": "#e3ecf7",          # leaves that do not: data, targets, constants
    "intermediate": "#ffffff",
    "output": "#d7f0d7",         # the roots that were drawn
    "op": "#eeeeee",
    "op_current": "#ffd54f",     # backward_frames: the op whose backward runs in this step
    "op_skipped": "#f7f7f7",
    "border": "#666666",
    "grad": "#b3261e",           # gradient text, on nodes and edges
    "grad_partial": "#9e9e9e",   # backward_frames: a gradient still being summed
    "badge": "#37474f",          # the step number of an op in the backward pass
    "zero": "#b0bec5",
    "nonfinite": "#ff5252",
    "exploding": "#ffab40",
    "muted": "#888888",
}
FLAG_TEXT = {
    "zero": "zero gradient",
    "nonfinite": "NaN/inf gradient",
    "exploding": "exploding gradient (norm > {:g})",
}


def esc(text):
    return html.escape(str(text), quote=True)


def lines(text, color=None, mono=False, size=None):
    """Escaped text, one <BR/> per line, in a FONT tag."""
    body = '<BR ALIGN="LEFT"/>'.join(esc(line) for line in str(text).split("\n"))
    attrs = ""
    if color:
        attrs += f' COLOR="{color}"'
    if mono:
        attrs += f' FACE="{MONO}"'
    if size:
        attrs += f' POINT-SIZE="{size}"'
    return f"<FONT{attrs}>{body}</FONT>" if attrs else body


def row(content, bgcolor=None):
    bg = f' BGCOLOR="{bgcolor}"' if bgcolor else ""
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{bg}>{content}</TD></TR>'


def table(rows, bgcolor, border_color, border=1, style=None):
    dashed = f' STYLE="{style}"' if style else ""
    return (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
            f'BGCOLOR="{bgcolor}" COLOR="{border_color}"{dashed}>{"".join(rows)}</TABLE>>')
