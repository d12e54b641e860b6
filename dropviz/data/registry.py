"""The registry: data set names to loaders, their shapes and defaults, and what is available here."""

from __future__ import annotations

import os

import numpy as np

from .csv import load_csv
from .dataset import (
    DIGIT_CLASSES,
    IMAGE_DATASETS,
    TOY_DATASETS,
    Dataset,
    DatasetError,
    DatasetInfo,
    _canonical_name,
    _check_seed,
    _is_csv_name,
    _unknown_name_error,
)
from .digits import _load_digits
from .idx import IDX_IMAGE_SIDE, IDX_N_CLASSES, _load_idx_dataset, _locate_or_download
from .toys import _TOY_CLASS_NAMES, TOY_DEFAULT_TRAIN_SIZE, _load_toy


def default_train_size(name: str) -> int | None:
    """Default number of training points; None means the whole training set."""
    if _is_csv_name(name):
        return None
    canonical = _canonical_name(name)
    if canonical in TOY_DATASETS:
        return TOY_DEFAULT_TRAIN_SIZE
    if canonical in IMAGE_DATASETS:
        return None
    raise _unknown_name_error(name)


def load_dataset(
    name: str,
    *,
    train_size: int | None = None,
    noise: float = 0.2,
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
    test_size: int | None = None,
    allow_download: bool = True,
) -> Dataset:
    """Load a registry dataset (see DATASET_NAMES) or a ``.csv`` file by path.

    ``noise`` (0..1) only shapes the toys; ``train_size`` None means the
    default (40 for toys, everything otherwise); ``test_size`` None means
    1000 toy points or the whole test set.
    """
    if (
        isinstance(noise, bool)
        or not isinstance(noise, (int, float, np.floating, np.integer))
        or not 0.0 <= float(noise) <= 1.0
    ):
        raise DatasetError(f"noise must be a number between 0 and 1, got {noise!r}")
    noise = float(noise)
    seed = _check_seed(seed)
    if _is_csv_name(name):
        if test_size is not None:
            raise DatasetError("test_size cannot be set for a CSV: its test split is fixed at 25 % of the rows")
        return load_csv(name, train_size=train_size, seed=seed, name=str(name))
    canonical = _canonical_name(name)
    if canonical in TOY_DATASETS:
        return _load_toy(canonical, train_size, test_size, noise, seed)
    if canonical == "digits":
        return _load_digits(train_size, test_size, seed)
    if canonical in ("mnist", "fashion-mnist"):
        return _load_idx_dataset(canonical, train_size, test_size, seed, data_dir, allow_download)
    raise _unknown_name_error(name)


def dataset_shape(name: str) -> tuple[int, int] | None:
    """(n_features, n_classes) of a registry data set, known without loading it; None for a CSV."""
    canonical = _canonical_name(name) if not _is_csv_name(name) else None
    if canonical in TOY_DATASETS:
        return 2, len(_TOY_CLASS_NAMES[canonical])
    if canonical == "digits":
        return 64, len(DIGIT_CLASSES)
    if canonical in ("mnist", "fashion-mnist"):
        return IDX_IMAGE_SIDE * IDX_IMAGE_SIDE, IDX_N_CLASSES
    return None


def list_datasets(data_dir=None, *, allow_download: bool = False) -> list[DatasetInfo]:
    """One entry per registry name; only downloads when ``allow_download``."""
    infos = [DatasetInfo(n, "toy", True, "generated in-process (scikit-learn / numpy)") for n in TOY_DATASETS]
    infos.append(DatasetInfo("digits", "image", True, "bundled with scikit-learn"))
    for name in ("mnist", "fashion-mnist"):
        try:
            files = _locate_or_download(name, data_dir, allow_download)
            infos.append(DatasetInfo(name, "image", True, str(files["train-images"].parent)))
        except DatasetError as exc:
            infos.append(DatasetInfo(name, "image", False, str(exc)))
    return infos
