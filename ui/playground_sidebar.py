"""The Playground sidebar: one widget per RunConfig setting, drawn from :data:`dropviz.config.SETTINGS`.

Like tensorflow/playground's ``state.ts`` the settings are data: each widget's kind, choices,
bounds, step, default, label key and help come from the RunConfig field it shows; this module
only turns that table into widgets. The session's settings live in one dict
(``st.session_state[SETTINGS_STATE]``, typed values) that a shared link seeds once; the widgets
hand their typed values to :func:`dropviz.config.from_values`, and the address bar is rewritten
on every run to the settings in use (so a link always reopens what the page shows).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

import streamlit as st

from dropviz.config import (
    FIELD_NAMES,
    LINK_FIELDS,
    SETTINGS,
    WIDGET_FIELDS,
    RunConfig,
    fit_to_widget,
    from_query_params,
    from_values,
    to_query_params,
    to_text,
)
from dropviz.data import TOY_DATASETS, DatasetError, list_datasets, load_csv
from dropviz.lessons import LESSONS
from ui.i18n import current_language, translator
from ui.text.lessons import LESSON_TEXT
from ui.text.settings import TEXT as SETTINGS_TEXT

DEFAULT = RunConfig()
SPEEDS = (1, 2, 5, 10, 20, 50, 100, "max")
REFRESH_SECONDS = 0.3
CSV_OPTION = "csv"
SETTINGS_STATE = "pg_settings"  # field -> typed value, for every field a link may set
# Text-table prefixes of each choice's label (ui/text/playground.py: "m_dropout", ...).
CHOICE_LABELS = {
    "dataset": "ds_",
    "activation": "act_",
    "method": "m_",
    "scaling": "s_",
    "dropconnect_mask": "dc_",
    "optimizer": "o_",
}


@dataclass
class Sidebar:
    config: RunConfig
    notices: list[str]  # widget values that failed validation (defaults used)
    dataset: Any = None  # an uploaded CSV's Dataset, else None (the runner loads registry data itself)
    dataset_key: str | None = None
    data_problem: str | None = None  # why training cannot start (no CSV yet, bad CSV)
    bound_fields: tuple[str, ...] = field(default_factory=tuple)  # the settings taken from widgets and the link


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


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def _with_own_text(t: Callable[..., str]) -> Callable[..., str]:
    """The page's translator, plus this module's own table (ui/text/settings.py)."""
    own = translator(SETTINGS_TEXT, inside_page=False)
    return lambda key, **fmt: own(key, **fmt) if key in SETTINGS_TEXT else t(key, **fmt)


def read_link(params: dict[str, Any], t: Callable[..., str]) -> tuple[dict[str, Any], list[str]]:
    """A link's settings as the widgets will show them, and a notice for every value changed on the way.

    Returns typed values for every field a link may set (defaults for the ones it leaves out).
    """
    t = _with_own_text(t)
    config, notices = from_query_params(params, fields=LINK_FIELDS)
    values = {name: getattr(config, name) for name in LINK_FIELDS}
    options = dataset_options()
    value = params.get("dataset")
    if value is not None and value not in options:
        values["dataset"] = DEFAULT.dataset
        notices.append(t("dataset_unavailable", default=DEFAULT.dataset, value=value, choices=", ".join(options)))
    if values["device"] == "cuda" and not _cuda_available():
        values["device"] = "auto"
        notices.append(t("link_no_cuda"))
    if "noise" in params and values["dataset"] not in TOY_DATASETS and values["noise"] != DEFAULT.noise:
        notices.append(t("link_unused_noise", value=values["noise"], dataset=values["dataset"]))
    if (
        "dropconnect_mask" in params
        and values["method"] != "dropconnect"
        and values["dropconnect_mask"] != DEFAULT.dropconnect_mask
    ):
        notices.append(t("link_unused_mask", value=values["dropconnect_mask"], method=values["method"]))
    for name in WIDGET_FIELDS:
        given, used = values[name], fit_to_widget(name, values[name])
        if used == given:
            continue
        values[name] = used
        spec = SETTINGS[name]
        shown = str(params.get(name, given)).strip()  # as the link wrote it; it parsed as a number
        if spec.widget_low is not None and given < spec.widget_low:
            notices.append(t("link_fitted_low", field=name, value=shown, used=used))
        elif spec.widget_high is not None and given > spec.widget_high:
            notices.append(t("link_fitted_high", field=name, value=shown, used=used))
        else:
            notices.append(t("link_fitted_step", field=name, value=shown, used=used, step=spec.step))
    speed = params.get("speed")
    if speed is not None and speed not in {str(s) for s in SPEEDS}:
        notices.append(t("speed_bad", value=speed, choices=", ".join(str(s) for s in SPEEDS)))
    return values, list(dict.fromkeys(notices))


def _linked(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if name in FIELD_NAMES}


def _session_settings(t: Callable[..., str]) -> dict[str, Any]:
    """The session's settings: a link decides them on the session's first run, and again when the
    session comes here through a link (the Lecture's) whose settings differ from the address bar
    this page wrote; a plain page switch (no settings in the address) keeps them."""
    state = st.session_state
    params = st.query_params.to_dict()
    linked = _linked(params)
    if SETTINGS_STATE in state and (not linked or linked in (state.get("pg_url_written"), state.get("pg_link_read"))):
        return state[SETTINGS_STATE]
    in_session = SETTINGS_STATE in state
    _read_into_state(params, t)
    if in_session:  # a link inside the session: its values replace the widgets' (none drawn yet this run)
        for name in WIDGET_FIELDS:
            state[name] = _widget_form(name, state[SETTINGS_STATE][name])
        state["pg_url_notices"] = list(state["pg_link_notices"])  # the page shows these; it reads the first link's only
    return state[SETTINGS_STATE]


def _read_into_state(params: dict[str, Any], t: Callable[..., str]) -> None:
    state = st.session_state
    state[SETTINGS_STATE], state["pg_link_notices"] = read_link(params, t)
    state["pg_link_read"] = _linked(params)


def url_notices(params: dict[str, str], t: Callable[..., str]) -> list[str]:
    """What a link's settings needed changing (each notice says what is used instead)."""
    if SETTINGS_STATE not in st.session_state:
        _read_into_state(params, t)
    return list(st.session_state["pg_link_notices"])


def _widget_form(name: str, value: Any) -> Any:
    """What the widget holds for a setting's value (the layers box holds text)."""
    return to_text(name, value) if name == "hidden" and not isinstance(value, str) else value


def apply_preset(query: str, page: str = "") -> None:
    """on_click callback: every setting to the preset's value (fields it leaves out to defaults)."""
    from ui.playground_controls import apply_page_preset

    apply_page_preset(page)
    config, _ = from_query_params(dict(parse_qsl(query)))
    settings = st.session_state.setdefault(SETTINGS_STATE, {})
    for name in LINK_FIELDS:
        settings[name] = fit_to_widget(name, getattr(config, name))
        if name in WIDGET_FIELDS:
            st.session_state[name] = _widget_form(name, settings[name])


def _fmt(t, prefix: str) -> Callable[[str], str]:
    return lambda value: t(f"{prefix}{value}")


def _widget(name: str, t: Callable[..., str], options=None, **extra) -> Any:
    """The widget of one setting, as its declaration says; its value is in st.session_state[name]."""
    spec = SETTINGS[name]
    kwargs = {"key": name, "help": t(f"{name}_help") if spec.help else None, **extra}
    label = t(spec.label_key)
    # The widget's declared default is its current value: a browser that mounts a widget it missed the
    # value of (Train pressed while the sidebar still loads) falls back to the default and sends it with
    # every later rerun; with the bare default (a slider's minimum, '') that reset the run's settings.
    current = st.session_state[name]
    if spec.widget in ("select", "radio"):
        draw = st.selectbox if spec.widget == "select" else st.radio
        choices = list(options or spec.choices)
        index = choices.index(current) if current in choices else 0
        return draw(label, choices, index=index, format_func=_fmt(t, CHOICE_LABELS[name]), **kwargs)
    if spec.widget == "slider":
        return st.slider(label, spec.widget_low, spec.widget_high, value=current, step=spec.step, **kwargs)
    if spec.widget == "number":
        if spec.format:
            kwargs["format"] = spec.format
        return st.number_input(label, spec.widget_low, spec.widget_high, value=current, step=spec.step, **kwargs)
    if spec.widget == "text":
        return st.text_input(label, value=current, **kwargs)
    if spec.widget == "toggle":
        return st.toggle(label, value=current, **kwargs)
    raise ValueError(f"{name}: unknown widget kind {spec.widget!r}")


def _sync_url(config: RunConfig, dataset_option: str) -> None:
    """The address bar holds the settings in use: those that differ from the defaults, nothing else."""
    wanted = {name: text for name, text in to_query_params(config).items() if name in LINK_FIELDS}
    if dataset_option == CSV_OPTION:
        wanted["dataset"] = CSV_OPTION  # the upload box, not the file: a file is not part of a link
    st.session_state["pg_url_written"], st.session_state["pg_link_read"] = wanted, None
    params = st.query_params
    for name in FIELD_NAMES:
        if name in wanted:
            if params.get(name) != wanted[name]:
                params[name] = wanted[name]
        elif name in params:
            del params[name]


def render(t: Callable[..., str]) -> Sidebar:
    """Draw the settings; return the validated config they describe.

    A widget value the config rejects (a bad hidden-layers text) is put back to its default on
    an immediate rerun, with its notice kept for display.
    """
    state = st.session_state
    settings = _session_settings(t)
    for name, value in state.pop("pg_fix", {}).items():
        state[name] = value  # before the widgets exist: allowed
    fixed_notices = state.pop("pg_fixed_notices", [])
    for name in WIDGET_FIELDS:
        if name not in state:  # a widget seen for the first time, or hidden on the last run
            state[name] = _widget_form(name, settings[name])
    if state["dataset"] not in dataset_options():
        state["dataset"] = DEFAULT.dataset  # a data set that has gone from the server since
    upload = None
    section = None
    with st.sidebar:
        with st.expander(t("sec_presets"), expanded=False):
            for preset in LESSONS:
                index = 1 if current_language() == "zh" else 0
                title, lesson = (pair[index] for pair in LESSON_TEXT[preset.key])
                st.button(
                    title,
                    key=f"preset_{preset.key}",
                    help=lesson,
                    on_click=apply_preset,
                    args=(preset.query, preset.page),
                    width="stretch",
                )
                st.caption(f"[{t('preset_link')}]({preset.url()}) · {lesson}")
        for name in WIDGET_FIELDS:
            spec = SETTINGS[name]
            if name == "noise" and state["dataset"] not in TOY_DATASETS:
                continue
            if name == "dropconnect_mask" and state["method"] != "dropconnect":
                continue
            if spec.section != section:
                section = spec.section
                st.subheader(t(f"sec_{section}"))
            if name == "dataset":
                dataset = _widget(name, t, dataset_options())
                if dataset == CSV_OPTION:
                    upload = st.file_uploader(t("csv_file"), type=["csv"], key="csv_file", help=t("csv_help"))
            elif name == "train_size":
                _widget(name, t, placeholder=t("train_size_default"))
            elif name == "dropconnect_mask":
                _widget(name, t, horizontal=True)
            elif name == "keep_p":
                keep_p = _widget(name, t)
                st.markdown(t("torch_equiv", p=f"{round(1 - keep_p, 4):g}"))
            else:
                _widget(name, t)

    for name in WIDGET_FIELDS:
        if name in state:
            settings[name] = state[name]
    dataset, method = settings["dataset"], settings["method"]
    values = dict(settings)
    if dataset not in TOY_DATASETS:
        values.pop("noise")
    if method != "dropconnect":
        values.pop("dropconnect_mask")
    bound = tuple(values)
    sidebar_dataset, dataset_key, problem = None, None, None
    if dataset == CSV_OPTION:
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
                sidebar_dataset = _load_uploaded_csv(
                    digest, content, name, values.get("train_size"), int(values.get("seed", 0))
                )
            except DatasetError as error:
                problem = t("csv_error", error=error)
    config, problems = from_values(values)
    bad = [name for name in problems if name in WIDGET_FIELDS and name != "dataset"]
    if bad:
        state["pg_fix"] = {name: _widget_form(name, getattr(DEFAULT, name)) for name in bad}
        for name in bad:
            settings[name] = getattr(DEFAULT, name)
        state["pg_fixed_notices"] = [t("widget_notice", problem=problems[name]) for name in bad]
        st.rerun()
    _sync_url(config, dataset)
    return Sidebar(
        config=config,
        notices=fixed_notices,
        dataset=sidebar_dataset,
        dataset_key=dataset_key,
        data_problem=problem,
        bound_fields=bound,
    )


def speed_widget(t) -> int | str:
    return st.select_slider(
        t("speed"),
        SPEEDS,
        value="max",
        key="speed",
        help=t("speed_help", seconds=REFRESH_SECONDS),
        format_func=lambda s: t("speed_max") if s == "max" else str(s),
        bind="query-params",
    )
