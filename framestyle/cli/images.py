"""framestyle images: a folder, each picture alone or (--sequence) as the frames of a video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import ui
from ..config import VIDEO_FRAME_ITERATIONS, merge_settings
from ..errors import ConfigError
from ..pipeline import default_folder_output, plan_folder, stylize_folder, stylize_folder_sequence
from .common import ray_settings, require_sequence_init, settings_flags
from .options import (
    VIDEO,
    AddressOpt,
    AnimateFormat,
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
    GpusPerWorkerOpt,
    ImageFormat,
    InitOpt,
    IterationsOpt,
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


def images(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of images.", show_default=False)],
    styles: Annotated[list[Path], typer.Argument(help="One or more style images.", show_default=False)],
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", help=help_text("Output folder.", default="DIR_STYLE beside DIR"), show_default=False
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Include subfolders; outputs mirror the tree.")
    ] = False,
    image_format: Annotated[
        ImageFormat, typer.Option("--format", case_sensitive=False, help="Output format: png, jpg, webp, bmp, tif.")
    ] = ImageFormat.png,
    animate_dir: Annotated[
        Optional[Path], typer.Option(help="Write one progress animation per image here.", show_default=False)
    ] = None,
    animate_format: Annotated[
        AnimateFormat, typer.Option(case_sensitive=False, help="gif or mp4, for --animate-dir.")
    ] = AnimateFormat.gif,
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
    iterations: IterationsOpt = None,
    first_iterations: FirstIterationsOpt = None,
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    tolerance: ToleranceOpt = None,
    patience: PatienceOpt = None,
    scales: ScalesOpt = None,
    sequence: Annotated[
        bool,
        typer.Option(
            "--sequence",
            help="Treat the images (natural order) as video frames, temporally coherent.",
            rich_help_panel=VIDEO,
        ),
    ] = False,
    to_video: Annotated[
        Optional[Path],
        typer.Option(
            help="With --sequence: encode the frames into this video.", show_default=False, rich_help_panel=VIDEO
        ),
    ] = None,
    fps: Annotated[float, typer.Option(min=0.01, help="Frame rate for --to-video.", rich_help_panel=VIDEO)] = 24.0,
    temporal: TemporalOpt = None,
    temporal_weight: TemporalWeightOpt = None,
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
    """Stylize a folder: each image alone, or --sequence for ordered video frames."""
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
        crf=crf,
        codec=codec,
        device=device,
        precision=precision,
        threads=threads,
        weights=weights,
    )
    base = {"iterations": VIDEO_FRAME_ITERATIONS} if sequence else {}
    style_config, runtime, video_config = merge_settings(config, flags, base=base)
    if to_video is not None and not sequence:
        raise ConfigError("--to-video needs --sequence")
    if sequence and animate_dir is not None:
        raise ConfigError("--animate-dir works on independent images, not with --sequence")
    if sequence:
        require_sequence_init(style_config, "sequences")
    ray_config = ray_settings(
        engine,
        address=address,
        workers=workers,
        cpus_per_worker=cpus_per_worker,
        gpus_per_worker=gpus_per_worker,
        segment=segment,
        overlap=overlap,
    )
    out_dir = output or default_folder_output(folder, styles)
    plan = plan_folder(folder, styles, output_dir=out_dir, recursive=recursive, image_format=image_format.value)
    if not quiet:
        for other in plan.not_images:
            ui.say(f"skipping {folder / other}: not an image")
    total = len(plan.images)
    if sequence:
        with ui.FrameBars(quiet=quiet, total=total) as bars:
            # Transitional: these become `reporter=bars` once the pipeline takes a Reporter.
            outcome = stylize_folder_sequence(
                plan,
                styles,
                config=style_config,
                video=video_config,
                runtime=runtime,
                to_video=to_video,
                fps=Fraction(fps).limit_denominator(1001),
                restart=restart,
                keep_frames=keep_frames,
                overwrite=overwrite,
                ray_config=ray_config,
                on_iteration=bars.iteration,
                on_frame_start=bars.item_started,
                on_frame=bars.item_done,
                on_finish=bars.finishing,
            )
        if not quiet:
            ui.say(ui.sequence_summary(outcome))
        return

    with ui.FrameBars(quiet=quiet, total=total, label="images") as bars:
        # Transitional: these become `reporter=bars` once the pipeline takes a Reporter.
        summary = stylize_folder(
            plan,
            styles,
            config=style_config,
            runtime=runtime,
            overwrite=overwrite,
            animate_dir=animate_dir,
            animate_format=animate_format.value,
            animate_every=animate_every,
            ray_config=ray_config,
            on_iteration=bars.iteration,
            on_item_start=bars.item_started,
            on_item=bars.item_done,
        )
    if not quiet or summary.failed:
        ui.say(ui.batch_summary(plan, summary))
    if summary.failed:
        raise typer.Exit(1)
