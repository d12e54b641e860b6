"""The run the analysis pages look at: the Playground's current run, or a small built-in one.

The Playground's run comes from the session's :class:`~ui.session.TrainerHolder`
(eval-mode copies of method net and twin, so analysing never blocks or perturbs
training). When the session has no run yet, a built-in example
(:mod:`dropviz.example_run`) is trained once per server (``st.cache_resource``
keyed by its config), so the pages are never empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
import torch

from dropviz.config import RunConfig
from dropviz.data import Dataset
from dropviz.example_run import EXAMPLE_CONFIGS, train_example
from dropviz.models import MLP
from dropviz.runner import default_num_threads
from dropviz.train import StateSnapshot
from ui.escape import plain


@dataclass
class AnalysisRun:
    source: str  # "playground" or "default"
    key: str  # changes whenever the models change: cache key for analyses
    config: RunConfig
    models: dict[str, MLP]
    dataset: Dataset
    state_history: tuple[StateSnapshot, ...] = field(default_factory=tuple)
    step: int = 0
    status: str = ""

    @property
    def runs(self) -> tuple[str, ...]:
        return tuple(self.models)

    @property
    def has_twin(self) -> bool:
        return "baseline" in self.models

    @property
    def n_hidden_layers(self) -> int:
        return len(self.config.hidden)


def train_default_run(config: RunConfig) -> AnalysisRun:
    """Train a built-in example ``config`` (method + twin) and wrap it for the analysis pages."""
    # Like the Playground's runner: more threads than free cores makes torch spin and crawl.
    torch.set_num_threads(default_num_threads())
    example = train_example(config)
    return AnalysisRun(
        "default",
        f"default-{config.model_dump_json()}",
        config,
        example.models,
        example.dataset,
        example.state_history,
        example.step,
        example.status,
    )


@st.cache_resource(show_spinner=False, max_entries=6)
def _cached_default_run(config_json: str) -> AnalysisRun:
    return train_default_run(RunConfig.model_validate_json(config_json))


def default_run(name: str = "dropout") -> AnalysisRun:
    return _cached_default_run(EXAMPLE_CONFIGS[name].model_dump_json())


def playground_run() -> AnalysisRun | None:
    """The session's Playground run once it has taken a step, else None."""
    try:
        from ui.session import session_trainer

        holder = session_trainer()
    except Exception:  # the Playground is optional for these pages
        return None
    runner = getattr(holder, "runner", None)
    if runner is None:
        return None
    models = {run: model.cpu() for run, model in runner.copy_models().items()}
    dataset = runner.trained_dataset
    if not models or dataset is None:
        return None
    snapshot = runner.snapshot()
    return AnalysisRun(
        "playground",
        f"pg-{id(runner)}-{snapshot.step}-{snapshot.version}",
        runner.config,
        models,
        dataset,
        # A worker's run streams its snapshots slim (weights only) and sends their probe activations when
        # it pauses or ends: the co-adaptation replay uses those that have them.
        tuple(state for state in snapshot.state_history if state.activations),
        snapshot.step,
        snapshot.state,
    )


def test_tensors(run: AnalysisRun, limit: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``limit`` test examples (CPU), a fixed probe for every analysis."""
    x, y = run.dataset.x_test[:limit], run.dataset.y_test[:limit]
    return x.detach().cpu().float(), y.detach().cpu()


def describe(config: RunConfig) -> str:
    layers = "-".join(str(units) for units in config.hidden)
    keep = f"keep p={config.keep_p:g}" + (f", input {config.keep_p_input:g}" if config.keep_p_input < 1 else "")
    return f"{plain(config.dataset)}, {layers} {config.activation}, {config.method} ({keep})"


def select_run(t, default_name: str = "dropout", key: str = "analysis_source") -> AnalysisRun:
    """Render where the analysed run comes from and return it (never None)."""
    run = playground_run()
    if run is not None and not st.toggle(t("use_default"), key=key, value=False):
        st.info(t("src_playground", what=describe(run.config), step=run.step, state=run.status))
        return run
    # A link that names a method (the Lecture's links do) picks the matching built-in run.
    if st.query_params.get("method") in EXAMPLE_CONFIGS:
        default_name = st.query_params["method"]
    with st.spinner(t("training_default")):
        run = default_run(default_name)
    st.info(t("src_default", what=describe(run.config), epochs=run.config.epochs))
    try:
        st.page_link("pages/playground.py", label=t("to_playground"), icon="🎛️")
    except Exception:  # page_link needs the navigation context; AppTest of a lone page has none
        pass
    return run
