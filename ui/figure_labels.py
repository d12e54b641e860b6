"""The labels of figures drawn on more than one page, from the page's translator (one mapping, one place)."""

from __future__ import annotations

from typing import Callable


def penalty_figure_labels(t: Callable[..., str], marked_label: str) -> dict[str, str]:
    """``labels`` for ``regularization_strength_figure``: the page's own title, the shared curve names
    (``ui.text.penalty``, which the page's translator must include) and what the marked points are called."""
    return {
        "title": t("pen_title"),
        "x_label": t("keep_p"),
        "max_label": t("pen_max"),
        "train_label": t("pen_train"),
        "test_label": t("pen_test"),
        "marked_label": marked_label,
    }
