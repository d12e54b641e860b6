"""``python -m dropviz experiment ...``: its arguments, the checks before a sweep starts, the run and its summary."""

from __future__ import annotations

import os
import pathlib
import threading

from ..cli import check_device, non_negative_int, positive_int
from ..config import ConfigError
from .engines import ENGINES, EngineUnavailable
from .store import ENV_DB, Store, default_db_path
from .sweep import DEFAULT_MAX_ATTEMPTS, run_sweep

# --- command line: python -m dropviz experiment ... -------------------------------------------------


def _seeds(text: str) -> tuple[int, ...]:
    import argparse

    try:
        seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated seeds like 0,1,2, got {text!r}") from None
    if not seeds or any(seed < 0 or seed > 2**31 - 1 for seed in seeds):
        raise argparse.ArgumentTypeError(f"seeds must be 0 .. 2147483647, got {text!r}")
    return seeds


def _gpu_fraction(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 8.0:
        raise argparse.ArgumentTypeError(f"expected a GPU share like 0.25 (0 < x <= 8), got {text!r}")
    return value


def add_experiment_arguments(parser) -> None:
    """The flags of ``python -m dropviz experiment`` (wired into dropviz.cli)."""
    from . import EXPERIMENTS, PRESETS

    parser.add_argument("name", nargs="?", metavar="NAME", help=f"one of {', '.join(EXPERIMENTS)}, or 'all'")
    parser.add_argument("--list", action="store_true", help="list the experiments and presets, then exit")
    parser.add_argument("--preset", choices=PRESETS, default="quick", help="quick (default), standard, paper, tiny")
    parser.add_argument(
        "--dataset",
        default=None,
        help="a classification data set of the registry (default: fashion-mnist if present, else digits)",
    )
    parser.add_argument(
        "--data-dir", default=None, metavar="DIR", help="folder with MNIST/Fashion-MNIST IDX files (as for `train`)"
    )
    parser.add_argument(
        "--workers",
        type=non_negative_int,
        default=None,
        help="parallel trials (default: the CPU count; 0 = in this process)",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="results database (default: $DROPVIZ_RESULTS_DB or ~/.cache/dropviz/experiments.sqlite)",
    )
    parser.add_argument("--engine", choices=ENGINES, default="local", help="local worker processes or Ray")
    parser.add_argument(
        "--ray-address", default=None, help="auto (a running cluster) or ray://host:port; default: start a local Ray"
    )
    parser.add_argument(
        "--max-attempts",
        type=positive_int,
        default=DEFAULT_MAX_ATTEMPTS,
        help="tries per trial before it is recorded as failed",
    )
    parser.add_argument("--seeds", type=_seeds, default=None, help="override the preset's seeds, e.g. 0,1,2")
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where trials train (auto: a GPU when there is one)",
    )
    parser.add_argument(
        "--gpus-per-trial",
        type=_gpu_fraction,
        default=0.25,
        help="Ray: GPU share requested by a CUDA trial (default 0.25)",
    )
    parser.add_argument(
        "--export",
        metavar="PATH",
        default=None,
        help="also write the completed trials to a results JSON file (shipped-results format)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _list_text() -> str:
    from . import COMMON_NOTE, EXPERIMENTS, PRESET_NOTES

    lines = ["experiments:"]
    lines += [f"  {spec.name:9s} {spec.paper_ref:10s} {spec.title}" for spec in EXPERIMENTS.values()]
    lines.append("presets:")
    lines += [f"  {name:9s} {note}" for name, note in PRESET_NOTES.items()]
    lines.append(COMMON_NOTE)
    return "\n".join(lines)


def command_experiment(args) -> int:
    """``python -m dropviz experiment``: run (or resume) a sweep; summary table or JSON on stdout."""
    import json
    import sys

    from ..data import TOY_DATASETS, DatasetError, load_dataset
    from . import EXPERIMENTS, PRESET_NOTES, all_trials, default_dataset, fit_notices, summarize
    from .results_files import export_json
    from .store import StoreError

    def fail(message: str) -> int:
        print(f"dropviz experiment: error: {message}", file=sys.stderr)
        return 2

    if args.list:
        if args.json:
            print(
                json.dumps(
                    {
                        "experiments": {n: {"title": s.title, "paper": s.paper_ref} for n, s in EXPERIMENTS.items()},
                        "presets": PRESET_NOTES,
                    }
                )
            )
        else:
            print(_list_text())
        return 0
    if not args.name:
        return fail("give an experiment NAME (or --list); choose one of " + ", ".join(EXPERIMENTS) + ", all")
    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    if names[0] not in EXPERIMENTS:
        return fail(f"unknown experiment {args.name!r}; choose one of {', '.join(EXPERIMENTS)}, all")
    if args.ray_address and args.engine != "ray":
        return fail("--ray-address needs --engine ray")
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None and not os.path.isdir(data_dir):
        return fail(f"--data-dir {data_dir!r} is not a folder; give the folder that holds the IDX files")
    dataset = args.dataset or default_dataset()
    try:
        probe = load_dataset(dataset, train_size=None, data_dir=data_dir)
    except DatasetError as error:
        return fail(str(error))
    if probe.n_classes < 2:
        return fail(f"data set {dataset!r} has fewer than 2 classes")
    # Check the sweep against what the data set really has (a folder may hold a cut-down copy), before
    # any trial starts: larger sizes are capped or left out, with a notice.
    generated = dataset.strip().lower() in TOY_DATASETS
    n_train, n_test = int(probe.x_train.shape[0]), int(probe.x_test.shape[0])
    notices = [] if generated else fit_notices(names, dataset, args.preset, n_train, n_test)
    try:
        trials = all_trials(
            names,
            dataset,
            args.preset,
            seeds=args.seeds,
            device=args.device,
            n_available=None if generated else n_train,
            n_test=None if generated else n_test,
            data_dir=data_dir,
        )
    except ValueError as error:
        return fail(str(error))
    for notice in notices:
        print(f"dropviz experiment: note: {notice}", file=sys.stderr)
    try:
        store = Store(args.db)
    except StoreError as error:
        return fail(str(error))
    import signal

    def terminate(signum, frame):  # SIGTERM: stop like Ctrl-C, so worker processes are stopped too
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
    with store:
        try:
            report = run_sweep(
                trials,
                store,
                engine=args.engine,
                workers=args.workers,
                ray_address=args.ray_address,
                max_attempts=args.max_attempts,
                gpus_per_trial=args.gpus_per_trial,
                progress_bar=not (args.quiet or args.json),
            )
        except EngineUnavailable as error:
            return fail(str(error))
        rows = store.trials(keys=report.keys)
        if args.export:
            export_json(
                [row for row in rows if row["status"] == "completed"],
                args.export,
                meta={"preset": args.preset, "dataset": dataset, "experiments": names},
            )
    summary = summarize(rows)
    progress = report.progress
    payload = {
        "experiments": names,
        "preset": args.preset,
        "dataset": dataset,
        "db": str(store.path),
        "engine": report.engine,
        "workers": report.workers,
        "sweep_id": report.sweep_id,
        "trials": progress.total,
        "ran": progress.completed,
        "skipped": progress.skipped,
        "failed": progress.failed,
        "retries": progress.retries,
        "wall_s": round(report.wall_s, 2),
        "notices": notices,
        "errors": dict(progress.first_errors),
        "conditions": summary,
    }
    if args.json:
        print(json.dumps(payload))
    else:
        print(
            f"{','.join(names)} / {args.preset} / {dataset}: {progress.completed} run, {progress.skipped} "
            f"already done, {progress.failed} failed, in {report.wall_s:.1f} s on {report.workers} "
            f"{report.engine} worker(s); results in {store.path}"
        )
        print(f"{'experiment':10s} {'condition':34s} {'n':>2s} {'test error %':>16s} {'train error %':>16s}")
        for row in summary:
            test = (
                "-"
                if row["test_error_pct_mean"] is None
                else f"{row['test_error_pct_mean']:.2f} ± {row['test_error_pct_std']:.2f}"
            )
            train = (
                "-"
                if row["train_error_pct_mean"] is None
                else f"{row['train_error_pct_mean']:.2f} ± {row['train_error_pct_std']:.2f}"
            )
            print(f"{row['experiment']:10s} {row['condition'][:34]:34s} {row['n']:2d} {test:>16s} {train:>16s}")
        for error in progress.errors:
            print(f"failed: {error}", file=sys.stderr)
    if progress.failed:
        # the reason, also with --json (stdout stays one JSON object): the first error of each kind
        for kind, error in progress.first_errors.items():
            print(f"dropviz experiment: {progress.failed} trial(s) failed; first {kind}: {error}", file=sys.stderr)
    return 0 if progress.failed == 0 else 1


def check_output_path(path, flag: str) -> None:
    """A file the command will write: refused now (not after the sweep) if a parent is a file, the path is
    a folder, or the nearest existing folder is not writable."""
    target = pathlib.Path(path).expanduser()
    if target.is_dir():
        raise ConfigError([f"{flag} {path} is a folder; give a file path"])
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError([f"{flag} {path}: {folder} is a file, not a folder"])
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError([f"{flag} {path}: the folder {folder} is not writable"])


def run_experiment_command(args) -> int:
    """The experiment command as ``python -m dropviz`` runs it: its output paths and device checked first."""
    if args.db:
        check_output_path(args.db, "--db")
    else:
        check_output_path(default_db_path(), f"${ENV_DB}" if os.environ.get(ENV_DB) else "the results database")
    if args.export:
        check_output_path(args.export, "--export")
    if getattr(args, "engine", "local") == "local" and getattr(args, "device", "auto") == "cuda":
        check_device("cuda")
    return command_experiment(args)
