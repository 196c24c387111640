"""Video files: plan (probe, sizes, checks), stylize, encode; and stability evaluation."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import RuntimeConfig, StyleConfig, VideoConfig
from ..errors import ConfigError, DecodeError
from ..evaluate import WarpingReport, warping_errors
from ..events import IterationCallback
from ..flow import warp_previous
from ..io.files import check_output, require_file
from ..io.video import VideoInfo, iter_frames, output_args, probe
from ..stylize import Backend, Stylizer
from ..tensors import check_vgg_size, fit_long_side, to_tensor
from .common import default_image_output, file_identity, make_stylizer
from .sequence import (
    FinishStore,
    FrameCallback,
    encode_store,
    frame_iterations,
    run_sequence,
    sequence_settings,
    work_folder_for,
)


def default_video_output(video: Path, styles: Sequence[Path]) -> Path:
    return default_image_output(video, styles, suffix=".mp4")


@dataclass(frozen=True)
class VideoPlan:
    """What a video run will do, known before any stylizing."""

    info: VideoInfo
    size: tuple[int, int]
    output: Path
    work_folder: Path
    audio: bool


def plan_video(
    video_path: Path,
    style_paths: Sequence[Path],
    *,
    output: Path,
    config: StyleConfig,
    video: VideoConfig,
    start_seconds: float = 0.0,
    max_frames: int | None = None,
    overwrite: bool = False,
) -> VideoPlan:
    """Check inputs and outputs and probe the clip; touches nothing on disk."""
    if start_seconds < 0:
        raise ConfigError(f"start must be zero or more seconds (got {start_seconds:g})")
    if max_frames is not None and max_frames < 1:
        raise ConfigError(f"frames must be at least 1 (got {max_frames})")
    require_file(video_path, "video")
    for style in style_paths:
        require_file(style, "style image")
    output = Path(output)
    output_args(output.suffix, codec=video.codec, crf=video.crf)  # refuses unknown containers early
    check_output(output, [Path(video_path), *map(Path, style_paths)], overwrite=overwrite)
    info = probe(video_path, start_seconds=start_seconds, max_frames=max_frames)
    size = fit_long_side(info.width, info.height, config.size, even=True)
    check_vgg_size(*size, what=f"video at `size={config.size}`")
    return VideoPlan(
        info=info,
        size=size,
        output=output,
        work_folder=work_folder_for(output),
        audio=video.audio and info.has_audio,
    )


def estimate_seconds(plan: VideoPlan, stylizer: Stylizer, video: VideoConfig, *, probe_steps: int = 4) -> float:
    """Time the whole run would take here, from a few real steps on the first frame."""
    first = next(iter_frames(plan.info, size=plan.size))
    stamps: list[float] = []
    stylizer.stylize(to_tensor(first), iterations=probe_steps + 1, on_iteration=lambda e: stamps.append(time.perf_counter()))
    step = (stamps[-1] - stamps[0]) / max(1, len(stamps) - 1)
    flow_start = time.perf_counter()
    if video.temporal == "flow":
        warp_previous(first, first, first)
    flow = time.perf_counter() - flow_start
    steps = sum(frame_iterations(i, video, stylizer.config) for i in range(plan.info.frames))
    return steps * step + (plan.info.frames - 1) * flow


def video_settings(
    plan: VideoPlan,
    style_paths: Sequence[Path],
    *,
    config: StyleConfig,
    video: VideoConfig,
    backend: Backend,
    runtime: RuntimeConfig,
) -> dict[str, Any]:
    """The work folder's manifest settings for this clip."""
    source = {**file_identity(plan.info.path), "start_frame": plan.info.start_frame}
    return sequence_settings(
        style=config, video=video, backend=backend, runtime=runtime, style_paths=style_paths,
        source=source, size=plan.size, frames=plan.info.frames,
    )  # fmt: skip


def video_sink(plan: VideoPlan, video: VideoConfig) -> FinishStore:
    """Encode the finished frames into the planned output, audio carried over."""
    info = plan.info
    return encode_store(
        plan.output, total=info.frames, size=plan.size, fps=info.fps,
        audio_from=info if plan.audio else None, codec=video.codec, crf=video.crf,
    )  # fmt: skip


@dataclass(frozen=True)
class VideoOutcome:
    output: Path
    frames: int
    resumed: int
    seconds: float
    size: tuple[int, int]
    audio: bool


def stylize_video(
    plan: VideoPlan,
    style_paths: Sequence[Path],
    *,
    config: StyleConfig,
    video: VideoConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    stylizer: Stylizer | None = None,
    restart: bool = False,
    keep_frames: bool = False,
    on_frame: FrameCallback | None = None,
    on_frame_start: Callable[[int], None] | None = None,
    on_iteration: IterationCallback | None = None,
    on_encode: Callable[[], None] | None = None,
    ray_config: Any = None,
) -> VideoOutcome:
    """Stylize a clip into its work folder, then encode the finished frames.

    ``ray_config`` (a cluster.RayConfig): paint segments on Ray workers instead of here."""
    if ray_config is not None:
        from .cluster import stylize_video_ray

        return stylize_video_ray(
            plan, style_paths, config=config, video=video, runtime=runtime, ray_config=ray_config,
            restart=restart, keep_frames=keep_frames, on_frame=on_frame, on_encode=on_encode,
        )  # fmt: skip
    start = time.perf_counter()
    if stylizer is None:
        stylizer = make_stylizer(style_paths, config, runtime)
    info = plan.info
    resumed = run_sequence(
        iter_frames(info, size=plan.size),
        total=info.frames,
        work_folder=plan.work_folder,
        settings=video_settings(plan, style_paths, config=config, video=video, backend=stylizer.backend, runtime=runtime),
        stylizer=stylizer,
        video=video,
        finish=video_sink(plan, video),
        restart=restart,
        keep_frames=keep_frames,
        on_frame=on_frame,
        on_frame_start=on_frame_start,
        on_iteration=on_iteration,
        on_finish=on_encode,
    )
    return VideoOutcome(
        output=plan.output,
        frames=info.frames,
        resumed=resumed,
        seconds=time.perf_counter() - start,
        size=plan.size,
        audio=plan.audio,
    )


def evaluate_videos(stylized: Path, original: Path) -> tuple[WarpingReport, VideoInfo, VideoInfo]:
    """Warping error of a stylized clip against the clip it was made from.

    Frames are paired from the start; the original is resized to the stylized size.
    """
    s_info = probe(stylized)
    o_info = probe(original)
    pairs = min(s_info.frames, o_info.frames)
    if pairs < 2:
        raise DecodeError("need at least two frames in both videos to measure stability")
    size = (s_info.width, s_info.height)
    report = warping_errors(
        itertools.islice(iter_frames(s_info), pairs), itertools.islice(iter_frames(o_info, size=size), pairs)
    )
    return report, s_info, o_info
