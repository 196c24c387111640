"""framestyle preview: a labelled sheet of small paintings, one per combination of settings."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from .. import ui
from ..config import PREVIEW_DEFAULTS
from ..settings import merge_settings
from . import panels
from .common import require_inputs, setting_files, settings_flags
from .options import (
    OPTIMIZATION,
    ConfigOpt,
    KeepBarsOpt,
    OverwriteOpt,
    QuietOpt,
    StylesArg,
    help_text,
    output_option,
)
from .panels import with_panels


@with_panels(*panels.PAINTING)
def preview(
    ctx: typer.Context,
    source: Annotated[
        Path, typer.Argument(metavar="INPUT", help="An image, or a video (see --at).", show_default=False)
    ],
    styles: StylesArg,
    output: Annotated[
        Path | None, output_option("The sheet (PNG).", default="INPUT_STYLE_preview.png beside the input")
    ] = None,
    at: Annotated[float, typer.Option(help="For a video: the frame this many seconds in.")] = 0.0,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            help=help_text(
                "A setting and its values, e.g. style-weight=1,10,100; give it twice for rows and columns. "
                "Any look or optimization setting (tv-weight, preserve-color, ...), or style=a.jpg,b.jpg.",
                default="style-weight x style-scale",
            ),
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    size: Annotated[
        int | None,
        typer.Option(
            "--size",
            "-s",
            help=help_text("Long side of each cell, pixels.", default=str(PREVIEW_DEFAULTS["size"])),
            show_default=False,
        ),
    ] = None,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations",
            "-n",
            help=help_text("Optimizer steps per cell.", default=str(PREVIEW_DEFAULTS["iterations"])),
            show_default=False,
            rich_help_panel=OPTIMIZATION,
        ),
    ] = None,
    keep_bars: KeepBarsOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Try settings before a long run: framestyle preview photo.jpg starry.jpg"""
    # Settings first, then torch and OpenCV: --help and a bad flag answer at once.
    style_config, runtime, video = merge_settings(
        config, settings_flags(ctx), base=PREVIEW_DEFAULTS, user_defaults=True
    )
    require_inputs([(source, "input")], styles=styles, settings=setting_files(style_config, runtime, init=False))
    from ..pipeline.preview import default_preview_output, default_sweeps, parse_sweep, stylize_preview_file

    sweeps = [parse_sweep(text) for text in vary or []] or default_sweeps(style_config)
    out = output or default_preview_output(source, styles)
    cells = math.prod(len(s.values) for s in sweeps)
    with ui.FrameBars(quiet=quiet, budgets=[style_config.iterations] * cells, label="cells") as bars:
        sheet = stylize_preview_file(
            source,
            styles,
            output=out,
            style=style_config,
            runtime=runtime,
            sweeps=sweeps,
            at=at,
            keep_bars=video.keep_bars,
            overwrite=overwrite,
            reporter=bars,
        )
    print(ui.preview_commands(sheet, source, styles, given=ctx.params))
    if not quiet:
        ui.say(ui.preview_summary(sheet, out))
