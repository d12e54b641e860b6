"""The source lecture (seed/, Chinese) as data: its sections in order, and the
small computations its live examples show.

Nothing here imports streamlit. ``pages/lecture.py`` walks :data:`SECTIONS`
and draws each one; the tests check the order, that every link's settings are
a valid :class:`~dropviz.config.RunConfig`, and the example's arithmetic.

The paper's numbers quoted on the lecture page (Srivastava et al. 2014,
MNIST) are kept here too, copied from REFERENCE.md; "≈" values were read off
the paper's plots. They are always shown labelled as the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from dropviz.config import RunConfig, from_mapping, to_query_params, to_text
from dropviz.reference import as_generator, check_keep_p

# Page files that a section may link to (they are listed in app.py).
PAGES = {
    "playground": "pages/playground.py",
    "coadaptation": "pages/coadaptation.py",
    "inference": "pages/inference.py",
    "theory": "pages/theory.py",
    "experiments": "pages/experiments.py",
}


@dataclass(frozen=True)
class SectionLink:
    """A link to a full-size page, carrying the settings to open it with.

    ``settings`` are RunConfig fields (validated at import); ``extra`` are
    page-specific URL parameters that are not run settings (e.g. which
    experiment the Experiments page should select).
    """

    page: str  # key of PAGES
    label_en: str
    label_zh: str
    settings: Mapping[str, object] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def page_file(self) -> str:
        return PAGES[self.page]

    def config(self) -> RunConfig:
        return from_mapping(dict(self.settings))

    def query_params(self) -> dict[str, str]:
        """URL parameters: the settings that differ from the defaults, plus ``extra``.

        An ``extra["experiment"]`` (a name of dropviz.experiments.EXPERIMENTS)
        becomes the Experiments page's own URL parameter, see
        :func:`experiment_query_params`.
        """
        params = to_query_params(self.config()) if self.settings else {}
        # Fields named in ``settings`` are always in the URL, even at their
        # default value, so the link says what it sets (keep_p=0.5&method=...).
        config = self.config()
        for name in self.settings:
            params[name] = to_text(name, getattr(config, name))
        extra = dict(self.extra)
        if "experiment" in extra:
            params.update(experiment_query_params(str(extra.pop("experiment"))))
        params.update({k: str(v) for k, v in extra.items()})
        return params

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def experiment_query_params(name: str) -> dict[str, str]:
    """URL parameters that open the Experiments page on experiment ``name``.

    That page binds its experiment selectbox (key ``exp_name``) to the URL,
    and Streamlit stores the option's displayed label there,
    "<paper_ref>: <title>" (tests/test_app_lecture_theory.py checks that the
    page really selects the experiment from these parameters).
    """
    from dropviz.experiments import EXPERIMENTS

    if name not in EXPERIMENTS:
        raise KeyError(f"no experiment {name!r} (known: {', '.join(EXPERIMENTS)})")
    spec = EXPERIMENTS[name]
    return {"exp_name": f"{spec.paper_ref}: {spec.title}"}


@dataclass(frozen=True)
class LectureSection:
    """One slide group of the lecture.

    ``element`` names the small live element the page draws inline (the page
    maps names to drawing functions; "" for none); ``slide`` is the lecture's
    own Chinese heading, shown so a teacher can follow the slides.
    """

    id: str
    title_en: str
    title_zh: str
    slide: str
    element: str
    links: tuple[SectionLink, ...] = ()

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


_PLAY = "playground"
_CO = "coadaptation"
_INF = "inference"
_TH = "theory"
_EXP = "experiments"

#: The lecture's sections in the lecture's order.
SECTIONS: tuple[LectureSection, ...] = (
    LectureSection(
        "coadaptation",
        "1. Motivation: co-adaptation",
        "1. 研究动机：共适应",
        "Dropout研究动机",
        "coadaptation",
        (
            SectionLink(
                _CO,
                "Measure co-adaptation with and without dropout",
                "度量有无 Dropout 时的共适应",
                {"dataset": "digits", "method": "dropout", "keep_p": 0.5, "hidden": (256, 256)},
            ),
        ),
    ),
    LectureSection(
        "what-is-dropout",
        "2. What is dropout?",
        "2. 什么是 Dropout？",
        "什么是Dropout? / 网络对比",
        "thinned-network",
        (
            SectionLink(
                _PLAY,
                "Train a dropout net beside its no-dropout twin",
                "训练 Dropout 网络及其无 Dropout 对照",
                {"method": "dropout", "keep_p": 0.5},
            ),
        ),
    ),
    LectureSection(
        "model",
        "3. Model equations",
        "3. 模型描述",
        "模型描述",
        "equations",
        (
            SectionLink(
                _PLAY,
                "See the real masks of each mini-batch",
                "查看每个小批量的真实掩码",
                {"method": "dropout", "keep_p": 0.5},
            ),
        ),
    ),
    LectureSection(
        "train-vs-inference",
        "4. Training vs inference",
        "4. 训练与推理",
        "训练与推理",
        "train-vs-inference",
        (
            SectionLink(
                _INF,
                "Weight scaling vs Monte-Carlo averaging",
                "权重缩放与蒙特卡洛平均对比",
                {"method": "dropout", "keep_p": 0.5},
            ),
        ),
    ),
    LectureSection(
        "mnist",
        "5. Comparison on MNIST (paper's Table 2)",
        "5. 横向比较（论文表 2）",
        "横向比较",
        "table2",
        (SectionLink(_EXP, "Re-run the comparison here", "在本应用中重新运行该比较", extra={"experiment": "table2"}),),
    ),
    LectureSection(
        "robustness",
        "6. Robustness across architectures (paper's Fig. 4)",
        "6. 鲁棒性结果（论文图 4）",
        "鲁棒性结果",
        "fig4",
        (
            SectionLink(
                _EXP,
                "Re-run: several architectures with and without dropout",
                "重新运行：多种结构、有无 Dropout",
                extra={"experiment": "fig4"},
            ),
        ),
    ),
    LectureSection(
        "effect-of-p",
        "7. Effect of p (paper's Fig. 9)",
        "7. p 值的影响（论文图 9）",
        "P值影响",
        "fig9",
        (
            SectionLink(
                _EXP, "Re-run the p sweep (n fixed)", "重新运行 p 扫描（n 固定）", extra={"experiment": "fig9a"}
            ),
            SectionLink(
                _PLAY, "p = 0.1: watch it under-fit", "p = 0.1：观察欠拟合", {"method": "dropout", "keep_p": 0.1}
            ),
        ),
    ),
    LectureSection(
        "data-size",
        "8. Effect of data set size (paper's Fig. 10)",
        "8. 训练数据大小的影响（论文图 10）",
        "训练数据大小影响",
        "fig10",
        (
            SectionLink(_EXP, "Re-run the data-size sweep", "重新运行数据量扫描", extra={"experiment": "fig10"}),
            SectionLink(
                _PLAY,
                "Few training points, big net",
                "训练点很少、网络很大",
                {"method": "dropout", "keep_p": 0.5, "train_size": 30, "hidden": (256, 256)},
            ),
        ),
    ),
    LectureSection(
        "mathematics",
        "9. The mathematics: an expected regularizer",
        "9. Dropout 的数学原理：期望意义下的正则",
        "Dropout的数学原理 / Dropout网络的期望值是一种正则",
        "regularizer",
        (SectionLink(_TH, "Check it with your own numbers (Theory page)", "用你自己的数字验证（理论页）"),),
    ),
    LectureSection(
        "dropconnect",
        "10. DropConnect",
        "10. DropConnect 网络",
        "DropConnect网络 / DropConnect网络的动机 / 实验对比",
        "masks",
        (
            SectionLink(
                _PLAY, "Train with DropConnect", "使用 DropConnect 训练", {"method": "dropconnect", "keep_p": 0.5}
            ),
            SectionLink(
                _INF,
                "DropConnect inference: mean vs Gaussian sampling",
                "DropConnect 推理：均值与高斯采样",
                {"method": "dropconnect", "keep_p": 0.5},
            ),
        ),
    ),
    LectureSection(
        "implementation",
        "11. Original vs current implementation",
        "11. 实现方式：原始实现与目前实现",
        "实现方式",
        "implementation",
        (
            SectionLink(
                _INF,
                "Inverted vs weight-scaling: same predictions",
                "反向缩放与权重缩放：预测相同",
                {"method": "dropout", "scaling": "weight-scaling"},
            ),
            SectionLink(
                _PLAY,
                "Train with the original (weight-scaling) version",
                "用原始（权重缩放）实现训练",
                {"method": "dropout", "scaling": "weight-scaling"},
            ),
        ),
    ),
    LectureSection(
        "ridge",
        "12. Why it works for linear regression: ridge",
        "12. 实现原理：与岭回归等价",
        "实现原理",
        "ridge",
        (SectionLink(_TH, "SGD with masks vs the closed form (Theory page)", "带掩码的 SGD 与闭式解（理论页）"),),
    ),
    LectureSection(
        "numpy",
        "13. A numpy function",
        "13. 函数实现",
        "函数实现",
        "numpy",
        (SectionLink(_TH, "Run it and see each defect (Theory page)", "运行它并查看每个缺陷（理论页）"),),
    ),
    LectureSection(
        "summary",
        "14. Summary: model averaging, less co-adaptation",
        "14. 总结：模型平均，减少共适应",
        "总结",
        "summary",
        (
            SectionLink(
                _INF,
                "Model averaging: k sampled nets vs weight scaling",
                "模型平均：k 个采样网络与权重缩放",
                {"method": "dropout", "keep_p": 0.5},
            ),
            SectionLink(
                _CO,
                "Co-adaptation: what the measures show",
                "共适应：各项度量显示了什么",
                {"dataset": "digits", "method": "dropout", "keep_p": 0.5, "hidden": (256, 256)},
            ),
        ),
    ),
)

SECTION_IDS = tuple(s.id for s in SECTIONS)


def section(section_id: str) -> LectureSection:
    for s in SECTIONS:
        if s.id == section_id:
            return s
    raise KeyError(f"no lecture section {section_id!r} (known: {', '.join(SECTION_IDS)})")


# --------------------------------------------------------------------------
# The paper's numbers (Srivastava et al. 2014, MNIST; from REFERENCE.md)
# --------------------------------------------------------------------------

#: Table 2: (model, unit type, architecture, error %).
PAPER_TABLE2: tuple[tuple[str, str, str, float], ...] = (
    ("Standard Neural Net (Simard et al., 2003)", "Logistic", "2 layers, 800 units", 1.60),
    ("SVM Gaussian kernel", "NA", "NA", 1.40),
    ("Dropout NN", "Logistic", "3 layers, 1024 units", 1.35),
    ("Dropout NN", "ReLU", "3 layers, 1024 units", 1.25),
    ("Dropout NN + max-norm constraint", "ReLU", "3 layers, 1024 units", 1.06),
    ("Dropout NN + max-norm constraint", "ReLU", "3 layers, 2048 units", 1.04),
    ("Dropout NN + max-norm constraint", "ReLU", "2 layers, 4096 units", 1.01),
    ("Dropout NN + max-norm constraint", "ReLU", "2 layers, 8192 units", 0.95),
    ("Dropout NN + max-norm constraint (Goodfellow et al., 2013)", "Maxout", "2 layers, (5 × 240) units", 0.94),
    ("DBN + finetuning (Hinton and Salakhutdinov, 2006)", "Logistic", "500-500-2000", 1.18),
    ("DBM + finetuning (Salakhutdinov and Hinton, 2009)", "Logistic", "500-500-2000", 0.96),
    ("DBN + dropout finetuning", "Logistic", "500-500-2000", 0.92),
    ("DBM + dropout finetuning", "Logistic", "500-500-2000", 0.79),
)

#: Figure 4, as summarized in REFERENCE.md (read off the plot): test error %
#: at (weight updates) for nets with and without dropout. The six
#: architectures are summarized by ranges (low, high).
PAPER_FIG4 = {
    "updates": (50_000, 200_000, 1_000_000),
    "without": ((1.6, 1.9), (1.6, 1.9), (1.6, 1.9)),  # plateaued by ≈50k
    "with": ((1.45, 1.45), (1.25, 1.25), (1.0, 1.15)),
}

#: Figure 9: keep p -> ((a) test, (a) train, (b) test, (b) train), error %.
PAPER_FIG9: tuple[tuple[float, float, float, float, float], ...] = (
    (0.1, 3.2, 2.7, 2.4, 1.7),
    (0.2, 1.8, 0.65, 1.8, 0.87),
    (0.3, 1.2, 0.0, 1.5, 0.48),
    (0.4, 1.12, 0.0, 1.27, 0.11),
    (0.5, 1.05, 0.0, 1.2, 0.07),
    (0.6, 1.09, 0.0, 1.1, 0.0),
    (0.7, 1.10, 0.0, 1.2, 0.0),
    (0.8, 1.08, 0.0, 1.43, 0.0),
    (0.9, 1.26, 0.0, 1.46, 0.0),
    (1.0, 1.65, 0.0, 1.7, 0.0),
)

#: Figure 10: training-set size -> (with dropout, without dropout), error %.
PAPER_FIG10: tuple[tuple[int, float, float], ...] = (
    (100, 26.6, 22.8),
    (500, 13.2, 13.1),
    (1_000, 10.6, 10.7),
    (5_000, 2.9, 4.7),
    (10_000, 2.4, 3.3),
    (50_000, 1.3, 1.7),
)


def fig9_columns():
    """PAPER_FIG9 as arrays: p, a_test, a_train, b_test, b_train."""
    return tuple(np.array(col, dtype=float) for col in zip(*PAPER_FIG9))


def fig10_columns():
    """PAPER_FIG10 as arrays: size, with dropout, without dropout."""
    return tuple(np.array(col, dtype=float) for col in zip(*PAPER_FIG10))


# --------------------------------------------------------------------------
# The model-equation example: one layer, one dropout mask
# --------------------------------------------------------------------------

EXAMPLE_IN = 5  # units in layer l
EXAMPLE_OUT = 3  # units in layer l+1
EXAMPLE_SEED = 15  # chosen so that the ReLU outputs are not all zero
ACTIVATIONS = ("relu", "logistic")


def _activation(z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "logistic":
        return 1.0 / (1.0 + np.exp(-z))
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


@dataclass(frozen=True)
class LayerExample:
    """One pass of the lecture's equations through a small layer.

    Training:  r ~ Bernoulli(p),  ỹ = r * y,  z = W ỹ + b,  out = f(z).
    Inference (weight scaling): z_test = (p W) y + b,  out_test = f(z_test).
    """

    keep_p: float
    activation: str
    y: np.ndarray  # (n_in,)  layer l's outputs
    W: np.ndarray  # (n_out, n_in)
    b: np.ndarray  # (n_out,)
    r: np.ndarray  # (n_in,) 0/1 mask
    y_tilde: np.ndarray  # r * y
    z: np.ndarray  # W ỹ + b
    out: np.ndarray  # f(z)
    z_test: np.ndarray  # p W y + b
    out_test: np.ndarray  # f(z_test)
    z_mean: np.ndarray  # E_r[z] = p W y + b (equals z_test: z is linear in r)


def example_layer(seed: int = EXAMPLE_SEED):
    """The fixed y, W, b of the example (rounded to one decimal to stay readable)."""
    gen = np.random.default_rng(seed)
    y = np.round(gen.uniform(0.2, 2.0, EXAMPLE_IN), 1)
    W = np.round(gen.normal(0.0, 0.7, (EXAMPLE_OUT, EXAMPLE_IN)), 1)
    b = np.round(gen.normal(0.0, 0.3, EXAMPLE_OUT), 1)
    return y + 0.0, W + 0.0, b + 0.0  # + 0.0 turns -0.0 into 0.0 for display


def draw_uniforms(rng, n: int = EXAMPLE_IN) -> np.ndarray:
    """Uniform draws u; the mask is r = (u < p), so moving p keeps the draw."""
    return as_generator(rng).random(int(n))


def layer_example(keep_p, uniforms, activation: str = "relu", seed: int = EXAMPLE_SEED) -> LayerExample:
    """Run the lecture's model equations on the fixed example layer.

    ``uniforms`` (from :func:`draw_uniforms`) fix the random draw: r_j = 1 if
    u_j < p. Re-sampling means new uniforms; changing p with the same
    uniforms keeps or drops units monotonically, as a teacher would expect.
    """
    p = check_keep_p(keep_p)
    y, W, b = example_layer(seed)
    u = np.asarray(uniforms, dtype=float).ravel()
    if u.shape != y.shape:
        raise ValueError(f"uniforms must have {y.size} values, got {u.size}")
    r = (u < p).astype(float)
    y_tilde = r * y
    z = W @ y_tilde + b
    z_test = (p * W) @ y + b
    return LayerExample(
        keep_p=p,
        activation=activation,
        y=y,
        W=W,
        b=b,
        r=r,
        y_tilde=y_tilde,
        z=z,
        out=_activation(z, activation),
        z_test=z_test,
        out_test=_activation(z_test, activation),
        z_mean=z_test.copy(),
    )


def thinned_network_masks(layer_sizes, keep_p, keep_p_input, rng) -> list[np.ndarray]:
    """One dropout draw for a small network: a bool mask per layer.

    The input layer uses ``keep_p_input``, hidden layers ``keep_p``, the
    output layer is never dropped (as in the paper's Figure 1).
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least an input and an output layer of >= 1 unit, got {sizes}")
    p_h = check_keep_p(keep_p)
    p_in = check_keep_p(keep_p_input, "keep_p_input")
    gen = as_generator(rng)
    masks = [gen.random(sizes[0]) < p_in]
    masks += [gen.random(n) < p_h for n in sizes[1:-1]]
    masks.append(np.ones(sizes[-1], dtype=bool))
    return masks


def exact_layer_expectation(keep_p, activation: str = "relu", seed: int = EXAMPLE_SEED) -> dict:
    """E_r[z] and E_r[f(z)] of the example layer by enumerating all 2^n masks.

    E_r[z] equals the weight-scaled z_test exactly (z is linear in r); after
    the non-linearity E_r[f(z)] generally differs from f(z_test): weight
    scaling is exact before f and an approximation after it.
    """
    p = check_keep_p(keep_p)
    y, W, b = example_layer(seed)
    n = y.size
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
    probs = np.prod(np.where(masks == 1, p, 1.0 - p), axis=1)
    z = (masks * y) @ W.T + b  # (2^n, n_out)
    out = _activation(z, activation)
    z_test = (p * W) @ y + b
    return {
        "E_z": probs @ z,
        "E_out": probs @ out,
        "z_test": z_test,
        "out_test": _activation(z_test, activation),
        "n_masks": 2**n,
    }


def implementation_means(x, keep_p, n_draws: int, rng) -> dict:
    """Average training output of both implementations over ``n_draws`` masks.

    inverted: train r*x/p (mean → x), test x. weight-scaling (original):
    train r*x (mean → p x), test p x. Either way test = E[train output].
    """
    from dropviz.reference import dropout, dropout_inference

    p = check_keep_p(keep_p)
    n_draws = int(n_draws)
    if not 1 <= n_draws <= 100_000:
        raise ValueError(f"n_draws must be in [1, 100000], got {n_draws}")
    x = np.asarray(x, dtype=float).ravel()
    gen = as_generator(rng)
    batch = np.broadcast_to(x, (n_draws, x.size))
    inv = dropout(batch, p, gen, scaling="inverted").mean(axis=0)
    ws = dropout(batch, p, gen, scaling="weight-scaling").mean(axis=0)
    return {
        "x": x,
        "inverted_train_mean": inv,
        "inverted_test": dropout_inference(x, p, "inverted"),
        "weight_scaling_train_mean": ws,
        "weight_scaling_test": dropout_inference(x, p, "weight-scaling"),
    }


@dataclass(frozen=True)
class LectureRun:
    """What the lecture's numpy function did to one input."""

    x_before: np.ndarray
    x_after: np.ndarray  # the caller's array after the call
    result: np.ndarray | None
    error: str | None  # "TypeName: message" if it raised
    warnings: tuple[str, ...]
    returned_is_input: bool


def run_lecture_function(x, discard_prob: float, seed) -> LectureRun:
    """Call the lecture's ``dropout`` exactly as printed on a copy of ``x``.

    The copy stands for the caller's array (so the in-place change is
    visible in ``x_after``). numpy's global random state is saved and
    restored around the call: demonstrating the global-seed defect must not
    inflict it on the app.
    """
    import warnings as _warnings

    from dropviz.reference import lecture_dropout

    arr = np.array(x, copy=True)
    before = arr.copy()
    state = np.random.get_state()
    result, error = None, None
    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            try:
                result = lecture_dropout(arr, discard_prob=discard_prob, seed=seed)
            except Exception as exc:  # the point is to show what it raises
                error = f"{type(exc).__name__}: {exc}"
    finally:
        np.random.set_state(state)
    return LectureRun(
        x_before=before,
        x_after=arr.copy(),
        result=None if result is None else np.array(result, copy=True),
        error=error,
        warnings=tuple(f"{w.category.__name__}: {w.message}" for w in caught),
        returned_is_input=result is arr,
    )
