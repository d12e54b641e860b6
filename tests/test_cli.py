"""python -m dropviz: JSON output, determinism, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "dropviz", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_train_json_has_method_and_baseline_and_is_deterministic():
    args = ("train", "--dataset", "moons", "--method", "dropout", "--keep-p", "0.5", "--epochs", "30", "--json")
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == 0, first.stderr
    payload = json.loads(first.stdout)
    assert payload["status"] == "completed" and payload["config"]["keep_p"] == 0.5
    for run in ("method", "baseline"):
        assert set(payload[run]) == {"train_loss", "train_error", "test_loss", "test_error"}
    assert json.loads(second.stdout)["method"] == payload["method"]
    assert json.loads(second.stdout)["baseline"] == payload["baseline"]


def test_bad_flags_exit_nonzero_with_one_line_and_no_traceback():
    for args, needle in [
        (("train", "--keep-p", "1.5"), "keep_p"),
        (("train", "--keep-p", "abc"), "expected a number"),
        (("train", "--hidden", "10,x"), "hidden"),
        (("train", "--bogus", "1"), "unrecognized arguments"),
        (("train", "--dataset", "nope", "--quiet"), "unknown dataset"),
        (("train", "--config", "/nonexistent.json"), "cannot read --config"),
    ]:
        result = run_cli(*args)
        assert result.returncode == 2, args
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and needle in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_config_file_and_flags_override(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"dataset": "xor", "epochs": 2, "hidden": [8], "keep_p": 0.9}))
    result = run_cli("train", "--config", str(path), "--keep-p", "0.7", "--no-twin", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["config"]["dataset"] == "xor" and payload["config"]["keep_p"] == 0.7
    assert "baseline" not in payload


def test_datasets_lists_availability():
    result = run_cli("datasets", "--json")
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["moons"]["available"] and rows["digits"]["available"]
    assert set(rows) >= {"moons", "circles", "spiral", "xor", "blobs", "digits", "mnist", "fashion-mnist"}
