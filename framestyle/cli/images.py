"""framestyle images: a folder, each picture alone or (--sequence) as the frames of a video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from .. import ui
from ..config import VIDEO_DEFAULTS
from ..errors import ConfigError
from ..settings import merge_settings
from . import panels
from .common import ray_settings, require_inputs, setting_files, settings_flags
from .options import (
    VIDEO,
    AnimateFormat,
    ConfigOpt,
    ImageFormat,
    IterationsOpt,
    KeepBarsOpt,
    OverwriteOpt,
    QuietOpt,
    SideBySideOpt,
    SizeOpt,
    StylesArg,
    output_option,
)
from .panels import with_panels


@with_panels(*panels.SEQUENCES)
def images(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of images.", show_default=False)],
    styles: StylesArg,
    output: Annotated[Path | None, output_option("Output folder.", default="DIR_STYLE beside DIR")] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Include subfolders; outputs mirror the tree.")
    ] = False,
    image_format: Annotated[
        ImageFormat, typer.Option("--format", case_sensitive=False, help="Output format: png, jpg, webp, bmp, tif.")
    ] = "png",
    animate_dir: Annotated[
        Path | None, typer.Option(help="Write one progress animation per image here.", show_default=False)
    ] = None,
    animate_format: Annotated[
        AnimateFormat, typer.Option(case_sensitive=False, help="gif or mp4, for --animate-dir.")
    ] = "gif",
    animate_every: Annotated[int, typer.Option(min=1, help="Capture a frame every K steps.")] = 5,
    config: ConfigOpt = None,
    size: SizeOpt = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="With --sequence: discard frames of an earlier run with other settings.")
    ] = False,
    keep_frames: Annotated[
        bool, typer.Option("--keep-frames", help="With --sequence: keep the work folder after success.")
    ] = False,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    iterations: IterationsOpt = None,
    sequence: Annotated[
        bool,
        typer.Option(
            "--sequence",
            help="Treat the images (natural order) as video frames, temporally coherent.",
            rich_help_panel=VIDEO,
        ),
    ] = False,
    to_video: Annotated[
        Path | None,
        typer.Option(
            help="With --sequence: encode the frames into this video (.mp4, .mkv, .mov, .webm, .gif, .webp).",
            show_default=False,
            rich_help_panel=VIDEO,
        ),
    ] = None,
    fps: Annotated[float, typer.Option(min=0.01, help="Frame rate for --to-video.", rich_help_panel=VIDEO)] = 24.0,
    side_by_side: SideBySideOpt = False,
    keep_bars: KeepBarsOpt = None,
) -> None:
    """Stylize a folder: each image alone, or --sequence for ordered video frames."""
    # Settings first, then torch and OpenCV: --help and a bad flag answer at once.
    base = VIDEO_DEFAULTS if sequence else {}
    style_config, runtime, video_config = merge_settings(config, settings_flags(ctx), base=base, user_defaults=True)
    if to_video is not None and not sequence:
        raise ConfigError("--to-video needs --sequence")
    if side_by_side and to_video is None:
        raise ConfigError("--side-by-side needs --sequence --to-video")
    if sequence and animate_dir is not None:
        raise ConfigError("--animate-dir works on independent images, not with --sequence")
    require_inputs(styles=styles, settings=setting_files(style_config, runtime, init=not sequence), folder=folder)
    ray_config = ray_settings(ctx)
    from ..pipeline import default_folder_output, open_engine, plan_folder, stylize_folder, stylize_folder_sequence
    from ..pipeline.paint import frame_budgets

    out_dir = output or default_folder_output(folder, styles)
    plan = plan_folder(folder, styles, output_dir=out_dir, recursive=recursive, image_format=image_format.lower())
    if not quiet:
        for other in plan.not_images:
            ui.say(f"skipping {folder / other}: not an image")
    total = len(plan.images)
    if sequence:
        with (
            open_engine(styles, style_config, runtime, ray_config) as painter,
            ui.FrameBars(
                quiet=quiet,
                budgets=frame_budgets(total, video_config, style_config, passes=painter.sequence_passes(video_config)),
                frames=total,
                finish_label="encoding" if to_video is not None else "writing",
            ) as bars,
        ):
            outcome = stylize_folder_sequence(
                plan,
                engine=painter,
                video=video_config,
                to_video=to_video,
                fps=Fraction(fps).limit_denominator(1001),
                restart=restart,
                keep_frames=keep_frames,
                overwrite=overwrite,
                side_by_side=side_by_side,
                reporter=bars,
            )
        if not quiet:
            ui.say(ui.sequence_summary(outcome))
            if bars.cuts:
                ui.say(ui.cuts_found(bars.cuts))
            if bars.fades:
                ui.say(ui.fades_found(bars.fades))
        return

    with (
        open_engine(styles, style_config, runtime, ray_config) as painter,
        ui.FrameBars(quiet=quiet, budgets=[style_config.iterations] * total, label="images") as bars,
    ):
        summary = stylize_folder(
            plan,
            engine=painter,
            overwrite=overwrite,
            animate_dir=animate_dir,
            animate_format=animate_format.lower(),
            animate_every=animate_every,
            reporter=bars,
        )
    if not quiet or summary.failed:
        ui.say(ui.batch_summary(plan, summary))
    if summary.failed:
        raise typer.Exit(1)
