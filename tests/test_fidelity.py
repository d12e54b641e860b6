"""Issue 15: what the pages state must be true, and max-norm's c must be the paper's c."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from dropviz import analysis, experiments, paper
from dropviz import dropout_math as th
from dropviz import numpy_dropout as reference
from dropviz.config import RunConfig
from dropviz.data import load_dataset
from dropviz.models import MLP
from dropviz.train import Trainer
from dropviz.viz import experiments as vx
from dropviz.viz import inference as vi
from dropviz.viz import math_figures as vt
from ui.text import lecture as lecture_text
from ui.text import playground as playground_text
from ui.text import theory as theory_text
from ui.text.lecture import DEFECT_TEXT

# --- max-norm: c is the paper's c in both implementations ----------------------------------------


def test_max_norm_radius_is_c_on_the_papers_weights():
    c = 3.0
    inverted = MLP(4, (8, 8), 2, method="dropout", keep_p=0.5, keep_p_input=0.8, scaling="inverted")
    assert inverted.max_norm_radii(c) == pytest.approx([0.8 * c, 0.5 * c])  # stored W = keep_p * W'
    weight_scaling = MLP(4, (8, 8), 2, method="dropout", keep_p=0.5, keep_p_input=0.8, scaling="weight-scaling")
    assert weight_scaling.max_norm_radii(c) == [c, c]
    dropconnect = MLP(4, (8, 8), 2, method="dropconnect", keep_p=0.5, keep_p_input=1.0, scaling="inverted")
    assert dropconnect.max_norm_radii(c) == pytest.approx([c, 0.5 * c])  # unmasked first layer: W itself
    assert MLP(4, (8, 8), 2, method="gaussian", keep_p=0.5, keep_p_input=0.8).max_norm_radii(c) == [c, c]
    assert MLP(4, (8, 8), 2).max_norm_radii(c) == [c, c]


def test_inverted_run_holds_w_over_p_to_c():
    config = RunConfig(
        dataset="moons",
        train_size=64,
        hidden=(16, 16),
        batch_size=16,
        epochs=3,
        method="dropout",
        keep_p=0.5,
        keep_p_input=0.8,
        max_norm=0.5,
        lr=0.5,
        twin=False,
    )
    trainer = Trainer(config)
    for _ in range(6):
        trainer.step()
    first, second = (linear.weight.norm(dim=1) for linear in trainer.models["method"].linears[:-1])
    # W / keep_p is what the paper's c bounds: the largest rows sit on the sphere of radius c
    assert (first / 0.8).max().item() == pytest.approx(0.5, abs=1e-5)
    assert (second / 0.5).max().item() == pytest.approx(0.5, abs=1e-5)


@pytest.mark.parametrize("method", ["dropout", "dropconnect"])
def test_inverted_and_weight_scaling_with_the_same_c_stay_equivalent(method):
    dataset = load_dataset("moons", train_size=200, seed=0)
    config = RunConfig(
        dataset="moons",
        hidden=(16, 16),
        method=method,
        keep_p=0.5,
        keep_p_input=0.8 if method == "dropout" else 1.0,
        lr=0.2,
        momentum=0.9,
        batch_size=20,
        epochs=3,
        seed=0,
        device="cpu",
        max_norm=0.6,
        dropconnect_mask="per-batch",
    )
    unconstrained = analysis.compare_scalings(config.model_copy(update={"max_norm": None}), dataset, matched=True)
    matched = analysis.compare_scalings(config, dataset, matched=True)
    assert matched.max_logit_diff < 1e-4 and matched.agreement == 1.0
    # the constraint bound (else the test shows nothing): the constrained nets differ from the free ones
    assert not torch.allclose(torch.as_tensor(matched.p_inverted), torch.as_tensor(unconstrained.p_inverted))


# --- statements the pages make ---------------------------------------------------------------------


def page_text(name: str) -> dict:
    """A page's TEXT table (ui/text/<page>.py)."""
    return importlib.import_module(f"ui.text.{name}").TEXT


def both(pair) -> str:
    return " ".join(pair)


def test_ridge_shrinkage_does_not_follow_column_energy():
    # 1. the page's own default problem (200 x 5, noise 0.5, seed 0) at p = 0.5
    X, y, _ = th.make_regression_problem(200, 5, 0.5, 0)
    ratios = th.shrink_ratios(X, y, 0.5)
    order = np.argsort(th.gamma_squared(X))
    assert not (np.all(np.diff(ratios[order]) <= 0) or np.all(np.diff(ratios[order]) >= 0))
    # a column's scale does not change how much its weight shrinks
    scaled = X.copy()
    scaled[:, 2] *= 7.0
    np.testing.assert_allclose(th.shrink_ratios(scaled, y, 0.5), ratios, rtol=1e-10)
    # orthogonal columns of any scale: every weight shrinks by the same factor p
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((50, 4)))
    orthogonal = q * np.array([0.5, 1.0, 3.0, 10.0])
    np.testing.assert_allclose(th.shrink_ratios(orthogonal, np.arange(50.0), 0.3), 0.3, rtol=1e-10)
    caption = theory_text.TEXT["ridge_table_caption"]
    assert "shrunk more" not in caption[0] and "收缩得越多" not in caption[1]
    assert "does not depend on its column's scale" in caption[0] and "不取决于其所在列的尺度" in caption[1]


def test_penalty_on_test_weights_grows_as_p_falls_and_both_curves_are_drawn():
    np.testing.assert_allclose(th.test_weight_penalty([0.5, 0.2, 0.1]), [1.0, 4.0, 9.0])
    # p(1-p) w^2 == ((1-p)/p) (p w)^2 for any w
    p, w = 0.3, 1.7
    assert th.regularization_strength(p) * w**2 == pytest.approx(th.test_weight_penalty(p) * (p * w) ** 2)
    figure = vt.regularization_strength_figure(marked=[0.2])
    curves = {trace.name: trace for trace in figure.data if trace.mode == "lines"}
    assert len(curves) == 2
    test_curve = next(trace for name, trace in curves.items() if "(1 − p)/p" in name)
    assert test_curve.yaxis == "y2"
    x, yv = np.asarray(test_curve.x), np.asarray(test_curve.y)
    assert yv[np.argmin(np.abs(x - 0.2))] == pytest.approx(4.0)
    for text in (lecture_text.TEXT["math_p"], theory_text.TEXT["pen_title"], theory_text.TEXT["pen_note"]):
        assert "(1 − p)/p" in text[0] and "(1 − p)/p" in text[1]
    assert "fixed training-time weights" in lecture_text.TEXT["math_p"][0]


def test_table2_chart_hatches_other_sources_and_has_table10_bernoulli():
    rows = paper.reference_rows("table2")
    by_series = {row["series"]: row for row in rows}
    gaussian = by_series["Gaussian dropout, ReLU"]
    bernoulli = by_series["dropout, ReLU (Table 10, 2 x 1024)"]
    assert (bernoulli["error"], bernoulli["std"]) == (1.08, 0.04) and bernoulli["other_source"]
    assert gaussian["other_source"] and not by_series["dropout, ReLU"]["other_source"]
    figure = vx.experiment_figure("table2", [], paper_rows=rows)
    bars = figure.data[1]
    hatched = dict(zip(bars.x, bars.marker.pattern.shape))
    assert hatched["Gaussian dropout, ReLU"] == "/" and hatched["dropout, ReLU (Table 10, 2 x 1024)"] == "/"
    assert hatched["dropout, ReLU"] == "" and hatched["standard, logistic"] == ""


def test_coadaptation_figures_say_the_paper_used_an_autoencoder():
    text = page_text("coadaptation")
    for key in ("h_stats", "h_features"):
        assert "autoencoder there" in text[key][0] and "自编码器" in text[key][1]
        assert "cf." in text[key][0]


def test_mc_uncertainty_ranks_by_entropy_not_by_the_spread_of_one_probability():
    # every sample says 0.4 for the predicted class: no spread, yet far from certain
    draws_unsure = torch.tensor([[0.4, 0.3, 0.3]]).repeat(20, 1)
    draws_sure = torch.tensor([[0.95, 0.03, 0.02], [0.85, 0.1, 0.05]]).repeat(10, 1)
    draws = torch.stack([draws_unsure, draws_sure], dim=1)  # (samples, examples, classes)
    import dropviz.analysis.averaging as analysis_module

    original = analysis_module.sampled_probabilities
    analysis_module.sampled_probabilities = lambda model, inputs, samples, seed=0: draws
    try:
        result = analysis_module.mc_uncertainty(None, torch.zeros(2, 3), samples=20)
    finally:
        analysis_module.sampled_probabilities = original
    assert result.spread[0] == pytest.approx(0.0, abs=1e-6) and result.spread[1] > 0
    assert result.entropy[0] > result.entropy[1]  # the unsure input ranks as less certain
    assert result.mutual_information[0] == pytest.approx(0.0, abs=1e-6) and result.mutual_information[1] > 0
    text = page_text("inference")
    assert "predictive entropy" in text["least"][0] and "预测熵" in text["least"][1]
    information = text["unc_title_information"]
    assert "mutual information" in information[0] and "互信息" in information[1]
    plane = vi.uncertainty_plane(
        np.arange(3),
        np.arange(3),
        np.zeros((3, 3)),
        [np.ones((3, 3)), np.zeros((3, 3))],
        np.zeros((2, 2)),
        np.array([0, 1]),
        titles=tuple(text[f"unc_title_{part}"][0] for part in ("decision", "entropy", "information")),
    )
    assert sum(trace.type == "heatmap" for trace in plane.data) == 3


def test_lecture_summary_and_wording():
    summary = lecture_text.TEXT["summary.body"]
    assert "cancel out" not in summary[0] and "相互抵消" not in summary[1]
    assert "variance" in summary[0] and "方差" in summary[1]
    assert "compared with training 2ⁿ" in summary[0] and "2ⁿ 个网络相比" in summary[1]
    what = lecture_text.TEXT["what-is-dropout.body"]
    assert "Each example trains a different" in what[0] and "每个样本训练的是" in what[1]
    assert "of the {units} units" in lecture_text.TEXT["net_count"][0]
    assert "{units} 个单元中的 {kept} 个" in lecture_text.TEXT["net_count"][1]


def test_dropconnect_bias_simplification_is_stated():
    assert "mask the biases" in lecture_text.TEXT["dropconnect.body"][0]
    assert "偏置" in lecture_text.TEXT["dropconnect.body"][1]
    caption = page_text("inference")["dc_caption"]
    assert "mask the biases" in caption[0] and "偏置" in caption[1]


def test_numpy_integer_defect_does_not_blame_numpy_2():
    assert "integer-input" in [d.key for d in reference.lecture_defects()]
    text = " ".join(DEFECT_TEXT["defect.integer-input.explanation"])
    assert "numpy 2 raises" not in text and "numpy raises" in text and "numpy 2" not in text


def test_paper_preset_figure4_uses_two_to_four_hidden_layers():
    depths = {len(t.config.hidden) for t in experiments.get_experiment("fig4").trials("mnist", "paper", seeds=[0])}
    assert depths == {2, 3, 4}
    quick = {len(t.config.hidden) for t in experiments.get_experiment("fig4").trials("digits", "quick", seeds=[0])}
    assert quick == {1, 2, 3}
    assert "2-4" in experiments.PRESET_NOTES["paper"] and "1-3" in experiments.PRESET_NOTES["quick"]


def test_input_keep_probability_help_names_dropconnect_and_max_norm_help_names_the_papers_c():
    help_text = playground_text.TEXT["keep_p_input_help"]
    assert "DropConnect" in help_text[0] and "DropConnect" in help_text[1]
    max_norm = playground_text.TEXT["max_norm_help"]
    assert "p·c" in max_norm[0] and "p·c" in max_norm[1]
