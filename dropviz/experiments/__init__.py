"""The paper's experiments, as a package by job.

* :mod:`.protocol` -- the fair protocol, the presets' scales, what one trial is (its identity hash)
* :mod:`.registry` -- one spec per table or figure, expanding to trials on a data set
* :mod:`.preset_notes` -- what each preset changes relative to the paper (text, English and 中文)
* :mod:`.trial` -- one trial as a worker runs it (learning-rate grid, early stopping, choice on validation)
* :mod:`.engines` -- where trials run: this process, a pool of worker processes, or Ray
* :mod:`.sweep` -- the driver: every trial not yet done, each result stored as it arrives, retries
* :mod:`.store` -- the SQLite results store; :mod:`.results_files` -- shipped results (JSON)
* :mod:`.summaries` -- stored trials to tables and curves
* :mod:`.cli` -- ``python -m dropviz experiment ...``; :mod:`.background` -- a sweep for the web page

A trial's identity is a hash of experiment + preset + data set + config + seed (+ its extras), so a sweep
can be stopped and resumed anywhere, on any engine, without running a completed trial twice. The paper's
own numbers live in :mod:`dropviz.paper`. Importing this package loads neither streamlit nor torch.
This module re-exports the registry, protocol and summaries.
"""

from .preset_notes import COMMON_NOTE, COMMON_NOTE_ZH, PRESET_NOTES, PRESET_NOTES_ZH
from .protocol import (
    BATCH_SIZE,
    MAX_EPOCHS,
    MAX_NORM,
    PAPER_LR_GRID,
    PRESETS,
    QUICK_LR_GRID,
    SCALES,
    STANDARD_LR_GRID,
    Protocol,
    Scale,
    Trial,
    format_x,
)
from .registry import (
    EXPERIMENTS,
    KEEP_GRID,
    N_CLASSES,
    NO_DROPOUT,
    TEST_EXAMPLES,
    TOY_MAX_TRAIN,
    TRAIN_EXAMPLES,
    Context,
    ExperimentSpec,
    all_trials,
    default_dataset,
    fig9b_hidden,
    fit_notices,
    get_experiment,
    settings_mc_ks,
    training_examples,
)
from .summaries import mean_curves, result_rows, summarize

__all__ = [
    "BATCH_SIZE",
    "COMMON_NOTE",
    "COMMON_NOTE_ZH",
    "Context",
    "EXPERIMENTS",
    "ExperimentSpec",
    "KEEP_GRID",
    "MAX_EPOCHS",
    "MAX_NORM",
    "N_CLASSES",
    "NO_DROPOUT",
    "PAPER_LR_GRID",
    "PRESETS",
    "PRESET_NOTES",
    "PRESET_NOTES_ZH",
    "Protocol",
    "QUICK_LR_GRID",
    "SCALES",
    "STANDARD_LR_GRID",
    "Scale",
    "TEST_EXAMPLES",
    "TOY_MAX_TRAIN",
    "TRAIN_EXAMPLES",
    "Trial",
    "all_trials",
    "default_dataset",
    "fig9b_hidden",
    "fit_notices",
    "format_x",
    "get_experiment",
    "mean_curves",
    "result_rows",
    "settings_mc_ks",
    "summarize",
    "training_examples",
]
