"""Experiments: the paper's results re-run as sweeps, drawn beside the paper's MNIST values."""

from __future__ import annotations

import io
import os

import pandas as pd
import streamlit as st

from dropviz import paper
from dropviz.data import list_datasets
from dropviz.experiments import (
    COMMON_NOTE,
    COMMON_NOTE_ZH,
    EXPERIMENTS,
    PRESET_NOTES,
    PRESET_NOTES_ZH,
    PRESETS,
    default_dataset,
    mean_curves,
    summarize,
)
from dropviz.experiments.background import BackgroundSweep
from dropviz.experiments.engines import ENGINES, cpu_count
from dropviz.experiments.results_files import shipped_trials
from dropviz.experiments.store import Store, StoreError, default_db_path
from dropviz.viz.experiments import experiment_figure, summary_table
from ui.escape import plain
from ui.experiments_run import configured_ray_address, session_sweep
from ui.i18n import current_language, translator
from ui.text.experiments import TEXT

t = translator(TEXT)


@st.cache_data(show_spinner=False)
def _datasets() -> list[str]:
    return [info.name for info in list_datasets() if info.available]


@st.cache_data(show_spinner=False)
def _shipped() -> list[dict]:
    return shipped_trials()


def _db_path() -> str:
    return str(default_db_path())


def _db_groups(path: str) -> tuple[list[dict], str | None]:
    if not os.path.exists(path):
        return [], None
    try:
        with Store(path, readonly=True) as store:
            return store.groups(), None
    except (StoreError, Exception) as error:  # noqa: BLE001 - a broken file must not break the page
        return [], str(error)


def _db_trials(path: str, experiment: str, preset: str, dataset: str) -> list[dict]:
    with Store(path, readonly=True) as store:
        return store.trials(experiment, preset, dataset)


st.title(t("page_experiments"))
st.caption(t("intro"))
holder = session_sweep()

names = list(EXPERIMENTS)
datasets = _datasets()
columns = st.columns([3, 2, 2])
experiment = columns[0].selectbox(
    t("experiment"),
    names,
    format_func=lambda n: f"{EXPERIMENTS[n].paper_ref}: {EXPERIMENTS[n].title}",
    key="exp_name",
    index=names.index("fig10"),
    bind="query-params",
)
fallback = default_dataset()
dataset = columns[1].selectbox(
    t("dataset"),
    datasets,
    key="exp_dataset",
    index=datasets.index(fallback) if fallback in datasets else 0,
    bind="query-params",
)
preset = columns[2].selectbox(t("preset"), list(PRESETS), key="exp_preset", bind="query-params")
spec = EXPERIMENTS[experiment]
st.markdown(f"**{spec.paper_ref}** · {t(f'desc.{experiment}')}")

with st.expander(t("run_settings")):
    engine = st.radio(t("engine"), list(ENGINES), horizontal=True, key="exp_engine")
    workers = st.number_input(
        t("workers"), min_value=1, max_value=max(64, cpu_count()), value=cpu_count(), key="exp_workers"
    )
    ray_address = configured_ray_address() if engine == "ray" else None
    if engine == "ray":
        st.caption(t("ray_configured", address=ray_address) if ray_address else t("ray_local"))
with st.expander(t("preset_note")):
    zh_notes = current_language() == "zh"
    st.markdown(
        f"**{preset}**: {(PRESET_NOTES_ZH if zh_notes else PRESET_NOTES)[preset]}\n\n"
        f"{COMMON_NOTE_ZH if zh_notes else COMMON_NOTE}"
    )

try:
    trials = spec.trials(dataset, preset)
except Exception as error:  # noqa: BLE001 - e.g. a data set too small for the preset
    st.error(plain(error))
    st.stop()
db_path = _db_path()
st.caption(t("trials", n=len(trials), conditions=len({trial.condition for trial in trials}), db=db_path))

buttons = st.columns([1, 1, 4])
if buttons[0].button(t("run"), type="primary", disabled=holder.running, key="exp_run"):
    job = BackgroundSweep(trials, db_path, engine=engine, workers=int(workers), ray_address=ray_address)
    request = {"experiment": experiment, "preset": preset, "dataset": dataset}
    if not holder.start(job, request):
        st.warning(t("busy"))
if holder.running and buttons[1].button(t("cancel"), key="exp_cancel"):
    holder.cancel()


@st.fragment(run_every=1.0 if holder.running else None)
def sweep_progress() -> None:
    job = holder.job
    if job is None:
        return
    progress = job.snapshot()
    done = progress.finished_trials
    st.progress(
        progress.fraction,
        text=t(
            "progress",
            done=done,
            total=progress.total,
            completed=progress.completed,
            skipped=progress.skipped,
            failed=progress.failed,
            running=progress.running,
            elapsed=progress.elapsed_s,
        ),
    )
    if progress.last:
        st.caption(progress.last)
    if job.error:
        st.error(t("sweep_error", error=plain(job.error)))
    elif not job.running and progress.status in ("finished", "stopped"):
        st.success(
            t(
                "finished",
                status=progress.status,
                completed=progress.completed,
                skipped=progress.skipped,
                failed=progress.failed,
            )
        )
    if not job.running and not holder.finish_seen:
        holder.finish_seen = True
        holder.show_new = True  # the results selector jumps to the sweep just run
        st.rerun()


sweep_progress()

# --- results: shipped files and saved sweeps ------------------------------------------------------
groups, db_error = _db_groups(db_path)
if db_error:
    st.warning(t("db_error", error=plain(db_error)))
sources: dict[str, str] = {}
for group in groups:
    if group["experiment"] == experiment and (group["completed"] or 0) > 0:
        source_id = f"db|{group['preset']}|{group['dataset']}"
        sources[source_id] = t(
            "saved",
            preset=group["preset"],
            dataset=group["dataset"],
            completed=group["completed"],
            n=group["n"],
            last=group["last"] or "",
        )
shipped = [trial for trial in _shipped() if trial["experiment"] == experiment]
for shipped_dataset in dict.fromkeys(trial["dataset"] for trial in shipped):
    count = sum(1 for trial in shipped if trial["dataset"] == shipped_dataset)
    sources[f"shipped|quick|{shipped_dataset}"] = t("shipped", dataset=shipped_dataset, n=count)

if not sources:
    st.info(t("no_results"))
    st.stop()
ids = list(sources)
preferred = [f"db|{preset}|{dataset}", f"shipped|{preset}|{dataset}", f"shipped|quick|{dataset}"]
default = next((ids.index(p) for p in preferred if p in ids), 0)
request = holder.request or {}
if getattr(holder, "show_new", False) and request.get("experiment") == experiment:
    just_run = f"db|{request['preset']}|{request['dataset']}"
    if just_run in ids:
        st.session_state[f"exp_source_{experiment}"] = just_run
    holder.show_new = False
chosen = st.selectbox(t("results"), ids, index=default, format_func=sources.get, key=f"exp_source_{experiment}")
kind, shown_preset, shown_dataset = chosen.split("|", 2)
if kind == "db":
    shown = _db_trials(db_path, experiment, shown_preset, shown_dataset)
else:
    shown = [trial for trial in shipped if trial["dataset"] == shown_dataset and trial["preset"] == shown_preset]

summary = summarize(shown)
paper_rows = paper.reference_rows(experiment)
figure = experiment_figure(
    experiment,
    summary,
    curves=mean_curves(shown) if experiment == "fig4" else None,
    paper_rows=paper_rows,
    dataset=shown_dataset,
    preset=shown_preset,
    paper_note=paper.NOTES[experiment],
)
st.plotly_chart(figure, key="exp_figure")
st.caption(t("paper_label", note=paper.NOTES[experiment], dataset=shown_dataset))
failed = sum(1 for trial in shown if trial.get("status") == "failed")
pending = sum(1 for trial in shown if trial.get("status") == "pending")
if failed:
    st.warning(t("failed_trials", n=failed))
if pending and not holder.running:
    st.info(t("incomplete", n=pending))

st.subheader(t("table"))
table = pd.DataFrame(summary_table(summary, paper_rows))
st.dataframe(table, hide_index=True, key="exp_table")
per_trial = pd.DataFrame(
    [
        {
            "experiment": trial["experiment"],
            "preset": trial["preset"],
            "dataset": trial["dataset"],
            "condition": trial["condition"],
            "seed": trial["seed"],
            "status": trial["status"],
            "test_error": (trial.get("metrics") or {}).get("test_error"),
            "train_error": (trial.get("metrics") or {}).get("train_error"),
            "wall_s": trial.get("wall_s"),
            "attempts": trial.get("attempts"),
            "error": trial.get("error"),
            "key": trial["key"],
        }
        for trial in shown
    ]
)
buffer = io.StringIO()
table.to_csv(buffer, index=False)
downloads = st.columns(2)
downloads[0].download_button(
    t("download_summary"),
    buffer.getvalue(),
    file_name=f"{experiment}-{shown_preset}-{shown_dataset}-summary.csv",
    mime="text/csv",
    key="exp_download_summary",
)
downloads[1].download_button(
    t("download_trials"),
    per_trial.to_csv(index=False),
    file_name=f"{experiment}-{shown_preset}-{shown_dataset}-trials.csv",
    mime="text/csv",
    key="exp_download_trials",
)
