"""Decision boundaries of 2-D data: model probabilities on a grid, drawn as one picture per run with the data points."""

from __future__ import annotations

import base64
import io
import threading
from typing import Mapping

import numpy as np
import plotly.graph_objects as go
import torch

from .common import CLASS_COLOURS, _axis_ref, _labels, live_figure, panels_layout

DOTS_KEPT = 32  # data-point pictures kept (one per data set, panel size and range; up to ~0.4 MB each)
_DOTS: dict = {}
_DOTS_LOCK = threading.Lock()


def plane_grid(
    model: torch.nn.Module, x_range: tuple[float, float], y_range: tuple[float, float], resolution: int
) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """The input plane as a resolution x resolution grid: (xs, ys, points on the model's device), row-major
    from the lowest y."""
    xs = np.linspace(*x_range, resolution, dtype=np.float32)
    ys = np.linspace(*y_range, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    points = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    parameter = next(model.parameters(), None)
    return xs, ys, points if parameter is None else points.to(parameter.device)


@torch.no_grad()
def predict_grid(
    model: torch.nn.Module, x_range: tuple[float, float], y_range: tuple[float, float], resolution: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class probabilities of an eval-mode model on a resolution x resolution grid: (xs, ys, probs[ny, nx, k])."""
    xs, ys, points = plane_grid(model, x_range, y_range, resolution)
    was_training = model.training
    model.eval()
    try:
        probs = torch.softmax(model(points), dim=1).cpu().numpy()
    finally:
        model.train(was_training)
    return xs, ys, probs.reshape(resolution, resolution, -1)


def plot_range(*arrays: np.ndarray, margin: float = 0.25) -> tuple[tuple[float, float], tuple[float, float]]:
    points = np.concatenate([np.asarray(a, float) for a in arrays if len(a)], axis=0)
    low, high = points.min(0) - margin, points.max(0) + margin
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


# Pixels across one panel of the decision-boundary picture; its dots are drawn at BOUNDARY_SUPERSAMPLE
# times that and reduced, so their edges are smooth.
BOUNDARY_PIXELS = 360
BOUNDARY_SUPERSAMPLE = 2
REGION_OPACITY = 0.45
BOUNDARY_LINE = (34, 34, 34)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


def _region_palette(n_classes: int) -> np.ndarray:
    """uint8 colours of the regions over white. Two classes: 256 levels of P(class 1), a diverging
    scale through white at 50/50 (full class colour only at certainty). More: one per class."""
    white = np.full(3, 255.0)
    if n_classes == 2:
        p1 = np.linspace(0, 1, 256)[:, None]
        colour = np.where(p1 >= 0.5, _rgb(CLASS_COLOURS[1]), _rgb(CLASS_COLOURS[0]))
        tint = white + (colour - white) * np.abs(p1 - 0.5) * 2
    else:
        tint = np.stack([_rgb(CLASS_COLOURS[c % len(CLASS_COLOURS)]) for c in range(n_classes)])
    return np.round(white + (tint - white) * REGION_OPACITY).astype(np.uint8)


def _region_pixels(probs: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width, 3) uint8 RGB of the decision regions, row 0 at the lowest y: the grid's class
    probabilities interpolated bilinearly (the grid spans the panel exactly) and looked up in
    :func:`_region_palette`, with the boundary drawn where the predicted class changes between
    neighbouring pixels."""
    grid = torch.from_numpy(np.ascontiguousarray(probs, dtype=np.float32)).permute(2, 0, 1)[None]
    n_classes = grid.shape[1]
    if n_classes == 2:
        grid = grid[:, 1:]  # P(class 1) says it all
    fine = torch.nn.functional.interpolate(grid, size=(height, width), mode="bilinear", align_corners=True)[0]
    if n_classes == 2:
        level = (fine[0] * 255).round().clamp(0, 255).to(torch.uint8).numpy()
        winner = level >= 128
        pixels = _region_palette(2)[level]
    else:
        winner = fine.argmax(0).numpy()
        pixels = _region_palette(n_classes)[winner]
    edge = np.zeros(winner.shape, bool)
    edge[:, 1:] |= winner[:, 1:] != winner[:, :-1]
    edge[1:, :] |= winner[1:, :] != winner[:-1, :]
    edge[:, :-1] |= edge[:, 1:].copy()  # two pixels wide, like a contour line of width 2
    edge[:-1, :] |= edge[1:, :].copy()
    pixels[edge] = BOUNDARY_LINE
    return pixels


def _panel_size(x_range, y_range, pixels: int = BOUNDARY_PIXELS) -> tuple[int, int]:
    """(width, height) in pixels of a panel picture: ``pixels`` wide, the data's aspect."""
    (x0, x1), (y0, y1) = x_range, y_range
    return pixels, max(1, round(pixels * (y1 - y0) / (x1 - x0)))


def _dots_layer(width: int, height: int, x_range, y_range, x_train, y_train, x_test, y_test):
    """The data points as an RGBA picture (top row first) to lay over the regions: training points
    filled with a white rim, test points as rings. Drawn BOUNDARY_SUPERSAMPLE times larger and
    reduced, for smooth edges. Kept for the same points and panel (every refresh of a run, and a
    room's sessions on the same demo): drawing them was a fifth of a live refresh's server time.
    The picture is shared: callers compose onto copies (Image.alpha_composite), never draw on it."""
    arrays = [np.ascontiguousarray(values) for values in (x_train, y_train, x_test, y_test)]
    key = (width, height, tuple(map(float, x_range)), tuple(map(float, y_range)))
    key += tuple((a.dtype.str, a.shape, a.tobytes()) for a in arrays)
    with _DOTS_LOCK:
        dots = _DOTS.pop(key, None)
        if dots is not None:
            _DOTS[key] = dots  # most recently used last
            return dots
    dots = _draw_dots(width, height, x_range, y_range, *arrays)
    with _DOTS_LOCK:
        _DOTS[key] = dots
        while len(_DOTS) > DOTS_KEPT:
            _DOTS.pop(next(iter(_DOTS)))
    return dots


def _draw_dots(width: int, height: int, x_range, y_range, x_train, y_train, x_test, y_test):
    from PIL import Image, ImageDraw

    (x0, x1), (y0, y1) = x_range, y_range
    scale = BOUNDARY_SUPERSAMPLE
    big_w, big_h = width * scale, height * scale
    dots = Image.new("RGBA", (big_w, big_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(dots)

    def to_pixel(points: np.ndarray) -> np.ndarray:
        return np.stack([(points[:, 0] - x0) / (x1 - x0) * big_w, (y1 - points[:, 1]) / (y1 - y0) * big_h], axis=1)

    def colour(label) -> tuple[int, ...]:
        return tuple(int(v) for v in _rgb(CLASS_COLOURS[int(label) % len(CLASS_COLOURS)])) + (255,)

    for (px, py), label in zip(to_pixel(np.asarray(x_test, float)), np.asarray(y_test)):
        radius = 3 * scale
        draw.ellipse((px - radius, py - radius, px + radius, py + radius), outline=colour(label), width=scale)
    for (px, py), label in zip(to_pixel(np.asarray(x_train, float)), np.asarray(y_train)):
        radius = 5 * scale
        draw.ellipse(
            (px - radius, py - radius, px + radius, py + radius),
            fill=colour(label),
            outline=(255, 255, 255, 255),
            width=scale,
        )
    return dots.resize((width, height), Image.Resampling.LANCZOS)


def boundary_panel_image(
    probs: np.ndarray | None,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    pixels: int = BOUNDARY_PIXELS,
    dots=None,
) -> tuple[str, int, int]:
    """One panel of the decision-boundary view as a WebP data URI (row 0 of the image is the lowest y),
    ``pixels`` wide and as high as keeps the data's aspect (dots stay round); returns (uri, width, height).

    A picture rather than SVG traces: hundreds of SVG markers plus a contour made it the costliest
    chart for the browser to draw on a live refresh (99 vs 33 ms to mount, measured in Chromium). ``dots``
    (a :func:`_dots_layer` of the same size) saves drawing the points again for another panel.
    """
    from PIL import Image

    width, height = _panel_size(x_range, y_range, pixels)
    if probs is not None and probs.size:
        canvas = _region_pixels(probs, height, width)
    else:
        canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    # Image rows run top-down: the regions are flipped in, the finished picture flipped back below.
    regions = Image.fromarray(np.ascontiguousarray(np.flipud(canvas))).convert("RGBA")
    if dots is None:
        dots = _dots_layer(width, height, x_range, y_range, x_train, y_train, x_test, y_test)
    image = Image.alpha_composite(regions, dots).convert("RGB").transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    buffer = io.BytesIO()
    # WebP: a fifth of the PNG's bytes for this smooth picture (it is re-sent with every redraw).
    image.save(buffer, format="WEBP", quality=90, method=1)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), width, height


def boundary_panel_pixels(trace) -> np.ndarray:
    """A boundary panel's picture back as (height, width, 3) RGB integers, row 0 at the lowest y
    (used by the tests, which check what the picture shows)."""
    from PIL import Image

    data = base64.b64decode(trace.source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def picture_panel(layout: dict, col: int, name: str, source: str, width: int, height: int, x_range, y_range) -> dict:
    """The image trace that lays a ``width`` x ``height`` picture over panel ``col``'s data ranges, its
    axes in ``layout`` made bare and kept to the picture's aspect (a boundary panel, a strip panel)."""
    dx, dy = (x_range[1] - x_range[0]) / width, (y_range[1] - y_range[0]) / height
    suffix = "" if col == 1 else str(col)
    bare = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": "", "autorange": False}
    layout[f"xaxis{suffix}"].update(range=list(x_range), **bare)
    layout[f"yaxis{suffix}"].update(range=list(y_range), scaleanchor=f"x{suffix}", **bare)
    return {
        "type": "image",
        **_axis_ref(col),
        "name": name,
        "source": source,
        "x0": x_range[0] + dx / 2,
        "dx": dx,
        "y0": y_range[0] + dy / 2,
        "dy": dy,
        "hoverinfo": "skip",
    }


def boundary_figure(
    grids: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    titles: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    max_test_points: int = 400,
) -> go.Figure:
    """Decision regions of each run side by side, with training points (filled) and test points (rings).

    Each panel is one picture (:func:`boundary_panel_image`) placed on its data axes; a note under
    the panels says which dots are training and which test points.
    """
    text = _labels(labels)
    runs = list(grids)
    titles = titles or {}
    layout = panels_layout([titles.get(run, text.get(run, run)) for run in runs] or [""], spacing=0.05, title_size=16)
    x_train, y_train = np.asarray(x_train, float), np.asarray(y_train)
    x_test, y_test = np.asarray(x_test, float)[:max_test_points], np.asarray(y_test)[:max_test_points]
    traces = []
    # The panels share their ranges: the points are drawn once, and the pre-training panels
    # (no regions yet, the same picture) are encoded once.
    dots_by_range: dict = {}
    untrained_by_range: dict = {}
    for col, run in enumerate(runs, start=1):
        xs, ys, probs = grids[run]
        x_range, y_range = (float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1]))
        key = (x_range, y_range)
        if key not in dots_by_range:
            dots_by_range[key] = _dots_layer(
                *_panel_size(x_range, y_range), x_range, y_range, x_train, y_train, x_test, y_test
            )
        if probs is None and key in untrained_by_range:
            source, width, height = untrained_by_range[key]
        else:
            source, width, height = boundary_panel_image(
                probs, x_range, y_range, x_train, y_train, x_test, y_test, dots=dots_by_range[key]
            )
            if probs is None:
                untrained_by_range[key] = (source, width, height)
        traces.append(picture_panel(layout, col, f"{run} regions", source, width, height, x_range, y_range))
    layout["annotations"].append(
        {
            "text": f"● {text['train']}    ○ {text['test']}",
            "x": 0,
            "y": 0,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "top",
            "yshift": -4,
            "showarrow": False,
            "font": {"size": 12},
        }
    )
    layout.update(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 24}, showlegend=False, uirevision="boundary")
    return live_figure(traces, layout)
