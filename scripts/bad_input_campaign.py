"""The bad-input campaign of issue 17, re-runnable: every case must end in one clear line, never a traceback or a hang.

    .venv/bin/python scripts/bad_input_campaign.py

Cases: CLI flags and files (a subprocess each, 60 s limit), URL query values (the parser the Playground
uses), CSV uploads and data paths (the loaders). Prints one row per case and a summary table.
A "clear message" is exit status 2 (CLI) or a ConfigError / DatasetError (library), on one line,
naming what is wrong. Browser-only cases (Markdown echo, shared links, the Ray address) are the
tests in tests/e2e/test_hardening.py.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import print_table  # noqa: E402

TIMEOUT_S = 60


def cli_cases(tmp: Path) -> list[tuple[str, list[str], dict]]:
    (tmp / "latin1.json").write_bytes(b'\xff\xfe{"lr": 0.1}')
    (tmp / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp / "list.json").write_text("[1, 2]")
    (tmp / "unknown.json").write_text('{"speed": 3}')
    (tmp / "bad.json").write_text('{"lr": ')
    (tmp / "file").write_text("x")
    os.mkfifo(tmp / "fifo.csv")
    no_gpu = {"CUDA_VISIBLE_DEVICES": ""}
    train = ["train", "--epochs", "1", "--quiet"]
    big = "8192,8192,8192,8192,8192,8192"
    experiment = ["experiment", "fig11", "--preset", "tiny", "--dataset", "digits", "--quiet", "--workers", "0"]
    flags = [("keep-p", v) for v in ("1.5", "0", "-1", "nan", "abc", "1e-300", "")] + [
        ("keep-p-input", "2"),
        ("lr", "0"),
        ("lr", "inf"),
        ("momentum", "1"),
        ("batch-size", "0"),
        ("batch-size", "1e9"),
        ("epochs", "0"),
        ("seed", "-1"),
        ("seed", "99999999999"),
        ("hidden", "0"),
        ("hidden", "10,x"),
        ("hidden", "1,2,3,4,5,6,7"),
        ("hidden", "9000"),
        ("method", "magic"),
        ("activation", "gelu"),
        ("optimizer", "lbfgs"),
        ("scaling", "none"),
        ("max-norm", "0"),
        ("noise", "2"),
        ("train-size", "5"),
        ("dataset", "nope"),
        ("dataset", "/nonexistent.csv"),
        ("dataset", str(tmp / "fifo.csv")),
        ("dataset", "mnist"),
        ("eval-every", "0"),
        ("device", "tpu"),
    ]
    cases = [(f"train --{flag} {value!r}", [*train, f"--{flag}", value], {}) for flag, value in flags]
    cases += [
        ("train --device cuda (no GPU)", [*train, "--device", "cuda"], no_gpu),
        ("train --hidden 8192x6 --max-memory-mb 4000", [*train, "--hidden", big, "--max-memory-mb", "4000"], {}),
        ("train --max-parameters x", [*train, "--max-parameters", "x"], {}),
        ("train --data-dir missing", [*train, "--dataset", "fashion-mnist", "--data-dir", str(tmp / "nowhere")], {}),
        ("train --train-size 70000 (digits)", [*train, "--dataset", "digits", "--train-size", "70000"], {}),
    ]
    for name in ("latin1.json", "deep.json", "list.json", "unknown.json", "bad.json", "missing.json"):
        cases.append((f"train --config {name}", [*train, "--config", str(tmp / name)], {}))
    cases += [
        ("train --config /dev/zero", [*train, "--config", "/dev/zero"], {}),
        ("train --config a folder", [*train, "--config", str(tmp)], {}),
        ("experiment unknown", ["experiment", "fig99"], {}),
        ("experiment no name", ["experiment"], {}),
        ("experiment --preset huge", [*experiment, "--preset", "huge"], {}),
        ("experiment --db under a file", [*experiment, "--db", str(tmp / "file" / "x.sqlite")], {}),
        (
            "experiment $DROPVIZ_RESULTS_DB under a file",
            experiment,
            {"DROPVIZ_RESULTS_DB": str(tmp / "file" / "x.sqlite")},
        ),
        (
            "experiment --export under a file",
            [*experiment, "--db", str(tmp / "ok.sqlite"), "--export", str(tmp / "file" / "x.json")],
            {},
        ),
        ("experiment --db a folder", [*experiment, "--db", str(tmp)], {}),
        ("experiment --ray-address without ray", [*experiment, "--ray-address", "auto"], {}),
        (
            "experiment --device cuda (no GPU)",
            [*experiment, "--device", "cuda", "--db", str(tmp / "ok.sqlite")],
            no_gpu,
        ),
        ("experiment --workers -1", [*experiment, "--workers", "-1"], {}),
        ("experiment --seeds x", [*experiment, "--seeds", "x"], {}),
    ]
    return cases


def run_cli(args: list[str], env: dict) -> tuple[str, str]:
    try:
        result = subprocess.run(
            [sys.executable, "-m", "dropviz", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env={**os.environ, "DROPVIZ_RESULTS_DB": "", **env},
        )
    except subprocess.TimeoutExpired:
        return "hang", f"no answer in {TIMEOUT_S} s"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if "Traceback" in result.stderr:
        return "traceback", lines[-1] if lines else ""
    if result.returncode == 2 and len(lines) == 1:
        return "clear", lines[0]
    return f"exit {result.returncode}", (lines[-1] if lines else result.stdout.strip()[-200:])


def library_case(function) -> tuple[str, str]:
    from dropviz.config import ConfigError
    from dropviz.data import DatasetError

    outcome: dict = {}

    def target():
        try:
            outcome["value"] = function()
        except (ConfigError, DatasetError) as error:
            outcome["clear"] = str(error)
        except Exception as error:  # noqa: BLE001 - counted
            outcome["traceback"] = f"{type(error).__name__}: {error}"

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIMEOUT_S)
    if thread.is_alive():
        return "hang", f"no answer in {TIMEOUT_S} s"
    if "clear" in outcome:
        text = outcome["clear"]
        return ("clear" if "\n" not in text.strip() or "Looked in" in text else "multi-line"), text.splitlines()[0]
    if "traceback" in outcome:
        return "traceback", outcome["traceback"]
    return "accepted", repr(outcome.get("value"))[:80]


def url_cases() -> list[tuple[str, object]]:
    from dropviz.config import from_query_params

    values = {
        "keep_p": ["abc", "1.5", "0", "1e-300", "nan", ""],
        "hidden": ["0,5", "8192," * 7, "x"],
        "lr": ["99", "-1", "inf"],
        "epochs": ["0", "1e12"],
        "batch_size": ["0", "4097"],
        "method": ["![x](http://host/t.png)", "[a](https://e.com)"],
        "seed": ["-5"],
        "noise": ["3"],
        "max_norm": ["0"],
        "momentum": ["1"],
        "twin": ["maybe"],
        "train_size": ["1"],
    }

    def case(name, raw):
        def check():
            config, notices = from_query_params({name: raw})
            if not notices:
                raise AssertionError(f"no notice for {name}={raw!r}")
            from dropviz.config import ConfigError

            raise ConfigError([notices[0]])  # reported as the clear line the page shows

        return check

    return [(f"URL {name}={raw!r}", case(name, raw)) for name, raws in values.items() for raw in raws]


def data_cases(tmp: Path) -> list[tuple[str, object]]:
    from dropviz import data

    def csv(text: str):
        return lambda: data.load_csv(text.encode())

    rows = "\n".join(f"{i},{i % 2}" for i in range(30))
    return [
        ("CSV empty", csv("")),
        ("CSV header only", csv("a,label\n")),
        ("CSV one column", csv("a\n" + "1\n" * 20)),
        ("CSV text feature", csv("a,label\n" + "\n".join(f"x{i},{i % 2}" for i in range(30)))),
        ("CSV missing label", csv("a,label\n" + "\n".join(f"{i}," for i in range(30)))),
        ("CSV one class", csv("a,label\n" + "\n".join(f"{i},0" for i in range(30)))),
        ("CSV 9 rows", csv("a,label\n" + "\n".join(f"{i},{i % 2}" for i in range(9)))),
        ("CSV ragged", csv("a,label\n" + rows + "\n1,2,3,4\n")),
        ("CSV not UTF-8", lambda: data.load_csv(b"a,label\n\xff\xfe,1\n" * 20)),
        ("CSV NaN cell", csv("a,label\n" + rows + "\nnan,1\n")),
        ("CSV inf cell", csv("a,label\n" + rows + "\ninf,1\n")),
        ("CSV 101 classes", csv("a,label\n" + "\n".join(f"{i},{i}" for i in range(202)))),
        ("CSV 1001 columns", csv(",".join(f"c{i}" for i in range(1001)) + "\n" + ",".join("1" * 1001) + "\n")),
        ("CSV over 100 MB", lambda: data.load_csv(b"a,label\n" + b"1,0\n" * (27 * 1024 * 1024))),
        ("CSV binary garbage", lambda: data.load_csv(os.urandom(4096))),
        ("CSV a FIFO", lambda: data.load_dataset(str(tmp / "fifo.csv"))),
        ("CSV a folder", lambda: data.load_dataset(str(tmp) + "/.csv")),
        (
            "CSV +-1e308 values",
            lambda: _finite(
                data.load_csv(
                    ("a,label\n" + "\n".join(f"{'1e308' if i % 2 else '-1e308'},{i % 2}" for i in range(30))).encode()
                )
            ),
        ),
        ("data_dir missing", lambda: data.load_dataset("mnist", data_dir=tmp / "nowhere", allow_download=False)),
        ("data set unknown", lambda: data.load_dataset("cifar")),
        ("IDX truncated", lambda: _idx_truncated(tmp)),
        ("endless upload", lambda: data.load_csv(io.BufferedReader(_Endless()))),
    ]


class _Endless(io.RawIOBase):
    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"1" * len(buffer)
        return len(buffer)


def _finite(dataset):
    import numpy as np

    if not np.isfinite(dataset.x_train.numpy()).all():
        raise ValueError("non-finite features")
    return "finite features"


def _idx_truncated(tmp: Path):
    import gzip

    from dropviz import data

    folder = tmp / "idx" / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in data.IDX_FILE_STEMS.items():
        (folder / f"{stem}.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03\x00\x00\x00\x05"))
    return data.load_dataset("mnist", data_dir=tmp / "idx", allow_download=False)


def main() -> None:
    results: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for name, args, env in cli_cases(tmp):
            outcome, line = run_cli(args, env)
            results.append(("CLI", name, outcome, line))
            print(f"{outcome:10s} {name}: {line[:160]}", flush=True)
        for kind, cases in (("URL", url_cases()), ("data", data_cases(tmp))):
            for name, function in cases:
                outcome, line = library_case(function)
                results.append((kind, name, outcome, line))
                print(f"{outcome:10s} {name}: {line[:160]}", flush=True)
    kinds = sorted({kind for kind, *_ in results})
    rows = []
    for kind in [*kinds, "all"]:
        chosen = [r for r in results if kind in ("all", r[0])]
        count = lambda outcome: sum(1 for r in chosen if r[2] == outcome)  # noqa: E731
        rows.append(
            [
                kind,
                len(chosen),
                count("clear"),
                count("accepted"),
                count("traceback"),
                count("hang"),
                len(chosen) - sum(count(o) for o in ("clear", "accepted", "traceback", "hang")),
            ]
        )
    print()
    print_table(
        ["cases", "tried", "clear one-line message", "accepted (valid after all)", "traceback", "hang", "other"], rows
    )


if __name__ == "__main__":
    main()
