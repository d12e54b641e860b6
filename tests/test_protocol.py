"""Issue 15's fair protocol: learning rate and stopping point chosen on a validation split, never the test set."""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
import pytest
import torch

from dropviz.data import load_dataset
from dropviz.experiments import SCALES, Protocol, get_experiment, summarize
from dropviz.experiments import trial as one_trial
from dropviz.viz.experiments import summary_table
from ui.kept import KEPT

ROOT = pathlib.Path(__file__).resolve().parents[1]


def tiny_trial(experiment="table2", index=3):
    return get_experiment(experiment).trials("digits", "tiny", seeds=[0])[index]


def test_validation_split_is_held_out_stratified_and_disjoint():
    dataset = load_dataset("digits", train_size=300, seed=0)
    protocol = Protocol((0.1,))
    train, x_val, y_val = one_trial._split_validation(dataset, protocol, seed=0)
    assert len(y_val) == 50 and len(train.y_train) == 250  # 1/6 of 300
    # no validation example is trained on: rows of x_val do not occur in the training rows
    train_rows = {row.tobytes() for row in train.x_train.numpy()}
    assert not any(row.tobytes() in train_rows for row in x_val.numpy())
    assert torch.equal(train.x_test, dataset.x_test)  # the test set is untouched
    counts = np.bincount(y_val.numpy(), minlength=10)
    assert counts.min() >= 4 and counts.max() <= 6  # stratified: about 5 per class
    assert protocol.validation_size(100, 10) == 17 and protocol.validation_size(12, 10) == 2


def test_protocol_rejects_bad_settings_with_a_message():
    with pytest.raises(ValueError, match="lr_grid"):
        Protocol(())
    with pytest.raises(ValueError, match="validation_fraction"):
        Protocol((0.1,), validation_fraction=1.0)
    with pytest.raises(ValueError, match="patience"):
        Protocol((0.1,), patience=0)


def test_trial_picks_the_rate_with_the_lowest_validation_error_and_reports_its_checkpoint():
    result = one_trial.execute_trial(tiny_trial().to_dict(), threads=1)
    assert result["status"] == "completed"
    selection = result["extra"]["selection"]
    grid = selection["grid"]
    assert [g["lr"] for g in grid] == [0.03, 0.1]
    best = min(grid, key=lambda g: (g["val_error"], g["val_loss"]))
    assert selection["lr"] == best["lr"] and selection["val_error"] == best["val_error"]
    assert selection["step"] == best["best_step"]
    point = next(p for p in result["curves"] if p["step"] == selection["step"])
    assert result["final"]["test_error"] == point["test_error"] and result["final"]["val_error"] == point["val_error"]
    assert selection["n_validation"] + selection["n_train"] == 300


def test_the_test_set_plays_no_part_in_the_choice(monkeypatch):
    trial = tiny_trial()
    honest = one_trial.execute_trial(trial.to_dict(), threads=1)["extra"]["selection"]
    real = one_trial._dataset

    def scrambled(*args):
        dataset = real(*args)
        labels = torch.from_numpy(np.random.default_rng(1).integers(0, 10, len(dataset.y_test)))
        return dataclasses.replace(dataset, y_test=labels)

    monkeypatch.setattr(one_trial, "_dataset", scrambled)
    chosen = one_trial.execute_trial(trial.to_dict(), threads=1)["extra"]["selection"]
    assert (chosen["lr"], chosen["step"], chosen["val_error"]) == (honest["lr"], honest["step"], honest["val_error"])


def test_early_stopping_ends_a_run_that_stops_improving():
    dataset = load_dataset("digits", train_size=300, seed=0)
    trial = tiny_trial()
    train, x_val, y_val = one_trial._split_validation(dataset, trial.protocol, 0)
    config = trial.config.model_copy(update={"epochs": 200, "eval_every": 3, "lr": 0.1})
    run = one_trial._train_run(config, train, x_val, y_val, patience=2)
    assert run["status"] == "completed" and run["steps"] < 200 * 3  # stopped before the budget
    after_best = [p for p in run["curves"] if p["step"] > run["best"]["step"]]
    assert len(after_best) == 2 and all(p["val_error"] >= run["best"]["val_error"] for p in after_best)


def test_both_arms_get_the_same_grid_budget_and_validation_split():
    for preset in ("quick", "standard", "paper"):
        trials = get_experiment("fig10").trials("mnist", preset, seeds=[0])
        by_size = {}
        for trial in trials:
            by_size.setdefault(trial.x, []).append(trial)
        for pair in by_size.values():
            dropout, plain = pair
            assert dropout.protocol == plain.protocol == SCALES[preset].protocol
            assert (dropout.config.epochs, dropout.config.batch_size) == (plain.config.epochs, plain.config.batch_size)
            assert dropout.config.momentum == plain.config.momentum


def test_paper_recipe_in_standard_and_paper_presets():
    table2 = {t.series: t.config for t in get_experiment("table2").trials("mnist", "paper", seeds=[0])}
    assert table2["dropout + max-norm, ReLU"].max_norm == 3.0 and table2["dropout, ReLU"].max_norm is None
    assert table2["standard, ReLU"].max_norm is None and table2["Gaussian dropout, ReLU"].max_norm == 3.0
    assert table2["dropout, ReLU"].momentum == 0.95
    quick = {t.series: t.config for t in get_experiment("table2").trials("mnist", "quick", seeds=[0])}
    assert quick["Gaussian dropout, ReLU"].max_norm is None and quick["dropout, ReLU"].momentum == 0.9


def test_chosen_values_are_in_the_results_table():
    trial = tiny_trial()
    outcome = one_trial.execute_trial(trial.to_dict(), threads=1)
    stored = {
        **trial.to_dict(),
        "status": "completed",
        "metrics": outcome["final"],
        "curves": outcome["curves"],
        "extra": outcome["extra"],
    }
    summary = summarize([stored])
    selection = outcome["extra"]["selection"]
    assert summary[0]["lr_chosen"] == [selection["lr"]]
    row = summary_table(summary)[0]
    assert row["learning rate (chosen, per seed)"] == f"{selection['lr']:g}"
    assert row["stopping epoch (chosen, per seed)"] == f"{selection['epoch']:.1f}"
    assert row["validation error % (mean)"] == pytest.approx(100 * selection["val_error"], abs=1e-3)


def test_experiments_page_table_shows_the_chosen_learning_rate_and_epoch(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dropviz.experiments.results_files import export_json

    trials = get_experiment("fig10").trials("digits", "tiny", seeds=[0])[:2]
    rows = []
    for trial in trials:
        outcome = one_trial.execute_trial(trial.to_dict(), threads=1)
        # shown as the shipped quick results (the page lists shipped files under the quick preset)
        rows.append(
            {
                **trial.to_dict(),
                "preset": "quick",
                "status": "completed",
                "metrics": outcome["final"],
                "curves": outcome["curves"],
                "extra": outcome["extra"],
            }
        )
    export_json(rows, tmp_path / "shipped" / "tiny-digits.json", meta={"preset": "tiny", "dataset": "digits"})
    monkeypatch.setenv("DROPVIZ_SHIPPED_RESULTS", str(tmp_path / "shipped"))
    monkeypatch.setenv("DROPVIZ_RESULTS_DB", str(tmp_path / "page.sqlite"))
    st.cache_resource.clear()
    KEPT.expire_released()  # the released sessions' holders close now, as after the TTL
    st.cache_data.clear()
    page = str(ROOT / "pages" / "experiments.py")
    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["exp_dataset"] = "digits"
    at.session_state["exp_preset"] = "quick"
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "learning rate (chosen, per seed)" in table.columns and "stopping epoch (chosen, per seed)" in table.columns
    chosen = {row["condition"]: row["learning rate (chosen, per seed)"] for _, row in table.iterrows()}
    expected = {row["condition"]: f"{row['extra']['selection']['lr']:g}" for row in rows}
    assert chosen == expected
    st.cache_resource.clear()
    KEPT.expire_released()  # the released sessions' holders close now, as after the TTL
    st.cache_data.clear()  # the page cached the shipped results of this test's folder
