"""One picture file in, one stylized picture (and its progress animation) out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
