"""What every command builds once: style images, the stylizer, progress capture."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import RuntimeConfig, StyleConfig
from ..events import IterationCallback, IterationEvent
from ..io.files import ensure_dir
from ..io.images import read_image, resize_rgb, write_image
from ..stylize import Backend, Stylizer
from ..tensors import fit_long_side, to_rgb_uint8, to_tensor

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
        weights=digest(runtime.weights) if runtime.weights else "packaged",
        styles=[digest(p) for p in style_paths],
    )
    return settings
