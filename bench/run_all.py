"""Run every benchmark once with its defaults and print their tables (`make bench`).

The browser benchmark's memory run lasts 10 minutes; pass --quick to shorten it
to 2 minutes and skip the Ray engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    runs = [
        ["bench_trainer.py"],
        ["bench_demo.py"],
        ["bench_analysis.py"],
        ["bench_theory_pages.py"],
        ["bench_sweep.py"] + ([] if quick else ["--ray"]),
        ["bench_quick_figures.py"] + (["--experiments", "table2,fig10"] if quick else []),
        ["bench_browser.py"] + (["--duration", "120"] if quick else []),
    ]
    failed = []
    for script, *args in runs:
        print(f"\n## {script} {' '.join(args)}\n", flush=True)
        if subprocess.call([sys.executable, str(HERE / script), *args]) != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
