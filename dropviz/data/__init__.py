"""Data sets: 2D toys, 8x8 digits, (Fashion-)MNIST from IDX files, user CSV.

Everything returns a :class:`Dataset` of torch tensors (features float32, flat;
labels int64). Nothing here imports streamlit: the app, the CLI and the tests
all call :func:`load_dataset` / :func:`load_csv` the same way.

Determinism: the same arguments (seed included) give identical tensors. The
test set of a dataset never depends on ``train_size``, so curves for
different training-set sizes are measured on the same points.

Modules: ``dataset`` (the type, its error, shared checks), ``toys``, ``digits``,
``idx`` (MNIST / Fashion-MNIST files), ``csv`` (user files), ``registry``
(names to loaders). Tests that patch a setting patch it in the module that reads it
(``dropviz.data.idx.SYSTEM_DATA_ROOT``, ``dropviz.data.csv.MAX_CSV_ROWS``, ...).
"""

from .csv import MAX_CLASSES, MAX_CSV_BYTES, MAX_CSV_CELLS, MAX_CSV_COLUMNS, MAX_CSV_ROWS, load_csv
from .dataset import DATASET_NAMES, IMAGE_DATASETS, TOY_DATASETS, Dataset, DatasetError, DatasetInfo, stratified_indices
from .idx import (
    ENV_DATA_DIR,
    IDX_FILE_STEMS,
    IDX_IMAGES_MAGIC,
    IDX_KEYS,
    IDX_LABELS_MAGIC,
    IDX_MD5,
    find_idx_files,
    identify_idx,
    idx_search_dirs,
    read_idx,
)
from .registry import dataset_shape, default_train_size, list_datasets, load_dataset
from .toys import TOY_DEFAULT_TRAIN_SIZE

__all__ = [
    "DATASET_NAMES",
    "ENV_DATA_DIR",
    "IDX_FILE_STEMS",
    "IDX_IMAGES_MAGIC",
    "IDX_KEYS",
    "IDX_LABELS_MAGIC",
    "IDX_MD5",
    "IMAGE_DATASETS",
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_CSV_CELLS",
    "MAX_CSV_COLUMNS",
    "MAX_CSV_ROWS",
    "TOY_DATASETS",
    "TOY_DEFAULT_TRAIN_SIZE",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "dataset_shape",
    "default_train_size",
    "find_idx_files",
    "identify_idx",
    "idx_search_dirs",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "read_idx",
    "stratified_indices",
]
