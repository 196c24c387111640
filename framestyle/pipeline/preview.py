"""Preview sheets: one picture painted small with a sweep of one or two settings, so a
look can be chosen in a minute before a long run.

Cells share what they can: one backend, one network per pooling, one set of style
targets per target-shaping settings (style images, scale, colour, layers, blend), so a
3x3 sweep of style weight by style scale computes three sets of Gram targets, not nine.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

import numpy as np

from ..backend import Backend, resolve_backend
from ..config import VGG_LAYERS, RuntimeConfig, StyleConfig
from ..errors import ConfigError
from ..events import SILENT, FrameEvent, Reporter
from ..io.files import check_output, ensure_dir, require_file
from ..io.images import is_image_path, write_image
from ..io.sheet import contact_sheet
from ..io.video import VIDEO_EXTENSIONS, iter_frames, probe
from ..letterbox import Bars
from ..model import VGG19Features, load_vgg19
from ..settings import coerce
from ..style_targets import StyleTargets
from ..stylize import Stylizer
from ..tensors import check_vgg_size, fit_long_side
from .common import load_content, load_styles, painted_bars
from .memory import Target, estimate_peak, guard, style_shapes
from .paint import PictureTask, paint_picture

STYLE = "style"  # the sweep over style images; every other name is a StyleConfig field
_NOT_SWEPT = {"size", "content_layers", "style_layers", "style_layer_weights", "style_blend"}


@dataclass(frozen=True)
class Sweep:
    """One setting and the values a sheet tries for it (in order)."""

    name: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ConfigError(f"`{self.name}` needs at least one value to try")


def parse_sweep(text: str) -> Sweep:
    """``"style-weight=1,10,100"`` -> Sweep("style_weight", (1.0, 10.0, 100.0)); values are
    checked like preset values. ``style=a.jpg,b.jpg`` sweeps style images."""
    name, sep, raw = text.partition("=")
    name = name.strip().replace("-", "_")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not sep or not name or not items:
        raise ConfigError(f"a sweep is NAME=V1,V2,... (e.g. style-weight=1,10,100), got {text!r}")
    if name == STYLE:
        return Sweep(STYLE, tuple(require_file(Path(item), "style image") for item in items))
    hints = get_type_hints(StyleConfig)
    if name not in hints or name in _NOT_SWEPT:
        raise ConfigError(f"cannot sweep {name!r}: sweep a look or optimization setting, or style")
    return Sweep(name, tuple(coerce(f"`{name}`", _literal(item), hints[name]) for item in items))


def _literal(item: str) -> Any:
    """A sweep value as TOML would read it: true/false, a number, else the text."""
    if item.lower() in ("true", "false"):
        return item.lower() == "true"
    for kind in (int, float):
        try:
            return kind(item)
        except ValueError:
            pass
    return item


def default_sweeps(style: StyleConfig) -> list[Sweep]:
    """Style weight a decade either side, by style scale halved and doubled."""
    weight, scale = style.style_weight, style.style_scale
    return [
        Sweep("style_weight", (weight / 10, weight, weight * 10)),
        Sweep("style_scale", (scale / 2, scale, scale * 2)),
    ]


@dataclass(frozen=True)
class PreviewCell:
    values: dict[str, Any]  # the swept settings of this cell (style: a Path)
    picture: np.ndarray  # rgb_uint8
    iterations: int
    loss: float
    seconds: float


@dataclass(frozen=True)
class PreviewSheet:
    cells: list[PreviewCell]  # row by row
    columns: int
    sheet: np.ndarray  # the labelled grid, rgb_uint8
    bars: Bars = Bars()  # left unpainted in every cell, at the cell size


@dataclass(frozen=True)
class PreviewPicture:
    """What a sheet paints: the picture at the cell size, and the letterbox bars that the
    video command would leave unpainted in it (none for an image)."""

    picture: np.ndarray  # rgb_uint8
    bars: Bars = Bars()


def load_preview_picture(path: Path, size: int, *, at: float = 0.0, keep_bars: bool = True) -> PreviewPicture:
    """An image, or a video's frame at ``at`` seconds, at ``size``. A video's bars are found
    as ``framestyle video`` finds them by default (frames spread over the whole clip), so
    a cell shows what the run will paint."""
    path = require_file(Path(path), "input")
    if path.suffix.lower() in VIDEO_EXTENSIONS and not is_image_path(path):
        info = probe(path, start_seconds=at, max_frames=1)
        size_at = fit_long_side(*info.display_size, size)
        picture = next(iter_frames(info, size=size_at))
        if not keep_bars:
            return PreviewPicture(picture)
        whole = probe(path)
        return PreviewPicture(picture, painted_bars(whole.bars, (whole.width, whole.height), size_at))
    if at:
        raise ConfigError("`at` picks a video's frame; the input is an image")
    return PreviewPicture(load_content(path, size))


def describe(name: str, value: Any) -> str:
    """A cell's caption for one value: ``style-weight=10``, ``style=starry``."""
    if name == STYLE:
        return f"style={Path(value).stem}"
    shown = f"{value:g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else value
    return f"{name.replace('_', '-')}={shown}"


class _Shared:
    """What cells share: the backend, a network per pooling, style targets per key."""

    def __init__(self, runtime: RuntimeConfig, backend: Backend) -> None:
        self.runtime = runtime
        self.backend = backend
        self.models: dict[str, VGG19Features] = {}
        self.targets: dict[tuple[Any, ...], StyleTargets] = {}

    def stylizer(self, styles: Sequence[Any], style_paths: tuple[Path, ...], config: StyleConfig) -> Stylizer:
        if config.pooling not in self.models:
            last = max({*config.content_layers, *config.style_layers}, key=VGG_LAYERS.index)
            self.models[config.pooling] = load_vgg19(
                self.runtime.weights or None, pooling=config.pooling, last_layer=last, device=self.backend.device
            )
        stylizer = Stylizer(styles, config=config, backend=self.backend, model=self.models[config.pooling])
        key = (
            style_paths,
            config.style_scale,
            config.preserve_color,
            config.style_layers,
            config.style_blend,
            config.pooling,
        )
        # Targets depend only on the key's settings, never on weights or the optimizer.
        stylizer.targets = self.targets.setdefault(key, stylizer.targets)
        return stylizer


def paint_preview(
    picture: np.ndarray,
    style_paths: Sequence[Path],
    *,
    style: StyleConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    sweeps: Sequence[Sweep] = (),
    bars: Bars = Bars(),
    reporter: Reporter = SILENT,
) -> PreviewSheet:
    """Paint ``picture`` (rgb_uint8, already at the cell size) once per combination of the
    sweeps' values (at most two sweeps: rows by columns) and lay the cells out labelled.
    Within ``bars`` only: they stay as ``picture`` has them, as the video command keeps them."""
    sweeps = list(sweeps) or default_sweeps(style)
    if len(sweeps) > 2:
        raise ConfigError("a sheet sweeps one or two settings (rows by columns)")
    if len({s.name for s in sweeps}) < len(sweeps):
        raise ConfigError("each setting can be swept once per sheet")
    framed, picture = picture, bars.inside(picture)
    check_vgg_size(picture.shape[1], picture.shape[0])
    backend = resolve_backend(runtime)
    shared = _Shared(runtime, backend)
    combos = list(itertools.product(*(s.values for s in sweeps)))
    names = [s.name for s in sweeps]
    _check_memory(picture, style_paths, style, backend, [dict(zip(names, combo)) for combo in combos])
    largest = max([style.style_scale, *next((s.values for s in sweeps if s.name == "style_scale"), ())])
    loaded: dict[tuple[Path, ...], list[Any]] = {}
    cells: list[PreviewCell] = []
    for index, combo in enumerate(combos):
        values = dict(zip(names, combo))
        paths = (Path(values[STYLE]),) if STYLE in values else tuple(map(Path, style_paths))
        config = dataclasses.replace(style, **{k: v for k, v in values.items() if k != STYLE})
        if STYLE in values and config.style_blend:
            config = dataclasses.replace(config, style_blend=())  # one style per cell
        if paths not in loaded:
            loaded[paths] = load_styles(paths, dataclasses.replace(style, style_scale=largest))
        reporter.item_started(index)
        start = time.perf_counter()
        painted = paint_picture(shared.stylizer(loaded[paths], paths, config), PictureTask(index, picture), reporter)
        seconds = time.perf_counter() - start
        result = painted.result
        cells.append(PreviewCell(values, bars.around(framed, painted.picture), result.iterations, result.loss, seconds))
        reporter.item_done(FrameEvent(index, len(combos), result.iterations, seconds, result.loss, resumed=False))
    columns = len(sweeps[-1].values)
    captions = [[describe(n, c.values[n]) for n in names] for c in cells]
    return PreviewSheet(cells, columns, contact_sheet([c.picture for c in cells], captions, columns=columns), bars)


def _check_memory(
    picture: np.ndarray,
    style_paths: Sequence[Path],
    style: StyleConfig,
    backend: Backend,
    cells: Sequence[dict[str, Any]],
) -> None:
    """Refuse a sheet whose most demanding cell (largest style scale, most steps...) cannot fit."""
    target = Target(backend.device, backend.autocast_dtype is not None)
    aspect = (picture.shape[1], picture.shape[0])
    shapes: dict[Path, tuple[int, int]] = {}

    def styles_of(values: dict[str, Any]) -> list[tuple[int, int]]:
        paths = [Path(values[STYLE])] if STYLE in values else [Path(p) for p in style_paths]
        for path in paths:
            shapes.setdefault(path, style_shapes([path], style)[0])
        return [shapes[p] for p in paths]

    def config_of(values: dict[str, Any]) -> StyleConfig:
        return dataclasses.replace(style, **{k: v for k, v in values.items() if k != STYLE})

    def peak(values: dict[str, Any]) -> int:
        return estimate_peak(aspect, styles_of(values), config_of(values), device=target.device.type, bf16=target.bf16)

    worst = max(cells, key=peak)
    guard(aspect, styles_of(worst), config_of(worst), target)


def default_preview_output(source: Path, styles: Sequence[Path]) -> Path:
    """``photo_starry_preview.png`` beside ``photo.jpg``."""
    names = "_".join(Path(s).stem for s in styles)
    return Path(source).with_name(f"{Path(source).stem}_{names}_preview.png")


def stylize_preview_file(
    source: Path,
    style_paths: Sequence[Path],
    *,
    output: Path,
    style: StyleConfig,
    runtime: RuntimeConfig = RuntimeConfig(),
    sweeps: Sequence[Sweep] = (),
    at: float = 0.0,
    keep_bars: bool = True,
    overwrite: bool = False,
    reporter: Reporter = SILENT,
) -> PreviewSheet:
    """Paint a preview sheet of ``source`` (an image, or a video's frame at ``at`` seconds)
    at ``style.size`` per cell, and write it to ``output`` (PNG), atomically."""
    if at < 0:
        raise ConfigError(f"`at` must be zero or more seconds (got {at:g})")
    for path in style_paths:
        require_file(Path(path), "style image")
    swept_styles = [Path(p) for s in sweeps if s.name == STYLE for p in s.values]
    check_output(Path(output), [Path(source), *map(Path, style_paths), *swept_styles], overwrite=overwrite)
    loaded = load_preview_picture(Path(source), style.size, at=at, keep_bars=keep_bars)
    sheet = paint_preview(
        loaded.picture, style_paths, style=style, runtime=runtime, sweeps=sweeps, bars=loaded.bars, reporter=reporter
    )
    ensure_dir(Path(output).parent)
    write_image(Path(output), sheet.sheet)
    return sheet
