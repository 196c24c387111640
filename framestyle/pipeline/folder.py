"""Folders of images: each picture on its own (a batch), or an ordered frame sequence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..config import VideoConfig
from ..errors import ConfigError, FramestyleError, InputError, OutputError
from ..events import SILENT, Reporter
from ..io.files import check_output, require_file
from ..io.images import WRITE_EXTENSIONS, list_folder, read_image, resize_rgb
from ..io.video import BARS_SAMPLES, output_args
from ..letterbox import Bars, DarkEdges
from ..tensors import fit_long_side
from .batch import BatchBook, BatchJob, BatchSummary, check_batch_manifest, pending_jobs, picture_tasks
from .common import file_identity, painted_bars, require_sequence_init, style_settings
from .engine import Engine
from .image import write_picture
from .lock import OutputLock
from .memory import Target, guard, style_shapes
from .sequence import encode_store, export_store, run_sequence, sequence_settings, work_folder_for
from .space import SpaceNeed, image_bytes, video_bytes


def default_folder_output(folder: Path, styles: Sequence[Path]) -> Path:
    """``photos_starry/`` beside ``photos/``."""
    folder = Path(folder)
    names = "_".join(Path(s).stem for s in styles)
    return folder.resolve().with_name(f"{folder.resolve().name}_{names}")


@dataclass(frozen=True)
class FolderPlan:
    folder: Path
    images: list[Path]  # relative to folder, natural order
    not_images: list[Path]
    output_dir: Path
    outputs: list[Path]  # one per image, mirroring the input tree


def plan_folder(
    folder: Path, style_paths: Sequence[Path], *, output_dir: Path, recursive: bool = False, image_format: str = "png"
) -> FolderPlan:
    """List the folder and decide every output name; touches nothing on disk."""
    suffix = "." + image_format.lower().lstrip(".")
    if suffix not in WRITE_EXTENSIONS:
        raise ConfigError(f"`image_format` must be one of {', '.join(sorted(e[1:] for e in WRITE_EXTENSIONS))}")
    for style in style_paths:
        require_file(style, "style image")
    images, others = list_folder(folder, recursive=recursive)
    if not images:
        raise InputError(
            f"no images in {folder} (looked for {', '.join(sorted({'jpg', 'png', 'webp', 'bmp', 'tif'}))})"
        )
    source, target = Path(folder).resolve(), Path(output_dir).resolve()
    if target == source or (recursive and source in target.parents):
        raise OutputError(f"output folder {output_dir} must not be (inside) the input folder {folder}")
    names = [rel.parent / (rel.stem + suffix) for rel in images]
    # a.jpg and a.png would both become a.png: keep the source extension in such names.
    taken = {n for n in names if names.count(n) > 1}
    names = [
        rel.parent / f"{rel.stem}_{rel.suffix[1:].lower()}{suffix}" if n in taken else n
        for rel, n in zip(images, names)
    ]
    return FolderPlan(
        folder=Path(folder),
        images=images,
        not_images=others,
        output_dir=Path(output_dir),
        outputs=[Path(output_dir) / n for n in names],
    )


def batch_of(plan: FolderPlan, animate_dir: Path | None, animate_format: str) -> list[BatchJob]:
    """One job per picture, with its output and (optionally) its animation's path."""
    total = len(plan.images)
    jobs = []
    for index, (relative, output) in enumerate(zip(plan.images, plan.outputs)):
        animation = None
        if animate_dir is not None:
            animation = Path(animate_dir) / relative.parent / f"{relative.stem}.{animate_format}"
        jobs.append(BatchJob(index, total, plan.folder / relative, output, animation))
    return jobs


def stylize_folder(
    plan: FolderPlan,
    *,
    engine: Engine,
    overwrite: bool = False,
    animate_dir: Path | None = None,
    animate_format: str = "gif",
    animate_every: int = 5,
    animate_fps: float = 12.0,
    reporter: Reporter = SILENT,
) -> BatchSummary:
    """Stylize every image on its own; skip finished ones; a bad file fails alone."""
    if animate_format not in ("gif", "mp4"):
        raise ConfigError(f"`animate_format` must be gif or mp4 (got {animate_format!r})")
    with OutputLock(plan.output_dir, folder=True):
        paint = engine.settings
        settings = style_settings(paint.style, engine.backend, paint.runtime, paint.style_paths)
        check_batch_manifest(plan.output_dir, settings, overwrite=overwrite)
        book = BatchBook(len(plan.images), reporter)
        jobs = pending_jobs(batch_of(plan, animate_dir, animate_format), book, overwrite=overwrite)
        by_index = {job.index: job for job in jobs}
        # Each picture has its own aspect, so each is checked as it is read; one that
        # cannot fit fails alone (in one line naming the size that would), the rest go on.
        styles = style_shapes(paint.style_paths, paint.style)
        target = Target.of(engine.backend, engine.painters)

        def check(size: tuple[int, int]) -> object:
            return guard(size, styles, paint.style, target)

        tasks = picture_tasks(jobs, paint.style, book, animate_every=animate_every, check=check)
        try:
            for task, painted in engine.paint_pictures(tasks, reporter):
                job = by_index[task.index]
                try:
                    if isinstance(painted, FramestyleError):
                        raise painted
                    write_picture(job.output, painted, animate=job.animation, animate_fps=animate_fps)
                except FramestyleError as err:
                    book.record(job.event("failed", str(err)))
                    continue
                book.record(job.event("done", seconds=painted.result.seconds))
        except KeyboardInterrupt:
            raise book.interrupted() from None
        return book.summary


@dataclass(frozen=True)
class SequenceOutcome:
    frames: int
    resumed: int
    size: tuple[int, int]
    resized: int  # frames whose size differed from the first
    output: Path
    bars: Bars = Bars()  # letterbox bars kept as they are (at the working size)


class _FolderFrames:
    """The folder's pictures as frames at one size, counting those that had another."""

    def __init__(self, plan: FolderPlan, first_shape: tuple[int, ...], size: tuple[int, int]) -> None:
        self.plan = plan
        self.first_shape = first_shape
        self.size = size
        self.resized = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for relative in self.plan.images:
            try:
                rgb = read_image(self.plan.folder / relative, what="frame")
            except FramestyleError as err:
                # A sequence cannot skip a frame without breaking its motion.
                raise InputError(f"{err} (frame {relative} of the sequence)") from None
            if rgb.shape[:2] != self.first_shape[:2]:
                self.resized += 1
            yield resize_rgb(rgb, self.size)


def stylize_folder_sequence(
    plan: FolderPlan,
    *,
    engine: Engine,
    video: VideoConfig,
    to_video: Path | None = None,
    fps: Fraction = Fraction(24),
    restart: bool = False,
    keep_frames: bool = False,
    overwrite: bool = False,
    side_by_side: bool = False,
    reporter: Reporter = SILENT,
) -> SequenceOutcome:
    """Treat the images, in natural order, as the frames of a video (temporally coherent).

    ``side_by_side``: with ``to_video``, the original pictures on the left of the painted ones.
    """
    require_sequence_init(engine.settings.style)
    if side_by_side and to_video is None:
        raise ConfigError("`side_by_side` needs a video output (`to_video`)")
    if to_video is not None:
        # Refuses unknown containers (and what they cannot hold) early.
        output_args(Path(to_video).suffix, codec=video.codec, crf=video.crf, pix_fmt=video.pix_fmt)
        check_output(to_video, [plan.folder / r for r in plan.images], overwrite=overwrite)
    elif not overwrite and all(p.exists() for p in plan.outputs):
        raise OutputError(f"every frame in {plan.output_dir} already exists (pass `overwrite=True` to redo them)")
    if to_video is not None:
        lock = OutputLock(to_video, overwrite=overwrite)
    else:
        lock = OutputLock(plan.output_dir, folder=True)
    with lock:
        first = read_image(plan.folder / plan.images[0], what="frame")
        config = engine.settings.style
        size = fit_long_side(first.shape[1], first.shape[0], config.size, even=to_video is not None)
        budget = max(video.first_iterations, config.iterations)
        styles = style_shapes(engine.settings.style_paths, config)
        guard(size, styles, config, Target.of(engine.backend, engine.painters), budget=budget)
        frames = _FolderFrames(plan, first.shape, size)
        bars = _sequence_bars(plan, first, size) if video.keep_bars else Bars()
        files = [file_identity(plan.folder / r) | {"name": str(r)} for r in plan.images]
        source = {"folder": Path(plan.folder).resolve().name, "files": files}
        total = len(plan.images)
        if to_video is not None:
            work = work_folder_for(to_video)
            # A fresh reader for the originals: it must not count resized frames twice.
            originals = (lambda: _FolderFrames(plan, first.shape, size)) if side_by_side else None
            finish = encode_store(
                to_video,
                total=total,
                size=size,
                fps=fps,
                codec=video.codec,
                crf=video.crf,
                pix_fmt=video.pix_fmt,
                originals=originals,
            )
            written = video_bytes(size, total, fps=float(fps), crf=video.crf, pix_fmt=video.pix_fmt)
            need = SpaceNeed("video", to_video.parent, written)
        else:
            work = plan.output_dir / ".framestyle-work"
            finish = export_store(plan.outputs)
            need = SpaceNeed("images", plan.output_dir, image_bytes(size, total))
        resumed = run_sequence(
            frames,
            total=total,
            work_folder=work,
            settings=sequence_settings(engine, video, source=source, size=size, frames=total, bars=bars),
            engine=engine,
            video=video,
            finish=finish,
            restart=restart,
            keep_frames=keep_frames,
            unit="images",
            outputs=[need],
            reporter=reporter,
            bars=bars,
        )
        output = to_video if to_video is not None else plan.output_dir
        return SequenceOutcome(total, resumed, size, frames.resized, output, bars)


def _sequence_bars(plan: FolderPlan, first: np.ndarray, size: tuple[int, int]) -> Bars:
    """The letterbox bars that pictures spread over the sequence share, as ``probe``
    finds a clip's (``first``, already read, then pictures of its size; one that cannot
    be read is left to the painting, which names it)."""
    edges = DarkEdges()
    edges.add(first)
    every = max(1, len(plan.images) // BARS_SAMPLES)
    for relative in plan.images[every::every][: BARS_SAMPLES - 1]:
        try:
            rgb = read_image(plan.folder / relative, what="frame")
        except FramestyleError:
            continue
        if rgb.shape[:2] == first.shape[:2]:
            edges.add(rgb)
    return painted_bars(edges.bars(), (first.shape[1], first.shape[0]), size)
