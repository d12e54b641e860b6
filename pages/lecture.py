"""Lecture page: the source lecture's sections in order, each with its live element.

Each interactive element is an ``st.fragment``: moving its slider or pressing
its button reruns that element only, not the fourteen sections.

Thin: the sections are data (dropviz.lecture.SECTIONS), the numbers come from
dropviz, the figures from dropviz.viz.math_figures and lecture_figures, the text from ui.text.lecture.
"""

import time

import numpy as np
import pandas as pd
import streamlit as st

from dropviz import dropout_math as th
from dropviz import lecture as L
from dropviz import paper
from dropviz.numpy_dropout import LECTURE_DROPOUT_SOURCE, lecture_defects
from dropviz.viz import lecture_figures as vl
from dropviz.viz import math_figures as vt
from ui.figure_labels import penalty_figure_labels
from ui.i18n import translator
from ui.text.lecture import DEFECT_TEXT, SECTION_TEXT, TEXT
from ui.text.penalty import PENALTY_TEXT

t = translator(TEXT, SECTION_TEXT, DEFECT_TEXT, PENALTY_TEXT)
SMALL = {"displayModeBar": False}
NET_SIZES = (4, 5, 5, 2)
# Seed of the live example's Generator (kept in session state); its first
# draws at p = 0.5 keep 2 or 3 of the 5 units, a typical first impression.
EXAMPLE_RNG_SEED = 2


def _state(key, factory):
    if key not in st.session_state:
        st.session_state[key] = factory()
    return st.session_state[key]


def _num(v: float, digits: int) -> str:
    text = f"{v:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _vec(values, digits: int = 2) -> str:
    return "(" + ", ".join(_num(v, digits) for v in np.asarray(values, float)) + ")"


def _keep_slider(key: str, default: float = 0.5, lo: float = 0.05) -> float:
    p = st.slider(t("keep_p"), lo, 1.0, default, 0.05, key=key)
    st.caption(t("torch_p", p=round(1 - p, 10)))
    return float(p)


@st.cache_data(show_spinner=False)
def _defects():
    return [d.as_dict() for d in lecture_defects()]


# --------------------------------------------------------------- elements


def el_coadaptation():
    st.markdown(
        "> *co-adaptation refers to when different hidden units in a neural networks have highly correlated behavior*"
    )


def _resample_net():
    st.session_state["lec_net_k"] = st.session_state.get("lec_net_k", 0) + 1


@st.fragment
def el_thinned_network():
    left, mid, right = st.columns([1, 2, 2])
    with left:
        p = _keep_slider("lec_net_p")
        st.button(t("net_resample"), key="lec_net_btn", on_click=_resample_net, width="stretch")
    k = st.session_state.get("lec_net_k", 0)
    masks = L.thinned_network_masks(NET_SIZES, p, 0.8, 1000 + k)
    labels = dict(kept_label=t("kept_unit"), dropped_label=t("dropped_unit"))
    with mid:
        st.plotly_chart(
            vl.thinned_network_figure(NET_SIZES, None, height=260, labels={"title": t("net_standard"), **labels}),
            config=SMALL,
            key="lec_net_std",
        )
    with right:
        st.plotly_chart(
            vl.thinned_network_figure(NET_SIZES, masks, height=260, labels={"title": t("net_thinned"), **labels}),
            config=SMALL,
            key="lec_net_thin",
        )
    units = sum(NET_SIZES[:-1])
    kept = int(sum(m.sum() for m in masks[:-1]))
    st.caption(t("net_count", units=units, count=f"2^{units} = {2**units:,}", kept=kept))


MODEL_STANDARD = (
    r"z_i^{(l+1)} = \mathbf{w}_i^{(l+1)} \mathbf{y}^{(l)} + b_i^{(l+1)}",
    r"y_i^{(l+1)} = f\big(z_i^{(l+1)}\big)",
)
MODEL_DROPOUT = (
    r"r_j^{(l)} \sim \mathrm{Bernoulli}(p)",
    r"\tilde{\mathbf{y}}^{(l)} = \mathbf{r}^{(l)} * \mathbf{y}^{(l)}",
    r"z_i^{(l+1)} = \mathbf{w}_i^{(l+1)} \tilde{\mathbf{y}}^{(l)} + b_i^{(l+1)}",
    r"y_i^{(l+1)} = f\big(z_i^{(l+1)}\big)",
)


def _resample_r():
    rng = _state("lec_eq_rng", lambda: np.random.default_rng(EXAMPLE_RNG_SEED))
    st.session_state["lec_eq_u"] = L.draw_uniforms(rng)
    st.session_state["lec_eq_k"] = st.session_state.get("lec_eq_k", 1) + 1


@st.fragment
def el_equations():
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('standard')}**")
        for eq in MODEL_STANDARD:
            st.latex(eq)
    with right:
        st.markdown(f"**{t('with_dropout')}**")
        for eq in MODEL_DROPOUT:
            st.latex(eq)

    st.subheader(t("example_title"))
    rng = _state("lec_eq_rng", lambda: np.random.default_rng(EXAMPLE_RNG_SEED))
    u = _state("lec_eq_u", lambda: L.draw_uniforms(rng))
    k = _state("lec_eq_k", lambda: 1)
    c1, c2, c3 = st.columns([2, 2, 1])
    with c1:
        p = _keep_slider("lec_eq_p")
    with c2:
        act = st.radio(t("activation"), L.ACTIVATIONS, horizontal=True, key="lec_eq_act")
    with c3:
        st.button(t("example_resample"), key="lec_eq_btn", on_click=_resample_r, type="primary")
        st.caption(t("example_draw", k=k))
    ex = L.layer_example(p, u, act)
    st.latex(
        r"\mathbf r = " + _vec(ex.r, 0) + r"\quad\Rightarrow\quad \tilde{\mathbf y} = "
        r"\mathbf r * \mathbf y = " + _vec(ex.y_tilde, 2)
    )
    st.caption(t("kept_of", kept=int(ex.r.sum()), n=ex.r.size))
    a, b = st.columns([3, 2])
    with a:
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_unit"): np.arange(1, ex.y.size + 1),
                    t("col_y"): ex.y,
                    t("col_r"): ex.r.astype(int),
                    t("col_ytilde"): ex.y_tilde,
                }
            ),
            hide_index=True,
            key="lec_eq_in",
        )
    with b:
        st.dataframe(
            pd.DataFrame(
                {"i": np.arange(1, ex.z.size + 1), t("col_z"): np.round(ex.z, 3), t("col_out"): np.round(ex.out, 3)}
            ),
            hide_index=True,
            key="lec_eq_out",
        )
    st.latex(
        r"\mathbf z = W\tilde{\mathbf y} + \mathbf b = "
        + _vec(ex.z, 3)
        + r",\quad \mathbf y^{(l+1)} = f(\mathbf z) = "
        + _vec(ex.out, 3)
    )
    with st.expander(t("weights_caption")):
        st.dataframe(
            pd.DataFrame(ex.W, columns=[f"w·{j + 1}" for j in range(ex.W.shape[1])]).assign(b=ex.b), key="lec_eq_w"
        )


@st.fragment
def el_train_vs_inference():
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{t('impl_original')}**")
        st.latex(
            r"\text{train: } \tilde{\mathbf y} = \mathbf r * \mathbf y \qquad "
            r"\text{test: } W_{test}^{(l)} = p\,W^{(l)}"
        )
    with c2:
        st.markdown(f"**{t('impl_current')}**")
        st.latex(
            r"\text{train: } \tilde{\mathbf y} = \mathbf r * \mathbf y / p \qquad "
            r"\text{test: } W_{test}^{(l)} = W^{(l)}"
        )
    c1, c2 = st.columns([1, 3])
    with c1:
        p = _keep_slider("lec_tvi_p")
        act = st.radio(t("activation"), L.ACTIVATIONS, horizontal=True, key="lec_tvi_act")
    ex = L.exact_layer_expectation(p, act)
    with c2:
        st.markdown(t("exact_title", n=ex["n_masks"]) + f" (p = {p:g}, f = {act})")
        st.dataframe(
            pd.DataFrame(
                [ex["E_z"], ex["z_test"], ex["E_out"], ex["out_test"]],
                index=[t("row_Ez"), t("row_ztest"), t("row_Eout"), t("row_outtest")],
                columns=[f"i = {i + 1}" for i in range(ex["E_z"].size)],
            ).round(4),
            key="lec_tvi",
        )


def el_table2():
    st.markdown(f"**{t('paper_label')}**")
    st.dataframe(
        pd.DataFrame(paper.TABLE2_FULL, columns=[t("col_method"), t("col_unit_type"), t("col_arch"), t("col_err")]),
        hide_index=True,
        key="lec_t2",
    )


def el_fig4():
    updates, without, with_dropout = paper.fig4_ranges()
    st.plotly_chart(
        vl.paper_fig4_figure(
            updates,
            without,
            with_dropout,
            height=300,
            labels={"title": t("paper_label"), "without_label": t("without"), "with_label": t("with")},
        ),
        config=SMALL,
        key="lec_f4",
    )
    st.caption(t("approx_note"))


def el_fig9():
    p, at, atr, bt, btr = paper.fig9_columns()
    st.plotly_chart(
        vl.paper_fig9_figure(
            p,
            at,
            atr,
            bt,
            btr,
            height=300,
            labels={"title": t("paper_label"), "test_label": t("test"), "train_label": t("train")},
        ),
        config=SMALL,
        key="lec_f9",
    )
    st.caption(t("approx_note"))


def el_fig10():
    n, w, wo = paper.fig10_columns()
    st.plotly_chart(
        vl.paper_fig10_figure(
            n,
            w,
            wo,
            height=300,
            labels={"title": t("paper_label"), "with_label": t("with"), "without_label": t("without")},
        ),
        config=SMALL,
        key="lec_f10",
    )
    st.caption(t("approx_note"))


@st.fragment
def el_regularizer():
    c1, c2 = st.columns(2)
    with c1:
        st.latex(r"E_N = \tfrac12\Big(t - \sum_{i=1}^n p_i w_i I_i\Big)^2")
        st.latex(
            r"\frac{\partial E_N}{\partial w_i} = -t p_i I_i + w_i p_i^2 I_i^2 "
            r"+ \sum_{j\neq i} w_j p_i p_j I_i I_j"
        )
    with c2:
        st.latex(r"E_D = \tfrac12\Big(t - \sum_{i=1}^n \delta_i w_i I_i\Big)^2")
        st.latex(
            r"\frac{\partial E_D}{\partial w_i} = -t\delta_i I_i + w_i\delta_i^2 I_i^2 "
            r"+ \sum_{j\neq i} w_j\delta_i\delta_j I_i I_j"
        )
    st.markdown(t("math_expect"))
    st.latex(
        r"E\Big[\frac{\partial E_D}{\partial w_i}\Big] = \frac{\partial E_N}{\partial w_i} "
        r"+ w_i\,p_i(1-p_i)\,I_i^2"
    )
    st.markdown(t("math_er"))
    st.latex(
        r"E_R = \tfrac12\Big(t - \sum_{i=1}^n p_i w_i I_i\Big)^2 + "
        r"\tfrac12\sum_{i=1}^n p_i(1-p_i)\,w_i^2 I_i^2"
    )
    st.warning(t("half_note"))
    st.markdown(t("math_p"))
    c1, c2 = st.columns([1, 2])
    with c1:
        p = _keep_slider("lec_reg_p")
        st.metric(t("pen_metric"), f"{float(th.regularization_strength(p)):.4f}")
    with c2:
        st.plotly_chart(
            vt.regularization_strength_figure(
                marked=[p],
                height=300,
                labels=penalty_figure_labels(t, "p"),
            ),
            config=SMALL,
            key="lec_reg_fig",
        )


def _resample_masks():
    st.session_state["lec_mask_k"] = st.session_state.get("lec_mask_k", 0) + 1


@st.fragment
def el_masks():
    c1, c2 = st.columns(2)
    with c1:
        st.latex(r"\text{Dropout: } \mathbf r = \mathbf m \star a(W\mathbf v)")
    with c2:
        st.latex(r"\text{DropConnect: } \mathbf r = a\big((M \star W)\,\mathbf v\big)")
    c1, c2 = st.columns([1, 3])
    with c1:
        p = _keep_slider("lec_mask_p")
        st.button(t("mask_resample"), key="lec_mask_btn", on_click=_resample_masks, width="stretch")
    k = st.session_state.get("lec_mask_k", 0)
    gen = np.random.default_rng(2000 + k)
    m_do = th.effective_weight_mask_dropout(8, 12, p, gen, mask_outputs=True)
    m_dc = th.effective_weight_mask_dropconnect(8, 12, p, gen)
    with c2:
        st.plotly_chart(
            vt.mask_comparison_figure(
                m_do,
                m_dc,
                height=280,
                labels={
                    "dropout_title": t("mask_dropout"),
                    "dropconnect_title": t("mask_dropconnect"),
                    "title": t("mask_title"),
                    "x_label": t("input_unit"),
                    "y_label": t("output_unit"),
                },
            ),
            config=SMALL,
            key="lec_mask_fig",
        )
    d = th.count_subnetworks(8, 12, "dropout", mask_outputs=True)
    c = th.count_subnetworks(8, 12, "dropconnect")
    st.caption(t("mask_counts", d=f"2^{d.log2_configurations} = {d.text}", c=c.text))


@st.fragment
def el_implementation():
    c1, c2 = st.columns([1, 3])
    with c1:
        p = _keep_slider("lec_impl_p")
    n = 20_000
    res = L.implementation_means([1.0, 2.0, 3.0, 4.0], p, n, 7)
    with c2:
        st.markdown(t("impl_demo", n=f"{n:,}", p=p))
        st.dataframe(
            pd.DataFrame(
                [
                    res["weight_scaling_train_mean"],
                    res["weight_scaling_test"],
                    res["inverted_train_mean"],
                    res["inverted_test"],
                ],
                index=[
                    f"{t('impl_original')}: {t('impl_row_train')}",
                    f"{t('impl_original')}: {t('impl_row_test')}",
                    f"{t('impl_current')}: {t('impl_row_train')}",
                    f"{t('impl_current')}: {t('impl_row_test')}",
                ],
                columns=["x₁", "x₂", "x₃", "x₄"],
            ).round(3),
            key="lec_impl_df",
        )


@st.cache_data(show_spinner=False)
def _ridge_closed_forms(p: float):
    X, y, w_true = th.make_regression_problem(200, 5, 0.5, 0)
    return (
        th.least_squares_solution(X, y),
        th.dropout_ridge_solution(X, y, p),
        th.dropout_ridge_solution_rescaled(X, y, p),
    )


@st.fragment
def el_ridge():
    st.latex(r"\min_w \|y - Xw\|^2")
    st.latex(r"\min_w \|y - pXw\|^2 + p(1-p)\,\|\Gamma w\|^2")
    st.markdown(t("ridge_rescaled"))
    st.latex(
        r"\min_{\tilde w} \|y - X\tilde w\|^2 + \frac{1-p}{p}\,\|\Gamma \tilde w\|^2,"
        r"\qquad \tilde w = p\,w"
    )
    c1, c2 = st.columns([1, 3])
    with c1:
        p = _keep_slider("lec_ridge_p")
    ls, w, wt = _ridge_closed_forms(p)
    with c2:
        st.markdown(t("ridge_demo"))
        st.dataframe(
            pd.DataFrame(
                [ls, w, wt],
                index=[t("ridge_ls"), t("ridge_w"), t("ridge_wt")],
                columns=[f"w{j + 1}" for j in range(ls.size)],
            ).round(4),
            key="lec_ridge_df",
        )


def el_numpy():
    st.code(LECTURE_DROPOUT_SOURCE, language="python", line_numbers=True, wrap_lines=True)
    st.markdown(t("numpy.body"))
    keys = [d["key"] for d in _defects()]
    st.markdown("\n".join(f"- **{t(f'defect.{key}.name')}** — {t(f'defect.{key}.explanation')}" for key in keys))


def el_summary():
    pass


ELEMENTS = {
    "coadaptation": el_coadaptation,
    "thinned-network": el_thinned_network,
    "equations": el_equations,
    "train-vs-inference": el_train_vs_inference,
    "table2": el_table2,
    "fig4": el_fig4,
    "fig9": el_fig9,
    "fig10": el_fig10,
    "regularizer": el_regularizer,
    "masks": el_masks,
    "implementation": el_implementation,
    "ridge": el_ridge,
    "numpy": el_numpy,
    "summary": el_summary,
}

# ------------------------------------------------------------------ page

st.title(t("page_lecture"))
st.markdown(t("intro"))
with st.expander(t("contents"), expanded=False):
    st.markdown("\n".join(f"1. [{t(f'{s.id}.title').split('. ', 1)[-1]}](#{s.id})" for s in L.SECTIONS))

# Seconds each section took to compute and draw on the last run (read by
# bench/bench_theory_pages.py; costs two clock reads per section).
timings = st.session_state.setdefault("section_seconds_lecture", {})
for sec in L.SECTIONS:
    started = time.perf_counter()
    st.header(t(f"{sec.id}.title"), anchor=sec.id, divider="gray")
    st.caption(t("slide", name=t(f"{sec.id}.slide")))
    if sec.id != "numpy":  # the numpy section puts its text after the code
        st.markdown(t(f"{sec.id}.body"))
    ELEMENTS[sec.element]()
    if sec.links:
        cols = st.columns(len(sec.links))
        for col, link in zip(cols, sec.links):
            with col:
                st.page_link(
                    link.page_file,
                    label=f"{t('open_page')}: {t(f'{sec.id}.link.{link.page}')}",
                    icon="➡️",
                    query_params=link.query_params() or None,
                )
    timings[sec.id] = time.perf_counter() - started
