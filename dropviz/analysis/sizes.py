"""How many test examples and samples each analysis uses by default, by net size (both analysis pages)."""

from __future__ import annotations

BIG_NET_PARAMETERS = 500_000


def interactive_sizes(n_parameters: int) -> dict:
    """How many test examples / samples each analysis uses by default, by net size.

    Costs scale with examples x samples x parameters; for a 784-1024-1024-10 net
    (1.9M parameters, ~3.7 MFLOP per example and sampled net) these keep each
    analysis to a few seconds on one core (bench/bench_analysis.py). Users can
    ask for more on the page.
    """
    big = n_parameters > BIG_NET_PARAMETERS
    return {
        "measures": 2000,
        "ablation": 1000 if big else 2000,
        "ablation_draws": 3 if big else 5,
        "mc": 300 if big else 2000,
        "uncertainty": 500 if big else 1000,
        "dropconnect": 300 if big else 2000,
        "dropconnect_k": 32 if big else 64,
        "gaussian_samples": (1, 4, 16, 64) if big else (1, 4, 16, 64, 256),
    }
