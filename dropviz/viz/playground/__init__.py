"""Figures of the Playground page: arrays in, ``go.Figure`` out. No Streamlit.

Each builder takes plain data (lists, numpy arrays, the engine's event
objects) so that it is tested without a browser. ``labels`` arguments carry
the already-translated UI text; every builder has English defaults.

One module per view: ``curves`` (metrics and learning curves), ``network`` (the
masked network), ``masks`` (the mask illustration), ``boundary`` (decision
boundaries of 2-D data), ``images`` (image predictions); ``common`` holds the
colours, labels and panel layouts they share. Every public name is importable
from ``dropviz.viz.playground``.
"""

from .boundary import (
    BOUNDARY_LINE,
    BOUNDARY_PIXELS,
    BOUNDARY_SUPERSAMPLE,
    REGION_OPACITY,
    boundary_figure,
    boundary_panel_image,
    boundary_panel_pixels,
    plot_range,
    predict_grid,
)
from .common import (
    CLASS_COLOURS,
    DEFAULT_LABELS,
    DROPPED,
    NEGATIVE,
    POSITIVE,
    RUN_STYLE,
    SPLIT_COLOUR,
    WIDTH_BUCKETS,
    live_figure,
    panels_layout,
)
from .curves import METRIC_COLUMNS, curves_figure, latest_gaps, metrics_frame, smoothed_losses, thin_rows
from .images import image_grid_figure, predict_classes
from .masks import mask_matrix_figure
from .network import dropped_connection_count, dropped_unit_count, network_figure

__all__ = [
    "BOUNDARY_LINE",
    "BOUNDARY_PIXELS",
    "BOUNDARY_SUPERSAMPLE",
    "CLASS_COLOURS",
    "DEFAULT_LABELS",
    "DROPPED",
    "METRIC_COLUMNS",
    "NEGATIVE",
    "POSITIVE",
    "REGION_OPACITY",
    "RUN_STYLE",
    "SPLIT_COLOUR",
    "WIDTH_BUCKETS",
    "boundary_figure",
    "boundary_panel_image",
    "boundary_panel_pixels",
    "curves_figure",
    "dropped_connection_count",
    "dropped_unit_count",
    "image_grid_figure",
    "latest_gaps",
    "live_figure",
    "mask_matrix_figure",
    "metrics_frame",
    "network_figure",
    "panels_layout",
    "plot_range",
    "predict_classes",
    "predict_grid",
    "smoothed_losses",
    "thin_rows",
]
