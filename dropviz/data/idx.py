"""(Fashion-)MNIST IDX files: reading, finding them on disk, and downloading them."""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
import pathlib
import struct
import tempfile
import urllib.error
import urllib.request
import zlib

import numpy as np

from .dataset import (
    _DISPLAY_NAMES,
    DIGIT_CLASSES,
    Dataset,
    DatasetError,
    _canonical_name,
    _check_int,
    _subset_size,
    _tensors_from_rows,
    stratified_indices,
)

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
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
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
            raise DatasetError(
                f"{where} {folder} is not a folder (it does not exist or is a file); give the folder "
                "that holds the IDX files (directly or in an mnist/ or fashion-mnist/ subfolder)"
            )


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
        raise DatasetError(
            f"{path} is not an IDX file of unsigned bytes: magic number 0x{magic:08x}, expected "
            f"0x{IDX_IMAGES_MAGIC:08x} (images) or 0x{IDX_LABELS_MAGIC:08x} (labels)"
        )
    n_dims = magic & 0xFF
    header_len = 4 + 4 * n_dims
    if len(data) < header_len:
        raise DatasetError(f"{path} is truncated: expected at least {header_len} header bytes, got {len(data)}")
    dims = struct.unpack(f">{n_dims}I", data[4:header_len])
    expected = header_len + math.prod(dims)
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise DatasetError(
            f"{path} is {problem}: its header {dims} implies {expected} bytes, "
            f"the (decompressed) file has {len(data)} bytes"
        )
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
        raise DatasetError(
            f"{images_path} holds labels (magic 0x{IDX_LABELS_MAGIC:08x}), expected images "
            f"(0x{IDX_IMAGES_MAGIC:08x}); are the file names swapped?"
        )
    if labels.ndim != 1:
        raise DatasetError(f"{labels_path} holds images, expected labels; are the file names swapped?")
    if images.shape[1:] != (IDX_IMAGE_SIDE, IDX_IMAGE_SIDE):
        raise DatasetError(
            f"{images_path} holds {images.shape[1]}x{images.shape[2]} images, expected "
            f"{IDX_IMAGE_SIDE}x{IDX_IMAGE_SIDE}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; they must match"
        )
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
    message = f"{_DISPLAY_NAMES[name]} IDX files not found. Looked in:\n{_search_report(name, data_dir)}\n"
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
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        n_classes=IDX_N_CLASSES,
        class_names=FASHION_MNIST_CLASSES if name == "fashion-mnist" else DIGIT_CLASSES,
        image_shape=(IDX_IMAGE_SIDE, IDX_IMAGE_SIDE),
        description=f"{display} (IDX from {folder}), {len(y_train)} train / {len(y_test)} test",
    )
