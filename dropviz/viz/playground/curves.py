"""Learning curves: the metrics table of a run's evaluations, the smoothed mini-batch loss, the curves figure."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .common import RUN_STYLE, SPLIT_COLOUR, _axis_ref, _labels, line_label, live_figure, panels_layout, vertical_line

METRIC_COLUMNS = ("train_loss", "train_error", "test_loss", "test_error")


def metrics_frame(evaluations: Sequence) -> pd.DataFrame:
    """One row per evaluation: step, epoch, the keep probabilities in force (when the engine records
    them: they can change mid-run), then ``<run>_<metric>`` columns (the CSV download)."""
    if not evaluations:
        return pd.DataFrame(columns=["step", "epoch"])
    # Built by columns (a frame from a list of row dicts cost ~5 ms per 1,000 evaluations on every refresh);
    # a run that appears only in later evaluations gets NaN before, as a row-built frame would.
    columns: dict[str, list] = {"step": [], "epoch": []}
    for index, evaluation in enumerate(evaluations):
        row = {"step": evaluation.step, "epoch": round(float(evaluation.epoch), 4)}
        if getattr(evaluation, "keep_p", None) is not None:
            row["keep_p"] = evaluation.keep_p
            row["keep_p_input"] = evaluation.keep_p_input
        for run, metrics in evaluation.metrics.items():
            for name in METRIC_COLUMNS:
                row[f"{run}_{name}"] = metrics.get(name)
        for name, value in row.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = [np.nan] * index
            column.append(value)
        for name, column in columns.items():
            if len(column) == index:
                column.append(np.nan)
    return pd.DataFrame(columns)


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


def smoothed_losses(steps: Sequence, *, max_points: int = 200) -> pd.DataFrame:
    """The smoothed mini-batch training loss of each run (dropviz.train.smoothed_losses) as a frame:
    columns step, epoch and one per run, at most ``max_points`` evenly spaced rows (the last kept).
    Evaluations may be an epoch away on a large data set; this curve moves from the first mini-batch."""
    from ...train import smoothed_losses as smooth

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
    diverged: Mapping[str, int] | None = None,
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
            shapes.append(vertical_line(epoch, col, {"color": "#6d3fc0", "width": 1.5, "dash": "dash"}))
        layout["annotations"].append(
            line_label(epoch, label, "#6d3fc0", 11, textangle=0, bgcolor="rgba(255,255,255,0.7)")
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
    diverged = diverged or {}
    # A run that diverged (``diverged``: run -> step) says so instead of a gap of nan or 1e24.
    title = " · ".join(
        f"{text[run]} {text['diverged_at'].format(step=diverged[run])}"
        if run in diverged
        else f"{text[run]} {gap:+.3f}"
        for run, gap in gaps.items()
    )
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
