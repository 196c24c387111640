"""Folders of images: each picture on its own (a batch), or an ordered frame sequence."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from ..config import RuntimeConfig, StyleConfig, VideoConfig
from ..errors import ConfigError, FramestyleError, InputError, Interrupted, OutputError
from ..events import IterationCallback
from ..io.files import check_output, ensure_dir, require_file, write_bytes_atomic
from ..io.images import WRITE_EXTENSIONS, list_folder, read_image, resize_rgb
from ..stylize import Backend
from ..tensors import fit_long_side
from .common import (
    file_identity,
    init_image,
    load_content,
    make_stylizer,
    style_settings,
)
from .image import PaintedPicture, paint_picture, write_picture
from .sequence import (
    FrameCallback,
    encode_store,
    export_store,
    run_sequence,
    sequence_settings,
    work_folder_for,
)

BATCH_MANIFEST = ".framestyle.json"


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
        raise InputError(f"no images in {folder} (looked for {', '.join(sorted({'jpg', 'png', 'webp', 'bmp', 'tif'}))})")
    source, target = Path(folder).resolve(), Path(output_dir).resolve()
    if target == source or (recursive and source in target.parents):
        raise OutputError(f"output folder {output_dir} must not be (inside) the input folder {folder}")
    names = [rel.parent / (rel.stem + suffix) for rel in images]
    # a.jpg and a.png would both become a.png: keep the source extension in such names.
    taken = {n for n in names if names.count(n) > 1}
    names = [
        rel.parent / f"{rel.stem}_{rel.suffix[1:].lower()}{suffix}" if n in taken else n for rel, n in zip(images, names)
    ]
    return FolderPlan(
        folder=Path(folder),
        images=images,
        not_images=others,
        output_dir=Path(output_dir),
        outputs=[Path(output_dir) / n for n in names],
    )


Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class BatchEvent:
    index: int
    total: int
    source: Path
    output: Path
    status: Status
    message: str = ""
    seconds: float = 0.0


@dataclass
class BatchSummary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)


def _check_batch_manifest(output_dir: Path, settings: dict[str, Any], *, overwrite: bool) -> None:
    """Existing outputs are only reused if they were made with the same settings."""
    path = output_dir / BATCH_MANIFEST
    found = None
    if path.exists():
        try:
            found = json.loads(path.read_text()).get("settings")
        except (OSError, ValueError, AttributeError):
            found = None
        if found != settings and not overwrite:
            changed = sorted(k for k in set(found or {}) | set(settings) if (found or {}).get(k) != settings.get(k))
            raise OutputError(
                f"{output_dir} holds results made with other settings ({', '.join(changed) or 'unknown'}); "
                "pass `overwrite=True` to redo them, or choose another `output_dir`"
            )
    if found != settings:
        ensure_dir(output_dir)
        write_bytes_atomic(path, json.dumps({"settings": settings}, indent=1, sort_keys=True).encode())


@dataclass(frozen=True)
class BatchJob:
    """One picture of a batch that still needs painting."""

    index: int
    total: int
    source: Path
    output: Path
    animation: Path | None

    def event(self, status: Status, message: str = "", seconds: float = 0.0) -> BatchEvent:
        return BatchEvent(self.index, self.total, self.source, self.output, status, message, seconds)


def batch_jobs(
    plan: FolderPlan,
    *,
    overwrite: bool,
    animate_dir: Path | None,
    animate_format: str,
    summary: BatchSummary,
    on_item: Callable[[BatchEvent], None] | None = None,
) -> list[BatchJob]:
    """The pictures still to paint; finished ones are counted and reported as skipped."""
    jobs = []
    total = len(plan.images)
    for index, (relative, output) in enumerate(zip(plan.images, plan.outputs)):
        animation = None
        if animate_dir is not None:
            animation = Path(animate_dir) / relative.parent / f"{relative.stem}.{animate_format}"
        job = BatchJob(index, total, plan.folder / relative, output, animation)
        if output.exists() and not overwrite and (animation is None or animation.exists()):
            summary.skipped += 1
            if on_item is not None:
                on_item(job.event("skipped", "already done"))
            continue
        jobs.append(job)
    return jobs


def load_job(job: BatchJob, config: StyleConfig) -> tuple[np.ndarray, torch.Tensor | None]:
    """The content picture at the working size and the start image, or a FramestyleError."""
    content = load_content(job.source, config.size)
    return content, init_image(config, (content.shape[1], content.shape[0]))


def save_job(job: BatchJob, painted: PaintedPicture, *, animate_fps: float) -> None:
    write_picture(job.output, painted, animate=job.animation, animate_fps=animate_fps)


def record(summary: BatchSummary, event: BatchEvent, on_item: Callable[[BatchEvent], None] | None) -> None:
    if event.status == "done":
        summary.done += 1
    elif event.status == "failed":
        summary.failed += 1
        summary.failures.append((event.source, event.message))
    if on_item is not None:
        on_item(event)


def interrupted_batch(summary: BatchSummary, total: int) -> Interrupted:
    return Interrupted(
        f"interrupted after {summary.done + summary.skipped} of {total} images; run the same command again to continue"
    )


def prepare_batch(
    plan: FolderPlan, style_paths: Sequence[Path], config: StyleConfig, runtime: RuntimeConfig, backend: Backend,
    *, overwrite: bool,
) -> None:  # fmt: skip
    """Refuse an output folder made with other settings; record ours."""
    _check_batch_manifest(plan.output_dir, style_settings(config, backend, runtime, style_paths), overwrite=overwrite)


def stylize_folder(
    plan: FolderPlan,
    style_paths: Sequence[Path],
    *,
    config: StyleConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    overwrite: bool = False,
    animate_dir: Path | None = None,
    animate_format: str = "gif",
    animate_every: int = 5,
    animate_fps: float = 12.0,
    on_item: Callable[[BatchEvent], None] | None = None,
    on_item_start: Callable[[int], None] | None = None,
    on_iteration: IterationCallback | None = None,
    ray_config: Any = None,
) -> BatchSummary:
    """Stylize every image on its own; skip finished ones; a bad file fails alone.

    ``ray_config`` (a cluster.RayConfig): paint on Ray workers instead of here."""
    if ray_config is not None:
        from .cluster import stylize_folder_ray

        return stylize_folder_ray(
            plan, style_paths, config=config, runtime=runtime, ray_config=ray_config, overwrite=overwrite,
            animate_dir=animate_dir, animate_format=animate_format, animate_every=animate_every,
            animate_fps=animate_fps, on_item=on_item, on_item_start=on_item_start,
        )  # fmt: skip
    stylizer = make_stylizer(style_paths, config, runtime)
    prepare_batch(plan, style_paths, config, runtime, stylizer.backend, overwrite=overwrite)
    summary = BatchSummary()
    jobs = batch_jobs(
        plan, overwrite=overwrite, animate_dir=animate_dir, animate_format=animate_format, summary=summary,
        on_item=on_item,
    )  # fmt: skip
    for job in jobs:
        if on_item_start is not None:
            on_item_start(job.index)
        try:
            content, init = load_job(job, config)
            painted = paint_picture(
                stylizer, content, init=init, animate_every=animate_every if job.animation else 0,
                on_iteration=on_iteration,
            )  # fmt: skip
            save_job(job, painted, animate_fps=animate_fps)
        except KeyboardInterrupt:
            raise interrupted_batch(summary, len(plan.images)) from None
        except FramestyleError as err:
            record(summary, job.event("failed", str(err)), on_item)
            continue
        record(summary, job.event("done", seconds=painted.result.seconds), on_item)
    return summary


@dataclass(frozen=True)
class SequenceOutcome:
    frames: int
    resumed: int
    size: tuple[int, int]
    resized: int  # frames whose size differed from the first
    output: Path


def stylize_folder_sequence(
    plan: FolderPlan,
    style_paths: Sequence[Path],
    *,
    config: StyleConfig,
    video: VideoConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    to_video: Path | None = None,
    fps: Fraction = Fraction(24),
    restart: bool = False,
    keep_frames: bool = False,
    overwrite: bool = False,
    on_frame: FrameCallback | None = None,
    on_frame_start: Callable[[int], None] | None = None,
    on_iteration: IterationCallback | None = None,
    on_finish: Callable[[], None] | None = None,
    ray_config: Any = None,
) -> SequenceOutcome:
    """Treat the images, in natural order, as the frames of a video (temporally coherent)."""
    if to_video is not None:
        check_output(to_video, [plan.folder / r for r in plan.images], overwrite=overwrite)
    elif not overwrite and all(p.exists() for p in plan.outputs):
        raise OutputError(f"every frame in {plan.output_dir} already exists (pass `overwrite=True` to redo them)")
    first = read_image(plan.folder / plan.images[0], what="frame")
    size = fit_long_side(first.shape[1], first.shape[0], config.size, even=to_video is not None)
    resized = 0

    def frames() -> Any:
        nonlocal resized
        for relative in plan.images:
            try:
                rgb = read_image(plan.folder / relative, what="frame")
            except FramestyleError as err:
                # A sequence cannot skip a frame without breaking its motion.
                raise InputError(f"{err} (frame {relative} of the sequence)") from None
            if rgb.shape[:2] != first.shape[:2]:
                resized += 1
            yield resize_rgb(rgb, size)

    files = [file_identity(plan.folder / r) | {"name": str(r)} for r in plan.images]
    source = {"folder": Path(plan.folder).resolve().name, "files": files}

    def settings(backend: Backend) -> dict[str, Any]:
        return sequence_settings(
            style=config, video=video, backend=backend, runtime=runtime, style_paths=style_paths,
            source=source, size=size, frames=len(plan.images),
        )  # fmt: skip

    if to_video is not None:
        work = work_folder_for(to_video)
        finish = encode_store(to_video, total=len(plan.images), size=size, fps=fps, codec=video.codec, crf=video.crf)
    else:
        work = plan.output_dir / ".framestyle-work"
        finish = export_store(plan.outputs)
    if ray_config is not None:
        from .cluster import RayEngine, run_sequence_ray

        reference = resize_rgb(first, size) if config.preserve_color else None
        with RayEngine(ray_config, style_paths, config, runtime, color_reference=reference) as engine:
            assert engine.backend is not None
            resumed = run_sequence_ray(
                frames(), total=len(plan.images), work_folder=work, settings=settings(engine.backend), engine=engine,
                video=video, finish=finish, restart=restart, keep_frames=keep_frames, unit="images",
                on_frame=on_frame, on_finish=on_finish,
            )  # fmt: skip
    else:
        stylizer = make_stylizer(style_paths, config, runtime)
        resumed = run_sequence(
            frames(), total=len(plan.images), work_folder=work, settings=settings(stylizer.backend),
            stylizer=stylizer, video=video, finish=finish, restart=restart, keep_frames=keep_frames,
            on_frame=on_frame, on_frame_start=on_frame_start, on_iteration=on_iteration, on_finish=on_finish,
        )  # fmt: skip
    return SequenceOutcome(
        frames=len(plan.images),
        resumed=resumed,
        size=size,
        resized=resized,
        output=to_video if to_video is not None else plan.output_dir,
    )
