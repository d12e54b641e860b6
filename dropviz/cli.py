"""Command line: ``python -m dropviz train|datasets ...``.

Flags are generated from :class:`~dropviz.config.RunConfig`'s fields, so the
CLI, the URL and the widgets accept exactly the same settings and reject bad
values with the same messages. Bad input exits non-zero with one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from typing import Callable, Sequence

from . import __version__
from .config import FIELD_NAMES, SETTINGS, ConfigError, RunConfig, allowed, from_json, from_mapping, from_text_values


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        self.exit(2, f"{self.prog}: error: {message}\n")


def _whole_number(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1 (the experiment command's flags use it too)."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


def _flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting of config.SETTINGS; a switch that is on by default gets a --no-<name> flag."""
    parser.add_argument("--config", metavar="FILE", help="settings JSON (flags override it)")
    for field, spec in SETTINGS.items():
        if spec.kind == "bool" and spec.default is True:
            parser.add_argument(
                "--no-" + field.replace("_", "-"),
                dest=field,
                action="store_const",
                const="false",
                help=f"off: {spec.description}",
            )
            continue
        metavar = "{" + ",".join(spec.choices) + "}" if spec.choices else "X"
        parser.add_argument(
            _flag(field), dest=field, metavar=metavar, help=f"{allowed(field)} (default {spec.default})"
        )


MAX_CONFIG_BYTES = 1 << 20  # a settings file is a few hundred bytes


def _read_config_file(path: str) -> str:
    """The text of a --config file: a regular file (not /dev/zero or a FIFO) of UTF-8, at most 1 MB."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ConfigError([f"--config {path} is not a regular file"])
        with open(path, "rb") as handle:
            content = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError([f"cannot read --config {path}: {error.strerror or error}"]) from None
    if len(content) > MAX_CONFIG_BYTES:
        raise ConfigError(
            [f"--config {path} is larger than {MAX_CONFIG_BYTES // 1024} kB; a settings file is a small JSON object"]
        )
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [f"--config {path} is not UTF-8 text (byte 0x{content[error.start]:02x} at position {error.start})"]
        ) from None


def _config_from_args(args: argparse.Namespace) -> RunConfig:
    base: dict = {}
    if args.config:
        base = from_json(_read_config_file(args.config)).model_dump()
    given = {field: getattr(args, field) for field in FIELD_NAMES if getattr(args, field, None) is not None}
    parsed = from_text_values(given).model_dump(include=set(given)) if given else {}
    return from_mapping({**base, **parsed})


def _command_train(args: argparse.Namespace) -> int:
    from .data import DatasetError
    from .train import train

    config = _config_from_args(args)
    check_device(config.device)
    bars: list = []  # the progress bar starts with the run, so an error before it prints one line only

    def on_event(event) -> None:
        from .train import Evaluation, Started

        if args.json or args.quiet:
            return
        if isinstance(event, Started):
            from tqdm import tqdm

            bars.append(tqdm(total=event.total_steps, unit="step", desc="training", file=sys.stderr))
        elif not bars:
            return
        elif isinstance(event, Evaluation):
            method = event.metrics["method"]
            bars[0].set_postfix(test_error=f"{method['test_error']:.3f}", test_loss=f"{method['test_loss']:.3f}")
        elif hasattr(event, "losses"):
            bars[0].update(1)

    from .limits import cli_limits

    limits = cli_limits(args.max_parameters, args.max_memory_mb)
    try:
        result = train(config, on_event=on_event, limits=limits)
    except DatasetError as error:
        print(f"dropviz: error: {error}", file=sys.stderr)
        return 2
    finally:
        for bar in bars:
            bar.close()
    payload = result.to_dict()
    if args.json:
        print(json.dumps(payload))
    else:
        print(f"{result.status}: {result.message} in {result.wall_seconds:.1f} s")
        for run, metrics in result.final.items():
            print(f"  {run:9s} " + "  ".join(f"{key} {value:.4f}" for key, value in metrics.items()))
    return 0 if result.status == "completed" else 1


def _command_datasets(args: argparse.Namespace) -> int:
    from .data import list_datasets

    infos = list_datasets(args.data_dir)
    if args.json:
        print(json.dumps([{"name": i.name, "kind": i.kind, "available": i.available, "where": i.where} for i in infos]))
        return 0
    for info in infos:
        status = "available" if info.available else "not found"
        print(f"{info.name:14s} {info.kind:6s} {status:10s} {info.where.splitlines()[0]}")
    return 0


def check_device(device: str) -> None:
    from .models import resolve_device

    try:
        resolve_device(device)
    except ValueError as error:
        raise ConfigError([str(error)]) from None


def _command_experiment(args: argparse.Namespace) -> int:
    from .experiments.cli import run_experiment_command

    return run_experiment_command(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": _command_train,
    "datasets": _command_datasets,
    "experiment": _command_experiment,
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dropviz", description="dropviz: train and measure dropout from the command line")
    parser.add_argument("--version", action="version", version=f"dropviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train_parser = sub.add_parser("train", help="train a config and its no-dropout twin to completion")
    _add_config_flags(train_parser)
    train_parser.add_argument("--json", action="store_true", help="print one JSON object with the results")
    train_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    train_parser.add_argument(
        "--max-parameters",
        type=positive_int,
        default=None,
        metavar="N",
        help="refuse a network with more parameters (default: no limit)",
    )
    train_parser.add_argument(
        "--max-memory-mb",
        type=positive_int,
        default=None,
        metavar="MB",
        help="refuse a run estimated to need more memory (default: this machine's memory)",
    )
    datasets_parser = sub.add_parser("datasets", help="list data sets and whether each is available offline")
    datasets_parser.add_argument("--data-dir", default=None)
    datasets_parser.add_argument("--json", action="store_true")
    from .experiments.cli import add_experiment_arguments

    experiment_parser = sub.add_parser("experiment", help="run or resume a paper experiment sweep (see --list)")
    add_experiment_arguments(experiment_parser)
    return parser


# 128 + SIGPIPE: what a shell reports for a command whose reader went away (``dropviz ... | head``).
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """The ``dropviz`` command; output piped into a reader that stops early (``head``) ends it quietly."""
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a closed reader shows here at the latest, not as a traceback at exit
    except BrokenPipeError:
        # Python's recipe: point stdout at devnull so the interpreter's own flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as error:
        print(f"dropviz: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dropviz: interrupted", file=sys.stderr)
        return 130
