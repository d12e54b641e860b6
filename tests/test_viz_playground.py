"""Playground figure builders: arrays in, go.Figure out; inspect the traces, no browser."""

import numpy as np
import pytest
import torch

from dropviz.config import RunConfig
from dropviz.lessons import LESSONS
from dropviz.train import Trainer
from dropviz.viz.playground import (
    CLASS_COLOURS,
    boundary_figure,
    boundary_panel_pixels,
    curves_figure,
    dropped_connection_count,
    dropped_unit_count,
    image_grid_figure,
    latest_gaps,
    mask_matrix_figure,
    metrics_frame,
    network_figure,
    predict_grid,
)

DISPLAY = ((0, 1), (0, 1, 2, 3), (0, 1), (0, 1))
SIZES = (2, 4, 2, 2)
WEIGHTS = (np.array([[1.0, -1.0]] * 4), np.array([[0.5, -0.2, 2.0, -3.0]] * 2), np.ones((2, 2)))


def masks(hidden_kept):
    return (None, np.array(hidden_kept, bool), np.array([True, True]))


def test_network_draws_the_recorded_dropped_units_and_one_frame_per_mask():
    history = [masks([1, 0, 1, 0]), masks([0, 0, 0, 1]), masks([1, 1, 1, 0])]
    fig = network_figure(SIZES, DISPLAY, WEIGHTS, history, method="dropout", steps=[10, 11, 12])
    assert len(fig.frames) == 3
    assert [frame.name for frame in fig.frames] == ["10", "11", "12"]
    assert dropped_unit_count(fig) == 1  # the newest mask is shown
    assert dropped_unit_count(go_frame(fig, 1)) == 3
    # every frame has the same traces, so Plotly can animate between them
    assert len({len(frame.data) for frame in fig.frames}) == 1
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    assert len(fig.layout.sliders[0].steps) == 3
    # a dropped unit's outgoing weights are drawn as dropped connections: 1 unit x 2 targets
    assert dropped_connection_count(fig) == 2


def go_frame(fig, index):
    class Holder:
        data = fig.frames[index].data

    return Holder


def test_network_line_width_from_abs_weight_and_colour_from_sign():
    fig = network_figure(SIZES, DISPLAY, WEIGHTS, [masks([1, 1, 1, 1])])
    lines = [trace for trace in fig.data if trace.mode == "lines" and trace.x and trace.legendgroup is None]
    colours = {trace.line.color for trace in lines}
    assert len(colours) == 2  # positive and negative weights
    widths = sorted({trace.line.width for trace in lines})
    assert widths[0] < widths[-1]
    assert fig.frames == ()  # one mask: no animation


def test_network_dropconnect_drops_connections_not_units():
    weight_masks = (np.ones((4, 2), bool), np.array([[1, 0, 1, 0], [0, 1, 1, 1]], bool), np.ones((2, 2), bool))
    fig = network_figure(SIZES, DISPLAY, WEIGHTS, [weight_masks], method="dropconnect")
    assert dropped_unit_count(fig) == 0
    assert dropped_connection_count(fig) == 3


def test_network_labels_a_subsampled_large_layer():
    fig = network_figure((2, 128, 2), ((0, 1), tuple(range(0, 128, 16)), (0, 1)), None, [])
    texts = " ".join(annotation.text for annotation in fig.layout.annotations)
    assert "8 of 128 shown" in texts


def test_network_from_a_real_trainer_shows_dropped_units():
    trainer = Trainer(RunConfig(hidden=(16, 16), keep_p=0.5, epochs=10, train_size=20))
    history, steps = [], []
    for _ in range(4):
        for event in trainer.step():
            if type(event).__name__ == "MaskSnapshot":
                history.append(event.masks)
                steps.append(event.step)
    state = trainer.state_snapshot()
    fig = network_figure(
        trainer.started_event().layer_sizes, trainer.display, state.weights["method"], history, steps=steps
    )
    assert len(fig.frames) == 4
    assert sum(dropped_unit_count(go_frame(fig, i)) for i in range(4)) > 0


def evaluations(n=5):
    class Eval:
        def __init__(self, step):
            self.step, self.epoch = step, step / 2
            self.metrics = {
                run: {
                    "train_loss": 1 / step,
                    "train_error": 0.1,
                    "test_loss": 1 / step + (0.5 if run == "baseline" else 0.1),
                    "test_error": 0.2,
                }
                for run in ("method", "baseline")
            }

    return [Eval(step) for step in range(1, n + 1)]


def test_metrics_frame_and_curves_overlay_method_and_twin():
    frame = metrics_frame(evaluations())
    assert list(frame.columns[:4]) == ["step", "epoch", "method_train_loss", "method_train_error"]
    assert len(frame) == 5
    assert latest_gaps(frame) == pytest.approx({"method": 0.1, "baseline": 0.5})
    fig = curves_figure(frame, {"method": "with dropout"})
    assert len(fig.data) == 8  # 2 runs x 2 splits x (loss, error)
    dashed = [trace for trace in fig.data if trace.line.dash == "dash"]
    assert len(dashed) == 4
    assert fig.layout.xaxis.title.text == "epoch"
    assert "+0.500" in fig.layout.title.text
    assert metrics_frame([]).empty


def test_mask_matrix_dropout_rows_and_columns_vs_dropconnect_entries():
    fig = mask_matrix_figure(12, 16, 0.5, seed=3)
    dropout, dropconnect = (np.array(trace.z) for trace in fig.data)
    assert dropout.shape == dropconnect.shape == (12, 16)
    # dropout: the mask is an outer product, every row is all-zero or equal to the input mask
    nonzero_rows = dropout[dropout.any(1)]
    assert (nonzero_rows == nonzero_rows[0]).all()
    assert not (dropconnect[dropconnect.any(1)] == dropconnect[dropconnect.any(1)][0]).all()
    assert "sub-networks" in fig.layout.annotations[0].text


def test_decision_boundary_grid_and_figure():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    xs, ys, probs = predict_grid(model, (-1, 1), (-2, 2), resolution=20)
    assert probs.shape == (20, 20, 2)
    assert np.allclose(probs.sum(-1), 1, atol=1e-5)
    x = np.random.default_rng(0).normal(size=(30, 2))
    y = (x[:, 0] > 0).astype(int)
    fig = boundary_figure({"method": (xs, ys, probs), "baseline": (xs, ys, probs)}, x, y, x, y)
    panels = [trace for trace in fig.data if trace.type == "image"]
    assert len(panels) == 2 and {panel.xaxis for panel in panels} == {"x", "x2"}
    assert fig.layout.yaxis.scaleanchor == "x" and list(fig.layout.yaxis.range) == [-2, 2]


def _pixel(trace, pixels, x, y) -> np.ndarray:
    return pixels[int(round((y - trace.y0) / trace.dy)), int(round((x - trace.x0) / trace.dx))]


def test_boundary_picture_has_regions_the_boundary_line_and_the_points_where_they_are():
    xs, ys = np.linspace(-1, 1, 11), np.linspace(-1, 1, 11)
    probs = np.zeros((11, 11, 2))
    probs[..., 1] = np.clip(0.5 + xs[None, :], 0, 1)  # class 1 to the right of x = 0
    probs[..., 0] = 1 - probs[..., 1]
    x_train, y_train = np.array([[-0.6, 0.7]]), np.array([0])
    x_test, y_test = np.array([[0.6, -0.7]]), np.array([1])
    panel = boundary_figure({"method": (xs, ys, probs)}, x_train, y_train, x_test, y_test).data[0]
    pixels = boundary_panel_pixels(panel)
    assert pixels.shape[0] == pixels.shape[1]  # square data range, square picture: round dots
    blue, red = (np.array([int(CLASS_COLOURS[c][i : i + 2], 16) for i in (1, 3, 5)]) for c in (0, 1))
    white = np.array([255, 255, 255])
    # Regions: at certainty the class colour over white at the region opacity.
    assert np.abs(_pixel(panel, pixels, -0.9, -0.9) - (white + (blue - white) * 0.45)).max() < 12
    assert np.abs(_pixel(panel, pixels, 0.9, 0.9) - (white + (red - white) * 0.45)).max() < 12
    # The boundary: a dark line down x = 0, nowhere else.
    across = [_pixel(panel, pixels, x, 0.3).max() for x in np.linspace(-0.03, 0.03, 13)]
    assert min(across) < 90 and _pixel(panel, pixels, 0.5, 0.3).max() > 150
    # A filled training dot (class 0, upper left) and a test ring (class 1, lower right): ring centre is the region.
    assert np.abs(_pixel(panel, pixels, -0.6, 0.7) - blue).max() < 40
    ring = [_pixel(panel, pixels, 0.6 + dx, -0.7) for dx in np.linspace(-0.06, 0.06, 25)]
    assert min(np.abs(colour - red).max() for colour in ring) < 60

    preview = boundary_figure({"method": (xs[[0, -1]], ys[[0, -1]], None)}, x_train, y_train, x_test, y_test).data[0]
    pixels = boundary_panel_pixels(preview)
    assert (pixels.min(-1) > 245).mean() > 0.95  # no regions before training: white but for the dots
    assert np.abs(_pixel(preview, pixels, -0.6, 0.7) - blue).max() < 40


def test_the_data_points_picture_is_drawn_once_per_data_and_panel_and_never_changed_by_a_panel():
    from dropviz.viz.playground import boundary

    xs, ys = np.linspace(-1, 1, 11), np.linspace(-1, 1, 11)
    probs = np.full((11, 11, 2), 0.5)
    x, y = np.array([[-0.6, 0.7], [0.2, 0.1]]), np.array([0, 1])
    drawn = []
    original = boundary._draw_dots
    boundary._DOTS.clear()
    try:
        boundary._draw_dots = lambda *args: drawn.append(args) or original(*args)
        first = boundary_figure({"method": (xs, ys, probs)}, x, y, x, y).data[0].source
        again = boundary_figure({"method": (xs, ys, probs * 0 + [0.9, 0.1])}, x, y, x, y)
        assert len(drawn) == 1  # the second figure reused the points' picture
        assert boundary_figure({"method": (xs, ys, probs)}, x, y, x, y).data[0].source == first  # unchanged by use
        assert again.data[0].source != first
        boundary_figure({"method": (xs, ys, probs)}, x + 0.1, y, x, y)  # other points: drawn anew
        assert len(drawn) == 2
        for shift in range(boundary.DOTS_KEPT + 5):  # bounded
            boundary._dots_layer(4, 4, (0, 1), (0, 1), x + shift, y, x, y)
        assert len(boundary._DOTS) == boundary.DOTS_KEPT
    finally:
        boundary._draw_dots = original


def test_image_grid_marks_right_and_wrong_predictions():
    images = np.random.default_rng(0).random((4, 64))
    fig = image_grid_figure(
        images, (8, 8), np.array([1, 2, 3, 4]), {"method": np.array([1, 2, 0, 4])}, [str(i) for i in range(10)]
    )
    marks = [annotation.text for annotation in fig.layout.annotations]
    assert len(marks) == 5  # one label per image, and the note saying which line is which run
    assert sum("✗" in text for text in marks) == 1
    assert marks[-1] == "lines under each image: pred"


def test_image_grid_labels_have_a_tile_each_and_a_band_under_their_row():
    """Labels must not run into each other: each is centred on its own tile (few columns), under the
    tile, in a band of empty rows above the next row of images."""
    images = np.random.default_rng(0).random((12, 28 * 28))
    predictions = {"method": np.arange(12) % 10, "baseline": (np.arange(12) + 1) % 10}
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    fig = image_grid_figure(images, (28, 28), np.arange(12) % 10, predictions, names)
    labels = fig.layout.annotations[:-1]
    xs = sorted({annotation.x for annotation in labels})
    assert len(xs) == 4 and min(np.diff(xs)) >= 28  # four columns, a whole tile apart
    canvas = np.asarray(fig.data[0].z, float)
    for annotation in labels:
        row = int(annotation.y + 1)  # the label hangs from the bottom edge of its tile
        assert np.isnan(canvas[row : row + 14]).all()  # an empty band of two label lines under the tile
        assert annotation.text.count("<br>") == 1  # one line per run


def test_smoothed_mini_batch_loss_from_the_first_step():
    from dropviz.train import Step
    from dropviz.viz.playground import smoothed_losses

    steps = [Step(i + 1, (i + 1) / 4, {"method": loss, "baseline": 1.0}) for i, loss in enumerate([4.0, 2.0, 6.0])]
    frame = smoothed_losses(steps)
    # debiased EMA with factor 0.9: 4; (0.36 + 0.2) / 0.19; (0.504 + 0.6) / 0.271
    assert frame["method"].tolist() == pytest.approx([4.0, 0.56 / 0.19, 1.104 / 0.271])
    assert frame["baseline"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert frame["epoch"].tolist() == [0.25, 0.5, 0.75]


def test_curves_show_the_batch_loss_before_any_evaluation_and_mark_keep_changes():
    from dropviz.train import Step
    from dropviz.viz.playground import smoothed_losses

    steps = [Step(i + 1, (i + 1) / 10, {"method": 1.0 / (i + 1), "baseline": 0.5}) for i in range(30)]
    fig = curves_figure(
        metrics_frame([]), smoothed=smoothed_losses(steps), keep_changes=[(1.5, "p 0.5 → 0.2")], subtitle="p = 0.5"
    )
    batch = [trace for trace in fig.data if "mini-batch" in (trace.name or "")]
    assert len(batch) == 2 and len(batch[0].x) == 30
    assert fig.layout.title.text.startswith("p = 0.5")
    assert [shape.x0 for shape in fig.layout.shapes] == [1.5, 1.5]  # both panels
    assert "p 0.5 → 0.2" in [annotation.text for annotation in fig.layout.annotations]


def test_metrics_frame_records_the_keep_probability_of_each_evaluation():
    from dropviz.train import Evaluation

    metrics = {"method": {"train_loss": 1.0, "train_error": 0.5, "test_loss": 1.2, "test_error": 0.6}}
    frame = metrics_frame(
        [
            Evaluation(2, 1.0, metrics, keep_p=0.5, keep_p_input=1.0),
            Evaluation(4, 2.0, metrics, keep_p=0.2, keep_p_input=0.8),
        ]
    )
    assert frame["keep_p"].tolist() == [0.5, 0.2] and frame["keep_p_input"].tolist() == [1.0, 0.8]


def test_mask_matrix_titles_break_after_the_colon():
    fig = mask_matrix_figure(12, 16, 0.5)
    titles = [annotation.text for annotation in fig.layout.annotations]
    assert titles[0].startswith("dropout:<br>whole rows and columns")
    assert titles[1].startswith("DropConnect:<br>independent entries")
    zh = mask_matrix_figure(12, 16, 0.5, labels={"mask_dropout": "Dropout：整行和整列"})
    assert zh.layout.annotations[0].text.startswith("Dropout：<br>整行和整列")


def test_mask_matrix_is_the_theory_pages_mask_figure_with_the_playgrounds_text():
    from dropviz.viz.math_figures import mask_comparison_figure

    fig = mask_matrix_figure(12, 16, 0.5, seed=3)
    same = mask_comparison_figure(*(trace.z for trace in fig.data))
    for mine, theirs in zip(fig.data, same.data):
        assert mine.colorscale == theirs.colorscale and (mine.xgap, mine.zmax) == (theirs.xgap, theirs.zmax)
    assert fig.layout.xaxis.title.text == "from unit" and fig.layout.yaxis.title.text == "to unit"
    assert fig.data[0].hovertemplate.startswith("to unit %{y}, from unit %{x}")
    assert fig.layout.margin.t > same.layout.margin.t  # room for the three-line panel titles


def test_presets_are_valid_settings_urls():
    for preset in LESSONS:
        config = preset.config()
        assert preset.url().startswith("?")
        assert isinstance(config, RunConfig)
    assert LESSONS[0].config() == RunConfig()  # the first lesson is the default demo
    from ui.text.lessons import LESSON_TEXT

    assert sorted(LESSON_TEXT) == sorted(preset.key for preset in LESSONS)  # each lesson's title and text ...
    for title, lesson in LESSON_TEXT.values():  # ... in both languages
        assert all(title) and lesson[0] and any("\u4e00" <= ch <= "\u9fff" for ch in lesson[1])


def test_live_figures_pass_plotly_full_validation():
    """The live builders skip plotly's validation for speed; here every property is checked."""
    import plotly.graph_objects as go

    history = [masks([1, 0, 1, 0]), masks([0, 0, 0, 1])]
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    xs, ys, probs = predict_grid(model, (-1, 1), (-2, 2), resolution=10)
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = (x[:, 0] > 0).astype(int)
    figures = {
        "curves": curves_figure(metrics_frame(evaluations())),
        "network": network_figure(SIZES, DISPLAY, WEIGHTS, history, method="dropout", steps=[1, 2]),
        "dropconnect": network_figure(
            SIZES, DISPLAY, WEIGHTS, [(np.ones((4, 2)), np.eye(2, 4), np.ones((2, 2)))], method="dropconnect"
        ),
        "boundary": boundary_figure({"method": (xs, ys, probs), "baseline": (xs, ys, probs)}, x, y, x, y),
    }
    for name, fig in figures.items():
        checked = go.Figure(fig.to_dict())  # raises ValueError naming any invalid property
        assert len(checked.data) == len(fig.data), name
    assert figures["curves"].layout.xaxis2.domain[0] > figures["curves"].layout.xaxis.domain[1]
    bad = curves_figure(metrics_frame(evaluations())).to_dict()
    bad["data"][0]["linestyle"] = "dotted"  # the check above really validates
    with pytest.raises(ValueError):
        go.Figure(bad)


def test_the_metrics_frame_has_a_row_per_evaluation_and_nan_where_a_run_or_keep_p_is_not_yet_there():
    from types import SimpleNamespace

    from dropviz.viz.playground import metrics_frame

    evaluations = [
        SimpleNamespace(
            step=step,
            epoch=step / 3,
            keep_p=0.5 if step >= 2 else None,
            keep_p_input=1.0,
            metrics={"method": {"train_loss": float(step)}, **({"baseline": {"test_error": 0.25}} if step else {})},
        )
        for step in range(4)
    ]
    frame = metrics_frame(evaluations)
    assert list(frame.columns[:3]) == ["step", "epoch", "method_train_loss"]
    assert frame["step"].tolist() == [0, 1, 2, 3] and frame["epoch"].tolist() == [0.0, 0.3333, 0.6667, 1.0]
    assert frame["method_train_loss"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert np.isnan(frame["baseline_test_error"][0]) and frame["baseline_test_error"][1:].tolist() == [0.25] * 3
    assert frame["keep_p"].isna().tolist() == [True, True, False, False] and frame["keep_p"][3] == 0.5
    assert frame["baseline_test_error"].dtype == np.float64 and frame["keep_p"].dtype == np.float64
    assert list(metrics_frame([]).columns) == ["step", "epoch"]
