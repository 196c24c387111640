"""Frame sequences (a video's frames, an ordered folder): the work folder around an
engine's painting, and the sinks that turn finished frames into the output."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Backend
from ..config import VideoConfig
from ..errors import DecodeError, Interrupted
from ..events import SILENT, ItemEvent, Reporter, Tee
from ..io.files import atomic_path
from ..io.images import write_image
from ..io.video import VideoInfo, write_video
from ..letterbox import Bars
from ..store import FrameStore
from .common import require_sequence_init, style_settings
from .engine import Engine
from .passes import pass_store
from .space import SpaceNeed, check_space, image_bytes

FinishStore = Callable[[FrameStore, Reporter], None]
"""A sink: turns a work folder of finished frames into the output (encode or export),
reporting each frame written with ``Reporter.writing``."""

FrameSource = Callable[[], Iterable[np.ndarray]]
"""Reads a sequence's content frames again from the start, at the working size."""


def work_folder_for(output: Path) -> Path:
    """The work folder beside an output: ``clip_starry.mp4`` -> ``clip_starry.framestyle-work``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.framestyle-work")


def sequence_settings(
    engine: Engine,
    video: VideoConfig,
    *,
    source: dict[str, Any],
    size: tuple[int, int],
    frames: int,
    bars: Bars = Bars(),
) -> dict[str, Any]:
    """Everything that changes what the frames look like (and nothing that does not,
    such as the encoder settings), for the work folder's manifest."""
    paint = engine.settings
    backend: Backend = engine.backend
    settings = style_settings(paint.style, backend, paint.runtime, paint.style_paths)
    settings.update(
        temporal=video.temporal,
        temporal_weight=video.temporal_weight,
        temporal_frames=list(video.temporal_frames),
        anchor_every=video.anchor_every,
        fill=video.fill,
        first_iterations=video.first_iterations,
        passes=engine.sequence_passes(video),
        device=backend.device.type,
        source=source,
        size=list(size),
        frames=frames,
    )
    if settings["passes"] > 1:
        settings["pass_iterations"] = video.pass_iterations
    settings.update(engine.sequence_manifest(frames, video))
    if bars:  # only the picture inside them is painted
        settings["bars"] = [bars.top, bars.bottom, bars.left, bars.right]
    return settings


def frames_need(work_folder: Path, settings: dict[str, Any], *, total: int) -> SpaceNeed:
    """The PNG frames a run will still add to its work folder (those kept from an earlier
    run with the same settings are already there)."""
    if "size" not in settings:  # settings that do not say the frame size: nothing to estimate
        return SpaceNeed("frames", Path(work_folder).parent, 0)
    passes = int(settings.get("passes", 1))
    left = total - FrameStore.reusable(work_folder, settings, limit=total)
    size = (int(settings["size"][0]), int(settings["size"][1]))
    # Several passes keep each pass's frames and the content frames until the end.
    copies = 1.0 if passes == 1 else passes + 1.0
    if "segment" in settings:
        # Coherent Ray segments paint each pass into segment folders (lead-in frames too;
        # the content stays in memory), then compose the clip's frames beside them.
        copies = passes * (1 + settings.get("overlap", 0) / max(1, settings["segment"])) + 1
    # Named by the folder that holds the work folder, where the user will look for space.
    return SpaceNeed("frames", Path(work_folder).parent, int(image_bytes(size, left) * copies))


class _Counter(Reporter):
    def __init__(self) -> None:
        self.done = 0

    def item_done(self, event: ItemEvent) -> None:
        self.done += 1


def run_sequence(
    frames: Iterable[np.ndarray],
    *,
    total: int,
    work_folder: Path,
    settings: dict[str, Any],
    engine: Engine,
    video: VideoConfig,
    finish: FinishStore,
    restart: bool = False,
    keep_frames: bool = False,
    unit: str = "frames",
    outputs: Sequence[SpaceNeed] = (),
    reporter: Reporter = SILENT,
    bars: Bars = Bars(),
) -> int:
    """Paint into the work folder (continuing an interrupted run), then ``finish`` the
    store (encode or export). Returns how many frames an earlier run had finished.
    ``bars``: letterbox bars the frames keep as they are (only the picture is painted).

    ``outputs``: what the sink will write; with the frames still to paint, it must fit on
    the disk, or the run is refused before the work folder is touched."""
    require_sequence_init(engine.settings.style)
    check_space([frames_need(work_folder, settings, total=total), *outputs])
    store = FrameStore.open(work_folder, settings, restart=restart)
    passes = engine.sequence_passes(video)
    resumed = engine.sequence_frames_done(store, total, video)
    counter = _Counter()
    try:
        engine.paint_sequence(frames, total=total, store=store, video=video, reporter=Tee(counter, reporter), bars=bars)
    except KeyboardInterrupt:
        done = f"{counter.done} of {total} {unit}"
        if passes > 1:
            done = f"{counter.done} of {total * passes} paintings ({passes} passes over {total} {unit})"
        raise Interrupted(
            f"interrupted after {done} (kept in {store.folder}); run the same command again to resume"
        ) from None
    finished = store.finished(limit=total)
    if finished < total:
        finished = pass_store(store, 0, passes).finished(limit=total)  # the frames the source gave
        raise DecodeError(f"only {finished} of {total} frames could be read back; the source changed during the run")
    reporter.finishing()
    finish(store, reporter)
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
    codec: str = "auto",
    crf: int = 18,
    pix_fmt: str = "yuv420p",
    originals: FrameSource | None = None,
    times: Sequence[Fraction] | None = None,
) -> FinishStore:
    """A sink: encode the stored frames into ``output``, atomically.

    ``originals``: show the content frames (read again from the source: the work folder
    holds only painted ones) on the left of the painted ones, for comparison. Only the
    encode changes, so the work folder, and a resume, are the same either way.
    ``times``: a variable-rate source's frame times (``VideoInfo.times``), kept in the output.
    """
    w, h = size
    # Both halves have the working size, whose sides are even: so is the sum.
    out_size = (2 * w, h) if originals is not None else size

    def finish(store: FrameStore, reporter: Reporter) -> None:
        def frames() -> Iterator[np.ndarray]:
            # One frame in memory at a time (two side by side), however long the clip.
            sources = iter(originals()) if originals is not None else None
            for index in range(total):
                painted = store.load(index)
                if sources is not None:
                    original = next(sources, None)
                    if original is None:
                        raise DecodeError(f"the source gave only {index} of {total} frames the second time it was read")
                    painted = np.hstack([original, painted])
                yield painted
                # The writer asks for the next frame only once this one is written.
                reporter.writing(index + 1, total)

        with atomic_path(output) as tmp:
            write_video(
                tmp,
                frames(),
                size=out_size,
                fps=fps,
                audio_from=audio_from,
                codec=codec,
                crf=crf,
                pix_fmt=pix_fmt,
                times=times,
            )

    return finish


def export_store(outputs: Sequence[Path]) -> FinishStore:
    """A sink: write stored frame i to ``outputs[i]`` (format from its suffix), atomically."""

    def finish(store: FrameStore, reporter: Reporter) -> None:
        for index, path in enumerate(outputs):
            write_image(path, store.load(index))
            reporter.writing(index + 1, len(outputs))

    return finish
