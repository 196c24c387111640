"""Video files: plan (probe, sizes, checks), stylize, encode; and stability evaluation."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config import RayConfig, RuntimeConfig, StyleConfig, VideoConfig
from ..errors import ConfigError, DecodeError, InputError
from ..events import SILENT, IterationEvent, Reporter
from ..flow import EarlierFrame, carry_earlier
from ..io.containers import AudioTrack, audio_tracks
from ..io.files import check_output, require_file
from ..io.images import is_image_path
from ..io.streams import dropped_streams, misplaced_video
from ..io.video import COMB_TOLERANCE, VideoInfo, carries_audio, iter_frames, output_args, probe
from ..letterbox import Bars
from ..stylize import Stylizer
from ..tensors import check_vgg_size, fit_long_side, scale_ladder, split_iterations, to_tensor
from .common import default_image_output, file_identity, painted_bars, require_sequence_init
from .engine import Engine
from .lock import OutputLock, refuse_if_busy
from .memory import MemoryNeed, check_memory, memory_need, style_shapes, target_for
from .paint import Painting, planned_paintings, stylize_within_memory
from .segments import segment_manifest, segment_paintings
from .sequence import FinishStore, encode_store, frames_need, run_sequence, sequence_settings, work_folder_for
from .shots import SCAN_SECONDS, SCAN_SIZE, ShotScan, scan_shots
from .space import DiskSpace, SpaceNeed, audio_bits_per_second, disk_space, video_bytes


def default_video_output(video: Path, styles: Sequence[Path]) -> Path:
    return default_image_output(video, styles, suffix=".mp4")


@dataclass(frozen=True)
class VideoPlan:
    """What a video run will do, known before any stylizing."""

    info: VideoInfo
    size: tuple[int, int]
    output: Path
    work_folder: Path
    audio: bool  # the clip's sound goes into the output
    container_audio: bool = True  # the output format can hold sound (GIF and WebP cannot)
    side_by_side: bool = False  # the original on the left of the painted frames
    overwrite: bool = False  # the output may be replaced
    audio_tracks: tuple[AudioTrack, ...] = ()  # the sound tracks the output gets (copied or re-encoded)
    dropped: tuple[tuple[str, int], ...] = ()  # streams left out, by kind: (("subtitle", 1),)
    video_args: tuple[str, ...] = ()  # ffmpeg's video arguments (encoder, quality)
    memory: MemoryNeed | None = None  # the estimated peak memory (None: a Ray cluster elsewhere)
    bars: Bars = Bars()  # letterbox bars at the working size, left as the source has them (none: all painted)


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
    side_by_side: bool = False,
    runtime: RuntimeConfig = RuntimeConfig(),
    ray: RayConfig | None = None,
    memory_guard: bool = True,
) -> VideoPlan:
    """Check inputs and outputs and probe the clip; touches nothing on disk.

    Estimates the memory a frame needs where ``runtime`` (and ``ray``) would paint it and,
    with ``memory_guard``, refuses a size that cannot fit (a dry run only shows it)."""
    if start_seconds < 0:
        raise ConfigError(f"start must be zero or more seconds (got {start_seconds:g})")
    if max_frames is not None and max_frames < 1:
        raise ConfigError(f"frames must be at least 1 (got {max_frames})")
    require_sequence_init(config)
    require_file(video_path, "video")
    for style in style_paths:
        require_file(style, "style image")
    output = Path(output)
    # Refuses unknown containers, and codecs the container cannot hold, before any work.
    encoding = output_args(output.suffix, codec=video.codec, crf=video.crf, pix_fmt=video.pix_fmt)
    check_output(output, [Path(video_path), *map(Path, style_paths)], overwrite=overwrite)
    refuse_if_busy(output)  # now, not after the engine has loaded (Ray may take a while)
    info = probe(video_path, start_seconds=start_seconds, max_frames=max_frames)
    if info.frames == 1 and info.start_frame == 0 and max_frames is None and is_image_path(video_path):
        # OpenCV and ffmpeg read a photo as a clip of one frame: painted as a video it
        # would take the first frame's long budget and end as a one-frame film. A clip of
        # one frame in a video container (.mp4, .gif) is still painted.
        raise InputError(f"{video_path} is a still image (one frame), not a video: paint it as an image instead")
    misplaced = misplaced_video(info.streams)
    if misplaced:
        first, main = misplaced
        raise DecodeError(
            f"{video_path}: its first video stream (#{first.index}, {first.width}x{first.height} {first.codec}) "
            f"is not the clip (#{main.index}, {main.width}x{main.height} {main.codec}), and only the first is read; "
            f"remux it first: ffmpeg -i IN -map 0:{main.index} -map 0:a? -c copy OUT"
        )
    # Painted on square pixels at the shape the clip is shown at, so an anamorphic clip's
    # brush strokes are not stretched; the output's pixels are square too.
    size = fit_long_side(*info.display_size, config.size, even=True)
    check_vgg_size(*size, what=f"video at `size={config.size}`")
    container_audio = carries_audio(output.suffix)
    audio = video.audio and info.has_audio and container_audio
    target = target_for(runtime, ray)
    memory = None
    if target is not None:
        budget = max(video.first_iterations, config.iterations)
        styles = style_shapes(list(map(Path, style_paths)), config)
        memory = memory_need(size, styles, config, target, budget=budget)
        if memory_guard:
            check_memory(memory)
    return VideoPlan(
        info=info,
        size=size,
        output=output,
        work_folder=work_folder_for(output),
        audio=audio,
        container_audio=container_audio,
        side_by_side=side_by_side,
        overwrite=overwrite,
        audio_tracks=audio_tracks(info.streams, output.suffix) if audio else (),
        dropped=dropped_streams(info.streams),
        video_args=tuple(encoding),
        memory=memory,
        bars=painted_bars(info.bars, (info.width, info.height), size) if video.keep_bars else Bars(),
    )


class _StepClock(Reporter):
    def __init__(self) -> None:
        self.stamps: list[float] = []

    def iteration(self, event: IterationEvent) -> None:
        self.stamps.append(time.perf_counter())


def scan_clip_shots(plan: VideoPlan, video: VideoConfig, *, seconds: float = SCAN_SECONDS) -> ShotScan | None:
    """The clip's cuts, read for up to ``seconds`` (None: frames painted alone have no shots).
    Read at the working size, or at ``SCAN_SIZE`` when that is larger: the test's
    thresholds were measured there, and a dry run must not need a large size's memory."""
    if video.temporal == "none":
        return None
    width, height = plan.size
    size = plan.size if max(plan.size) <= SCAN_SIZE else fit_long_side(width, height, SCAN_SIZE)
    return scan_shots(iter_frames(plan.info, size=size), plan.info.frames, video=video, seconds=seconds)


# Starting Ray, then each worker loading torch and VGG19, on the 2-core machine (README, Ray).
RAY_START_SECONDS = 8.0


def estimate_seconds(
    plan: VideoPlan,
    stylizer: Stylizer,
    video: VideoConfig,
    *,
    probe_steps: int = 6,
    shots: ShotScan | None = None,
    ray: RayConfig | None = None,
) -> float:
    """Time the whole run would take here, from a few real steps on the first frame and
    one real carry of earlier frames (the flows the temporal term needs). ``shots``: the
    cuts and cross-fades found beforehand, each one more frame painted from scratch.
    ``ray``: a Ray run started here, whose segments are each a clip of their own (lead-in
    included, ``segments.segment_paintings``), painted side by side by workers that
    share this machine's cores (on GPUs, one GPU each), after Ray has started."""
    first = next(iter_frames(plan.info, size=plan.size))
    picture = plan.bars.inside(first)  # what is painted; the flow sees whole frames
    clock = _StepClock()
    stylize_within_memory(stylizer, to_tensor(picture), iterations=probe_steps + 1, scales=1, reporter=clock)
    # The fastest step, not the mean: a job sharing the cores for part of the probe
    # would otherwise multiply the whole estimate (seen: 5h09m for a 1h20m run).
    step = min(b - a for a, b in itertools.pairwise(clock.stamps)) if len(clock.stamps) > 1 else 0.0
    flow_start = time.perf_counter()
    if video.temporal == "flow":
        earlier = [EarlierFrame(j, first, first) for j in video.temporal_frames]
        if video.anchor_every:
            earlier.append(EarlierFrame(video.anchor_every, first, first, anchor=True))
        carry_earlier(first, earlier, fill=video.fill)
    flow = time.perf_counter() - flow_start
    passes = video.sequence_passes
    cuts, fades = (shots.foreseen_cuts(), shots.foreseen_fades()) if shots else ([], [])
    frames, config = plan.info.frames, stylizer.config
    if ray is None:
        plans = [planned_paintings(frames, video, config, passes=passes, cuts=cuts, fades=fades)]
        workers, start = 1, 0.0
    else:
        gpus = torch.cuda.device_count() if stylizer.backend.device.type == "cuda" else 1
        plans = segment_paintings(ray, frames, video, config, passes=passes, cuts=cuts, fades=fades)
        workers, start = min(ray.workers or gpus, gpus), RAY_START_SECONDS
    size = (picture.shape[1], picture.shape[0])
    return start + planned_seconds(plans, size, config, step=step, carry=flow, workers=workers)


def planned_seconds(
    plans: Sequence[Sequence[Painting]],
    size: tuple[int, int],
    config: StyleConfig,
    *,
    step: float,
    carry: float,
    workers: int = 1,
) -> float:
    """How long ``plans`` take, each a sequence of paintings in order, side by side on
    ``workers``: ``step`` seconds a step at ``size``, ``carry`` to carry the earlier
    frames into a painting that starts from them."""
    seconds = [
        sum(_full_size_steps(size, p, config) * step + (carry if p.budget and not p.from_scratch else 0.0) for p in ps)
        for ps in plans
    ]
    return longest_load(seconds, workers)


def longest_load(seconds: Sequence[float], workers: int) -> float:
    """When the last of ``workers`` is done, each taking the next job as it comes free.

    >>> longest_load([5, 3, 3, 1], 2), longest_load([5, 3, 3, 1], 1)
    (6.0, 12.0)
    """
    loads = [0.0] * max(1, workers)
    for job in seconds:
        loads[loads.index(min(loads))] += job
    return max(loads)


def _full_size_steps(size: tuple[int, int], painting: Painting, config: StyleConfig) -> float:
    """A painting's budget in steps at the working size: steps at a coarser scale cost
    about their share of the pixels (a frame from scratch uses the ladder, later ones do not)."""
    if not painting.from_scratch:
        return float(painting.budget)
    ladder = scale_ladder(*size, config.scales)
    pixels = size[0] * size[1]
    return sum(n * w * h / pixels for (w, h), n in zip(ladder, split_iterations(painting.budget, len(ladder))))


def video_settings(plan: VideoPlan, engine: Engine, video: VideoConfig) -> dict[str, Any]:
    """The work folder's manifest settings for this clip."""
    source = {**file_identity(plan.info.path), "start_frame": plan.info.start_frame}
    if plan.info.first_field is not None:
        # How the frames were read: a resume must not mix them with frames read otherwise.
        source["deinterlace"] = {"keep": plan.info.first_field, "tolerance": COMB_TOLERANCE}
        if plan.info.field_columns:
            source["deinterlace"]["columns"] = True
    return sequence_settings(engine, video, source=source, size=plan.size, frames=plan.info.frames, bars=plan.bars)


def video_need(plan: VideoPlan, video: VideoConfig) -> SpaceNeed:
    """A bound on the encoded clip's size."""
    fps = float(plan.info.fps)
    rate = sum(audio_bits_per_second(t.stream.codec, copied=t.copied) for t in plan.audio_tracks)
    size = video_bytes(
        plan.size,
        plan.info.frames,
        fps=fps,
        crf=video.crf,
        audio=plan.audio,
        audio_rate=rate or None,
        pix_fmt=video.pix_fmt,
    )
    return SpaceNeed("video", plan.output.parent, size)


def estimate_space(
    plan: VideoPlan, engine: Engine, video: VideoConfig, *, ray: RayConfig | None = None
) -> list[DiskSpace]:
    """What the run would write (frames still to paint, the video) against the free space.
    ``ray``: the run would paint on Ray (a dry run times the local ``engine`` instead of
    starting Ray), whose segments keep more frames and whose work folder says how the clip
    was cut."""
    settings = video_settings(plan, engine, video)
    if ray is not None:
        settings.update(segment_manifest(ray, plan.info.frames, video))
    return disk_space([frames_need(plan.work_folder, settings, total=plan.info.frames), video_need(plan, video)])


def video_sink(plan: VideoPlan, video: VideoConfig) -> FinishStore:
    """Encode the finished frames into the planned output, audio carried over (and the
    clip decoded a second time, when the original goes beside them)."""
    info = plan.info
    audio = info if plan.audio else None
    originals = (lambda: iter_frames(info, size=plan.size)) if plan.side_by_side else None
    return encode_store(
        plan.output,
        total=info.frames,
        size=plan.size,
        fps=info.fps,
        audio_from=audio,
        codec=video.codec,
        crf=video.crf,
        pix_fmt=video.pix_fmt,
        originals=originals,
        times=info.times,
    )


@dataclass(frozen=True)
class VideoOutcome:
    output: Path
    frames: int
    resumed: int
    seconds: float
    size: tuple[int, int]
    audio: bool  # the clip's sound goes into the output
    container_audio: bool = True  # the output format can hold sound (GIF and WebP cannot)
    side_by_side: bool = False  # the original on the left of the painted frames
    overwrite: bool = False  # the output may be replaced
    audio_tracks: tuple[AudioTrack, ...] = ()  # the sound tracks written (copied or re-encoded)
    dropped: tuple[tuple[str, int], ...] = ()  # streams of the source left out, by kind


def stylize_video(
    plan: VideoPlan,
    *,
    engine: Engine,
    video: VideoConfig,
    restart: bool = False,
    keep_frames: bool = False,
    reporter: Reporter = SILENT,
) -> VideoOutcome:
    """Stylize a clip into its work folder, then encode the finished frames.

    Holds the output's lock throughout (another run on it is refused) and refuses a run
    the disk cannot hold before painting anything."""
    start = time.perf_counter()
    info = plan.info
    with OutputLock(plan.output, overwrite=plan.overwrite):
        resumed = run_sequence(
            iter_frames(info, size=plan.size),
            total=info.frames,
            work_folder=plan.work_folder,
            settings=video_settings(plan, engine, video),
            engine=engine,
            video=video,
            finish=video_sink(plan, video),
            restart=restart,
            keep_frames=keep_frames,
            outputs=[video_need(plan, video)],
            reporter=reporter,
            bars=plan.bars,
        )
    seconds = time.perf_counter() - start
    return VideoOutcome(
        plan.output,
        info.frames,
        resumed,
        seconds,
        plan.size,
        plan.audio,
        container_audio=plan.container_audio,
        side_by_side=plan.side_by_side,
        overwrite=plan.overwrite,
        audio_tracks=plan.audio_tracks,
        dropped=plan.dropped,
    )
