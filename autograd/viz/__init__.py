"""Pictures of the graph, and of backprop flowing through it.

    draw(*roots)               the graph the forward pass recorded: a box per tensor, a rounded box
                               per op, arrows in the forward direction (inputs -> op -> output);
                               after backward() it also shows every gradient backward computed
    draw_backward(root)        the same picture annotated for the backward pass: every op numbered
                               in the order the engine runs its backward, every arrow labelled with
                               the gradient flowing back along it, and tensors whose gradient is
                               zero, NaN/inf or exploding highlighted
    backward_frames(root)      one picture per backward step, to step through backprop
    frames_html(frames)        those pictures as a self-contained HTML page with a slider
    save_frames(frames, path)  ... written to a .html page, an animated .gif, or numbered files
    draw_layers(module)        a model as its layers with their parameter shapes (nn's
                               `Module.draw()` calls it)

Each drawing function returns a `graphviz.Digraph`: DOT source, which needs nothing to build.
Turning it into an image needs Graphviz's `dot` program (apt install graphviz / brew install
graphviz / conda install graphviz). Without `dot`, a drawing shown in Jupyter falls back to its
DOT text, and an explicit `.render()` or `.pipe()` raises an error that says what to install.

The `graphviz` Python package (and Pillow, for GIFs) is an optional extra
(`pip install glassgrad[viz]`); it is imported only when a drawing is made, so `import autograd`
works without it.

One idea per file: walk.py (walking the graph, through what backward left of it), labels.py and
style.py (what the boxes say, the colours), layout.py (direction and wrapping), picture.py (one
picture and its legend), drawings.py (draw, draw_backward), frames.py (backward_frames),
output.py (HTML, GIF and files), layers.py (draw_layers), dot.py (graphviz, loaded on first use).
"""
from .dot import INSTALL_DOT, DotNotFoundError
from .drawings import draw, draw_backward
from .frames import backward_frames
from .layers import draw_layers
from .output import frames_html, save_frames
from .style import COLOR, FLAG_TEXT, FONT, MONO
from .walk import GraphFreedError

__all__ = ["draw", "draw_backward", "backward_frames", "frames_html", "save_frames",
           "draw_layers", "GraphFreedError", "DotNotFoundError"]
