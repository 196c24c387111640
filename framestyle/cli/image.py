"""framestyle image: one photo, painted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import ui
from ..settings import merge_settings
from . import panels
from .common import require_inputs, setting_files, settings_flags
from .options import (
    ConfigOpt,
    IterationsOpt,
    OverwriteOpt,
    QuietOpt,
    SizeOpt,
    StylesArg,
    output_option,
)
from .panels import with_panels


@with_panels(*panels.PAINTING)
def image(
    ctx: typer.Context,
    content: Annotated[Path, typer.Argument(help="The photo to paint.", show_default=False)],
    styles: StylesArg,
    output: Annotated[
        Path | None, output_option("Output image.", default="CONTENT_STYLE.png beside the content")
    ] = None,
    animate: Annotated[
        Path | None,
        typer.Option(help="Also write the optimization as an animation (.gif or .mp4).", show_default=False),
    ] = None,
    animate_every: Annotated[int, typer.Option(min=1, help="Capture a frame every K steps.")] = 5,
    animate_fps: Annotated[float, typer.Option(min=0.1, help="Animation frame rate.")] = 12.0,
    save_every: Annotated[
        int, typer.Option(min=0, help="Save every K-th step as a PNG in --progress-dir (0: never).")
    ] = 0,
    progress_dir: Annotated[Path | None, typer.Option(help="Folder for --save-every PNGs.", show_default=False)] = None,
    config: ConfigOpt = None,
    size: SizeOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    iterations: IterationsOpt = None,
) -> None:
    """Stylize one image: framestyle image photo.jpg starry.jpg"""
    # Settings first, then torch and OpenCV: --help and a bad flag answer at once.
    style_config, runtime, _ = merge_settings(config, settings_flags(ctx), user_defaults=True)
    require_inputs([(content, "content image")], styles=styles, settings=setting_files(style_config, runtime))
    from ..pipeline import default_image_output, open_engine, stylize_image_file

    with open_engine(styles, style_config, runtime) as engine, ui.IterationBar(quiet=quiet) as bar:
        outcome = stylize_image_file(
            content,
            output=output or default_image_output(content, styles),
            engine=engine,
            overwrite=overwrite,
            animate=animate,
            animate_every=animate_every,
            animate_fps=animate_fps,
            save_every=save_every,
            progress_dir=progress_dir,
            reporter=bar,
        )
    if not quiet:
        ui.say(ui.image_summary(outcome))
