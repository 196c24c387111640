"""Orchestration: files in, stylizer, files out. Reports through callbacks; never prints."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import RuntimeConfig, StyleConfig, VideoConfig
from .errors import ConfigError, DecodeError, Interrupted
from .evaluate import WarpingReport, warping_errors
from .events import IterationCallback, IterationEvent
from .flow import warp_previous
from .io.ffmpeg import write_animation
from .io.files import atomic_path, check_output, ensure_dir, require_file
from .io.images import read_image, resize_rgb, write_image
from .io.video import VideoInfo, iter_frames, output_args, probe, write_video
from .store import FrameStore
from .stylize import Stylizer, StylizeResult, TemporalTarget
from .tensors import fit_long_side, to_rgb_uint8, to_tensor

# Style pictures are shrunk right after decoding: a poster-sized scan must not cost
# gigabytes when the run needs only a few hundred pixels of it.
MAX_STYLE_SIDE = 4096


def default_image_output(content: Path, styles: Sequence[Path], suffix: str = ".png") -> Path:
    """``photo_starry.png`` beside ``photo.jpg`` (every style's name, in order)."""
    names = "_".join(Path(s).stem for s in styles)
    return Path(content).with_name(f"{Path(content).stem}_{names}{suffix}")


def load_styles(paths: Sequence[Path], config: StyleConfig) -> list[torch.Tensor]:
    limit = min(MAX_STYLE_SIDE, math.ceil(config.size * config.style_scale * 1.5))
    return [to_tensor(read_image(p, what="style image", max_side=limit)) for p in paths]


def load_content(path: Path, size: int, *, what: str = "content image") -> np.ndarray:
    rgb = read_image(path, what=what)
    h, w = rgb.shape[:2]
    return resize_rgb(rgb, fit_long_side(w, h, size))


def make_stylizer(style_paths: Sequence[Path], config: StyleConfig, runtime: RuntimeConfig) -> Stylizer:
    """Everything built once per run: the network and the style images."""
    return Stylizer(load_styles(style_paths, config), config=config, runtime=runtime)


def init_image(config: StyleConfig, size: tuple[int, int]) -> torch.Tensor | None:
    """The start image when ``init`` names a file, resized to the output; None otherwise."""
    if config.init in ("content", "noise"):
        return None
    return to_tensor(resize_rgb(read_image(Path(config.init), what="init image"), size))


class ProgressRecorder:
    """Keeps every K-th iterate (for an animation) and/or saves it as a numbered PNG."""

    def __init__(
        self,
        *,
        animate_every: int = 0,
        save_every: int = 0,
        progress_dir: Path | None = None,
        output_size: tuple[int, int],
    ) -> None:
        self.animate_every = animate_every
        self.save_every = save_every
        self.progress_dir = progress_dir
        self.output_size = output_size
        self.frames: list[np.ndarray] = []
        if save_every and progress_dir is not None:
            ensure_dir(progress_dir)

    def __call__(self, event: IterationEvent) -> None:
        keep = self.animate_every and event.iteration % self.animate_every == 0
        save = self.save_every and self.progress_dir is not None and event.iteration % self.save_every == 0
        if not (keep or save):
            return
        # Earlier scales are smaller; frames are shown at the output size.
        frame = resize_rgb(to_rgb_uint8(event.image), self.output_size)
        if keep:
            self.frames.append(frame)
        if save:
            write_image(self.progress_dir / f"iter_{event.iteration:05d}.png", frame)


def chain(*callbacks: IterationCallback | None) -> IterationCallback:
    active = [c for c in callbacks if c is not None]

    def call(event: IterationEvent) -> None:
        for c in active:
            c(event)

    return call


@dataclass(frozen=True)
class ImageOutcome:
    output: Path
    size: tuple[int, int]
    result: StylizeResult
    animation: Path | None


def stylize_image_file(
    content_path: Path,
    style_paths: Sequence[Path],
    *,
    output: Path,
    config: StyleConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    stylizer: Stylizer | None = None,
    overwrite: bool = False,
    animate: Path | None = None,
    animate_every: int = 5,
    animate_fps: float = 12.0,
    save_every: int = 0,
    progress_dir: Path | None = None,
    on_iteration: IterationCallback | None = None,
    on_start: Callable[[tuple[int, int]], None] | None = None,
) -> ImageOutcome:
    """Stylize one picture file and write the result (and its progress animation)."""
    inputs = [Path(content_path), *map(Path, style_paths)]
    require_file(content_path, "content image")
    for style in style_paths:
        require_file(style, "style image")
    check_output(output, inputs, overwrite=overwrite)
    if animate is not None:
        check_output(animate, [*inputs, output], overwrite=overwrite)
    ensure_dir(Path(output).parent)

    content = load_content(content_path, config.size)
    size = (content.shape[1], content.shape[0])
    init = init_image(config, size)
    if stylizer is None:
        stylizer = make_stylizer(style_paths, config, runtime)
    recorder = ProgressRecorder(
        animate_every=animate_every if animate is not None else 0,
        save_every=save_every,
        progress_dir=progress_dir,
        output_size=size,
    )
    if on_start is not None:
        on_start(size)
    result = stylizer.stylize(to_tensor(content), init=init, on_iteration=chain(recorder, on_iteration))
    picture = to_rgb_uint8(result.image)
    write_image(output, picture)
    if animate is not None:
        frames = recorder.frames
        if not frames or not np.array_equal(frames[-1], picture):
            frames = [*frames, picture]
        with atomic_path(animate) as tmp:
            write_animation(tmp, frames, fps=animate_fps)
    return ImageOutcome(output=Path(output), size=size, result=result, animation=animate)


# -- frame sequences (video files, ordered image folders) ------------------------------


@dataclass(frozen=True)
class FrameEvent:
    """One frame finished (or found finished in the work folder)."""

    index: int  # 0-based
    total: int
    iterations: int
    seconds: float
    loss: float
    resumed: bool  # True: taken from an earlier, interrupted run


FrameCallback = Callable[[FrameEvent], None]


def _frame_plan(index: int, video: VideoConfig, style: StyleConfig) -> int:
    """Iteration budget of a frame: a start from scratch gets the first-frame budget."""
    from_scratch = index == 0 or video.temporal == "none"
    return video.first_iterations if from_scratch else style.iterations


def stylize_sequence(
    frames: Iterable[np.ndarray],
    *,
    total: int,
    store: FrameStore,
    stylizer: Stylizer,
    video: VideoConfig,
    on_frame: FrameCallback | None = None,
    on_iteration: IterationCallback | None = None,
    on_frame_start: Callable[[int], None] | None = None,
) -> None:
    """Stylize content frames in order into ``store``, continuing after finished frames.

    Each frame starts from the previous one *as stored* (the PNG, not the float image
    in memory), so an interrupted and resumed run makes exactly the frames an
    uninterrupted one makes.
    """
    done = store.finished(limit=total)
    previous_content: np.ndarray | None = None
    previous_output: np.ndarray | None = None
    for index, content in enumerate(frames):
        if index >= total:
            break
        if index < done:
            if index == done - 1:
                previous_content, previous_output = content, store.load(index)
            if on_frame is not None:
                on_frame(FrameEvent(index, total, 0, 0.0, float("nan"), resumed=True))
            continue
        if on_frame_start is not None:
            on_frame_start(index)
        start = time.perf_counter()
        init, temporal = None, None
        if previous_output is not None and video.temporal == "previous":
            init = to_tensor(previous_output)
        elif previous_output is not None and video.temporal == "flow":
            carried = warp_previous(previous_output, previous_content, content)
            init = to_tensor(carried.init)
            temporal = TemporalTarget(
                warped_previous=to_tensor(carried.warped),
                certainty=torch.from_numpy(carried.certainty)[None],
                weight=video.temporal_weight,
            )
        result = stylizer.stylize(
            to_tensor(content),
            init=init,
            temporal=temporal,
            iterations=_frame_plan(index, video, stylizer.config),
            on_iteration=on_iteration,
        )
        output = to_rgb_uint8(result.image)
        store.save(index, output)
        previous_content, previous_output = content, output
        if on_frame is not None:
            on_frame(
                FrameEvent(index, total, result.iterations, time.perf_counter() - start, result.loss, resumed=False)
            )
    finished = store.finished(limit=total)
    if finished < total:
        raise DecodeError(f"only {finished} of {total} frames could be read back; the source changed during the run")


def work_folder_for(output: Path) -> Path:
    """The work folder beside an output: ``clip_starry.mp4`` -> ``clip_starry.framestyle-work``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.framestyle-work")


def default_video_output(video: Path, styles: Sequence[Path]) -> Path:
    return default_image_output(video, styles, suffix=".mp4")


def _file_identity(path: Path) -> dict[str, Any]:
    st = Path(path).stat()
    return {"name": Path(path).name, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sequence_settings(
    *,
    style: StyleConfig,
    video: VideoConfig,
    stylizer: Stylizer,
    runtime: RuntimeConfig,
    style_paths: Sequence[Path],
    source: dict[str, Any],
    size: tuple[int, int],
    frames: int,
) -> dict[str, Any]:
    """Everything that changes what the frames look like (and nothing that does not,
    such as the encoder settings), for the work folder's manifest."""
    settings: dict[str, Any] = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(style).items()}
    settings.update(
        temporal=video.temporal,
        temporal_weight=video.temporal_weight,
        first_iterations=video.first_iterations,
        precision=str(stylizer.autocast_dtype or "fp32"),
        device=stylizer.device.type,
        weights=_digest(runtime.weights) if runtime.weights else "packaged",
        styles=[_digest(p) for p in style_paths],
        source=source,
        size=list(size),
        frames=frames,
    )
    return settings


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
    steps = sum(_frame_plan(i, video, stylizer.config) for i in range(plan.info.frames))
    return steps * step + (plan.info.frames - 1) * flow


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
) -> VideoOutcome:
    """Stylize a clip into its work folder, then encode the finished frames."""
    start = time.perf_counter()
    if stylizer is None:
        stylizer = make_stylizer(style_paths, config, runtime)
    info = plan.info
    source = {**_file_identity(info.path), "start_frame": info.start_frame}
    settings = sequence_settings(
        style=config, video=video, stylizer=stylizer, runtime=runtime, style_paths=style_paths,
        source=source, size=plan.size, frames=info.frames,
    )  # fmt: skip
    store = FrameStore.open(plan.work_folder, settings, restart=restart)
    resumed = store.finished(limit=info.frames)
    try:
        stylize_sequence(
            iter_frames(info, size=plan.size),
            total=info.frames,
            store=store,
            stylizer=stylizer,
            video=video,
            on_frame=on_frame,
            on_frame_start=on_frame_start,
            on_iteration=on_iteration,
        )
    except KeyboardInterrupt:
        done = store.finished(limit=info.frames)
        raise Interrupted(
            f"interrupted after {done} of {info.frames} frames (kept in {store.folder}); "
            "run the same command again to resume"
        ) from None
    if on_encode is not None:
        on_encode()
    with atomic_path(plan.output) as tmp:
        write_video(
            tmp,
            (store.load(i) for i in range(info.frames)),
            size=plan.size,
            fps=info.fps,
            audio_from=info if plan.audio else None,
            codec=video.codec,
            crf=video.crf,
        )
    if not keep_frames:
        store.remove()
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
