"""What the painting commands share beyond their flag declarations."""

from __future__ import annotations

from enum import Enum
from typing import Any

from ..config import RayConfig, StyleConfig
from ..errors import ConfigError
from .options import Engine


def settings_flags(**flags: Any) -> dict[str, Any]:
    """The settings a command was given as flags, as ``merge_settings`` takes them (choices as strings)."""
    return {name: value.value if isinstance(value, Enum) else value for name, value in flags.items()}


def ray_settings(
    engine: Engine,
    *,
    address: str | None,
    workers: int,
    cpus_per_worker: float,
    gpus_per_worker: float | None,
    segment: int,
    overlap: int,
) -> RayConfig | None:
    """The Ray engine's settings, or None for a local run."""
    if engine is Engine.local:
        return None
    from ..pipeline.cluster import import_ray

    import_ray()  # a clear one-line error before any work when Ray is missing
    return RayConfig(
        address=address,
        workers=workers,
        cpus_per_worker=cpus_per_worker,
        gpus_per_worker=gpus_per_worker,
        segment=segment,
        overlap=overlap,
    )


def require_sequence_init(style: StyleConfig, what: str) -> None:
    """Refuse an init image for a frame sequence before any work: only single pictures read
    one (the sequence loop does not), so ``what`` ("videos", "sequences") starts from its
    content or from noise."""
    if style.init not in ("content", "noise"):
        raise ConfigError(f"--init for {what} must be 'content' or 'noise'")
