"""The Lecture page's own figures: a thinned network, the paper's Figures 4, 9 and 10 (numbers from
dropviz.paper), one layer's values. Arrays in, ``go.Figure`` out; every text shown comes from the ``labels``
mapping over the builder's English ``<BUILDER>_LABELS`` (the convention of :mod:`dropviz.viz`)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .math_figures import BLUE, GREEN, GREY, ORANGE, RED, figure_layout

# --------------------------------------------------------------------------
# Lecture: a thinned network and the paper's figures
# --------------------------------------------------------------------------


THINNED_NETWORK_LABELS = {
    "title": "",
    "kept_label": "kept unit",
    "dropped_label": "dropped unit",
}


def thinned_network_figure(
    layer_sizes: Sequence[int],
    masks=None,
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 300,
) -> go.Figure:
    """A small fully connected net; with ``masks`` the dropped units are crossed
    out and their connections removed (the paper's Figure 1b)."""
    text = {**THINNED_NETWORK_LABELS, **(labels or {})}
    sizes = [int(s) for s in layer_sizes]
    if masks is None:
        masks = [np.ones(s, dtype=bool) for s in sizes]
    masks = [np.asarray(m, dtype=bool).ravel() for m in masks]
    if [m.size for m in masks] != sizes:
        raise ValueError(f"mask sizes {[m.size for m in masks]} do not match layers {sizes}")
    # Each layer centred vertically around y = 0.
    pos = [[(li, (s - 1) / 2 - k) for k in range(s)] for li, s in enumerate(sizes)]
    ex, ey = [], []
    for li in range(len(sizes) - 1):
        for a, (xa, ya) in enumerate(pos[li]):
            if not masks[li][a]:
                continue
            for c, (xc, yc) in enumerate(pos[li + 1]):
                if masks[li + 1][c]:
                    ex += [xa, xc, None]
                    ey += [ya, yc, None]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#9aa7b8", width=1), hoverinfo="skip", showlegend=False)
    )
    kx = [p[0] for layer, m in zip(pos, masks) for p, keep in zip(layer, m) if keep]
    ky = [p[1] for layer, m in zip(pos, masks) for p, keep in zip(layer, m) if keep]
    dx = [p[0] for layer, m in zip(pos, masks) for p, keep in zip(layer, m) if not keep]
    dy = [p[1] for layer, m in zip(pos, masks) for p, keep in zip(layer, m) if not keep]
    fig.add_trace(
        go.Scatter(
            x=kx,
            y=ky,
            mode="markers",
            name=text["kept_label"],
            marker=dict(size=18, color="white", line=dict(color="#1f3b73", width=2)),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=dx,
            y=dy,
            mode="markers",
            name=text["dropped_label"],
            marker=dict(size=18, color="#dddddd", symbol="x-thin-open", line=dict(color=RED, width=3)),
        )
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=0.6)
    fig = figure_layout(fig, text["title"], height)
    fig.update_layout(
        margin=dict(l=10, r=10, t=40 if text["title"] else 10, b=10),
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0),
    )
    return fig


PAPER_FIG4_LABELS = {
    "title": "Paper's Figure 4 (MNIST, 6 architectures; ≈ read off the plot)",
    "x_label": "weight updates",
    "y_label": "test error %",
    "without_label": "without dropout (range)",
    "with_label": "with dropout (range)",
}


def paper_fig4_figure(
    updates,
    without_ranges,
    with_ranges,
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 320,
) -> go.Figure:
    """Ranges of test error over the six architectures at a few points of training."""
    text = {**PAPER_FIG4_LABELS, **(labels or {})}
    u = np.asarray(updates, dtype=float)
    wo = np.asarray(without_ranges, dtype=float)
    wi = np.asarray(with_ranges, dtype=float)
    fig = go.Figure()
    for arr, label, color in ((wo, text["without_label"], RED), (wi, text["with_label"], BLUE)):
        mid = arr.mean(axis=1)
        fig.add_trace(
            go.Scatter(
                x=u,
                y=mid,
                mode="lines+markers",
                name=label,
                line=dict(color=color),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=arr[:, 1] - mid,
                    arrayminus=mid - arr[:, 0],
                    thickness=4,
                    width=0,
                ),
            )
        )
    fig.update_xaxes(title=text["x_label"], type="log")
    fig.update_yaxes(title=text["y_label"], range=[0.8, 2.0])
    return figure_layout(fig, text["title"], height)


PAPER_FIG9_LABELS = {
    "a_title": "(a) n fixed",
    "b_title": "(b) p·n fixed",
    "title": "Paper's Figure 9 (MNIST; ≈ read off the plot)",
    "x_label": "keep probability p",
    "y_label": "error %",
    "test_label": "test",
    "train_label": "train",
}


def paper_fig9_figure(
    p,
    a_test,
    a_train,
    b_test,
    b_train,
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 320,
) -> go.Figure:
    text = {**PAPER_FIG9_LABELS, **(labels or {})}
    fig = make_subplots(rows=1, cols=2, subplot_titles=[text["a_title"], text["b_title"]], shared_yaxes=True)
    for col, test, train in ((1, a_test, a_train), (2, b_test, b_train)):
        fig.add_trace(
            go.Scatter(
                x=p, y=test, mode="lines+markers", name=text["test_label"], line=dict(color=BLUE), showlegend=col == 1
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=p,
                y=train,
                mode="lines+markers",
                name=text["train_label"],
                line=dict(color=ORANGE, dash="dash"),
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title=text["x_label"], row=1, col=col)
    fig.update_yaxes(title=text["y_label"], row=1, col=1)
    return figure_layout(fig, text["title"], height)


PAPER_FIG10_LABELS = {
    "title": "Paper's Figure 10 (MNIST; ≈ read off the plot)",
    "x_label": "training set size",
    "y_label": "test error %",
    "with_label": "with dropout",
    "without_label": "without dropout",
}


def paper_fig10_figure(
    sizes,
    with_dropout,
    without_dropout,
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 320,
) -> go.Figure:
    text = {**PAPER_FIG10_LABELS, **(labels or {})}
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=sizes, y=without_dropout, mode="lines+markers", name=text["without_label"], line=dict(color=RED))
    )
    fig.add_trace(
        go.Scatter(x=sizes, y=with_dropout, mode="lines+markers", name=text["with_label"], line=dict(color=BLUE))
    )
    fig.update_xaxes(title=text["x_label"], type="log")
    fig.update_yaxes(title=text["y_label"], type="log", tickvals=[1, 2, 5, 10, 20, 30])
    return figure_layout(fig, text["title"], height)


LAYER_VALUES_LABELS = {
    "title": "",
    "x_label": "unit",
}


def layer_values_figure(
    values: Mapping[str, Sequence[float]], *, labels: Mapping[str, str] | None = None, height: int = 260
) -> go.Figure:
    """Small grouped bars of a few named vectors (e.g. y and ỹ = r * y)."""
    text = {**LAYER_VALUES_LABELS, **(labels or {})}
    if not values:
        raise ValueError("values must name at least one vector")
    palette = [GREY, BLUE, ORANGE, GREEN]
    fig = go.Figure()
    for k, (name, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float).ravel()
        fig.add_trace(
            go.Bar(x=[str(j + 1) for j in range(v.size)], y=v, name=name, marker_color=palette[k % len(palette)])
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=text["x_label"])
    fig = figure_layout(fig, text["title"], height)
    fig.update_layout(margin=dict(l=40, r=10, t=40 if text["title"] else 30, b=40))
    return fig
