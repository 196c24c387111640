"""framestyle video: a clip, painted frame by frame with temporal coherence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import ui
from ..config import VIDEO_DEFAULTS
from ..settings import merge_settings
from . import panels
from .common import ray_settings, require_inputs, setting_files, settings_flags
from .options import (
    VIDEO,
    AudioOpt,
    ConfigOpt,
    FrameIterationsOpt,
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
def video(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="VIDEO", help="The clip to paint.", show_default=False)],
    styles: StylesArg,
    output: Annotated[
        Path | None,
        output_option(
            "Output video (.mp4, .mkv, .mov, .webm), or a looping animation (.gif, .webp; no sound).",
            default="VIDEO_STYLE.mp4 beside the video",
        ),
    ] = None,
    config: ConfigOpt = None,
    size: SizeOpt = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print what would run, an estimated time and the disk space and memory it needs, then exit.",
        ),
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard frames left by an earlier run with other settings.")
    ] = False,
    keep_frames: Annotated[
        bool, typer.Option("--keep-frames", help="Keep the work folder of PNG frames after success.")
    ] = False,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    iterations: FrameIterationsOpt = None,
    frames: Annotated[
        int | None, typer.Option(help="Only the first N frames.", show_default=False, rich_help_panel=VIDEO)
    ] = None,
    start: Annotated[float, typer.Option(help="Start this many seconds into the clip.", rich_help_panel=VIDEO)] = 0.0,
    audio: AudioOpt = None,
    keep_bars: KeepBarsOpt = None,
    side_by_side: SideBySideOpt = False,
) -> None:
    """Stylize a video, temporally coherent, same fps, audio kept: framestyle video in.mp4 starry.jpg"""
    # Settings first, then torch and OpenCV: --help and a bad flag answer at once.
    style_config, runtime, video_config = merge_settings(
        config, settings_flags(ctx), base=VIDEO_DEFAULTS, user_defaults=True
    )
    require_inputs([(source, "video")], styles=styles, settings=setting_files(style_config, runtime, init=False))
    ray_config = ray_settings(ctx)
    from ..pipeline import (
        LocalEngine,
        default_video_output,
        estimate_seconds,
        estimate_space,
        open_engine,
        plan_video,
        scan_clip_shots,
        stylize_video,
    )
    from ..pipeline.paint import PaintSettings, frame_budgets

    plan = plan_video(
        source,
        styles,
        output=output or default_video_output(source, styles),
        config=style_config,
        video=video_config,
        start_seconds=start,
        max_frames=frames,
        overwrite=overwrite,
        side_by_side=side_by_side,
        runtime=runtime,
        ray=ray_config,
        memory_guard=not dry_run,  # a dry run shows the estimate instead
    )
    note = ui.container_note(plan.info, trimmed=frames is not None or bool(start))
    if note and not quiet:
        ui.say(note)
    if dry_run:
        # The estimate times a few real steps here, whichever engine the run would use.
        with LocalEngine(PaintSettings(tuple(styles), style_config, runtime)) as local:
            # A size that does not fit is not timed: the probe steps would run out of memory.
            fits = plan.memory is None or plan.memory.fits
            shots = scan_clip_shots(plan, video_config)
            elsewhere = ray_config is not None and ray_config.elsewhere
            timed = fits and not elsewhere
            seconds = (
                estimate_seconds(plan, local.stylizer, video_config, shots=shots, ray=ray_config) if timed else None
            )
            space = estimate_space(plan, local, video_config, ray=ray_config)
            text = ui.video_dry_run_text(
                plan,
                style_config,
                video_config,
                seconds=seconds,
                backend=local.backend,
                space=space,
                shots=shots,
                elsewhere=elsewhere,
            )
            print(text)
        return
    with (
        open_engine(styles, style_config, runtime, ray_config) as painter,
        ui.FrameBars(
            quiet=quiet,
            budgets=frame_budgets(
                plan.info.frames, video_config, style_config, passes=painter.sequence_passes(video_config)
            ),
            frames=plan.info.frames,
        ) as bars,
    ):
        outcome = stylize_video(
            plan, engine=painter, video=video_config, restart=restart, keep_frames=keep_frames, reporter=bars
        )
    if not quiet:
        ui.say(ui.video_summary(plan, outcome))
        if bars.cuts:
            ui.say(ui.cuts_found(bars.cuts))
        if bars.fades:
            ui.say(ui.fades_found(bars.fades))
