"""backward_frames: the backward pass as a list of pictures, one per step, to step through."""
from .drawings import live_graph, trace_backward
from .labels import array_text, grad_flag
from .layout import choose
from .picture import View, build
from .style import FLAG_TEXT


def backward_frames(root, grad=None, show="both", rankdir=None, max_elements=6, max_nodes=500,
                    max_grad_norm=1e3, max_frames=200):
    """The backward pass of `root` as a list of pictures, one per step, to step through.

    Frame 0 shows the forward graph and the starting gradient (1 for a scalar output). Frame k
    shows the moment op number k (as in draw_backward) has run its backward: that op highlighted,
    the gradients it just sent back drawn thicker, and every gradient known so far shown. A grey
    gradient is still being summed: more ops will add to it. Every frame has the same layout, so
    stepping through them reads like an animation: pass them to frames_html() (Jupyter shows the
    result inline) or save_frames() (an HTML slider or an animated GIF). Each frame's `.caption`
    holds its caption as text.

    Call it before backward(), or after backward(retain_graph=True): it re-runs the backward pass
    on the side. Stepping through is for small graphs: more than `max_frames` steps raise a
    ValueError rather than build thousands of pictures.
    """
    graph = live_graph(root, max_nodes, "backward_frames")
    steps, skipped, totals = trace_backward(root, grad, "backward_frames()")
    if len(steps) + 1 > max_frames:
        raise ValueError(
            f"backward_frames: this backward pass has {len(steps)} steps, which would make "
            f"{len(steps) + 1} pictures (max_frames={max_frames}). Step through a smaller graph, "
            "use draw_backward() for the whole pass in one picture, or raise max_frames.")
    numbers = {id(s.op): i for i, s in enumerate(steps, 1)}
    # When does each tensor's gradient become final? After the last step that adds to it.
    last = {id(root): 0}
    for i, step in enumerate(steps, 1):
        for _, x, _ in step.edges:
            last[id(x)] = i
    final_text = {k: array_text(g, max_elements) for k, g in totals.items()}
    flagged = {k for k, g in totals.items() if grad_flag(g, max_grad_norm)}

    views, running = [], {id(root): totals[id(root)]}
    edges_done = {}
    for i in range(len(steps) + 1):
        view = View()
        view.numbers = numbers
        view.skipped = {id(op) for op in skipped}
        view.thick = flagged
        new = set()
        if i > 0:
            step = steps[i - 1]
            view.current = id(step.op)
            for k, x, gx in step.edges:
                prev = running.get(id(x))
                running[id(x)] = gx if prev is None else prev + gx
                edges_done[(id(step.op), k)] = gx
                new.add((id(step.op), k))
        for k, text in final_text.items():
            if k in running:
                view.grads[k] = running[k]
                view.grad_state[k] = "shown" if last.get(k, 0) <= i else "partial"
            else:
                view.grad_state[k] = "hidden"
                view.hidden_grads[k] = text
        for step in steps:
            for k, _, gx in step.edges:
                edge = (id(step.op), k)
                view.edge_grads[edge] = gx
                view.edge_state[edge] = ("new" if edge in new else
                                         "shown" if edge in edges_done else "hidden")
        view.title = _frame_caption(i, steps, root, grad, running, last, max_grad_norm)
        views.append(view)
    # Every caption gets as many lines as the longest, so the title's height never moves the
    # picture between frames.
    height = max(v.title.count("\n") for v in views)
    captions = [v.title for v in views]
    # And one width: a caption wider than the graph would widen the picture and move it.
    width = 7 * max(len(line) for c in captions for line in c.split("\n"))
    for view in views:
        view.title += "\n" * (height - view.title.count("\n"))
        view.title_width = width

    def make(view):
        return lambda layout: build(graph, view, show, layout, max_elements, max_grad_norm,
                                    legend=False)
    # One layout for all, chosen on the last frame (every gradient shown, the largest labels).
    layout = choose(make(views[-1]), rankdir)
    frames = []
    for view, caption in zip(views, captions):
        d = make(view)(layout)
        d.caption = caption
        frames.append(d)
    return frames


def _frame_caption(i, steps, root, grad, running, last, max_grad_norm):
    n = len(steps)
    if i == 0:
        if grad is not None:
            return f"step 0 of {n}: backward starts from the given gradient at the output"
        what = f"d{root.name}/d{root.name}" if root.name else "d output / d output"
        return f"step 0 of {n}: backward starts at the output with gradient {what} = 1"
    step = steps[i - 1]
    out = step.out.name or "its output"
    names = list(dict.fromkeys(x.name for _, x, _ in step.edges))
    if not step.edges:
        to = "no input that needs one"
    elif all(names):
        to = " and ".join(names)
    else:
        count = len({id(x) for _, x, _ in step.edges})
        to = "its input" if count == 1 else f"{count} inputs"
    text = (f"step {i} of {n}: {step.op.name}.backward turns the gradient of {out} into "
            f"gradients for {to} (thick arrows, against the forward direction)")
    # What is worth a second sentence: a sum still in progress, or a suspicious gradient.
    notes = []
    for x in {id(x): x for _, x, _ in step.edges}.values():
        who = x.name or "an input"
        if last.get(id(x), 0) > i:
            notes.append(f"{who} is used again, so its gradient (grey) is not complete yet")
        else:
            flag = grad_flag(running[id(x)], max_grad_norm)
            if flag:
                notes.append(f"{who} gets a {FLAG_TEXT[flag].format(max_grad_norm)}")
    return text + "".join(f"\n{note}" for note in notes)
