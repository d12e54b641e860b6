"""Dataset registry: 2D toys, 8x8 digits, (Fashion-)MNIST from IDX files, user CSV.

Everything returns a :class:`Dataset` of torch tensors (features float32, flat;
labels int64). Nothing here imports streamlit: the app, the CLI and the tests
all call :func:`load_dataset` / :func:`load_csv` the same way.

Determinism: the same arguments (seed included) give identical tensors. The
test set of a dataset never depends on ``train_size``, so curves for
different training-set sizes are measured on the same points.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import math
import os
import pathlib
import stat
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "DATASET_NAMES",
    "IMAGE_DATASETS",
    "MAX_CLASSES",
    "MAX_CSV_COLUMNS",
    "MAX_CSV_ROWS",
    "TOY_DATASETS",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "default_train_size",
    "find_idx_files",
    "idx_search_dirs",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "read_idx",
    "stratified_indices",
]


class DatasetError(ValueError):
    """Bad dataset input; the message says what is wrong and what is allowed."""


TOY_DATASETS = ("moons", "circles", "spiral", "xor", "blobs")
IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")
DATASET_NAMES = TOY_DATASETS + IMAGE_DATASETS

MAX_CSV_ROWS = 100_000
MAX_CSV_COLUMNS = 1_000
# Rows and columns at once would be 1e8 cells: the product is bounded too, so that parsing a file
# at the limits takes a few hundred MB, not gigabytes (a 199 MB upload once peaked at 4.3 GB).
MAX_CSV_CELLS = 10_000_000
MAX_CSV_BYTES = 100 * 1024 * 1024  # ~10 bytes a cell at MAX_CSV_CELLS; .streamlit/config.toml's maxUploadSize
_CSV_READ_CHUNK = 1 << 20
MAX_CLASSES = 100
MIN_CSV_ROWS = 10
CSV_TEST_FRACTION = 0.25

TOY_DEFAULT_TRAIN_SIZE = 40  # small on purpose: a wide net visibly overfits 40 noisy points
TOY_DEFAULT_TEST_SIZE = 1000
MIN_SAMPLES, MAX_SAMPLES = 10, 100_000
MAX_SEED = 2**31 - 1  # seed*2+1 must stay a valid numpy RandomState seed (< 2**32)

DIGITS_TEST_FRACTION = 0.25
# The digits train/test split is fixed (like MNIST's official split), so the
# seed only changes which training images are used, never the test images.
DIGITS_SPLIT_SEED = 0

ENV_DATA_DIR = "DROPVIZ_DATA_DIR"
# Debian's dataset-* packages install here; a module constant so tests can
# point it at a temporary folder.
SYSTEM_DATA_ROOT = pathlib.Path("/usr/share/datasets")

IDX_KEYS = ("train-images", "train-labels", "test-images", "test-labels")
IDX_FILE_STEMS = {
    "train-images": "train-images-idx3-ubyte",
    "train-labels": "train-labels-idx1-ubyte",
    "test-images": "t10k-images-idx3-ubyte",
    "test-labels": "t10k-labels-idx1-ubyte",
}
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801
IDX_IMAGE_SIDE = 28
IDX_N_CLASSES = 10

DOWNLOAD_MIRRORS = {
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
}
# MD5 of the upstream .gz files. Only downloads are checked: Debian re-gzips
# the files (different bytes, same content), and read_idx validates any file.
IDX_MD5 = {
    "fashion-mnist": {
        "train-images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels": "25c81989df183df01b3e8a0aad5dffbe",
        "test-images": "bef4ecab320f06d8554ea6380940ec79",
        "test-labels": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "mnist": {
        "train-images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels": "d53e105ee54ea40749a09fcbcd1e9432",
        "test-images": "9fb629c4189551a2d022fa330f9573f3",
        "test-labels": "ec29112dd5afa0611ce80d1b7f02629c",
    },
}
DOWNLOAD_TIMEOUT_S = 5.0
DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024  # the largest official file is ~26 MB
# Indirection so tests can serve files without a network.
_urlopen = urllib.request.urlopen

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
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
                raise DatasetError(f"x_{split} must be a float32 (n, n_features) tensor, got {x.dtype} {tuple(x.shape)}")
            if y.dtype != torch.int64 or y.ndim != 1 or len(y) != len(x):
                raise DatasetError(f"y_{split} must be an int64 (n,) tensor matching x_{split}, got {y.dtype} {tuple(y.shape)}")
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
        return (f"Dataset(name={self.name!r}, train={tuple(self.x_train.shape)}, test={tuple(self.x_test.shape)}, "
                f"n_classes={self.n_classes}, image_shape={self.image_shape})")


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
    return DatasetError(f"unknown dataset {str(name)!r}; choose one of {', '.join(DATASET_NAMES)}, "
                        "or give a path to a .csv file")


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
        raise DatasetError(f"train_size {train_size} is larger than the {n_available} training examples of "
                           f"{what}; the maximum is {n_available}")
    return _check_int(train_size, f"train_size for {what}", n_classes, n_available)


# --------------------------------------------------------------------------- 2D toys

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
    n_train = TOY_DEFAULT_TRAIN_SIZE if train_size is None else _check_int(
        train_size, f"train_size for {name}", MIN_SAMPLES, MAX_SAMPLES)
    n_test = TOY_DEFAULT_TEST_SIZE if test_size is None else _check_int(
        test_size, f"test_size for {name}", MIN_SAMPLES, MAX_SAMPLES)
    # Separate seed streams: the test points are not a continuation of the
    # training stream, so they do not change when train_size changes.
    x_train, y_train = _toy_points(name, n_train, noise, random_state=2 * seed)
    x_test, y_test = _toy_points(name, n_test, noise, random_state=2 * seed + 1)
    class_names = _TOY_CLASS_NAMES[name]
    return Dataset(
        name=name,
        x_train=torch.from_numpy(x_train), y_train=torch.from_numpy(y_train),
        x_test=torch.from_numpy(x_test), y_test=torch.from_numpy(y_test),
        n_classes=len(class_names), class_names=class_names, image_shape=None,
        description=f"{name} (2D toy, noise {noise:g}, seed {seed}), {n_train} train / {n_test} test",
    )


# --------------------------------------------------------------------------- 8x8 digits

@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.data / 16.0).astype(np.float32)  # pixel values are 0..16
    images.setflags(write=False)
    labels = bunch.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def _tensors_from_rows(x: np.ndarray, y: np.ndarray, rows: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor]:
    # Fancy indexing / astype copy, so callers get tensors that do not alias
    # the cached (read-only) arrays.
    if rows is not None:
        x, y = x[rows], y[rows]
    return (torch.from_numpy(np.array(x, dtype=np.float32, copy=True)),
            torch.from_numpy(np.array(y, dtype=np.int64, copy=True)))


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
        name="digits", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        n_classes=10, class_names=DIGIT_CLASSES, image_shape=(8, 8),
        description=(f"8x8 digits (scikit-learn, {n} images, fixed 25 % test split), "
                     f"{len(y_train)} train / {len(y_test)} test"),
    )


# --------------------------------------------------------------------------- IDX files

def _default_cache_dir() -> pathlib.Path:
    return pathlib.Path(os.path.expanduser("~/.cache/dropviz"))


def _search_roots(data_dir) -> list[pathlib.Path]:
    roots = []
    if data_dir is not None:
        roots.append(pathlib.Path(data_dir).expanduser())
    env_dir = os.environ.get(ENV_DATA_DIR, "").strip()
    if env_dir:
        roots.append(pathlib.Path(env_dir).expanduser())
    roots.append(_default_cache_dir())
    return roots


def idx_search_dirs(name: str, data_dir=None) -> list[pathlib.Path]:
    """Folders searched for the IDX files of ``name``, first match wins."""
    dirs: list[pathlib.Path] = []
    for root in _search_roots(data_dir):
        dirs += [root / name, root]
    dirs.append(SYSTEM_DATA_ROOT / name)
    unique: list[pathlib.Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _idx_files_in(folder: pathlib.Path) -> tuple[dict[str, pathlib.Path], list[str]]:
    found, missing = {}, []
    for key in IDX_KEYS:
        stem = IDX_FILE_STEMS[key]
        # Raw first: no decompression when someone has already gunzipped.
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            missing.append(stem + "[.gz]")
    return found, missing


def _check_idx_name(name: str) -> str:
    canonical = _canonical_name(name)
    if canonical not in ("mnist", "fashion-mnist"):
        raise DatasetError(f"IDX files exist only for mnist and fashion-mnist, not {str(name)!r}")
    return canonical


# MNIST and Fashion-MNIST files have the same names and format; their test sets' class counts differ.
IDX_TEST_LABEL_COUNTS = {
    "mnist": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
    "fashion-mnist": (1000,) * 10,
}


def identify_idx(files: dict[str, pathlib.Path]) -> str | None:
    """Which data set the IDX files are (by the test labels' class counts), or None if not the official one."""
    try:
        labels = read_idx(files["test-labels"])
    except DatasetError:
        return None  # unreadable: the loader reports what is wrong with it
    if labels.ndim != 1:
        return None
    counts = tuple(int(c) for c in np.bincount(labels.astype(np.int64), minlength=IDX_N_CLASSES))
    return next((name for name, expected in IDX_TEST_LABEL_COUNTS.items() if counts == expected), None)


def _check_data_dir(data_dir) -> None:
    """A named data folder that is missing is an error, not a silent fall-back to another copy."""
    for where, folder in (("data_dir", data_dir), (ENV_DATA_DIR, os.environ.get(ENV_DATA_DIR, "").strip() or None)):
        if folder is not None and not pathlib.Path(folder).expanduser().is_dir():
            raise DatasetError(f"{where} {folder} is not a folder (it does not exist or is a file); give the folder "
                               "that holds the IDX files (directly or in an mnist/ or fashion-mnist/ subfolder)")


def _folder_verdict(canonical: str, folder: pathlib.Path) -> tuple[dict[str, pathlib.Path] | None, str]:
    """(the files if ``folder`` serves ``canonical``, else None; a note for the search report)."""
    found, missing = _idx_files_in(folder)
    if missing:
        return None, f"incomplete: missing {', '.join(missing)}" if found else ""
    identity = identify_idx(found)
    if identity is not None and identity != canonical:
        return None, f"these are {_DISPLAY_NAMES[identity]}'s files"
    if identity is None and folder.name != canonical:
        # Loose files that are not the official set could be either data set: the folder must say which.
        return None, f"cannot tell which data set these files are: put them in {folder / canonical}/"
    return found, ""


def find_idx_files(name: str, data_dir=None) -> dict[str, pathlib.Path] | None:
    """The 4 IDX files of ``name`` from the first folder that holds all of them and is that data set
    (a ``<name>/`` folder, or the official files themselves), else None."""
    canonical = _check_idx_name(name)
    _check_data_dir(data_dir)
    for folder in idx_search_dirs(canonical, data_dir):
        found, _ = _folder_verdict(canonical, folder)
        if found is not None:
            return found
    return None


def _search_report(name: str, data_dir) -> str:
    lines = []
    for folder in idx_search_dirs(name, data_dir):
        _, note = _folder_verdict(name, folder)
        lines.append(f"  {folder} ({note})" if note else f"  {folder}")
    return "\n".join(lines)


def _read_idx_bytes(path: pathlib.Path) -> bytes:
    with open(path, "rb") as handle:
        head = handle.read(2)
    try:
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as handle:
                return handle.read()
        if path.suffix == ".gz":
            raise DatasetError(f"{path} is named .gz but is not gzip data; delete it and provide the file again")
        return path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetError(f"{path} is a damaged gzip file ({exc}); delete it and provide the file again") from exc


@functools.lru_cache(maxsize=8)
def _read_idx_cached(resolved: str, mtime_ns: int, size: int) -> np.ndarray:
    # mtime_ns and size are only part of the cache key: a replaced file is re-read.
    path = pathlib.Path(resolved)
    data = _read_idx_bytes(path)
    if len(data) < 4:
        raise DatasetError(f"{path} is too short to be an IDX file ({len(data)} bytes)")
    (magic,) = struct.unpack(">I", data[:4])
    if magic not in (IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC):
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes: magic number 0x{magic:08x}, expected "
                           f"0x{IDX_IMAGES_MAGIC:08x} (images) or 0x{IDX_LABELS_MAGIC:08x} (labels)")
    n_dims = magic & 0xFF
    header_len = 4 + 4 * n_dims
    if len(data) < header_len:
        raise DatasetError(f"{path} is truncated: expected at least {header_len} header bytes, got {len(data)}")
    dims = struct.unpack(f">{n_dims}I", data[4:header_len])
    expected = header_len + math.prod(dims)
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise DatasetError(f"{path} is {problem}: its header {dims} implies {expected} bytes, "
                           f"the (decompressed) file has {len(data)} bytes")
    array = np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)
    array.setflags(write=False)
    return array


def read_idx(path) -> np.ndarray:
    """Decode one IDX file (.gz or raw): uint8 (n, rows, cols) images or (n,) labels.

    The array is cached and read-only; copy it before modifying.
    """
    path = pathlib.Path(path)
    try:
        resolved = path.resolve(strict=True)
        stat = resolved.stat()
    except OSError as exc:
        raise DatasetError(f"cannot read IDX file {path}: {exc.strerror or exc}") from exc
    return _read_idx_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


def _validated_idx_split(images_path: pathlib.Path, labels_path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DatasetError(f"{images_path} holds labels (magic 0x{IDX_LABELS_MAGIC:08x}), expected images "
                           f"(0x{IDX_IMAGES_MAGIC:08x}); are the file names swapped?")
    if labels.ndim != 1:
        raise DatasetError(f"{labels_path} holds images, expected labels; are the file names swapped?")
    if images.shape[1:] != (IDX_IMAGE_SIDE, IDX_IMAGE_SIDE):
        raise DatasetError(f"{images_path} holds {images.shape[1]}x{images.shape[2]} images, expected "
                           f"{IDX_IMAGE_SIDE}x{IDX_IMAGE_SIDE}")
    if len(images) != len(labels):
        raise DatasetError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; "
                           "they must match")
    if len(labels) == 0:
        raise DatasetError(f"{labels_path} holds no examples")
    if labels.max() >= IDX_N_CLASSES:
        bad = int(np.flatnonzero(labels >= IDX_N_CLASSES)[0])
        raise DatasetError(f"{labels_path} has label {int(labels[bad])} at index {bad}; labels must be 0..9")
    return images, labels


def _download_idx_files(name: str, target_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """Fetch the 4 files into ``target_dir``, checking MD5; raises OSError/ValueError on any failure."""
    target_dir.mkdir(parents=True, exist_ok=True)
    fetched = {}
    for key in IDX_KEYS:
        file_name = IDX_FILE_STEMS[key] + ".gz"
        destination = target_dir / file_name
        url = DOWNLOAD_MIRRORS[name] + file_name
        md5 = hashlib.md5()
        # Temp file in the same folder: os.replace is then atomic, so a
        # concurrent reader never sees a half-written file.
        handle = tempfile.NamedTemporaryFile(dir=target_dir, prefix=f".{file_name}.", suffix=".part", delete=False)
        try:
            with handle, _urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                total = 0
                while chunk := response.read(1 << 20):
                    total += len(chunk)
                    if total > DOWNLOAD_MAX_BYTES:
                        raise ValueError(f"{url} is larger than {DOWNLOAD_MAX_BYTES} bytes")
                    md5.update(chunk)
                    handle.write(chunk)
            if md5.hexdigest() != IDX_MD5[name][key]:
                raise ValueError(f"{url} has MD5 {md5.hexdigest()}, expected {IDX_MD5[name][key]}")
            os.replace(handle.name, destination)
        finally:
            if os.path.exists(handle.name):
                os.unlink(handle.name)
        fetched[key] = destination
    return fetched


def _not_found_error(name: str, data_dir, download_failure: str | None) -> DatasetError:
    stems = ", ".join(IDX_FILE_STEMS[k] + ".gz" for k in IDX_KEYS)
    how = []
    if name == "fashion-mnist":
        how.append("install Debian's package: apt-get install dataset-fashion-mnist")
    how.append(f"put the 4 IDX files ({stems}; .gz or unpacked) in {_default_cache_dir() / name}/")
    how.append(f"or pass --data-dir DIR (or set {ENV_DATA_DIR}=DIR) with the files in DIR/{name}/ or DIR/")
    message = (f"{_DISPLAY_NAMES[name]} IDX files not found. Looked in:\n{_search_report(name, data_dir)}\n")
    if download_failure is not None:
        message += f"Download from {DOWNLOAD_MIRRORS[name]} failed: {download_failure}\n"
    else:
        message += "Download was not attempted (offline mode).\n"
    message += "To provide them: " + "; ".join(how) + "."
    return DatasetError(message)


def _locate_or_download(name: str, data_dir, allow_download: bool) -> dict[str, pathlib.Path]:
    files = find_idx_files(name, data_dir)
    if files is not None:
        return files
    if not allow_download:
        raise _not_found_error(name, data_dir, None)
    target = _search_roots(data_dir)[0] / name
    try:
        return _download_idx_files(name, target)
    except (OSError, ValueError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _not_found_error(name, data_dir, f"{reason} (target folder {target})") from exc


def _load_idx_dataset(name, train_size, test_size, seed, data_dir, allow_download) -> Dataset:
    files = _locate_or_download(name, data_dir, allow_download)
    train_images, train_labels = _validated_idx_split(files["train-images"], files["train-labels"])
    test_images, test_labels = _validated_idx_split(files["test-images"], files["test-labels"])
    display = _DISPLAY_NAMES[name]
    train_rows = None
    size = _subset_size(train_size, len(train_labels), IDX_N_CLASSES, display)
    if size is not None and size < len(train_labels):
        train_rows = stratified_indices(train_labels, size, seed)
    test_rows = None
    if test_size is not None:
        take = _check_int(test_size, f"test_size for {display}", IDX_N_CLASSES, len(test_labels))
        if take < len(test_labels):
            # Seed 0, not the run's seed: runs with different seeds keep one test set.
            test_rows = stratified_indices(test_labels, take, 0)
    x_train, y_train = _tensors_from_rows(train_images.reshape(len(train_images), -1), train_labels, train_rows)
    x_test, y_test = _tensors_from_rows(test_images.reshape(len(test_images), -1), test_labels, test_rows)
    x_train /= 255.0
    x_test /= 255.0
    folder = files["train-images"].parent
    return Dataset(
        name=name, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        n_classes=IDX_N_CLASSES,
        class_names=FASHION_MNIST_CLASSES if name == "fashion-mnist" else DIGIT_CLASSES,
        image_shape=(IDX_IMAGE_SIDE, IDX_IMAGE_SIDE),
        description=f"{display} (IDX from {folder}), {len(y_train)} train / {len(y_test)} test",
    )


# --------------------------------------------------------------------------- CSV

_LABEL_COLUMN_NAMES = ("label", "class", "target", "y")


def _too_large(where: str, size: str) -> DatasetError:
    return DatasetError(f"{where} is {size}; a CSV may have at most {MAX_CSV_BYTES // (1024 * 1024)} MB")


def _read_bounded(handle, where: str) -> bytes:
    """At most MAX_CSV_BYTES from ``handle``, read in chunks: a larger (or endless) source is refused
    before it is all in memory."""
    chunks, total = [], 0
    while True:
        chunk = handle.read(_CSV_READ_CHUNK)
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        total += len(chunk)
        if total > MAX_CSV_BYTES:
            raise _too_large(where, f"larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _csv_buffer(source) -> tuple[io.BytesIO, str]:
    """Bytes of ``source`` in memory plus a name for messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > MAX_CSV_BYTES:
            raise _too_large("uploaded CSV", f"{len(source) / (1024 * 1024):.0f} MB")
        return io.BytesIO(bytes(source)), "uploaded CSV"
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source).expanduser()
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device would block or never end
                raise DatasetError(f"{path} is not a regular file; a CSV data set must be a file")
            with open(path, "rb") as handle:
                return io.BytesIO(_read_bounded(handle, str(path))), str(path)
        except OSError as exc:
            raise DatasetError(f"cannot read CSV file {path}: {exc.strerror or exc}") from exc
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            try:
                source.seek(0)  # Streamlit reruns may hand over an already-read upload
            except (OSError, ValueError):
                pass
        where = str(getattr(source, "name", "uploaded CSV"))
        return io.BytesIO(_read_bounded(source, where)), where
    raise DatasetError(f"a CSV source must be a path, bytes or a file-like object, got {type(source).__name__}")


def _read_csv_frame(source):
    import pandas as pd

    buffer, where = _csv_buffer(source)
    if not buffer.getbuffer().nbytes or not buffer.getvalue().strip():
        raise DatasetError(f"{where} is empty; expected a header line and at least {MIN_CSV_ROWS} data rows")
    try:
        header = pd.read_csv(buffer, nrows=0)
        if len(header.columns) > MAX_CSV_COLUMNS:
            raise DatasetError(f"{where} has {len(header.columns)} columns; the limit is {MAX_CSV_COLUMNS}")
        buffer.seek(0)
        # One row past the limit is enough to know the file is too long.
        max_rows = min(MAX_CSV_ROWS, MAX_CSV_CELLS // max(1, len(header.columns)))
        frame = pd.read_csv(buffer, nrows=max_rows + 1, skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise DatasetError(f"{where} is empty; expected a header line and at least {MIN_CSV_ROWS} data rows") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{where} could not be parsed as CSV (comma-separated UTF-8 text with a header "
                           f"line): {exc}") from exc
    if len(frame) > max_rows:
        if max_rows == MAX_CSV_ROWS:
            raise DatasetError(f"{where} has more than {MAX_CSV_ROWS} data rows; the limit is {MAX_CSV_ROWS}")
        raise DatasetError(f"{where} has more than {max_rows} data rows; with {len(frame.columns)} columns that is "
                           f"the limit ({MAX_CSV_CELLS:,} cells)")
    return frame, where


def _pick_label_column(columns: list[str], label_column: str | None, where: str) -> str:
    if label_column is not None:
        if label_column in columns:
            return label_column
        matches = [c for c in columns if str(c).strip().lower() == str(label_column).strip().lower()]
        if matches:
            return matches[0]
        raise DatasetError(f"label column {label_column!r} is not in {where}; its columns are "
                           f"{', '.join(map(str, columns))}")
    for wanted in _LABEL_COLUMN_NAMES:
        for column in columns:
            if str(column).strip().lower() == wanted:
                return column
    return columns[-1]  # no conventional name: the usual layout puts the label last


def _encode_labels(values, column: str, where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    import pandas as pd

    missing = pd.isna(values)
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        text = values.astype(str).str.strip()
        missing = missing | (text == "")
        values = text
    if missing.any():
        row = int(np.flatnonzero(np.asarray(missing))[0]) + 1
        raise DatasetError(f"label column {column!r} of {where} has a missing value in data row {row}; "
                           "every row needs a label")
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.int64)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
            bad = int(np.flatnonzero(~np.isfinite(numbers) | (numbers != np.round(numbers)))[0])
            raise DatasetError(f"label column {column!r} of {where} holds {numbers[bad]!r} in data row {bad + 1}; "
                               "labels must be class names or whole numbers (dropviz classifies, it does not regress)")
        classes, codes = np.unique(numbers.astype(np.int64), return_inverse=True)
        names = tuple(str(c) for c in classes)
    else:
        classes, codes = np.unique(values.to_numpy(dtype=str), return_inverse=True)
        names = tuple(str(c) for c in classes)
    if len(names) < 2:
        raise DatasetError(f"label column {column!r} of {where} has only one class ({names[0]!r}); "
                           "classification needs at least 2")
    if len(names) > MAX_CLASSES:
        raise DatasetError(f"label column {column!r} of {where} has {len(names)} distinct values; the limit is "
                           f"{MAX_CLASSES} classes (is it the right column? pass label_column=...)")
    return codes.astype(np.int64), names


def _numeric_features(frame, feature_columns: list[str], where: str) -> np.ndarray:
    import pandas as pd

    columns = []
    for column in feature_columns:
        raw = frame[column]
        if pd.api.types.is_bool_dtype(raw):
            raw = raw.astype(np.float64)
        numbers = pd.to_numeric(raw, errors="coerce") if not pd.api.types.is_numeric_dtype(raw) else raw
        numbers = numbers.to_numpy(dtype=np.float64)
        not_a_number = ~np.isfinite(numbers)
        if not_a_number.any():
            row = int(np.flatnonzero(not_a_number)[0])
            cell = raw.iloc[row]
            if pd.isna(cell) or (isinstance(cell, str) and not cell.strip()):
                raise DatasetError(f"feature column {column!r} of {where} has a missing value in data row {row + 1}; "
                                   "every feature cell must hold a number")
            raise DatasetError(f"feature column {column!r} of {where} is not numeric: data row {row + 1} holds "
                               f"{cell!r}; feature columns must hold finite numbers")
        columns.append(numbers)
    return np.stack(columns, axis=1)


def load_csv(source, *, train_size=None, seed=0, label_column: str | None = None, name="csv") -> Dataset:
    """A classification dataset from a CSV: numeric feature columns plus one label column.

    The label column is ``label_column``, else one named label/class/target/y
    (any case), else the last. 25 % of the rows (stratified, per seed) are the
    test set; features are standardized with the training rows' mean and std.
    """
    seed = _check_seed(seed)
    frame, where = _read_csv_frame(source)
    columns = list(frame.columns)
    if len(columns) < 2:
        raise DatasetError(f"{where} has {len(columns)} column; it needs at least one numeric feature column "
                           "and a label column")
    if len(frame) < MIN_CSV_ROWS:
        raise DatasetError(f"{where} has {len(frame)} data rows; at least {MIN_CSV_ROWS} are needed "
                           f"(the limit is {MAX_CSV_ROWS})")
    label = _pick_label_column(columns, label_column, where)
    feature_columns = [c for c in columns if c != label]
    y, class_names = _encode_labels(frame[label], str(label), where)
    x = _numeric_features(frame, feature_columns, where)

    n = len(y)
    test_rows = stratified_indices(y, max(1, int(round(CSV_TEST_FRACTION * n))), seed)
    train_rows = np.setdiff1d(np.arange(n), test_rows)
    # Statistics from the whole training split (not the subset): test features
    # then do not move when train_size changes, and no test row leaks in.
    # Scaled by each column's largest magnitude first (standardizing is scale-free): values near
    # the float limit (±1e308) would overflow the sums to inf and the features to NaN.
    scale = np.abs(x).max(axis=0)
    scale[scale == 0] = 1.0
    x = x / scale
    mean = x[train_rows].mean(axis=0)
    std = x[train_rows].std(axis=0)
    std[std < 1e-12] = 1.0  # constant column (to rounding): centre it, do not divide by ~zero
    x = (x - mean) / std
    size = _subset_size(train_size, len(train_rows), len(class_names), name)
    if size is not None:
        train_rows = train_rows[stratified_indices(y[train_rows], size, seed)]
    x_train, y_train = _tensors_from_rows(x, y, train_rows)
    x_test, y_test = _tensors_from_rows(x, y, test_rows)
    return Dataset(
        name=str(name), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        n_classes=len(class_names), class_names=class_names, image_shape=None,
        description=(f"{pathlib.PurePath(where).name} (CSV, {len(feature_columns)} features, label column "
                     f"{str(label)!r}, {len(class_names)} classes), {len(y_train)} train / {len(y_test)} test"),
    )


# --------------------------------------------------------------------------- registry

def load_dataset(name: str, *, train_size: int | None = None, noise: float = 0.2, seed: int = 0,
                 data_dir: str | os.PathLike | None = None, test_size: int | None = None,
                 allow_download: bool = True) -> Dataset:
    """Load a registry dataset (see DATASET_NAMES) or a ``.csv`` file by path.

    ``noise`` (0..1) only shapes the toys; ``train_size`` None means the
    default (40 for toys, everything otherwise); ``test_size`` None means
    1000 toy points or the whole test set.
    """
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(noise) <= 1.0:
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
