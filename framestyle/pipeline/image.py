"""One picture file in, one stylized picture (and its progress animation) out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..config import RuntimeConfig, StyleConfig
from ..events import IterationCallback
from ..io.ffmpeg import write_animation
from ..io.files import atomic_path, check_output, ensure_dir, require_file
from ..io.images import write_image
from ..stylize import Stylizer, StylizeResult
from ..tensors import to_rgb_uint8, to_tensor
from .common import ProgressRecorder, chain, init_image, load_content, make_stylizer


@dataclass(frozen=True)
class ImageOutcome:
    output: Path
    size: tuple[int, int]
    result: StylizeResult
    animation: Path | None


@dataclass(frozen=True)
class PaintedPicture:
    picture: np.ndarray  # rgb_uint8
    frames: list[np.ndarray]  # progress frames for an animation (may be empty)
    result: StylizeResult


def paint_picture(
    stylizer: Stylizer,
    content: np.ndarray,
    *,
    init: torch.Tensor | None = None,
    animate_every: int = 0,
    save_every: int = 0,
    progress_dir: Path | None = None,
    on_iteration: IterationCallback | None = None,
) -> PaintedPicture:
    """Stylize one picture in memory, keeping every ``animate_every``-th step."""
    size = (content.shape[1], content.shape[0])
    recorder = ProgressRecorder(
        animate_every=animate_every, save_every=save_every, progress_dir=progress_dir, output_size=size
    )
    result = stylizer.stylize(to_tensor(content), init=init, on_iteration=chain(recorder, on_iteration))
    picture = to_rgb_uint8(result.image)
    frames = recorder.frames
    if animate_every and (not frames or not np.array_equal(frames[-1], picture)):
        frames = [*frames, picture]
    # The result tensor stays behind: it may live on a GPU, and callers only need pixels.
    return PaintedPicture(picture, frames, replace(result, image=result.image.detach().cpu()))


def write_picture(output: Path, painted: PaintedPicture, *, animate: Path | None = None, animate_fps: float = 12.0) -> None:
    """The picture, and its animation when asked, each written atomically."""
    write_image(output, painted.picture)
    if animate is not None:
        with atomic_path(animate) as tmp:
            write_animation(tmp, painted.frames, fps=animate_fps)


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
    if on_start is not None:
        on_start(size)
    painted = paint_picture(
        stylizer, content, init=init, animate_every=animate_every if animate is not None else 0,
        save_every=save_every, progress_dir=progress_dir, on_iteration=on_iteration,
    )  # fmt: skip
    write_picture(output, painted, animate=animate, animate_fps=animate_fps)
    result = painted.result
    return ImageOutcome(output=Path(output), size=size, result=result, animation=animate)
