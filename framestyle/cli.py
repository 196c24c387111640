"""The command line: parse flags, call the pipeline, report. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import ui
from .config import RuntimeConfig, StyleConfig, build, coerce, default_of, load_preset
from .errors import ConfigError, FramestyleError
from .pipeline import default_image_output, stylize_image_file

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
    for cls in (StyleConfig, RuntimeConfig):
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
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", "-y", help="Replace outputs that already exist.")]

_LIST_FLAGS = {"content_layers": str, "style_layers": str, "style_layer_weights": float, "style_blend": float}


def _split_list(name: str, text: str, kind: type) -> tuple[Any, ...]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    try:
        return tuple(kind(item) for item in items)
    except ValueError:
        raise ConfigError(f"--{name.replace('_', '-')}: {text!r} is not a comma-separated list of numbers") from None


def settings(config: Optional[Path], flags: dict[str, Any]) -> tuple[StyleConfig, RuntimeConfig]:
    """Dataclass defaults, then the preset, then flags given on the command line."""
    preset = load_preset(config) if config is not None else {}
    given: dict[str, Any] = {}
    for name, value in flags.items():
        if value is None:
            continue
        if name in _LIST_FLAGS and isinstance(value, str):
            value = _split_list(name, value, _LIST_FLAGS[name])
        given[name] = value
    # Flags go through the same type checks as preset values (choices, numbers).
    known = {**StyleConfig.__annotations__, **RuntimeConfig.__annotations__}
    from typing import get_type_hints

    hints = {**get_type_hints(StyleConfig), **get_type_hints(RuntimeConfig)}
    for name, value in given.items():
        if name in known:
            given[name] = coerce(f"--{name.replace('_', '-')}", value, hints[name])
    return build(StyleConfig, preset, given), build(RuntimeConfig, preset, given)


def _style_flags(values: dict[str, Any]) -> dict[str, Any]:
    names = {*StyleConfig.__dataclass_fields__, *RuntimeConfig.__dataclass_fields__}
    return {k: v for k, v in values.items() if k in names}


@app.command()
def image(
    content: Annotated[Path, typer.Argument(help="The photo to paint.", show_default=False)],
    styles: Annotated[list[Path], typer.Argument(help="One or more style images (paintings).", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output image. [default: CONTENT_STYLE.png beside the content]", show_default=False)] = None,
    animate: Annotated[Optional[Path], typer.Option(help="Also write the optimization as an animation (.gif or .mp4).", show_default=False)] = None,
    animate_every: Annotated[int, typer.Option(min=1, help="Capture a frame every K steps.")] = 5,
    animate_fps: Annotated[float, typer.Option(min=0.1, help="Animation frame rate.")] = 12.0,
    save_every: Annotated[int, typer.Option(min=0, help="Save every K-th step as a PNG in --progress-dir (0: never).")] = 0,
    progress_dir: Annotated[Optional[Path], typer.Option(help="Folder for --save-every PNGs.", show_default=False)] = None,
    config: ConfigOpt = None,
    size: SizeOpt = None,
    iterations: IterationsOpt = None,
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
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Stylize one image: framestyle image photo.jpg starry.jpg"""
    style_config, runtime = settings(config, _style_flags(locals()))
    if save_every and progress_dir is None:
        raise ConfigError("--save-every needs --progress-dir")
    out = output or default_image_output(content, styles)
    with ui.IterationBar(quiet=quiet) as bar:
        outcome = stylize_image_file(
            content,
            styles,
            output=out,
            config=style_config,
            runtime=runtime,
            overwrite=overwrite,
            animate=animate,
            animate_every=animate_every,
            animate_fps=animate_fps,
            save_every=save_every,
            progress_dir=progress_dir,
            on_iteration=bar,
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


def _error(message: str) -> None:
    print(f"framestyle: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one line on stderr and an exit code."""
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
        return 2
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
