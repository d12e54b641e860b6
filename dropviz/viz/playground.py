"""Figures of the Playground page: arrays in, ``go.Figure`` out. No Streamlit.

Each builder takes plain data (lists, numpy arrays, the engine's event
objects) so that it is tested without a browser. ``labels`` arguments carry
the already-translated UI text; every builder has English defaults.
"""

from __future__ import annotations

import base64
import io
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from ..dropout_math import count_subnetworks, effective_weight_mask_dropconnect, effective_weight_mask_dropout

RUN_STYLE = {"method": "solid", "baseline": "dash"}
SPLIT_COLOUR = {"train": "#1f77b4", "test": "#d62728"}
POSITIVE, NEGATIVE, DROPPED = "#e4572e", "#2e86ab", "#c8c8c8"
CLASS_COLOURS = (
    "#2e86ab",
    "#e4572e",
    "#3bb273",
    "#7768ae",
    "#f2a541",
    "#8d6a9f",
    "#4d9de0",
    "#e15554",
    "#7bc950",
    "#333333",
)
WIDTH_BUCKETS = (0.6, 1.4, 2.6, 4.2)  # line widths for the |w| quartiles

DEFAULT_LABELS = {
    "method": "dropout",
    "baseline": "no-dropout twin",
    "train": "train",
    "test": "test",
    "loss": "cross-entropy loss",
    "error": "error rate",
    "epoch": "epoch",
    "gap": "generalization gap (test − train loss)",
    "no_data": "press Train to see the curves",
    "kept": "kept",
    "dropped": "dropped",
    "input": "input",
    "hidden": "hidden",
    "output": "output",
    "shown": "{shown} of {total} shown",
    "play": "▶ play",
    "pause": "❚❚",
    "step": "step",
    "mask_dropout": "dropout: whole rows and columns",
    "mask_dropconnect": "DropConnect: independent entries",
    "sub_networks": "{text} sub-networks",
    "to_unit": "to unit",
    "from_unit": "from unit",
    "pred": "pred",
    "true": "true",
    "twin_pred": "twin",
    "lines": "lines under each image: {order}",
    "batch_loss": "mini-batch loss (smoothed)",
    "no_eval_yet": "mini-batch loss until the first evaluation",
}


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(labels or {})}


# ----------------------------------------------------------------------------- metrics

METRIC_COLUMNS = ("train_loss", "train_error", "test_loss", "test_error")


def metrics_frame(evaluations: Sequence) -> pd.DataFrame:
    """One row per evaluation: step, epoch, the keep probabilities in force (when the engine records
    them: they can change mid-run), then ``<run>_<metric>`` columns (the CSV download)."""
    rows = []
    for evaluation in evaluations:
        row = {"step": evaluation.step, "epoch": round(float(evaluation.epoch), 4)}
        if getattr(evaluation, "keep_p", None) is not None:
            row["keep_p"] = evaluation.keep_p
            row["keep_p_input"] = evaluation.keep_p_input
        for run, metrics in evaluation.metrics.items():
            for name in METRIC_COLUMNS:
                row[f"{run}_{name}"] = metrics.get(name)
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["step", "epoch"])


def thin_rows(frame: pd.DataFrame, max_rows: int = 400) -> pd.DataFrame:
    """At most ``max_rows`` evenly spaced rows, always keeping the last one.

    A long run evaluates thousands of times; drawing every point would send
    megabytes to the browser twice a second without changing the picture.
    """
    if len(frame) <= max_rows:
        return frame
    index = np.unique(np.linspace(0, len(frame) - 1, max_rows).round().astype(int))
    return frame.iloc[index]


def latest_gaps(frame: pd.DataFrame) -> dict[str, float]:
    """Test minus train loss of each run at the last evaluation."""
    if frame.empty:
        return {}
    last = frame.iloc[-1]
    return {
        run: float(last[f"{run}_test_loss"] - last[f"{run}_train_loss"])
        for run in ("method", "baseline")
        if f"{run}_test_loss" in frame
    }


def panels_layout(titles: Sequence[str], *, spacing: float = 0.08, title_size: int = 14) -> dict:
    """Layout of side-by-side panels (axes ``x``/``y``, ``x2``/``y2``, ...) with a title over each.

    The live views are rebuilt several times a second; ``make_subplots`` alone
    costs ~30 ms per figure here, a layout dict well under 1 ms.
    """
    n = max(1, len(titles))
    width = (1.0 - spacing * (n - 1)) / n
    layout: dict = {"annotations": []}
    for index in range(n):
        suffix = "" if index == 0 else str(index + 1)
        start = index * (width + spacing)
        # Fixed margins: automatic ones make Plotly lay the chart out twice on every redraw.
        layout[f"xaxis{suffix}"] = {"domain": [start, start + width], "anchor": f"y{suffix}", "automargin": False}
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "automargin": False}
        if index < len(titles) and titles[index]:
            layout["annotations"].append(
                {
                    "text": titles[index],
                    "x": start + width / 2,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": title_size},
                }
            )
    return layout


def live_figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from trace/layout dicts without plotly's per-property validation.

    The Playground redraws these figures several times a second and validation
    was most of their cost; the builders' output is validated in the tests
    instead (``go.Figure(fig.to_dict())``), so a wrong property still fails there.
    """
    return go.Figure(data=data, layout=layout, frames=frames, _validate=False)


def _axis_ref(col: int) -> dict[str, str]:
    return {"xaxis": f"x{col if col > 1 else ''}", "yaxis": f"y{col if col > 1 else ''}"}


def smoothed_losses(steps: Sequence, *, max_points: int = 200) -> pd.DataFrame:
    """The smoothed mini-batch training loss of each run (dropviz.train.smoothed_losses) as a frame:
    columns step, epoch and one per run, at most ``max_points`` evenly spaced rows (the last kept).
    Evaluations may be an epoch away on a large data set; this curve moves from the first mini-batch."""
    from ..train import smoothed_losses as smooth

    if not steps:
        return pd.DataFrame(columns=["step", "epoch"])
    frame = pd.DataFrame({"step": [int(step.step) for step in steps], "epoch": [float(step.epoch) for step in steps]})
    for run in steps[-1].losses:
        numbers, values = smooth(steps, run)
        frame[run] = pd.Series(values, index=pd.Index(numbers)).reindex(frame["step"]).to_numpy()
    return thin_rows(frame, max_points)


def curves_figure(
    frame: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    *,
    log_loss: bool = False,
    smoothed: pd.DataFrame | None = None,
    keep_changes: Sequence[tuple[float, str]] = (),
    subtitle: str = "",
) -> go.Figure:
    """Train/test loss (left) and error (right); method solid, twin dashed; gap shaded per run.

    ``smoothed`` (:func:`smoothed_losses`) adds the smoothed mini-batch loss of each run to the loss
    panel; ``keep_changes`` are (epoch, label) pairs drawn as labelled vertical lines ("p 0.5 → 0.2");
    ``subtitle`` leads the title (e.g. which keep probability the curves are of).
    """
    text = _labels(labels)
    # Wide enough a gap for the error panel's tick labels and title.
    layout = panels_layout((text["loss"], text["error"]), spacing=0.2)
    runs = [run for run in ("method", "baseline") if f"{run}_test_loss" in frame]
    # float32: half the bytes re-sent with every refresh, far below what a chart can show.
    epochs = frame["epoch"].to_numpy(np.float32) if "epoch" in frame else np.zeros(0, np.float32)
    traces = []
    for col, metric in ((1, "loss"), (2, "error")):
        for run in runs:
            for split in ("train", "test"):
                traces.append(
                    {
                        "type": "scatter",
                        **_axis_ref(col),
                        "x": epochs,
                        "y": frame[f"{run}_{split}_{metric}"].to_numpy(np.float32),
                        "mode": "lines",
                        "name": f"{text[run]} · {text[split]}",
                        "legendgroup": f"{run}{split}",
                        "showlegend": col == 1,
                        "line": {
                            "color": SPLIT_COLOUR[split],
                            "dash": RUN_STYLE[run],
                            "width": 2.4 if run == "method" else 1.8,
                        },
                        # The gap between train and test is shaded: a wide band is overfitting.
                        "fill": "tonexty" if split == "test" and metric == "loss" else "none",
                        "fillcolor": "rgba(214,39,40,0.10)" if run == "baseline" else "rgba(31,119,180,0.10)",
                        "hovertemplate": f"{text[run]} {text[split]}: %{{y:.3f}} @ {text['epoch']} %{{x:.0f}}<extra></extra>",
                    }
                )
    if smoothed is not None and len(smoothed):
        smooth_epochs = smoothed["epoch"].to_numpy(np.float32)
        for run in [run for run in ("method", "baseline") if run in smoothed]:
            traces.append(
                {
                    "type": "scatter",
                    "xaxis": "x",
                    "yaxis": "y",
                    "x": smooth_epochs,
                    "y": smoothed[run].to_numpy(np.float32),
                    "mode": "lines",
                    "name": f"{text[run]} · {text['batch_loss']}",
                    "legendgroup": f"{run}batch",
                    "line": {"color": "#7f7f7f", "dash": RUN_STYLE[run], "width": 1.4},
                    "opacity": 0.8,
                    "hovertemplate": f"{text[run]} {text['batch_loss']}: %{{y:.3f}} @ {text['epoch']} %{{x:.2f}}<extra></extra>",
                }
            )
    shapes = []
    for epoch, label in keep_changes:
        for col in (1, 2):
            suffix = "" if col == 1 else str(col)
            shapes.append(
                {
                    "type": "line",
                    "xref": f"x{suffix}",
                    "yref": f"y{suffix} domain",
                    "x0": epoch,
                    "x1": epoch,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#6d3fc0", "width": 1.5, "dash": "dash"},
                }
            )
        layout["annotations"].append(
            {
                "text": label,
                "x": epoch,
                "xref": "x",
                "y": 1.0,
                "yref": "y domain",
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "textangle": 0,
                "font": {"size": 11, "color": "#6d3fc0"},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        )
    layout["shapes"] = shapes
    layout["xaxis"]["title"] = layout["xaxis2"]["title"] = {"text": text["epoch"]}
    layout["yaxis"].update(title={"text": text["loss"]}, type="log" if log_loss else "linear")
    layout["yaxis2"].update(title={"text": text["error"]}, tickformat=".0%", rangemode="tozero")
    if frame.empty and (smoothed is None or not len(smoothed)):  # no points yet: empty axes instead of -1..4
        layout["yaxis"]["range"] = [0, 1]
        layout["yaxis2"]["range"] = [0, 1]
        layout["xaxis"]["range"] = layout["xaxis2"]["range"] = [0, 1]
    gaps = latest_gaps(frame)
    title = " · ".join(f"{text[run]} {gap:+.3f}" for run, gap in gaps.items())
    heading = f"{subtitle} · {text['gap']}" if subtitle else text["gap"]
    if title:
        title_text = f"{heading}<br><sup>{title}</sup>"
    elif smoothed is not None and len(smoothed):
        title_text = f"{subtitle} · {text['no_eval_yet']}" if subtitle else text["no_eval_yet"]
    else:
        title_text = f"{subtitle} · {text['no_data']}" if subtitle else text["no_data"]
    layout.update(
        title={"text": title_text, "font": {"size": 13}},
        height=420,
        margin={"l": 50, "r": 20, "t": 80, "b": 40},
        legend={"orientation": "h", "y": -0.28, "x": 0},
        uirevision="curves",
    )
    return live_figure(traces, layout)


# ----------------------------------------------------------------------------- masked network


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


# ----------------------------------------------------------------------------- mask matrix


def _break_title(title: str) -> str:
    """ "dropout: whole rows and columns" -> "dropout:<br>whole rows and columns" (either colon)."""
    for colon in (": ", "："):
        if colon in title:
            head, tail = title.split(colon, 1)
            return f"{head}{colon.strip()}<br>{tail}"
    return title


def mask_matrix_figure(
    n_out: int, n_in: int, keep_p: float, *, seed: int = 0, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Effective mask on one (n_out, n_in) weight matrix: dropout (rows and columns) vs DropConnect (entries)."""
    text = _labels(labels)
    rng = np.random.default_rng(seed)
    dropout = effective_weight_mask_dropout(n_out, n_in, keep_p, rng, mask_outputs=True).astype(int)
    dropconnect = effective_weight_mask_dropconnect(n_out, n_in, keep_p, rng).astype(int)
    counts = {}
    for name, kwargs in (("dropout", {"mask_outputs": True}), ("dropconnect", {})):
        try:
            counts[name] = text["sub_networks"].format(text=count_subnetworks(n_out, n_in, name, **kwargs).text)
        except ValueError:
            counts[name] = ""
    # Each title on two lines (a half-width panel on a 1280-pixel screen cut one line off).
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.06,
        subplot_titles=(
            f"{_break_title(text['mask_dropout'])}<br><sub>{counts['dropout']}</sub>",
            f"{_break_title(text['mask_dropconnect'])}<br><sub>{counts['dropconnect']}</sub>",
        ),
    )
    colours = [[0, "#f0f0f0"], [1, "#2e86ab"]]
    for col, matrix in ((1, dropout), (2, dropconnect)):
        fig.add_trace(
            go.Heatmap(
                z=matrix,
                zmin=0,
                zmax=1,
                colorscale=colours,
                showscale=False,
                xgap=1,
                ygap=1,
                hovertemplate=f"{text['to_unit']} %{{y}}, {text['from_unit']} %{{x}}: %{{z}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", showticklabels=False, row=1, col=col
        )
        fig.update_xaxes(showticklabels=False, row=1, col=col)
    fig.update_layout(height=350, margin={"l": 10, "r": 10, "t": 90, "b": 10})
    fig.update_annotations(font_size=13)
    return fig


# ----------------------------------------------------------------------------- decision boundary


@torch.no_grad()
def predict_grid(
    model: torch.nn.Module, x_range: tuple[float, float], y_range: tuple[float, float], resolution: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class probabilities of an eval-mode model on a resolution x resolution grid: (xs, ys, probs[ny, nx, k])."""
    xs = np.linspace(*x_range, resolution, dtype=np.float32)
    ys = np.linspace(*y_range, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    points = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    parameter = next(model.parameters(), None)
    if parameter is not None:
        points = points.to(parameter.device)
    was_training = model.training
    model.eval()
    try:
        probs = torch.softmax(model(points), dim=1).cpu().numpy()
    finally:
        model.train(was_training)
    return xs, ys, probs.reshape(resolution, resolution, -1)


def plot_range(*arrays: np.ndarray, margin: float = 0.25) -> tuple[tuple[float, float], tuple[float, float]]:
    points = np.concatenate([np.asarray(a, float) for a in arrays if len(a)], axis=0)
    low, high = points.min(0) - margin, points.max(0) + margin
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


# Pixels across one panel of the decision-boundary picture; its dots are drawn at BOUNDARY_SUPERSAMPLE
# times that and reduced, so their edges are smooth.
BOUNDARY_PIXELS = 360
BOUNDARY_SUPERSAMPLE = 2
REGION_OPACITY = 0.45
BOUNDARY_LINE = (34, 34, 34)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


def _region_palette(n_classes: int) -> np.ndarray:
    """uint8 colours of the regions over white. Two classes: 256 levels of P(class 1), a diverging
    scale through white at 50/50 (full class colour only at certainty). More: one per class."""
    white = np.full(3, 255.0)
    if n_classes == 2:
        p1 = np.linspace(0, 1, 256)[:, None]
        colour = np.where(p1 >= 0.5, _rgb(CLASS_COLOURS[1]), _rgb(CLASS_COLOURS[0]))
        tint = white + (colour - white) * np.abs(p1 - 0.5) * 2
    else:
        tint = np.stack([_rgb(CLASS_COLOURS[c % len(CLASS_COLOURS)]) for c in range(n_classes)])
    return np.round(white + (tint - white) * REGION_OPACITY).astype(np.uint8)


def _region_pixels(probs: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width, 3) uint8 RGB of the decision regions, row 0 at the lowest y: the grid's class
    probabilities interpolated bilinearly (the grid spans the panel exactly) and looked up in
    :func:`_region_palette`, with the boundary drawn where the predicted class changes between
    neighbouring pixels."""
    grid = torch.from_numpy(np.ascontiguousarray(probs, dtype=np.float32)).permute(2, 0, 1)[None]
    n_classes = grid.shape[1]
    if n_classes == 2:
        grid = grid[:, 1:]  # P(class 1) says it all
    fine = torch.nn.functional.interpolate(grid, size=(height, width), mode="bilinear", align_corners=True)[0]
    if n_classes == 2:
        level = (fine[0] * 255).round().clamp(0, 255).to(torch.uint8).numpy()
        winner = level >= 128
        pixels = _region_palette(2)[level]
    else:
        winner = fine.argmax(0).numpy()
        pixels = _region_palette(n_classes)[winner]
    edge = np.zeros(winner.shape, bool)
    edge[:, 1:] |= winner[:, 1:] != winner[:, :-1]
    edge[1:, :] |= winner[1:, :] != winner[:-1, :]
    edge[:, :-1] |= edge[:, 1:].copy()  # two pixels wide, like a contour line of width 2
    edge[:-1, :] |= edge[1:, :].copy()
    pixels[edge] = BOUNDARY_LINE
    return pixels


def _panel_size(x_range, y_range, pixels: int = BOUNDARY_PIXELS) -> tuple[int, int]:
    """(width, height) in pixels of a panel picture: ``pixels`` wide, the data's aspect."""
    (x0, x1), (y0, y1) = x_range, y_range
    return pixels, max(1, round(pixels * (y1 - y0) / (x1 - x0)))


def _dots_layer(width: int, height: int, x_range, y_range, x_train, y_train, x_test, y_test):
    """The data points as an RGBA picture (top row first) to lay over the regions: training points
    filled with a white rim, test points as rings. Drawn BOUNDARY_SUPERSAMPLE times larger and
    reduced, for smooth edges."""
    from PIL import Image, ImageDraw

    (x0, x1), (y0, y1) = x_range, y_range
    scale = BOUNDARY_SUPERSAMPLE
    big_w, big_h = width * scale, height * scale
    dots = Image.new("RGBA", (big_w, big_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(dots)

    def to_pixel(points: np.ndarray) -> np.ndarray:
        return np.stack([(points[:, 0] - x0) / (x1 - x0) * big_w, (y1 - points[:, 1]) / (y1 - y0) * big_h], axis=1)

    def colour(label) -> tuple[int, ...]:
        return tuple(int(v) for v in _rgb(CLASS_COLOURS[int(label) % len(CLASS_COLOURS)])) + (255,)

    for (px, py), label in zip(to_pixel(np.asarray(x_test, float)), np.asarray(y_test)):
        radius = 3 * scale
        draw.ellipse((px - radius, py - radius, px + radius, py + radius), outline=colour(label), width=scale)
    for (px, py), label in zip(to_pixel(np.asarray(x_train, float)), np.asarray(y_train)):
        radius = 5 * scale
        draw.ellipse(
            (px - radius, py - radius, px + radius, py + radius),
            fill=colour(label),
            outline=(255, 255, 255, 255),
            width=scale,
        )
    return dots.resize((width, height), Image.Resampling.LANCZOS)


def boundary_panel_image(
    probs: np.ndarray | None,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    pixels: int = BOUNDARY_PIXELS,
    dots=None,
) -> tuple[str, int, int]:
    """One panel of the decision-boundary view as a WebP data URI (row 0 of the image is the lowest y),
    ``pixels`` wide and as high as keeps the data's aspect (dots stay round); returns (uri, width, height).

    A picture rather than SVG traces: hundreds of SVG markers plus a contour made it the costliest
    chart for the browser to draw on a live refresh (99 vs 33 ms to mount, measured in Chromium). ``dots``
    (a :func:`_dots_layer` of the same size) saves drawing the points again for another panel.
    """
    from PIL import Image

    width, height = _panel_size(x_range, y_range, pixels)
    if probs is not None and probs.size:
        canvas = _region_pixels(probs, height, width)
    else:
        canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    # Image rows run top-down: the regions are flipped in, the finished picture flipped back below.
    regions = Image.fromarray(np.ascontiguousarray(np.flipud(canvas))).convert("RGBA")
    if dots is None:
        dots = _dots_layer(width, height, x_range, y_range, x_train, y_train, x_test, y_test)
    image = Image.alpha_composite(regions, dots).convert("RGB").transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    buffer = io.BytesIO()
    # WebP: a fifth of the PNG's bytes for this smooth picture (it is re-sent with every redraw).
    image.save(buffer, format="WEBP", quality=90, method=1)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), width, height


def boundary_panel_pixels(trace) -> np.ndarray:
    """A boundary panel's picture back as (height, width, 3) RGB integers, row 0 at the lowest y
    (used by the tests, which check what the picture shows)."""
    from PIL import Image

    data = base64.b64decode(trace.source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def boundary_figure(
    grids: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    titles: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    max_test_points: int = 400,
) -> go.Figure:
    """Decision regions of each run side by side, with training points (filled) and test points (rings).

    Each panel is one picture (:func:`boundary_panel_image`) placed on its data axes; a note under
    the panels says which dots are training and which test points.
    """
    text = _labels(labels)
    runs = list(grids)
    titles = titles or {}
    layout = panels_layout([titles.get(run, text.get(run, run)) for run in runs] or [""], spacing=0.05, title_size=16)
    x_train, y_train = np.asarray(x_train, float), np.asarray(y_train)
    x_test, y_test = np.asarray(x_test, float)[:max_test_points], np.asarray(y_test)[:max_test_points]
    traces = []
    # The panels share their ranges: the points are drawn once, and the pre-training panels
    # (no regions yet, the same picture) are encoded once.
    dots_by_range: dict = {}
    untrained_by_range: dict = {}
    for col, run in enumerate(runs, start=1):
        xs, ys, probs = grids[run]
        x_range, y_range = (float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1]))
        key = (x_range, y_range)
        if key not in dots_by_range:
            dots_by_range[key] = _dots_layer(
                *_panel_size(x_range, y_range), x_range, y_range, x_train, y_train, x_test, y_test
            )
        if probs is None and key in untrained_by_range:
            source, width, height = untrained_by_range[key]
        else:
            source, width, height = boundary_panel_image(
                probs, x_range, y_range, x_train, y_train, x_test, y_test, dots=dots_by_range[key]
            )
            if probs is None:
                untrained_by_range[key] = (source, width, height)
        dx, dy = (x_range[1] - x_range[0]) / width, (y_range[1] - y_range[0]) / height
        traces.append(
            {
                "type": "image",
                **_axis_ref(col),
                "name": f"{run} regions",
                "source": source,
                "x0": x_range[0] + dx / 2,
                "dx": dx,
                "y0": y_range[0] + dy / 2,
                "dy": dy,
                "hoverinfo": "skip",
            }
        )
        suffix = "" if col == 1 else str(col)
        bare = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": "", "autorange": False}
        layout[f"xaxis{suffix}"].update(range=list(x_range), **bare)
        layout[f"yaxis{suffix}"].update(range=list(y_range), scaleanchor=f"x{suffix}", **bare)
    layout["annotations"].append(
        {
            "text": f"● {text['train']}    ○ {text['test']}",
            "x": 0,
            "y": 0,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "top",
            "yshift": -4,
            "showarrow": False,
            "font": {"size": 12},
        }
    )
    layout.update(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 24}, showlegend=False, uirevision="boundary")
    return live_figure(traces, layout)


# ----------------------------------------------------------------------------- image predictions


@torch.no_grad()
def predict_classes(models: Mapping[str, torch.nn.Module], inputs: torch.Tensor) -> dict[str, np.ndarray]:
    out = {}
    for run, model in models.items():
        parameter = next(model.parameters(), None)
        batch = inputs.to(parameter.device) if parameter is not None else inputs
        model.eval()
        out[run] = model(batch).argmax(1).cpu().numpy()
    return out


def image_grid_figure(
    images: np.ndarray,
    image_shape: tuple[int, int],
    y_true: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    *,
    columns: int = 4,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Test images tiled into one heatmap; under each, one line per run: its predicted class, ✓ or ✗.

    A band under every row of tiles holds the labels, and few columns leave each label a tile's
    width (a class name like "Ankle boot" must not run into its neighbour's on a 1280-pixel screen);
    the note under the grid says which line is which run.
    """
    text = _labels(labels)
    images = np.asarray(images, float)
    n = len(images)
    h, w = image_shape
    rows = max(1, int(np.ceil(n / columns)))
    pad = 1
    band = max(6, int(round(h * 0.5))) * max(1, len(predictions))  # label rows under each image row
    row_height = h + band
    canvas = np.full((rows * row_height, columns * (w + pad)), np.nan)
    annotations = []
    for index in range(n):
        r, c = divmod(index, columns)
        tile = images[index].reshape(h, w)
        span = tile.max() - tile.min()
        canvas[r * row_height : r * row_height + h, c * (w + pad) : c * (w + pad) + w] = (tile - tile.min()) / (
            span or 1
        )
        parts = []
        for run, predicted in predictions.items():
            ok = int(predicted[index]) == int(y_true[index])
            name = (
                class_names[int(predicted[index])]
                if int(predicted[index]) < len(class_names)
                else str(predicted[index])
            )
            colour = "#2a9d4b" if ok else "#d62728"
            parts.append(f"<span style='color:{colour}'>{name} {'✓' if ok else '✗'}</span>")
        annotations.append(
            {
                "x": c * (w + pad) + w / 2 - 0.5,
                "y": r * row_height + h - 0.5,
                "text": "<br>".join(parts),
                "showarrow": False,
                "yanchor": "top",
                "font": {"size": 11},
                "yshift": -1,
            }
        )
    order = " / ".join(text["pred"] if run == "method" else text["twin_pred"] for run in predictions)
    annotations.append(
        {
            "x": 0,
            "y": 0,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "top",
            "yshift": -2,
            "showarrow": False,
            "text": text["lines"].format(order=order),
            "font": {"size": 11},
        }
    )
    fig = go.Figure(go.Heatmap(z=canvas, colorscale="gray_r", showscale=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(
        annotations=annotations,
        height=120 + 140 * rows,
        margin={"l": 5, "r": 5, "t": 10, "b": 28},
        plot_bgcolor="#ffffff",
    )
    return fig
