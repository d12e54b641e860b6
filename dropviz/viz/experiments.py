"""Figures of the paper's experiments: this run on the left, the paper's MNIST values on the right.

Plain data in (the rows of :func:`dropviz.experiments.summarize`, the curves
of :func:`dropviz.experiments.mean_curves`, :func:`dropviz.paper.reference_rows`),
a ``go.Figure`` out. The two panels have their own y axes on purpose: the
paper's numbers are MNIST error rates (around 1 %), ours may come from another
data set and smaller nets, so the comparison is of shapes, not of levels.
"""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..paper import DATASET as PAPER_DATASET
from ..paper import SOURCE as PAPER_SOURCE

OURS_COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
)
PAPER_COLOR = "#555555"
KINDS = {
    "table2": "bars",
    "gaussian": "bars",
    "fig4": "curves",
    "fig9a": "xy",
    "fig9b": "xy",
    "fig10": "xy",
    "fig11": "mc",
}
X_TITLES = {
    "fig9a": "keep probability p",
    "fig9b": "keep probability p",
    "fig10": "training-set size",
    "fig11": "k (sampled thinned nets averaged)",
    "fig4": "weight updates",
}


def _color(index: int) -> str:
    return OURS_COLORS[index % len(OURS_COLORS)]


def _panels(dataset: str, preset: str, paper_note: str = "") -> tuple[go.Figure, str, str]:
    left = f"This run: {dataset}" + (f", preset {preset}" if preset else "")
    right = f"Paper's values: {PAPER_DATASET} ({PAPER_SOURCE})"
    figure = make_subplots(rows=1, cols=2, subplot_titles=(left, right), horizontal_spacing=0.1)
    figure.update_layout(
        template="plotly_white",
        height=460,
        margin=dict(t=70, b=50, l=60, r=20),
        legend=dict(orientation="h", yanchor="top", y=-0.15),
    )
    figure.update_yaxes(title_text="test error (%)", row=1, col=1)
    figure.update_yaxes(title_text=f"{PAPER_DATASET} test error (%)", row=1, col=2)
    if paper_note:
        figure.add_annotation(
            text=f"paper: {paper_note}",
            xref="paper",
            yref="paper",
            x=1.0,
            y=-0.32,
            showarrow=False,
            font=dict(size=10, color=PAPER_COLOR),
            xanchor="right",
        )
    return figure, left, right


def _error_bars(values: Sequence[float | None]) -> dict:
    return dict(type="data", array=[v or 0.0 for v in values], visible=True, thickness=1)


def experiment_figure(
    experiment: str,
    summary: Sequence[dict],
    *,
    curves: Sequence[dict] | None = None,
    paper_rows: Sequence[dict] | None = None,
    dataset: str = "",
    preset: str = "",
    paper_note: str = "",
) -> go.Figure:
    """The figure of ``experiment`` (see KINDS) with this run and the paper side by side."""
    kind = KINDS.get(experiment)
    if kind is None:
        raise ValueError(f"no figure for experiment {experiment!r}; known: {', '.join(KINDS)}")
    rows = [row for row in summary if row.get("experiment", experiment) == experiment]
    figure, _, _ = _panels(dataset, preset, paper_note)
    paper_rows = list(paper_rows or ())
    if kind == "bars":
        _bars(figure, rows, paper_rows)
    elif kind == "curves":
        _curves(figure, curves or (), paper_rows)
    elif kind == "xy":
        _xy(figure, experiment, rows, paper_rows)
    else:
        _mc(figure, rows, paper_rows)
    if experiment in X_TITLES:
        figure.update_xaxes(title_text=X_TITLES[experiment], row=1, col=1)
        figure.update_xaxes(title_text=X_TITLES[experiment], row=1, col=2)
    if experiment in ("fig10", "fig11", "fig4"):
        figure.update_xaxes(type="log", row=1, col=1)
        figure.update_xaxes(type="log", row=1, col=2)
    figure.update_layout(
        meta={"experiment": experiment, "dataset": dataset, "preset": preset, "paper_dataset": PAPER_DATASET}
    )
    return figure


def _bars(figure: go.Figure, rows: Sequence[dict], paper_rows: Sequence[dict]) -> None:
    names = [row["condition"] for row in rows]
    figure.add_trace(
        go.Bar(
            x=names,
            y=[row["test_error_pct_mean"] for row in rows],
            error_y=_error_bars([row["test_error_pct_std"] for row in rows]),
            marker_color=[_color(i) for i in range(len(rows))],
            name="this run: mean ± std over seeds",
            hovertemplate="%{x}<br>test error %{y:.2f} %<extra></extra>",
        ),
        row=1,
        col=1,
    )
    paper_names = [row["series"] for row in paper_rows]
    color_of = {name: _color(i) for i, name in enumerate(names)}
    figure.add_trace(
        go.Bar(
            x=paper_names,
            y=[row["error"] for row in paper_rows],
            error_y=_error_bars([row.get("std") for row in paper_rows]),
            marker=dict(
                color=[color_of.get(name, PAPER_COLOR) for name in paper_names],
                opacity=0.55,
                pattern_shape=["/" if row.get("approx") or row.get("other_source") else "" for row in paper_rows],
            ),
            name=f"paper ({PAPER_DATASET}); hatched: approximate / other source",
            customdata=[row.get("note", "") for row in paper_rows],
            hovertemplate="%{x}<br>%{y:.2f} %<br>%{customdata}<extra>paper</extra>",
        ),
        row=1,
        col=2,
    )
    figure.update_xaxes(tickangle=-30)


def _series_order(rows: Sequence[dict]) -> list[str]:
    return list(dict.fromkeys(row["series"] for row in rows))


def _xy(figure: go.Figure, experiment: str, rows: Sequence[dict], paper_rows: Sequence[dict]) -> None:
    two_errors = experiment in ("fig9a", "fig9b")
    for index, series in enumerate(_series_order(rows)):
        points = sorted((row for row in rows if row["series"] == series), key=lambda row: row["x"])
        x = [row["x"] for row in points]
        if two_errors:
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=[row["test_error_pct_mean"] for row in points],
                    mode="lines+markers",
                    error_y=_error_bars([row["test_error_pct_std"] for row in points]),
                    name="this run: test error",
                    line=dict(color=_color(0)),
                ),
                row=1,
                col=1,
            )
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=[row["train_error_pct_mean"] for row in points],
                    mode="lines+markers",
                    error_y=_error_bars([row["train_error_pct_std"] for row in points]),
                    name="this run: train error",
                    line=dict(color=_color(1), dash="dash"),
                ),
                row=1,
                col=1,
            )
        else:
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=[row["test_error_pct_mean"] for row in points],
                    mode="lines+markers",
                    error_y=_error_bars([row["test_error_pct_std"] for row in points]),
                    name=f"this run: {series}",
                    line=dict(color=_color(index), dash="solid" if index == 0 else "dash"),
                ),
                row=1,
                col=1,
            )
    for index, series in enumerate(_series_order(paper_rows)):
        points = sorted((row for row in paper_rows if row["series"] == series), key=lambda row: row["x"])
        figure.add_trace(
            go.Scatter(
                x=[row["x"] for row in points],
                y=[row["error"] for row in points],
                mode="lines+markers",
                name=f"paper ({PAPER_DATASET}, ≈): {series}",
                marker=dict(symbol="diamond"),
                line=dict(color=_color(index), dash="solid" if index == 0 else "dash"),
                opacity=0.6,
            ),
            row=1,
            col=2,
        )


def _mc(figure: go.Figure, rows: Sequence[dict], paper_rows: Sequence[dict]) -> None:
    mc = sorted((row for row in rows if row["series"] == "Monte-Carlo"), key=lambda row: row["x"])
    scaled = [row for row in rows if row["series"] == "weight scaling"]
    if mc:
        figure.add_trace(
            go.Scatter(
                x=[row["x"] for row in mc],
                y=[row["test_error_pct_mean"] for row in mc],
                mode="lines+markers",
                error_y=_error_bars([row["test_error_pct_std"] for row in mc]),
                name="this run: Monte-Carlo average",
                line=dict(color=_color(0)),
            ),
            row=1,
            col=1,
        )
    if scaled and mc:
        value = scaled[0]["test_error_pct_mean"]
        figure.add_trace(
            go.Scatter(
                x=[mc[0]["x"], mc[-1]["x"]],
                y=[value, value],
                mode="lines",
                name="this run: weight scaling",
                line=dict(color=_color(1), dash="dash"),
            ),
            row=1,
            col=1,
        )
    paper_mc = sorted((row for row in paper_rows if row["series"] == "Monte-Carlo"), key=lambda row: row["x"])
    paper_scaled = [row for row in paper_rows if row["series"] == "weight scaling"]
    if paper_mc:
        figure.add_trace(
            go.Scatter(
                x=[row["x"] for row in paper_mc],
                y=[row["error"] for row in paper_mc],
                mode="lines+markers",
                name=f"paper ({PAPER_DATASET}, ≈): Monte-Carlo",
                marker=dict(symbol="diamond"),
                line=dict(color=_color(0)),
                opacity=0.6,
            ),
            row=1,
            col=2,
        )
    if paper_scaled and paper_mc:
        value = paper_scaled[0]["error"]
        figure.add_trace(
            go.Scatter(
                x=[1, paper_mc[-1]["x"]],
                y=[value, value],
                mode="lines",
                name=f"paper ({PAPER_DATASET}, ≈): weight scaling",
                line=dict(color=_color(1), dash="dash"),
                opacity=0.6,
            ),
            row=1,
            col=2,
        )


def _curves(figure: go.Figure, curves: Sequence[dict], paper_rows: Sequence[dict]) -> None:
    conditions = list(dict.fromkeys(row["condition"] for row in curves))
    architectures = list(dict.fromkeys(c.rsplit(",", 1)[0] for c in conditions))
    for condition in conditions:
        points = [row for row in curves if row["condition"] == condition]
        architecture = condition.rsplit(",", 1)[0]
        dropout = "no dropout" not in condition
        figure.add_trace(
            go.Scatter(
                x=[row["step"] for row in points],
                y=[row["test_error_pct"] for row in points],
                mode="lines",
                name=f"this run: {condition}",
                legendgroup=architecture,
                line=dict(color=_color(architectures.index(architecture)), dash="solid" if dropout else "dot"),
            ),
            row=1,
            col=2 - 1,
        )
    for index, series in enumerate(_series_order(paper_rows)):
        points = sorted((row for row in paper_rows if row["series"] == series), key=lambda row: row["x"])
        figure.add_trace(
            go.Scatter(
                x=[row["x"] for row in points],
                y=[row["error"] for row in points],
                mode="lines+markers",
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[row["high"] - row["error"] for row in points],
                    arrayminus=[row["error"] - row["low"] for row in points],
                ),
                name=f"paper ({PAPER_DATASET}, ≈ range over 6 nets): {series}",
                marker=dict(symbol="diamond"),
                line=dict(color=PAPER_COLOR, dash="solid" if series == "dropout" else "dot"),
            ),
            row=1,
            col=2,
        )


def summary_table(summary: Sequence[dict], paper_rows: Sequence[dict] | None = None) -> list[dict]:
    """Rows for a table/CSV: this run's mean ± std beside the paper's value for the same condition."""
    paper_by_key = {}
    for row in paper_rows or ():
        paper_by_key[(row["series"], row["x"])] = row["error"]
    table = []
    for row in summary:
        key = (row["series"], row["x"])
        paper_value = paper_by_key.get(key)
        if paper_value is None and row["x"] is not None:
            paper_value = paper_by_key.get(("test", row["x"]))  # fig9: the paper's test-error row
        table.append(
            {
                "experiment": row["experiment"],
                "condition": row["condition"],
                "seeds": row["n"],
                "test error % (mean)": row["test_error_pct_mean"],
                "test error % (std)": row["test_error_pct_std"],
                "train error % (mean)": row["train_error_pct_mean"],
                "train error % (std)": row["train_error_pct_std"],
                "validation error % (mean)": row.get("val_error_pct_mean"),
                "learning rate (chosen, per seed)": _choices(row.get("lr_chosen"), "{:g}"),
                "stopping epoch (chosen, per seed)": _choices(row.get("stop_epoch_chosen"), "{:.1f}"),
                f"paper {PAPER_DATASET} test error %": paper_value,
            }
        )
    return table


def _choices(values, fmt: str) -> str:
    """The protocol's per-seed choices as text ("0.03, 0.1"); empty for results stored without a protocol."""
    values = [v for v in (values or ()) if v is not None]
    return ", ".join(fmt.format(v) for v in values)
