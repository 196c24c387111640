"""What the driver builds once per run: style images, content pictures, manifest settings."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..backend import Backend
from ..config import START_IMAGES, RuntimeConfig, StyleConfig
from ..errors import ConfigError
from ..io.images import read_image, resize_rgb
from ..letterbox import Bars
from ..stylize import Stylizer
from ..tensors import MIN_VGG_SIDE, fit_long_side, to_tensor

# Style pictures are shrunk right after decoding: a poster-sized scan must not cost
# gigabytes when the run needs only a few hundred pixels of it.
MAX_STYLE_SIDE = 4096


def default_image_output(content: Path, styles: Sequence[Path], suffix: str = ".png") -> Path:
    """``photo_starry.png`` beside ``photo.jpg`` (every style's name, in order)."""
    names = "_".join(Path(s).stem for s in styles)
    return Path(content).with_name(f"{Path(content).stem}_{names}{suffix}")


def style_side_limit(config: StyleConfig) -> int:
    """The longest side a style picture needs to keep: its scaled size, with room to spare."""
    return min(MAX_STYLE_SIDE, math.ceil(config.size * config.style_scale * 1.5))


def load_styles(paths: Sequence[Path], config: StyleConfig) -> list[torch.Tensor]:
    limit = style_side_limit(config)
    return [to_tensor(read_image(p, what="style image", max_side=limit)) for p in paths]


def load_content(path: Path, size: int, *, what: str = "content image") -> np.ndarray:
    rgb = read_image(path, what=what)
    h, w = rgb.shape[:2]
    return resize_rgb(rgb, fit_long_side(w, h, size))


def make_stylizer(
    style_paths: Sequence[Path], config: StyleConfig, runtime: RuntimeConfig, backend: Backend | None = None
) -> Stylizer:
    """Everything built once per run: the network and the style images."""
    return Stylizer(load_styles(style_paths, config), config=config, runtime=runtime, backend=backend)


def init_image(config: StyleConfig, size: tuple[int, int]) -> torch.Tensor | None:
    """The start image when ``init`` names a file, resized to the output; None otherwise."""
    if config.init in START_IMAGES:
        return None
    return to_tensor(resize_rgb(read_image(Path(config.init), what="init image"), size))


def require_sequence_init(config: StyleConfig) -> None:
    """Frames after the first start from the previous frame, so a start image file would
    only ever paint the first: sequences accept 'content', 'style-colors' or 'noise'."""
    if config.init not in START_IMAGES:
        raise ConfigError(
            "`init` for sequences (videos, ordered folders) must be 'content', 'style-colors' or 'noise', not an image"
        )


def file_identity(path: Path) -> dict[str, Any]:
    st = Path(path).stat()
    return {"name": Path(path).name, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def style_settings(
    style: StyleConfig, backend: Backend, runtime: RuntimeConfig, style_paths: Sequence[Path]
) -> dict[str, Any]:
    """The settings that change how a stylized picture looks, as plain JSON values, for
    the manifests that decide whether earlier results can be reused."""
    settings: dict[str, Any] = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(style).items()}
    settings.update(
        precision=backend.precision,
        weights=digest(Path(runtime.weights)) if runtime.weights else "packaged",
        styles=[digest(p) for p in style_paths],
    )
    return settings


def painted_bars(bars: Bars, source: tuple[int, int], size: tuple[int, int]) -> Bars:
    """Letterbox ``bars`` found on ``source``-sized frames, at the working ``size``; none
    when the picture between them would be too small for VGG19 (the whole frame is then
    painted, as with `keep_bars=False`)."""
    scaled = bars.scaled(source, size)
    width, height = size[0] - scaled.left - scaled.right, size[1] - scaled.top - scaled.bottom
    return scaled if min(width, height) >= MIN_VGG_SIDE else Bars()
