"""The mask illustration: a dropout mask (whole rows and columns) beside a DropConnect mask (independent entries)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ...dropout_math import count_subnetworks, effective_weight_mask_dropconnect, effective_weight_mask_dropout
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
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.06,
        subplot_titles=(
            f"{_break_title(text['mask_dropout'])}<br><sub>{counts['dropout']}</sub>",
            f"{_break_title(text['mask_dropconnect'])}<br><sub>{counts['dropconnect']}</sub>",
        ),
    )
    colours = [[0, "#f0f0f0"], [1, "#2e86ab"]]
    for col, matrix in ((1, dropout), (2, dropconnect)):
        fig.add_trace(
            go.Heatmap(
                z=matrix,
                zmin=0,
                zmax=1,
                colorscale=colours,
                showscale=False,
                xgap=1,
                ygap=1,
                hovertemplate=f"{text['to_unit']} %{{y}}, {text['from_unit']} %{{x}}: %{{z}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", showticklabels=False, row=1, col=col
        )
        fig.update_xaxes(showticklabels=False, row=1, col=col)
    fig.update_layout(height=350, margin={"l": 10, "r": 10, "t": 90, "b": 10})
    fig.update_annotations(font_size=13)
    return fig
