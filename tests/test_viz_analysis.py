"""Figure builders of the Co-adaptation and Inference pages: arrays in, go.Figure out."""

import numpy as np
import plotly.graph_objects as go
import pytest

from dropviz.viz import coadaptation as vc
from dropviz.viz import inference as vi


def test_correlation_heatmaps_side_by_side_with_animation_frames():
    rng = np.random.default_rng(0)
    mats = np.clip(rng.normal(size=(3, 5, 5)), -1, 1)
    mats[:, 4, :] = np.nan
    frames = {"method": ([10, 20, 30], mats, [4, 0, 1, 2, 3]), "baseline": ([10, 20, 30], mats, [0, 1, 2, 3, 4])}
    fig = vc.correlation_heatmaps(frames, {"step": "step"})
    assert isinstance(fig, go.Figure)
    heatmaps = [trace for trace in fig.data if trace.type == "heatmap"]
    assert len(heatmaps) == 2 and heatmaps[0].zmin == -1 and heatmaps[0].zmax == 1
    assert len(fig.frames) == 3 and [f.name for f in fig.frames] == ["10", "20", "30"]
    assert fig.layout.sliders[0].active == 2
    assert heatmaps[0].z[4][0] is None  # NaN (dead unit) becomes a gap
    assert heatmaps[0].x[0] == "u4"  # non-numeric labels: a categorical axis keeps the cluster order
    single = vc.correlation_heatmaps({"method": ([5], mats[:1], range(5))})
    assert len(single.frames) == 0


def test_measures_ablation_histograms_features():
    series = {
        run: {"step": np.arange(4), "decov": np.arange(4.0), "mean_abs_corr": np.ones(4)}
        for run in ("method", "baseline")
    }
    fig = vc.measures_over_training(series, ["mean_abs_corr", "decov"])
    assert len(fig.data) == 4
    abl = vc.ablation_figure({"method": (np.array([0, 0.5]), np.array([0.1, 0.2]), np.array([0, 0.01]))})
    assert list(abl.data[0].y) == [0.1, 0.2]
    acts = {"method": np.abs(np.random.default_rng(1).normal(size=(50, 8))), "baseline": np.zeros((50, 8)) + 0.5}
    hist = vc.activation_histograms(acts)
    assert len(hist.data) == 4
    tiled = vc.mosaic(np.ones((3, 2, 2)), columns=2)
    assert tiled.shape == (5, 5) and np.isnan(tiled[2]).all()
    feats = vc.feature_images({"method": np.random.default_rng(2).normal(size=(4, 3, 3))})
    assert feats.data[0].type == "heatmap"


def test_coadaptation_figures_take_their_text_from_one_labels_mapping():
    labels = {"method": "dropout", "step": "步", "decov": "DeCov", "ablation_x": "q", "activations": "激活"}
    series = {"method": {"step": np.arange(3), "decov": np.arange(3.0)}}
    measures = vc.measures_over_training(series, ["decov"], labels)
    assert measures.data[0].name == "dropout" and measures.layout.xaxis.title.text == "步"
    assert measures.layout.annotations[0].text == "DeCov"
    ablation = vc.ablation_figure({"method": (np.array([0.0, 0.5]), np.array([0.1, 0.2]), np.zeros(2))}, labels)
    assert ablation.layout.xaxis.title.text == "q"
    assert ablation.layout.yaxis.title.text == "test error"  # a key left out keeps its English default
    hist = vc.activation_histograms({"method": np.ones((4, 3)), "baseline": np.zeros((4, 3))}, labels)
    assert [a.text for a in hist.layout.annotations] == ["激活", "per-unit mean activation"]
    assert [trace.name for trace in hist.data][:2] == ["dropout", "dropout"]
    assert "no-dropout twin" in [trace.name for trace in hist.data]


def test_inference_figures():
    ks = np.arange(1, 11)
    fig = vi.mc_curve_figure(ks, 0.2 / ks, 0.01 * np.ones(10), 0.03, k_reaching=7)
    names = [trace.name for trace in fig.data]
    assert "weight scaling" in names and any("MC" in (n or "") for n in names)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.range[1] == 1.0  # log10(10): no runaway range
    assert fig.layout.annotations[0].x == pytest.approx(np.log10(7))
    sc = vi.scaling_comparison_figure(np.ones((2, 5)), np.ones((2, 5)), ["a", "b"], {"x": "反向"})
    assert len(sc.data) == 4
    assert (sc.layout.xaxis.title.text, sc.layout.yaxis.title.text) == ("反向", "weight-scaling")
    dc = vi.dropconnect_figure(0.1, {1: 0.2, 16: 0.11}, np.arange(1, 5), np.full(4, 0.1), np.zeros(4))
    assert len(dc.data) == 3
    plane = vi.uncertainty_plane(
        np.arange(3), np.arange(3), np.zeros((3, 3)), np.ones((3, 3)), np.zeros((4, 2)), np.array([0, 1, 0, 1])
    )
    assert sum(trace.type == "heatmap" for trace in plane.data) == 2
    imgs = vi.certainty_examples(
        {"most": np.zeros((2, 4, 4)), "least": np.ones((2, 4, 4))}, {"most": ["a", "b"], "least": ["c", "d"]}, columns=2
    )
    assert len(imgs.data) == 2
