"""Memory benchmark: does a long clip cost more memory than a short one?

Runs the real `framestyle video` command on the first N frames of a clip for a few N,
samples the process's resident memory (VmRSS) every 0.2 s from /proc, and prints a
Markdown table: peak RSS (VmHWM) per run and RSS at 25/50/75/100% of the frames of the
longest run. If memory were held per frame, the peak would grow with N. The ffmpeg
encoder child is a separate process and not counted (it streams frames too).

  python benchmarks/bench_memory.py                       # shuttle, 30/150/321 frames
  python benchmarks/bench_memory.py --frames 20,60 --size 48
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared/assets/video/nasa_shuttle_1080x608.webm"
STYLE = ROOT / "samples/vangogh_starry_night.jpg"


def _status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def measure(frames: int, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o.mp4"
        work = Path(tmp) / "o.framestyle-work"
        cmd = [
            sys.executable,
            "-m",
            "framestyle",
            "video",
            str(args.clip),
            str(STYLE),
            "-q",
            "-o",
            str(out),
            "--size",
            str(args.size),
            "--frames",
            str(frames),
            "--first-iterations",
            str(args.first_iterations),
            "-n",
            str(args.iterations),
            "--temporal",
            args.temporal,
        ]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)})
        samples: list[tuple[int, int]] = []  # (frames done, RSS KiB)
        peak = 0
        while proc.poll() is None:
            rss = _status_kib(proc.pid, "VmRSS")
            peak = max(peak, _status_kib(proc.pid, "VmHWM") or 0)
            if rss is not None:
                done = len(list(work.glob("frame_*.png"))) if work.exists() else 0
                samples.append((done, rss))
            time.sleep(0.2)
        if proc.returncode != 0:
            raise SystemExit(f"framestyle failed on {frames} frames (exit {proc.returncode})")
        return {"frames": frames, "seconds": time.perf_counter() - start, "peak_kib": peak, "samples": samples}


def rss_at(samples: list[tuple[int, int]], done: int) -> int:
    """Highest RSS seen while the run had finished ``done`` frames or fewer, but at least ``done`` - 5."""
    near = [rss for count, rss in samples if done - 5 <= count <= done]
    return max(near) if near else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--frames", default="30,150,321")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--first-iterations", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--temporal", default="flow")
    args = parser.parse_args()
    runs = [measure(int(n), args) for n in args.frames.split(",")]

    print(
        f"clip: {args.clip.name}, {args.size} px, temporal {args.temporal}, "
        f"{args.first_iterations}/{args.iterations} steps\n"
    )
    print("| frames | peak RSS (MiB) | seconds |")
    print("|---:|---:|---:|")
    for r in runs:
        print(f"| {r['frames']} | {r['peak_kib'] / 1024:.0f} | {r['seconds']:.0f} |")
    longest = runs[-1]
    n = longest["frames"]
    print(f"\nRSS during the {n}-frame run, by frames finished:\n")
    print("| frames done | RSS (MiB) |")
    print("|---:|---:|")
    for share in (0.25, 0.5, 0.75, 1.0):
        done = max(1, round(n * share))
        print(f"| {done} | {rss_at(longest['samples'], done) / 1024:.0f} |")


if __name__ == "__main__":
    main()
