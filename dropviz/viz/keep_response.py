"""Figures of the keep-probability sweep: the p-response chart and the strip of decision boundaries,
and standalone exports of any figure for slides. Arrays in, ``go.Figure`` out; no Streamlit.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .playground import SPLIT_COLOUR, boundary_panel_image, live_figure, panels_layout
from .playground.boundary import _dots_layer, _panel_size, picture_panel
from .playground.common import _axis_ref, line_label, vertical_line

STRIP_PIXELS = 150  # pixels across one small-multiple boundary

DEFAULT_LABELS = {
    "loss": "cross-entropy loss",
    "error": "error rate",
    "train": "train",
    "test": "test",
    "keep_p": "keep probability p",
    "scrubbed": "p = {keep_p}",
    "response_title": "This data's p-response (your run, not the paper's figure)",
    "response_sub": "{done} of {total} members evaluated",
    "diverged": "p = {keep_p} diverged at step {step}",
}


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(labels or {})}


def keep_label(keep_p: float) -> str:
    return f"{keep_p:.2f}".rstrip("0").rstrip(".") if keep_p != 1 else "1.0"


def response_figure(
    response: pd.DataFrame, scrub_keep_p: float | None = None, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Train and test loss (left) and error (right) of every sweep member against keep_p (the paper's
    Figure 9a on the user's data); members not evaluated yet are gaps; the scrubbed p is a vertical line."""
    text = _labels(labels)
    layout = panels_layout((text["loss"], text["error"]), spacing=0.18)
    frame = response.sort_values("keep_p") if len(response) else response
    keep = frame["keep_p"].to_numpy(np.float64) if len(frame) else np.zeros(0)
    traces = []
    for col, metric in ((1, "loss"), (2, "error")):
        for split in ("train", "test"):
            column = f"{split}_{metric}"
            values = frame[column].to_numpy(np.float64) if column in frame else np.full(len(keep), np.nan)
            traces.append(
                {
                    "type": "scatter",
                    **_axis_ref(col),
                    "x": keep,
                    "y": values,
                    "mode": "lines+markers",
                    "name": text[split],
                    "legendgroup": split,
                    "showlegend": col == 1,
                    "connectgaps": False,
                    "line": {"color": SPLIT_COLOUR[split], "width": 2.2},
                    "marker": {"size": 8},
                    "hovertemplate": f"p %{{x:.2f}} · {text[split]} %{{y:.3f}}<extra></extra>",
                }
            )
    diverged = frame[np.isfinite(frame["diverged_at"].to_numpy(np.float64))] if "diverged_at" in frame else frame[:0]
    done = (
        int(np.isfinite(frame["test_loss"].to_numpy(np.float64)).sum()) + len(diverged) if "test_loss" in frame else 0
    )
    shapes = []
    if scrub_keep_p is not None:
        for col in (1, 2):
            shapes.append(vertical_line(scrub_keep_p, col, {"color": "#555555", "width": 2, "dash": "dot"}))
        layout["annotations"].append(
            line_label(scrub_keep_p, text["scrubbed"].format(keep_p=keep_label(scrub_keep_p)), "#555555", 12)
        )
    for suffix in ("", "2"):
        layout[f"xaxis{suffix}"].update(title={"text": text["keep_p"]}, range=[0.0, 1.05], dtick=0.1)
    # Log scale: a member that diverged (p too small for the learning rate) would flatten all the others.
    layout["yaxis"].update(title={"text": text["loss"]}, type="log")
    layout["yaxis2"].update(title={"text": text["error"]}, tickformat=".0%", rangemode="tozero")
    # A diverged member is no point of the curves: a red ✕ at the foot of each panel, and named in the subtitle.
    notes = [
        text["diverged"].format(keep_p=keep_label(float(row.keep_p)), step=int(row.diverged_at))
        for row in diverged.itertuples()
    ]
    for row, note in zip(diverged.itertuples(), notes):
        for col in (1, 2):
            suffix = "" if col == 1 else str(col)
            layout["annotations"].append(
                {
                    "text": "✕",
                    "hovertext": note,
                    "x": float(row.keep_p),
                    "xref": f"x{suffix}",
                    "y": 0.0,
                    "yref": f"y{suffix} domain",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 14, "color": "#d62728"},
                }
            )
    subtitle = " · ".join([text["response_sub"].format(done=done, total=len(frame)), *notes])
    layout.update(
        title={
            "text": f"{text['response_title']}<br><sup>{subtitle}</sup>",
            "font": {"size": 13},
        },
        shapes=shapes,
        height=380,
        margin={"l": 56, "r": 20, "t": 80, "b": 48},
        legend={"orientation": "h", "y": -0.22, "x": 0},
        uirevision="response",
    )
    return live_figure(traces, layout)


def _grid_layout(titles: Sequence[str], columns: int, *, h_gap: float = 0.012, v_gap: float = 0.1) -> dict:
    """Panels in rows of ``columns`` (axes x/y, x2/y2, ...), a title over each."""
    n = max(1, len(titles))
    rows = int(np.ceil(n / columns))
    width = (1.0 - h_gap * (columns - 1)) / columns
    height = (1.0 - v_gap * (rows - 1)) / rows
    layout: dict = {"annotations": []}
    for index in range(n):
        row, col = divmod(index, columns)
        suffix = "" if index == 0 else str(index + 1)
        x0, y1 = col * (width + h_gap), 1.0 - row * (height + v_gap)
        # Rounded into [0, 1]: 1 - rows * height can come out as -5e-17, which Plotly rejects.
        layout[f"xaxis{suffix}"] = {
            "domain": [round(max(0.0, x0), 6), round(min(1.0, x0 + width), 6)],
            "anchor": f"y{suffix}",
            "automargin": False,
        }
        layout[f"yaxis{suffix}"] = {
            "domain": [round(max(0.0, y1 - height), 6), round(min(1.0, y1), 6)],
            "anchor": f"x{suffix}",
            "automargin": False,
        }
        if index < len(titles) and titles[index]:
            layout["annotations"].append(
                {
                    "text": titles[index],
                    "x": x0 + width / 2,
                    "y": y1,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 12},
                }
            )
    return layout


def boundary_strip_figure(
    grids: Mapping[float, tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    scrub_keep_p: float | None = None,
    pixels: int = STRIP_PIXELS,
    columns: int = 5,
) -> go.Figure:
    """One small decision-boundary panel per keep_p (training points only), by p in rows of
    ``columns``, the scrubbed member's title in bold: under- and over-fitting side by side."""
    keeps = sorted(grids)
    titles = [
        f"<b>p = {keep_label(k)}</b>"
        if scrub_keep_p is not None and abs(k - scrub_keep_p) < 1e-9
        else f"p = {keep_label(k)}"
        for k in keeps
    ]
    columns = max(1, min(columns, len(keeps)))
    rows = int(np.ceil(max(1, len(keeps)) / columns))
    layout = _grid_layout(titles or [""], columns)
    x_train, y_train = np.asarray(x_train, float), np.asarray(y_train)
    empty = np.zeros((0, 2))
    traces = []
    dots_by_range: dict = {}
    aspect = 1.0
    for col, keep in enumerate(keeps, start=1):
        xs, ys, probs = grids[keep]
        x_range, y_range = (float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1]))
        aspect = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
        key = (x_range, y_range)
        if key not in dots_by_range:
            dots_by_range[key] = _dots_layer(
                *_panel_size(x_range, y_range, pixels), x_range, y_range, x_train, y_train, empty, np.zeros(0)
            )
        source, width, height = boundary_panel_image(
            probs, x_range, y_range, x_train, y_train, empty, np.zeros(0), pixels=pixels, dots=dots_by_range[key]
        )
        traces.append(
            picture_panel(layout, col, f"p={keep_label(keep)} regions", source, width, height, x_range, y_range)
        )
    # Rows as tall as a panel is on a ~1,000-pixel-wide page, plus room for the titles.
    panel_height = 1000 / columns * aspect
    layout.update(
        height=int(rows * (panel_height + 30) + 10),
        margin={"l": 4, "r": 4, "t": 24, "b": 4},
        showlegend=False,
        uirevision="strip",
    )
    return live_figure(traces, layout)


def standalone_html(figure: go.Figure, title: str = "dropviz") -> str:
    """The figure as one self-contained interactive HTML page (plotly.js embedded: works offline,
    e.g. from a slide deck); the mode bar's camera button saves a PNG."""
    return figure.to_html(
        include_plotlyjs=True,
        full_html=True,
        validate=False,
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2, "filename": title}},
        default_width="100%",
        default_height=f"{int(figure.layout.height or 450)}px",
    )
