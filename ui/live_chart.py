"""Plotly charts that update in place while a run trains.

``st.plotly_chart`` keys its element by a hash of the figure, so a figure that
changed is a new element: the browser throws the old chart away and builds a
new one with ``Plotly.newPlot`` on every refresh. With four live charts that
drawing, not the server, was what held the Playground under two refreshes a
second (Chromium's main thread busy all the time, most of it in newPlot).

``live_plotly_chart`` mounts one small Streamlit v2 component per key instead;
its element identity is the key, so the same ``<div>`` stays in the page and
each new figure goes through ``Plotly.react``, which redraws only what changed.
plotly.js comes from the plotly Python package itself (the version plotly.py
writes its JSON for), copied once into the app's ``static/`` folder and served
by Streamlit's static file serving: no network, no second copy in the repo.
Where that is not possible (static serving off, a read-only checkout) the
chart falls back to ``st.plotly_chart`` and the server log says why.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
from pathlib import Path

import plotly
import plotly.io
import streamlit as st
from plotly.graph_objects import Figure

_LOG = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parents[1] / "assets"  # what the app serves that is not Python

# Same as st.plotly_chart's: the mode bar keeps Plotly's PNG export (at twice the size, for slides); no logo.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}

# Streamlit's own plotly theme for a light page (frontend PlotlyChart/CustomTheme.tsx, which
# st.plotly_chart applies in the browser), as a plotly.js template: the live charts look like the
# app's other charts, and what a figure sets itself still wins.
THEME_TEMPLATE = json.loads((ASSETS / "plotly_theme.json").read_text(encoding="utf-8"))

_JS = (ASSETS / "live_chart.js").read_text(encoding="utf-8")

_component = st.components.v2.component("dropviz_live_chart", js=_JS, isolate_styles=False)


def plotly_js_name() -> str:
    # Versioned, so a browser never runs an older cached plotly.js against a newer plotly.py's JSON.
    return f"plotly-{plotly.__version__}.min.js"


def bundled_plotly_js() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def ensure_plotly_js(static_dir: Path) -> str | None:
    """Copy plotly.py's own plotly.min.js into ``static_dir`` (once); its name there, or None and why in the log."""
    source = bundled_plotly_js()
    target = static_dir / plotly_js_name()
    try:
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            return target.name
        static_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.copy2(source, partial)  # keeps the mtime: browsers cache by Last-Modified
        partial.replace(target)  # atomic: a browser never reads a half-copied file
        return target.name
    except OSError as error:
        _LOG.warning("live charts fall back to st.plotly_chart: cannot place plotly.js in %s (%s)", static_dir, error)
        return None


@functools.lru_cache(maxsize=None)
def _served_plotly_js() -> str | None:
    """The URL (relative to the page) of the served plotly.js, or None where it cannot be served.
    Worked out once per server: the app's folder and the option do not change while it runs."""
    if not st.get_option("server.enableStaticServing"):
        _LOG.warning("live charts fall back to st.plotly_chart: server.enableStaticServing is off")
        return None
    name = ensure_plotly_js(_static_dir())
    return None if name is None else f"app/static/{name}"


def _static_dir() -> Path:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    main_script = ctx.main_script_path if ctx is not None else str(Path(__file__).resolve().parents[1] / "app.py")
    return Path(main_script).resolve().parent / "static"


def scale_fonts(spec, factor: float, default_size: float = 12.0):
    """A copy of a layout (or template) with every font size times ``factor``; fonts that name no
    size get ``default_size * factor`` (Plotly's default would not grow). Heights grow by the
    same factor so bigger text does not crowd the plot."""
    if isinstance(spec, dict):
        out = {}
        for name, value in spec.items():
            if name in ("font", "tickfont", "textfont", "titlefont") and isinstance(value, dict):
                out[name] = {
                    **scale_fonts(value, factor, default_size),
                    "size": round(float(value.get("size") or default_size) * factor, 1),
                }
            else:
                out[name] = scale_fonts(value, factor, default_size)
        return out
    if isinstance(spec, list):
        return [scale_fonts(item, factor, default_size) for item in spec]
    return spec


def themed(figure: Figure, font_scale: float = 1.0) -> dict:
    """The figure as plotly.js JSON, its plotly.py template replaced by the app's (as st.plotly_chart does).

    plotly.py's default template is also most of a small figure's JSON, resent on every refresh.
    ``font_scale`` > 1 enlarges all text (presenter mode: read from the back of a room)."""
    spec = figure.to_plotly_json()
    layout = dict(spec.get("layout") or {})
    layout["template"] = THEME_TEMPLATE
    title = layout.get("title")
    if isinstance(title, dict) and title.get("text"):
        layout["title"] = {**title, "text": f"<b>{title['text']}</b>"}
    if font_scale != 1.0:
        layout = scale_fonts(layout, font_scale)
        layout["font"] = {**(layout.get("font") or {}), "size": round(12 * font_scale, 1)}
        if layout.get("height"):
            layout["height"] = int(layout["height"] * (1 + (font_scale - 1) / 2))
        margin = dict(layout.get("margin") or {})
        for side in ("t", "b", "l"):
            if side in margin:
                margin[side] = int(margin[side] * font_scale)
        layout["margin"] = margin
    return {"data": spec.get("data", []), "layout": layout, "frames": spec.get("frames", [])}


def figure_payload(figure: Figure, src: str, font_scale: float = 1.0) -> dict:
    # A figure drawn again unchanged (a sweep member scrubbed back to, the cached strip) keeps its JSON
    # on itself: it is not rebuilt (25 ms and more each), and it goes when the figure goes.
    cached = getattr(figure, "_dropviz_payloads", None)
    if cached is None:
        cached = figure._dropviz_payloads = {}
    text = cached.get(font_scale)
    if text is None:
        text = cached[font_scale] = plotly.io.to_json(themed(figure, font_scale), validate=False)
    return {"figure": text, "src": src, "config": PLOTLY_CONFIG}


def stream_available() -> bool:
    """Whether live pages may poll the live route (ui.live_stream) instead of rerunning their fragment:
    the route is mounted (serve.py) and the charts are drawn by this component (extendTraces)."""
    from ui.live_stream import route_mounted

    return route_mounted() and _served_plotly_js() is not None


def live_plotly_chart(
    figure: Figure, key: str, font_scale: float = 1.0, stream: dict | None = None, board: dict | None = None
) -> None:
    """Draw ``figure`` under element key ``key``; later calls with the same key update that chart in place.

    ``stream`` (ui.live_stream.stream_spec, the curves only) lets the browser extend the chart's first
    traces with the points the live route sends between two of these calls. ``board``
    (ui.member_board) lets it switch to another sweep member's chart by itself; with ``ready`` in it
    the figure is not sent (the browser has it from the board, and the unchanged element costs nothing)."""
    src = _served_plotly_js()
    if src is None:
        if font_scale != 1.0:
            themed_spec = themed(figure, font_scale)
            figure = Figure(
                data=themed_spec["data"],
                layout={**themed_spec["layout"], "template": None},
                frames=themed_spec["frames"] or None,
                skip_invalid=True,
            )
        st.plotly_chart(figure, key=key, width="stretch")
        return
    if board is not None and board.get("ready"):
        payload = {"figure": None, "src": src, "config": PLOTLY_CONFIG}
    else:
        payload = figure_payload(figure, src, font_scale)
    if stream is not None:
        payload = {**payload, "stream": stream}
    if board is not None:
        payload = {**payload, "board": board, "part": key}
    _component(key=key, data=payload, width="stretch", height="content")


def live_html(html_text: str, key: str, board: dict | None = None) -> None:
    """Server-built, escaped HTML (ui.member_board) that the browser switches with the scrubbed member."""
    data = {"kind": "html", "html": html_text}
    if board is not None:
        data.update(board=board, part=key)
    _component(key=key, data=data, width="stretch", height="content")


def live_progress(key: str, text: str, fraction: float, state: str, step: int, stream: dict | None) -> None:
    """The progress line, drawn by the component: with ``stream`` the browser rewrites it from the live
    route's answers (plotly.js not needed) and asks for a fragment rerun when the run's state changes."""
    data = {"kind": "progress", "text": text, "fraction": float(fraction), "state": state, "step": step}
    data["stream"] = stream
    _component(key=key, data=data, width="stretch", height="content", on_refresh_change=_ignore)


def _ignore() -> None:
    """The rerun the component's trigger causes is all it asks for."""
