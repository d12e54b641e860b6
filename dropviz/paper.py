"""The paper's reference numbers (shared/REFERENCE.md) as data, to draw beside dropviz's own results.

All values are MNIST test error in % unless a row says otherwise; ``approx``
marks values read off a plot in the paper ("≈" in REFERENCE.md). Source:
Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting", JMLR 15:1929-1958 (p = probability of RETAINING a unit).
Series names match :mod:`dropviz.experiments`, so a figure can pair them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SOURCE = "Srivastava et al. 2014 (JMLR 15:1929-1958)"
DATASET = "MNIST"
LABEL = f"paper ({DATASET}, {SOURCE})"


@dataclass(frozen=True)
class Value:
    error: float  # test error in %
    note: str = ""
    approx: bool = False
    std: float | None = None
    source: str = "Srivastava et al. 2014"
    other_source: bool = False  # not the paper's Table 2 setting (another table, net or paper): hatched


# Table 2 (MNIST), in the paper's order: (model, unit type, architecture, error %).
TABLE2_FULL: tuple[tuple[str, str, str, float], ...] = (
    ("Standard Neural Net (Simard et al., 2003)", "Logistic", "2 layers, 800 units", 1.60),
    ("SVM Gaussian kernel", "NA", "NA", 1.40),
    ("Dropout NN", "Logistic", "3 layers, 1024 units", 1.35),
    ("Dropout NN", "ReLU", "3 layers, 1024 units", 1.25),
    ("Dropout NN + max-norm constraint", "ReLU", "3 layers, 1024 units", 1.06),
    ("Dropout NN + max-norm constraint", "ReLU", "3 layers, 2048 units", 1.04),
    ("Dropout NN + max-norm constraint", "ReLU", "2 layers, 4096 units", 1.01),
    ("Dropout NN + max-norm constraint", "ReLU", "2 layers, 8192 units", 0.95),
    ("Dropout NN + max-norm constraint (Goodfellow et al., 2013)", "Maxout", "2 layers, (5 × 240) units", 0.94),
    ("DBN + finetuning (Hinton and Salakhutdinov, 2006)", "Logistic", "500-500-2000", 1.18),
    ("DBM + finetuning (Salakhutdinov and Hinton, 2009)", "Logistic", "500-500-2000", 0.96),
    ("DBN + dropout finetuning", "Logistic", "500-500-2000", 0.92),
    ("DBM + dropout finetuning", "Logistic", "500-500-2000", 0.79),
)

# The paper's number for each row of dropviz's table2 experiment (None: no such row in a paper).
TABLE2: dict[str, Value | None] = {
    "standard, logistic": Value(1.60, "Table 2: 2 layers of 800"),
    "standard, ReLU": Value(
        1.62,
        "Wan et al. 2013, 784-800-800-10, no augmentation (approximate, not checked)",
        approx=True,
        source="Wan et al. 2013",
        other_source=True,
    ),
    "dropout, logistic": Value(1.35, "Table 2: 3 layers of 1024"),
    "dropout, ReLU": Value(1.25, "Table 2: 3 layers of 1024"),
    "dropout + max-norm, ReLU": Value(1.06, "Table 2: 3 layers of 1024"),
    "Gaussian dropout, ReLU": Value(
        0.95, "Table 10: 2 x 1024, mean of 10 runs (not Table 2's 3 x 1024)", std=0.04, other_source=True
    ),
    # Table 10's like-for-like Bernoulli row, so the Gaussian bar has its own baseline beside it.
    "dropout, ReLU (Table 10, 2 x 1024)": Value(
        1.08, "Table 10: 2 x 1024, mean of 10 runs (Bernoulli beside the Gaussian row)", std=0.04, other_source=True
    ),
    "DropConnect, ReLU": Value(
        1.20,
        "Wan et al. 2013, 784-800-800-10, no augmentation (approximate, not checked)",
        approx=True,
        source="Wan et al. 2013",
        other_source=True,
    ),
}

# Table 10: Bernoulli vs Gaussian dropout, MNIST 2 x 1024, mean ± sd over 10 runs.
TABLE10: dict[str, Value] = {
    "Bernoulli dropout": Value(1.08, "Table 10: 2 x 1024, 10 runs", std=0.04),
    "Gaussian dropout": Value(0.95, "Table 10: 2 x 1024, 10 runs", std=0.04),
}

# Table 9 (784-1024-1024-2048-10, ReLU), for the page's notes.
TABLE9 = {
    "L2": 1.62,
    "L2 + L1": 1.60,
    "L2 + KL sparsity": 1.55,
    "max-norm": 1.35,
    "dropout + L2": 1.25,
    "dropout + max-norm": 1.05,
}

# Figure 9 (784-2048-2048-2048-10, no input dropout): p -> (test, train), all read off the plot.
FIG9A: dict[float, tuple[float, float]] = {
    0.1: (3.2, 2.7),
    0.2: (1.8, 0.65),
    0.3: (1.2, 0.0),
    0.4: (1.12, 0.0),
    0.5: (1.05, 0.0),
    0.6: (1.09, 0.0),
    0.7: (1.10, 0.0),
    0.8: (1.08, 0.0),
    0.9: (1.26, 0.0),
    1.0: (1.65, 0.0),
}
FIG9B: dict[float, tuple[float, float]] = {
    0.1: (2.4, 1.7),
    0.2: (1.8, 0.87),
    0.3: (1.5, 0.48),
    0.4: (1.27, 0.11),
    0.5: (1.2, 0.07),
    0.6: (1.1, 0.0),
    0.7: (1.2, 0.0),
    0.8: (1.43, 0.0),
    0.9: (1.46, 0.0),
    1.0: (1.7, 0.0),
}
FIG9_NOTE = "784-2048-2048-2048-10, no input dropout; (b) p x n = 256, 256, 512; values read off the plot"

# Figure 10 (784-1024-1024-2048-10, p = 0.5 hidden / 0.8 input): size -> (dropout, no dropout), read off the plot.
FIG10: dict[int, tuple[float, float]] = {
    100: (26.6, 22.8),
    500: (13.2, 13.1),
    1000: (10.6, 10.7),
    5000: (2.9, 4.7),
    10000: (2.4, 3.3),
    50000: (1.3, 1.7),
}
FIG10_NOTE = (
    "784-1024-1024-2048-10, random MNIST subsets; dropout hurts at 100, no gain at 500-1K, "
    "largest gain at 5K; values read off the plot"
)

# Figure 11: MC model averaging over k sampled nets (k -> error) vs weight scaling, read off the plot.
FIG11_MC: dict[int, float] = {3: 1.28, 5: 1.18, 9: 1.10, 20: 1.07, 50: 1.05}
FIG11_WEIGHT_SCALING = 1.05
FIG11_NOTE = "MC error matches weight scaling at k ≈ 50; values read off the plot"

# Figure 4: test error over weight updates, read off the plot (six architectures, 2-4 layers x 1024/2048).
FIG4_DROPOUT: dict[int, tuple[float, float]] = {50_000: (1.45, 1.45), 200_000: (1.25, 1.25), 1_000_000: (1.0, 1.15)}
FIG4_NO_DROPOUT: dict[int, tuple[float, float]] = {50_000: (1.6, 1.9), 200_000: (1.6, 1.9), 1_000_000: (1.6, 1.9)}
FIG4_NOTE = (
    "{2,3,4} hidden layers x {1024, 2048} units: without dropout every net plateaus by ≈50K updates at "
    "≈1.6-1.9 %; with dropout ≈1.45 % at 50K, ≈1.25 % at 200K, ≈1.0-1.15 % at 1M (ranges over nets)"
)

NOTES = {
    "table2": (
        "Table 2 (MNIST, 3 x 1024 dropout nets); hatched rows come from elsewhere: Gaussian and its "
        "Bernoulli baseline from Table 10 (2 x 1024), DropConnect and standard ReLU from Wan et al. 2013"
    ),
    "fig4": FIG4_NOTE,
    "fig9a": FIG9_NOTE,
    "fig9b": FIG9_NOTE,
    "fig10": FIG10_NOTE,
    "fig11": FIG11_NOTE,
    "gaussian": "Table 10: MNIST 2 x 1024, mean ± sd over 10 runs",
}


def fig4_ranges() -> tuple[tuple[int, ...], tuple[tuple[float, float], ...], tuple[tuple[float, float], ...]]:
    """Figure 4 as (weight updates, (low, high) without dropout, (low, high) with dropout)."""
    updates = tuple(sorted(FIG4_DROPOUT))
    return updates, tuple(FIG4_NO_DROPOUT[u] for u in updates), tuple(FIG4_DROPOUT[u] for u in updates)


def fig9_columns() -> tuple[np.ndarray, ...]:
    """Figure 9 as arrays: p, (a) test, (a) train, (b) test, (b) train (error %)."""
    keep_ps = sorted(FIG9A)
    columns = (keep_ps, *([table[p][i] for p in keep_ps] for table in (FIG9A, FIG9B) for i in (0, 1)))
    return tuple(np.array(column, dtype=float) for column in columns)


def fig10_columns() -> tuple[np.ndarray, ...]:
    """Figure 10 as arrays: training-set size, error % with dropout, without dropout."""
    sizes = sorted(FIG10)
    return tuple(np.array(column, dtype=float) for column in (sizes, *([FIG10[n][i] for n in sizes] for i in (0, 1))))


def reference_rows(experiment: str) -> list[dict]:
    """The paper's values for ``experiment`` as flat rows: series, x, error (%), std, approx, note."""
    rows: list[dict] = []
    if experiment == "table2":
        for series, value in TABLE2.items():
            if value is not None:
                rows.append(
                    {
                        "series": series,
                        "x": None,
                        "error": value.error,
                        "std": value.std,
                        "approx": value.approx,
                        "note": value.note,
                        "source": value.source,
                        "other_source": value.other_source,
                    }
                )
    elif experiment == "gaussian":
        for series, value in TABLE10.items():
            rows.append(
                {
                    "series": series,
                    "x": None,
                    "error": value.error,
                    "std": value.std,
                    "approx": False,
                    "note": value.note,
                    "source": value.source,
                }
            )
    elif experiment in ("fig9a", "fig9b"):
        table = FIG9A if experiment == "fig9a" else FIG9B
        for p, (test, train) in table.items():
            rows.append(
                {
                    "series": "test",
                    "x": p,
                    "error": test,
                    "std": None,
                    "approx": True,
                    "note": FIG9_NOTE,
                    "source": SOURCE,
                }
            )
            rows.append(
                {
                    "series": "train",
                    "x": p,
                    "error": train,
                    "std": None,
                    "approx": True,
                    "note": FIG9_NOTE,
                    "source": SOURCE,
                }
            )
    elif experiment == "fig10":
        for size, (with_dropout, without) in FIG10.items():
            rows.append(
                {
                    "series": "dropout",
                    "x": size,
                    "error": with_dropout,
                    "std": None,
                    "approx": True,
                    "note": FIG10_NOTE,
                    "source": SOURCE,
                }
            )
            rows.append(
                {
                    "series": "no dropout",
                    "x": size,
                    "error": without,
                    "std": None,
                    "approx": True,
                    "note": FIG10_NOTE,
                    "source": SOURCE,
                }
            )
    elif experiment == "fig11":
        for k, error in FIG11_MC.items():
            rows.append(
                {
                    "series": "Monte-Carlo",
                    "x": k,
                    "error": error,
                    "std": None,
                    "approx": True,
                    "note": FIG11_NOTE,
                    "source": SOURCE,
                }
            )
        rows.append(
            {
                "series": "weight scaling",
                "x": None,
                "error": FIG11_WEIGHT_SCALING,
                "std": None,
                "approx": True,
                "note": FIG11_NOTE,
                "source": SOURCE,
            }
        )
    elif experiment == "fig4":
        for updates, (low, high) in FIG4_DROPOUT.items():
            rows.append(
                {
                    "series": "dropout",
                    "x": updates,
                    "error": (low + high) / 2,
                    "low": low,
                    "high": high,
                    "std": None,
                    "approx": True,
                    "note": FIG4_NOTE,
                    "source": SOURCE,
                }
            )
        for updates, (low, high) in FIG4_NO_DROPOUT.items():
            rows.append(
                {
                    "series": "no dropout",
                    "x": updates,
                    "error": (low + high) / 2,
                    "low": low,
                    "high": high,
                    "std": None,
                    "approx": True,
                    "note": FIG4_NOTE,
                    "source": SOURCE,
                }
            )
    else:
        raise ValueError(f"no paper values for experiment {experiment!r}")
    return rows
