"""scikit-learn's 8x8 digits with a fixed train/test split."""

from __future__ import annotations

import functools

import numpy as np

from .dataset import DIGIT_CLASSES, Dataset, _check_int, _subset_size, _tensors_from_rows, stratified_indices

DIGITS_TEST_FRACTION = 0.25
# The digits train/test split is fixed (like MNIST's official split), so the
# seed only changes which training images are used, never the test images.
DIGITS_SPLIT_SEED = 0


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.data / 16.0).astype(np.float32)  # pixel values are 0..16
    images.setflags(write=False)
    labels = bunch.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def _load_digits(train_size, test_size, seed) -> Dataset:
    images, labels = _digits_arrays()
    n = len(labels)
    n_test_full = int(round(DIGITS_TEST_FRACTION * n))
    test_rows = stratified_indices(labels, n_test_full, DIGITS_SPLIT_SEED)
    train_rows = np.setdiff1d(np.arange(n), test_rows)
    what = "digits"
    size = _subset_size(train_size, len(train_rows), 10, what)
    if size is not None:
        train_rows = train_rows[stratified_indices(labels[train_rows], size, seed)]
    if test_size is not None:
        take = _check_int(test_size, f"test_size for {what}", 10, len(test_rows))
        test_rows = test_rows[stratified_indices(labels[test_rows], take, DIGITS_SPLIT_SEED)]
    x_train, y_train = _tensors_from_rows(images, labels, train_rows)
    x_test, y_test = _tensors_from_rows(images, labels, test_rows)
    return Dataset(
        name="digits",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        n_classes=10,
        class_names=DIGIT_CLASSES,
        image_shape=(8, 8),
        description=(
            f"8x8 digits (scikit-learn, {n} images, fixed 25 % test split), {len(y_train)} train / {len(y_test)} test"
        ),
    )
