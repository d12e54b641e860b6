"""The Playground sidebar: one widget per RunConfig field, each bound to the URL under the field's name.

Like tensorflow/playground's ``state.ts`` the list of settings is data
(:data:`SETTINGS`); this module only turns it into widgets. Validation is
:func:`dropviz.config.from_query_params`'s job: the page displays its notices.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

import streamlit as st

from dropviz.config import FIELD_NAMES, RunConfig, from_query_params, to_text
from dropviz.data import TOY_DATASETS, DatasetError, list_datasets, load_csv
from dropviz.presets import PRESETS
from ui.i18n import current_language

DEFAULT = RunConfig()
SPEEDS = (1, 2, 5, 10, 20, 50, 100, "max")
REFRESH_SECONDS = 0.3
CSV_OPTION = "csv"
PAGE_KEYS = ("speed",)  # bound widgets that are not RunConfig fields
# RunConfig fields with a widget (data_dir, eval_every, device... are CLI-only).
WIDGET_FIELDS = ("dataset", "noise", "train_size", "hidden", "activation", "method", "keep_p", "keep_p_input", "scaling",
                 "dropconnect_mask", "max_norm", "twin", "optimizer", "lr", "momentum", "batch_size", "epochs", "seed")


@dataclass
class Sidebar:
    config: RunConfig
    notices: list[str]  # widget values that failed validation (defaults used)
    dataset: Any = None  # an uploaded CSV's Dataset, else None (the runner loads registry data itself)
    dataset_key: str | None = None
    data_problem: str | None = None  # why training cannot start (no CSV yet, bad CSV)
    bound_fields: tuple[str, ...] = field(default_factory=tuple)


@st.cache_data(ttl=300, show_spinner=False)
def dataset_options() -> list[str]:
    available = [info.name for info in list_datasets() if info.available]
    return available + [CSV_OPTION]


def max_steps_per_second(speed) -> float | None:
    """Steps per refresh -> the runner's rate limit (None: as fast as possible)."""
    return None if speed == "max" else float(speed) / REFRESH_SECONDS


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_uploaded_csv(digest: str, content: bytes, name: str, train_size: int | None, seed: int):
    del digest  # the cache key; hashing the bytes themselves on every rerun is slower
    return load_csv(content, train_size=train_size, seed=seed, name=name)


def url_notices(params: dict[str, str], t: Callable[..., str]) -> list[str]:
    """What is wrong with a URL's settings (each falls back to its default)."""
    _, notices = from_query_params(params)
    options = dataset_options()
    value = params.get("dataset")
    if value is not None and value not in options:
        notices.append(t("dataset_unavailable", default=DEFAULT.dataset, value=value, choices=", ".join(options)))
    speed = params.get("speed")
    if speed is not None and speed not in {str(s) for s in SPEEDS}:
        notices.append(t("speed_bad", value=speed, choices=", ".join(str(s) for s in SPEEDS)))
    return list(dict.fromkeys(notices))


def apply_preset(query: str) -> None:
    """on_click callback: every bound setting to the preset's value (fields it leaves out to defaults)."""
    config, _ = from_query_params(dict(parse_qsl(query)))
    for name in WIDGET_FIELDS:
        if name != "noise" or config.dataset in TOY_DATASETS:
            value = getattr(config, name)
            st.session_state[name] = to_text(name, value) if name == "hidden" else value


METHODS = ("dropout", "none", "gaussian", "dropconnect")
ACTIVATIONS = ("relu", "logistic", "tanh")
SCALINGS = ("inverted", "weight-scaling")
DC_MASKS = ("per-example", "per-batch")
OPTIMIZERS = ("sgd", "adam")
CHOICE_FIELDS = ("dataset", "activation", "method", "scaling", "dropconnect_mask", "optimizer")


def _choice(name: str, options) -> dict:
    """Widget arguments of a choice setting, seeded from the URL on the session's first run.

    Streamlit's bind="query-params" would write the *translated* label (format_func) into the
    URL, so a link made in 中文 would not open in English; these widgets are synced by hand
    with the raw value instead (see :func:`sync_choices_to_url`).
    """
    seeded = st.session_state.setdefault("pg_seeded", set())
    if name not in seeded:
        seeded.add(name)
        value = st.query_params.get(name)
        if value in options and name not in st.session_state:
            st.session_state[name] = value
    kwargs = {"key": name}
    if name not in st.session_state:
        kwargs["index"] = list(options).index(getattr(DEFAULT, name))
    return kwargs


def sync_choices_to_url() -> None:
    """Write each choice setting's raw value to the URL (removed when it is the default)."""
    for name in CHOICE_FIELDS:
        value = st.session_state.get(name)
        default = getattr(DEFAULT, name)
        if value is None or value == default or (name == "dataset" and value == CSV_OPTION):
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def _fmt(t, prefix: str) -> Callable[[str], str]:
    return lambda value: t(f"{prefix}{value}")


def render(t: Callable[..., str]) -> Sidebar:
    """Draw the settings; return the validated config they describe.

    A widget value the config rejects (a bad hidden-layers text, from the user or from a
    link) is put back to its default on an immediate rerun, with its notice kept for display.
    """
    bind = {"bind": "query-params"}
    for name, value in st.session_state.pop("pg_fix", {}).items():
        st.session_state[name] = value  # before the widgets exist: allowed, and it updates the URL
    fixed_notices = st.session_state.pop("pg_fixed_notices", [])
    with st.sidebar:
        with st.expander(t("sec_presets"), expanded=False):
            for preset in PRESETS:
                index = 1 if current_language() == "zh" else 0
                title, lesson = preset.title[index], preset.lesson[index]
                st.button(title, key=f"preset_{preset.key}", help=lesson, on_click=apply_preset, args=(preset.query,),
                          width="stretch")
                st.caption(f"[{t('preset_link')}]({preset.url()}) · {lesson}")

        st.subheader(t("sec_data"))
        options = dataset_options()
        dataset = st.selectbox(t("dataset"), options, **_choice("dataset", options),
                               format_func=_fmt(t, "ds_"), help=t("dataset_help"))
        upload = None
        if dataset == CSV_OPTION:
            upload = st.file_uploader(t("csv_file"), type=["csv"], key="csv_file", help=t("csv_help"))
        if dataset in TOY_DATASETS:
            st.slider(t("noise"), 0.0, 1.0, DEFAULT.noise, 0.05, key="noise", **bind)
        st.number_input(t("train_size"), 10, 100_000, DEFAULT.train_size, 10, key="train_size",
                        placeholder=t("train_size_default"), help=t("train_size_help"), **bind)

        st.subheader(t("sec_arch"))
        st.text_input(t("hidden"), to_text("hidden", DEFAULT.hidden), key="hidden", help=t("hidden_help"), **bind)
        st.selectbox(t("activation"), ACTIVATIONS, **_choice("activation", ACTIVATIONS), format_func=_fmt(t, "act_"))

        st.subheader(t("sec_method"))
        method = st.selectbox(t("method"), METHODS, **_choice("method", METHODS), format_func=_fmt(t, "m_"))
        keep_p = st.slider(t("keep_p"), 0.05, 1.0, DEFAULT.keep_p, 0.05, key="keep_p", help=t("keep_p_help"), **bind)
        st.markdown(t("torch_equiv", p=f"{round(1 - keep_p, 4):g}"))
        st.slider(t("keep_p_input"), 0.05, 1.0, DEFAULT.keep_p_input, 0.05, key="keep_p_input",
                  help=t("keep_p_input_help"), **bind)
        st.radio(t("scaling"), SCALINGS, **_choice("scaling", SCALINGS), format_func=_fmt(t, "s_"))
        if method == "dropconnect":
            st.radio(t("dropconnect_mask"), DC_MASKS, **_choice("dropconnect_mask", DC_MASKS),
                     format_func=_fmt(t, "dc_"), horizontal=True)
        st.number_input(t("max_norm"), 0.1, 100.0, None, 0.5, key="max_norm", help=t("max_norm_help"), **bind)
        st.toggle(t("twin"), DEFAULT.twin, key="twin", **bind)

        st.subheader(t("sec_opt"))
        st.selectbox(t("optimizer"), OPTIMIZERS, **_choice("optimizer", OPTIMIZERS), format_func=_fmt(t, "o_"))
        st.number_input(t("lr"), 0.0001, 10.0, DEFAULT.lr, 0.01, format="%.4f", key="lr", **bind)
        st.slider(t("momentum"), 0.0, 0.99, DEFAULT.momentum, 0.01, key="momentum", **bind)
        st.number_input(t("batch_size"), 1, 4096, DEFAULT.batch_size, key="batch_size", **bind)
        st.number_input(t("epochs"), 1, 100_000, DEFAULT.epochs, key="epochs", **bind)
        st.number_input(t("seed"), 0, 2**31 - 1, DEFAULT.seed, key="seed", **bind)

    sync_choices_to_url()
    values = {name: st.session_state[name] for name in WIDGET_FIELDS if name in st.session_state}
    if dataset not in TOY_DATASETS:
        values.pop("noise", None)
    if method != "dropconnect":
        values.pop("dropconnect_mask", None)
    bound = tuple(values)
    sidebar_dataset, dataset_key, problem = None, None, None
    if dataset == CSV_OPTION:
        values.pop("dataset")
        if upload is None:
            problem = t("csv_needed")
            values["dataset"] = "upload.csv"
        else:
            content = upload.getvalue()
            digest = hashlib.sha256(content).hexdigest()
            name = upload.name if upload.name.lower().endswith(".csv") else f"{upload.name}.csv"
            values["dataset"] = name
            dataset_key = digest
            try:
                sidebar_dataset = _load_uploaded_csv(digest, content, name, values.get("train_size"), int(values.get("seed", 0)))
            except DatasetError as error:
                problem = t("csv_error", error=error)
    # The hidden-layers box already holds text ("128,128"); every other widget holds a value.
    texts = {name: value if isinstance(value, str) else to_text(name, value) for name, value in values.items()}
    config, notices = from_query_params(texts)
    bad = [name for name, text in texts.items() if name in WIDGET_FIELDS and name != "dataset" and from_query_params({name: text})[1]]
    if bad:
        st.session_state["pg_fix"] = {name: to_text(name, getattr(DEFAULT, name)) if name == "hidden" else getattr(DEFAULT, name)
                                      for name in bad}
        st.session_state["pg_fixed_notices"] = [t("widget_notice", problem=n.split(". ", 1)[-1]) for n in notices]
        st.rerun()
    return Sidebar(config=config, notices=fixed_notices,
                   dataset=sidebar_dataset, dataset_key=dataset_key, data_problem=problem, bound_fields=bound)


def speed_widget(t) -> int | str:
    return st.select_slider(t("speed"), SPEEDS, value="max", key="speed", help=t("speed_help", seconds=REFRESH_SECONDS),
                            format_func=lambda s: t("speed_max") if s == "max" else str(s), bind="query-params")
