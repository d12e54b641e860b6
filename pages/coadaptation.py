"""Co-adaptation: do hidden units of a dropout net rely less on each other than its twin's?

Thin page: every number comes from dropviz.analysis, every figure from dropviz.viz.coadaptation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from dropviz import analysis
from dropviz.viz import coadaptation as viz
from ui.analysis_run import AnalysisRun, select_run, test_tensors
from ui.i18n import translator
from ui.text.analysis_run import TEXT as RUN_TEXT
from ui.text.coadaptation import TEXT

t = translator(RUN_TEXT, TEXT)


@st.cache_data(max_entries=16, show_spinner=False)
def current_measures(key: str, layer: int, limit: int, _run: AnalysisRun) -> dict:
    x, _ = test_tensors(_run, limit)
    out = {}
    for name, model in _run.models.items():
        acts = model.hidden_activations(x)[layer].numpy()
        out[name] = {"measures": analysis.layer_measures(acts), "acts": acts}
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def ablation(key: str, layer: int, limit: int, draws: int, _run: AnalysisRun) -> dict:
    x, y = test_tensors(_run, limit)
    return {
        name: analysis.ablation_curve(model, x, y, layer, draws=draws, seed=0) for name, model in _run.models.items()
    }


@st.cache_data(max_entries=16, show_spinner=False)
def frames(key: str, layer: int, _run: AnalysisRun) -> dict:
    return {
        name: analysis.correlation_frames(_run.state_history, name, layer, max_units=64, max_frames=12)
        for name in _run.models
        if any(name in s.activations for s in _run.state_history)
    }


def run_labels(run: AnalysisRun) -> dict[str, str]:
    return {"method": t("method", method=run.config.method, keep=f"{run.config.keep_p:g}"), "baseline": t("twin")}


st.title(t("page_coadaptation"))
st.markdown(t("intro"))
run = select_run(t)
labels = run_labels(run)
# The figures' text (viz.coadaptation's label keys): run names, axis and panel titles.
figure_labels = {
    **labels,
    "step": t("step"),
    "ablation_x": t("q"),
    "ablation_y": t("error"),
    "activations": t("hist_a"),
    "unit_means": t("hist_b"),
    "clustered_units": t("clustered_units"),
    "fraction": t("fraction"),
    "units": t("units"),
}
if not run.has_twin:
    st.warning(t("no_twin"))
layer = st.selectbox(
    t("layer"),
    list(range(run.n_hidden_layers)),
    format_func=lambda i: f"h{i + 1}",
    index=run.n_hidden_layers - 1,
    key="coad_layer",
)
n_units = run.config.hidden[layer]
sizes = analysis.interactive_sizes(run.models["method"].n_parameters)
limit = min(sizes["measures"], int(run.dataset.x_test.shape[0]))
ablation_limit = min(sizes["ablation"], limit)

# --- correlation heat maps ----------------------------------------------------------------
st.subheader(t("h_corr"))
if run.state_history:
    replay = frames(run.key, layer, run)
    probe_size = run.state_history[-1].activations["method"][layer].shape[0]
else:
    st.caption(t("no_history"))
    now = current_measures(run.key, layer, limit, run)
    replay = {}
    for name, data in now.items():
        corr = analysis.correlation_matrix(data["acts"][:, : min(64, n_units)])
        order = analysis.cluster_order(corr)
        replay[name] = analysis.CorrelationFrames(np.array([run.step]), order, corr[np.ix_(order, order)][None])
    probe_size = limit
figure_frames = {name: (f.steps, f.matrices, f.units) for name, f in replay.items()}
st.plotly_chart(viz.correlation_heatmaps(figure_frames, figure_labels), key="corr_heatmaps")
k_shown = next(iter(replay.values())).units.size
st.caption(t("corr_caption", k=k_shown, n=n_units, m=probe_size))

# --- scalar measures over training -----------------------------------------------------------
st.subheader(t("h_scalar"))
measure_keys = ("mean_abs_corr", "decov", "decov_normalized", "zero_fraction")
names = {key: t(key) for key in (*measure_keys, "dead_units", "mean_activation")}
if len(run.state_history) > 1:
    series = {name: analysis.measures_over_training(run.state_history, name, layer) for name in run.models}
    st.plotly_chart(viz.measures_over_training(series, measure_keys, {**figure_labels, **names}), key="measures_chart")
st.caption(t("scalar_caption"))

now = current_measures(run.key, layer, limit, run)
st.markdown(f"**{t('h_now', m=limit)}**")
table = pd.DataFrame({labels[name]: {names[k]: now[name]["measures"][k] for k in names} for name in now})
st.dataframe(table.style.format("{:.4g}"))

# --- ablation ------------------------------------------------------------------------------
st.subheader(t("h_ablation"))
draws = st.slider(t("draws"), 1, 20, sizes["ablation_draws"], key="coad_draws")
curves = ablation(run.key, layer, ablation_limit, draws, run)
st.plotly_chart(
    viz.ablation_figure({name: (c.qs, c.mean_error, c.std_error) for name, c in curves.items()}, figure_labels),
    key="ablation_chart",
)
st.caption(t("ablation_caption", draws=draws, m=ablation_limit))

# --- activation statistics ---------------------------------------------------------------------
st.subheader(t("h_stats"))
st.plotly_chart(
    viz.activation_histograms({name: data["acts"] for name, data in now.items()}, figure_labels), key="activation_hist"
)

# --- learned features ------------------------------------------------------------------------
if run.dataset.image_shape is not None:
    st.subheader(t("h_features"))
    h, w = run.dataset.image_shape
    features = {name: analysis.first_layer_features(model, (h, w), count=16)[1] for name, model in run.models.items()}
    st.plotly_chart(viz.feature_images(features, figure_labels), key="features_chart")
    st.caption(t("features_caption", k=15, h=h, w=w))

# --- honest explanation ----------------------------------------------------------------------
st.subheader(t("h_explain"))
if run.has_twin:
    a, b = now["method"]["measures"], now["baseline"]["measures"]
    lines = []
    if run.config.method == "none" or (run.config.keep_p == 1 and run.config.keep_p_input == 1):
        lines.append(t("ex_none"))
    corr_dir = analysis.compare_direction(a["mean_abs_corr"], b["mean_abs_corr"])
    lines.append(t("ex_corr", d=t(corr_dir), a=a["mean_abs_corr"], b=b["mean_abs_corr"]))
    lines.append(
        t(
            "ex_decov",
            d=t(analysis.compare_direction(a["decov"], b["decov"])),
            a=a["decov"],
            b=b["decov"],
            d2=t(analysis.compare_direction(a["decov_normalized"], b["decov_normalized"])),
            a2=a["decov_normalized"],
            b2=b["decov_normalized"],
        )
    )
    if analysis.compare_direction(a["mean_activation"], b["mean_activation"], 0.2) != "similar":
        lines.append(t("ex_scale", a=a["mean_activation"], b=b["mean_activation"]))
    lines.append(
        t(
            "ex_sparse",
            a=a["zero_fraction"],
            b=b["zero_fraction"],
            da=a["dead_units"],
            db=b["dead_units"],
            n=a["n_units"],
        )
    )
    base_a, rise_a = analysis.ablation_summary(curves["method"])
    base_b, rise_b = analysis.ablation_summary(curves["baseline"])
    lines.append(t("ex_ablation", a=rise_a, b=rise_b, a0=base_a, b0=base_b))
    graceful = math.isfinite(rise_a) and rise_a < rise_b - 0.005
    if graceful and corr_dir == "lower":
        lines.append(t("ex_agree_func"))
    else:
        lines.append(t("ex_disagree", f=t("more_gracefully" if graceful else "less_gracefully"), d=t(corr_dir)))
    if run.step < 100:
        lines.append(t("ex_early", step=run.step))
    st.markdown("\n".join(f"- {line}" for line in lines))
else:
    st.info(t("no_twin"))
