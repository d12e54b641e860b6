"""Issue 17, points 5 (CSV), 13 (data paths), 15 (upload size) and 16 (listen address): bad input, clear outcome."""

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import tomllib

from dropviz import data
from dropviz.config import RunConfig
from dropviz.data import DatasetError, load_csv, load_dataset
from dropviz.data import csv as data_csv
from dropviz.data import idx as data_idx

ROOT = Path(__file__).resolve().parents[1]


def _csv(rows: int = 40, columns: int = 3, value=lambda i, j: i * 0.5 + j) -> bytes:
    header = ",".join(f"f{j}" for j in range(columns)) + ",label"
    lines = [",".join(str(value(i, j)) for j in range(columns)) + f",{i % 2}" for i in range(rows)]
    return ("\n".join([header, *lines]) + "\n").encode()


def finishes(function, seconds: float = 10.0):
    """function() run in a thread that must finish in ``seconds`` (a hang is a failure, not a stuck suite)."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# --- 16: the listen address -------------------------------------------------------------------


def _streamlit_option(name: str, *flags: str) -> str:
    code = (
        "import sys; from streamlit import config; "
        "flags = dict(arg.split('=', 1) for arg in sys.argv[1:]); "
        f"config.get_config_options(force_reparse=True, options_from_flags=flags); print(config.get_option({name!r}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *flags], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()


def test_a_plain_streamlit_run_listens_on_this_machine_only_and_make_run_can_open_it():
    assert _streamlit_option("server.address") == "127.0.0.1"
    assert _streamlit_option("server.address", "server.address=0.0.0.0") == "0.0.0.0"  # the flag wins
    assert "--server.address $(ADDRESS)" in (ROOT / "Makefile").read_text()


# --- 15: upload size ------------------------------------------------------------------------


def test_upload_limit_is_what_the_loader_accepts():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == data.MAX_CSV_BYTES
    assert data.MAX_CSV_CELLS * 10 <= data.MAX_CSV_BYTES  # ~10 bytes a cell fit


def test_a_csv_over_the_byte_limit_is_refused_before_parsing(monkeypatch, tmp_path):
    monkeypatch.setattr(data_csv, "MAX_CSV_BYTES", 1000)
    content = _csv(rows=200)
    assert len(content) > 1000
    for source in (content, io.BytesIO(content)):
        with pytest.raises(DatasetError, match="at most 0 MB|larger than"):
            load_csv(source)
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match="larger than 0 MB"):
        load_dataset(str(path))


def test_an_endless_upload_is_refused_not_read_forever(monkeypatch):
    monkeypatch.setattr(data_csv, "MAX_CSV_BYTES", 4 << 20)

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def read(self, size=-1):
            return b"1,2,3\n" * (max(size, 6) // 6)

    with pytest.raises(DatasetError, match="larger than 4 MB"):
        finishes(lambda: load_csv(Endless()))


def test_rows_times_columns_is_bounded(monkeypatch):
    monkeypatch.setattr(data_csv, "MAX_CSV_CELLS", 100)
    with pytest.raises(DatasetError, match=r"more than 25 data rows; with 4 columns that is the limit \(100 cells\)"):
        load_csv(_csv(rows=40, columns=3))
    assert load_csv(_csv(rows=25, columns=3)).x_train.shape[1] == 3


# --- 5: huge finite values ------------------------------------------------------------------


def test_values_near_the_float_limit_standardize_to_finite_features_and_train():
    from dropviz.train import train

    content = _csv(rows=60, columns=2, value=lambda i, j: (1e308 if i % 2 else -1e308) if j == 0 else i)
    dataset = load_csv(content)
    assert np.isfinite(dataset.x_train.numpy()).all() and np.isfinite(dataset.x_test.numpy()).all()
    assert dataset.x_train[:, 0].abs().max() < 10  # a two-valued column, standardized
    result = train(RunConfig(dataset="huge.csv", hidden=(8,), epochs=3), dataset)
    assert result.status == "completed"
    assert all(np.isfinite(value) for metrics in result.final.values() for value in metrics.values())


# --- 13: data paths -------------------------------------------------------------------------


def test_a_fifo_named_as_a_data_set_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="not a regular file"):
        finishes(lambda: load_dataset(str(fifo)))


def _idx(array: np.ndarray) -> bytes:
    import struct

    magic = 0x00000801 if array.ndim == 1 else 0x00000803
    return (
        struct.pack(">I", magic)
        + b"".join(struct.pack(">I", n) for n in array.shape)
        + array.astype(np.uint8).tobytes()
    )


def _idx_set(folder: Path, test_labels: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train-images": rng.integers(0, 255, (30, 28, 28)),
        "train-labels": np.arange(30) % 10,
        "test-images": rng.integers(0, 255, (len(test_labels), 28, 28)),
        "test-labels": test_labels,
    }
    for key, array in arrays.items():
        (folder / data.IDX_FILE_STEMS[key]).write_bytes(_idx(np.asarray(array)))
    return folder


@pytest.fixture
def no_other_copies(tmp_path, monkeypatch):
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", tmp_path / "system")
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_loose_idx_files_serve_only_the_data_set_they_are(tmp_path, no_other_copies):
    fashion_counts = np.repeat(np.arange(10), 1000)  # Fashion-MNIST's test set: 1000 of each class
    folder = _idx_set(tmp_path / "loose", fashion_counts)
    assert data.identify_idx(data.find_idx_files("fashion-mnist", folder)) == "fashion-mnist"
    assert data.find_idx_files("mnist", folder) is None
    with pytest.raises(DatasetError, match="these are Fashion-MNIST's files"):
        load_dataset("mnist", data_dir=folder, allow_download=False)


def test_loose_files_that_cannot_be_told_apart_need_their_folder(tmp_path, no_other_copies):
    folder = _idx_set(tmp_path / "loose", np.arange(20) % 10)
    with pytest.raises(DatasetError, match="cannot tell which data set these files are: put them in .*/loose/mnist/"):
        load_dataset("mnist", data_dir=folder, allow_download=False)
    _idx_set(folder / "mnist", np.arange(20) % 10)
    assert len(load_dataset("mnist", data_dir=folder, allow_download=False).y_test) == 20


def test_a_missing_data_dir_is_an_error_not_another_copy(tmp_path):
    with pytest.raises(DatasetError, match="data_dir .*/nowhere is not a folder"):
        load_dataset("fashion-mnist", data_dir=tmp_path / "nowhere", allow_download=False)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dropviz",
            "train",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            str(tmp_path / "nowhere"),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "is not a folder" in result.stderr


# --- 14: a tiny keep probability --------------------------------------------------------------


def test_keep_p_is_bounded_where_one_over_p_stops_making_sense():
    from dropviz.config import ConfigError, from_mapping, from_query_params

    with pytest.raises(ConfigError, match=r"keep_p: Input should be greater than or equal to 0.001, got 1e-300"):
        from_mapping({"keep_p": 1e-300})
    config, notices = from_query_params({"keep_p_input": "1e-300"})
    assert config.keep_p_input == 1.0 and ">= 0.001" in notices[0]
    assert from_mapping({"keep_p": 0.001}).keep_p == 0.001


def test_a_run_diverging_with_a_tiny_keep_p_names_it_not_the_learning_rate():
    from dropviz.train import Trainer, divergence_advice

    tiny = RunConfig(keep_p=0.001, lr=10.0, momentum=0.99, hidden=(64, 64), epochs=200)
    assert "keep probability is tiny (p = 0.001: kept units are scaled by 1/p = 1e+03)" in divergence_advice(tiny)
    assert divergence_advice(tiny.changed(keep_p=0.5)).startswith("lower the learning rate (it was 10.0)")
    trainer = Trainer(tiny)
    while not trainer.done:
        trainer.step()
    assert trainer.status == "diverged" and "keep probability is tiny" in trainer.message
