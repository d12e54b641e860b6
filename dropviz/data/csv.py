"""User CSV files as classification data sets, with the limits that keep a bad file from exhausting memory."""

from __future__ import annotations

import io
import os
import pathlib
import stat

import numpy as np

from .dataset import Dataset, DatasetError, _check_seed, _subset_size, _tensors_from_rows, stratified_indices

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
        raise DatasetError(
            f"{where} could not be parsed as CSV (comma-separated UTF-8 text with a header line): {exc}"
        ) from exc
    if len(frame) > max_rows:
        if max_rows == MAX_CSV_ROWS:
            raise DatasetError(f"{where} has more than {MAX_CSV_ROWS} data rows; the limit is {MAX_CSV_ROWS}")
        raise DatasetError(
            f"{where} has more than {max_rows} data rows; with {len(frame.columns)} columns that is "
            f"the limit ({MAX_CSV_CELLS:,} cells)"
        )
    return frame, where


def _pick_label_column(columns: list[str], label_column: str | None, where: str) -> str:
    if label_column is not None:
        if label_column in columns:
            return label_column
        matches = [c for c in columns if str(c).strip().lower() == str(label_column).strip().lower()]
        if matches:
            return matches[0]
        raise DatasetError(
            f"label column {label_column!r} is not in {where}; its columns are {', '.join(map(str, columns))}"
        )
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
        raise DatasetError(
            f"label column {column!r} of {where} has a missing value in data row {row}; every row needs a label"
        )
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.int64)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
            bad = int(np.flatnonzero(~np.isfinite(numbers) | (numbers != np.round(numbers)))[0])
            raise DatasetError(
                f"label column {column!r} of {where} holds {numbers[bad]!r} in data row {bad + 1}; "
                "labels must be class names or whole numbers (dropviz classifies, it does not regress)"
            )
        classes, codes = np.unique(numbers.astype(np.int64), return_inverse=True)
        names = tuple(str(c) for c in classes)
    else:
        classes, codes = np.unique(values.to_numpy(dtype=str), return_inverse=True)
        names = tuple(str(c) for c in classes)
    if len(names) < 2:
        raise DatasetError(
            f"label column {column!r} of {where} has only one class ({names[0]!r}); classification needs at least 2"
        )
    if len(names) > MAX_CLASSES:
        raise DatasetError(
            f"label column {column!r} of {where} has {len(names)} distinct values; the limit is "
            f"{MAX_CLASSES} classes (is it the right column? pass label_column=...)"
        )
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
                raise DatasetError(
                    f"feature column {column!r} of {where} has a missing value in data row {row + 1}; "
                    "every feature cell must hold a number"
                )
            raise DatasetError(
                f"feature column {column!r} of {where} is not numeric: data row {row + 1} holds "
                f"{cell!r}; feature columns must hold finite numbers"
            )
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
        raise DatasetError(
            f"{where} has {len(columns)} column; it needs at least one numeric feature column and a label column"
        )
    if len(frame) < MIN_CSV_ROWS:
        raise DatasetError(
            f"{where} has {len(frame)} data rows; at least {MIN_CSV_ROWS} are needed (the limit is {MAX_CSV_ROWS})"
        )
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
        name=str(name),
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        n_classes=len(class_names),
        class_names=class_names,
        image_shape=None,
        description=(
            f"{pathlib.PurePath(where).name} (CSV, {len(feature_columns)} features, label column "
            f"{str(label)!r}, {len(class_names)} classes), {len(y_train)} train / {len(y_test)} test"
        ),
    )
