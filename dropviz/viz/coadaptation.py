"""Figures of the co-adaptation page: arrays in, ``go.Figure`` out (no Streamlit)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

RUN_COLORS = {"method": "#d62728", "baseline": "#1f77b4"}
# The figures' text, keyed; a caller's ``labels`` override these (runs and measures by their keys).
DEFAULT_LABELS = {
    "method": "method",
    "baseline": "no-dropout twin",
    "step": "step",
    "correlation_title": "",
    "clustered_units": "units (clustered)",
    "ablation_x": "fraction q of units removed",
    "ablation_y": "test error",
    "activations": "hidden activations",
    "unit_means": "per-unit mean activation",
    "fraction": "fraction",
    "units": "units",
}


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(labels or {})}


def _clean(matrix: np.ndarray, decimals: int = 3) -> list:
    """Rounded values with NaN as None (a gap in the heat map), small in JSON."""
    rounded = np.round(np.asarray(matrix, dtype=float), decimals)
    return np.where(np.isnan(rounded), None, rounded).tolist()


def correlation_heatmaps(
    frames: Mapping[str, tuple[Sequence[int], np.ndarray, Sequence[int]]],
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Side-by-side correlation heat maps (one per run), animated over training.

    ``frames[run] = (steps, matrices of shape (frames, k, k), units in display order)``.
    Runs may have different step lists; frame i shows each run's i-th snapshot
    (the runs are snapshotted together, so the steps agree in practice).
    """
    text = _labels(labels)
    runs = list(frames)
    fig = make_subplots(rows=1, cols=len(runs), subplot_titles=[text.get(r, r) for r in runs], horizontal_spacing=0.08)
    n_frames = min(len(frames[r][1]) for r in runs)

    def traces(i: int) -> list[go.Heatmap]:
        out = []
        for col, run in enumerate(runs):
            steps, matrices, units = frames[run]
            out.append(
                go.Heatmap(
                    z=_clean(matrices[i]),
                    x=[f"u{u}" for u in units],
                    y=[f"u{u}" for u in units],  # "u": categorical axis
                    zmin=-1,
                    zmax=1,
                    colorscale="RdBu_r",
                    showscale=col == len(runs) - 1,
                    colorbar={"title": "r", "len": 0.9},
                    name=text.get(run, run),
                    hovertemplate="%{y} vs %{x}: r=%{z}<extra>" + text.get(run, run) + "</extra>",
                )
            )
        return out

    for col, trace in enumerate(traces(n_frames - 1), start=1):
        fig.add_trace(trace, row=1, col=col)
    for col in range(1, len(runs) + 1):
        fig.update_xaxes(showticklabels=False, title_text=text["clustered_units"], row=1, col=col)
        fig.update_yaxes(
            showticklabels=False, autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col
        )
    steps = list(frames[runs[0]][0])
    if n_frames > 1:
        fig.frames = [
            go.Frame(data=traces(i), name=str(steps[i]), traces=list(range(len(runs)))) for i in range(n_frames)
        ]
        fig.update_layout(
            updatemenus=[
                {
                    "type": "buttons",
                    "showactive": False,
                    "x": 0.0,
                    "y": -0.08,
                    "xanchor": "left",
                    "buttons": [
                        {
                            "label": "▶",
                            "method": "animate",
                            "args": [None, {"frame": {"duration": 500, "redraw": True}, "fromcurrent": True}],
                        },
                        {
                            "label": "||",
                            "method": "animate",
                            "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
                        },
                    ],
                }
            ],
            sliders=[
                {
                    "active": n_frames - 1,
                    "x": 0.1,
                    "len": 0.9,
                    "y": -0.02,
                    "currentvalue": {"prefix": f"{text['step']} "},
                    "steps": [
                        {
                            "label": str(steps[i]),
                            "method": "animate",
                            "args": [[str(steps[i])], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}],
                        }
                        for i in range(n_frames)
                    ],
                }
            ],
        )
    fig.update_layout(title=text["correlation_title"] or None, height=460, margin={"t": 60, "b": 90, "l": 20, "r": 20})
    return fig


def measures_over_training(
    series: Mapping[str, Mapping[str, np.ndarray]],
    measures: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """One small chart per measure (titled by ``labels[measure]``), each run a line (``series[run]['step']`` on x)."""
    text = _labels(labels)
    fig = make_subplots(
        rows=1, cols=len(measures), subplot_titles=[text.get(m, m) for m in measures], horizontal_spacing=0.07
    )
    for col, measure in enumerate(measures, start=1):
        for run, data in series.items():
            fig.add_trace(
                go.Scatter(
                    x=np.asarray(data["step"]).tolist(),
                    y=np.asarray(data[measure], dtype=float).tolist(),
                    mode="lines+markers",
                    name=text.get(run, run),
                    legendgroup=run,
                    showlegend=col == 1,
                    line={"color": RUN_COLORS.get(run)},
                    marker={"size": 4},
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=text["step"], row=1, col=col)
    fig.update_layout(height=300, margin={"t": 40, "b": 40, "l": 40, "r": 20}, legend={"orientation": "h", "y": -0.25})
    return fig


def ablation_figure(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Test error vs fraction of units removed; ``curves[run] = (qs, mean error, std error)``."""
    text = _labels(labels)
    fig = go.Figure()
    for run, (qs, mean, std) in curves.items():
        fig.add_trace(
            go.Scatter(
                x=np.asarray(qs).tolist(),
                y=np.asarray(mean).tolist(),
                mode="lines+markers",
                name=text.get(run, run),
                error_y={"type": "data", "array": np.asarray(std).tolist(), "visible": True},
                line={"color": RUN_COLORS.get(run)},
            )
        )
    fig.update_layout(
        xaxis_title=text["ablation_x"],
        yaxis_title=text["ablation_y"],
        yaxis_rangemode="tozero",
        height=340,
        margin={"t": 30, "b": 40, "l": 50, "r": 20},
    )
    return fig


def activation_histograms(
    acts: Mapping[str, np.ndarray],
    labels: Mapping[str, str] | None = None,
    bins: int = 50,
) -> go.Figure:
    """Cf. the paper's Figure 8 (a 256-unit autoencoder there; a classifier MLP here): histogram of activations and of each unit's mean, runs overlaid."""
    text = _labels(labels)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[text["activations"], text["unit_means"]])
    # A diverged run has NaN/inf activations: only finite values are counted (none: nothing drawn).
    finite = {run: np.asarray(values, dtype=float) for run, values in acts.items()}
    tops = [float(np.max(v[np.isfinite(v)])) for v in finite.values() if np.isfinite(v).any()]
    top = max(tops, default=1.0) or 1.0
    for run, values in finite.items():
        kept = values[np.isfinite(values)]
        if kept.size == 0:
            continue
        counts, edges = np.histogram(kept, bins=bins, range=(min(0.0, float(kept.min())), max(top, float(kept.min()))))
        fig.add_trace(
            go.Bar(
                x=((edges[:-1] + edges[1:]) / 2).tolist(),
                y=(counts / counts.sum()).tolist(),
                name=text.get(run, run),
                legendgroup=run,
                marker_color=RUN_COLORS.get(run),
                opacity=0.6,
            ),
            row=1,
            col=1,
        )
        means = values.mean(axis=0)
        means = means[np.isfinite(means)]
        if means.size == 0:
            continue
        counts, edges = np.histogram(
            means, bins=bins // 2, range=(min(0.0, float(means.min())), float(means.max()) or 1.0)
        )
        fig.add_trace(
            go.Bar(
                x=((edges[:-1] + edges[1:]) / 2).tolist(),
                y=counts.tolist(),
                name=text.get(run, run),
                legendgroup=run,
                showlegend=False,
                marker_color=RUN_COLORS.get(run),
                opacity=0.6,
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(type="log", title_text=text["fraction"], row=1, col=1)
    fig.update_yaxes(title_text=text["units"], row=1, col=2)
    fig.update_layout(
        barmode="overlay",
        height=320,
        margin={"t": 40, "b": 40, "l": 50, "r": 20},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def mosaic(images: np.ndarray, columns: int = 8, normalize: bool = True) -> np.ndarray:
    """Tile (k, h, w) images into one array with NaN gutters; each image scaled to [-1, 1] by its max |w|."""
    images = np.asarray(images, dtype=float)
    k, h, w = images.shape
    columns = max(1, min(columns, k))
    rows = int(np.ceil(k / columns))
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for i, image in enumerate(images):
        if normalize:
            scale = np.abs(image).max()
            image = image / scale if scale > 0 else image
        r, c = divmod(i, columns)
        out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = image
    return out


def feature_images(
    features: Mapping[str, np.ndarray], labels: Mapping[str, str] | None = None, columns: int = 8
) -> go.Figure:
    """First-layer weight vectors as images (cf. the paper's Figure 7, an autoencoder there), one mosaic per run."""
    text = _labels(labels)
    runs = list(features)
    fig = make_subplots(rows=1, cols=len(runs), subplot_titles=[text.get(r, r) for r in runs], horizontal_spacing=0.04)
    for col, run in enumerate(runs, start=1):
        fig.add_trace(
            go.Heatmap(
                z=_clean(mosaic(features[run], columns)),
                zmin=-1,
                zmax=1,
                colorscale="RdBu_r",
                showscale=False,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(visible=False, row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col)
    fig.update_layout(height=320, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    return fig
