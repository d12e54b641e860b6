"""Issue 17.6: bad CLI input exits 2 with one line naming the problem, never a traceback, never a hang."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None, timeout=120):
    import os

    return subprocess.run(
        [sys.executable, "-m", "dropviz", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result, needle: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert needle in result.stderr, result.stderr


@pytest.fixture
def files(tmp_path):
    (tmp_path / "latin1.json").write_bytes(b'\xff\xfe{"lr": 0.1}')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path


def test_cuda_without_a_gpu():
    no_gpu = {"CUDA_VISIBLE_DEVICES": ""}  # what a machine without one sees, here or on a GPU machine
    one_line_error(
        run_cli("train", "--device", "cuda", "--epochs", "1", "--quiet", env=no_gpu), "no CUDA GPU is available"
    )


@pytest.mark.parametrize(
    "name,needle",
    [
        ("latin1.json", "is not UTF-8 text (byte 0xff at position 0)"),
        ("deep.json", "settings JSON is nested too deeply"),
    ],
)
def test_bad_config_files(files, name, needle):
    one_line_error(run_cli("train", "--config", str(files / name)), needle)


def test_endless_config_is_refused_without_reading_it():
    one_line_error(run_cli("train", "--config", "/dev/zero", timeout=30), "/dev/zero is not a regular file")


def test_outputs_under_a_file_are_refused_before_the_sweep_runs(files):
    under = files / "a-file" / "out"
    db = files / "results.sqlite"
    common = ("experiment", "fig11", "--preset", "tiny", "--dataset", "digits", "--quiet", "--workers", "0")
    one_line_error(run_cli(*common, "--db", f"{under}.sqlite"), f"--db {under}.sqlite: {files / 'a-file'} is a file")
    one_line_error(
        run_cli(*common, "--db", str(db), "--export", f"{under}.json"),
        f"--export {under}.json: {files / 'a-file'} is a file, not a folder",
    )
    assert not db.exists()  # refused before anything ran or was written
    one_line_error(run_cli(*common, env={"DROPVIZ_RESULTS_DB": f"{under}.sqlite"}), "$DROPVIZ_RESULTS_DB")
    one_line_error(run_cli(*common, "--db", str(files)), "is a folder; give a file path")


@pytest.mark.parametrize(
    "args",
    [
        ("datasets",),
        ("experiment", "--list", "--json"),
        ("train", "--epochs", "1", "--train-size", "64", "--quiet", "--json"),
    ],
)
def test_output_into_a_reader_that_went_away_ends_quietly(args):
    """``python -m dropviz ... | head``: the reader closes before the output comes (closed here before the
    command starts, so every run sees it); the command exits 141 (128 + SIGPIPE) with nothing on stderr."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "dropviz", *args],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.stderr == "", result.stderr[-2000:]
    assert result.returncode == 141
