"""Speed-up of parallel sweeps: the same trials with 1 and 2 workers, local processes and (optionally) Ray.

    .venv/bin/python bench/bench_sweep.py                      # local engine, 1 vs 2 workers
    .venv/bin/python bench/bench_sweep.py --ray                # also Ray (a local Ray with 2 CPUs)
    .venv/bin/python bench/bench_sweep.py --experiment fig10 --preset quick --dataset fashion-mnist

Each configuration runs into a fresh database, so nothing is skipped. Prints a
table (engine, workers, trials, wall seconds, speed-up over 1 worker) and the
machine's load average before and after, since timings on a shared machine
are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dropviz.experiments import all_trials  # noqa: E402
from dropviz.experiments.engines import cpu_count  # noqa: E402
from dropviz.experiments.store import Store  # noqa: E402
from dropviz.experiments.sweep import run_sweep  # noqa: E402


def timed(trials, engine: str, workers: int, folder: pathlib.Path) -> float:
    with Store(folder / f"{engine}-{workers}.sqlite") as store:
        started = time.perf_counter()
        report = run_sweep(trials, store, engine=engine, workers=workers)
        wall = time.perf_counter() - started
    if report.progress.completed != len(trials):
        raise SystemExit(f"{engine} x{workers}: only {report.progress.completed}/{len(trials)} trials completed")
    return wall


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="fig9a")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0: 10 trials for fig9a)")
    parser.add_argument("--ray", action="store_true", help="also time the Ray engine (local Ray, 2 CPUs)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    trials = all_trials([args.experiment], args.dataset, args.preset, seeds=seeds, device="cpu")
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        engines = ["local"] + (["ray"] if args.ray else [])
        for engine in engines:
            if engine == "ray":
                import ray

                ray.init(
                    num_cpus=2,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                    runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
                )
            try:
                one = timed(trials, engine, 1, folder)
                two = timed(trials, engine, 2, folder)
            finally:
                if engine == "ray":
                    ray.shutdown()
            rows.append(
                {"engine": engine, "workers": 1, "trials": len(trials), "wall_s": round(one, 1), "speedup": 1.0}
            )
            rows.append(
                {
                    "engine": engine,
                    "workers": 2,
                    "trials": len(trials),
                    "wall_s": round(two, 1),
                    "speedup": round(one / two, 2),
                }
            )
    load_after = os.getloadavg()
    print(
        f"sweep: {args.experiment} / {args.preset} / {args.dataset}, seeds {seeds}, {len(trials)} trials, "
        f"1 thread per trial, {cpu_count()} CPUs"
    )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (other processes share the CPUs)")
    print(f"{'engine':8s} {'workers':>7s} {'trials':>6s} {'wall s':>8s} {'speed-up':>8s}")
    for row in rows:
        print(f"{row['engine']:8s} {row['workers']:7d} {row['trials']:6d} {row['wall_s']:8.1f} {row['speedup']:8.2f}")
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps({"rows": rows, "load_before": load_before, "load_after": load_after}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
