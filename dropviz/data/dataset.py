"""The Dataset type, its error, the registry's names and the checks and subset helpers every loader shares."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import torch


class DatasetError(ValueError):
    """Bad dataset input; the message says what is wrong and what is allowed."""


TOY_DATASETS = ("moons", "circles", "spiral", "xor", "blobs")
IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")
DATASET_NAMES = TOY_DATASETS + IMAGE_DATASETS

MAX_SEED = 2**31 - 1  # seed*2+1 must stay a valid numpy RandomState seed (< 2**32)

DIGIT_CLASSES = tuple(str(d) for d in range(10))
_DISPLAY_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "digits": "8x8 digits"}
_NAME_ALIASES = {"fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist", "spirals": "spiral"}


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Train/test tensors plus what the app needs to label and draw them.

    ``eq=False``: comparing tensors element-wise has no single truth value, so
    datasets compare by identity.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    class_names: tuple[str, ...]
    image_shape: tuple[int, int] | None
    description: str

    def __post_init__(self) -> None:
        # Datasets are also built by hand (tests, experiments); a wrong dtype
        # would otherwise surface as an obscure error deep in training.
        for split, x, y in (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test)):
            if x.dtype != torch.float32 or x.ndim != 2:
                raise DatasetError(
                    f"x_{split} must be a float32 (n, n_features) tensor, got {x.dtype} {tuple(x.shape)}"
                )
            if y.dtype != torch.int64 or y.ndim != 1 or len(y) != len(x):
                raise DatasetError(
                    f"y_{split} must be an int64 (n,) tensor matching x_{split}, got {y.dtype} {tuple(y.shape)}"
                )
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise DatasetError("x_train and x_test have different numbers of features")
        if len(self.class_names) != self.n_classes:
            raise DatasetError(f"{len(self.class_names)} class names for {self.n_classes} classes")
        if self.image_shape is not None and math.prod(self.image_shape) != self.x_train.shape[1]:
            raise DatasetError(f"image_shape {self.image_shape} does not match {self.x_train.shape[1]} features")

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def is_2d(self) -> bool:
        return self.n_features == 2

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={tuple(self.x_train.shape)}, test={tuple(self.x_test.shape)}, "
            f"n_classes={self.n_classes}, image_shape={self.image_shape})"
        )


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    kind: str  # "toy" | "image" | "csv"
    available: bool
    where: str  # where it comes from, or why it is not available


# --------------------------------------------------------------------------- validation helpers


def _canonical_name(name: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    return _NAME_ALIASES.get(key, key)


def _is_csv_name(name: str | os.PathLike) -> bool:
    return str(name).strip().lower().endswith(".csv")


def _check_int(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DatasetError(f"{what} must be an integer between {low} and {high}, got {value!r}")
    if not low <= value <= high:
        raise DatasetError(f"{what} must be between {low} and {high}, got {value}")
    return int(value)


def _check_seed(seed) -> int:
    return _check_int(seed, "seed", 0, MAX_SEED)


def _unknown_name_error(name) -> DatasetError:
    return DatasetError(
        f"unknown dataset {str(name)!r}; choose one of {', '.join(DATASET_NAMES)}, or give a path to a .csv file"
    )


# --------------------------------------------------------------------------- stratified subsets


def stratified_indices(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` items keeping each class's share (largest remainder).

    Per class, items are taken from the front of one seeded permutation, so a
    larger ``size`` with the same seed (almost always) contains the smaller one.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if not 0 <= size <= n:
        raise DatasetError(f"cannot take {size} items out of {n}")
    if size == n:
        return np.arange(n)
    classes, counts = np.unique(labels, return_counts=True)
    exact_quota = counts * (size / n)
    quota = np.floor(exact_quota).astype(np.int64)
    shortfall = size - int(quota.sum())
    # Stable sort: ties in the remainder go to the lower class, deterministically.
    by_remainder = np.argsort(-(exact_quota - quota), kind="stable")
    quota[by_remainder[:shortfall]] += 1
    rng = np.random.default_rng(seed)
    chosen = []
    for cls, take in zip(classes, quota):
        members = np.flatnonzero(labels == cls)
        chosen.append(members[rng.permutation(len(members))[:take]])
    return np.sort(np.concatenate(chosen))


def _subset_size(train_size, n_available: int, n_classes: int, what: str) -> int | None:
    if train_size is None:
        return None
    if isinstance(train_size, (int, np.integer)) and not isinstance(train_size, bool) and train_size > n_available:
        raise DatasetError(
            f"train_size {train_size} is larger than the {n_available} training examples of "
            f"{what}; the maximum is {n_available}"
        )
    return _check_int(train_size, f"train_size for {what}", n_classes, n_available)


def _tensors_from_rows(x: np.ndarray, y: np.ndarray, rows: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor]:
    # Fancy indexing / astype copy, so callers get tensors that do not alias
    # the cached (read-only) arrays.
    if rows is not None:
        x, y = x[rows], y[rows]
    return (
        torch.from_numpy(np.array(x, dtype=np.float32, copy=True)),
        torch.from_numpy(np.array(y, dtype=np.int64, copy=True)),
    )
