"""Figures of the mathematics (the Theory page, and the Lecture's penalty and mask views): arrays in, ``go.Figure`` out.

No streamlit here. Every text shown inside a figure (titles, axis labels,
legend names) comes from the builder's ``labels`` mapping over its English
``<BUILDER>_LABELS``, so the pages pass the translated strings and the tests
call the builders with plain arrays. Over 400 lines on purpose: the six figures
of one page (one per Theory section) with their shared colours and layout; about
50 lines are the English label tables.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
RED = "#d62728"
GREY = "#7f7f7f"
PURPLE = "#9467bd"

_MARGIN = dict(l=50, r=20, t=50, b=45)


def figure_layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=_MARGIN,
        template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return fig


def log_subsample(n: int, max_points: int = 400) -> np.ndarray:
    """Indices 0..n-1, about ``max_points`` of them, evenly spaced in log(n).

    A running mean over 50 000 samples is drawn from a few hundred points:
    dense at the start where it moves, sparse at the end. Always includes the
    first and the last index.
    """
    n = int(n)
    if n <= 0:
        return np.zeros(0, dtype=int)
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.geomspace(1, n, max_points).astype(int) - 1)
    return np.unique(np.concatenate([[0], idx, [n - 1]]))


# --------------------------------------------------------------------------
# Baldi & Sadowski
# --------------------------------------------------------------------------


MC_CONVERGENCE_LABELS = {
    "title": "Monte-Carlo estimate of E[∂E_D/∂w_i]",
    "x_label": "number of sampled masks",
    "y_label": "gradient",
    "mc_label": "MC running mean",
    "band_label": "99 % confidence band",
    "analytic_label": "analytic ∂E_N/∂w_i + w_i p_i(1−p_i) I_i²",
    "ensemble_label": "∂E_N/∂w_i alone (no penalty)",
}


def mc_convergence_figure(
    counts,
    mean,
    half_width,
    analytic: float,
    *,
    ensemble: float | None = None,
    max_points: int = 400,
    labels: Mapping[str, str] | None = None,
    height: int = 380,
) -> go.Figure:
    """Running MC mean of one gradient component with its 99 % band, vs the analytic value.

    ``counts``, ``mean``, ``half_width``: 1-D arrays for one weight (rows of
    :class:`dropviz.dropout_math.MCGradient`). The band is omitted where the
    half-width is infinite (n = 1).
    """
    text = {**MC_CONVERGENCE_LABELS, **(labels or {})}
    counts = np.asarray(counts, dtype=float)
    mean = np.asarray(mean, dtype=float)
    half = np.asarray(half_width, dtype=float)
    if not counts.shape == mean.shape == half.shape or counts.ndim != 1:
        raise ValueError(
            f"counts, mean and half_width must be 1-D of one length, got {counts.shape}, {mean.shape}, {half.shape}"
        )
    idx = log_subsample(counts.size, max_points)
    x, m, h = counts[idx], mean[idx], half[idx]
    finite = np.isfinite(h)
    xb, lo, hi = x[finite], (m - h)[finite], (m + h)[finite]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([xb, xb[::-1]]),
            y=np.concatenate([hi, lo[::-1]]),
            fill="toself",
            fillcolor="rgba(31,119,180,0.18)",
            line=dict(width=0),
            hoverinfo="skip",
            name=text["band_label"],
        )
    )
    fig.add_trace(go.Scatter(x=x, y=m, mode="lines", line=dict(color=BLUE, width=2), name=text["mc_label"]))
    x_end = [x[0], x[-1]] if x.size else [1, 1]
    fig.add_trace(
        go.Scatter(
            x=x_end,
            y=[analytic, analytic],
            mode="lines",
            line=dict(color=RED, width=2, dash="dash"),
            name=text["analytic_label"],
        )
    )
    if ensemble is not None:
        fig.add_trace(
            go.Scatter(
                x=x_end,
                y=[ensemble, ensemble],
                mode="lines",
                line=dict(color=GREY, width=1.5, dash="dot"),
                name=text["ensemble_label"],
            )
        )
    # Keep the y-range on the converged part: the first few samples swing wildly.
    tail = m[x >= min(30, x[-1])] if x.size else m
    ref = [analytic] + ([ensemble] if ensemble is not None else [])
    spread = np.concatenate(
        [
            tail,
            (m + h)[finite & (x >= min(30, x[-1] if x.size else 1))],
            (m - h)[finite & (x >= min(30, x[-1] if x.size else 1))],
            ref,
        ]
    )
    spread = spread[np.isfinite(spread)]
    if spread.size:
        lo_y, hi_y = float(spread.min()), float(spread.max())
        pad = 0.1 * (hi_y - lo_y) + 1e-9
        fig.update_yaxes(range=[lo_y - pad, hi_y + pad])
    fig.update_xaxes(type="log", title=text["x_label"])
    fig.update_yaxes(title=text["y_label"])
    return figure_layout(fig, text["title"], height)


REGULARIZATION_STRENGTH_LABELS = {
    "title": "Penalty factors p(1 − p) and (1 − p)/p",
    "x_label": "keep probability p",
    "y_label": "p(1 − p)",
    "y2_label": "(1 − p)/p",
    "train_label": "p(1 − p): on training weights w",
    "test_label": "(1 − p)/p: on test weights p·w",
    "max_label": "maximum at p = 0.5",
    "marked_label": "your p_i",
}


def regularization_strength_figure(
    keep_ps=None,
    marked: Sequence[float] = (),
    *,
    labels: Mapping[str, str] | None = None,
    y2_max: float = 10.0,
    height: int = 300,
) -> go.Figure:
    """Both readings of the dropout penalty against p: p(1 − p) on the training-time weights w
    (left axis, maximum 1/4 at p = 0.5) and (1 − p)/p on the test-time weights p·w (right axis,
    growing as p falls; drawn where it is at most ``y2_max``), with marked p values on each."""
    text = {**REGULARIZATION_STRENGTH_LABELS, **(labels or {})}
    p = np.linspace(0.0, 1.0, 201) if keep_ps is None else np.asarray(keep_ps, dtype=float)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=p, y=p * (1 - p), mode="lines", line=dict(color=BLUE, width=2), name=text["train_label"])
    )
    shown = p[(p > 0) & ((1 - p) / np.where(p > 0, p, 1) <= y2_max)]
    fig.add_trace(
        go.Scatter(
            x=shown,
            y=(1 - shown) / shown,
            mode="lines",
            yaxis="y2",
            line=dict(color=GREEN, width=2, dash="dash"),
            name=text["test_label"],
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0.5],
            y=[0.25],
            mode="markers+text",
            text=[text["max_label"]],
            textposition="top center",
            marker=dict(color=RED, size=10),
            name=text["max_label"],
            showlegend=False,
        )
    )
    marked = np.asarray(list(marked), dtype=float)
    if marked.size:
        fig.add_trace(
            go.Scatter(
                x=marked,
                y=marked * (1 - marked),
                mode="markers",
                marker=dict(color=ORANGE, size=9, symbol="diamond"),
                name=text["marked_label"],
            )
        )
        inside = marked[(marked > 0) & ((1 - marked) / np.where(marked > 0, marked, 1) <= y2_max)]
        fig.add_trace(
            go.Scatter(
                x=inside,
                y=(1 - inside) / inside,
                mode="markers",
                yaxis="y2",
                marker=dict(color=ORANGE, size=9, symbol="diamond-open"),
                name=text["marked_label"],
                showlegend=False,
            )
        )
    fig.update_xaxes(title=text["x_label"], range=[0, 1])
    fig.update_yaxes(title=text["y_label"], range=[0, 0.3])
    fig = figure_layout(fig, text["title"], height)
    fig.update_layout(
        showlegend=True,
        legend=dict(orientation="h", y=-0.3),
        yaxis2=dict(title=text["y2_label"], overlaying="y", side="right", range=[0, y2_max], showgrid=False),
    )
    return fig


# --------------------------------------------------------------------------
# Ridge equivalence
# --------------------------------------------------------------------------


RIDGE_CONVERGENCE_LABELS = {
    "title": "SGD with Bernoulli input masks → closed form",
    "x_label": "SGD step",
    "y_label": "‖w − w*‖ / ‖w*‖",
    "avg_label": "averaged iterate",
    "last_label": "raw iterate",
    "threshold_label": "1 % relative error",
}


def ridge_convergence_figure(
    steps,
    rel_error,
    rel_error_last=None,
    *,
    threshold: float | None = 1e-2,
    labels: Mapping[str, str] | None = None,
    height: int = 340,
) -> go.Figure:
    """Relative distance to the closed-form minimizer as SGD goes (log y)."""
    text = {**RIDGE_CONVERGENCE_LABELS, **(labels or {})}
    steps = np.asarray(steps, dtype=float)
    rel = np.asarray(rel_error, dtype=float)
    if steps.shape != rel.shape:
        raise ValueError(f"steps and rel_error must match, got {steps.shape} and {rel.shape}")
    fig = go.Figure()
    if rel_error_last is not None:
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=np.asarray(rel_error_last, dtype=float),
                mode="lines",
                line=dict(color=GREY, width=1),
                name=text["last_label"],
            )
        )
    fig.add_trace(go.Scatter(x=steps, y=rel, mode="lines", line=dict(color=BLUE, width=2.5), name=text["avg_label"]))
    if threshold is not None and steps.size:
        fig.add_trace(
            go.Scatter(
                x=[steps[0], steps[-1]],
                y=[threshold, threshold],
                mode="lines",
                line=dict(color=RED, dash="dash", width=1.5),
                name=text["threshold_label"],
            )
        )
    fig.update_xaxes(title=text["x_label"])
    fig.update_yaxes(title=text["y_label"], type="log")
    return figure_layout(fig, text["title"], height)


WEIGHTS_COMPARISON_LABELS = {
    "title": "Weights side by side",
    "x_label": "weight",
    "y_label": "value",
}


def weights_comparison_figure(
    series: Mapping[str, Sequence[float]],
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 340,
) -> go.Figure:
    """Grouped bars, one group per weight index, one bar per named solution."""
    text = {**WEIGHTS_COMPARISON_LABELS, **(labels or {})}
    if not series:
        raise ValueError("series must name at least one weight vector")
    arrays = {name: np.asarray(v, dtype=float).ravel() for name, v in series.items()}
    sizes = {a.size for a in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"all weight vectors must have one length, got {sorted(sizes)}")
    d = sizes.pop()
    names = [f"w{j + 1}" for j in range(d)]
    palette = [BLUE, ORANGE, GREEN, RED, PURPLE, GREY]
    fig = go.Figure()
    for k, (name, arr) in enumerate(arrays.items()):
        fig.add_trace(go.Bar(x=names, y=arr, name=name, marker_color=palette[k % len(palette)]))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=text["x_label"])
    fig.update_yaxes(title=text["y_label"])
    return figure_layout(fig, text["title"], height)


# --------------------------------------------------------------------------
# Dropout vs DropConnect masks
# --------------------------------------------------------------------------


MASK_COMPARISON_LABELS = {
    "dropout_title": "dropout: whole rows / columns",
    "dropconnect_title": "DropConnect: independent weights",
    "title": "Effective weight masks on W (kept = dark)",
    "x_label": "input unit j",
    "y_label": "output unit i",
}


def mask_comparison_figure(
    mask_dropout,
    mask_dropconnect,
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 340,
) -> go.Figure:
    """Two 0/1 heat maps side by side, same colour scale, kept weights dark.

    The one mask picture of the app: the Theory and Lecture pages and the
    Playground (``viz.playground.mask_matrix_figure``) all draw it here.
    """
    text = {**MASK_COMPARISON_LABELS, **(labels or {})}
    a = np.asarray(mask_dropout, dtype=float)
    b = np.asarray(mask_dropconnect, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"both masks must be 2-D of one shape, got {a.shape} and {b.shape}")
    titles = [text["dropout_title"], text["dropconnect_title"]]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    scale = [[0.0, "#f2f2f2"], [1.0, "#1f3b73"]]
    hover = f"{text['y_label']} %{{y}}, {text['x_label']} %{{x}}: %{{z}}<extra></extra>"
    for col, m in ((1, a), (2, b)):
        fig.add_trace(
            go.Heatmap(z=m, zmin=0, zmax=1, colorscale=scale, showscale=False, xgap=1, ygap=1, hovertemplate=hover),
            row=1,
            col=col,
        )
        fig.update_xaxes(title=text["x_label"], row=1, col=col, showgrid=False)
        fig.update_yaxes(
            title=text["y_label"] if col == 1 else None,
            autorange="reversed",
            row=1,
            col=col,
            showgrid=False,
            scaleanchor=f"x{'' if col == 1 else 2}",
        )
    figure_layout(fig, text["title"], height)
    # Titles of several lines (the Playground's carry a sub-network count) need room above the panels.
    lines = max(title.count("<br>") + 1 for title in titles)
    fig.update_layout(margin={**_MARGIN, "t": _MARGIN["t"] + 20 * (lines - 1)})
    return fig


# --------------------------------------------------------------------------
# NWGM for a logistic unit
# --------------------------------------------------------------------------


NWGM_LABELS = {
    "title": "Outputs of all 2ⁿ sub-networks (probability-weighted)",
    "x_label": "sub-network output σ(Σ δ_i w_i I_i + b)",
    "y_label": "probability",
    "hist_label": "sub-networks",
    "nwgm_label": "NWGM (normalized geometric mean)",
    "scaled_label": "σ(mean input) = weight scaling",
    "arithmetic_label": "arithmetic mean",
}


def nwgm_figure(
    outputs,
    probs,
    *,
    nwgm: float,
    weight_scaled: float,
    arithmetic: float,
    bins: int = 40,
    labels: Mapping[str, str] | None = None,
    height: int = 360,
) -> go.Figure:
    """Probability-weighted histogram of the sub-network outputs with three means as lines.

    NWGM and σ(mean input) coincide (drawn as a solid and a dashed line on
    top of each other); the arithmetic mean is usually a little apart.
    """
    text = {**NWGM_LABELS, **(labels or {})}
    o = np.asarray(outputs, dtype=float).ravel()
    P = np.asarray(probs, dtype=float).ravel()
    if o.shape != P.shape:
        raise ValueError(f"outputs and probs must match, got {o.shape} and {P.shape}")
    hist, edges = np.histogram(o, bins=int(bins), range=(0.0, 1.0), weights=P)
    centers = 0.5 * (edges[:-1] + edges[1:])
    fig = go.Figure()
    fig.add_trace(go.Bar(x=centers, y=hist, width=np.diff(edges), marker_color="#9ecae1", name=text["hist_label"]))
    top = float(hist.max()) if hist.size else 1.0
    for value, label, color, dash, width in (
        (nwgm, text["nwgm_label"], RED, "solid", 4),
        (weight_scaled, text["scaled_label"], "#111111", "dash", 2),
        (arithmetic, text["arithmetic_label"], GREEN, "dot", 2.5),
    ):
        fig.add_trace(
            go.Scatter(
                x=[value, value],
                y=[0, top * 1.05],
                mode="lines",
                line=dict(color=color, dash=dash, width=width),
                name=label,
            )
        )
    fig.update_xaxes(title=text["x_label"], range=[0, 1])
    fig.update_yaxes(title=text["y_label"])
    return figure_layout(fig, text["title"], height)
