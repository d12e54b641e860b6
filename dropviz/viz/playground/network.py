"""The masked network: units and connections of the current mini-batch's thinned net, replayable over recorded masks."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import DROPPED, NEGATIVE, POSITIVE, WIDTH_BUCKETS, _labels, live_figure


def _layer_positions(display: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """(x, y) of each drawn unit, layer by layer, centred vertically."""
    positions = []
    for layer, units in enumerate(display):
        n = len(units)
        ys = np.linspace(1, -1, n) if n > 1 else np.zeros(1)
        positions.append(np.stack([np.full(n, float(layer)), ys * min(1.0, 0.18 * n)], axis=1))
    return positions


def _kept_units(mask, n: int) -> np.ndarray:
    """Boolean kept flags for one layer's units (None means no unit dropout there)."""
    if mask is None:
        return np.ones(n, bool)
    mask = np.asarray(mask)
    if mask.ndim != 1:
        return np.ones(n, bool)
    return mask.astype(float) > 0


def _frame_traces(positions, display, weights, masks, method: str, text: dict) -> list[dict]:
    """The fixed set of traces of one animation frame (same count and order in every frame)."""
    n_layers = len(display)
    kept = []
    gauss = []
    for layer in range(n_layers):
        mask = masks[layer] if layer < len(masks) and method in ("dropout", "gaussian") else None
        kept.append(
            _kept_units(mask, len(display[layer])) if method == "dropout" else np.ones(len(display[layer]), bool)
        )
        gauss.append(
            np.asarray(mask, float) if method == "gaussian" and mask is not None and np.ndim(mask) == 1 else None
        )
    magnitudes = np.concatenate([np.abs(np.asarray(w, float)).ravel() for w in weights]) if weights else np.zeros(0)
    edges = np.quantile(magnitudes, [0.25, 0.5, 0.75]) if magnitudes.size else np.zeros(3)
    buckets: dict[tuple[int, int], tuple[list, list]] = {
        (s, b): ([], []) for s in (0, 1) for b in range(len(WIDTH_BUCKETS))
    }
    dropped_xy: tuple[list, list] = ([], [])
    for layer, weight in enumerate(weights):
        weight = np.asarray(weight, float)
        source, target = positions[layer], positions[layer + 1]
        connection_mask = None
        if method == "dropconnect" and layer < len(masks) and masks[layer] is not None and np.ndim(masks[layer]) == 2:
            connection_mask = np.asarray(masks[layer]).astype(float) > 0
        for j in range(weight.shape[0]):
            for i in range(weight.shape[1]):
                xs = [source[i, 0], target[j, 0], None]
                ys = [source[i, 1], target[j, 1], None]
                is_dropped = not kept[layer][i] or (connection_mask is not None and not connection_mask[j, i])
                if is_dropped:
                    dropped_xy[0].extend(xs)
                    dropped_xy[1].extend(ys)
                    continue
                sign = 0 if weight[j, i] >= 0 else 1
                bucket = int(np.searchsorted(edges, abs(weight[j, i])))
                buckets[(sign, bucket)][0].extend(xs)
                buckets[(sign, bucket)][1].extend(ys)
    traces = []
    for (sign, bucket), (xs, ys) in buckets.items():
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "hoverinfo": "skip",
                "showlegend": False,
                "line": {"color": POSITIVE if sign == 0 else NEGATIVE, "width": WIDTH_BUCKETS[bucket]},
                "opacity": 0.75,
                "name": f"w{'+' if sign == 0 else '−'}{bucket}",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": dropped_xy[0],
            "y": dropped_xy[1],
            "mode": "lines",
            "hoverinfo": "skip",
            "showlegend": False,
            "line": {"color": DROPPED, "width": 0.8, "dash": "dot"},
            "name": "dropped connections",
            "legendgroup": "dropped-connections",
        }
    )
    kept_x, kept_y, kept_text, kept_size, drop_x, drop_y, drop_text = [], [], [], [], [], [], []
    for layer, units in enumerate(display):
        for k, unit in enumerate(units):
            x, y = positions[layer][k]
            label = f"#{unit}"
            if kept[layer][k]:
                kept_x.append(x)
                kept_y.append(y)
                size = 16.0
                if gauss[layer] is not None:
                    size = float(np.clip(16.0 * abs(gauss[layer][k]), 6, 30))
                    label += f" ×{gauss[layer][k]:.2f}"
                kept_size.append(size)
                kept_text.append(label)
            else:
                drop_x.append(x)
                drop_y.append(y)
                drop_text.append(label)
    traces.append(
        {
            "type": "scatter",
            "x": kept_x,
            "y": kept_y,
            "mode": "markers",
            "text": kept_text,
            "name": text["kept"],
            "legendgroup": "kept-units",
            "hovertemplate": "%{text}<extra></extra>",
            # A scalar size unless it varies (Gaussian): per-point styles are slow to draw.
            "marker": {
                "size": kept_size if len(set(kept_size)) > 1 else 16.0,
                "color": "#ffffff",
                "line": {"color": "#333333", "width": 2},
            },
        }
    )
    traces.append(
        {
            "type": "scatter",
            "x": drop_x,
            "y": drop_y,
            "mode": "markers",
            "text": drop_text,
            "name": text["dropped"],
            "legendgroup": "dropped-units",
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"size": 16, "color": DROPPED, "symbol": "x", "line": {"color": "#888888", "width": 1}},
        }
    )
    return traces


def network_figure(
    layer_sizes: Sequence[int],
    display: Sequence[Sequence[int]],
    weights: Sequence[np.ndarray] | None,
    mask_history: Sequence[Sequence[np.ndarray | None]] = (),
    *,
    method: str = "dropout",
    steps: Sequence[int] | None = None,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """The network as units and weights, with the units/connections each recorded mini-batch dropped.

    ``display[l]`` are the unit indices drawn for layer ``l`` (a subsample of
    large layers, labelled "k of n shown"); ``weights[l]`` is the
    (len(display[l+1]), len(display[l])) block of layer ``l``'s weight matrix;
    each entry of ``mask_history`` is one MaskSnapshot's ``masks``. The figure
    shows the newest mask and has one animation frame per recorded mask.
    """
    text = _labels(labels)
    display = [tuple(units) for units in display]
    if weights is None:
        weights = [np.zeros((len(display[l + 1]), len(display[l]))) for l in range(len(display) - 1)]
    history = list(mask_history) or [tuple(None for _ in display)]
    steps = list(steps) if steps is not None else list(range(len(history)))
    positions = _layer_positions(display)
    frames = [
        {"data": _frame_traces(positions, display, weights, masks, method, text), "name": str(step)}
        for masks, step in zip(history, steps)
    ]
    n_layers = len(display)
    annotations = []
    for layer, units in enumerate(display):
        kind = text["input"] if layer == 0 else text["output"] if layer == n_layers - 1 else f"{text['hidden']} {layer}"
        total = layer_sizes[layer]
        subtitle = text["shown"].format(shown=len(units), total=total) if len(units) < total else f"{total}"
        annotations.append(
            {"x": layer, "y": 1.28, "text": f"<b>{kind}</b><br>{subtitle}", "showarrow": False, "font": {"size": 12}}
        )
    layout = {
        "height": 380,
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        "plot_bgcolor": "#ffffff",
        "showlegend": False,
        "uirevision": "network",
        "annotations": annotations,
        "xaxis": {"visible": False, "range": [-0.4, n_layers - 0.6], "automargin": False},
        "yaxis": {"visible": False, "range": [-1.25, 1.5], "automargin": False},
    }
    if len(frames) > 1:
        layout["updatemenus"] = [
            {
                "type": "buttons",
                "showactive": False,
                "x": 0.0,
                "y": -0.02,
                "xanchor": "left",
                "yanchor": "top",
                "direction": "left",
                "buttons": [
                    {
                        "label": text["play"],
                        "method": "animate",
                        "args": [
                            None,
                            {
                                "frame": {"duration": 450, "redraw": True},
                                "fromcurrent": True,
                                "transition": {"duration": 0},
                            },
                        ],
                    },
                    {
                        "label": text["pause"],
                        "method": "animate",
                        "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
                    },
                ],
            }
        ]
        layout["sliders"] = [
            {
                "active": len(frames) - 1,
                "x": 0.2,
                "y": 0.0,
                "len": 0.8,
                "yanchor": "top",
                "currentvalue": {"prefix": f"{text['step']} "},
                "steps": [
                    {
                        "label": frame["name"],
                        "method": "animate",
                        "args": [[frame["name"]], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}],
                    }
                    for frame in frames
                ],
            }
        ]
        layout["margin"]["b"] = 70
        layout["height"] = 440
    return live_figure(frames[-1]["data"], layout, frames if len(frames) > 1 else None)


def dropped_unit_count(fig: go.Figure) -> int:
    """Units drawn as dropped in the figure's shown frame (used by tests and the e2e check)."""
    return _group_size(fig.data, "dropped-units")


def dropped_connection_count(fig: go.Figure) -> int:
    """Connections drawn as dropped (each line is 3 coordinates: start, end, gap)."""
    return _group_size(fig.data, "dropped-connections") // 3


def _group_size(traces, group: str) -> int:
    for trace in traces:
        if trace.legendgroup == group:
            return len(trace.x or ())
    return 0
