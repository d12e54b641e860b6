"""Figure builders of dropviz.viz.math_figures, the lecture's data (dropviz.lecture)
and the Theory page's input parsing: plain arrays in, checked without a browser."""

import ast
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from dropviz import dropout_math as th
from dropviz import lecture as L
from dropviz import paper
from dropviz.config import RunConfig
from dropviz.viz import lecture_figures as vl
from dropviz.viz import math_figures as vt
from ui.text.lecture import SECTION_TEXT

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------ figures


def test_log_subsample_keeps_ends_and_bounds_size():
    idx = vt.log_subsample(50_000, 400)
    assert idx[0] == 0 and idx[-1] == 49_999
    assert len(idx) <= 402 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(vt.log_subsample(10, 400), np.arange(10))
    assert vt.log_subsample(0).size == 0


def test_mc_convergence_figure_band_line_and_analytic():
    mc = th.mc_dropout_gradient([1.0, -2.0], [0.5, 0.3], 1.0, 0.5, 5_000, 0)
    analytic = th.expected_dropout_gradient([1.0, -2.0], [0.5, 0.3], 1.0, 0.5)
    fig = vt.mc_convergence_figure(mc.counts, mc.mean[:, 0], mc.half_width[:, 0], float(analytic[0]), ensemble=-0.3)
    assert isinstance(fig, go.Figure)
    band, line, ana, ens = fig.data
    # The band skips n = 1 (infinite half-width) and is finite everywhere.
    assert np.all(np.isfinite(band.y)) and band.fill == "toself"
    assert len(line.x) <= 402 and line.x[-1] == 5_000
    assert line.y[-1] == pytest.approx(mc.mean[-1, 0])
    assert list(ana.y) == [analytic[0]] * 2 and list(ens.y) == [-0.3, -0.3]
    assert fig.layout.xaxis.type == "log"
    lo, hi = fig.layout.yaxis.range
    assert lo < analytic[0] < hi


def test_mc_convergence_figure_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="1-D of one length"):
        vt.mc_convergence_figure([1, 2], [1.0], [1.0, 1.0], 0.0)


def test_regularization_strength_figure_peak_and_marks():
    fig = vt.regularization_strength_figure(marked=[0.2, 0.9])
    curve, test_curve, peak, marks, test_marks = fig.data
    assert max(curve.y) == pytest.approx(0.25)
    assert curve.x[int(np.argmax(curve.y))] == pytest.approx(0.5)
    assert list(peak.x) == [0.5] and list(peak.y) == [0.25]
    np.testing.assert_allclose(marks.y, [0.16, 0.09])
    np.testing.assert_allclose(test_marks.y, [4.0, 0.1 / 0.9])  # (1 - p)/p on the test weights
    assert test_curve.yaxis == "y2" and max(test_curve.y) <= 10.0
    assert len(vt.regularization_strength_figure().data) == 3


def test_ridge_figures():
    fig = vt.ridge_convergence_figure([100, 200, 300], [0.5, 0.1, 0.005], [0.6, 0.2, 0.05])
    names = [d.name for d in fig.data]
    assert names == ["raw iterate", "averaged iterate", "1 % relative error"]
    assert fig.layout.yaxis.type == "log" and list(fig.data[2].y) == [0.01, 0.01]
    fig = vt.weights_comparison_figure({"a": [1, 2, 3], "b": [0.5, 1, 1.5]})
    assert [d.name for d in fig.data] == ["a", "b"] and list(fig.data[0].x) == ["w1", "w2", "w3"]
    with pytest.raises(ValueError, match="one length"):
        vt.weights_comparison_figure({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="shape|match"):
        vt.ridge_convergence_figure([1, 2], [0.1])


def test_mask_comparison_figure_shows_both_masks():
    a = th.effective_weight_mask_dropout(4, 6, 0.5, 0, mask_outputs=True)
    b = th.effective_weight_mask_dropconnect(4, 6, 0.5, 0)
    fig = vt.mask_comparison_figure(a, b, labels={"dropout_title": "A", "dropconnect_title": "B"})
    assert len(fig.data) == 2
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), a.astype(float))
    np.testing.assert_array_equal(np.asarray(fig.data[1].z), b.astype(float))
    assert [ann.text for ann in fig.layout.annotations] == ["A", "B"]
    with pytest.raises(ValueError, match="one shape"):
        vt.mask_comparison_figure(a, b[:, :3])


def test_math_and_lecture_figures_take_their_text_from_labels_over_english_defaults():
    fig = vt.nwgm_figure(
        [0.2, 0.6],
        [0.5, 0.5],
        nwgm=0.4,
        weight_scaled=0.4,
        arithmetic=0.4,
        labels={"title": "子网络", "nwgm_label": "N"},
    )
    assert fig.layout.title.text == "子网络" and "N" in [trace.name for trace in fig.data]
    assert fig.layout.xaxis.title.text == vt.NWGM_LABELS["x_label"]  # a key left out keeps its English default
    fig9 = vl.paper_fig9_figure([0.5], [1.0], [0.5], [1.0], [0.5], labels={"a_title": "(a)", "test_label": "测试"})
    assert [ann.text for ann in fig9.layout.annotations] == ["(a)", vl.PAPER_FIG9_LABELS["b_title"]]
    assert fig9.data[0].name == "测试"


def test_nwgm_figure_histogram_is_a_probability_distribution():
    sub = th.enumerate_subnetworks([1.0, -0.5, 2.0], [0.7, 1.2, -0.4], 0.1, 0.5)
    g = th.nwgm(sub.outputs, sub.probs)
    s = th.weight_scaled_output([1.0, -0.5, 2.0], [0.7, 1.2, -0.4], 0.1, 0.5)
    m = th.arithmetic_mean_output(sub.outputs, sub.probs)
    fig = vt.nwgm_figure(sub.outputs, sub.probs, nwgm=g, weight_scaled=s, arithmetic=m)
    hist = fig.data[0]
    assert sum(hist.y) == pytest.approx(1.0)
    assert [d.x[0] for d in fig.data[1:]] == [g, s, m]
    with pytest.raises(ValueError, match="match"):
        vt.nwgm_figure([0.5], [0.5, 0.5], nwgm=0.5, weight_scaled=0.5, arithmetic=0.5)


def test_thinned_network_figure_removes_dropped_units_and_edges():
    sizes = (3, 4, 2)
    full = vl.thinned_network_figure(sizes)
    edges_full = sum(1 for v in full.data[0].x if v is None)
    assert edges_full == 3 * 4 + 4 * 2
    masks = [np.array([1, 0, 1], bool), np.array([1, 1, 0, 0], bool), np.ones(2, bool)]
    thin = vl.thinned_network_figure(sizes, masks)
    assert sum(1 for v in thin.data[0].x if v is None) == 2 * 2 + 2 * 2
    assert len(thin.data[1].x) == 6 and len(thin.data[2].x) == 3  # kept, dropped
    with pytest.raises(ValueError, match="do not match"):
        vl.thinned_network_figure(sizes, masks[:2])


def test_paper_figures_carry_the_reference_numbers():
    p, at, atr, bt, btr = paper.fig9_columns()
    fig = vl.paper_fig9_figure(p, at, atr, bt, btr)
    assert len(fig.data) == 4 and list(fig.data[0].y) == list(at)
    assert fig.data[2].y[list(p).index(0.6)] == 1.1  # (b) best at p = 0.6
    n, w, wo = paper.fig10_columns()
    fig = vl.paper_fig10_figure(n, w, wo)
    assert list(fig.data[1].y) == list(w) and fig.layout.xaxis.type == "log"
    fig = vl.paper_fig4_figure(*paper.fig4_ranges())
    assert fig.data[1].y[-1] == pytest.approx(1.075)
    fig = vl.layer_values_figure({"y": [1, 2], "ỹ": [0, 2]})
    assert [d.name for d in fig.data] == ["y", "ỹ"]


# ------------------------------------------------------------ lecture data


def test_sections_follow_the_lecture_order():
    assert L.SECTION_IDS == (
        "coadaptation",
        "what-is-dropout",
        "model",
        "train-vs-inference",
        "mnist",
        "robustness",
        "effect-of-p",
        "data-size",
        "mathematics",
        "dropconnect",
        "implementation",
        "ridge",
        "numpy",
        "summary",
    )
    # Each section's slide heading appears in the lecture text, in this order.
    lecture = (
        next((ROOT.parent / "shared" / "seed").glob("*.txt"), None)
        if (ROOT.parent / "shared" / "seed").exists()
        else None
    )
    if lecture is not None:
        text = lecture.read_text(encoding="utf-8")
        positions = [text.find(SECTION_TEXT[f"{s.id}.slide"][0].split(" / ")[0]) for s in L.SECTIONS]
        assert all(pos >= 0 for pos in positions), positions
        assert positions == sorted(positions)
    for s in L.SECTIONS:  # every section and link has its text in both languages
        keys = [f"{s.id}.title", f"{s.id}.slide", *(f"{s.id}.link.{link.page}" for link in s.links)]
        assert all(SECTION_TEXT[key][0] and SECTION_TEXT[key][1] for key in keys), s.id
        assert any("\u4e00" <= ch <= "\u9fff" for ch in SECTION_TEXT[f"{s.id}.title"][1]), s.id


def test_section_links_are_valid_pages_and_configs():
    app = (ROOT / "ui" / "shell.py").read_text()  # the navigation's page list (ui.shell.app_pages)
    for s in L.SECTIONS:
        for link in s.links:
            assert (ROOT / link.page_file).exists() and link.page_file in app
            assert isinstance(link.config(), RunConfig)
            params = link.query_params()
            for name in link.settings:  # named settings are always in the URL
                assert name in params
    dc = L.section("dropconnect").links[0].query_params()
    assert dc["method"] == "dropconnect" and dc["keep_p"] == "0.5"
    assert L.section("mnist").links[0].query_params() == L.experiment_query_params("table2")
    assert L.experiment_query_params("fig9a")["exp_name"].startswith("Figure 9a")
    with pytest.raises(KeyError, match="no experiment"):
        L.experiment_query_params("fig99")
    with pytest.raises(KeyError, match="no lecture section"):
        L.section("nope")


def test_layer_example_equations_by_hand():
    u = np.array([0.1, 0.9, 0.3, 0.7, 0.2])
    ex = L.layer_example(0.5, u, "relu")
    np.testing.assert_array_equal(ex.r, [1, 0, 1, 0, 1])
    np.testing.assert_allclose(ex.y_tilde, ex.r * ex.y)
    np.testing.assert_allclose(ex.z, ex.W @ ex.y_tilde + ex.b)
    np.testing.assert_allclose(ex.out, np.maximum(ex.z, 0))
    np.testing.assert_allclose(ex.z_test, 0.5 * ex.W @ ex.y + ex.b)
    # Raising p with the same uniforms only ever adds units.
    assert np.all(L.layer_example(0.8, u).r >= ex.r)
    assert L.layer_example(1.0, u).r.sum() == 5
    sig = L.layer_example(0.5, u, "logistic")
    np.testing.assert_allclose(sig.out, 1 / (1 + np.exp(-sig.z)))
    with pytest.raises(ValueError, match="keep_p"):
        L.layer_example(0.0, u)
    with pytest.raises(ValueError, match="uniforms"):
        L.layer_example(0.5, u[:3])


def test_exact_layer_expectation_linear_part_equals_weight_scaling():
    ex = L.exact_layer_expectation(0.3, "relu")
    np.testing.assert_allclose(ex["E_z"], ex["z_test"], atol=1e-12)
    assert ex["n_masks"] == 32
    # After ReLU the ensemble mean and the weight-scaled output differ.
    assert not np.allclose(ex["E_out"], ex["out_test"])


def test_implementation_means_match_the_expected_values():
    res = L.implementation_means([1.0, 2.0, 3.0, 4.0], 0.5, 20_000, 0)
    np.testing.assert_allclose(res["inverted_train_mean"], res["inverted_test"], rtol=0.05)
    np.testing.assert_allclose(res["weight_scaling_train_mean"], res["weight_scaling_test"], rtol=0.05)
    np.testing.assert_allclose(res["weight_scaling_test"], [0.5, 1.0, 1.5, 2.0])


def test_thinned_network_masks():
    masks = L.thinned_network_masks((4, 5, 2), 0.5, 0.8, 0)
    assert [m.size for m in masks] == [4, 5, 2] and masks[-1].all()
    with pytest.raises(ValueError, match="keep_p_input"):
        L.thinned_network_masks((4, 5, 2), 0.5, 1.5, 0)


def test_run_lecture_function_shows_defects_and_restores_global_state():
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    run = L.run_lecture_function(np.array([1.0, 2.0, 3.0, 4.0]), 0.5, 1)
    assert np.array_equal(np.random.get_state()[1], state)  # global RNG untouched
    assert run.returned_is_input and not np.array_equal(run.x_before, run.x_after)
    run = L.run_lecture_function(np.array([1, 2, 3]), 0.5, 1)
    assert run.error and "UFuncTypeError" in run.error and run.result is None
    run = L.run_lecture_function(np.array([1.0, 2.0]), 1.0, 0)
    assert np.isnan(run.result).all() and any("RuntimeWarning" in w for w in run.warnings)


def test_paper_table2_matches_reference():
    errors = [row[-1] for row in paper.TABLE2_FULL]
    assert len(errors) == 13 and errors[0] == 1.60 and min(errors) == 0.79


# ------------------------------------------------------------ parse_vector


def test_parse_vector_accepts_separators_and_broadcast():
    np.testing.assert_array_equal(th.parse_vector("1, 2，3;4 5", "x", 5), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(th.parse_vector("0.5", "p", 3, 0, 1), [0.5] * 3)
    np.testing.assert_array_equal(th.parse_vector("1,2", "x", None), [1, 2])


@pytest.mark.parametrize(
    "text,n,lo,hi,message",
    [
        ("1, a", 2, -1, 10, r"'a' \(item 2\) is not a number"),
        ("1, 2, 3", 2, -1, 10, r"expected 2 numbers"),
        ("0.5, 1.5", 2, 0, 1, r"item 2 is 1.5; allowed range is \[0, 1\]"),
        ("", 2, 0, 1, r"enter 2 numbers"),
        ("inf", 1, 0, 1, r"only finite numbers"),
        (",".join(["1"] * 21), None, 0, 1, r"at most 20 numbers"),
    ],
)
def test_parse_vector_messages_name_the_problem(text, n, lo, hi, message):
    with pytest.raises(ValueError, match=message):
        th.parse_vector(text, "x", n, lo, hi)


def test_no_streamlit_in_engine_modules():
    for path in ("dropviz/lecture.py", "dropviz/viz/math_figures.py", "dropviz/viz/lecture_figures.py"):
        tree = ast.parse((ROOT / path).read_text())
        names = {
            a.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for a in getattr(node, "names", [])
        }
        mods = {
            node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "streamlit" not in names | mods, path


def test_every_defect_has_a_chinese_title():
    from dropviz.numpy_dropout import lecture_defects
    from ui.text.lecture import DEFECT_TEXT

    keys = [d.key for d in lecture_defects()]
    assert sorted(DEFECT_TEXT) == sorted(f"defect.{key}.{part}" for key in keys for part in ("name", "explanation"))
    for en, zh in DEFECT_TEXT.values():
        assert en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
