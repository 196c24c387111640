"""How steady can carrying alone make a clip? The floor under the video method's flicker.

For each clip, paints the first frame as `framestyle video` does (the video defaults),
then carries it along the clip with no optimization at all: each frame is the earlier
outputs warped into it (`flow.carry_earlier` on what `FrameHistory` keeps: frames 1, 2, 4
back and the last anchor, holes from the warped output). Prints the warping error (Lai et
al. 2018) of that carried clip over the source's own, for consecutive frames and for
frames t, t+10, once per flow estimator:
  - dis-medium: OpenCV DIS, medium preset, at the working size (what framestyle uses);
  - dis-finest: the same, refined down to the finest scale (slower, more detail);
  - dis-2x: DIS medium on the source decoded at twice the working size, resized.
The judge itself always uses dis-medium at the working size, as `framestyle eval` does.
No optimization runs after the first frame, so the differences are the carry's alone.
For the camera clips (pan, zoom) a last row paints the photograph once and moves the
camera over the painting: a perfectly steady video, so its error is the judge's floor.
  python benchmarks/bench_carry.py --clips bear,shuttle --frames 24
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from bench_video import CAMERA, CLIPS, LONG_GAP, STYLE, camera_frames, camera_photo, clip_frames

from framestyle.config import VIDEO_DEFAULTS, VideoConfig
from framestyle.evaluate import warping_errors
from framestyle.flow import FlowFn, carry_earlier, dense_flow
from framestyle.pipeline import make_stylizer
from framestyle.pipeline.paint import FrameHistory
from framestyle.settings import merge_settings
from framestyle.tensors import to_rgb_uint8, to_tensor


def dis_flow(finest: bool) -> FlowFn:
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    if finest:
        dis.setFinestScale(0)

    def flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
        gray = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (source, target)]
        return np.asarray(dis.calc(gray[0], gray[1], None))  # type: ignore[call-overload]

    return flow


def resized_flow(frames: list[np.ndarray], larger: list[np.ndarray]) -> FlowFn:
    """DIS medium on the larger decode of the same frames, brought to the working size."""
    by_id = {id(small): big for small, big in zip(frames, larger)}

    def flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
        big = dense_flow(by_id[id(source)], by_id[id(target)])
        height, width = source.shape[:2]
        scale = width / big.shape[1]
        return cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA) * scale

    return flow


def carried_clip(first: np.ndarray, frames: list[np.ndarray], video: VideoConfig, flow: FlowFn) -> list[np.ndarray]:
    history = FrameHistory(video)
    history.push(0, frames[0], first)
    outputs = [first]
    for t in range(1, len(frames)):
        outputs.append(carry_earlier(frames[t], history.earlier(), fill=video.fill, flow=flow).init)
        history.push(t, frames[t], outputs[-1])
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--clips", default=",".join(CLIPS))
    parser.add_argument("--cache", type=Path, help="decode clips once into this folder (.npz)")
    parser.add_argument("--flows", default="dis-medium,dis-finest,dis-2x", help="flow estimators to carry along")
    parser.add_argument("--anchor-every", default="", help="comma-separated anchor periods to compare (0: none)")
    args = parser.parse_args()
    style, runtime, video = merge_settings(None, {}, base={**VIDEO_DEFAULTS, "size": args.size})
    stylizer = make_stylizer([STYLE], style, runtime)
    print(f"size {args.size}, {args.frames} frames, style {STYLE.name}; the first frame painted, then only carried\n")
    print(f"| clip | flow | warping / source | t..t+{LONG_GAP} / source |")
    print("|---|---|---|---|")
    for name in args.clips.split(","):
        frames = clip_frames(name, args.size, args.frames, args.cache)
        larger = clip_frames(name, 2 * args.size, args.frames, args.cache)
        painted = stylizer.stylize(to_tensor(frames[0]), iterations=video.first_iterations)
        first = to_rgb_uint8(painted.image)
        flows: dict[str, FlowFn] = {
            "dis-medium": dense_flow,
            "dis-finest": dis_flow(finest=True),
            "dis-2x": resized_flow(frames, larger),
        }
        periods = [int(n) for n in args.anchor_every.split(",")] if args.anchor_every else [video.anchor_every]
        for label in args.flows.split(","):
            for period in periods:
                carried = carried_clip(first, frames, replace(video, anchor_every=period), flows[label])
                print_row(name, label if len(periods) == 1 else f"{label}, anchor every {period}", carried, frames)
        if name in CAMERA:
            # The steadiest video there can be: the photo painted once, as a first frame
            # is, the camera then moved over the painting. Its error is the judge's floor.
            photo = camera_photo(name, args.size)
            painting = to_rgb_uint8(stylizer.stylize(to_tensor(photo), iterations=video.first_iterations).image)
            outputs = camera_frames(painting, name, args.size, args.frames)
            print_row(name, "none: one painting, the camera moved over it", outputs, frames)


def print_row(name: str, label: str, outputs: list[np.ndarray], frames: list[np.ndarray]) -> None:
    short = warping_errors(outputs, frames)
    long = warping_errors(outputs, frames, gap=LONG_GAP)
    print(f"| {name} | {label} | {short.ratio:.2f}x | {long.ratio:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
