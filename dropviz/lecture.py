"""The source lecture (seed/, Chinese) as data: its sections in order, and the
small computations its live examples show.

Nothing here imports streamlit. ``pages/lecture.py`` walks :data:`SECTIONS`
and draws each one; the tests check the order, that every link's settings are
a valid :class:`~dropviz.config.RunConfig`, and the example's arithmetic.
The sections' titles and link labels are text (ui/text/lecture.py, keyed by
section id); the paper's numbers the page quotes are in :mod:`dropviz.paper`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from dropviz.config import RunConfig, from_mapping, to_query_params, to_text
from dropviz.validation import as_generator, check_keep_p

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

    page: str  # key of PAGES; the label is the text "<section id>.link.<page>" (ui/text/lecture.py)
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
    maps names to drawing functions; "" for none). Its title, the lecture's
    own heading and its links' labels are text keyed by ``id`` in
    ui/text/lecture.py.
    """

    id: str
    element: str
    links: tuple[SectionLink, ...] = ()


_PLAY = "playground"
_CO = "coadaptation"
_INF = "inference"
_TH = "theory"
_EXP = "experiments"

#: The lecture's sections in the lecture's order.
SECTIONS: tuple[LectureSection, ...] = (
    LectureSection(
        "coadaptation",
        "coadaptation",
        (SectionLink(_CO, {"dataset": "digits", "method": "dropout", "keep_p": 0.5, "hidden": (256, 256)}),),
    ),
    LectureSection("what-is-dropout", "thinned-network", (SectionLink(_PLAY, {"method": "dropout", "keep_p": 0.5}),)),
    LectureSection("model", "equations", (SectionLink(_PLAY, {"method": "dropout", "keep_p": 0.5}),)),
    LectureSection(
        "train-vs-inference", "train-vs-inference", (SectionLink(_INF, {"method": "dropout", "keep_p": 0.5}),)
    ),
    LectureSection("mnist", "table2", (SectionLink(_EXP, extra={"experiment": "table2"}),)),
    LectureSection("robustness", "fig4", (SectionLink(_EXP, extra={"experiment": "fig4"}),)),
    LectureSection(
        "effect-of-p",
        "fig9",
        (SectionLink(_EXP, extra={"experiment": "fig9a"}), SectionLink(_PLAY, {"method": "dropout", "keep_p": 0.1})),
    ),
    LectureSection(
        "data-size",
        "fig10",
        (
            SectionLink(_EXP, extra={"experiment": "fig10"}),
            SectionLink(_PLAY, {"method": "dropout", "keep_p": 0.5, "train_size": 30, "hidden": (256, 256)}),
        ),
    ),
    LectureSection("mathematics", "regularizer", (SectionLink(_TH),)),
    LectureSection(
        "dropconnect",
        "masks",
        (
            SectionLink(_PLAY, {"method": "dropconnect", "keep_p": 0.5}),
            SectionLink(_INF, {"method": "dropconnect", "keep_p": 0.5}),
        ),
    ),
    LectureSection(
        "implementation",
        "implementation",
        (
            SectionLink(_INF, {"method": "dropout", "scaling": "weight-scaling"}),
            SectionLink(_PLAY, {"method": "dropout", "scaling": "weight-scaling"}),
        ),
    ),
    LectureSection("ridge", "ridge", (SectionLink(_TH),)),
    LectureSection("numpy", "numpy", (SectionLink(_TH),)),
    LectureSection(
        "summary",
        "summary",
        (
            SectionLink(_INF, {"method": "dropout", "keep_p": 0.5}),
            SectionLink(_CO, {"dataset": "digits", "method": "dropout", "keep_p": 0.5, "hidden": (256, 256)}),
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
    from dropviz.numpy_dropout import dropout, dropout_inference

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

    from dropviz.numpy_dropout import lecture_dropout

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
