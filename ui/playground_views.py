"""What the Playground's live fragment computes, as plain functions (no Streamlit).

``run_every`` never fires under AppTest, so the fragment only *draws* what
:func:`build_views` returns; tests call :func:`build_views` on a real runner.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dropviz.config import LIVE_FIELDS, RunConfig
from dropviz.run_state import ACTIVE_STATES, ENDED_STATES, RunState
from dropviz.runner import LogSnapshot
from dropviz.train import display_units
from dropviz.viz.playground import (
    METRIC_COLUMNS,
    boundary_figure,
    curves_figure,
    image_grid_figure,
    mask_matrix_figure,
    metrics_frame,
    network_figure,
    plot_range,
    predict_classes,
    predict_grid,
    smoothed_losses,
    thin_rows,
)
from dropviz.viz.unit_maps import network_unit_maps, unit_maps_figure

# The views refresh while a run is active (a queued run starts by itself); a finished one is not restarted.
FINISHED_STATES = ENDED_STATES
MASK_MATRIX_SHAPE = (12, 16)
# The illustrative mask matrix (it does not depend on training) gets a new sample this often while a
# run is shown: resampled with every refresh it would flicker three times a second.
MASK_RESAMPLE_SECONDS = 5.0
IMAGE_COUNT = 12
# What the page's fragment draws; tests and callers may ask for fewer ("predictions" and "units" copy the models).
ALL_PARTS = frozenset({"curves", "network", "predictions", "mask", "units"})
MODEL_PARTS = frozenset({"predictions", "units"})  # the parts drawn from copies of the models
BOUNDARY_TEST_POINTS = 200
# Points per curve: wider than the chart's resolution buys nothing but browser time per refresh.
CURVE_POINTS = 200
# How long the Train click's own rerun waits for the first evaluation (a toy's first epoch takes
# milliseconds; a big net's first point then comes with the next refresh instead).
FIRST_POINT_WAIT_SECONDS = 0.6


@dataclass
class Progress:
    state: str
    epoch: float
    epochs: int
    step: int
    total_steps: int
    samples_per_second: float

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


@dataclass
class Views:
    progress: Progress
    metrics: pd.DataFrame
    curves: go.Figure | None = None
    network: go.Figure | None = None
    mask_matrix: go.Figure | None = None
    boundary: go.Figure | None = None
    images: go.Figure | None = None
    units: list[go.Figure] | None = None  # one per hidden layer (2-D data): every unit's map, method | twin
    unit_pairs: dict[str, list[int]] | None = None  # near-duplicate pairs per layer of each run
    message: str = ""


def figure_labels(t: Callable[..., str], config: RunConfig) -> dict[str, str]:
    """Translated labels for the figure builders."""
    keys = (
        "baseline",
        "train",
        "test",
        "loss",
        "error",
        "epoch",
        "gap",
        "no_data",
        "kept",
        "dropped",
        "input",
        "hidden",
        "output",
        "shown",
        "play",
        "step",
        "mask_dropout",
        "mask_dropconnect",
        "sub_networks",
        "to_unit",
        "from_unit",
        "pred",
        "twin_pred",
        "batch_loss",
        "no_eval_yet",
        "lines",
    )
    labels = {key: t(f"f_{key}") for key in keys if key not in ("shown", "sub_networks", "lines")}
    labels["shown"] = t("f_shown", shown="{shown}", total="{total}")
    labels["sub_networks"] = t("f_sub_networks", text="{text}")
    labels["lines"] = t("f_lines", order="{order}")
    labels["method"] = t("f_method", method=t(f"m_{config.method}"))
    labels["keep_subtitle"] = t("f_keep_subtitle", keep_p="{keep_p}")
    labels["keep_change"] = t("keep_change", old="{old}", new="{new}")
    labels["keep_change_input"] = t("keep_change_input", old="{old}", new="{new}")
    labels["diverged_at"] = t("f_diverged_at", step="{step}")
    for key in ("duplicates", "sampled", "all", "counted", "layer"):
        labels[f"u_{key}"] = t(
            f"u_{key}",
            pairs="{pairs}",
            threshold="{threshold}",
            shown="{shown}",
            total="{total}",
            counted="{counted}",
            layer="{layer}",
        )
    return labels


def keep_change_marks(snapshot: LogSnapshot, labels: dict[str, str]) -> list[tuple[float, str]]:
    """(epoch, "p 0.5 → 0.2") for each mid-run change of the keep probabilities."""
    started = snapshot.started
    per_epoch = started.steps_per_epoch if started is not None and started.steps_per_epoch else 1
    marks = []
    for change in getattr(snapshot, "keep_changes", ()):
        parts = []
        if change.new_keep_p != change.old_keep_p:
            parts.append(
                labels.get("keep_change", "p {old} → {new}").format(
                    old=f"{change.old_keep_p:g}", new=f"{change.new_keep_p:g}"
                )
            )
        if change.new_keep_p_input != change.old_keep_p_input:
            parts.append(
                labels.get("keep_change_input", "input p {old} → {new}").format(
                    old=f"{change.old_keep_p_input:g}", new=f"{change.new_keep_p_input:g}"
                )
            )
        if parts:
            marks.append((change.step / per_epoch, ", ".join(parts)))
    return marks


def diverged_runs(snapshot: LogSnapshot | None) -> dict[str, int]:
    """Run -> the step it diverged at, for a run (or sweep member) that ended diverged: the runs whose
    loss at its last step was not finite (the method where none is recorded)."""
    if snapshot is None or snapshot.state != RunState.DIVERGED or not snapshot.steps:
        return {}
    last = snapshot.steps[-1]
    bad = [run for run, value in last.losses.items() if not math.isfinite(value)]
    return {run: last.step for run in bad or ["method"]}


def live_curves(snapshot: LogSnapshot, config: RunConfig, frame: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """The learning curves of a snapshot: evaluations, the smoothed mini-batch loss from the first step,
    the mid-run keep-p changes, and the keep probability they are of in the title."""
    subtitle = ""
    if config.method != "none":  # the keep probability the curves are of (a sweep member's, 1.0 included)
        subtitle = labels.get("keep_subtitle", "p = {keep_p}").format(keep_p=f"{config.keep_p:g}")
    return curves_figure(
        thin_rows(frame, CURVE_POINTS),
        labels,
        smoothed=smoothed_losses(snapshot.steps, max_points=CURVE_POINTS),
        keep_changes=keep_change_marks(snapshot, labels),
        subtitle=subtitle,
        diverged=diverged_runs(snapshot),
    )


def progress_of(snapshot: LogSnapshot, config: RunConfig) -> Progress:
    total = snapshot.started.total_steps if snapshot.started else 0
    return Progress(snapshot.state, snapshot.epoch, config.epochs, snapshot.step, total, snapshot.samples_per_second)


def idle_views(
    config: RunConfig, labels: dict[str, str] | None = None, dataset=None, *, parts: frozenset[str] = ALL_PARTS
) -> Views:
    """What the page shows before the first Train: empty labelled curves, the mask illustration and,
    for a 2-D data set, its points and the untrained architecture (as TensorFlow Playground does).

    Drawing real Plotly charts here also makes the browser load Plotly while the user
    reads the page, not after the Train click (seconds on a slow machine).
    """
    labels = labels or {}
    progress = Progress("idle", 0.0, config.epochs, 0, 0, 0.0)
    views = Views(progress=progress, metrics=metrics_frame([]))
    runs = ("method", "baseline") if config.twin else ("method",)
    label_items = tuple(sorted(labels.items()))
    if "curves" in parts:
        views.curves = _idle_curves(runs, label_items)
    if "mask" in parts:
        views.mask_matrix = _mask_matrix(config.keep_p, config.seed, label_items)
    if dataset is not None and dataset.is_2d:
        if "network" in parts:
            sizes = (dataset.n_features, *config.hidden, dataset.n_classes)
            views.network = _idle_network(sizes, config.method, label_items)
        if "predictions" in parts:
            views.boundary = _idle_boundary(dataset, label_items, runs)
    return views


# The pre-Train pictures are drawn by every page that opens and again by every Train press (its first
# frame shows them under the live curves): kept, read-only, like the mask illustration, so that a class
# does not build them once per student, and with them their JSON (ui.live_chart.figure_payload).
@functools.lru_cache(maxsize=32)
def _idle_curves(runs: tuple[str, ...], labels: tuple[tuple[str, str], ...]) -> go.Figure:
    # Every curve present but empty: the legend says what will be drawn, before any point exists.
    columns = ["step", "epoch"] + [f"{run}_{name}" for run in runs for name in METRIC_COLUMNS]
    return curves_figure(pd.DataFrame(columns=columns), dict(labels))


@functools.lru_cache(maxsize=32)
def _idle_network(sizes: tuple[int, ...], method: str, labels: tuple[tuple[str, str], ...]) -> go.Figure:
    return network_figure(sizes, display_units(sizes), None, method=method, labels=dict(labels))


@functools.lru_cache(maxsize=32)
def _idle_boundary(dataset, labels: tuple[tuple[str, str], ...], runs: tuple[str, ...]) -> go.Figure:
    # Keyed by the data set object itself (datasets compare by identity): the page's preview is cached.
    return _boundary(dataset, dict(labels), runs)


def first_frame_views(
    snapshot: LogSnapshot,
    config: RunConfig,
    labels: dict[str, str] | None = None,
    dataset=None,
    *,
    parts: frozenset[str] = ALL_PARTS,
) -> Views:
    """The Train click's own frame: the live progress and curves over the pictures already on the page.

    Copying the models and drawing a trained network and boundary would hold up the first point;
    the pictures stay the pre-Train ones (identical, so the browser has nothing to redraw) and the
    trained ones follow with the next refresh.
    """
    labels = labels or {}
    views = idle_views(config, labels, dataset, parts=parts)
    views.progress = progress_of(snapshot, config)
    views.metrics = metrics_frame(snapshot.evaluations)
    views.message = snapshot.message
    if "curves" in parts and (snapshot.evaluations or snapshot.steps):
        views.curves = live_curves(snapshot, config, views.metrics, labels)
    return views


def build_views(
    snapshot: LogSnapshot,
    config: RunConfig,
    models: dict | None,
    dataset,
    labels: dict[str, str] | None = None,
    *,
    parts: frozenset[str] = ALL_PARTS,
    reuse: dict | None = None,
    now: float | None = None,
    replay: bool = True,
) -> Views:
    """The figures named in ``parts`` for one snapshot of the run (None until there is data for them).

    ``reuse`` (a dict the caller keeps between refreshes) holds which sample of the mask
    illustration is shown. ``replay=False`` draws only the newest mask, without the animation over
    the recorded ones (building its frames is most of a finished run's redraw).
    """
    labels = labels or {}
    now = time.monotonic() if now is None else now
    views = Views(
        progress=progress_of(snapshot, config), metrics=metrics_frame(snapshot.evaluations), message=snapshot.message
    )
    if "curves" in parts and (snapshot.evaluations or snapshot.steps):
        views.curves = live_curves(snapshot, config, views.metrics, labels)
    started = snapshot.started
    if "network" in parts and started is not None and (snapshot.masks or snapshot.latest_state is not None):
        weights = snapshot.latest_state.weights.get("method") if snapshot.latest_state else None
        recorded = snapshot.masks
        if snapshot.state in ACTIVE_STATES or not replay:
            # While training the view is redrawn every refresh, so it shows the newest
            # mini-batch's mask; the animation over the recent masks is built once the run
            # pauses or ends (24 frames cost ~1 s of plotly objects per redraw).
            recorded = recorded[-1:]
        history = [mask.masks for mask in recorded]
        steps = [mask.step for mask in recorded]
        views.network = network_figure(
            started.layer_sizes,
            started.display_units,
            weights,
            history,
            method=config.method,
            steps=steps,
            labels=labels,
        )
    if "mask" in parts:
        views.mask_matrix = _mask_matrix(
            config.keep_p, config.seed + _mask_sample(reuse, started, now), tuple(sorted(labels.items()))
        )
    if "predictions" in parts and models and dataset is not None:
        if dataset.is_2d:
            views.boundary = _boundary(dataset, labels, tuple(models), models)
        elif dataset.image_shape is not None:
            inputs = dataset.x_test[:IMAGE_COUNT]
            predictions = predict_classes(models, inputs)
            views.images = image_grid_figure(
                inputs.numpy(),
                dataset.image_shape,
                dataset.y_test[:IMAGE_COUNT].numpy(),
                predictions,
                dataset.class_names,
                labels=labels,
            )
    if "units" in parts and models and dataset is not None and dataset.is_2d:
        views.units, views.unit_pairs = unit_views(dataset, models, labels)
    return views


def unit_views(dataset, models: dict, labels: dict[str, str]) -> tuple[list[go.Figure], dict[str, list[int]]]:
    """Every hidden unit's map over the data's plane, one figure per hidden layer (method | twin),
    and the near-duplicate pair count of each layer of each run."""
    x_range, y_range = plot_range(dataset.x_train.numpy(), dataset.x_test[:BOUNDARY_TEST_POINTS].numpy())
    per_run = {run: network_unit_maps(model, x_range, y_range) for run, model in models.items()}
    text = {
        "duplicates": labels.get("u_duplicates"),
        "sampled": labels.get("u_sampled"),
        "all_units": labels.get("u_all"),
        "counted": labels.get("u_counted"),
        "method": labels.get("method"),
        "baseline": labels.get("baseline"),
    }
    text = {key: value for key, value in text.items() if value}
    figures = []
    n_layers = min(len(layers) for layers in per_run.values())
    for layer in range(n_layers):
        figure = unit_maps_figure({run: layers[layer] for run, layers in per_run.items()}, labels=text)
        figure.layout.title = {
            "text": labels.get("u_layer", "hidden layer {layer}").format(layer=layer + 1),
            "font": {"size": 13},
        }
        figure.layout.margin.t = 92
        figures.append(figure)
    return figures, {run: [maps.duplicate_pairs for maps in layers] for run, layers in per_run.items()}


def fragment_views(
    runner,
    config: RunConfig,
    labels: dict[str, str],
    preview,
    *,
    parts: frozenset[str] = ALL_PARTS,
    first_frame: bool = False,
    reuse: dict | None = None,
    predictions_every: float = 0.0,
    replay: bool = True,
) -> tuple[LogSnapshot | None, Views, bool]:
    """What the page's live fragment draws: (snapshot or None before Train, views, whether this is
    the Train click's first frame or a run without a step yet). A run that already ended gets its
    finished views at once."""
    if runner is None:
        return None, idle_views(config, labels, preview, parts=parts), False
    snapshot = runner.snapshot()
    # A run without a step (queued, starting) keeps the pre-Train pictures: with none, a queued page's charts
    # went blank, and its curves stopped listening for the points it will get when it starts.
    first_frame = (first_frame or snapshot.step == 0) and snapshot.state in ACTIVE_STATES
    if first_frame:
        return snapshot, first_frame_views(snapshot, config, labels, preview, parts=parts), True
    # The views that predict with the models (copies) are the costly part of a refresh: while training
    # they are redrawn at most every ``predictions_every`` seconds and reused in between.
    model_parts = parts & MODEL_PARTS
    previous = reuse.get("predicted") if reuse is not None else None
    now = time.monotonic()
    if (
        model_parts
        and snapshot.state in ACTIVE_STATES
        and previous is not None
        and previous[0] is snapshot.started
        and now - previous[1] < predictions_every
    ):
        views = build_views(
            snapshot, config, {}, runner.trained_dataset, labels, parts=parts - MODEL_PARTS, reuse=reuse, replay=replay
        )
        views.boundary, views.images, views.units, views.unit_pairs = previous[2]
        return snapshot, views, False
    models = runner.copy_models() if model_parts and snapshot.step > 0 else {}
    views = build_views(
        snapshot, config, models, runner.trained_dataset, labels, parts=parts, reuse=reuse, replay=replay
    )
    if reuse is not None and models:
        reuse["predicted"] = (snapshot.started, now, (views.boundary, views.images, views.units, views.unit_pairs))
    return snapshot, views, False


def _mask_sample(reuse: dict | None, started, now: float) -> int:
    """Which sample of the mask illustration to show: 0 when a run starts (the same picture as before
    Train, so the first refresh does not redraw it), then one more every MASK_RESAMPLE_SECONDS."""
    if reuse is None:
        return 0
    run, index, since = reuse.get("mask_sample", (None, 0, now))
    if run is not started:
        index, since = 0, now
    elif now - since >= MASK_RESAMPLE_SECONDS:
        index, since = index + 1, now
    reuse["mask_sample"] = (started, index, since)
    return index


def _boundary(dataset, labels: dict[str, str], runs: tuple[str, ...], models: dict | None = None) -> go.Figure:
    """The data of each run's panel, with the model's decision regions once there are models."""
    x_train, y_train = dataset.x_train.numpy(), dataset.y_train.numpy()
    x_test, y_test = dataset.x_test.numpy(), dataset.y_test.numpy()
    x_range, y_range = plot_range(x_train, x_test[:BOUNDARY_TEST_POINTS])
    if models:
        grids = {run: predict_grid(models[run], x_range, y_range) for run in runs}
    else:
        grids = {run: (np.linspace(*x_range, 2), np.linspace(*y_range, 2), None) for run in runs}
    return boundary_figure(
        grids,
        x_train,
        y_train,
        x_test,
        y_test,
        titles={run: labels.get(run, run) for run in runs},
        labels=labels,
        max_test_points=BOUNDARY_TEST_POINTS,
    )


@functools.lru_cache(maxsize=32)
def _mask_matrix(keep_p: float, seed: int, labels: tuple[tuple[str, str], ...]) -> go.Figure:
    n_out, n_in = MASK_MATRIX_SHAPE
    return mask_matrix_figure(n_out, n_in, keep_p, seed=seed, labels=dict(labels))


def view_texts(
    t: Callable[..., str], labels: dict[str, str], config: RunConfig, views: Views, snapshot, sweep_line: str | None
) -> dict[str, str]:
    """The Markdown the views show beside their charts, by element key: the latest metrics, the mask
    caption, the unit maps' summary and, for a sweep member (``sweep_line``: the sweep's progress), the
    caption naming it. The page draws them with Streamlit, or (an ended sweep) from its board as HTML."""
    pairs = views.unit_pairs or {}
    texts = {
        "pg_metrics": "" if views.metrics.empty else latest_markdown(views.metrics, labels, diverged_runs(snapshot)),
        "pg_mask_caption": t("v_mask_caption", p=f"{config.keep_p:g}"),
        "pg_units_summary": ""
        if not (views.units and "baseline" in pairs)
        else t(
            "v_units_summary",
            method=labels["method"],
            method_pairs=" · ".join(map(str, pairs["method"])),
            twin_pairs=" · ".join(map(str, pairs["baseline"])),
        ),
    }
    if sweep_line is not None:
        texts["pg_member_caption"] = t("sweep_member", keep_p=f"{config.keep_p:g}") + " · " + sweep_line
    return texts


def latest_markdown(frame: pd.DataFrame, labels: dict[str, str], diverged: dict[str, int] | None = None) -> str:
    """The last evaluation as a small Markdown table (cheaper for the browser than a data grid each refresh):
    one row per run, loss and error each as "train / test"; a run in ``diverged`` (run -> step) says
    where it diverged instead of its last numbers."""
    if frame.empty:
        return ""
    last = frame.iloc[-1]
    train, test = labels.get("train", "train"), labels.get("test", "test")
    lines = [
        f"| | {labels.get('loss', 'loss')}: {train} / {test} | {labels.get('error', 'error')}: {train} / {test} |",
        "|---|---:|---:|",
    ]
    diverged = diverged or {}
    for run in ("method", "baseline"):
        if run in diverged:
            text = labels.get("diverged_at", "diverged at step {step}").format(step=diverged[run])
            lines.append(f"| {labels.get(run, run)} | {text} | |")
        elif f"{run}_test_loss" in frame:
            lines.append(
                f"| {labels.get(run, run)} | {last[f'{run}_train_loss']:.4f} / {last[f'{run}_test_loss']:.4f} | "
                f"{last[f'{run}_train_error']:.1%} / {last[f'{run}_test_error']:.1%} |"
            )
    return "\n".join(lines)


def metrics_csv(runner) -> str:
    """The run's evaluations as CSV (header only before the first one)."""
    frame = metrics_frame(runner.snapshot().evaluations) if runner is not None else metrics_frame([])
    return frame.to_csv(index=False)


def network_replay(runner, labels: dict[str, str] | None = None) -> go.Figure | None:
    """The masked network with its animation over every recorded mask (the export for slides), whatever
    the run's state; None before the run has started."""
    if runner is None:
        return None
    snapshot = runner.snapshot()
    started = snapshot.started
    if started is None:
        return None
    weights = snapshot.latest_state.weights.get("method") if snapshot.latest_state else None
    return network_figure(
        started.layer_sizes,
        started.display_units,
        weights,
        [mask.masks for mask in snapshot.masks],
        method=runner.config.method,
        steps=[mask.step for mask in snapshot.masks],
        labels=labels,
    )


def applies_live(holder, config: RunConfig, dataset_key: str | None) -> bool:
    """Whether ``config`` differs from the holder's run only in its keep probabilities and the run has
    not ended: then the change is applied to the running trainer (from its next mini-batch) instead of
    resetting it."""
    runner = holder.runner
    if runner is None or holder.config is None or holder.dataset_key != dataset_key:
        return False
    if runner.state in FINISHED_STATES or not hasattr(runner, "set_keep_p"):
        return False
    return holder.config.model_copy(update={name: getattr(config, name) for name in LIVE_FIELDS}) == config


def should_refresh(state: str | None, step: int, target_step: int | None) -> bool:
    """Keep the fragment's timer on while training, or until a requested single step has landed."""
    if state in ACTIVE_STATES:
        return True
    return target_step is not None and step < target_step and state not in FINISHED_STATES
