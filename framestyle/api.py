"""The Python API: paint a picture, a video or a preview sheet from a script or a notebook.

Settings are keyword arguments named as in the config dataclasses (``size=384``,
``style_weight=30``, ``temporal="flow"``, ``style_layers=("relu1_1", "relu3_1")``...);
an unknown name or a bad value raises ConfigError naming it. Nothing is printed:
progress goes to an optional callback. Errors are FramestyleError subclasses.

>>> import framestyle
>>> picture = framestyle.stylize_image("photo.jpg", "starry.jpg", size=256)  # doctest: +SKIP
>>> picture.shape, picture.dtype  # doctest: +SKIP
((171, 256, 3), dtype('uint8'))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_type_hints

import numpy as np

from .config import (
    CONFIG_CLASSES,
    PREVIEW_DEFAULTS,
    VIDEO_DEFAULTS,
    RuntimeConfig,
    StyleConfig,
    VideoConfig,
)
from .errors import ConfigError, InputError
from .events import Callbacks, FrameEvent, ItemEvent, IterationEvent
from .settings import build, check_settings, coerce

Picture = str | Path | np.ndarray
"""A file path, or an HxWx3 uint8 RGB array."""


def settings_from(
    values: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> tuple[StyleConfig, RuntimeConfig, VideoConfig]:
    """The three settings objects from keyword settings (checked like preset values)."""
    given = check_settings(values, noun="setting")
    style, runtime, video = (build(cls, base or {}, given) for cls in CONFIG_CLASSES)
    return style, runtime, video


def _as_list(styles: Picture | Sequence[Picture]) -> list[Picture]:
    if isinstance(styles, (str, Path, np.ndarray)):
        return [styles]
    return list(styles)


def _rgb(picture: Picture, what: str, max_side: int | None = None) -> np.ndarray:
    from .io.images import read_image, resize_rgb
    from .tensors import fit_long_side

    if isinstance(picture, np.ndarray):
        if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3:
            raise InputError(f"{what}: expected an HxWx3 uint8 RGB array, got {picture.shape} {picture.dtype}")
        h, w = picture.shape[:2]
        if max_side is not None and max(h, w) > max_side:
            return resize_rgb(picture, fit_long_side(w, h, max_side))
        return picture
    return read_image(Path(picture), what=what, max_side=max_side)


def _frames_only(progress: Callable[[FrameEvent], object] | None) -> Callable[[ItemEvent], object] | None:
    if progress is None:
        return None

    def call(event: ItemEvent) -> None:
        if isinstance(event, FrameEvent):
            progress(event)

    return call


def stylize_image(
    content: Picture,
    styles: Picture | Sequence[Picture],
    *,
    progress: Callable[[IterationEvent], object] | None = None,
    **settings: Any,
) -> np.ndarray:
    """Paint ``content`` in the style of ``styles`` (blended when several); returns the
    painting as an HxWx3 uint8 RGB array whose long side is ``size`` (default 512)."""
    from .io.images import resize_rgb
    from .pipeline.common import init_image, style_side_limit
    from .pipeline.memory import guard, target_for
    from .pipeline.paint import PictureTask, paint_picture
    from .stylize import Stylizer
    from .tensors import fit_long_side, to_tensor

    style, runtime, _ = settings_from(settings)
    rgb = _rgb(content, "content image")
    h, w = rgb.shape[:2]
    size = fit_long_side(w, h, style.size)
    limit = style_side_limit(style)
    style_tensors = [to_tensor(_rgb(s, "style image", max_side=limit)) for s in _as_list(styles)]
    guard(size, [(t.shape[-1], t.shape[-2]) for t in style_tensors], style, target_for(runtime))
    stylizer = Stylizer(style_tensors, config=style, runtime=runtime)
    task = PictureTask(0, resize_rgb(rgb, size), init_image(style, size))
    return paint_picture(stylizer, task, Callbacks(iteration=progress)).picture


def stylize_video(
    video: str | Path,
    styles: str | Path | Sequence[str | Path],
    output: str | Path,
    *,
    frames: int | None = None,
    start: float = 0.0,
    overwrite: bool = False,
    restart: bool = False,
    keep_frames: bool = False,
    progress: Callable[[FrameEvent], object] | None = None,
    **settings: Any,
) -> Any:
    """Paint a clip into ``output`` (.mp4, .mkv, .mov, .webm), temporally coherent, with
    its frame rate and audio; resumable like the command. ``progress`` gets a FrameEvent
    per painting (each frame once per pass). Returns a VideoOutcome."""
    from .pipeline import open_engine, plan_video
    from .pipeline import stylize_video as run_video

    style_paths = [Path(s) for s in _as_list(styles)]  # type: ignore[arg-type]
    style, runtime, video_config = settings_from(settings, base=VIDEO_DEFAULTS)
    plan = plan_video(
        Path(video),
        style_paths,
        output=Path(output),
        config=style,
        video=video_config,
        start_seconds=start,
        max_frames=frames,
        overwrite=overwrite,
        runtime=runtime,
    )
    with open_engine(style_paths, style, runtime) as engine:
        reporter = Callbacks(item_done=_frames_only(progress))
        return run_video(
            plan, engine=engine, video=video_config, restart=restart, keep_frames=keep_frames, reporter=reporter
        )


def preview(
    content: str | Path,
    styles: str | Path | Sequence[str | Path],
    *,
    vary: Mapping[str, Sequence[Any]] | None = None,
    at: float = 0.0,
    progress: Callable[[FrameEvent], object] | None = None,
    **settings: Any,
) -> np.ndarray:
    """A preview sheet (HxWx3 uint8 RGB): ``content`` (an image, or a video's frame at
    ``at`` seconds) painted small once per combination of ``vary``'s values, e.g.
    ``vary={"style_weight": (1, 10, 100), "style_scale": (0.5, 1, 2)}`` (the default).
    A video's letterbox bars stay unpainted, as ``stylize_video`` keeps them
    (``keep_bars=False``: painted)."""
    from .pipeline.preview import Sweep, load_preview_picture, paint_preview

    style, runtime, video = settings_from(settings, base=PREVIEW_DEFAULTS)
    hints = get_type_hints(StyleConfig)
    sweeps = []
    for name, values in (vary or {}).items():
        if name == "style":
            sweeps.append(Sweep(name, tuple(Path(v) for v in values)))
        elif name in hints:
            sweeps.append(Sweep(name, tuple(coerce(name, v, hints[name]) for v in values)))
        else:
            raise ConfigError(f"cannot vary unknown setting {name!r}")
    loaded = load_preview_picture(Path(content), style.size, at=at, keep_bars=video.keep_bars)
    style_paths = [Path(s) for s in _as_list(styles)]  # type: ignore[arg-type]
    reporter = Callbacks(item_done=_frames_only(progress))
    sheet = paint_preview(
        loaded.picture, style_paths, style=style, runtime=runtime, sweeps=sweeps, bars=loaded.bars, reporter=reporter
    )
    return sheet.sheet
