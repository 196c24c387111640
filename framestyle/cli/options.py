"""Option declarations shared by the commands: choices, help panels and Annotated aliases.

Settings flags default to None ("not given") so that a ``--config`` preset can supply
them; the real defaults live on the config dataclasses and are only shown in the help.
Help text is rich markup, so it goes through ``help_text``, which keeps brackets literal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from typer.models import OptionInfo

from ..config import (
    VIDEO_FRAME_ITERATIONS,
    Device,
    Fill,
    Optimizer,
    PixFmt,
    Pooling,
    Precision,
    RuntimeConfig,
    StyleConfig,
    Temporal,
    VideoConfig,
)
from ..presets import shipped_presets
from ..settings import default_of

LOOK = "Look"
OPTIMIZATION = "Optimization"
HARDWARE = "Hardware"
VIDEO = "Video"
ENGINE = "Engine"


# Choices are the settings' own Literal types, so --help and the checks follow config.py.
EngineChoice = Literal["local", "ray"]
ImageFormat = Literal["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"]
AnimateFormat = Literal["gif", "mp4"]


def _default(name: str) -> str:
    """A setting's default as the help shows it."""
    for cls in (StyleConfig, RuntimeConfig, VideoConfig):
        try:
            value = default_of(cls, name)
        except KeyError:
            continue
        if isinstance(value, tuple):
            return ",".join(map(str, value)) or "equal"
        return str(value)
    raise KeyError(name)


def help_text(text: str, *, default: str | None = None) -> str:
    """``text`` with ``[default: ...]`` appended, as rich markup that shows every bracket literally."""
    if default is not None:
        text = f"{text} [default: {default}]".strip()
    return escape(text)


def _setting(text: str, name: str, panel: str) -> OptionInfo:
    """A settings flag: its default comes from the config dataclasses, shown in the help."""
    return typer.Option(help=help_text(text, default=_default(name)), show_default=False, rich_help_panel=panel)


def _complete_preset(incomplete: str) -> list[str]:
    """Shell completion for --config: the matching preset names (none: the shell offers files)."""
    return [name for name in shipped_presets() if name.startswith(incomplete)]


# Every command.
StylesArg = Annotated[list[Path], typer.Argument(help="One or more style images (paintings).", show_default=False)]


def output_option(what: str, *, default: str) -> OptionInfo:
    """``--output``/``-o``: what is written, and where it goes when the option is not given."""
    return typer.Option("--output", "-o", help=help_text(what, default=default), show_default=False)


ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        metavar="NAME|FILE",
        help="A preset (fast, default, quality: see `framestyle presets`) or a TOML file; flags override it.",
        show_default=False,
        autocompletion=_complete_preset,
    ),
]
SizeOpt = Annotated[
    int | None,
    typer.Option(
        "--size", "-s", help=help_text("Long side of the output, pixels.", default=_default("size")), show_default=False
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", "-y", help="Replace outputs that already exist.")]

# Look.
ContentWeightOpt = Annotated[float | None, _setting("", "content_weight", LOOK)]
StyleWeightOpt = Annotated[float | None, _setting("More: stronger style.", "style_weight", LOOK)]
TvWeightOpt = Annotated[float | None, _setting("Smoothness.", "tv_weight", LOOK)]
ContentLayersOpt = Annotated[str | None, _setting("Comma-separated VGG19 layers.", "content_layers", LOOK)]
StyleLayersOpt = Annotated[str | None, _setting("Comma-separated VGG19 layers.", "style_layers", LOOK)]
StyleLayerWeightsOpt = Annotated[
    str | None, _setting("Comma-separated, one per style layer.", "style_layer_weights", LOOK)
]
StyleBlendOpt = Annotated[
    str | None, _setting("Comma-separated weights, one per style image, e.g. 0.7,0.3.", "style_blend", LOOK)
]
StyleScaleOpt = Annotated[float | None, _setting("Style image size relative to the output.", "style_scale", LOOK)]
PreserveColorOpt = Annotated[
    bool | None,
    typer.Option(
        "--preserve-color/--no-preserve-color",
        help="Keep the content's colors (luminance-only transfer).",
        show_default=False,
        rich_help_panel=LOOK,
    ),
]
PoolingOpt = Annotated[Pooling | None, _setting("max or avg.", "pooling", LOOK)]
InitOpt = Annotated[
    str | None,
    _setting("content, style-colors (the content in the style's colours), noise, or an image path.", "init", LOOK),
]
SeedOpt = Annotated[int | None, _setting("Random seed; same seed, same output on CPU.", "seed", LOOK)]

# Optimization.
IterationsOpt = Annotated[
    int | None,
    typer.Option(
        "--iterations",
        "-n",
        help=help_text("Optimizer steps (all scales).", default=_default("iterations")),
        show_default=False,
        rich_help_panel=OPTIMIZATION,
    ),
]
FrameIterationsOpt = Annotated[
    int | None,
    typer.Option(
        "--iterations",
        "-n",
        help=help_text("Steps for each later frame.", default=str(VIDEO_FRAME_ITERATIONS)),
        show_default=False,
        rich_help_panel=OPTIMIZATION,
    ),
]
OptimizerOpt = Annotated[Optimizer | None, _setting("lbfgs or adam.", "optimizer", OPTIMIZATION)]
LearningRateOpt = Annotated[float | None, _setting("Adam step size.", "learning_rate", OPTIMIZATION)]
ToleranceOpt = Annotated[
    float | None,
    _setting("Early stop when the relative loss change stays below this.", "tolerance", OPTIMIZATION),
]
PatienceOpt = Annotated[int | None, _setting("... for this many steps.", "patience", OPTIMIZATION)]
ScalesOpt = Annotated[
    int | None,
    _setting(
        "Coarse-to-fine: optimize at N growing sizes (videos: 2 for a first frame; later frames paint at one).",
        "scales",
        OPTIMIZATION,
    ),
]
FirstIterationsOpt = Annotated[
    int | None,
    _setting("Steps for the first frame (and every frame with --temporal none).", "first_iterations", OPTIMIZATION),
]

# Hardware.
DeviceOpt = Annotated[Device | None, _setting("auto, cpu or cuda.", "device", HARDWARE)]
PrecisionOpt = Annotated[
    Precision | None,
    _setting("auto, fp32 or bf16 (auto: bf16 where the hardware runs it fast).", "precision", HARDWARE),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(help=help_text("CPU threads.", default="all cores"), show_default=False, rich_help_panel=HARDWARE),
]
WeightsOpt = Annotated[
    str | None,
    typer.Option(
        help="A torchvision VGG19 state dict to use instead of the packaged Caffe weights.",
        show_default=False,
        rich_help_panel=HARDWARE,
    ),
]

# Video: the commands that paint frame sequences.
TemporalOpt = Annotated[Temporal | None, _setting("flow, previous or none.", "temporal", VIDEO)]
TemporalFramesOpt = Annotated[
    str | None,
    _setting(
        "Comma-separated earlier frames the temporal term looks back to (1: the previous).", "temporal_frames", VIDEO
    ),
]
PassesOpt = Annotated[
    int | None,
    _setting(
        "Passes over the clip (each Ray segment), alternating direction (flow mode; 1: forward only).", "passes", VIDEO
    ),
]
PassIterationsOpt = Annotated[
    int | None, _setting("Steps for each frame in every pass after the first.", "pass_iterations", VIDEO)
]
AnchorEveryOpt = Annotated[
    int | None,
    _setting("Every N-th frame anchors the next ones' texture against drift (0: none).", "anchor_every", VIDEO),
]
FillOpt = Annotated[
    Fill | None,
    _setting("Where no earlier frame is trusted, start from: warped (earlier output) or content.", "fill", VIDEO),
]
TemporalWeightOpt = Annotated[
    float | None, _setting("Pull towards the warped earlier frames.", "temporal_weight", VIDEO)
]
CrfOpt = Annotated[int | None, _setting("Quality (x264, x265, VP9, AV1 -crf), 0 (best) to 51.", "crf", VIDEO)]
CodecOpt = Annotated[
    str | None,
    _setting(
        "ffmpeg video encoder (libx264, libx265, libvpx-vp9, libsvtav1...); auto: H.264, VP9 for .webm.", "codec", VIDEO
    ),
]
PixFmtOpt = Annotated[
    PixFmt | None,
    _setting(
        "Colour samples: yuv420p (half size, plays everywhere) or yuv444p (full size: keeps the "
        "painting's fine colour strokes; browsers and QuickTime may not play it).",
        "pix_fmt",
        VIDEO,
    ),
]
AudioOpt = Annotated[
    bool | None,
    typer.Option(
        "--audio/--no-audio",
        help=help_text("Carry the input's audio over.", default="audio"),
        show_default=False,
        rich_help_panel=VIDEO,
    ),
]
KeepBarsOpt = Annotated[
    bool | None,
    typer.Option(
        "--keep-bars/--paint-bars",
        help=help_text(
            "Keep a clip's (or --sequence's) letterbox or pillarbox bars black, as in the source "
            "(found in its frames); --paint-bars paints them with the picture.",
            default="keep-bars",
        ),
        show_default=False,
        rich_help_panel=VIDEO,
    ),
]
SideBySideOpt = Annotated[
    bool,
    typer.Option(
        "--side-by-side",
        help="Show the original (left) beside the painted clip (right) in the output video.",
        rich_help_panel=VIDEO,
    ),
]

# Engine: where the painting of many pictures runs.
EngineOpt = Annotated[
    EngineChoice,
    typer.Option(
        help=help_text("local (this process) or ray (workers on a Ray cluster; pip install 'framestyle[ray]')."),
        rich_help_panel=ENGINE,
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        help=help_text("With --engine ray: 'auto' or ray://HOST:10001 to join a cluster.", default="start a local Ray"),
        show_default=False,
        rich_help_panel=ENGINE,
    ),
]
WorkersOpt = Annotated[
    int, typer.Option(help="With --engine ray: how many workers (0: as many as fit).", rich_help_panel=ENGINE)
]
CpusPerWorkerOpt = Annotated[
    float, typer.Option(help="With --engine ray: CPUs (torch threads) per worker.", rich_help_panel=ENGINE)
]
GpusPerWorkerOpt = Annotated[
    float | None,
    typer.Option(
        help=help_text("With --engine ray: GPUs per worker.", default="1 when the cluster has GPUs, else 0"),
        show_default=False,
        rich_help_panel=ENGINE,
    ),
]
SegmentOpt = Annotated[
    int,
    typer.Option(
        help="With --engine ray: frames per segment; segments are painted in parallel.", rich_help_panel=ENGINE
    ),
]
OverlapOpt = Annotated[
    int,
    typer.Option(
        help="With --engine ray: lead-in frames before each segment, cross-faded at the seam.", rich_help_panel=ENGINE
    ),
]
