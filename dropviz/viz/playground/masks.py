"""The Playground's mask illustration: samples the two masks and counts sub-networks; drawn by the one mask figure."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ...dropout_math import count_subnetworks, effective_weight_mask_dropconnect, effective_weight_mask_dropout
from ..math_figures import mask_comparison_figure
from .common import _labels


def _break_title(title: str) -> str:
    """ "dropout: whole rows and columns" -> "dropout:<br>whole rows and columns" (either colon)."""
    for colon in (": ", "："):
        if colon in title:
            head, tail = title.split(colon, 1)
            return f"{head}{colon.strip()}<br>{tail}"
    return title


def mask_matrix_figure(
    n_out: int, n_in: int, keep_p: float, *, seed: int = 0, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Effective mask on one (n_out, n_in) weight matrix: dropout (rows and columns) vs DropConnect (entries)."""
    text = _labels(labels)
    rng = np.random.default_rng(seed)
    dropout = effective_weight_mask_dropout(n_out, n_in, keep_p, rng, mask_outputs=True).astype(int)
    dropconnect = effective_weight_mask_dropconnect(n_out, n_in, keep_p, rng).astype(int)
    counts = {}
    for name, kwargs in (("dropout", {"mask_outputs": True}), ("dropconnect", {})):
        try:
            counts[name] = text["sub_networks"].format(text=count_subnetworks(n_out, n_in, name, **kwargs).text)
        except ValueError:
            counts[name] = ""
    # Each title on two lines (a half-width panel on a 1280-pixel screen cut one line off).
    return mask_comparison_figure(
        dropout,
        dropconnect,
        height=350,
        labels={
            "dropout_title": f"{_break_title(text['mask_dropout'])}<br><sub>{counts['dropout']}</sub>",
            "dropconnect_title": f"{_break_title(text['mask_dropconnect'])}<br><sub>{counts['dropconnect']}</sub>",
            "title": "",
            "x_label": text["from_unit"],
            "y_label": text["to_unit"],
        },
    )
