"""Shared by the Playground figures: colours, default labels, side-by-side panel layouts, unvalidated figures."""

from __future__ import annotations

from typing import Mapping, Sequence

import plotly.graph_objects as go

RUN_STYLE = {"method": "solid", "baseline": "dash"}
SPLIT_COLOUR = {"train": "#1f77b4", "test": "#d62728"}
POSITIVE, NEGATIVE, DROPPED = "#e4572e", "#2e86ab", "#c8c8c8"
CLASS_COLOURS = (
    "#2e86ab",
    "#e4572e",
    "#3bb273",
    "#7768ae",
    "#f2a541",
    "#8d6a9f",
    "#4d9de0",
    "#e15554",
    "#7bc950",
    "#333333",
)
WIDTH_BUCKETS = (0.6, 1.4, 2.6, 4.2)  # line widths for the |w| quartiles

DEFAULT_LABELS = {
    "method": "dropout",
    "baseline": "no-dropout twin",
    "train": "train",
    "test": "test",
    "loss": "cross-entropy loss",
    "error": "error rate",
    "epoch": "epoch",
    "gap": "generalization gap (test − train loss)",
    "no_data": "press Train to see the curves",
    "kept": "kept",
    "dropped": "dropped",
    "input": "input",
    "hidden": "hidden",
    "output": "output",
    "shown": "{shown} of {total} shown",
    "play": "▶ play",
    "pause": "❚❚",
    "step": "step",
    "mask_dropout": "dropout: whole rows and columns",
    "mask_dropconnect": "DropConnect: independent entries",
    "sub_networks": "{text} sub-networks",
    "to_unit": "to unit",
    "from_unit": "from unit",
    "pred": "pred",
    "true": "true",
    "twin_pred": "twin",
    "lines": "lines under each image: {order}",
    "batch_loss": "mini-batch loss (smoothed)",
    "no_eval_yet": "mini-batch loss until the first evaluation",
    "diverged_at": "diverged at step {step}",
}


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(labels or {})}


def panels_layout(titles: Sequence[str], *, spacing: float = 0.08, title_size: int = 14) -> dict:
    """Layout of side-by-side panels (axes ``x``/``y``, ``x2``/``y2``, ...) with a title over each.

    The live views are rebuilt several times a second; ``make_subplots`` alone
    costs ~30 ms per figure here, a layout dict well under 1 ms.
    """
    n = max(1, len(titles))
    width = (1.0 - spacing * (n - 1)) / n
    layout: dict = {"annotations": []}
    for index in range(n):
        suffix = "" if index == 0 else str(index + 1)
        start = index * (width + spacing)
        # Fixed margins: automatic ones make Plotly lay the chart out twice on every redraw.
        layout[f"xaxis{suffix}"] = {"domain": [start, start + width], "anchor": f"y{suffix}", "automargin": False}
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "automargin": False}
        if index < len(titles) and titles[index]:
            layout["annotations"].append(
                {
                    "text": titles[index],
                    "x": start + width / 2,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": title_size},
                }
            )
    return layout


def live_figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from trace/layout dicts without plotly's per-property validation.

    The Playground redraws these figures several times a second and validation
    was most of their cost; the builders' output is validated in the tests
    instead (``go.Figure(fig.to_dict())``), so a wrong property still fails there.
    """
    return go.Figure(data=data, layout=layout, frames=frames, _validate=False)


def _axis_ref(col: int) -> dict[str, str]:
    return {"xaxis": f"x{col if col > 1 else ''}", "yaxis": f"y{col if col > 1 else ''}"}


def vertical_line(x: float, col: int, line: dict) -> dict:
    """A shape: a vertical line at data ``x`` across the whole height of panel ``col`` (1-based)."""
    suffix = "" if col == 1 else str(col)
    return {
        "type": "line",
        "xref": f"x{suffix}",
        "yref": f"y{suffix} domain",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": line,
    }


def line_label(x: float, text: str, colour: str, size: int, **style) -> dict:
    """An annotation: ``text`` beside the top of a :func:`vertical_line` at ``x`` in the first panel."""
    return {
        "text": text,
        "x": x,
        "xref": "x",
        "y": 1.0,
        "yref": "y domain",
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "font": {"size": size, "color": colour},
        **style,
    }
