"""Tests for dropviz.data: toys, digits, IDX reading/lookup/download, CSV. No network."""

from __future__ import annotations

import gzip
import hashlib
import io
import pathlib
import struct
import urllib.error

import numpy as np
import pytest
import torch

from dropviz import data
from dropviz.data import DatasetError
from dropviz.data import csv as data_csv
from dropviz.data import idx as data_idx


@pytest.fixture(autouse=True)
def isolated_lookup(tmp_path_factory, monkeypatch):
    """No test sees the real cache, env var or network; the Debian root stays real unless a test moves it."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(data_idx, "_urlopen", no_network)
    return home


# --------------------------------------------------------------------------- IDX helpers


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def fake_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def write_idx_set(folder: pathlib.Path, n_train: int = 50, n_test: int = 20, gz: bool = True, seed: int = 0):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    arrays["train-images"], arrays["train-labels"] = fake_split(n_train, seed)
    arrays["test-images"], arrays["test-labels"] = fake_split(n_test, seed + 1)
    for key, array in arrays.items():
        path = folder / (data.IDX_FILE_STEMS[key] + (".gz" if gz else ""))
        payload = idx_bytes(array)
        path.write_bytes(gzip.compress(payload) if gz else payload)
    return arrays


# --------------------------------------------------------------------------- toys


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_shapes_balance_and_scale(name):
    ds = data.load_dataset(name)
    assert ds.name == name and ds.is_2d and ds.n_features == 2 and ds.image_shape is None
    assert ds.x_train.shape == (data.TOY_DEFAULT_TRAIN_SIZE, 2) and ds.x_test.shape == (1000, 2)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert ds.n_classes == len(ds.class_names) == (3 if name == "blobs" else 2)
    counts = torch.bincount(ds.y_train, minlength=ds.n_classes)
    assert counts.max() - counts.min() <= 1, counts
    test_counts = torch.bincount(ds.y_test, minlength=ds.n_classes).float()
    assert (test_counts / len(ds.y_test) - 1 / ds.n_classes).abs().max() < 0.01
    assert ds.x_test.abs().max() < 3.0 and ds.x_test.std(dim=0).min() > 0.3


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_deterministic_per_seed_and_different_across_seeds(name):
    a = data.load_dataset(name, seed=3)
    b = data.load_dataset(name, seed=3)
    c = data.load_dataset(name, seed=4)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)
    assert not torch.equal(a.x_test, c.x_test)
    # train and test come from different streams, not the same points
    assert not torch.equal(a.x_train, a.x_test[: len(a.x_train)])


def test_toy_test_set_does_not_depend_on_train_size():
    small = data.load_dataset("moons", train_size=20, seed=1)
    big = data.load_dataset("moons", train_size=500, seed=1, test_size=200)
    assert len(small.y_train) == 20 and len(big.y_train) == 500 and len(big.y_test) == 200
    assert torch.equal(data.load_dataset("moons", train_size=500, seed=1).x_test, small.x_test)


def test_toy_noise_changes_spread():
    clean = data.load_dataset("xor", noise=0.0)
    assert torch.all(torch.sign(clean.x_test[:, 0] * clean.x_test[:, 1]) == clean.y_test * 2 - 1)
    noisy = data.load_dataset("xor", noise=1.0)
    agreement = (torch.sign(noisy.x_test[:, 0] * noisy.x_test[:, 1]) == noisy.y_test * 2 - 1).float().mean()
    assert agreement < 0.95


@pytest.mark.parametrize("noise", [-0.1, 1.5, float("nan"), "0.2", True])
def test_noise_validation(noise):
    with pytest.raises(DatasetError, match="noise must be a number between 0 and 1"):
        data.load_dataset("moons", noise=noise)


@pytest.mark.parametrize("train_size", [0, 9, 100_001, 2.5])
def test_toy_train_size_validation(train_size):
    with pytest.raises(DatasetError, match="train_size for moons must be"):
        data.load_dataset("moons", train_size=train_size)


def test_unknown_name_and_bad_seed():
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'.*moons.*fashion-mnist.*csv"):
        data.load_dataset("cifar")
    with pytest.raises(DatasetError, match="seed must be"):
        data.load_dataset("moons", seed=-1)
    assert data.load_dataset("Fashion_MNIST", train_size=100, allow_download=False).name == "fashion-mnist"


def test_default_train_size():
    assert all(data.default_train_size(n) == data.TOY_DEFAULT_TRAIN_SIZE == 40 for n in data.TOY_DATASETS)
    assert all(data.default_train_size(n) is None for n in data.IMAGE_DATASETS)
    assert data.default_train_size("my.csv") is None
    with pytest.raises(DatasetError):
        data.default_train_size("nope")


# --------------------------------------------------------------------------- digits and subsets


def test_digits_full_split():
    ds = data.load_dataset("digits")
    assert ds.image_shape == (8, 8) and ds.n_features == 64 and not ds.is_2d
    assert len(ds.y_train) + len(ds.y_test) == 1797 and len(ds.y_test) == 449
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() == 1.0
    full = np.bincount(ds.y_train.numpy()) + np.bincount(ds.y_test.numpy())
    test_share = np.bincount(ds.y_test.numpy()) / full
    assert np.all(np.abs(test_share - 0.25) < 0.01)
    # the test split is fixed: another seed changes nothing without a subset
    assert torch.equal(data.load_dataset("digits", seed=7).x_test, ds.x_test)


def test_digits_stratified_subset_counts_and_determinism():
    full = data.load_dataset("digits")
    full_counts = np.bincount(full.y_train.numpy())
    sub = data.load_dataset("digits", train_size=200, seed=5)
    counts = np.bincount(sub.y_train.numpy(), minlength=10)
    assert counts.sum() == 200
    assert np.all(np.abs(counts - 200 * full_counts / full_counts.sum()) < 1.0)
    again = data.load_dataset("digits", train_size=200, seed=5)
    other = data.load_dataset("digits", train_size=200, seed=6)
    assert torch.equal(sub.x_train, again.x_train)
    assert not torch.equal(sub.x_train, other.x_train)
    assert torch.equal(sub.x_test, full.x_test)


def test_digits_train_size_too_large_names_maximum():
    with pytest.raises(DatasetError, match="maximum is 1348"):
        data.load_dataset("digits", train_size=5000)


def test_stratified_indices_exact_and_nested():
    labels = np.repeat(np.arange(4), [10, 20, 30, 40])
    idx = data.stratified_indices(labels, 50, seed=1)
    assert np.bincount(labels[idx]).tolist() == [5, 10, 15, 20]
    assert np.array_equal(idx, data.stratified_indices(labels, 50, seed=1))
    bigger = data.stratified_indices(labels, 70, seed=1)
    assert set(idx) <= set(bigger)


def test_returned_tensors_do_not_alias_cache():
    a = data.load_dataset("digits")
    a.x_train.zero_()
    b = data.load_dataset("digits")
    assert b.x_train.max() == 1.0


# --------------------------------------------------------------------------- IDX reading


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    arrays = write_idx_set(tmp_path / "fashion-mnist", n_train=50, n_test=20, gz=gz)
    files = data.find_idx_files("fashion-mnist", tmp_path)
    assert files is not None and set(files) == set(data.IDX_KEYS)
    assert files["train-images"].name.endswith(".gz") == gz
    images = data.read_idx(files["train-images"])
    assert images.dtype == np.uint8 and images.shape == (50, 28, 28)
    assert np.array_equal(images, arrays["train-images"])
    assert not images.flags.writeable

    ds = data.load_dataset("fashion-mnist", data_dir=tmp_path, allow_download=False)
    assert ds.x_train.shape == (50, 784) and ds.x_test.shape == (20, 784) and ds.image_shape == (28, 28)
    assert ds.class_names[0] == "T-shirt/top" and ds.n_classes == 10
    expected = torch.from_numpy(arrays["train-images"].reshape(50, -1).astype(np.float32) / 255)
    assert torch.allclose(ds.x_train, expected)
    assert torch.equal(ds.y_train, torch.from_numpy(arrays["train-labels"].astype(np.int64)))
    assert str(tmp_path / "fashion-mnist") in ds.description


def test_read_idx_cache_sees_replaced_file(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.arange(5, dtype=np.uint8)))
    assert data.read_idx(path).tolist() == [0, 1, 2, 3, 4]
    path.write_bytes(idx_bytes(np.arange(7, dtype=np.uint8)))
    assert data.read_idx(path).tolist() == list(range(7))


def test_truncated_file_names_file_and_byte_counts(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    full = idx_bytes(fake_split(5, 0)[0])
    path.write_bytes(full[:-100])
    with pytest.raises(DatasetError) as info:
        data.read_idx(path)
    message = str(info.value)
    assert str(path) in message and "truncated" in message
    assert str(len(full)) in message and str(len(full) - 100) in message


def test_header_length_mismatch(tmp_path):
    path = tmp_path / "imgs"
    path.write_bytes(idx_bytes(fake_split(5, 0)[0]) + b"\x00" * 10)
    with pytest.raises(DatasetError, match="longer than its header says"):
        data.read_idx(path)
    header_only = tmp_path / "header"
    header_only.write_bytes(struct.pack(">I", data.IDX_IMAGES_MAGIC) + b"\x00\x00")
    with pytest.raises(DatasetError, match="truncated"):
        data.read_idx(header_only)


def test_wrong_magic(tmp_path):
    path = tmp_path / "imgs"
    path.write_bytes(struct.pack(">IIII", 0x00000D03, 1, 28, 28) + bytes(784 * 4))
    with pytest.raises(DatasetError, match=r"magic number 0x00000d03.*0x00000803 \(images\)"):
        data.read_idx(path)


def test_bad_gzip(tmp_path):
    good = gzip.compress(idx_bytes(fake_split(5, 0)[0]))
    truncated = tmp_path / "a.gz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError, match="damaged gzip"):
        data.read_idx(truncated)
    corrupt = tmp_path / "b.gz"
    corrupt.write_bytes(b"\x1f\x8b" + b"\xff" * 50)
    with pytest.raises(DatasetError, match="damaged gzip"):
        data.read_idx(corrupt)
    not_gzip = tmp_path / "c.gz"
    not_gzip.write_bytes(b"hello world")
    with pytest.raises(DatasetError, match="not gzip data"):
        data.read_idx(not_gzip)


def test_missing_file():
    with pytest.raises(DatasetError, match="cannot read IDX file"):
        data.read_idx("/nonexistent/train-images-idx3-ubyte")


def test_label_image_count_mismatch(tmp_path):
    folder = tmp_path / "mnist"
    write_idx_set(folder)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(49, np.uint8))))
    with pytest.raises(DatasetError, match="50 images but .*train-labels.* 49 labels"):
        data.load_dataset("mnist", data_dir=tmp_path, allow_download=False)


def test_label_out_of_range_and_swapped_files(tmp_path):
    folder = tmp_path / "mnist"
    write_idx_set(folder)
    labels = (np.arange(20) % 10).astype(np.uint8)
    labels[3] = 12
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(DatasetError, match="label 12 at index 3; labels must be 0..9"):
        data.load_dataset("mnist", data_dir=tmp_path, allow_download=False)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(fake_split(20, 0)[0])))
    with pytest.raises(DatasetError, match="expected labels"):
        data.load_dataset("mnist", data_dir=tmp_path, allow_download=False)


def test_idx_subset_limits(tmp_path):
    write_idx_set(tmp_path / "mnist", n_train=50)
    ds = data.load_dataset("mnist", data_dir=tmp_path, train_size=20, test_size=10, allow_download=False)
    assert np.bincount(ds.y_train.numpy()).tolist() == [2] * 10 and len(ds.y_test) == 10
    with pytest.raises(DatasetError, match="maximum is 50"):
        data.load_dataset("mnist", data_dir=tmp_path, train_size=51, allow_download=False)


# --------------------------------------------------------------------------- lookup order and download


def test_lookup_order(tmp_path, monkeypatch, isolated_lookup):
    system_root = tmp_path / "system"
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", system_root)
    assert data.find_idx_files("mnist") is None

    write_idx_set(system_root / "mnist", n_train=40)
    assert data.find_idx_files("mnist")["train-images"].parent == system_root / "mnist"

    cache = isolated_lookup / ".cache" / "dropviz"
    write_idx_set(cache / "mnist", n_train=35)
    assert data.find_idx_files("mnist")["train-images"].parent == cache / "mnist"

    env_dir = tmp_path / "env"
    write_idx_set(env_dir / "mnist", n_train=30)
    monkeypatch.setenv(data.ENV_DATA_DIR, str(env_dir))
    assert data.find_idx_files("mnist")["train-images"].parent == env_dir / "mnist"

    arg_dir = tmp_path / "arg"
    write_idx_set(arg_dir / "mnist", n_train=20)
    assert data.find_idx_files("mnist", arg_dir)["train-images"].parent == arg_dir / "mnist"
    assert len(data.load_dataset("mnist", data_dir=arg_dir, allow_download=False).y_train) == 20
    assert len(data.load_dataset("mnist", allow_download=False).y_train) == 30


def test_incomplete_folder_is_skipped_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", tmp_path / "system")
    folder = tmp_path / "arg" / "mnist"
    write_idx_set(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    assert data.find_idx_files("mnist", tmp_path / "arg") is None
    with pytest.raises(DatasetError, match=r"incomplete: missing t10k-labels-idx1-ubyte"):
        data.load_dataset("mnist", data_dir=tmp_path / "arg", allow_download=False)


def test_offline_not_found_message_lists_every_place(tmp_path, monkeypatch, isolated_lookup):
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", tmp_path / "system")
    monkeypatch.setenv(data.ENV_DATA_DIR, str(tmp_path / "env"))
    (tmp_path / "env").mkdir()  # named folders must exist (a missing one is its own error)
    (tmp_path / "arg").mkdir()
    with pytest.raises(DatasetError) as info:
        data.load_dataset("fashion-mnist", data_dir=tmp_path / "arg", allow_download=False)
    message = str(info.value)
    for place in data.idx_search_dirs("fashion-mnist", tmp_path / "arg"):
        assert str(place) in message
    assert str(tmp_path / "arg" / "fashion-mnist") in message
    assert str(tmp_path / "env") in message
    assert str(isolated_lookup / ".cache" / "dropviz" / "fashion-mnist") in message
    assert str(tmp_path / "system" / "fashion-mnist") in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "DROPVIZ_DATA_DIR" in message and "--data-dir" in message
    assert "not attempted" in message


def test_failed_download_raises_clear_error_and_leaves_no_partial_file(tmp_path, monkeypatch, isolated_lookup):
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", tmp_path / "system")

    def unreachable(url, timeout):
        assert timeout <= 10
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(data_idx, "_urlopen", unreachable)
    with pytest.raises(DatasetError) as info:
        data.load_dataset("mnist")
    message = str(info.value)
    assert "Download from https://ossci-datasets.s3.amazonaws.com/mnist/ failed: Name or service not known" in message
    assert str(tmp_path / "system" / "mnist") in message
    target = isolated_lookup / ".cache" / "dropviz" / "mnist"
    assert list(target.iterdir()) == []


def serve_files(folder: pathlib.Path):
    def fake_urlopen(url, timeout):
        return io.BytesIO((folder / url.rsplit("/", 1)[1]).read_bytes())

    return fake_urlopen


def test_download_verifies_md5_and_writes_into_cache(tmp_path, monkeypatch, isolated_lookup):
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", tmp_path / "system")
    mirror = tmp_path / "mirror"
    write_idx_set(mirror, n_train=30)
    md5 = {
        key: hashlib.md5((mirror / (data.IDX_FILE_STEMS[key] + ".gz")).read_bytes()).hexdigest()
        for key in data.IDX_KEYS
    }
    monkeypatch.setattr(data_idx, "_urlopen", serve_files(mirror))

    monkeypatch.setitem(data_idx.IDX_MD5, "mnist", {**md5, "test-labels": "0" * 32})
    with pytest.raises(DatasetError, match="has MD5 .*expected 0000"):
        data.load_dataset("mnist")
    cache = isolated_lookup / ".cache" / "dropviz" / "mnist"
    assert not (cache / "t10k-labels-idx1-ubyte.gz").exists()
    assert not [p for p in cache.iterdir() if p.name.endswith(".part")]

    monkeypatch.setitem(data_idx.IDX_MD5, "mnist", md5)
    ds = data.load_dataset("mnist")
    assert len(ds.y_train) == 30 and str(cache) in ds.description
    assert sorted(p.name for p in cache.iterdir()) == sorted(data.IDX_FILE_STEMS[k] + ".gz" for k in data.IDX_KEYS)


def test_list_datasets_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(data_idx, "SYSTEM_DATA_ROOT", tmp_path / "system")
    write_idx_set(tmp_path / "arg" / "fashion-mnist")
    infos = {info.name: info for info in data.list_datasets(tmp_path / "arg")}
    assert list(infos) == list(data.DATASET_NAMES)
    assert all(infos[n].available and infos[n].kind == "toy" for n in data.TOY_DATASETS)
    assert infos["digits"].available and infos["digits"].kind == "image"
    assert infos["fashion-mnist"].available and infos["fashion-mnist"].where == str(tmp_path / "arg" / "fashion-mnist")
    assert not infos["mnist"].available and "not found" in infos["mnist"].where


# --------------------------------------------------------------------------- CSV


def iris_like_csv(n_per_class: int = 12) -> str:
    rng = np.random.default_rng(0)
    lines = ["sepal length, sepal width,Species"]
    for k, species in enumerate(["setosa", "versicolor", "virginica"]):
        for _ in range(n_per_class):
            a, b = rng.normal(k, 0.3, size=2)
            lines.append(f"{a:.3f},{b + 10:.3f},{species}")
    return "\n".join(lines) + "\n"


def test_csv_happy_path_string_labels(tmp_path):
    text = iris_like_csv()
    # the label column is the last one, not named: found by position
    ds = data.load_csv(text.encode(), seed=1)
    assert ds.class_names == ("setosa", "versicolor", "virginica") and ds.n_classes == 3
    assert ds.is_2d and ds.image_shape is None
    assert len(ds.y_train) == 27 and len(ds.y_test) == 9
    assert np.bincount(ds.y_test.numpy()).tolist() == [3, 3, 3]
    assert torch.allclose(ds.x_train.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(ds.x_train.std(0, unbiased=False), torch.ones(2), atol=1e-4)

    path = tmp_path / "iris.csv"
    path.write_text(text)
    by_path = data.load_dataset(str(path), seed=1)
    assert torch.equal(by_path.x_train, ds.x_train) and torch.equal(by_path.y_test, ds.y_test)
    assert "iris.csv" in by_path.description
    by_text_file = data.load_csv(io.StringIO(text), seed=1)
    uploaded = io.BytesIO(text.encode())
    uploaded.read()  # an upload that was already consumed on a previous rerun
    by_upload = data.load_csv(uploaded, seed=1)
    assert torch.equal(by_text_file.x_test, ds.x_test) and torch.equal(by_upload.x_test, ds.x_test)
    assert not torch.equal(data.load_csv(text.encode(), seed=2).x_test, ds.x_test)


def test_csv_label_column_choice_and_integer_labels():
    rows = ["Target,f1,f2,f3"] + [f"{i % 2 + 3},{i},{i * 2 % 7},5" for i in range(20)]
    ds = data.load_csv("\n".join(rows).encode(), train_size=6)
    assert ds.class_names == ("3", "4") and ds.n_features == 3
    assert np.bincount(ds.y_train.numpy()).tolist() == [3, 3]
    assert torch.all(torch.isfinite(ds.x_train))  # constant column f3 does not divide by zero
    chosen = data.load_csv("\n".join(rows).encode(), label_column="f2")
    assert chosen.n_classes == 7 and chosen.n_features == 3
    with pytest.raises(DatasetError, match="label column 'nope' is not in .*Target, f1, f2, f3"):
        data.load_csv("\n".join(rows).encode(), label_column="nope")
    with pytest.raises(DatasetError, match="maximum is 15"):
        data.load_csv("\n".join(rows).encode(), train_size=16)


def csv_rows(n=12, label=lambda i: "ab"[i % 2], feature=lambda i: str(i)):
    return ("x1,x2,label\n" + "".join(f"{feature(i)},{i * 0.5},{label(i)}\n" for i in range(n))).encode()


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"x1,x2,label\n", "0 data rows; at least 10"),
        (csv_rows(n=5), "5 data rows; at least 10"),
        (b"only\n" + b"1\n" * 12, "at least one numeric feature column and a label column"),
        (
            csv_rows(feature=lambda i: "oops" if i == 4 else str(i)),
            "feature column 'x1' .* not numeric: data row 5 holds 'oops'",
        ),
        (csv_rows(feature=lambda i: "" if i == 2 else str(i)), "feature column 'x1' .*missing value in data row 3"),
        (csv_rows(label=lambda i: "" if i == 7 else "ab"[i % 2]), "label column 'label' .*missing value in data row 8"),
        (csv_rows(label=lambda i: "same"), "only one class \\('same'\\)"),
        (csv_rows(n=120, label=lambda i: f"c{i}"), "120 distinct values; the limit is 100 classes"),
        (csv_rows(label=lambda i: i * 0.5), "labels must be class names or whole numbers"),
        (b"a,b,label\n1,2,x\n1,2,3,4,5\n" + b"1,2,y\n" * 10, "could not be parsed as CSV"),
        (b"\xff\xfe\x00bad" * 30, "could not be parsed as CSV"),
    ],
)
def test_csv_errors(content, pattern):
    with pytest.raises(DatasetError, match=pattern):
        data.load_csv(content)


def test_csv_size_limits(monkeypatch):
    monkeypatch.setattr(data_csv, "MAX_CSV_ROWS", 30)
    with pytest.raises(DatasetError, match="more than 30 data rows; the limit is 30"):
        data.load_csv(csv_rows(n=31))
    assert len(data.load_csv(csv_rows(n=30)).y_test) == 8
    monkeypatch.setattr(data_csv, "MAX_CSV_COLUMNS", 5)
    wide = ",".join(f"c{i}" for i in range(6)) + "\n" + "1,2,3,4,5,a\n" * 12
    with pytest.raises(DatasetError, match="has 6 columns; the limit is 5"):
        data.load_csv(wide.encode())


def test_csv_path_errors(tmp_path):
    with pytest.raises(DatasetError, match="cannot read CSV file"):
        data.load_dataset(str(tmp_path / "missing.csv"))
    with pytest.raises(DatasetError, match="test_size cannot be set for a CSV"):
        data.load_dataset(str(tmp_path / "missing.csv"), test_size=10)
    with pytest.raises(DatasetError, match="must be a path, bytes or a file-like"):
        data.load_csv(12345)


# --------------------------------------------------------------------------- the real Debian Fashion-MNIST


def test_real_debian_fashion_mnist():
    """dataset-fashion-mnist is installed by .ci/run; this must not be skipped."""
    files = data.find_idx_files("fashion-mnist")
    assert files is not None, "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
    full = data.load_dataset("fashion-mnist", allow_download=False)
    assert full.x_train.shape == (60000, 784) and full.y_train.shape == (60000,)
    assert full.x_test.shape == (10000, 784) and full.y_test.shape == (10000,)
    assert full.x_train.dtype == torch.float32 and 0.0 <= full.x_train.min() and full.x_train.max() <= 1.0
    assert np.bincount(full.y_train.numpy()).tolist() == [6000] * 10

    subset = data.load_dataset("fashion-mnist", train_size=5000, seed=0, allow_download=False)
    assert np.bincount(subset.y_train.numpy(), minlength=10).tolist() == [500] * 10
    assert torch.equal(subset.x_test, full.x_test)
    again = data.load_dataset("fashion-mnist", train_size=5000, seed=0, allow_download=False)
    other = data.load_dataset("fashion-mnist", train_size=5000, seed=1, allow_download=False)
    assert torch.equal(again.x_train, subset.x_train)
    assert not torch.equal(other.x_train, subset.x_train)
