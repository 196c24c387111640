"""Peak memory against picture size: the measurements behind pipeline/memory.py's model.

Runs the real `framestyle image` command in a fresh child for each size and precision,
with 2 L-BFGS steps (a step's forward and backward are what grow with the picture; two
steps also hold L-BFGS's first (s, y) pair), and reads the child's peak resident memory
from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` in a wrapper process (so each
number is that one run's peak). Then it fits, per precision, by least squares:

    peak RSS = fixed + per_pixel * output pixels

and prints the model's prediction (pipeline.memory.estimate_peak) next to each number.
Two more kinds of run check the other terms: a small output with a large `--style-scale`
(the style targets are computed at the style image's size, before the first step), and
a run long enough to fill L-BFGS's history of 50 (s, y) pairs (100 fp32 image-sized
tensors), against the same size with 2 steps.

  python benchmarks/bench_peak_memory.py                     # the table in the README
  python benchmarks/bench_peak_memory.py --sizes 256,512 --precisions bf16
  python benchmarks/bench_peak_memory.py --from-json benchmarks/peak_memory.json   # the recorded runs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONTENT = ROOT / "samples/chelsea_cat.png"  # 451x300, a 3:2 photo
STYLE = ROOT / "samples/vangogh_starry_night.jpg"  # 1024x640

# The wrapper: runs the command and prints its peak RSS in bytes (ru_maxrss is KiB on Linux).
WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
)


def measure(size: int, precision: str, *, steps: int = 2, style_scale: float = 1.0) -> dict:
    with tempfile.TemporaryDirectory(prefix="memguard_bench_") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "framestyle",
            "image",
            str(CONTENT),
            str(STYLE),
            "-q",
            "-o",
            str(Path(tmp) / "o.png"),
            "--size",
            str(size),
            "--iterations",
            str(steps),
            "--precision",
            precision,
            "--style-scale",
            str(style_scale),
            "--device",
            "cpu",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FRAMESTYLE_MEMORY_GUARD": "off"}
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], env=env, capture_output=True, text=True, check=True)
        rc, peak = map(int, out.stdout.split())
        if rc != 0:
            raise SystemExit(f"framestyle failed at size {size} {precision}: {out.stderr.strip()}")
    from framestyle.tensors import fit_long_side

    return {
        "size": size,
        "precision": precision,
        "steps": steps,
        "style_scale": style_scale,
        "pixels": fit_long_side(451, 300, size)[0] * fit_long_side(451, 300, size)[1],
        "peak": peak,
        "seconds": round(time.perf_counter() - start, 1),
    }


def fit(runs: list[dict]) -> tuple[float, float]:
    """Least squares ``peak = fixed + slope * pixels``."""
    n = len(runs)
    xs = [r["pixels"] for r in runs]
    ys = [r["peak"] for r in runs]
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def predicted(run: dict) -> int:
    from framestyle.config import StyleConfig
    from framestyle.pipeline.memory import estimate_peak

    config = StyleConfig(size=run["size"], iterations=run["steps"], style_scale=run["style_scale"])
    return estimate_peak((451, 300), [(1024, 640)], config, device="cpu", bf16=run["precision"] == "bf16")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,512,1024,1536")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--style-check", default="256:4,256:8", help="SIZE:STYLE_SCALE,... style-phase runs")
    parser.add_argument("--history-check", default="512:52", help="SIZE:STEPS for the full-history run (bf16)")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--from-json", type=Path, help="print the table and fit of earlier measurements")
    args = parser.parse_args()
    if args.from_json:
        recorded = json.loads(args.from_json.read_text())
        report([r for r in recorded if r["steps"] == 2 and r["style_scale"] == 1], recorded)
        return
    runs = []
    for precision in args.precisions.split(","):
        for size in map(int, args.sizes.split(",")):
            runs.append(measure(size, precision))
            print(f"# {runs[-1]}", file=sys.stderr)
    extra = []
    for check in args.style_check.split(","):
        size, scale = check.split(":")
        for precision in args.precisions.split(","):
            extra.append(measure(int(size), precision, style_scale=float(scale)))
            print(f"# {extra[-1]}", file=sys.stderr)
    size, steps = args.history_check.split(":")
    extra.append(measure(int(size), "bf16"))
    extra.append(measure(int(size), "bf16", steps=int(steps)))
    print(f"# {extra[-2:]}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(runs + extra, indent=1))
    report(runs, runs + extra)


def report(runs: list[dict], every: list[dict]) -> None:
    print("| size | pixels | precision | steps | style scale | peak RSS (MiB) | model (MiB) | seconds |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in every:
        print(
            f"| {r['size']} | {r['pixels']} | {r['precision']} | {r['steps']} | {r['style_scale']:g} "
            f"| {r['peak'] / 2**20:.0f} | {predicted(r) / 2**20:.0f} | {r['seconds']} |"
        )
    print()
    for precision in sorted({r["precision"] for r in runs}, reverse=True):
        fixed, slope = fit([r for r in runs if r["precision"] == precision])
        print(f"{precision}: fixed {fixed / 2**20:.0f} MiB, {slope:.0f} bytes per output pixel (2 steps)")


if __name__ == "__main__":
    main()
