"""The run the analysis pages look at: the Playground's current run, or a small built-in one.

The Playground's run comes from the session's :class:`~ui.session.TrainerHolder`
(eval-mode copies of method net and twin, so analysing never blocks or perturbs
training). When the session has no run yet, a small default run is trained on
the page itself, once per server (``st.cache_resource`` keyed by its config),
so the pages are never empty.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import streamlit as st
import torch

from dropviz.config import RunConfig
from dropviz.data import Dataset, load_dataset
from dropviz.models import MLP
from dropviz.runner import default_num_threads
from dropviz.train import StateSnapshot, Trainer

# A few seconds on a shared CPU: 8x8 digits, 64-128-128-10, hidden dropout 0.5.
DEFAULT_CONFIGS = {
    "dropout": RunConfig(dataset="digits", train_size=None, hidden=(128, 128), method="dropout", keep_p=0.5, keep_p_input=1.0,
                         optimizer="sgd", lr=0.05, momentum=0.9, batch_size=32, epochs=10, seed=0, device="cpu"),
    "dropconnect": RunConfig(dataset="digits", train_size=None, hidden=(128, 128), method="dropconnect", keep_p=0.5,
                             keep_p_input=1.0, dropconnect_mask="per-batch", optimizer="sgd", lr=0.05,
                             momentum=0.9, batch_size=32, epochs=10, seed=0, device="cpu"),
    "moons": RunConfig(dataset="moons", train_size=300, noise=0.25, hidden=(64, 64), method="dropout", keep_p=0.5, keep_p_input=1.0,
                       optimizer="sgd", lr=0.05, momentum=0.9, batch_size=32, epochs=60, seed=0, device="cpu"),
}
SNAPSHOTS = 12  # probe-activation snapshots over the default run (animation frames)


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
    """Train ``config`` (method + twin) synchronously; keeps ~SNAPSHOTS probe snapshots."""
    # Like the Playground's runner: more threads than free cores makes torch spin and crawl.
    torch.set_num_threads(default_num_threads())
    dataset = load_dataset(config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed)
    n_train = dataset.x_train.shape[0]
    total_steps = math.ceil(n_train / min(config.batch_size, n_train)) * config.epochs
    every = max(1, total_steps // SNAPSHOTS)
    trainer = Trainer(config, dataset, record_masks=False, state_every=every)
    history = [trainer.state_snapshot()]
    while not trainer.done:
        for event in trainer.step():
            if isinstance(event, StateSnapshot) and event.step != history[-1].step:
                history.append(event)
    models = {}
    for run, model in trainer.models.items():
        model.set_generator(None)
        model.set_record_masks(False)
        model.eval()
        models[run] = model
    return AnalysisRun("default", f"default-{config.model_dump_json()}", config, models, dataset,
                       tuple(history), trainer.step_count, trainer.status)


@st.cache_resource(show_spinner=False, max_entries=6)
def _cached_default_run(config_json: str) -> AnalysisRun:
    return train_default_run(RunConfig.model_validate_json(config_json))


def default_run(name: str = "dropout") -> AnalysisRun:
    return _cached_default_run(DEFAULT_CONFIGS[name].model_dump_json())


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
    return AnalysisRun("playground", f"pg-{id(runner)}-{snapshot.step}-{snapshot.version}", runner.config, models,
                       dataset, tuple(snapshot.state_history), snapshot.step, snapshot.state)


def test_tensors(run: AnalysisRun, limit: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``limit`` test examples (CPU), a fixed probe for every analysis."""
    x, y = run.dataset.x_test[:limit], run.dataset.y_test[:limit]
    return x.detach().cpu().float(), y.detach().cpu()


TEXT = {
    "src_playground": ("Analysing your **Playground run** ({what}), step {step}, state: {state}.",
                       "正在分析你的**训练场运行**（{what}），第 {step} 步，状态：{state}。"),
    "src_default": ("No Playground run in this session yet, so this page trained a small **built-in example** "
                    "({what}, {epochs} epochs). Train your own on the Playground and come back.",
                    "本会话还没有训练场运行，因此本页训练了一个小的**内置示例**（{what}，{epochs} 轮）。"
                    "可以先在训练场训练自己的网络再回来。"),
    "use_default": ("Use the built-in example instead", "改用内置示例"),
    "to_playground": ("Go to the Playground", "前往训练场"),
    "training_default": ("Training the built-in example (a few seconds, once per server)...",
                         "正在训练内置示例（几秒钟，每个服务器只需一次）……"),
    "no_twin": ("This run has no no-dropout twin, so there is nothing to compare with; "
                "switch the twin on in the Playground.", "该运行没有无 Dropout 对照网络，无法比较；请在训练场打开对照。"),
}


def describe(config: RunConfig) -> str:
    layers = "-".join(str(units) for units in config.hidden)
    keep = f"keep p={config.keep_p:g}" + (f", input {config.keep_p_input:g}" if config.keep_p_input < 1 else "")
    return f"{config.dataset}, {layers} {config.activation}, {config.method} ({keep})"


def select_run(t, default_name: str = "dropout", key: str = "analysis_source") -> AnalysisRun:
    """Render where the analysed run comes from and return it (never None)."""
    run = playground_run()
    if run is not None and not st.toggle(t("use_default"), key=key, value=False):
        st.info(t("src_playground", what=describe(run.config), step=run.step, state=run.status))
        return run
    # A link that names a method (the Lecture's links do) picks the matching built-in run.
    if st.query_params.get("method") in DEFAULT_CONFIGS:
        default_name = st.query_params["method"]
    with st.spinner(t("training_default")):
        run = default_run(default_name)
    st.info(t("src_default", what=describe(run.config), epochs=run.config.epochs))
    try:
        st.page_link("pages/playground.py", label=t("to_playground"), icon="🎛️")
    except Exception:  # page_link needs the navigation context; AppTest of a lone page has none
        pass
    return run
