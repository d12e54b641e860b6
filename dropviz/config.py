"""One run configuration, declared once and validated in one place.

Like tensorflow/playground's ``state.ts`` the settings are data: each
:class:`RunConfig` field carries its type (``Literal`` choices), its allowed
range (``Field`` constraints), its default, its description and, in
``json_schema_extra["ui"]``, how the Playground shows it (widget kind, step,
label key, whether a link may set it, whether a change applies live or
resets the run). :data:`SETTINGS` reads that back as one table, which drives
the sidebar's widgets, the URL parser (:func:`from_query_params`), the CLI
flags (dropviz.cli) and the error messages (:func:`allowed`).

Convention: ``keep_p`` is the paper's probability of *keeping* a unit.
PyTorch's ``nn.Dropout(p)`` takes ``1 - keep_p``.

Over 400 lines on purpose: the table is the one place every setting is declared, so it is one file.
"""

from __future__ import annotations

import json
import math
import typing
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 8192
# Kept units are scaled by 1/keep_p (inverted dropout): at 1e-300 that is inf, and far above 1e-3 a
# network keeps almost nothing anyway.
MIN_KEEP_P = 0.001


def _ui(
    widget: str | None = None,
    *,
    section: str | None = None,
    step: float | None = None,
    low: float | None = None,
    high: float | None = None,
    fmt: str | None = None,
    help: bool = False,
    live: bool = False,
    link: bool = True,
) -> dict:
    """How a field is shown and shared; read back by :func:`setting`.

    ``low``/``high`` bound the widget where the config's bound is open (keep_p > 0) or too wide
    for a widget; ``help`` says the page has a ``<field>_help`` text; ``link=False`` keeps a
    field out of browser links (it names a path on the server).
    """
    return {
        "ui": {
            "widget": widget,
            "section": section,
            "step": step,
            "low": low,
            "high": high,
            "format": fmt,
            "help": help,
            "live": live,
            "link": link,
        }
    }


class ConfigError(ValueError):
    """A setting is out of range; the message names the field and what is allowed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class RunConfig(BaseModel):
    """Everything that determines a training run (and its no-dropout twin)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # data
    dataset: str = Field(
        "moons",
        description="moons, circles, spiral, xor, blobs, digits, mnist, fashion-mnist or a .csv path",
        json_schema_extra=_ui("select", section="data", help=True),
    )
    data_dir: str | None = Field(
        None, description="folder with MNIST/Fashion-MNIST IDX files", json_schema_extra=_ui(link=False)
    )
    train_size: int | None = Field(
        None,
        ge=10,
        le=100_000,
        description="training examples (None: the data set's default, 40 for the 2D toys, all for images)",
        json_schema_extra=_ui("number", section="data", step=10, help=True),
    )
    noise: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="noise of the 2D toy data sets",
        json_schema_extra=_ui("slider", section="data", step=0.01),
    )
    # architecture
    hidden: tuple[int, ...] = Field(
        (128, 128),
        description=f"units per hidden layer, 1 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_UNITS}",
        json_schema_extra=_ui("text", section="arch", help=True),
    )
    activation: Literal["relu", "logistic", "tanh"] = Field("relu", json_schema_extra=_ui("select", section="arch"))
    # regularization
    method: Literal["dropout", "none", "gaussian", "dropconnect"] = Field(
        "dropout", json_schema_extra=_ui("select", section="method")
    )
    keep_p: float = Field(
        0.5,
        ge=MIN_KEEP_P,
        le=1.0,
        description="keep probability of hidden units (paper's p)",
        json_schema_extra=_ui("slider", section="method", step=0.01, low=0.01, help=True, live=True),
    )
    keep_p_input: float = Field(
        1.0,
        ge=MIN_KEEP_P,
        le=1.0,
        description="keep probability of input units",
        json_schema_extra=_ui("slider", section="method", step=0.01, low=0.01, help=True, live=True),
    )
    scaling: Literal["inverted", "weight-scaling"] = Field("inverted", json_schema_extra=_ui("radio", section="method"))
    dropconnect_mask: Literal["per-example", "per-batch"] = Field(
        "per-example", json_schema_extra=_ui("radio", section="method")
    )
    max_norm: float | None = Field(
        None,
        gt=0.0,
        le=100.0,
        description="max-norm c (the paper's, on W/keep_p under inverted scaling) on each hidden unit's incoming weights (None: off)",
        json_schema_extra=_ui("number", section="method", step=0.5, low=0.1, help=True),
    )
    twin: bool = Field(
        True,
        description="also train a no-dropout twin from the same initial weights",
        json_schema_extra=_ui("toggle", section="method"),
    )
    dropconnect_inference: Literal["mean", "gaussian"] = "mean"
    dropconnect_samples: int = Field(
        64, ge=1, le=1024, description="samples per unit for Gaussian DropConnect inference"
    )
    # optimization
    optimizer: Literal["sgd", "adam"] = Field("sgd", json_schema_extra=_ui("select", section="opt"))
    lr: float = Field(
        0.1,
        gt=0.0,
        le=10.0,
        description="learning rate",
        json_schema_extra=_ui("number", section="opt", step=0.01, low=0.0001, fmt="%.4f"),
    )
    momentum: float = Field(
        0.9,
        ge=0.0,
        lt=1.0,
        description="SGD momentum",
        json_schema_extra=_ui("slider", section="opt", step=0.01, high=0.99),
    )
    batch_size: int = Field(32, ge=1, le=4096, json_schema_extra=_ui("number", section="opt", step=1))
    epochs: int = Field(1000, ge=1, le=100_000, json_schema_extra=_ui("number", section="opt", step=1))
    seed: int = Field(0, ge=0, le=2**31 - 1, json_schema_extra=_ui("number", section="opt", step=1))
    # run
    eval_every: int | None = Field(
        None, ge=1, le=1_000_000, description="evaluate every N steps (None: every epoch; a class's runs ~200 times)"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @field_validator("hidden", mode="before")
    @classmethod
    def _parse_hidden(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return tuple(int(part) for part in parts)
            except ValueError:
                raise ValueError(f"expected comma-separated integers like 128,128, got {value!r}") from None
        return value

    @field_validator("hidden")
    @classmethod
    def _check_hidden(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not 1 <= len(value) <= MAX_HIDDEN_LAYERS:
            raise ValueError(f"1 to {MAX_HIDDEN_LAYERS} hidden layers allowed, got {len(value)}")
        for units in value:
            if not 1 <= units <= MAX_UNITS:
                raise ValueError(f"each hidden layer needs 1 to {MAX_UNITS} units, got {units}")
        return value

    @field_validator("keep_p", "keep_p_input", "lr", "noise", "momentum", mode="before")
    @classmethod
    def _reject_nan(cls, value: Any) -> Any:
        # pydantic lets NaN through range checks silently (NaN > 0 is False but so is NaN <= 0).
        if isinstance(value, float) and math.isnan(value):
            raise ValueError("NaN is not allowed")
        return value

    # convenience -----------------------------------------------------------
    @property
    def torch_dropout_p(self) -> float:
        """What PyTorch's ``nn.Dropout(p=...)`` would be given for the hidden layers."""
        return round(1.0 - self.keep_p, 10)

    @property
    def uses_dropout(self) -> bool:
        return self.method != "none" and (self.keep_p < 1.0 or self.keep_p_input < 1.0)

    def baseline(self) -> "RunConfig":
        """The no-dropout twin: same everything, method none, max-norm kept off too."""
        return self.model_copy(update={"method": "none", "keep_p": 1.0, "keep_p_input": 1.0, "max_norm": None})

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def changed(self, **updates: Any) -> "RunConfig":
        return from_mapping({**self.model_dump(), **updates})


FIELD_NAMES = tuple(RunConfig.model_fields)


# --- the settings table, read back from the model ------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One RunConfig field as the front ends see it (all of it derived from the field's declaration)."""

    name: str
    kind: str  # "choice", "int", "float", "bool", "layers" or "text"
    default: Any
    optional: bool  # None is allowed (shown as an empty box, "none" in text)
    choices: tuple[str, ...] | None
    low: float | None  # the config's bounds
    low_open: bool
    high: float | None
    high_open: bool
    description: str
    widget: str | None  # "select", "radio", "slider", "number", "text", "toggle"; None: URL/CLI only
    section: str | None
    step: float | None
    widget_low: float | None  # the widget's own bounds (a widget cannot show an open bound)
    widget_high: float | None
    format: str | None
    help: bool
    live: bool  # True: a change may apply to a running run; False: it resets the run
    link: bool  # a browser link may set it

    @property
    def label_key(self) -> str:
        """Key of the widget's label in the page's text table (its help, if any, is ``<key>_help``)."""
        return self.name


def _setting(name: str) -> Setting:
    info = RunConfig.model_fields[name]
    annotation = info.annotation
    args = typing.get_args(annotation)
    optional = type(None) in args
    inner = [arg for arg in args if arg is not type(None)][0] if optional else annotation
    choices = None
    if typing.get_origin(inner) is Literal:
        kind, choices = "choice", tuple(typing.get_args(inner))
    elif inner is bool:
        kind = "bool"
    elif inner is int:
        kind = "int"
    elif inner is float:
        kind = "float"
    elif typing.get_origin(inner) is tuple:
        kind = "layers"
    else:
        kind = "text"
    low = high = None
    low_open = high_open = False
    for meta in info.metadata:  # pydantic's Field(ge=..., gt=..., le=..., lt=...) constraints
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        elif getattr(meta, "gt", None) is not None:
            low, low_open = meta.gt, True
        elif getattr(meta, "le", None) is not None:
            high = meta.le
        elif getattr(meta, "lt", None) is not None:
            high, high_open = meta.lt, True
    ui = dict((info.json_schema_extra or {}).get("ui") or _ui()["ui"])
    widget_low = ui["low"] if ui["low"] is not None else (None if low_open else low)
    widget_high = ui["high"] if ui["high"] is not None else (None if high_open else high)
    return Setting(
        name=name,
        kind=kind,
        default=info.default,
        optional=optional,
        choices=choices,
        low=low,
        low_open=low_open,
        high=high,
        high_open=high_open,
        description=info.description or "",
        widget=ui["widget"],
        section=ui["section"],
        step=ui["step"],
        widget_low=widget_low,
        widget_high=widget_high,
        format=ui["format"],
        help=ui["help"],
        live=ui["live"],
        link=ui["link"],
    )


SETTINGS: dict[str, Setting] = {name: _setting(name) for name in FIELD_NAMES}
WIDGET_FIELDS = tuple(name for name, spec in SETTINGS.items() if spec.widget)  # in declaration order
LINK_FIELDS = tuple(name for name, spec in SETTINGS.items() if spec.link)  # what a browser link may set
LIVE_FIELDS = tuple(name for name, spec in SETTINGS.items() if spec.live)  # may change without a reset


def allowed(field: str) -> str:
    """Human description of what a field accepts, derived from the model itself."""
    spec = SETTINGS[field]
    if spec.choices:
        return "one of " + ", ".join(spec.choices)
    bounds = []
    if spec.low is not None:
        bounds.append(f"{'>' if spec.low_open else '>='} {spec.low}")
    if spec.high is not None:
        bounds.append(f"{'<' if spec.high_open else '<='} {spec.high}")
    text = " and ".join(bounds) if bounds else spec.description
    if spec.description and bounds:
        text = f"{spec.description}: {text}"
    return text


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "config"
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        where = f" (allowed: {allowed(field)})" if field in RunConfig.model_fields else ""
        problems.append(f"{field}: {message}, got {value!r}{where}")
    return problems


def from_mapping(values: Mapping[str, Any]) -> RunConfig:
    """Build and validate a config from typed values; raise ConfigError naming each bad field."""
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError([f"unknown setting {name!r} (known: {', '.join(FIELD_NAMES)})" for name in unknown])
    try:
        return RunConfig(**values)
    except ValidationError as error:
        raise ConfigError(_problems(error)) from None


def from_values(values: Mapping[str, Any], base: RunConfig | None = None) -> tuple[RunConfig, dict[str, str]]:
    """Lenient build from typed values (the sidebar's widgets): each bad value keeps ``base``'s.

    Returns the config and, per rejected field, why. Unknown names are the caller's bug: ConfigError.
    """
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError([f"unknown setting {name!r} (known: {', '.join(FIELD_NAMES)})" for name in unknown])
    accepted = (base or RunConfig()).model_dump()
    problems: dict[str, str] = {}
    for field, value in values.items():
        candidate = {**accepted, field: value}
        try:
            RunConfig(**candidate)
        except ValidationError as error:
            problems[field] = _problems(error)[0]
            continue
        accepted = candidate
    return RunConfig(**accepted), problems


def from_json(text: str) -> RunConfig:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError([f"settings JSON is not valid JSON: {error.msg} at line {error.lineno}"]) from None
    except RecursionError:  # "[[[[...": Python's parser gives up; settings are one flat object
        raise ConfigError(["settings JSON is nested too deeply; expected one object of setting: value"]) from None
    if not isinstance(values, dict):
        raise ConfigError(["settings JSON must be an object of setting: value"])
    return from_mapping(values)


# --- text form (URL query parameters, CLI flags) ------------------------------

_NONE_WORDS = {"", "none", "null", "off"}


def parse_text(field: str, text: str) -> Any:
    """Turn one URL/CLI string into a Python value for ``field`` (validated later); ValueError if it is no value."""
    spec = SETTINGS[field]
    if spec.optional and text.strip().lower() in _NONE_WORDS:
        return None
    if spec.kind == "bool":
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if spec.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if spec.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    return text  # choices and text as they are; "128,128" is parsed by the hidden field's own validator


def to_text(field: str, value: Any) -> str:
    if value is None:
        return "none"
    if field == "hidden":
        return ",".join(str(units) for units in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_query_params(config: RunConfig, *, only_changed: bool = True) -> dict[str, str]:
    default = RunConfig()
    return {
        field: to_text(field, getattr(config, field))
        for field in FIELD_NAMES
        if not only_changed or getattr(config, field) != getattr(default, field)
    }


def from_query_params(
    params: Mapping[str, Any], base: RunConfig | None = None, *, fields: tuple[str, ...] = FIELD_NAMES
) -> tuple[RunConfig, list[str]]:
    """Lenient parse for URLs: a bad value falls back to ``base``'s (the default), with a notice.

    A shared link must always open, so unlike :func:`from_mapping` this never
    raises; each rejected value is reported in the returned notices. Names
    outside ``fields`` that are settings get a notice too (a browser link
    passes ``fields=LINK_FIELDS``); other names belong to other pages.
    """
    base = base or RunConfig()
    notices: list[str] = []
    typed: dict[str, Any] = {}
    for field, raw in params.items():
        if field not in RunConfig.model_fields:
            continue  # other pages' parameters share the URL
        if isinstance(raw, list):
            raw = raw[-1] if raw else ""
        if field not in fields:
            notices.append(f"URL setting ignored: {field} cannot be set from a link")
            continue
        try:
            typed[field] = parse_text(field, str(raw))
        except ValueError as error:
            notices.append(
                f"URL setting ignored, default {to_text(field, getattr(base, field))} used instead. "
                f"{field}: {error} (allowed: {allowed(field)})"
            )
    config, problems = from_values(typed, base)
    for field, problem in problems.items():
        notices.append(f"URL setting ignored, default {to_text(field, getattr(base, field))} used instead. {problem}")
    return config, notices


def from_text_values(values: Mapping[str, str]) -> RunConfig:
    """Strict parse of text values (CLI flags): any bad value raises ConfigError."""
    parsed: dict[str, Any] = {}
    problems: list[str] = []
    for field, raw in values.items():
        if field not in RunConfig.model_fields:
            problems.append(f"unknown setting {field!r}")
            continue
        try:
            parsed[field] = parse_text(field, raw)
        except ValueError as error:
            problems.append(f"{field}: {error} (allowed: {allowed(field)})")
    if problems:
        raise ConfigError(problems)
    return from_mapping(parsed)


# --- what a widget can show -------------------------------------------------------------------------------------


def fit_to_widget(field: str, value: Any) -> Any:
    """``value`` as the field's widget can hold it: inside the widget's bounds, on a slider's step.

    A valid config value can still be outside what its widget shows (keep_p = 0.005 under a slider
    that starts at 0.01, keep_p = 0.333 on a 0.01 grid); the caller says so when this changes it.
    """
    spec = SETTINGS[field]
    if value is None or spec.kind not in ("int", "float") or isinstance(value, bool):
        return value
    fitted = value
    if spec.widget_low is not None and fitted < spec.widget_low:
        fitted = spec.widget_low
    if spec.widget_high is not None and fitted > spec.widget_high:
        fitted = spec.widget_high
    if spec.widget == "slider" and spec.step:
        origin = spec.widget_low or 0.0
        fitted = round(origin + round((fitted - origin) / spec.step) * spec.step, 10)
    return type(value)(fitted) if spec.kind == "int" else float(fitted)
