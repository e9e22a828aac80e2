"""Frames out of Python: an HTML page with a slider, an animated GIF, or numbered image files."""
import hashlib
import io
import itertools
import os
import tempfile

from .style import COLOR, FONT


class HTML(str):
    """HTML text that Jupyter displays as HTML (and that is still an ordinary str)."""

    def _repr_html_(self):
        return str(self)


def _inline_svg(drawing):
    svg = drawing.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE, invalid inside HTML


KEY = (f'<span style="color:{COLOR["grad"]}">red numbers</span> on an arrow: the gradient sent '
       'back along it, against the arrow &middot; thick arrows: sent in this step &middot; '
       f'<span style="color:{COLOR["grad_partial"]}">grey</span> gradient: still being summed '
       f'&middot; <span style="background:{COLOR["badge"]};color:white;padding:0 4px">'
       '<b>k</b></span>: the k-th op backward runs &middot; '
       f'<span style="background:{COLOR["op_current"]};padding:0 4px">yellow</span> op: the one '
       'running in this step')


_players = itertools.count()


def frames_html(frames, interval_ms=1200, title="Backprop, step by step"):
    """One self-contained HTML page (inline SVGs, a few lines of script) that steps through
    `frames`: a slider, previous/next and play buttons, and the arrow keys (each frame carries
    its own caption), with a key to the marks below. Needs Graphviz's `dot` to draw the SVGs.
    Displayed inline in Jupyter; save it with save_frames(frames, "x.html")."""
    if not frames:
        raise ValueError("frames_html: no frames to show")
    panes = "\n".join(
        f'<div class="gg-frame" data-step="{i}" style="display:{"block" if i == 0 else "none"}">'
        f'{_inline_svg(f)}</div>' for i, f in enumerate(frames))
    # Several players on one page must not collide; the same frames give the same page (so a
    # re-executed notebook does not change).
    uid = f"gg{hashlib.sha1(panes.encode()).hexdigest()[:8]}{next(_players)}"
    script = f"""
(function() {{
  var root = document.getElementById("{uid}");
  var frames = root.querySelectorAll(".gg-frame");
  var slider = root.querySelector("input");
  var label = root.querySelector(".gg-step");
  var play = root.querySelector(".gg-play"), timer = null;
  function show(i) {{
    i = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) frames[k].style.display = k === i ? "block" : "none";
    slider.value = i;
    label.textContent = i + " / " + (frames.length - 1);
  }}
  function stop() {{ clearInterval(timer); timer = null; play.textContent = "\\u25B6 play"; }}
  slider.oninput = function() {{ stop(); show(+slider.value); }};
  root.querySelector(".gg-prev").onclick = function() {{ stop(); show(+slider.value - 1); }};
  root.querySelector(".gg-next").onclick = function() {{ stop(); show(+slider.value + 1); }};
  play.onclick = function() {{
    if (timer) {{ stop(); return; }}
    if (+slider.value === frames.length - 1) show(0);
    play.textContent = "\\u275A\\u275A pause";
    timer = setInterval(function() {{
      if (+slider.value >= frames.length - 1) stop(); else show(+slider.value + 1);
    }}, {int(interval_ms)});
  }};
  root.tabIndex = 0;
  root.onkeydown = function(e) {{
    if (e.key === "ArrowLeft") {{ stop(); show(+slider.value - 1); e.preventDefault(); }}
    if (e.key === "ArrowRight") {{ stop(); show(+slider.value + 1); e.preventDefault(); }}
  }};
  show(0);
}})();"""
    body = f"""<div id="{uid}" class="gg-player" style="font-family:{FONT},Arial,sans-serif">
<div style="display:flex;gap:8px;align-items:center;margin-bottom:6px">
<button class="gg-prev" title="previous step (left arrow)">&#9664;</button>
<button class="gg-play">&#9654; play</button>
<button class="gg-next" title="next step (right arrow)">&#9654;</button>
<input type="range" min="0" max="{len(frames) - 1}" value="0" step="1" style="flex:1"
 aria-label="backward step">
<span class="gg-step" style="font-variant-numeric:tabular-nums">0 / {len(frames) - 1}</span>
</div>
{panes}
<div class="gg-key" style="font-size:12px;color:#555;margin-top:4px">{KEY}</div>
</div>
<script>{script}</script>"""
    return HTML(body)


FOLDER_FORMATS = ("svg", "png", "pdf")


def save_frames(frames, path, format=None, interval_ms=1200):
    """Write frames to `path`, by its extension:

        .html  one self-contained page with a slider (frames_html)
        .gif   an animated GIF, one frame every `interval_ms` (needs Pillow: pip install glassgrad[viz])
        no extension: a folder of numbered files, frame_000.svg, frame_001.svg, ... (`format`
               "svg" by default, or "png", "pdf")

    Any other extension is an error. Returns the list of paths written; each file is written
    whole or not at all. Needs Graphviz's `dot`."""
    path = os.fspath(path)
    if not frames:
        raise ValueError("save_frames: no frames to save")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".html", ".htm", ".gif"):
        kind = "html" if ext != ".gif" else "gif"
        if format not in (None, kind):
            raise ValueError(f"save_frames: a {ext} path gets {'an HTML page' if kind == 'html' else 'a GIF'}, "
                             f"not {format!r}; drop format= or change the extension")
        data = _html_page(frames, interval_ms) if kind == "html" else _gif(frames, interval_ms)
        _write(path, data)
        return [path]
    if ext:
        raise ValueError(
            f"save_frames: cannot write {path!r}: its extension {ext!r} is not one it writes. Use "
            "'.html' (a page with a slider), '.gif' (an animation), or a folder name without an "
            "extension (numbered .svg, .png or .pdf files, chosen with format=).")
    format = format or "svg"
    if format not in FOLDER_FORMATS:
        raise ValueError(f"save_frames: format must be one of {', '.join(FOLDER_FORMATS)} for a "
                         f"folder of frames; got {format!r}")
    images = [frame.pipe(format=format) for frame in frames]  # all drawn before any is written
    os.makedirs(path, exist_ok=True)
    written = []
    for i, image in enumerate(images):
        out = os.path.join(path, f"frame_{i:03d}.{format}")
        _write(out, image)
        written.append(out)
    return written


def _html_page(frames, interval_ms):
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>Backprop, step by step</title></head>\n<body>\n"
            f"{frames_html(frames, interval_ms)}\n</body></html>\n").encode("utf-8")


def _gif(frames, interval_ms):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_frames(..., '.gif') makes the animation with Pillow, which is "
                          "not installed: pip install glassgrad[viz]") from None
    images = [Image.open(io.BytesIO(f.pipe(format="png"))).convert("RGB") for f in frames]
    # Frames share one layout, but dot may round a size by a pixel: paste each on one canvas.
    width = max(im.width for im in images)
    height = max(im.height for im in images)
    canvases = []
    for im in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(im, (0, 0))
        canvases.append(canvas)
    out = io.BytesIO()
    canvases[0].save(out, format="GIF", save_all=True, append_images=canvases[1:],
                     duration=int(interval_ms), loop=0)
    return out.getvalue()


def _write(path, data):
    """Write bytes to `path` through a temporary file beside it, so no half-written file is left."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
