"""Video benchmark: s/frame (first vs later) and warping error of none/previous/flow.

Prints a Markdown table; no thresholds. Examples:
  python benchmarks/bench_video.py                       # the README table (slow)
  python benchmarks/bench_video.py --size 128 --frames 12 --clips bear --weights 50,200,1000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from framestyle.config import RuntimeConfig, StyleConfig, VideoConfig
from framestyle.evaluate import warping_errors
from framestyle.events import Callbacks
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline import make_stylizer, stylize_sequence
from framestyle.store import FrameStore
from framestyle.tensors import fit_long_side

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared/assets/video"
CLIPS = {
    "bear": VIDEOS / "chromium_bear_vp9_opus.webm",
    "sintel": VIDEOS / "sintel_854x480_2s.mp4",
    "bunny": VIDEOS / "big_buck_bunny_720p_5s.mp4",
    "shuttle": VIDEOS / "nasa_shuttle_1080x608.webm",
}
STYLE = ROOT / "samples/vangogh_starry_night.jpg"


def run(clip: Path, mode: str, weight: float, args: argparse.Namespace) -> dict[str, float]:
    info = probe(clip, max_frames=args.frames)
    size = fit_long_side(info.width, info.height, args.size, even=True)
    style = StyleConfig(size=args.size, iterations=args.iterations)
    video = VideoConfig(temporal=mode, temporal_weight=weight, first_iterations=args.first_iterations)
    stylizer = make_stylizer([STYLE], style, RuntimeConfig())
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = FrameStore.open(Path(tmp) / "work", {"bench": True})
        start = time.perf_counter()
        stylize_sequence(
            iter_frames(info, size=size),
            total=info.frames,
            store=store,
            stylizer=stylizer,
            video=video,
            reporter=Callbacks(item_done=lambda e: times.append(e.seconds)),
        )
        total = time.perf_counter() - start
        report = warping_errors((store.load(i) for i in range(info.frames)), iter_frames(info, size=size))
    later = times[1:] or [0.0]
    return {
        "first": times[0],
        "later": sum(later) / len(later),
        "total": total,
        "error": report.mean_stylized,
        "floor": report.mean_original,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--clips", default="sintel,bear")
    parser.add_argument("--modes", default="none,previous,flow")
    parser.add_argument("--weights", default=str(VideoConfig().temporal_weight), help="temporal weights for flow")
    parser.add_argument("--first-iterations", type=int, default=VideoConfig().first_iterations)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--none-frames", type=int, default=12, help="frames for the (slow) none mode")
    args = parser.parse_args()
    print(f"size {args.size}, first frame {args.first_iterations} steps, later {args.iterations}, style {STYLE.name}\n")
    print(
        "| clip | mode | frames | first frame (s) | later (s/frame) | later/first | total (s) | warping error | original | vs none | vs original |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.clips.split(","):
        clip = CLIPS[name]
        none_error = None
        for mode in args.modes.split(","):
            weights = [float(w) for w in args.weights.split(",")] if mode == "flow" else [0.0]
            for weight in weights:
                run_args = argparse.Namespace(**vars(args))
                if mode == "none":
                    run_args.frames = min(args.frames, args.none_frames)
                r = run(clip, mode, weight, run_args)
                if mode == "none":
                    none_error = r["error"]
                label = f"flow (w={weight:g})" if mode == "flow" else mode
                vs_none = f"{r['error'] / none_error:.0%}" if none_error else "-"
                print(
                    f"| {name} | {label} | {run_args.frames} | {r['first']:.1f} | {r['later']:.2f} | "
                    f"{r['later'] / r['first']:.0%} | {r['total']:.0f} | {r['error']:.5f} | {r['floor']:.5f} | "
                    f"{vs_none} | {r['error'] / r['floor']:.2f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
