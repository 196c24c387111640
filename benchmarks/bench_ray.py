"""Ray benchmark: throughput of the local engine vs Ray with 1 and 2 workers, and the
warping error at segment seams.

Runs the real command (so Ray start-up and worker loading are counted, as a user pays
them) and prints Markdown tables. On this 2-core machine, 2 workers get 1 thread each
while the local engine uses both cores for one picture; on a cluster each worker is a
machine or a GPU.

  python benchmarks/bench_ray.py                # folder of 8 photos + 48-frame clip, 128 px
  python benchmarks/bench_ray.py --size 96 --frames 24
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from framestyle.evaluate import warping_errors
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline.segments import plan_segments, seam_pairs

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT.parent / "shared/assets"
STYLE = ROOT / "samples/vangogh_starry_night.jpg"
CLIP = ASSETS / "video/chromium_bear_vp9_opus.webm"


def run(*args: object) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "framestyle", *map(str, args), "-q"]
    proc = subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return time.perf_counter() - start


def engines() -> list[tuple[str, list[str]]]:
    return [
        ("local (2 threads)", []),
        ("ray, 1 worker x 2 CPUs", ["--engine", "ray", "--workers", "1", "--cpus-per-worker", "2"]),
        ("ray, 2 workers x 1 CPU", ["--engine", "ray", "--workers", "2", "--cpus-per-worker", "1"]),
    ]


# The video table adds Ray painting each segment forward only, as it did before its
# segments had passes, against the default two.
ONE_PASS = ("ray, 2 workers x 1 CPU, one pass", [*engines()[2][1], "--passes", "1"])


def seam_report(work: Path, args: argparse.Namespace) -> tuple[float, float, float]:
    """Mean warping error at the seams' frame pairs, elsewhere, and over all pairs as a
    multiple of the source's own."""
    stylized = [cv2.imread(str(p))[:, :, ::-1] for p in sorted(work.glob("frame_*.png"))]
    h, w = stylized[0].shape[:2]
    original = list(iter_frames(probe(CLIP, max_frames=args.frames), size=(w, h)))
    report = warping_errors(stylized, original)
    errors = report.stylized
    seams = set(seam_pairs(plan_segments(args.frames, args.segment, args.overlap)))
    at = [e for i, e in enumerate(errors) if i in seams]
    rest = [e for i, e in enumerate(errors) if i not in seams]
    return float(np.mean(at)), float(np.mean(rest)), float(np.mean(errors) / np.mean(report.original))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=60, help="steps per picture in the folder")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--segment", type=int, default=24)
    parser.add_argument("--overlap", type=int, default=20)
    parser.add_argument("--skip-folder", action="store_true")
    parser.add_argument("--ray-only", action="store_true", help="skip the local engine's video run")
    args = parser.parse_args()
    photos = sorted((ASSETS / "content").glob("*"))[: args.images]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for p in photos:
            shutil.copy(p, folder / p.name)
        if args.skip_folder:
            engines_for_folder = []
        else:
            engines_for_folder = engines()
            print(f"Folder: {len(photos)} photos at {args.size} px, {args.iterations} steps each\n")
            print("| engine | seconds | images/min |")
            print("|---|---:|---:|")
        for n, (name, flags) in enumerate(engines_for_folder):
            secs = run(
                "images", folder, STYLE, "--size", args.size, "-n", args.iterations, "-o", Path(tmp) / f"f{n}", *flags
            )
            print(f"| {name} | {secs:.1f} | {len(photos) / secs * 60:.1f} |")

        print(
            f"\nClip: bear, {args.frames} frames at {args.size} px, flow, segments of {args.segment} "
            f"(+{args.overlap} lead-in)\n"
        )
        print("| engine | seconds | frames/min | seam warping error | elsewhere | seam / elsewhere | all / source |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for n, (name, flags) in enumerate([*engines(), ONE_PASS]):
            if args.ray_only and not flags:
                continue
            out = Path(tmp) / f"v{n}.mp4"
            seg = ["--segment", args.segment, "--overlap", args.overlap] if flags else []
            secs = run(
                "video",
                CLIP,
                STYLE,
                "--size",
                args.size,
                "--frames",
                args.frames,
                "--keep-frames",
                "-o",
                out,
                *flags,
                *seg,
            )
            at, rest, whole = seam_report(out.with_name(f"{out.stem}.framestyle-work"), args)
            row = f"| {name} | {secs:.1f} | {args.frames / secs * 60:.1f} | {at:.5f} | {rest:.5f} | {at / rest:.2f}x"
            print(f"{row} | {whole:.2f}x |")


if __name__ == "__main__":
    main()
