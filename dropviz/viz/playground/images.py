"""Image predictions: a grid of test images with the method's and the twin's predicted classes."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import torch

from .common import _labels


@torch.no_grad()
def predict_classes(models: Mapping[str, torch.nn.Module], inputs: torch.Tensor) -> dict[str, np.ndarray]:
    out = {}
    for run, model in models.items():
        parameter = next(model.parameters(), None)
        batch = inputs.to(parameter.device) if parameter is not None else inputs
        model.eval()
        out[run] = model(batch).argmax(1).cpu().numpy()
    return out


def image_grid_figure(
    images: np.ndarray,
    image_shape: tuple[int, int],
    y_true: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    *,
    columns: int = 4,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Test images tiled into one heatmap; under each, one line per run: its predicted class, ✓ or ✗.

    A band under every row of tiles holds the labels, and few columns leave each label a tile's
    width (a class name like "Ankle boot" must not run into its neighbour's on a 1280-pixel screen);
    the note under the grid says which line is which run.
    """
    text = _labels(labels)
    images = np.asarray(images, float)
    n = len(images)
    h, w = image_shape
    rows = max(1, int(np.ceil(n / columns)))
    pad = 1
    band = max(6, int(round(h * 0.5))) * max(1, len(predictions))  # label rows under each image row
    row_height = h + band
    canvas = np.full((rows * row_height, columns * (w + pad)), np.nan)
    annotations = []
    for index in range(n):
        r, c = divmod(index, columns)
        tile = images[index].reshape(h, w)
        span = tile.max() - tile.min()
        canvas[r * row_height : r * row_height + h, c * (w + pad) : c * (w + pad) + w] = (tile - tile.min()) / (
            span or 1
        )
        parts = []
        for run, predicted in predictions.items():
            ok = int(predicted[index]) == int(y_true[index])
            name = (
                class_names[int(predicted[index])]
                if int(predicted[index]) < len(class_names)
                else str(predicted[index])
            )
            colour = "#2a9d4b" if ok else "#d62728"
            parts.append(f"<span style='color:{colour}'>{name} {'✓' if ok else '✗'}</span>")
        annotations.append(
            {
                "x": c * (w + pad) + w / 2 - 0.5,
                "y": r * row_height + h - 0.5,
                "text": "<br>".join(parts),
                "showarrow": False,
                "yanchor": "top",
                "font": {"size": 11},
                "yshift": -1,
            }
        )
    order = " / ".join(text["pred"] if run == "method" else text["twin_pred"] for run in predictions)
    annotations.append(
        {
            "x": 0,
            "y": 0,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "top",
            "yshift": -2,
            "showarrow": False,
            "text": text["lines"].format(order=order),
            "font": {"size": 11},
        }
    )
    fig = go.Figure(go.Heatmap(z=canvas, colorscale="gray_r", showscale=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(
        annotations=annotations,
        height=120 + 140 * rows,
        margin={"l": 5, "r": 5, "t": 10, "b": 28},
        plot_bgcolor="#ffffff",
    )
    return fig
