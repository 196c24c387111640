"""The engine seam: where pictures and frames are painted, chosen once per run.

Every ``stylize_*`` entry point takes an Engine. The driver (this process) reads
inputs, keeps the work folder and writes every output; an engine only turns pictures
into painted pictures. ``LocalEngine`` paints here; ``RayEngine`` on Ray workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from ..backend import Backend
from ..config import RayConfig, RuntimeConfig, StyleConfig, VideoConfig
from ..errors import FramestyleError
from ..events import Reporter
from ..letterbox import Bars
from ..store import FrameStore
from .local import LocalEngine
from .paint import PaintedPicture, PaintSettings, PictureTask


class Engine(Protocol):
    settings: PaintSettings  # the style files and settings every picture is painted with
    backend: Backend  # where the pixels are computed (recorded in manifests)

    @property
    def painters(self) -> int:
        """Pictures painted at once in this machine's memory (0: on other machines)."""
        ...

    def __enter__(self) -> Engine: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def close(self) -> None:
        """Release workers and memory; the engine cannot be used afterwards."""

    def paint_pictures(
        self, tasks: Iterable[PictureTask], reporter: Reporter
    ) -> Iterator[tuple[PictureTask, PaintedPicture | FramestyleError]]:
        """Paint each picture on its own, in any order; a FramestyleError fails that picture
        alone. ``tasks`` is pulled lazily, as the engine has room."""
        ...

    def sequence_passes(self, video: VideoConfig) -> int:
        """Passes this engine makes over a sequence (see ``pipeline.passes``)."""
        ...

    def sequence_manifest(self, total: int, video: VideoConfig) -> dict[str, Any]:
        """What this engine adds to a sequence's work-folder settings (how it cut the work,
        where that changes the frames)."""
        ...

    def sequence_frames_done(self, store: FrameStore, total: int, video: VideoConfig) -> int:
        """Frames of ``total`` an earlier run left finished in ``store``, counted as whole
        passes are (see ``passes.frames_done``)."""
        ...

    def paint_sequence(
        self,
        frames: Iterable[np.ndarray],
        *,
        total: int,
        store: FrameStore,
        video: VideoConfig,
        reporter: Reporter,
        bars: Bars = Bars(),
    ) -> None:
        """Paint ``total`` frames in order with temporal coherence into ``store``, continuing
        after the frames it already holds; inside ``bars`` only (see ``paint.paint_frame``)."""
        ...


def open_engine(
    style_paths: Sequence[Path],
    style: StyleConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    ray: RayConfig | None = None,
) -> Engine:
    """The engine for a run: local, or Ray workers when ``ray`` is given. Use it as a
    context manager; it holds the network (and, for Ray, the workers) until closed."""
    settings = PaintSettings(tuple(map(Path, style_paths)), style, runtime)
    if ray is None:
        return LocalEngine(settings)
    # The only import of the Ray engine: Ray stays optional and unimported for local runs.
    from .ray_engine import RayEngine

    return RayEngine(settings, ray)
