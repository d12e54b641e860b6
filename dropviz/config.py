"""One run configuration, validated in one place.

The same :class:`RunConfig` is built from sidebar widgets, URL query
parameters, CLI flags and JSON. Like tensorflow/playground's ``state.ts`` the
settings are data: each field carries its allowed range, and every front end
(URL, CLI, widgets) derives its parsing and its error messages from it.

Convention: ``keep_p`` is the paper's probability of *keeping* a unit.
PyTorch's ``nn.Dropout(p)`` takes ``1 - keep_p``.
"""
from __future__ import annotations

import json
import math
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

METHODS = ("none", "dropout", "gaussian", "dropconnect")
SCALINGS = ("inverted", "weight-scaling")
ACTIVATIONS = ("relu", "logistic", "tanh")
OPTIMIZERS = ("sgd", "adam")
DROPCONNECT_MASKS = ("per-example", "per-batch")
DROPCONNECT_INFERENCE = ("mean", "gaussian")
DEVICES = ("auto", "cpu", "cuda")

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 8192

METHOD_LABELS = {
    "none": "none",
    "dropout": "dropout (Bernoulli)",
    "gaussian": "Gaussian dropout",
    "dropconnect": "DropConnect",
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
    dataset: str = Field("moons", description="moons, circles, spiral, xor, blobs, digits, mnist, fashion-mnist or a .csv path")
    data_dir: str | None = Field(None, description="folder with MNIST/Fashion-MNIST IDX files")
    train_size: int | None = Field(None, ge=10, le=100_000, description="training examples (None: the data set's default, 40 for the 2D toys, all for images)")
    noise: float = Field(0.4, ge=0.0, le=1.0, description="noise of the 2D toy data sets")
    # architecture
    hidden: tuple[int, ...] = Field((128, 128), description=f"units per hidden layer, 1 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_UNITS}")
    activation: Literal["relu", "logistic", "tanh"] = "relu"
    # regularization
    method: Literal["none", "dropout", "gaussian", "dropconnect"] = "dropout"
    scaling: Literal["inverted", "weight-scaling"] = "inverted"
    keep_p: float = Field(0.5, gt=0.0, le=1.0, description="keep probability of hidden units (paper's p)")
    keep_p_input: float = Field(1.0, gt=0.0, le=1.0, description="keep probability of input units")
    max_norm: float | None = Field(None, gt=0.0, le=100.0, description="max-norm c (the paper's, on W/keep_p under inverted scaling) on each hidden unit's incoming weights (None: off)")
    dropconnect_mask: Literal["per-example", "per-batch"] = "per-example"
    dropconnect_inference: Literal["mean", "gaussian"] = "mean"
    dropconnect_samples: int = Field(64, ge=1, le=1024, description="samples per unit for Gaussian DropConnect inference")
    # optimization
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float = Field(0.1, gt=0.0, le=10.0, description="learning rate")
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="SGD momentum")
    batch_size: int = Field(32, ge=1, le=4096)
    epochs: int = Field(1000, ge=1, le=100_000)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    # run
    twin: bool = Field(True, description="also train a no-dropout twin from the same initial weights")
    eval_every: int | None = Field(None, ge=1, le=1_000_000, description="evaluate every N steps (None: every epoch)")
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


def allowed(field: str) -> str:
    """Human description of what a field accepts, derived from the model itself."""
    info = RunConfig.model_fields[field]
    annotation = info.annotation
    choices = getattr(annotation, "__args__", None)
    if choices and all(isinstance(choice, str) for choice in choices):
        return "one of " + ", ".join(choices)
    bounds = []
    for meta in info.metadata:
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{symbol} {getattr(meta, attr)}")
    text = " and ".join(bounds) if bounds else (info.description or "")
    if info.description and bounds:
        text = f"{info.description}: {text}"
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
    """Build and validate a config; raise ConfigError naming each bad field."""
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError([f"unknown setting {name!r} (known: {', '.join(FIELD_NAMES)})" for name in unknown])
    try:
        return RunConfig(**values)
    except ValidationError as error:
        raise ConfigError(_problems(error)) from None


def from_json(text: str) -> RunConfig:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError([f"settings JSON is not valid JSON: {error.msg} at line {error.lineno}"]) from None
    if not isinstance(values, dict):
        raise ConfigError(["settings JSON must be an object of setting: value"])
    return from_mapping(values)


# --- text form (URL query parameters, CLI flags) ------------------------------

_NONE_WORDS = {"", "none", "null", "off"}


def _parse_text(field: str, text: str) -> Any:
    """Turn one URL/CLI string into a Python value for ``field`` (validated later)."""
    info = RunConfig.model_fields[field]
    annotation = str(info.annotation)
    if "None" in annotation and text.strip().lower() in _NONE_WORDS:
        return None
    if field == "hidden":
        return text
    if info.annotation is bool:
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if "int" in annotation and "float" not in annotation:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if "float" in annotation:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    return text


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


def from_query_params(params: Mapping[str, str], base: RunConfig | None = None) -> tuple[RunConfig, list[str]]:
    """Lenient parse for URLs: a bad value falls back to the default, with a notice.

    A shared link must always open, so unlike :func:`from_mapping` this never
    raises; each rejected value is reported in the returned notices.
    """
    base = base or RunConfig()
    values = base.model_dump()
    notices: list[str] = []
    for field, raw in params.items():
        if field not in RunConfig.model_fields:
            continue  # other pages' parameters share the URL
        if isinstance(raw, list):
            raw = raw[-1] if raw else ""
        try:
            candidate = {**values, field: _parse_text(field, str(raw))}
            RunConfig(**candidate)
        except (ValueError, ValidationError) as error:
            reason = _problems(error)[0] if isinstance(error, ValidationError) else f"{field}: {error} (allowed: {allowed(field)})"
            notices.append(f"URL setting ignored, default {to_text(field, values[field])} used instead. {reason}")
            continue
        values = candidate
    return RunConfig(**values), notices


def from_text_values(values: Mapping[str, str]) -> RunConfig:
    """Strict parse of text values (CLI flags): any bad value raises ConfigError."""
    parsed: dict[str, Any] = {}
    problems: list[str] = []
    for field, raw in values.items():
        if field not in RunConfig.model_fields:
            problems.append(f"unknown setting {field!r}")
            continue
        try:
            parsed[field] = _parse_text(field, raw)
        except ValueError as error:
            problems.append(f"{field}: {error} (allowed: {allowed(field)})")
    if problems:
        raise ConfigError(problems)
    return from_mapping(parsed)
