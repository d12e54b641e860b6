"""The 2-D toy data sets (moons, circles, spiral, xor, blobs), generated in-process."""

from __future__ import annotations

import numpy as np
import torch

from .dataset import Dataset, _check_int, _unknown_name_error

TOY_DEFAULT_TRAIN_SIZE = 40  # small on purpose: a wide net visibly overfits 40 noisy points
TOY_DEFAULT_TEST_SIZE = 1000
MIN_SAMPLES, MAX_SAMPLES = 10, 100_000


def _toy_points(name: str, n: int, noise: float, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) for one toy; every toy spans roughly [-1.5, 1.5] so one plot range fits all."""
    from sklearn.datasets import make_blobs, make_circles, make_moons

    if name == "moons":
        x, y = make_moons(n_samples=n, noise=noise, random_state=random_state)
        x = x - np.array([0.5, 0.25])  # sklearn's moons sit around (0.5, 0.25)
    elif name == "circles":
        x, y = make_circles(n_samples=n, noise=noise, factor=0.5, random_state=random_state)
    elif name == "blobs":
        # Fixed centres: the seed changes the sample, not the problem. The
        # 0.2 floor keeps noise=0 from collapsing each blob to one point.
        centres = np.array([[-1.0, -0.6], [1.0, -0.6], [0.0, 1.0]])
        x, y = make_blobs(n_samples=n, centers=centres, cluster_std=0.2 + noise, random_state=random_state)
    else:
        rng = np.random.default_rng(random_state)
        half = np.arange(n) % 2  # exactly balanced classes
        if name == "spiral":
            # Two interleaved arms, 1.5 turns each, radius 0.1..1.
            t = rng.uniform(0.0, 1.0, size=n)
            angle = 3.0 * np.pi * t + np.pi * half
            radius = 0.1 + 0.9 * t
            x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        elif name == "xor":
            # Label first, then place the point in a matching quadrant, so the
            # classes are balanced; the jitter added below ignores the label.
            magnitude = rng.uniform(0.0, 1.0, size=(n, 2))
            sign_x = rng.choice([-1.0, 1.0], size=n)
            sign_y = np.where(half == 1, sign_x, -sign_x)  # class 1: x*y > 0
            x = magnitude * np.stack([sign_x, sign_y], axis=1)
        else:
            raise _unknown_name_error(name)
        # Half the nominal noise: these shapes are ~1 wide, and their classes
        # are only ~0.3 apart (spiral) or touch at the axes (xor).
        x = x + rng.normal(0.0, 0.5 * noise, size=x.shape)
        y = half
        order = rng.permutation(n)  # interleave classes like sklearn's generators do
        x, y = x[order], y[order]
    return x.astype(np.float32), y.astype(np.int64)


_TOY_CLASS_NAMES = {
    "moons": ("upper moon", "lower moon"),
    "circles": ("outer circle", "inner circle"),
    "spiral": ("arm 0", "arm 1"),
    "xor": ("x·y < 0", "x·y > 0"),
    "blobs": ("blob 0", "blob 1", "blob 2"),
}


def _load_toy(name: str, train_size: int | None, test_size: int | None, noise: float, seed: int) -> Dataset:
    n_train = (
        TOY_DEFAULT_TRAIN_SIZE
        if train_size is None
        else _check_int(train_size, f"train_size for {name}", MIN_SAMPLES, MAX_SAMPLES)
    )
    n_test = (
        TOY_DEFAULT_TEST_SIZE
        if test_size is None
        else _check_int(test_size, f"test_size for {name}", MIN_SAMPLES, MAX_SAMPLES)
    )
    # Separate seed streams: the test points are not a continuation of the
    # training stream, so they do not change when train_size changes.
    x_train, y_train = _toy_points(name, n_train, noise, random_state=2 * seed)
    x_test, y_test = _toy_points(name, n_test, noise, random_state=2 * seed + 1)
    class_names = _TOY_CLASS_NAMES[name]
    return Dataset(
        name=name,
        x_train=torch.from_numpy(x_train),
        y_train=torch.from_numpy(y_train),
        x_test=torch.from_numpy(x_test),
        y_test=torch.from_numpy(y_test),
        n_classes=len(class_names),
        class_names=class_names,
        image_shape=None,
        description=f"{name} (2D toy, noise {noise:g}, seed {seed}), {n_train} train / {n_test} test",
    )
