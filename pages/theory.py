"""Theory page: the lecture's mathematics, checked with the user's own numbers.

Five sections (Baldi-Sadowski, ridge equivalence, the lecture's numpy
function, dropout vs DropConnect masks, NWGM). Computations live in
dropviz.dropout_math / dropviz.numpy_dropout / dropviz.lecture; heavy ones are cached
with st.cache_data; figures come from dropviz.viz.math_figures. Each section is an
st.fragment, so an input reruns its own section only.
"""

import inspect
import time

import numpy as np
import pandas as pd
import streamlit as st

from dropviz import dropout_math as th
from dropviz import lecture as L
from dropviz import numpy_dropout as ref
from dropviz.viz import math_figures as vt
from ui.escape import code, plain
from ui.figure_labels import penalty_figure_labels
from ui.i18n import translator
from ui.text.lecture import DEFECT_TEXT, OUTCOME_TEXT
from ui.text.penalty import PENALTY_TEXT
from ui.text.theory import TEXT

t = translator(TEXT, DEFECT_TEXT, OUTCOME_TEXT, PENALTY_TEXT)

# Bounds of every user input (the widgets enforce them; the text fields are
# parsed by th.parse_vector with these ranges).
BS_N = (1, 10)
BS_RANGE = 10.0
BS_SAMPLES = (100, 50_000)
RIDGE_ROWS, RIDGE_COLS, RIDGE_STEPS = (20, 1000), (1, 10), (500, 8_000)
RIDGE_WORK = 1_600_000  # examples x SGD steps: keeps the section well under 2 s
MASK_DIM = (1, 32)
NWGM_N = (1, 16)
NUMPY_LEN = 20


def _keep_slider(key: str, default: float = 0.5, lo: float = 0.05) -> float:
    p = st.slider(t("keep_p"), lo, 1.0, default, 0.05, key=key)
    st.caption(t("torch_p", p=round(1 - p, 10)))
    return float(p)


def _fmt_vec(a, digits: int = 4) -> str:
    return np.array2string(np.asarray(a), precision=digits, separator=", ", suppress_small=True)


# ------------------------------------------------------------ cached compute


@st.cache_data(show_spinner=False, max_entries=64)
def bs_compute(I: tuple, w: tuple, target: float, p: tuple, n_samples: int, seed: int) -> dict:
    mc = th.mc_dropout_gradient(I, w, target, p, n_samples, seed)
    idx = vt.log_subsample(n_samples, 400)
    return {
        "counts": mc.counts[idx],
        "mean": mc.mean[idx],
        "half": mc.half_width[idx],
        "final_mean": mc.mean[-1],
        "final_half": mc.half_width[-1],
        "analytic": th.expected_dropout_gradient(I, w, target, p),
        "ensemble": th.ensemble_gradient(I, w, target, p),
        "er": th.regularized_error(I, w, target, p),
    }


@st.cache_data(show_spinner=False, max_entries=32)
def ridge_compute(p: float, rows: int, cols: int, noise: float, steps: int, scaling: str, seed: int) -> dict:
    X, y, w_true = th.make_regression_problem(rows, cols, noise, seed)
    res = th.sgd_dropout_regression(
        X, y, p, steps=steps, rng=seed + 1, scaling=scaling, record_every=max(1, steps // 200)
    )
    w_star = th.dropout_ridge_solution(X, y, p)
    ls = th.least_squares_solution(X, y)
    return {
        "w_true": w_true,
        "w_star": w_star,
        "w_tilde": th.dropout_ridge_solution_rescaled(X, y, p),
        "ls": ls,
        "sgd": res.w,
        "steps": res.steps,
        "rel": res.rel_error,
        "rel_last": res.rel_error_last,
        "lr": res.lr,
        "gamma2": th.gamma_squared(X),
        "shrink": th.shrink_ratios(X, y, p),
        "final_rel": float(res.rel_error[-1]),
    }


@st.cache_data(show_spinner=False)
def outcome(defect: dict) -> str:
    """What running a defect's snippet showed: the engine's numbers in this language's sentence."""
    words = {name: t(f"word.{key}") for name, key in defect["words"].items()}
    return t(f"outcome.{defect['case']}", **defect["values"], **words)


def defects() -> list[dict]:
    return [d.as_dict() for d in ref.lecture_defects()]


@st.cache_data(show_spinner=False, max_entries=32)
def nwgm_compute(n: int, p: float, scale: float, bias: float, seed: int) -> dict:
    gen = np.random.default_rng(seed)
    I = gen.normal(0.0, 1.0, n)
    w = gen.normal(0.0, scale, n)
    sub = th.enumerate_subnetworks(I, w, bias, p)
    return {
        "I": I,
        "w": w,
        "outputs": sub.outputs,
        "probs": sub.probs,
        "nwgm": th.nwgm(sub.outputs, sub.probs),
        "scaled": th.weight_scaled_output(I, w, bias, p),
        "arith": th.arithmetic_mean_output(sub.outputs, sub.probs),
    }


# ------------------------------------------------------------ 1 Baldi-Sadowski


def _bs_generate():
    n = int(st.session_state.get("th_bs_n", 4))
    k = int(st.session_state.get("th_bs_k", 0))
    gen = np.random.default_rng(100 + k)
    fmt = lambda a: ", ".join(f"{v:g}" for v in a)  # noqa: E731
    st.session_state["th_bs_I"] = fmt(np.round(gen.normal(0.0, 1.5, n), 2))
    st.session_state["th_bs_w"] = fmt(np.round(gen.normal(0.0, 1.0, n), 2))
    st.session_state["th_bs_p"] = fmt(np.round(gen.uniform(0.2, 0.9, n), 2))


def _bs_new():
    st.session_state["th_bs_k"] = int(st.session_state.get("th_bs_k", 0)) + 1
    _bs_generate()


@st.fragment
def section_bs():
    st.header(t("sec_bs"), anchor="baldi-sadowski", divider="gray")
    st.markdown(t("bs_body"))
    st.latex(
        r"E_D = \tfrac12\Big(t - \sum_{i=1}^n \delta_i w_i I_i\Big)^2,\qquad "
        r"E_N = \tfrac12\Big(t - \sum_{i=1}^n p_i w_i I_i\Big)^2"
    )
    st.latex(
        r"E\Big[\frac{\partial E_D}{\partial w_i}\Big] = \frac{\partial E_N}{\partial w_i} "
        r"+ w_i\,p_i(1-p_i)\,I_i^2 = \frac{\partial E_R}{\partial w_i},\qquad "
        r"E_R = E_N + \tfrac12\sum_{i=1}^n p_i(1-p_i)\,w_i^2 I_i^2"
    )
    st.warning(t("half_note"))

    if "th_bs_I" not in st.session_state:
        _bs_generate()
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
    with c1:
        n = int(st.number_input(t("bs_n"), *BS_N, value=4, step=1, key="th_bs_n", on_change=_bs_generate))
    with c2:
        target = float(st.number_input(t("bs_t"), -BS_RANGE, BS_RANGE, 1.0, 0.1, key="th_bs_t"))
    with c3:
        samples = int(st.number_input(t("bs_samples"), *BS_SAMPLES, value=20_000, step=1000, key="th_bs_samples"))
    with c4:
        st.button(t("bs_new"), key="th_bs_btn", on_click=_bs_new)
    c1, c2, c3 = st.columns(3)
    with c1:
        I_txt = st.text_input(t("bs_I"), st.session_state["th_bs_I"], key="th_bs_I")
    with c2:
        w_txt = st.text_input(t("bs_w"), st.session_state["th_bs_w"], key="th_bs_w")
    with c3:
        p_txt = st.text_input(t("bs_p"), st.session_state["th_bs_p"], key="th_bs_p")
    try:
        values = (
            tuple(th.parse_vector(I_txt, "I", n, -BS_RANGE, BS_RANGE)),
            tuple(th.parse_vector(w_txt, "w", n, -BS_RANGE, BS_RANGE)),
            tuple(th.parse_vector(p_txt, "p_i", n, 0.0, 1.0)),
        )
        st.session_state["th_bs_valid"] = values
    except ValueError as error:
        st.error(t("bad_input", msg=plain(error)))
        values = st.session_state.get("th_bs_valid")
        if values is None:
            return
    I, w, p = values
    n = len(I)
    res = bs_compute(I, w, target, p, samples, 12345 + int(st.session_state.get("th_bs_k", 0)))

    with st.columns(4)[0]:
        i = int(st.selectbox(t("bs_weight"), list(range(1, n + 1)), key="th_bs_i") if n > 1 else 1)
    i = min(i, n) - 1
    c1, c2, c3 = st.columns(3)
    c1.metric(t("bs_metric_analytic", i=i + 1), f"{res['analytic'][i]:.5f}")
    c2.metric(t("bs_metric_mc", n=samples), f"{res['final_mean'][i]:.5f} ± {res['final_half'][i]:.5f}")
    c3.metric(t("bs_metric_er"), f"{res['er']:.5f}")
    st.plotly_chart(
        vt.mc_convergence_figure(
            res["counts"],
            res["mean"][:, i],
            res["half"][:, i],
            float(res["analytic"][i]),
            ensemble=float(res["ensemble"][i]),
            labels={
                "title": t("bs_fig_title", i=i + 1),
                "x_label": t("bs_x"),
                "mc_label": t("bs_mc"),
                "band_label": t("bs_band"),
                "analytic_label": t("bs_analytic"),
                "ensemble_label": t("bs_ens"),
            },
        ),
        key="th_bs_fig",
    )
    inside = np.abs(res["final_mean"] - res["analytic"]) <= res["final_half"]
    st.dataframe(
        pd.DataFrame(
            {
                t("col_i"): np.arange(1, n + 1),
                "I_i": I,
                "w_i": w,
                "p_i": p,
                t("col_ensemble"): res["ensemble"],
                t("col_penalty"): res["analytic"] - res["ensemble"],
                t("col_analytic"): res["analytic"],
                t("col_mc"): res["final_mean"],
                t("col_ci"): res["final_half"],
                t("col_inside"): inside,
            }
        ).round(5),
        hide_index=True,
        key="th_bs_df",
    )
    st.caption(t("bs_inside", k=int(inside.sum()), n=n))
    st.plotly_chart(
        vt.regularization_strength_figure(
            marked=p,
            height=320,
            labels=penalty_figure_labels(t, t("pen_marked")),
        ),
        key="th_pen_fig",
    )
    st.caption(t("pen_note"))


# ------------------------------------------------------------ 2 ridge


@st.fragment
def section_ridge():
    st.header(t("sec_ridge"), anchor="ridge", divider="gray")
    st.markdown(t("ridge_body"))
    st.latex(
        r"E_R\,\|y - (R * X)w\|^2 = \|y - pXw\|^2 + p(1-p)\,\|\Gamma w\|^2,\qquad "
        r"\Gamma = \mathrm{diag}(X^\top X)^{1/2}"
    )
    st.latex(
        r"w^* = \big(pX^\top X + (1-p)\,\Gamma^2\big)^{-1}X^\top y,\qquad "
        r"\tilde w = p\,w^* = \arg\min_{\tilde w}\|y - X\tilde w\|^2 + "
        r"\frac{1-p}{p}\|\Gamma\tilde w\|^2"
    )
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        p = _keep_slider("th_ridge_p")
    with c2:
        rows = int(st.number_input(t("ridge_rows"), *RIDGE_ROWS, value=200, step=10, key="th_ridge_rows"))
        cols = int(st.number_input(t("ridge_cols"), *RIDGE_COLS, value=5, step=1, key="th_ridge_cols"))
    with c3:
        noise = float(st.slider(t("ridge_noise"), 0.0, 2.0, 0.5, 0.1, key="th_ridge_noise"))
        steps = int(st.number_input(t("ridge_steps"), *RIDGE_STEPS, value=5000, step=500, key="th_ridge_steps"))
    with c4:
        scaling = st.radio(
            t("ridge_scaling"),
            ("weight-scaling", "inverted"),
            format_func=lambda s: t("ridge_ws") if s == "weight-scaling" else t("ridge_inv"),
            key="th_ridge_scaling",
        )
        seed = int(st.number_input(t("seed"), 0, 10_000, 0, 1, key="th_ridge_seed"))
    if rows * steps > RIDGE_WORK:
        allowed_steps = max(RIDGE_STEPS[0], RIDGE_WORK // rows // 100 * 100)
        st.warning(t("ridge_work", rows=rows, steps=steps, work=RIDGE_WORK, allowed=allowed_steps))
        steps = allowed_steps
    res = ridge_compute(p, rows, cols, noise, steps, scaling, seed)
    # Compare predictors at test time: w~ = p w* against least squares.
    shrink = np.linalg.norm(res["w_tilde"] - res["ls"]) / max(np.linalg.norm(res["ls"]), 1e-300)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("ridge_metric_rel"), f"{res['final_rel']:.2e}")
    c2.metric(t("ridge_metric_ls"), f"{shrink:.3f}")
    c3.metric(t("ridge_metric_lr"), f"{res['lr']:.3g}")
    a, b = st.columns(2)
    with a:
        st.plotly_chart(
            vt.ridge_convergence_figure(
                res["steps"],
                res["rel"],
                res["rel_last"],
                labels={
                    "title": t("ridge_conv_title"),
                    "x_label": t("ridge_step"),
                    "avg_label": t("ridge_avg"),
                    "last_label": t("ridge_last"),
                    "threshold_label": t("ridge_1pc"),
                },
            ),
            key="th_ridge_conv",
        )
    with b:
        st.plotly_chart(
            vt.weights_comparison_figure(
                {
                    t("ridge_sgd"): res["sgd"],
                    t("ridge_w"): res["w_star"],
                    t("ridge_wt"): res["w_tilde"],
                    t("ridge_ls"): res["ls"],
                    t("ridge_true"): res["w_true"],
                },
                labels={"title": t("ridge_weights_title"), "x_label": t("ridge_weight"), "y_label": t("ridge_value")},
            ),
            key="th_ridge_w",
        )
    st.dataframe(
        pd.DataFrame(
            [res["sgd"], res["w_star"], res["w_tilde"], res["ls"], res["w_true"], res["gamma2"], res["shrink"]],
            index=[
                t("ridge_sgd"),
                t("ridge_w"),
                t("ridge_wt"),
                t("ridge_ls"),
                t("ridge_true"),
                t("gamma"),
                t("ridge_shrink"),
            ],
            columns=[f"w{j + 1}" for j in range(cols)],
        ).round(4),
        key="th_ridge_df",
    )
    st.caption(t("ridge_table_caption"))


# ------------------------------------------------------------ 3 numpy


@st.fragment
def section_numpy():
    st.header(t("sec_numpy"), anchor="numpy", divider="gray")
    st.markdown(t("numpy_body"))
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    with c1:
        x_txt = st.text_input(t("np_x"), "1, 2, 3, 4, 5, 6", key="th_np_x")
    with c2:
        as_int = st.checkbox(t("np_int"), False, key="th_np_int")
    with c3:
        discard = float(st.slider(t("np_discard"), 0.0, 1.0, 0.5, 0.05, key="th_np_discard"))
    with c4:
        seed = int(st.number_input(t("seed"), 0, 2**31 - 1, 1, 1, key="th_np_seed"))
    try:
        x = th.parse_vector(x_txt, "x", None, -1e6, 1e6, max_len=NUMPY_LEN)
        st.session_state["th_np_valid"] = x
    except ValueError as error:
        st.error(t("bad_input", msg=plain(error)))
        x = st.session_state.get("th_np_valid", np.arange(1.0, 7.0))
    if as_int:
        x = x.astype(np.int64)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('np_lecture')}**")
        st.code(ref.LECTURE_DROPOUT_SOURCE, language="python", line_numbers=True, wrap_lines=True)
        run = L.run_lecture_function(x, discard, seed)
        st.markdown(f"`dropout(x, discard_prob={discard:g}, seed={seed})`")
        lines = [f"- {t('np_before')}: `{_fmt_vec(run.x_before)}`", f"- {t('np_after')}: `{_fmt_vec(run.x_after)}`"]
        if run.error:
            lines.append(f"- {t('np_raised')}: {code(run.error)}")
        else:
            lines.append(f"- {t('np_result')}: `{_fmt_vec(run.result)}`")
            lines.append(f"- {t('np_same', v=run.returned_is_input)}")
        if run.warnings:
            lines.append(f"- {t('np_warn')}: `{'; '.join(run.warnings)}`")
        st.markdown("\n".join(lines))
    with right:
        st.markdown(f"**{t('np_reference')}**")
        st.code(inspect.getsource(ref.dropout), language="python", height=420, wrap_lines=True)
        keep = round(1.0 - discard, 10)
        st.markdown(f"`dropout(x, keep_p={keep:g}, rng={seed})`")
        try:
            out = ref.dropout(x, keep, seed)
            st.markdown(
                "\n".join(
                    [
                        f"- {t('np_before')}: `{_fmt_vec(x)}`",
                        f"- {t('np_after')}: `{_fmt_vec(x)}`",
                        f"- {t('np_result')}: `{_fmt_vec(out)}`",
                    ]
                )
            )
        except (ValueError, TypeError) as error:
            st.markdown(f"- {t('np_raised')}: {code(f'{type(error).__name__}: {error}')}")
    st.subheader(t("np_defects"))
    for d in defects():
        key = d["key"]
        with st.expander(f"{t(f'defect.{key}.name')} ({key})", expanded=False):
            st.markdown(t(f"defect.{key}.explanation"))
            st.caption(t("np_code"))
            st.code(d["code"], language="python")
            st.caption(t("np_outcome"))
            st.info(outcome(d))


# ------------------------------------------------------------ 4 masks


def _mask_resample():
    st.session_state["th_mask_k"] = int(st.session_state.get("th_mask_k", 0)) + 1


@st.fragment
def section_masks():
    st.header(t("sec_masks"), anchor="masks", divider="gray")
    st.markdown(t("masks_body"))
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        p = _keep_slider("th_mask_p")
    with c2:
        n_out = int(st.number_input(t("m_out"), *MASK_DIM, value=8, step=1, key="th_mask_out"))
        n_in = int(st.number_input(t("m_in"), *MASK_DIM, value=16, step=1, key="th_mask_in"))
    with c3:
        outputs = st.checkbox(t("m_outputs"), True, key="th_mask_outputs")
        st.button(t("m_resample"), key="th_mask_btn", on_click=_mask_resample)
    gen = np.random.default_rng(3000 + int(st.session_state.get("th_mask_k", 0)))
    m_do = th.effective_weight_mask_dropout(n_out, n_in, p, gen, mask_outputs=outputs)
    m_dc = th.effective_weight_mask_dropconnect(n_out, n_in, p, gen)
    st.plotly_chart(
        vt.mask_comparison_figure(
            m_do,
            m_dc,
            height=min(600, 200 + 14 * n_out),
            labels={
                "dropout_title": t("m_dropout"),
                "dropconnect_title": t("m_dropconnect"),
                "title": t("m_title"),
                "x_label": t("m_in_unit"),
                "y_label": t("m_out_unit"),
            },
        ),
        key="th_mask_fig",
    )
    do = th.count_subnetworks(n_out, n_in, "dropout", mask_outputs=outputs)
    dc = th.count_subnetworks(n_out, n_in, "dropconnect")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("m_count_do"), f"2^{do.log2_configurations}", help=do.text)
    c2.metric(t("m_count_do_distinct"), th.format_big_int(do.distinct_weight_masks))
    c3.metric(t("m_count_dc"), f"2^{dc.log2_configurations}", help=dc.text)
    st.caption(t("m_density", a=m_do.mean(), b=m_dc.mean(), ea=p * p if outputs else p, eb=p))


# ------------------------------------------------------------ 5 NWGM


@st.fragment
def section_nwgm():
    st.header(t("sec_nwgm"), anchor="nwgm", divider="gray")
    st.markdown(t("nwgm_body"))
    st.latex(
        r"\mathrm{NWGM} = \frac{\prod_k O_k^{P_k}}{\prod_k O_k^{P_k} + \prod_k (1-O_k)^{P_k}}"
        r" = \sigma\Big(\sum_k P_k\,\mathrm{logit}_k\Big) = "
        r"\sigma\Big(\sum_i p_i w_i I_i + b\Big)"
    )
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        n = int(st.number_input(t("nw_n"), *NWGM_N, value=8, step=1, key="th_nw_n"))
    with c2:
        p = _keep_slider("th_nw_p")
    with c3:
        scale = float(st.slider(t("nw_scale"), 0.1, 5.0, 2.0, 0.1, key="th_nw_scale"))
    with c4:
        bias = float(st.slider(t("nw_bias"), -5.0, 5.0, 0.0, 0.5, key="th_nw_bias"))
        seed = int(st.number_input(t("seed"), 0, 10_000, 0, 1, key="th_nw_seed"))
    res = nwgm_compute(n, p, scale, bias, seed)
    c = st.columns(3)
    c[0].metric(t("nw_nwgm"), f"{res['nwgm']:.12f}")
    c[1].metric(t("nw_scaled"), f"{res['scaled']:.12f}")
    c[2].metric(t("nw_arith"), f"{res['arith']:.12f}")
    c = st.columns(3)
    c[0].metric(t("nw_diff"), f"{abs(res['nwgm'] - res['scaled']):.1e}")
    c[1].metric(t("nw_diff_arith"), f"{abs(res['arith'] - res['nwgm']):.1e}")
    st.plotly_chart(
        vt.nwgm_figure(
            res["outputs"],
            res["probs"],
            nwgm=res["nwgm"],
            weight_scaled=res["scaled"],
            arithmetic=res["arith"],
            labels={
                "title": t("nw_title", n=n, m=2**n),
                "x_label": t("nw_x"),
                "y_label": t("nw_y"),
                "hist_label": t("nw_hist"),
                "nwgm_label": t("nw_nwgm"),
                "scaled_label": t("nw_scaled"),
                "arithmetic_label": t("nw_arith"),
            },
        ),
        key="th_nw_fig",
    )


SECTIONS = (section_bs, section_ridge, section_numpy, section_masks, section_nwgm)

st.title(t("page_theory"))
st.markdown(t("intro"))
# Seconds each section took to compute and draw on the last run (read by
# bench/bench_theory_pages.py).
timings = st.session_state.setdefault("section_seconds_theory", {})
for draw in SECTIONS:
    started = time.perf_counter()
    draw()
    timings[draw.__name__.removeprefix("section_")] = time.perf_counter() - started
