"""Experiment specs: expansion into trials, identities, presets, MC averaging, summaries, paper values, figures."""

import math

import pytest
import torch

from dropviz import paper
from dropviz.analysis import mc_average_errors
from dropviz.experiments import (
    EXPERIMENTS,
    PRESETS,
    SCALES,
    Trial,
    all_trials,
    fig9b_hidden,
    get_experiment,
    mean_curves,
    summarize,
)
from dropviz.models import MLP
from dropviz.viz.experiments import experiment_figure, summary_table

NAMES = ("table2", "fig4", "fig9a", "fig9b", "fig10", "fig11", "gaussian")


def test_registry_has_every_experiment_and_each_expands_on_every_preset():
    assert tuple(EXPERIMENTS) == NAMES
    for name in NAMES:
        for preset in PRESETS:
            for dataset in ("digits", "fashion-mnist", "moons"):
                trials = get_experiment(name).trials(dataset, preset)
                assert trials, (name, preset, dataset)
                keys = [trial.key for trial in trials]
                assert len(set(keys)) == len(keys), (name, preset, dataset)
                assert all(trial.config.dataset == dataset and not trial.config.twin for trial in trials)


def test_unknown_names_give_clear_errors():
    with pytest.raises(ValueError, match="unknown experiment 'nope'; choose one of table2"):
        get_experiment("nope")
    with pytest.raises(ValueError, match="unknown preset"):
        get_experiment("fig10").trials("digits", "huge")


def test_identity_hash_is_stable_ignores_device_and_changes_with_seed_and_preset():
    first = get_experiment("gaussian").trials("digits", "tiny")[0]
    again = get_experiment("gaussian").trials("digits", "tiny")[0]
    on_gpu = get_experiment("gaussian").trials("digits", "tiny", device="cuda")[0]
    assert first.key == again.key == on_gpu.key and on_gpu.config.device == "cuda"
    other_seed = get_experiment("gaussian").trials("digits", "tiny", seeds=[7])[0]
    assert other_seed.key != first.key and other_seed.seed == 7
    assert get_experiment("gaussian").trials("digits", "quick")[0].key != first.key
    assert Trial.from_dict(first.to_dict()).key == first.key


def test_conditions_and_seeds():
    trials = get_experiment("fig10").trials("fashion-mnist", "quick")
    conditions = {trial.condition for trial in trials}
    assert "dropout, train size=100" in conditions and "no dropout, train size=10000" in conditions
    assert len(trials) == len(conditions) * len(SCALES["quick"].seeds)
    # digits has 1347 training images: sizes above that are left out
    sizes = {trial.x for trial in get_experiment("fig10").trials("digits", "quick")}
    assert sizes == {100, 500, 1000}
    for trial in trials:
        assert trial.config.train_size == trial.x
        if trial.series == "no dropout":
            assert trial.config.method == "none" and trial.config.keep_p == 1.0
        else:
            assert trial.config.keep_p == 0.5 and trial.config.keep_p_input == 0.8


def test_fig9_grids_follow_the_paper():
    a = get_experiment("fig9a").trials("digits", "paper", seeds=[0])
    assert [t.x for t in a] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert all(t.config.hidden == (2048, 2048, 2048) and t.config.keep_p_input == 1.0 for t in a)
    b = get_experiment("fig9b").trials("digits", "paper", seeds=[0])
    for trial in b:
        assert trial.config.hidden == fig9b_hidden((256, 256, 512), trial.x)
        assert all(abs(trial.x * n - pn) <= trial.x for n, pn in zip(trial.config.hidden, (256, 256, 512)))
    assert b[0].config.hidden == (2560, 2560, 5120)


def test_paper_preset_uses_the_papers_architectures_and_updates():
    table2 = {t.series: t.config for t in get_experiment("table2").trials("mnist", "paper", seeds=[0])}
    assert table2["standard, logistic"].hidden == (800, 800)
    assert table2["dropout + max-norm, ReLU"].hidden == (1024,) * 3 and table2["dropout + max-norm, ReLU"].max_norm
    fig10 = get_experiment("fig10").trials("mnist", "paper", seeds=[0])
    assert all(t.config.hidden == (1024, 1024, 2048) for t in fig10)
    big = [t for t in fig10 if t.x == 50000][0].config
    assert big.epochs * math.ceil(50000 / big.batch_size) >= 200_000
    fig4 = get_experiment("fig4").trials("mnist", "paper", seeds=[0])[0].config
    assert fig4.epochs * 600 >= 1_000_000


def test_mc_average_falls_toward_weight_scaling_and_equals_it_without_noise():
    torch.manual_seed(0)
    inputs, labels = torch.randn(400, 10), torch.randint(0, 3, (400,))
    plain = MLP(10, (32,), 3, method="none")
    errors, scaled = mc_average_errors(plain, inputs, labels, [1, 5])
    assert errors[1] == errors[5] == scaled
    noisy = MLP(10, (64, 64), 3, method="dropout", keep_p=0.5)
    errors, scaled = mc_average_errors(noisy, inputs, labels, [1, 50, 400], torch.Generator().manual_seed(1))
    assert set(errors) == {1, 50, 400} and noisy.training  # mode restored
    assert abs(errors[400] - scaled) < abs(errors[1] - scaled) + 0.02
    with pytest.raises(ValueError):
        mc_average_errors(noisy, inputs, labels, [0])


def _stored(experiment, series, x, seed, test, train, extra=None, status="completed"):
    condition = series if x is None else f"{series}, p={x}"
    return {
        "experiment": experiment,
        "series": series,
        "x": x,
        "condition": condition,
        "seed": seed,
        "status": status,
        "metrics": {"test_error": test, "train_error": train},
        "extra": extra,
        "curves": [{"step": 10, "test_error": test, "train_error": train}],
    }


def test_summarize_mean_std_in_percent_and_skips_unfinished():
    rows = [
        _stored("fig9a", "dropout", 0.5, 0, 0.10, 0.05),
        _stored("fig9a", "dropout", 0.5, 1, 0.20, 0.07),
        _stored("fig9a", "dropout", 0.5, 2, 0.90, 0.9, status="failed"),
    ]
    (row,) = summarize(rows)
    assert row["n"] == 2 and row["test_error_pct_mean"] == pytest.approx(15.0)
    assert row["test_error_pct_std"] == pytest.approx(100 * math.sqrt(0.005), abs=1e-3)
    assert row["train_error_pct_mean"] == pytest.approx(6.0)
    (curve,) = mean_curves(rows)
    assert curve["test_error_pct"] == pytest.approx(15.0) and curve["n"] == 2


def test_fig11_trials_expand_into_weight_scaling_and_one_row_per_k():
    extra = {"mc": {"1": 0.3, "10": 0.2}, "weight_scaling": 0.15}
    rows = summarize([_stored("fig11", "dropout", None, 0, 0.15, 0.1, extra)])
    assert [r["condition"] for r in rows] == ["weight scaling", "Monte-Carlo, k=1", "Monte-Carlo, k=10"]
    assert rows[1]["test_error_pct_mean"] == pytest.approx(30.0)


def test_paper_values_match_reference_md():
    assert paper.TABLE2["standard, logistic"].error == 1.60
    assert paper.TABLE2["dropout + max-norm, ReLU"].error == 1.06
    assert paper.FIG10[5000] == (2.9, 4.7) and paper.FIG10[100] == (26.6, 22.8)
    assert paper.FIG9A[0.1] == (3.2, 2.7) and paper.FIG9B[0.6] == (1.1, 0.0)
    assert paper.FIG11_MC[3] == 1.28 and paper.FIG11_WEIGHT_SCALING == 1.05
    assert paper.TABLE10["Gaussian dropout"].error == 0.95
    for name in NAMES:
        assert paper.reference_rows(name) and name in paper.NOTES


def test_every_experiment_draws_with_both_panels_labelled():
    for name in NAMES:
        trials = get_experiment(name).trials("digits", "tiny")
        stored = []
        for i, trial in enumerate(trials):
            extra = {"mc": {str(k): 0.3 / k for k in trial.mc_ks}, "weight_scaling": 0.1} if trial.mc_ks else None
            stored.append(
                {
                    **trial.to_dict(),
                    "status": "completed",
                    "extra": extra,
                    "metrics": {"test_error": 0.1 + i / 1000, "train_error": 0.05},
                    "curves": [{"step": s, "test_error": 0.2 / s, "train_error": 0.1 / s} for s in (1, 2)],
                }
            )
        summary = summarize(stored)
        figure = experiment_figure(
            name,
            summary,
            curves=mean_curves(stored),
            paper_rows=paper.reference_rows(name),
            dataset="digits",
            preset="tiny",
        )
        titles = [a.text for a in figure.layout.annotations]
        assert titles[0].startswith("This run: digits") and "Paper's values: MNIST" in titles[1]
        axes = {trace.xaxis for trace in figure.data}
        assert axes == {"x", "x2"}, name  # ours on the left, the paper on the right
        assert summary_table(summary, paper.reference_rows(name))


def test_all_trials_concatenates():
    trials = all_trials(["fig11", "gaussian"], "digits", "tiny")
    assert {t.experiment for t in trials} == {"fig11", "gaussian"}
