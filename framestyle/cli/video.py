"""framestyle video: a clip, painted frame by frame with temporal coherence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import ui
from ..config import VIDEO_FRAME_ITERATIONS, merge_settings
from ..pipeline import default_video_output, estimate_seconds, make_stylizer, plan_video, stylize_video
from .common import ray_settings, require_sequence_init, settings_flags
from .options import (
    VIDEO,
    AddressOpt,
    AudioOpt,
    CodecOpt,
    ConfigOpt,
    ContentLayersOpt,
    ContentWeightOpt,
    CpusPerWorkerOpt,
    CrfOpt,
    DeviceOpt,
    Engine,
    EngineOpt,
    FirstIterationsOpt,
    FrameIterationsOpt,
    GpusPerWorkerOpt,
    InitOpt,
    LearningRateOpt,
    OptimizerOpt,
    OverlapOpt,
    OverwriteOpt,
    PatienceOpt,
    PoolingOpt,
    PrecisionOpt,
    PreserveColorOpt,
    QuietOpt,
    ScalesOpt,
    SeedOpt,
    SegmentOpt,
    SizeOpt,
    StyleBlendOpt,
    StyleLayersOpt,
    StyleLayerWeightsOpt,
    StyleScaleOpt,
    StyleWeightOpt,
    TemporalOpt,
    TemporalWeightOpt,
    ThreadsOpt,
    ToleranceOpt,
    TvWeightOpt,
    WeightsOpt,
    WorkersOpt,
    help_text,
)


def video(
    source: Annotated[Path, typer.Argument(metavar="VIDEO", help="The clip to paint.", show_default=False)],
    styles: Annotated[list[Path], typer.Argument(help="One or more style images.", show_default=False)],
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output",
            "-o",
            help=help_text("Output video (.mp4, .mkv, .mov, .webm).", default="VIDEO_STYLE.mp4 beside the video"),
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    size: SizeOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would run and an estimated time, then exit.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard frames left by an earlier run with other settings.")
    ] = False,
    keep_frames: Annotated[
        bool, typer.Option("--keep-frames", help="Keep the work folder of PNG frames after success.")
    ] = False,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    content_weight: ContentWeightOpt = None,
    style_weight: StyleWeightOpt = None,
    tv_weight: TvWeightOpt = None,
    content_layers: ContentLayersOpt = None,
    style_layers: StyleLayersOpt = None,
    style_layer_weights: StyleLayerWeightsOpt = None,
    style_blend: StyleBlendOpt = None,
    style_scale: StyleScaleOpt = None,
    preserve_color: PreserveColorOpt = None,
    pooling: PoolingOpt = None,
    init: InitOpt = None,
    seed: SeedOpt = None,
    iterations: FrameIterationsOpt = None,
    first_iterations: FirstIterationsOpt = None,
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    tolerance: ToleranceOpt = None,
    patience: PatienceOpt = None,
    scales: ScalesOpt = None,
    frames: Annotated[
        Optional[int], typer.Option(help="Only the first N frames.", show_default=False, rich_help_panel=VIDEO)
    ] = None,
    start: Annotated[float, typer.Option(help="Start this many seconds into the clip.", rich_help_panel=VIDEO)] = 0.0,
    temporal: TemporalOpt = None,
    temporal_weight: TemporalWeightOpt = None,
    audio: AudioOpt = None,
    crf: CrfOpt = None,
    codec: CodecOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    threads: ThreadsOpt = None,
    weights: WeightsOpt = None,
    engine: EngineOpt = Engine.local,
    address: AddressOpt = None,
    workers: WorkersOpt = 0,
    cpus_per_worker: CpusPerWorkerOpt = 1.0,
    gpus_per_worker: GpusPerWorkerOpt = None,
    segment: SegmentOpt = 120,
    overlap: OverlapOpt = 10,
) -> None:
    """Stylize a video, temporally coherent, same fps, audio kept: framestyle video in.mp4 starry.jpg"""
    flags = settings_flags(
        size=size,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        content_layers=content_layers,
        style_layers=style_layers,
        style_layer_weights=style_layer_weights,
        style_blend=style_blend,
        style_scale=style_scale,
        preserve_color=preserve_color,
        pooling=pooling,
        init=init,
        seed=seed,
        iterations=iterations,
        first_iterations=first_iterations,
        optimizer=optimizer,
        learning_rate=learning_rate,
        tolerance=tolerance,
        patience=patience,
        scales=scales,
        temporal=temporal,
        temporal_weight=temporal_weight,
        audio=audio,
        crf=crf,
        codec=codec,
        device=device,
        precision=precision,
        threads=threads,
        weights=weights,
    )
    style_config, runtime, video_config = merge_settings(config, flags, base={"iterations": VIDEO_FRAME_ITERATIONS})
    require_sequence_init(style_config, "videos")
    ray_config = ray_settings(
        engine,
        address=address,
        workers=workers,
        cpus_per_worker=cpus_per_worker,
        gpus_per_worker=gpus_per_worker,
        segment=segment,
        overlap=overlap,
    )
    plan = plan_video(
        source,
        styles,
        output=output or default_video_output(source, styles),
        config=style_config,
        video=video_config,
        start_seconds=start,
        max_frames=frames,
        overwrite=overwrite,
    )
    note = ui.container_note(plan.info, trimmed=frames is not None or bool(start))
    if note and not quiet:
        ui.say(note)
    stylizer = make_stylizer(styles, style_config, runtime) if dry_run or ray_config is None else None
    if dry_run:
        assert stylizer is not None
        seconds = estimate_seconds(plan, stylizer, video_config)
        print(ui.video_dry_run_text(plan, style_config, video_config, seconds=seconds, stylizer=stylizer))
        return
    with ui.FrameBars(quiet=quiet, total=plan.info.frames) as bars:
        # Transitional: these become `reporter=bars` once the pipeline takes a Reporter.
        outcome = stylize_video(
            plan,
            styles,
            config=style_config,
            video=video_config,
            runtime=runtime,
            stylizer=stylizer,
            restart=restart,
            keep_frames=keep_frames,
            ray_config=ray_config,
            on_iteration=bars.iteration,
            on_frame_start=bars.item_started,
            on_frame=bars.item_done,
            on_encode=bars.finishing,
        )
    if not quiet:
        ui.say(ui.video_summary(plan, outcome))
