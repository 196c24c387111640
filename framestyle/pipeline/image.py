"""One picture file in, one stylized picture (and its progress animation) out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, FramestyleError
from ..events import SILENT, Reporter, Tee
from ..io.ffmpeg import write_animation
from ..io.files import atomic_path, check_output, ensure_dir, require_file
from ..io.images import write_image
from ..stylize import StylizeResult
from .common import init_image, load_content
from .engine import Engine
from .lock import OutputLock
from .memory import Target, guard, style_shapes
from .paint import IterateSaver, PaintedPicture, PictureTask


@dataclass(frozen=True)
class ImageOutcome:
    output: Path
    size: tuple[int, int]
    result: StylizeResult
    animation: Path | None


def write_picture(
    output: Path, painted: PaintedPicture, *, animate: Path | None = None, animate_fps: float = 12.0
) -> None:
    """The picture, and its animation when asked, each written atomically."""
    write_image(output, painted.picture)
    if animate is not None:
        with atomic_path(animate) as tmp:
            write_animation(tmp, painted.frames, fps=animate_fps)


def stylize_image_file(
    content_path: Path,
    *,
    output: Path,
    engine: Engine,
    overwrite: bool = False,
    animate: Path | None = None,
    animate_every: int = 5,
    animate_fps: float = 12.0,
    save_every: int = 0,
    progress_dir: Path | None = None,
    reporter: Reporter = SILENT,
) -> ImageOutcome:
    """Stylize one picture file and write the result (and its progress animation).

    ``save_every`` writes every K-th step as a PNG into ``progress_dir`` (from the steps
    this process sees: an engine that paints elsewhere reports none)."""
    if save_every and progress_dir is None:
        raise ConfigError("`save_every` needs a `progress_dir` to write the steps into")
    style_paths = engine.settings.style_paths
    config = engine.settings.style
    inputs = [Path(content_path), *style_paths]
    require_file(content_path, "content image")
    for style in style_paths:
        require_file(style, "style image")
    check_output(output, inputs, overwrite=overwrite)
    if animate is not None:
        check_output(animate, [*inputs, output], overwrite=overwrite)
    ensure_dir(Path(output).parent)
    with OutputLock(output, overwrite=overwrite):
        content = load_content(content_path, config.size)
        size = (content.shape[1], content.shape[0])
        # Before the first step: the network is loaded, but nothing that grows with the size.
        guard(size, style_shapes(style_paths, config), config, Target.of(engine.backend, engine.painters))
        task = PictureTask(0, content, init_image(config, size), animate_every=animate_every if animate else 0)
        if save_every and progress_dir is not None:
            reporter = Tee(IterateSaver(save_every, progress_dir, size), reporter)
        [(_, painted)] = engine.paint_pictures([task], reporter)
        if isinstance(painted, FramestyleError):
            raise painted
        write_picture(output, painted, animate=animate, animate_fps=animate_fps)
        return ImageOutcome(output=Path(output), size=size, result=painted.result, animation=animate)
