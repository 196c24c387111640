"""The one loop for every frame source (video file, image folder): stylize frames in
order with temporal coherence into a resumable work folder, then hand them to a sink
(a video encoder or a folder of images)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import RuntimeConfig, StyleConfig, VideoConfig
from ..errors import DecodeError, Interrupted
from ..events import IterationCallback
from ..flow import warp_previous
from ..io.files import atomic_path
from ..io.images import write_image
from ..io.video import VideoInfo, write_video
from ..store import FrameStore
from ..stylize import Backend, Stylizer, StylizeResult, TemporalTarget
from ..tensors import to_rgb_uint8, to_tensor
from .common import style_settings


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


def frame_iterations(index: int, video: VideoConfig, style: StyleConfig) -> int:
    """Iteration budget of a frame: a start from scratch gets the first-frame budget."""
    from_scratch = index == 0 or video.temporal == "none"
    return video.first_iterations if from_scratch else style.iterations


def paint_frame(
    stylizer: Stylizer,
    content: np.ndarray,
    previous_content: np.ndarray | None,
    previous_output: np.ndarray | None,
    *,
    scratch: bool,
    video: VideoConfig,
    on_iteration: IterationCallback | None = None,
) -> tuple[np.ndarray, StylizeResult]:
    """One frame of a sequence: started from the previous output (warped along the flow,
    with the temporal term) unless ``scratch`` or temporal "none"."""
    init, temporal = None, None
    if scratch or previous_output is None or video.temporal == "none":
        iterations = video.first_iterations
    else:
        iterations = stylizer.config.iterations
        if video.temporal == "previous":
            init = to_tensor(previous_output)
        else:
            carried = warp_previous(previous_output, previous_content, content)
            init = to_tensor(carried.init)
            temporal = TemporalTarget(
                warped_previous=to_tensor(carried.warped),
                certainty=torch.from_numpy(carried.certainty)[None],
                weight=video.temporal_weight,
            )
    result = stylizer.stylize(
        to_tensor(content), init=init, temporal=temporal, iterations=iterations, on_iteration=on_iteration
    )
    return to_rgb_uint8(result.image), result


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
        if index == 0 and stylizer.config.preserve_color:
            # The clip's first frame, also when resuming: the same style targets as before.
            stylizer.set_color_reference(to_tensor(content))
        if index < done:
            if index == done - 1:
                previous_content, previous_output = content, store.load(index)
            if on_frame is not None:
                on_frame(FrameEvent(index, total, 0, 0.0, float("nan"), resumed=True))
            continue
        if on_frame_start is not None:
            on_frame_start(index)
        start = time.perf_counter()
        output, result = paint_frame(
            stylizer, content, previous_content, previous_output, scratch=index == 0, video=video,
            on_iteration=on_iteration,
        )  # fmt: skip
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


def sequence_settings(
    *,
    style: StyleConfig,
    video: VideoConfig,
    backend: Backend,
    runtime: RuntimeConfig,
    style_paths: Sequence[Path],
    source: dict[str, Any],
    size: tuple[int, int],
    frames: int,
) -> dict[str, Any]:
    """Everything that changes what the frames look like (and nothing that does not,
    such as the encoder settings), for the work folder's manifest."""
    settings = style_settings(style, backend, runtime, style_paths)
    settings.update(
        temporal=video.temporal,
        temporal_weight=video.temporal_weight,
        first_iterations=video.first_iterations,
        device=backend.device,
        source=source,
        size=list(size),
        frames=frames,
    )
    return settings


FinishStore = Callable[[FrameStore], None]


def run_sequence(
    frames: Iterable[np.ndarray],
    *,
    total: int,
    work_folder: Path,
    settings: dict[str, Any],
    stylizer: Stylizer,
    video: VideoConfig,
    finish: FinishStore,
    restart: bool = False,
    keep_frames: bool = False,
    unit: str = "frames",
    on_frame: FrameCallback | None = None,
    on_frame_start: Callable[[int], None] | None = None,
    on_iteration: IterationCallback | None = None,
    on_finish: Callable[[], None] | None = None,
) -> int:
    """Stylize into the work folder (continuing an interrupted run), then ``finish`` the
    store (encode or export). Returns how many frames an earlier run had finished."""
    store = FrameStore.open(work_folder, settings, restart=restart)
    resumed = store.finished(limit=total)
    try:
        stylize_sequence(
            frames,
            total=total,
            store=store,
            stylizer=stylizer,
            video=video,
            on_frame=on_frame,
            on_frame_start=on_frame_start,
            on_iteration=on_iteration,
        )
    except KeyboardInterrupt:
        done = store.finished(limit=total)
        raise Interrupted(
            f"interrupted after {done} of {total} {unit} (kept in {store.folder}); "
            "run the same command again to resume"
        ) from None
    if on_finish is not None:
        on_finish()
    finish(store)
    if not keep_frames:
        store.remove()
    return resumed


def encode_store(
    output: Path,
    *,
    total: int,
    size: tuple[int, int],
    fps: Fraction,
    audio_from: VideoInfo | None = None,
    codec: str = "libx264",
    crf: int = 18,
) -> FinishStore:
    """A sink: encode the stored frames into ``output``, atomically."""

    def finish(store: FrameStore) -> None:
        with atomic_path(output) as tmp:
            frames = (store.load(i) for i in range(total))
            write_video(tmp, frames, size=size, fps=fps, audio_from=audio_from, codec=codec, crf=crf)

    return finish


def export_store(outputs: Sequence[Path]) -> FinishStore:
    """A sink: write stored frame i to ``outputs[i]`` (format from its suffix), atomically."""

    def finish(store: FrameStore) -> None:
        for index, path in enumerate(outputs):
            write_image(path, store.load(index))

    return finish
