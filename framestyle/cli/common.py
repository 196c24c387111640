"""What the painting commands share beyond their flag declarations."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer

from ..config import RayConfig


def settings_flags(ctx: typer.Context) -> dict[str, Any]:
    """Every flag the command was given, by parameter name; the settings among them have
    the settings' names, and ``merge_settings`` takes only those."""
    return dict(ctx.params)


def ray_settings(ctx: typer.Context) -> RayConfig | None:
    """The Ray engine's settings from the command's flags (same names), or None for a local run."""
    params = ctx.params
    if params["engine"] == "local":
        return None
    config = RayConfig(**{f.name: params[f.name] for f in dataclasses.fields(RayConfig)})
    from ..pipeline.ray_pool import import_ray

    import_ray()  # a clear one-line error before any work when Ray is missing
    return config
