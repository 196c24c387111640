"""What the painting commands share beyond their flag declarations."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

from ..config import START_IMAGES, RayConfig, RuntimeConfig, StyleConfig
from ..io.files import require_file, require_folder


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


def setting_files(style: StyleConfig, runtime: RuntimeConfig, *, init: bool = True) -> list[tuple[Path, str]]:
    """The files the settings name, for ``require_inputs``: the weights, and an ``init``
    image where the command paints from one (``init=False`` for sequences, which refuse it)."""
    files = [(Path(runtime.weights), "weights file")] if runtime.weights else []
    if init and style.init not in START_IMAGES:
        files.append((Path(style.init), "init image"))
    return files


def require_inputs(
    files: Iterable[tuple[Path, str]] = (),
    *,
    styles: Iterable[Path] = (),
    settings: Iterable[tuple[Path, str]] = (),
    folder: Path | None = None,
) -> None:
    """The folder, input files (path, what it is), style images and the files the
    settings name (``setting_files``), in that order, checked before torch loads: a
    misspelt name is refused in a fraction of a second instead of after 2-4 s of imports.
    The pipeline checks them again, as it must for the Python API."""
    if folder is not None:
        require_folder(folder)
    for path, what in [*files, *((style, "style image") for style in styles), *settings]:
        require_file(path, what)
