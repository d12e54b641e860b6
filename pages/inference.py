"""Inference: weight scaling vs Monte-Carlo averaging, inverted vs original dropout, DropConnect, MC uncertainty.

Thin page: every number comes from dropviz.analysis, every figure from dropviz.viz.inference.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from dropviz import analysis
from dropviz.viz import inference as viz
from ui.analysis_run import AnalysisRun, default_run, describe, select_run, test_tensors
from ui.i18n import translator
from ui.text.analysis_run import TEXT as RUN_TEXT
from ui.text.inference import TEXT

t = translator(RUN_TEXT, TEXT)


def has_noise(run: AnalysisRun) -> bool:
    model = run.models["method"]
    return model.method != "none" and any(keep < 1 for keep in model.keep_ps)


@st.cache_data(max_entries=16, show_spinner=False)
def mc(key: str, limit: int, max_k: int, repeats: int, _run: AnalysisRun) -> analysis.MCCurve:
    x, y = test_tensors(_run, limit)
    return analysis.mc_curve(_run.models["method"], x, y, max_k=max_k, repeats=repeats, seed=0)


@st.cache_data(max_entries=4, show_spinner=False)
def scalings(config_json: str) -> list[analysis.ScalingComparison]:
    from dropviz.config import RunConfig
    from dropviz.data import load_dataset

    config = RunConfig.model_validate_json(config_json)
    dataset = load_dataset(config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed)
    return [
        analysis.compare_scalings(config, dataset, matched=True),
        analysis.compare_scalings(config, dataset, matched=False),
    ]


@st.cache_data(max_entries=8, show_spinner=False)
def dropconnect(key: str, limit: int, max_k: int, gaussian: tuple, _run: AnalysisRun) -> analysis.DropConnectInference:
    x, y = test_tensors(_run, limit)
    return analysis.dropconnect_inference_compare(
        _run.models["method"], x, y, gaussian_samples=gaussian, max_k=max_k, repeats=10
    )


@st.cache_data(max_entries=8, show_spinner=False)
def uncertainty(key: str, limit: int, samples: int, _run: AnalysisRun) -> analysis.Uncertainty:
    x, _ = test_tensors(_run, limit)
    return analysis.mc_uncertainty(_run.models["method"], x, samples=samples)


@st.cache_data(max_entries=8, show_spinner=False)
def plane(key: str, samples: int, _run: AnalysisRun):
    points = _run.dataset.x_test.numpy()
    xs, ys, grid = analysis.plane_grid(points, resolution=50)
    result = analysis.mc_uncertainty(_run.models["method"], torch.from_numpy(grid), samples=samples)
    predicted = analysis.weight_scaled_probabilities(_run.models["method"], torch.from_numpy(grid)).argmax(-1).numpy()
    shape = (len(ys), len(xs))
    return xs, ys, predicted.reshape(shape), [result.entropy.reshape(shape), result.mutual_information.reshape(shape)]


st.title(t("page_inference"))
st.markdown(t("intro"))
run = select_run(t, key="inference_source")
n_available = int(run.dataset.x_test.shape[0])
sizes = analysis.interactive_sizes(run.models["method"].n_parameters)

# --- Figure 11 ---------------------------------------------------------------------------------
st.subheader(t("h_mc"))
if has_noise(run):
    cols = st.columns(3)
    options = sorted({n for n in (300, 1000, 2000, 5000, 10000) if n < n_available} | {n_available})
    default_n = min(options, key=lambda n: abs(n - sizes["mc"]))
    limit = cols[0].select_slider(t("n_test"), options=options, value=default_n, key="inf_n")
    max_k = cols[1].select_slider(t("max_k"), options=[10, 20, 50, 100], value=100, key="inf_k")
    repeats = cols[2].select_slider(t("repeats"), options=[5, 10, 20, 50], value=20, key="inf_repeats")
    curve = mc(run.key, limit, max_k, repeats, run)
    mc_labels = {name: t(f"mcfig.{name}") for name in ("mc", "ws", "x", "y", "band")}
    st.plotly_chart(
        viz.mc_curve_figure(
            curve.ks,
            curve.mean_error,
            curve.std_error,
            curve.weight_scaled_error,
            k_reaching=curve.k_reaching,
            labels=mc_labels,
        ),
        key="mc_curve",
    )
    st.caption(t("mc_caption", pool=curve.pool, repeats=repeats))
    facts = dict(
        n=curve.n_examples,
        ws=curve.weight_scaled_error,
        e1=curve.mean_error[0],
        kmax=int(curve.ks[-1]),
        emax=curve.mean_error[-1],
    )
    st.markdown(t("mc_reach", k=curve.k_reaching, **facts) if curve.k_reaching else t("mc_never", **facts))
    if curve.n_examples < 1000:
        st.caption(t("small_sample", n=curve.n_examples, step=1 / curve.n_examples))
else:
    st.info(t("mc_nonoise"))

# --- inverted vs weight scaling -------------------------------------------------------------------
st.subheader(t("h_scaling"))
st.markdown(t("scaling_md"))
small = default_run("dropout").config.model_copy(update={"epochs": 5, "keep_p_input": 0.8})
if st.button(t("train_both", what=describe(small), epochs=small.epochs), key="inf_train_both"):
    st.session_state["inf_scalings"] = True
if st.session_state.get("inf_scalings"):
    with st.spinner(t("training")):
        matched, same = scalings(small.model_dump_json())
    for result, label in ((matched, t("variant_matched")), (same, t("variant_same"))):
        st.markdown(
            t(
                "scaling_row",
                v=label,
                a=result.errors["inverted"],
                b=result.errors["weight-scaling"],
                agree=result.agreement,
                dp=result.max_prob_diff,
                dl=result.max_logit_diff,
            )
        )
    scaling_labels = {"x": t("scaling_axis_x"), "y": t("scaling_axis_y")}
    st.plotly_chart(
        viz.scaling_comparison_figure(
            np.stack([matched.p_inverted, same.p_inverted]),
            np.stack([matched.p_weight_scaling, same.p_weight_scaling]),
            [t("variant_matched"), t("variant_same")],
            scaling_labels,
        ),
        key="scaling_chart",
    )

# --- DropConnect ------------------------------------------------------------------------------------
st.subheader(t("h_dc"))
dc_run = run
if run.models["method"].method != "dropconnect" or not has_noise(run):
    dc_run = default_run("dropconnect")
    st.caption(t("dc_source", what=describe(dc_run.config)))
dc_sizes = analysis.interactive_sizes(dc_run.models["method"].n_parameters)
dc_limit = min(int(dc_run.dataset.x_test.shape[0]), dc_sizes["dropconnect"])
dc = dropconnect(dc_run.key, dc_limit, dc_sizes["dropconnect_k"], dc_sizes["gaussian_samples"], dc_run)
dc_labels = {name: t(f"dcfig.{name}") for name in ("mean", "gauss", "mc", "x", "y")}
st.plotly_chart(
    viz.dropconnect_figure(dc.mean_error, dc.gaussian_error, dc.mc_ks, dc.mc_error, dc.mc_std, dc_labels),
    key="dropconnect_chart",
)
st.caption(t("dc_caption"))
smax = max(dc.gaussian_error)
st.markdown(
    t("dc_result", m=dc.mean_error, smax=smax, g=dc.gaussian_error[smax], kmax=int(dc.mc_ks[-1]), mc=dc.mc_error[-1])
)

# --- MC-dropout uncertainty -------------------------------------------------------------------------
st.subheader(t("h_unc"))
samples = 30
unc_run = run if has_noise(run) else default_run("dropout")
st.caption(t("unc_caption", s=samples))
if unc_run.dataset.is_2d:
    plane_run = unc_run
else:
    plane_run = default_run("moons")
    if unc_run.dataset.image_shape is not None:
        limit = min(
            int(unc_run.dataset.x_test.shape[0]),
            analysis.interactive_sizes(unc_run.models["method"].n_parameters)["uncertainty"],
        )
        result = uncertainty(unc_run.key, limit, samples, unc_run)
        _, y = test_tensors(unc_run, limit)
        correct = result.predicted == y.numpy()

        def _mean(values, where):
            return float(values[where].mean()) if where.any() else float("nan")

        information = result.mutual_information
        st.markdown(
            t(
                "unc_numbers",
                a=_mean(result.entropy, correct),
                b=_mean(result.entropy, ~correct),
                c=_mean(information, correct),
                d=_mean(information, ~correct),
            )
        )
        order = np.argsort(result.entropy, kind="stable")
        x_img = test_tensors(unc_run, limit)[0].numpy().reshape(-1, *unc_run.dataset.image_shape)
        names = unc_run.dataset.class_names
        rows = {t("most"): order[:8], t("least"): order[::-1][:8]}
        st.plotly_chart(
            viz.certainty_examples(
                {label: x_img[idx] for label, idx in rows.items()},
                {
                    label: [
                        f"{names[result.predicted[i]]} (true {names[int(y[i])]}), H {result.entropy[i]:.3f}, "
                        f"MI {information[i]:.3f}"
                        for i in idx
                    ]
                    for label, idx in rows.items()
                },
            ),
            key="certainty_images",
        )
    st.caption(t("unc_2d_example", what=describe(plane_run.config)))
xs, ys, predicted, maps = plane(plane_run.key, samples, plane_run)
titles = tuple(t(f"unc_title_{part}") for part in ("decision", "entropy", "information"))
st.plotly_chart(
    viz.uncertainty_plane(
        xs, ys, predicted, maps, plane_run.dataset.x_test.numpy(), plane_run.dataset.y_test.numpy(), titles
    ),
    key="uncertainty_plane",
)
