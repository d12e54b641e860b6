"""Every hidden unit of a 2-D net as a small heat map of its activation over the input plane.

As TensorFlow Playground draws its neurons: one tile per unit, for the method
and its no-dropout twin, units dropped in the current mini-batch marked, and
the tiles ordered so that units computing nearly the same function sit
together. Near-duplicates (|correlation| of two units' maps over the plane
above :data:`DUPLICATE_CORRELATION`) are counted: co-adaptation made visible on
the user's own data. Computation here (testable), pictures as one image per
panel (as the decision boundary is: cheap to resend on every refresh).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import torch

from .playground import live_figure, panels_layout
from .playground.boundary import plane_grid

DUPLICATE_CORRELATION = 0.9
MAP_RESOLUTION = 24  # grid points per side of one unit's map
MAX_TILES = 32  # units drawn per layer and run; wider layers are sampled evenly (the count is stated)
MAX_CORRELATED_UNITS = 1024  # units entering the duplicate count of a very wide layer (sampled evenly)
TILE_COLUMNS = 8
TILE_GAP = 2  # pixels between tiles
TILE_SCALE = 1  # each map cell drawn as TILE_SCALE x TILE_SCALE pixels (the browser scales the picture up)
LOW, MID, HIGH = np.array([46, 134, 171.0]), np.array([255, 255, 255.0]), np.array([228, 87, 46.0])
DROPPED_TINT = np.array([200, 200, 200.0])


@dataclass
class LayerMaps:
    """One hidden layer of one run: which units are drawn, in which order, and how many are near-duplicates."""

    layer: int  # 1-based hidden layer
    n_units: int  # units in the layer
    units: np.ndarray  # indices of the drawn units, in drawing order
    maps: np.ndarray  # (len(units), resolution, resolution) activations, row 0 at the lowest y
    dropped: np.ndarray  # (len(units),) bool: dropped in the current mini-batch
    duplicate_pairs: int  # pairs with |corr| > DUPLICATE_CORRELATION among the counted units
    counted_units: int  # units that entered the count (all, or a sample of a very wide layer)
    dead_units: int  # counted units whose map is constant over the plane (no correlation defined)


def sample_units(n_units: int, max_units: int) -> np.ndarray:
    """Evenly spaced unit indices (all of them when the layer fits)."""
    if n_units <= max_units:
        return np.arange(n_units)
    return np.unique(np.linspace(0, n_units - 1, max_units).round().astype(int))


@torch.no_grad()
def activation_maps(
    model: torch.nn.Module, x_range: tuple[float, float], y_range: tuple[float, float], resolution: int = MAP_RESOLUTION
) -> list[np.ndarray]:
    """Each hidden layer's activations over a resolution x resolution grid of the input plane (eval mode):
    a list of (units, resolution, resolution) arrays, row 0 at the lowest y."""
    _, _, points = plane_grid(model, x_range, y_range, resolution)
    layers = model.hidden_activations(points)
    return [layer.T.reshape(-1, resolution, resolution).float().cpu().numpy() for layer in layers]


def unit_correlations(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(|corr| matrix between units' maps, alive flags); a constant (dead) map correlates with nothing."""
    # float64, and a map with inf or NaN counts as dead: a diverged net's map (a p sweep member at a low keep_p)
    # overflowed float32's sum of squares (its unit then correlated with nothing), and an inf map gave NaN.
    flat = maps.reshape(len(maps), -1).astype(np.float64)
    finite = np.isfinite(flat).all(1)
    flat[~finite] = 0.0
    centred = flat - flat.mean(1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    # Each map against its own scale: one huge map does not make every other one look constant.
    alive = finite & (norms > 1e-9 * np.maximum(1.0, np.abs(flat).max(1, initial=0.0)))
    unit = np.zeros(centred.shape, dtype=np.float32)
    unit[alive] = centred[alive] / norms[alive, None]
    # torch, not numpy: numpy's BLAS threads fight the trainers for a busy machine's cores (40 ms vs 0.3 ms here).
    tensor = torch.from_numpy(unit)
    corr = (tensor @ tensor.T).abs_().numpy()
    np.fill_diagonal(corr, 0.0)
    return corr, alive


def count_duplicate_pairs(maps: np.ndarray, threshold: float = DUPLICATE_CORRELATION, corr=None) -> int:
    """Unordered pairs of units whose maps have |correlation| above ``threshold``."""
    corr = unit_correlations(maps)[0] if corr is None else corr
    return int(np.triu(corr > threshold, k=1).sum())


def similarity_order(maps: np.ndarray, correlations: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """An order of the units in which near-duplicates sit together: the leaves of an average-linkage
    clustering on 1 - |corr| (dead units last)."""
    n = len(maps)
    if n < 3:
        return np.arange(n)
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    corr, alive = unit_correlations(maps) if correlations is None else correlations
    live = np.flatnonzero(alive)
    dead = np.flatnonzero(~alive)
    if len(live) < 3:
        return np.concatenate([live, dead])
    distance = np.clip(1.0 - corr[np.ix_(live, live)], 0.0, None)
    np.fill_diagonal(distance, 0.0)
    order = leaves_list(linkage(squareform(distance, checks=False), method="average"))
    return np.concatenate([live[order], dead])


def layer_maps(
    maps: np.ndarray,
    dropped: np.ndarray | None,
    layer: int,
    *,
    max_tiles: int = MAX_TILES,
    max_correlated: int = MAX_CORRELATED_UNITS,
) -> LayerMaps:
    """Count the near-duplicates of one layer and choose and order the units to draw."""
    n_units = len(maps)
    counted = sample_units(n_units, max_correlated)
    corr, alive = unit_correlations(maps[counted])
    pairs = count_duplicate_pairs(maps[counted], corr=corr)
    drawn = sample_units(n_units, max_tiles)
    if len(counted) == n_units:  # the drawn units' correlations are already known
        order = drawn[similarity_order(maps[drawn], (corr[np.ix_(drawn, drawn)], alive[drawn]))]
    else:
        order = drawn[similarity_order(maps[drawn])]
    dropped_flags = np.zeros(n_units, bool) if dropped is None else np.asarray(dropped, bool)
    return LayerMaps(
        layer=layer,
        n_units=n_units,
        units=order,
        maps=maps[order],
        dropped=dropped_flags[order],
        duplicate_pairs=pairs,
        counted_units=len(counted),
        dead_units=int((~alive).sum()),
    )


def dropped_units_of(model: torch.nn.Module) -> list[np.ndarray | None]:
    """Per hidden layer, the units dropped for the first example of the model's last mini-batch
    (None where the layer has no unit mask: no dropout there, or DropConnect)."""
    masks = model.unit_masks() if hasattr(model, "unit_masks") else []
    out = []
    for layer in range(1, len(masks)):
        mask = masks[layer]
        if mask is None or getattr(model, "method", "dropout") != "dropout" or mask.dim() != 2:
            out.append(None)
        else:
            out.append(~mask[0].to(torch.bool).cpu().numpy())
    return out


def network_unit_maps(
    model: torch.nn.Module, x_range, y_range, *, resolution: int = MAP_RESOLUTION, max_tiles: int = MAX_TILES
) -> list[LayerMaps]:
    """:class:`LayerMaps` of every hidden layer of ``model``."""
    maps = activation_maps(model, x_range, y_range, resolution)
    dropped = dropped_units_of(model)
    return [
        layer_maps(layer, dropped[index] if index < len(dropped) else None, index + 1, max_tiles=max_tiles)
        for index, layer in enumerate(maps)
    ]


def tiles_picture(maps: np.ndarray, dropped: np.ndarray, *, columns: int = TILE_COLUMNS) -> tuple[str, int, int]:
    """The maps tiled into one (lossless WebP) data URI (top row first), each scaled to its own largest |activation|
    (blue negative, white zero, red positive); a dropped unit's tile greyed with a cross."""
    from PIL import Image, ImageDraw

    n, res = len(maps), maps.shape[-1] if len(maps) else MAP_RESOLUTION
    columns = max(1, min(columns, n))
    rows = max(1, int(np.ceil(n / columns)))
    tile = res * TILE_SCALE
    width, height = columns * (tile + TILE_GAP) - TILE_GAP, rows * (tile + TILE_GAP) - TILE_GAP
    canvas = np.full((height, width, 3), 255, np.uint8)
    boxes = []
    for index in range(n):
        r, c = divmod(index, columns)
        scale = float(np.abs(maps[index]).max()) or 1.0
        level = np.flipud(maps[index] / scale)[..., None]  # image rows run top-down
        colour = np.where(level >= 0, MID + (HIGH - MID) * level, MID + (MID - LOW) * level)
        if dropped[index]:
            colour = colour * 0.35 + DROPPED_TINT * 0.65
        block = np.repeat(np.repeat(colour, TILE_SCALE, 0), TILE_SCALE, 1)
        y0, x0 = r * (tile + TILE_GAP), c * (tile + TILE_GAP)
        canvas[y0 : y0 + tile, x0 : x0 + tile] = np.clip(block, 0, 255).astype(np.uint8)
        boxes.append((x0, y0, index))
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    for x0, y0, index in boxes:
        if dropped[index]:
            draw.line((x0 + 2, y0 + 2, x0 + tile - 3, y0 + tile - 3), fill=(80, 80, 80), width=1)
            draw.line((x0 + 2, y0 + tile - 3, x0 + tile - 3, y0 + 2), fill=(80, 80, 80), width=1)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", lossless=True, method=0)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), width, height


DEFAULT_LABELS = {
    "method": "dropout",
    "baseline": "no-dropout twin",
    "hidden": "hidden",
    "duplicates": "{pairs} near-duplicate pairs (|r| > {threshold})",
    "sampled": "{shown} of {total} units shown",
    "all_units": "{total} units",
    "counted": "counted over {counted} sampled units",
}


def unit_maps_figure(
    runs: Mapping[str, LayerMaps], *, labels: Mapping[str, str] | None = None, columns: int = TILE_COLUMNS
) -> go.Figure:
    """One hidden layer, one panel per run (method | twin): its units' maps as tiles, the panel title
    saying how many near-duplicate pairs it has and how many units are drawn."""
    text = {**DEFAULT_LABELS, **(labels or {})}
    names = list(runs)
    titles = []
    for run in names:
        maps = runs[run]
        count = text["duplicates"].format(pairs=maps.duplicate_pairs, threshold=DUPLICATE_CORRELATION)
        shown = (
            text["sampled"].format(shown=len(maps.units), total=maps.n_units)
            if len(maps.units) < maps.n_units
            else text["all_units"].format(total=maps.n_units)
        )
        if maps.counted_units < maps.n_units:
            shown += " · " + text["counted"].format(counted=maps.counted_units)
        titles.append(f"<b>{text.get(run, run)}</b><br>{count}<br>{shown}")
    layout = panels_layout(titles, spacing=0.06, title_size=12)
    traces = []
    heights = []
    for col, run in enumerate(names, start=1):
        maps = runs[run]
        source, width, height = tiles_picture(maps.maps, maps.dropped, columns=columns)
        heights.append(height / max(1, width))
        suffix = "" if col == 1 else str(col)
        traces.append(
            {
                "type": "image",
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "source": source,
                "x0": 0,
                "y0": 0,
                "dx": 1,
                "dy": 1,
                "hoverinfo": "skip",
                "name": f"{run} units",
            }
        )
        layout[f"xaxis{suffix}"].update(range=[-0.5, width - 0.5], visible=False)
        layout[f"yaxis{suffix}"].update(range=[height - 0.5, -0.5], visible=False, scaleanchor=f"x{suffix}")
    aspect = max(heights or [0.5])
    layout.update(
        height=int(90 + 420 * aspect * (1 if len(names) < 2 else 0.5)) + 20,
        margin={"l": 4, "r": 4, "t": 64, "b": 4},
        showlegend=False,
        uirevision="unit-maps",
        plot_bgcolor="#ffffff",
    )
    return live_figure(traces, layout)


def duplicate_summary(runs: Mapping[str, Sequence[LayerMaps]]) -> dict[str, list[int]]:
    """Near-duplicate pairs per hidden layer of each run (for the page's one-line comparison)."""
    return {run: [maps.duplicate_pairs for maps in layers] for run, layers in runs.items()}
