"""Video benchmark: how steady, how stylized and how fast a painted clip is.

For each clip and each variant of the settings, paints the clip's first N frames and
prints one Markdown row:
  - seconds for the first frame, per later frame (all passes) and in all;
  - warping error (Lai et al. 2018) over the original clip's own, for consecutive
    frames and for frames t, t+10 (flow computed directly: slow drift);
  - style and content loss of the video's frames over the same frames painted alone
    with the image defaults (`framestyle image`), and the first frame's final loss
    over a 300-step single-scale still (all measured with an fp32 objective);
  - the warping errors and style loss again for the frames as written: encoded as
    `framestyle video` writes an .mp4 (x264, crf 18), then decoded as a player shows
    them (as `framestyle eval` does); once with colour at half size (yuv420p, the
    default) and once at full size (`--pix-fmt yuv444p`).
Clips: the shared bear, sintel, bunny and shuttle, and "pan" and "zoom": a camera moving
over a still photograph (new pixels enter at the borders every frame; --clips pan,zoom);
"asl" (a static camera on a person signing) is kept out of every choice, as a held-out check;
"cut" joins bear and bunny with a hard cut halfway, "dissolve" with a 12-frame cross-fade
(--clips cut,dissolve).
No thresholds: the README quotes the tables. Examples:
  python benchmarks/bench_video.py                                   # defaults, four clips (slow)
  python benchmarks/bench_video.py --clips bear --size 512 --frames 16
  python benchmarks/bench_video.py --clips asl,pan --style ../shared/assets/styles/picabia_udnie.jpg
  python benchmarks/bench_video.py --clips bear,pan --offset 4 --save runs/   # losses between anchors; keep the frames
  python benchmarks/bench_video.py --clips bear --frames 12 \\
      --variant 'today:temporal_frames=1,;fill=content;iterations=50;first_iterations=300' --variant defaults
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from framestyle.config import VIDEO_DEFAULTS, StyleConfig, VideoConfig
from framestyle.evaluate import warping_errors
from framestyle.events import Callbacks
from framestyle.letterbox import Bars, find_bars
from framestyle.pipeline import make_stylizer, stylize_sequence
from framestyle.settings import merge_settings
from framestyle.store import FrameStore
from framestyle.stylize import Stylizer
from framestyle.tensors import fit_long_side, to_rgb_uint8, to_tensor

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared/assets/video"
CLIPS = {
    "bear": "chromium_bear_vp9_opus.webm",
    "sintel": "sintel_854x480_2s.mp4",
    "bunny": "big_buck_bunny_720p_5s.mp4",
    "shuttle": "nasa_shuttle_1080x608.webm",
    # Not used to choose any setting: a held-out check (a static camera, a person signing).
    "asl": "intel_asl_again_640x480.mkv",
}
PHOTOS = ROOT.parent / "shared/assets/content"
# A camera moving over a still photograph: real texture, exactly known motion, and new
# pixels entering at the borders every frame, the case the clips above do not isolate.
# Speeds are fractions of the view per frame, so a move is the same at every size.
# The clip's name is its move.
CAMERA = {
    "pan": "santorini_rowing_boat.jpg",  # 0.8% of the width right, 0.15% down
    "zoom": "tubingen_neckarfront.jpg",  # out, the view 1% wider each frame
}
_START_VIEW = {"pan": 0.6, "zoom": 0.45}  # the first view's width, a fraction of the photo's
# Two shots joined halfway: the first clip's first frames, then the second's, cropped about
# the centre to the first's shape (a new shot must not open as a ghost of the old). "cut"
# joins them with a hard cut; "dissolve" cross-fades them over 12 frames (bear 0-11, the
# fade 12-23, bunny 24-47): no frame of it is a cut.
SHOTS = {"cut": ("bear", "bunny", 0), "dissolve": ("bear", "bunny", 12)}
STYLE = ROOT / "samples/vangogh_starry_night.jpg"  # --style names another painting
STILL_STEPS = StyleConfig().iterations  # `framestyle image`'s default budget
LONG_GAP = 10


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """'label:key=value;key=value' (or just 'label' for the defaults); a list is
    comma-separated, with a trailing comma for one item (temporal_frames=1,)."""
    label, _, body = text.partition(":")
    values: dict[str, Any] = {}
    for item in filter(None, body.split(";")):
        key, _, raw = item.partition("=")
        parts = [_number(part) for part in raw.split(",") if part]
        values[key.strip()] = parts if "," in raw else parts[0]
    return label, values


def _number(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def clip_frames(name: str, size: int, count: int, cache: Path | None) -> list[np.ndarray]:
    """The clip's first ``count`` frames at ``size`` (long side), RGB uint8. With ``cache``,
    decoded once into an .npz there, so a machine without ffmpeg can run the benchmark."""
    cached = cache / f"{name}_{size}_{count}.npz" if cache else None
    if cached is not None and cached.exists():
        return list(np.load(cached)["frames"])
    if name in SHOTS:
        return joined_shots(*SHOTS[name], size=size, count=count, cache=cache)
    if name in CAMERA:
        frames = camera_frames(camera_photo(name, size), name, size, count)
    else:
        frames = decoded_frames(name, size, count, cache)
    if cached is not None:
        np.savez_compressed(cached, frames=np.stack(frames))
    return frames


def joined_shots(first: str, second: str, fade: int, *, size: int, count: int, cache: Path | None) -> list[np.ndarray]:
    """``count`` frames: the first half from clip ``first``, then clip ``second``'s, cut
    about the centre to the first's aspect and resized to its shape. With ``fade``, the
    last ``fade`` frames of the first half cross-fade into the second clip's first frames."""
    import cv2

    before = clip_frames(first, size, count // 2, cache)
    height, width = before[0].shape[:2]
    after = []
    for frame in clip_frames(second, size, count - count // 2 + fade, cache):
        h, w = frame.shape[:2]
        crop_w, crop_h = min(w, round(h * width / height)), min(h, round(w * height / width))
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        view = frame[top : top + crop_h, left : left + crop_w]
        after.append(cv2.resize(view, (width, height), interpolation=cv2.INTER_AREA))
    for k in range(fade):
        share = (k + 1) / (fade + 1)  # of the second clip
        index = len(before) - fade + k
        mixed = (1 - share) * before[index].astype(np.float32) + share * after[k].astype(np.float32)
        before[index] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    return before + after[fade:]


def decoded_frames(name: str, size: int, count: int, cache: Path | None) -> list[np.ndarray]:
    from framestyle.io.video import iter_frames, probe

    path = cache / CLIPS[name] if cache and (cache / CLIPS[name]).exists() else VIDEOS / CLIPS[name]
    info = probe(path, max_frames=count)
    return list(iter_frames(info, size=fit_long_side(info.width, info.height, size, even=True)))


def camera_photo(name: str, size: int) -> np.ndarray:
    """The photograph under camera clip ``name``, shrunk (area average) so that its
    first view samples it at one photo pixel per output pixel: bilinear sampling from
    far above would alias."""
    import cv2

    from framestyle.io.images import read_image

    picture = read_image(PHOTOS / CAMERA[name])
    shrink = fit_long_side(16, 9, size, even=True)[0] / (picture.shape[1] * _START_VIEW[name])
    return cv2.resize(picture, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else picture


def camera_frames(picture: np.ndarray, move: str, size: int, count: int) -> list[np.ndarray]:
    """``count`` views of ``picture`` (16:9, long side ``size``) along a camera ``move``:
    "pan" sweeps a view 60% of the picture's width across it, "zoom" starts from 45% of
    the width and widens 1% per frame, about the centre."""
    import cv2

    out_w, out_h = fit_long_side(16, 9, size, even=True)
    height, width = picture.shape[:2]
    frames = []
    for index in range(count):
        view_w = width * _START_VIEW[move] * (1.01**index if move == "zoom" else 1.0)
        scale = view_w / out_w  # picture pixels per output pixel
        if move == "pan":
            left = 0.05 * width + 0.008 * view_w * index
            top = 0.1 * height + 0.0015 * view_w * index
        else:
            left = (width - view_w) / 2
            top = (height - out_h * scale) / 2
        view = np.array([[scale, 0.0, left], [0.0, scale, top]], dtype=np.float64)
        frames.append(
            cv2.warpAffine(
                picture,
                view,
                (out_w, out_h),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REFLECT,
            )
        )
    return frames


def sampled(count: int, every: int, offset: int = 0) -> list[int]:
    return list(range(offset, count, every))


def judge_losses(judge: Stylizer, contents: Sequence[np.ndarray], images: Sequence[np.ndarray]) -> dict[str, float]:
    """Mean fp32 losses per kind over the given frames."""
    totals: dict[str, float] = {}
    for content, image in zip(contents, images):
        for kind, value in judge.losses_of(to_tensor(content), to_tensor(image)).items():
            totals[kind] = totals.get(kind, 0.0) + value / len(contents)
    return totals


def paint_stills(stylizer: Stylizer, frames: Sequence[np.ndarray], cached: Path | None) -> list[np.ndarray]:
    """The frames painted alone with the image defaults; with ``cached``, painted once and
    kept there (they depend only on the clip, size, frames, style and precision)."""
    if cached is not None and cached.exists():
        return list(np.load(cached)["stills"])
    stills = [to_rgb_uint8(stylizer.stylize(to_tensor(f), iterations=STILL_STEPS).image) for f in frames]
    if cached is not None:
        np.savez_compressed(cached, stills=np.stack(stills))
    return stills


def run_variant(
    frames: list[np.ndarray], style: StyleConfig, video: VideoConfig, args: argparse.Namespace, bars: Bars
) -> tuple[dict[str, float], list[np.ndarray]]:
    stylizer = make_stylizer([args.style], style, args.runtime)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = FrameStore.open(Path(tmp) / "work", {"bench": True})
        start = time.perf_counter()
        stylize_sequence(
            frames,
            total=len(frames),
            store=store,
            stylizer=stylizer,
            video=video,
            reporter=Callbacks(item_done=lambda e: times.append(e.seconds)),
            # As `framestyle video` paints them: the picture inside letterbox bars (found
            # here in the frames at the working size; the command scales what probe found).
            bars=bars if video.keep_bars else Bars(),
        )
        total = time.perf_counter() - start
        outputs = [store.load(i) for i in range(len(frames))]
    short = warping_errors(outputs, frames)
    long = warping_errors(outputs, frames, gap=LONG_GAP)
    later = times[1:] or [0.0]
    row = {
        "first": times[0],
        # Per later frame, every pass included (a later pass paints each frame again).
        "later": (sum(times) - times[0]) / max(1, len(frames) - 1),
        "slowest": max(later),
        "total": total,
        "short": short.ratio,
        "long": long.ratio if long.pairs else float("nan"),
    }
    return row, outputs


def written_cells(
    outputs: list[np.ndarray],
    frames: list[np.ndarray],
    picks: list[int],
    bars: Bars,
    losses: tuple[Stylizer, list[np.ndarray], dict[str, float]] | None,
) -> list[str]:
    """For each format in WRITTEN: "warping / t..t+10 / style" of the frames as written
    (style over the stills', inside the bars; "-" without stills)."""
    cells = []
    for pix_fmt in WRITTEN:
        written = written_frames(outputs, pix_fmt)
        short = warping_errors(written, frames).ratio
        long = warping_errors(written, frames, gap=LONG_GAP)
        style = "-"
        if losses is not None:
            judge, contents, stills_losses = losses
            pictures = [bars.inside(written[i]) for i in picks]
            style = f"{judge_losses(judge, contents, pictures)['style'] / stills_losses['style']:.2f}x"
        cells.append(f"{short:.2f}x / {long.ratio if long.pairs else float('nan'):.2f}x / {style}")
    return cells


WRITTEN = ("yuv420p", "yuv444p")


def written_frames(outputs: Sequence[np.ndarray], pix_fmt: str) -> list[np.ndarray]:
    """The frames as a viewer sees them: encoded as `framestyle video` writes an .mp4
    (x264, crf 18, colour samples ``pix_fmt``), then decoded as `framestyle eval` does
    (colour interpolated, as players show it)."""
    from framestyle.io.playback import shown_frames
    from framestyle.io.video import probe, write_video

    height, width = outputs[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "written.mp4"
        write_video(path, outputs, size=(width, height), fps=Fraction(24), pix_fmt=pix_fmt)
        return list(shown_frames(probe(path)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--clips", default="bear,sintel,bunny,shuttle")
    parser.add_argument(
        "--variant",
        action="append",
        help="label:key=value;... (settings as in presets); repeat for several; default: the defaults",
    )
    parser.add_argument("--every", type=int, default=8, help="compare losses on every K-th frame")
    parser.add_argument(
        "--offset",
        type=int,
        default=0,
        help="compare losses on frames offset, offset+K, ... (e.g. 4: between anchors; no first-frame column then)",
    )
    parser.add_argument("--style", type=Path, default=STYLE, help="the painting (default: Starry Night)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--no-stills", action="store_true", help="skip the loss columns (stills take long)")
    parser.add_argument("--cache", type=Path, help="decode clips (and paint the stills) once into this folder (.npz)")
    parser.add_argument("--save", type=Path, help="keep each run's painted frames in this folder (clip_variant.npz)")
    args = parser.parse_args()
    if not 0 <= args.offset < args.every:
        parser.error(f"--offset must be at least 0 and below --every ({args.every})")
    variants = [parse_variant(v) for v in args.variant or ["defaults"]]
    print(
        f"size {args.size}, {args.frames} frames, style {args.style.name}, "
        f"losses on every {args.every}th frame from frame {args.offset}\n"
    )
    print(
        "| clip | variant | first (s) | later (s/frame) | slowest later | total (s) | warping / original "
        f"| t..t+{LONG_GAP} / original | style / stills | content / stills | first frame loss / {STILL_STEPS}-step still "
        + "".join(f"| written {f}: warping / t..t+{LONG_GAP} / style " for f in WRITTEN)
        + "|"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.clips.split(","):
        frames = clip_frames(name, args.size, args.frames, args.cache)
        picks = sampled(len(frames), args.every, args.offset)
        # Losses are compared on the picture, painted alone in the stills too: the video
        # keeps a letterbox's bars as they are and paints what is inside.
        bars = find_bars(frames)
        contents = [bars.inside(frames[i]) for i in picks]
        stills_losses: dict[str, float] | None = None
        first_still: float | None = None
        for label, values in variants:
            flags = {"device": args.device, "precision": args.precision, **values}
            style, runtime, video = merge_settings(None, flags, base={**VIDEO_DEFAULTS, "size": args.size})
            args.runtime = runtime
            judge = make_stylizer(
                [args.style], style, merge_settings(None, {"device": args.device, "precision": "fp32"})[1]
            )
            if stills_losses is None and not args.no_stills:
                # The same frames painted alone, as `framestyle image` does (its defaults).
                image_style = StyleConfig(size=args.size)
                painter = make_stylizer([args.style], image_style, runtime)
                at = f"from{args.offset}_" if args.offset else ""
                key = f"{name}_{args.size}_{args.frames}_every{args.every}_{at}{args.style.stem}_{painter.backend.device.type}"
                key += f"_{painter.backend.precision.removeprefix('torch.')}_stills.npz"
                if bars:
                    key = key.replace("_stills.npz", "_picture_stills.npz")
                stills = paint_stills(painter, contents, args.cache / key if args.cache else None)
                stills_losses = judge_losses(judge, contents, stills)
                first_still = judge_losses(judge, contents[:1], stills[:1])["total"]
            row, outputs = run_variant(frames, style, video, args, bars)
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(args.save / f"{name}_{label}.npz", frames=np.stack(outputs))
            compared = "- | - | -"
            if stills_losses is not None:
                pictures = [bars.inside(outputs[i]) for i in picks]
                losses = judge_losses(judge, contents, pictures)
                # With an offset the stills do not include frame 0: no first-frame column.
                first = "-"
                if args.offset == 0:
                    first_loss = judge_losses(judge, contents[:1], pictures[:1])["total"]
                    first = f"{first_loss / (first_still or 1):.3f}"
                compared = (
                    f"{losses['style'] / stills_losses['style']:.2f}x | "
                    f"{losses['content'] / stills_losses['content']:.2f}x | {first}"
                )
            judged = None if stills_losses is None else (judge, contents, stills_losses)
            as_written = " | ".join(written_cells(outputs, frames, picks, bars, judged))
            print(
                f"| {name} | {label} | {row['first']:.1f} | {row['later']:.2f} | {row['slowest']:.2f} | "
                f"{row['total']:.0f} | {row['short']:.2f}x | {row['long']:.2f}x | {compared} | {as_written} |",
                flush=True,
            )
        if bars:
            print(f"({name}: letterbox bars {bars.describe()}; losses compared inside them)", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
