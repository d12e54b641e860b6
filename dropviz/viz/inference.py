"""Figures of the inference page: arrays in, ``go.Figure`` out (no Streamlit)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .coadaptation import _clean, mosaic

MC_COLOR, WS_COLOR, GAUSS_COLOR = "#2ca02c", "#d62728", "#9467bd"


def mc_curve_figure(
    ks,
    mean_error,
    std_error,
    weight_scaled_error: float,
    *,
    k_reaching: int | None = None,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """The paper's Figure 11: MC-average error vs number k of sampled nets, and weight scaling."""
    text = {
        "mc": "MC average of k thinned nets",
        "ws": "weight scaling",
        "x": "k (sampled networks)",
        "y": "test error",
        "band": "± 1 sd over repeats",
        **(labels or {}),
    }
    ks, mean, std = (np.asarray(v, dtype=float) for v in (ks, mean_error, std_error))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([ks, ks[::-1]]).tolist(),
            y=np.concatenate([mean + std, (mean - std)[::-1]]).tolist(),
            fill="toself",
            fillcolor="rgba(44,160,44,0.18)",
            line={"width": 0},
            name=text["band"],
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(x=ks.tolist(), y=mean.tolist(), mode="lines", name=text["mc"], line={"color": MC_COLOR, "width": 2})
    )
    fig.add_trace(
        go.Scatter(
            x=[ks.min(), ks.max()],
            y=[weight_scaled_error] * 2,
            mode="lines",
            name=text["ws"],
            line={"color": WS_COLOR, "dash": "dash"},
        )
    )
    if k_reaching is not None:
        # On a log axis shapes take data values but annotations take log10 values.
        fig.add_shape(
            type="line", x0=k_reaching, x1=k_reaching, yref="paper", y0=0, y1=1, line={"color": "gray", "dash": "dot"}
        )
        fig.add_annotation(
            x=float(np.log10(k_reaching)),
            y=1,
            yref="paper",
            text=f"k = {k_reaching}",
            showarrow=False,
            yanchor="bottom",
        )
    fig.update_xaxes(range=[0, float(np.log10(max(2.0, ks.max())))])
    fig.update_layout(
        xaxis_title=text["x"],
        yaxis_title=text["y"],
        xaxis_type="log",
        height=360,
        margin={"t": 30, "b": 40, "l": 50, "r": 20},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def scaling_comparison_figure(
    p_inverted: np.ndarray,
    p_weight_scaling: np.ndarray,
    titles: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Per test example: the predicted-class probability of each implementation, one panel per variant
    (``titles``: one per variant; ``labels``: the axis titles "x" and "y").

    ``p_inverted`` / ``p_weight_scaling``: (variants, examples). Points on the diagonal = same prediction.
    """
    text = {"x": "inverted", "y": "weight-scaling", **(labels or {})}
    p_inverted, p_weight_scaling = np.atleast_2d(p_inverted), np.atleast_2d(p_weight_scaling)
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=list(titles))
    for col in range(len(titles)):
        fig.add_trace(
            go.Scattergl(
                x=np.round(p_inverted[col], 5).tolist(),
                y=np.round(p_weight_scaling[col], 5).tolist(),
                mode="markers",
                marker={"size": 4, "opacity": 0.5},
                showlegend=False,
            ),
            row=1,
            col=col + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                line={"color": "gray", "dash": "dot"},
                showlegend=False,
                hoverinfo="skip",
            ),
            row=1,
            col=col + 1,
        )
        fig.update_xaxes(title_text=text["x"], range=[0, 1.02], row=1, col=col + 1)
        fig.update_yaxes(title_text=text["y"], range=[0, 1.02], row=1, col=col + 1)
    fig.update_layout(height=330, margin={"t": 40, "b": 40, "l": 50, "r": 20})
    return fig


def dropconnect_figure(
    mean_error: float, gaussian: Mapping[int, float], mc_ks, mc_error, mc_std, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """DropConnect inference: mean network, Gaussian moment matching (S samples/unit), MC over masks (k)."""
    text = {
        "mean": "mean network (W·p)",
        "gauss": "Gaussian moment matching, S samples per unit",
        "mc": "MC over k sampled weight masks",
        "x": "samples (S or k)",
        "y": "test error",
        **(labels or {}),
    }
    ks, err, std = (np.asarray(v, dtype=float) for v in (mc_ks, mc_error, mc_std))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=ks.tolist(),
            y=err.tolist(),
            mode="lines",
            name=text["mc"],
            line={"color": MC_COLOR},
            error_y={"type": "data", "array": std.tolist(), "visible": True, "thickness": 0.5},
        )
    )
    counts = sorted(gaussian)
    fig.add_trace(
        go.Scatter(
            x=counts,
            y=[gaussian[c] for c in counts],
            mode="lines+markers",
            name=text["gauss"],
            line={"color": GAUSS_COLOR},
        )
    )
    top = max([ks.max() if ks.size else 1, *counts])
    fig.add_trace(
        go.Scatter(
            x=[1, top], y=[mean_error] * 2, mode="lines", name=text["mean"], line={"color": WS_COLOR, "dash": "dash"}
        )
    )
    fig.update_layout(
        xaxis_title=text["x"],
        yaxis_title=text["y"],
        xaxis_type="log",
        height=360,
        margin={"t": 30, "b": 40, "l": 50, "r": 20},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def uncertainty_plane(
    xs,
    ys,
    predicted_grid: np.ndarray,
    uncertainty_grids,
    points: np.ndarray,
    point_labels: np.ndarray,
    titles: Sequence[str] | None = None,
    colorbar_titles: Sequence[str] = ("H", "MI"),
) -> go.Figure:
    """2-D data: the decision regions beside one panel per uncertainty map (one 2-D grid, or a list of
    them, e.g. predictive entropy and mutual information), data points on every panel."""
    grids = [uncertainty_grids] if np.ndim(uncertainty_grids) == 2 else list(uncertainty_grids)
    if titles is None:
        titles = ("decision (weight scaling)", "predictive entropy", "mutual information")[: len(grids) + 1]
    if len(titles) != len(grids) + 1:
        raise ValueError(f"need {len(grids) + 1} titles (decision + one per map), got {len(titles)}")
    panels = len(grids) + 1
    fig = make_subplots(rows=1, cols=panels, subplot_titles=list(titles), horizontal_spacing=0.08)
    xs, ys = np.asarray(xs).tolist(), np.asarray(ys).tolist()
    fig.add_trace(
        go.Heatmap(
            x=xs,
            y=ys,
            z=np.asarray(predicted_grid).tolist(),
            colorscale="Portland",
            opacity=0.45,
            showscale=False,
            hovertemplate="class %{z}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for index, grid in enumerate(grids):
        name = colorbar_titles[index] if index < len(colorbar_titles) else ""
        right = (index + 2) / panels
        fig.add_trace(
            go.Heatmap(
                x=xs,
                y=ys,
                z=_clean(grid, 4),
                colorscale="Viridis",
                colorbar={"title": name, "len": 0.9, "x": right + 0.005, "thickness": 12},
                hovertemplate=f"{name} %{{z}}<extra></extra>",
            ),
            row=1,
            col=index + 2,
        )
    points = np.asarray(points)
    for col in range(1, panels + 1):
        fig.add_trace(
            go.Scatter(
                x=points[:, 0].tolist(),
                y=points[:, 1].tolist(),
                mode="markers",
                showlegend=False,
                marker={
                    "size": 4,
                    "color": np.asarray(point_labels).tolist(),
                    "colorscale": "Portland",
                    "line": {"width": 0.5, "color": "white"},
                },
            ),
            row=1,
            col=col,
        )
    fig.update_layout(height=380, margin={"t": 40, "b": 30, "l": 30, "r": 40})
    return fig


def certainty_examples(
    images: Mapping[str, np.ndarray], captions: Mapping[str, Sequence[str]], columns: int = 8
) -> go.Figure:
    """Rows of test images (e.g. most / least certain); ``images[row] = (k, h, w)``."""
    rows = list(images)
    fig = make_subplots(rows=len(rows), cols=1, subplot_titles=rows, vertical_spacing=0.12)
    for row, name in enumerate(rows, start=1):
        block = np.asarray(images[name], dtype=float)
        tiled = mosaic(block, columns, normalize=False)
        h, w = block.shape[1:]
        text = [[""] * tiled.shape[1] for _ in range(tiled.shape[0])]
        for i, caption in enumerate(captions[name]):
            r, c = divmod(i, columns)
            for dy in range(h):
                for dx in range(w):
                    text[r * (h + 1) + dy][c * (w + 1) + dx] = caption
        fig.add_trace(
            go.Heatmap(
                z=_clean(tiled), text=text, colorscale="Greys", showscale=False, hovertemplate="%{text}<extra></extra>"
            ),
            row=row,
            col=1,
        )
        fig.update_xaxes(visible=False, row=row, col=1)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{row if row > 1 else ''}", row=row, col=1)
    fig.update_layout(height=170 * len(rows) + 40, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    return fig
