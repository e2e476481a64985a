"""Measure how long each lab step takes on this machine (not a test: figures for the notes).

    .venv/bin/python scripts/bench.py [--scenario lb-haproxy] [--rounds 2]

Prints a table and writes bench-results/<scenario>.json. Uses its own state folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(env: dict[str, str], *args: str, ok_codes: tuple[int, ...] = (0,)) -> float:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "cloudlab", *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if result.returncode not in ok_codes:
        raise SystemExit(f"cloudlab {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return seconds


def bench(scenario: str, rounds: int) -> dict[str, list[float]]:
    lab = f"bench-{scenario}"
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="cloudlab-bench-") as home:
        env = dict(os.environ, CLOUDLAB_HOME=home)
        figures["image (cached)"] = [timed(env, "image")]
        timed(env, "down", lab, ok_codes=(0, 2))
        try:
            for number in range(1, rounds + 1):
                steps = [
                    (f"up #{number}", ("up", scenario, "--lab", lab, "--seed", "7"), (0,)),
                    ("grade (unsolved)", ("grade", lab), (0, 1)),
                    ("solve", ("solve", lab), (0,)),
                    ("solve again (idempotent)", ("solve", lab), (0,)),
                    ("grade (solved)", ("grade", lab), (0,)),
                    ("reset", ("reset", lab), (0,)),
                    ("down", ("down", lab), (0,)),
                ]
                for name, args, codes in steps:
                    figures.setdefault(name, []).append(timed(env, *args, ok_codes=codes))
                    print(f"  {name:<26} {figures[name][-1]:6.1f} s", file=sys.stderr)
        finally:
            timed(env, "down", lab, ok_codes=(0, 2))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="lb-haproxy")
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    figures = bench(options.scenario, options.rounds)
    print(f"{'step':<26} {'median s':>9} {'runs':>30}")
    for name, values in figures.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name:<26} {statistics.median(values):9.1f} {runs:>30}")
    out = REPO / "bench-results" / f"{options.scenario}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"scenario": options.scenario, "cores": os.cpu_count(), "seconds": figures}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
