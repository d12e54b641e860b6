"""Figures of the p sweep and the hidden-unit maps: arrays in, figures out; checked against hand-made data."""

import re

import numpy as np
import pandas as pd
import pytest
import torch

from dropviz.config import RunConfig
from dropviz.models import MLP
from dropviz.viz.keep_response import boundary_strip_figure, response_figure, standalone_html
from dropviz.viz.playground import boundary_panel_pixels
from dropviz.viz.unit_maps import (
    activation_maps,
    count_duplicate_pairs,
    dropped_units_of,
    layer_maps,
    network_unit_maps,
    similarity_order,
    unit_correlations,
    unit_maps_figure,
)


def plane_maps():
    """Six 5x5 maps: a, 2a (|r| = 1 with a), -a (|r| = 1), b (orthogonal to a), b + tiny noise, and a dead one."""
    grid = np.linspace(-1, 1, 5)
    a = np.add.outer(grid, np.zeros(5))  # varies along y
    b = np.add.outer(np.zeros(5), grid)  # varies along x
    noise = np.random.default_rng(0).normal(0, 0.05, (5, 5))
    return np.stack([a, b, 2 * a, b + noise, -a, np.full((5, 5), 3.0)])


def test_near_duplicate_pairs_count_abs_correlation_and_skip_dead_units():
    # pairs above 0.9: (a, 2a), (a, -a), (2a, -a), (b, b+noise); a dead (constant) unit pairs with nothing
    assert count_duplicate_pairs(plane_maps()) == 4
    assert count_duplicate_pairs(plane_maps(), threshold=0.999) == 3  # b vs b + noise: about 0.997


def test_a_diverged_units_map_is_dead_and_leaves_the_others_correlations_intact(recwarn):
    maps = plane_maps()
    huge = np.concatenate([maps[:5], [maps[0] * 1e30, np.full((5, 5), np.inf)]]).astype(np.float32)
    corr, alive = unit_correlations(huge)
    assert not any(issubclass(warning.category, RuntimeWarning) for warning in recwarn)
    assert list(alive) == [True, True, True, True, True, True, False]
    assert np.isfinite(corr).all()
    assert corr[0, 5] == pytest.approx(1.0, abs=1e-6)  # 1e30 a is still a, in float64
    assert corr[6].max() == 0.0
    assert count_duplicate_pairs(huge) == 4 + 3  # the huge copy of a pairs with a, 2a and -a


def test_similarity_order_puts_near_duplicates_together_and_dead_units_last():
    order = list(similarity_order(plane_maps()))
    assert order[-1] == 5
    positions = {unit: order.index(unit) for unit in range(5)}
    a_group = sorted(positions[unit] for unit in (0, 2, 4))
    assert a_group[-1] - a_group[0] == 2  # the three copies of a are adjacent
    assert abs(positions[1] - positions[3]) == 1


def test_activation_maps_are_the_units_relu_over_the_plane():
    model = MLP(2, (3,), 2)
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -2.0], [1.0, 1.0]]))
        model.linears[0].bias.copy_(torch.tensor([0.0, 0.5, -1.0]))
    (maps,) = activation_maps(model, (-1, 1), (-2, 2), resolution=5)
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-2, 2, 5)
    gx, gy = np.meshgrid(xs, ys)  # row 0 at the lowest y
    assert maps.shape == (3, 5, 5)
    np.testing.assert_allclose(maps[0], np.maximum(gx, 0), atol=1e-6)
    np.testing.assert_allclose(maps[1], np.maximum(-2 * gy + 0.5, 0), atol=1e-6)
    np.testing.assert_allclose(maps[2], np.maximum(gx + gy - 1, 0), atol=1e-6)


def test_dropped_units_come_from_the_last_mini_batch_mask_of_the_first_example():
    model = MLP(2, (4, 3), 2, method="dropout", keep_p=0.5)
    model.set_record_masks(True)
    model.train()
    torch.manual_seed(0)
    model(torch.randn(8, 2))
    dropped = dropped_units_of(model)
    assert len(dropped) == 2 and dropped[0].shape == (4,) and dropped[1].shape == (3,)
    np.testing.assert_array_equal(dropped[0], ~model.drops[1].last_mask[0].numpy())
    assert dropped_units_of(MLP(2, (4,), 2)) == [None]  # no dropout: nothing to mark


def test_wide_layers_are_sampled_and_the_figure_says_how_many_units_are_drawn():
    rng = np.random.default_rng(1)
    maps = rng.normal(size=(100, 6, 6))
    dropped = np.zeros(100, bool)
    dropped[[0, 50, 99]] = True  # 50 is not among the drawn units
    layer = layer_maps(maps, dropped, 1, max_tiles=32, max_correlated=50)
    assert len(layer.units) == 32 and sorted(layer.units) == sorted(np.linspace(0, 99, 32).round().astype(int))
    assert layer.counted_units == 50 and layer.n_units == 100
    np.testing.assert_array_equal(layer.dropped, np.isin(layer.units, [0, 99]))  # the marks follow their units
    fig = unit_maps_figure({"method": layer, "baseline": layer})
    title = fig.layout.annotations[0].text
    assert "32 of 100 units shown" in title and "counted over 50 sampled units" in title
    assert "near-duplicate pairs" in title
    assert [trace.type for trace in fig.data] == ["image", "image"]


def test_network_unit_maps_of_a_trained_pair_have_one_entry_per_hidden_layer():
    model = MLP(2, (16, 8), 2)
    layers = network_unit_maps(model, (-1, 1), (-1, 1), resolution=8)
    assert [layer.n_units for layer in layers] == [16, 8]
    assert all(layer.maps.shape[1:] == (8, 8) for layer in layers)


def test_response_chart_marks_the_scrubbed_p_and_leaves_gaps_for_members_not_evaluated():
    frame = pd.DataFrame(
        {
            "keep_p": [0.1, 0.5, 1.0],
            "step": [10, 0, 10],
            "train_loss": [0.9, np.nan, 0.1],
            "train_error": [0.4, np.nan, 0.0],
            "test_loss": [1.0, np.nan, 0.8],
            "test_error": [0.45, np.nan, 0.2],
        }
    )
    fig = response_figure(frame, 0.5)
    test_loss = next(trace for trace in fig.data if trace.name == "test" and trace.xaxis == "x")
    assert list(test_loss.x) == [0.1, 0.5, 1.0] and np.isnan(test_loss.y[1])
    assert [shape.x0 for shape in fig.layout.shapes] == [0.5, 0.5]
    assert "not the paper's" in fig.layout.title.text and "2 of 3 members evaluated" in fig.layout.title.text
    assert fig.layout.yaxis.type == "log"  # a diverged member (huge loss) must not flatten the others


@pytest.mark.parametrize("language", [0, 1])
def test_a_diverged_member_is_named_with_its_step_in_the_chart_and_the_table_not_as_nan(language):
    from dropviz.runner import LogSnapshot
    from dropviz.train import Step
    from dropviz.viz.playground import curves_figure
    from ui.playground_sweep import response_labels
    from ui.playground_views import diverged_runs, figure_labels, latest_markdown
    from ui.text.playground import TEXT

    t = lambda key, **fmt: TEXT[key][language].format(**fmt)  # noqa: E731 - the page's translator, one language
    nan = np.nan
    frame = pd.DataFrame(
        {
            "keep_p": [0.1, 0.2, 1.0],
            "step": [54, 54, 200],
            "train_loss": [nan, nan, 0.1],
            "train_error": [nan, nan, 0.0],
            "test_loss": [nan, nan, 0.8],
            "test_error": [nan, nan, 0.2],
            "diverged_at": [55.0, 57.0, nan],
        }
    )
    fig = response_figure(frame, 1.0, response_labels(t))
    title = fig.layout.title.text
    expected = [t("r_diverged", keep_p="0.1", step=55), t("r_diverged", keep_p="0.2", step=57)]
    assert all(text in title for text in expected) and "nan" not in title
    assert t("r_sub", done=3, total=3) in title  # a diverged member counts as done
    marks = [a for a in fig.layout.annotations if a.text == "✕"]
    assert sorted((a.x, a.hovertext) for a in marks) == sorted([(0.1, expected[0]), (0.2, expected[1])] * 2)
    # The scrubbed member's table and curves: "diverged at step 55", not nan or a gap of 1e24.
    snapshot = LogSnapshot(
        version=1,
        state="diverged",
        message="",
        started=None,
        steps=(Step(54, 27.0, {"method": 3.0, "baseline": 0.1}), Step(55, 27.5, {"method": nan, "baseline": 0.1})),
        evaluations=(),
        masks=(),
        latest_state=None,
        state_history=(),
        samples_per_second=0.0,
        step=55,
        epoch=27.5,
    )
    assert diverged_runs(snapshot) == {"method": 55}
    labels = figure_labels(t, RunConfig())
    metrics = pd.DataFrame(
        [
            {
                "step": 54,
                "epoch": 27.0,
                **{
                    f"{run}_{name}": value
                    for run, value in (("method", 1e24), ("baseline", 0.1))
                    for name in ("train_loss", "train_error", "test_loss", "test_error")
                },
            }
        ]
    )
    table = latest_markdown(metrics, labels, diverged_runs(snapshot))
    assert t("f_diverged_at", step=55) in table and "1e+24" not in table and "nan" not in table
    curves = curves_figure(metrics, labels, diverged=diverged_runs(snapshot))
    assert t("f_diverged_at", step=55) in curves.layout.title.text and "+nan" not in curves.layout.title.text


def test_boundary_strip_has_one_panel_per_member_in_p_order_with_the_scrubbed_one_bold():
    xs = np.linspace(-1, 1, 6)
    grids = {}
    for keep in (0.9, 0.1, 0.5):
        probs = np.zeros((6, 6, 2))
        probs[..., 1] = (xs[None, :] > 0).astype(float)
        grids[keep] = (xs, xs, probs)
    fig = boundary_strip_figure(grids, np.array([[0.5, 0.5]]), np.array([1]), scrub_keep_p=0.5)
    titles = [annotation.text for annotation in fig.layout.annotations]
    assert titles == ["p = 0.1", "<b>p = 0.5</b>", "p = 0.9"]
    assert [trace.type for trace in fig.data] == ["image"] * 3
    pixels = boundary_panel_pixels(fig.data[0])
    assert pixels[pixels.shape[0] // 2, 2][0] < pixels[pixels.shape[0] // 2, -3][0]  # blue left, red right


def test_standalone_html_embeds_plotly_js_and_the_figure():
    html = standalone_html(
        response_figure(
            pd.DataFrame(columns=["keep_p", "step", "train_loss", "train_error", "test_loss", "test_error"]), None
        )
    )
    assert html.lstrip().lower().startswith("<!doctype html>") and "This data's p-response" in html
    assert not re.search(r"<script[^>]*\bsrc=", html)  # no script fetched from anywhere: works offline
    assert len(html) > 3_000_000  # plotly.js itself is inside
    assert '"toImageButtonOptions": {"format": "png", "scale": 2' in html  # the camera button saves a PNG for slides


def test_the_strip_passes_plotly_validation_in_rows_of_five():
    import plotly.graph_objects as go

    xs = np.linspace(-1, 1, 4)
    grids = {round(0.1 * k, 1): (xs, xs, None) for k in range(1, 11)}
    fig = boundary_strip_figure(grids, np.zeros((1, 2)), np.zeros(1))
    go.Figure(fig.to_dict())  # full validation: domains inside [0, 1], every property known
    assert fig.layout.yaxis.domain[1] == 1.0 and fig.layout.yaxis6.domain[0] == 0.0  # two rows
