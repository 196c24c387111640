"""The command line: parse flags, call the pipeline, report. Nothing else lives here."""

from __future__ import annotations

import functools
import inspect
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar, get_type_hints

import typer

from . import ui
from .config import (
    VIDEO_FRAME_ITERATIONS,
    RuntimeConfig,
    StyleConfig,
    VideoConfig,
    build,
    coerce,
    default_of,
    load_preset,
)
from .errors import ConfigError, FramestyleError
from .pipeline import (
    default_folder_output,
    default_image_output,
    default_video_output,
    estimate_seconds,
    evaluate_videos,
    make_stylizer,
    plan_folder,
    plan_video,
    stylize_folder,
    stylize_folder_sequence,
    stylize_image_file,
    stylize_video,
)
from .config import RayConfig
from .pipeline import open_engine
from .pipeline.ray_pool import import_ray

Command = TypeVar("Command", bound=Callable[..., Any])

app = typer.Typer(
    name="framestyle",
    help="Paint images and videos in the style of an artwork (neural style transfer, VGG19).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        print(f"framestyle {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Paint images and videos in the style of an artwork (neural style transfer, VGG19)."""


def _d(name: str) -> str:
    for cls in (StyleConfig, RuntimeConfig, VideoConfig):
        try:
            value = default_of(cls, name)
        except KeyError:
            continue
        if isinstance(value, tuple):
            value = ",".join(map(str, value)) or "equal"
        return f"[default: {value}]"
    raise KeyError(name)


# Options shared by every command that stylizes. Defaults are None ("not given") so a
# --config preset can supply them; the real defaults live on StyleConfig/RuntimeConfig.
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML preset; flags override it.", show_default=False)]
SizeOpt = Annotated[Optional[int], typer.Option("--size", "-s", help=f"Long side of the output, pixels. {_d('size')}", show_default=False)]
IterationsOpt = Annotated[Optional[int], typer.Option("--iterations", "-n", help=f"Optimizer steps (all scales). {_d('iterations')}", show_default=False)]
OptimizerOpt = Annotated[Optional[str], typer.Option(help=f"lbfgs or adam. {_d('optimizer')}", show_default=False)]
LearningRateOpt = Annotated[Optional[float], typer.Option(help=f"Adam step size. {_d('learning_rate')}", show_default=False)]
ContentWeightOpt = Annotated[Optional[float], typer.Option(help=f"{_d('content_weight')}", show_default=False)]
StyleWeightOpt = Annotated[Optional[float], typer.Option(help=f"More: stronger style. {_d('style_weight')}", show_default=False)]
TvWeightOpt = Annotated[Optional[float], typer.Option(help=f"Smoothness. {_d('tv_weight')}", show_default=False)]
ContentLayersOpt = Annotated[Optional[str], typer.Option(help=f"Comma-separated VGG19 layers. {_d('content_layers')}", show_default=False)]
StyleLayersOpt = Annotated[Optional[str], typer.Option(help=f"Comma-separated VGG19 layers. {_d('style_layers')}", show_default=False)]
StyleLayerWeightsOpt = Annotated[Optional[str], typer.Option(help="Comma-separated, one per style layer. [default: equal]", show_default=False)]
StyleBlendOpt = Annotated[Optional[str], typer.Option(help="Comma-separated weights, one per style image, e.g. 0.7,0.3. [default: equal]", show_default=False)]
StyleScaleOpt = Annotated[Optional[float], typer.Option(help=f"Style image size relative to the output. {_d('style_scale')}", show_default=False)]
InitOpt = Annotated[Optional[str], typer.Option(help=f"content, noise, or an image path. {_d('init')}", show_default=False)]
ToleranceOpt = Annotated[Optional[float], typer.Option(help=f"Early stop when the relative loss change stays below this. {_d('tolerance')}", show_default=False)]
PatienceOpt = Annotated[Optional[int], typer.Option(help=f"... for this many steps. {_d('patience')}", show_default=False)]
ScalesOpt = Annotated[Optional[int], typer.Option(help=f"Coarse-to-fine: optimize at N growing sizes. {_d('scales')}", show_default=False)]
PreserveColorOpt = Annotated[Optional[bool], typer.Option("--preserve-color/--no-preserve-color", help="Keep the content's colors (luminance-only transfer).", show_default=False)]
PoolingOpt = Annotated[Optional[str], typer.Option(help=f"max or avg. {_d('pooling')}", show_default=False)]
SeedOpt = Annotated[Optional[int], typer.Option(help=f"Random seed; same seed, same output on CPU. {_d('seed')}", show_default=False)]
DeviceOpt = Annotated[Optional[str], typer.Option(help=f"auto, cpu or cuda. {_d('device')}", show_default=False)]
PrecisionOpt = Annotated[Optional[str], typer.Option(help=f"auto, fp32 or bf16 (auto: bf16 where the hardware runs it fast). {_d('precision')}", show_default=False)]
WeightsOpt = Annotated[Optional[str], typer.Option(help="A torchvision VGG19 state dict to use instead of the packaged Caffe weights.", show_default=False)]
ThreadsOpt = Annotated[Optional[int], typer.Option(help="CPU threads. [default: all cores]", show_default=False)]
EngineOpt = Annotated[str, typer.Option(help="local (this process) or ray (workers on a Ray cluster; pip install 'framestyle[ray]').")]
AddressOpt = Annotated[Optional[str], typer.Option(help="With --engine ray: 'auto' or ray://HOST:10001 to join a cluster. [default: start a local Ray]", show_default=False)]
WorkersOpt = Annotated[int, typer.Option(help="With --engine ray: how many workers (0: as many as fit).")]
CpusPerWorkerOpt = Annotated[float, typer.Option(help="With --engine ray: CPUs (torch threads) per worker.")]
GpusPerWorkerOpt = Annotated[Optional[float], typer.Option(help="With --engine ray: GPUs per worker. [default: 1 when the cluster has GPUs, else 0]", show_default=False)]
SegmentOpt = Annotated[int, typer.Option(help="With --engine ray: frames per segment; segments are painted in parallel.")]
OverlapOpt = Annotated[int, typer.Option(help="With --engine ray: lead-in frames before each segment, cross-faded at the seam.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", "-y", help="Replace outputs that already exist.")]

_LIST_FLAGS = {"content_layers": str, "style_layers": str, "style_layer_weights": float, "style_blend": float}


# Commands share flag declarations through templates: functions that only declare flags.
# ``shares_flags`` adds a template's parameters to a command, which takes them as **flags.


def _style_flags(
    config: ConfigOpt = None,
    size: SizeOpt = None,
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    content_weight: ContentWeightOpt = None,
    style_weight: StyleWeightOpt = None,
    tv_weight: TvWeightOpt = None,
    content_layers: ContentLayersOpt = None,
    style_layers: StyleLayersOpt = None,
    style_layer_weights: StyleLayerWeightsOpt = None,
    style_blend: StyleBlendOpt = None,
    style_scale: StyleScaleOpt = None,
    init: InitOpt = None,
    tolerance: ToleranceOpt = None,
    patience: PatienceOpt = None,
    scales: ScalesOpt = None,
    preserve_color: PreserveColorOpt = None,
    pooling: PoolingOpt = None,
    seed: SeedOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    weights: WeightsOpt = None,
    threads: ThreadsOpt = None,
) -> None:
    """Look, optimization and hardware: every command that paints."""


def _engine_flags(
    engine: EngineOpt = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = 0,
    cpus_per_worker: CpusPerWorkerOpt = 1.0,
    gpus_per_worker: GpusPerWorkerOpt = None,
    segment: SegmentOpt = 120,
    overlap: OverlapOpt = 10,
) -> None:
    """Where the painting runs: the commands that paint many pictures."""


def shares_flags(*templates: Callable[..., None]) -> Callable[[Command], Command]:
    """Give a command the flags of ``templates`` after its own; it receives them as **flags."""

    def decorate(command: Command) -> Command:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.kind is not p.VAR_KEYWORD]
        shared = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for template in templates
            for p in inspect.signature(template, eval_str=True).parameters.values()
        ]

        @functools.wraps(command)
        def with_flags(**values: Any) -> Any:
            return command(**values)

        parameters = own + shared
        # Typer reads the signature and annotations: it sees one flat list of flags.
        with_flags.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_flags.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_flags  # type: ignore[return-value]

    return decorate


def _split_list(name: str, text: str, kind: type) -> tuple[Any, ...]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    try:
        return tuple(kind(item) for item in items)
    except ValueError:
        raise ConfigError(f"--{name.replace('_', '-')}: {text!r} is not a comma-separated list of numbers") from None


def settings(
    config: Optional[Path], flags: dict[str, Any], *, base: dict[str, Any] | None = None
) -> tuple[StyleConfig, RuntimeConfig, VideoConfig]:
    """Dataclass defaults, then ``base`` (a command's own defaults), then the preset,
    then flags given on the command line."""
    preset = {**(base or {}), **(load_preset(config) if config is not None else {})}
    given: dict[str, Any] = {}
    for name, value in flags.items():
        if value is None:
            continue
        if name in _LIST_FLAGS and isinstance(value, str):
            value = _split_list(name, value, _LIST_FLAGS[name])
        given[name] = value
    # Flags go through the same type checks as preset values (choices, numbers).
    hints = {name: hint for cls in _SETTINGS for name, hint in get_type_hints(cls).items()}
    for name, value in given.items():
        if name in hints:
            given[name] = coerce(f"--{name.replace('_', '-')}", value, hints[name])
    return tuple(build(cls, preset, given) for cls in _SETTINGS)  # type: ignore[return-value]


_SETTINGS = (StyleConfig, RuntimeConfig, VideoConfig)


def ray_settings(values: dict[str, Any]) -> RayConfig | None:
    """The Ray engine's settings from a command's flags (same names), or None for a local run."""
    engine = values["engine"]
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine must be local or ray (got {engine!r})")
    if engine == "local":
        return None
    import_ray()  # a clear one-line error before any work when Ray is missing
    return RayConfig(**{name: values[name] for name in RayConfig.__dataclass_fields__})


def _setting_flags(values: dict[str, Any]) -> dict[str, Any]:
    """The flags of a command that are settings (same names as the fields)."""
    names = {name for cls in _SETTINGS for name in cls.__dataclass_fields__}
    return {k: v for k, v in values.items() if k in names}


@app.command()
@shares_flags(_style_flags)
def image(
    content: Annotated[Path, typer.Argument(help="The photo to paint.", show_default=False)],
    styles: Annotated[list[Path], typer.Argument(help="One or more style images (paintings).", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output image. [default: CONTENT_STYLE.png beside the content]", show_default=False)] = None,
    animate: Annotated[Optional[Path], typer.Option(help="Also write the optimization as an animation (.gif or .mp4).", show_default=False)] = None,
    animate_every: Annotated[int, typer.Option(min=1, help="Capture a frame every K steps.")] = 5,
    animate_fps: Annotated[float, typer.Option(min=0.1, help="Animation frame rate.")] = 12.0,
    save_every: Annotated[int, typer.Option(min=0, help="Save every K-th step as a PNG in --progress-dir (0: never).")] = 0,
    progress_dir: Annotated[Optional[Path], typer.Option(help="Folder for --save-every PNGs.", show_default=False)] = None,
    iterations: IterationsOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    **flags: Any,
) -> None:
    """Stylize one image: framestyle image photo.jpg starry.jpg"""
    style_config, runtime, _ = settings(flags.pop("config"), _setting_flags({**locals(), **flags}))
    if save_every and progress_dir is None:
        raise ConfigError("--save-every needs --progress-dir")
    out = output or default_image_output(content, styles)
    with ui.IterationBar(quiet=quiet) as bar, open_engine(styles, style_config, runtime) as engine:
        outcome = stylize_image_file(
            content,
            output=out,
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
        r = outcome.result
        w, h = outcome.size
        stop = ", stopped early" if r.stopped_early else ""
        ui.say(
            f"wrote {outcome.output} ({w}x{h}) in {ui.duration(r.seconds)}: "
            f"{r.iterations} iterations{stop}, {ui.loss_breakdown(r.loss, r.losses)}"
        )
        if outcome.animation is not None:
            ui.say(f"wrote {outcome.animation}")


TemporalOpt = Annotated[Optional[str], typer.Option(help=f"flow, previous or none. {_d('temporal')}", show_default=False)]
TemporalWeightOpt = Annotated[Optional[float], typer.Option(help=f"Pull towards the warped previous frame. {_d('temporal_weight')}", show_default=False)]
FirstIterationsOpt = Annotated[Optional[int], typer.Option(help=f"Steps for the first frame (and every frame with --temporal none). {_d('first_iterations')}", show_default=False)]
FrameIterationsOpt = Annotated[Optional[int], typer.Option("--iterations", "-n", help=f"Steps for each later frame. [default: {VIDEO_FRAME_ITERATIONS}]", show_default=False)]
CrfOpt = Annotated[Optional[int], typer.Option(help=f"H.264 quality, 0 (lossless) to 51. {_d('crf')}", show_default=False)]
CodecOpt = Annotated[Optional[str], typer.Option(help=f"ffmpeg video encoder. {_d('codec')}", show_default=False)]
AudioOpt = Annotated[Optional[bool], typer.Option("--audio/--no-audio", help="Carry the input's audio over. [default: audio]", show_default=False)]


def _frame_flags(
    temporal: TemporalOpt = None,
    temporal_weight: TemporalWeightOpt = None,
    first_iterations: FirstIterationsOpt = None,
    crf: CrfOpt = None,
    codec: CodecOpt = None,
) -> None:
    """Temporal coherence and encoding: the commands that paint frame sequences."""

@app.command()
@shares_flags(_frame_flags, _style_flags, _engine_flags)
def video(
    source: Annotated[Path, typer.Argument(metavar="VIDEO", help="The clip to paint.", show_default=False)],
    styles: Annotated[list[Path], typer.Argument(help="One or more style images.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output video (.mp4, .mkv, .mov, .webm). [default: VIDEO_STYLE.mp4 beside the video]", show_default=False)] = None,
    frames: Annotated[Optional[int], typer.Option(help="Only the first N frames.", show_default=False)] = None,
    start: Annotated[float, typer.Option(help="Start this many seconds into the clip.")] = 0.0,
    dry_run: Annotated[bool, typer.Option(help="Print what would run and an estimated time, then exit.")] = False,
    restart: Annotated[bool, typer.Option(help="Discard frames left by an earlier run with other settings.")] = False,
    keep_frames: Annotated[bool, typer.Option(help="Keep the work folder of PNG frames after success.")] = False,
    iterations: FrameIterationsOpt = None,
    audio: AudioOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    **flags: Any,
) -> None:
    """Stylize a video, temporally coherent, same fps, audio kept: framestyle video in.mp4 starry.jpg"""
    style_config, runtime, video_config = settings(
        flags.pop("config"), _setting_flags({**locals(), **flags}), base={"iterations": VIDEO_FRAME_ITERATIONS}
    )
    if style_config.init not in ("content", "noise"):
        raise ConfigError("--init for videos must be 'content' or 'noise'")
    ray_config = ray_settings(flags)
    out = output or default_video_output(source, styles)
    plan = plan_video(
        source, styles, output=out, config=style_config, video=video_config,
        start_seconds=start, max_frames=frames, overwrite=overwrite,
    )  # fmt: skip
    info = plan.info
    w, h = plan.size
    if info.container_frames and info.container_frames != info.frames and frames is None and not start:
        if not quiet:
            ui.say(f"note: the container claims {info.container_frames} frames; {info.frames} decode")
    if dry_run:
        stylizer = make_stylizer(styles, style_config, runtime)
        seconds = estimate_seconds(plan, stylizer, video_config)
        print(
            f"video: {info.path} ({info.width}x{info.height})\n"
            f"frames: {info.frames} from {info.start_seconds:.2f}s, {float(info.fps):.3f} fps ({info.fps}), "
            f"{info.duration:.2f}s\n"
            f"working size: {w}x{h}\n"
            f"audio: {'yes' if plan.audio else 'no'}{' (dropped: --no-audio)' if info.has_audio and not plan.audio else ''}\n"
            f"temporal: {video_config.temporal}; steps: {video_config.first_iterations} first, "
            f"{style_config.iterations} per later frame (early stop may end sooner)\n"
            f"output: {plan.output}\n"
            f"estimated time here: {ui.duration(seconds)} ({seconds / info.frames:.1f}s/frame, "
            f"{stylizer.device.type}, {stylizer.autocast_dtype or 'fp32'})"
        )
        return
    with ui.FrameBars(quiet=quiet, total=info.frames) as bars, open_engine(styles, style_config, runtime, ray_config) as engine:
        outcome = stylize_video(plan, engine=engine, video=video_config, restart=restart, keep_frames=keep_frames, reporter=bars)
    if not quiet:
        fresh = outcome.frames - outcome.resumed
        resumed = f" ({outcome.resumed} resumed from an earlier run)" if outcome.resumed else ""
        per_frame = outcome.seconds / max(1, fresh)
        ui.say(
            f"wrote {outcome.output} ({w}x{h}, {outcome.frames} frames at {float(info.fps):.3f} fps, "
            f"audio {'kept' if outcome.audio else 'none'}) in {ui.duration(outcome.seconds)}, "
            f"{per_frame:.1f}s/frame{resumed}"
        )


@app.command("eval")
def evaluate(
    stylized: Annotated[Path, typer.Argument(help="The stylized video.", show_default=False)],
    original: Annotated[Path, typer.Argument(help="The video it was made from.", show_default=False)],
    chart: Annotated[Optional[Path], typer.Option(help="Per-frame chart PNG. [default: STYLIZED_warping.png]", show_default=False)] = None,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="Do not write the chart.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Temporal stability: warping error (Lai et al. 2018) of STYLIZED against ORIGINAL."""
    import json

    from .io.chart import write_line_chart
    from .io.files import check_output

    chart_path = None if no_chart else (chart or stylized.with_name(f"{stylized.stem}_warping.png"))
    if chart_path is not None:
        # The chart is derived from the report: redrawing it on every run is expected.
        check_output(chart_path, [stylized, original], overwrite=True)
    report, s_info, _ = evaluate_videos(stylized, original)
    if chart_path is not None:
        write_line_chart(
            chart_path,
            {"stylized": report.stylized, "original (floor)": report.original},
            title=f"warping error per frame pair: {stylized.name}",
            x_label="frame pair",
        )
    if json_out:
        data = {"stylized": str(stylized), "original": str(original), "size": [s_info.width, s_info.height]}
        data.update(report.as_dict())
        data["chart"] = str(chart_path) if chart_path else None
        print(json.dumps(data, indent=1))
        return
    print(f"frame pairs:              {report.pairs} at {s_info.width}x{s_info.height}")
    print(f"warping error (stylized): {report.mean_stylized:.5f}")
    print(f"warping error (original): {report.mean_original:.5f}  (the floor)")
    print(f"ratio to original:        {report.ratio:.2f}x")
    if chart_path is not None:
        print(f"chart:                    {chart_path}")


@app.command()
@shares_flags(_frame_flags, _style_flags, _engine_flags)
def images(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of images.", show_default=False)],
    styles: Annotated[list[Path], typer.Argument(help="One or more style images.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output folder. [default: DIR_STYLE beside DIR]", show_default=False)] = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Include subfolders; outputs mirror the tree.")] = False,
    image_format: Annotated[str, typer.Option("--format", help="Output format: png, jpg, webp, bmp, tif.")] = "png",
    sequence: Annotated[bool, typer.Option(help="Treat the images (natural order) as video frames, temporally coherent.")] = False,
    to_video: Annotated[Optional[Path], typer.Option(help="With --sequence: encode the frames into this video.", show_default=False)] = None,
    fps: Annotated[float, typer.Option(min=0.01, help="Frame rate for --to-video.")] = 24.0,
    animate_dir: Annotated[Optional[Path], typer.Option(help="Write one progress animation per image here.", show_default=False)] = None,
    animate_format: Annotated[str, typer.Option(help="gif or mp4, for --animate-dir.")] = "gif",
    animate_every: Annotated[int, typer.Option(min=1, help="Capture a frame every K steps.")] = 5,
    restart: Annotated[bool, typer.Option(help="With --sequence: discard frames of an earlier run with other settings.")] = False,
    keep_frames: Annotated[bool, typer.Option(help="With --sequence: keep the work folder after success.")] = False,
    iterations: IterationsOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    **flags: Any,
) -> None:
    """Stylize a folder: each image alone, or --sequence for ordered video frames."""
    from fractions import Fraction

    base = {"iterations": VIDEO_FRAME_ITERATIONS} if sequence else {}
    style_config, runtime, video_config = settings(flags.pop("config"), _setting_flags({**locals(), **flags}), base=base)
    if to_video is not None and not sequence:
        raise ConfigError("--to-video needs --sequence")
    if animate_format not in ("gif", "mp4"):
        raise ConfigError(f"--animate-format must be gif or mp4 (got {animate_format!r})")
    if sequence and animate_dir is not None:
        raise ConfigError("--animate-dir works on independent images, not with --sequence")
    ray_config = ray_settings(flags)
    out_dir = output or default_folder_output(folder, styles)
    plan = plan_folder(folder, styles, output_dir=out_dir, recursive=recursive, image_format=image_format)
    if not quiet:
        for other in plan.not_images:
            ui.say(f"skipping {folder / other}: not an image")
    total = len(plan.images)
    if sequence:
        with ui.FrameBars(quiet=quiet, total=total) as bars, open_engine(styles, style_config, runtime, ray_config) as engine:
            outcome = stylize_folder_sequence(
                plan, engine=engine, video=video_config, to_video=to_video,
                fps=Fraction(fps).limit_denominator(1001), restart=restart, keep_frames=keep_frames,
                overwrite=overwrite, reporter=bars)
        if not quiet:
            w, h = outcome.size
            if outcome.resized:
                ui.say(f"note: {outcome.resized} frames differed in size from the first and were resized to {w}x{h}")
            resumed = f" ({outcome.resumed} resumed)" if outcome.resumed else ""
            ui.say(f"wrote {outcome.frames} frames ({w}x{h}) to {outcome.output}{resumed}")
        return

    with ui.FrameBars(quiet=quiet, total=total, label="images") as bars, open_engine(styles, style_config, runtime, ray_config) as engine:
        summary = stylize_folder(
            plan, engine=engine, overwrite=overwrite, animate_dir=animate_dir,
            animate_format=animate_format, animate_every=animate_every, reporter=bars)
    if not quiet or summary.failed:
        ui.say(
            f"{plan.output_dir}: {summary.done} done, {summary.skipped} skipped (already done), "
            f"{summary.failed} failed"
        )
    if summary.failed:
        raise typer.Exit(1)


def _flags(message: str) -> str:
    import re

    def flag(m: "re.Match[str]") -> str:
        name, value = m.group(1).replace("_", "-"), m.group(2)
        if value == "True":
            return f"--{name}"
        if value == "False":
            return f"--no-{name}"
        return f"--{name} {value}" if value else f"--{name}"

    return re.sub(r"`([a-z_]+)(?:=([^`]*))?`", flag, message)


def _error(message: str) -> None:
    print(f"framestyle: error: {_flags(message)}", file=sys.stderr)


def _stop_on_terminate(signum: int, frame: object) -> None:
    # `kill`, `docker stop` and schedulers send SIGTERM: stop as cleanly as after Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one line on stderr and an exit code."""
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="framestyle", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as err:  # usage errors: unknown flag, bad number...
        if type(err).__name__ == "NoArgsIsHelpError":
            print(err.format_message(), file=sys.stderr)
        else:
            _error(" ".join(err.format_message().split()))
        return 2
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return 130
    except FramestyleError as err:
        _error(str(err))
        return err.exit_code
    except MemoryError:
        _error("out of memory; try a smaller --size")
        return 2
    except Exception as err:  # a bug: say so in one line unless asked for the traceback
        if os.environ.get("FRAMESTYLE_DEBUG"):
            raise
        if "out of memory" in str(err).lower():
            _error("out of memory; try a smaller --size")
            return 2
        _error(f"internal error: {type(err).__name__}: {err} (FRAMESTYLE_DEBUG=1 shows the traceback)")
        return 1


def run() -> None:
    sys.exit(main())
