"""How a Derivation shows in Jupyter: the formulas, rendered by the notebook's MathJax, with the
NumPy code folded under a toggle (an HTML <details>)."""
import html


def derivation_html(d):
    n = sum(s.kind == "backward" for s in d.steps)
    return (
        '<div class="glassgrad-derivation">'
        f"<p><b>The backward pass of <code>{html.escape(d.label)}</code></b>, "
        f"{n} steps, from the loss down:</p>\n"
        f"$$\n{html.escape(d.math)}\n$$\n"
        "<details><summary>the same steps as NumPy code</summary>"
        '<pre style="font-size:90%">' + html.escape(d.code) + "</pre></details></div>")
