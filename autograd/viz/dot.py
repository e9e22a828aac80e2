"""The graphviz package, loaded on first use, and a Digraph that explains itself without `dot`.

Drawing builds DOT source, which needs only the `graphviz` Python package (the `viz` extra).
Turning it into an image needs Graphviz's `dot` program; without it Jupyter shows the DOT text
and a hint, and an explicit `.pipe()` or `.render()` raises DotNotFoundError saying what to install.
"""
import html

INSTALL_DOT = ("install Graphviz's dot: apt install graphviz / brew install graphviz / "
               "conda install graphviz")


class DotNotFoundError(RuntimeError):
    """Rendering was asked for, but Graphviz's `dot` program is not installed."""


_drawing_class = None


def graphviz_module():
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "autograd.viz draws with the `graphviz` Python package, which is not installed: "
            "pip install glassgrad[viz]  (rendering images also needs Graphviz's dot program: "
            "apt install graphviz / brew install graphviz / conda install graphviz)") from None
    return graphviz


def new_drawing(**kwargs):
    """A `Drawing`: a graphviz.Digraph whose Jupyter display never raises.

    The class derives from graphviz.Digraph, so it is defined on first use (graphviz is optional).
    """
    global _drawing_class
    if _drawing_class is None:
        graphviz = graphviz_module()

        class Drawing(graphviz.Digraph):
            """A graphviz.Digraph that explains itself when Graphviz's `dot` is missing.

            Jupyter shows it as an SVG image; without `dot` it shows the DOT text and a one-line
            hint instead of a traceback. `.pipe()` and `.render()` (and so `.view()`) raise
            DotNotFoundError, which says what to install.
            """

            def __repr__(self):
                # not the default "at 0x7f..." address: a saved notebook shows this text, and it
                # must not change each time the notebook is run
                nodes = sum(1 for line in self.body if line.startswith("\t") and " [" in line
                            and " -> " not in line)
                return f"<autograd.viz.Drawing: {nodes} nodes; .source is its DOT text>"

            def pipe(self, *args, **kwargs):
                try:
                    return super().pipe(*args, **kwargs)
                except graphviz.ExecutableNotFound:
                    raise DotNotFoundError(no_dot_message()) from None

            def render(self, *args, **kwargs):
                try:
                    return super().render(*args, **kwargs)
                except graphviz.ExecutableNotFound:
                    raise DotNotFoundError(no_dot_message()) from None

            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except (DotNotFoundError, graphviz.ExecutableNotFound):
                    hint = f"(showing the DOT source; to see the picture, {INSTALL_DOT})"
                    return {
                        "text/plain": f"{hint}\n{self.source}",
                        "text/html": f"<p><i>{html.escape(hint)}</i></p>"
                                     f"<pre>{html.escape(self.source)}</pre>",
                    }

        Drawing.__qualname__ = "Drawing"  # reads as autograd.viz.Drawing, not a local class
        Drawing.__module__ = "autograd.viz"
        _drawing_class = Drawing
    return _drawing_class(**kwargs)


def no_dot_message():
    return ("rendering a drawing needs Graphviz's `dot` program, which is not on PATH; "
            f"{INSTALL_DOT}. Without it, str(drawing) still gives the DOT source.")
