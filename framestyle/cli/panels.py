"""The option panels the painting commands share, each declared once.

A panel is a function whose typed signature lists its options (it does nothing else);
``with_panels`` appends those options to a command's own, so ``--help`` shows them in
their panel and typer parses and checks them. The command reads them by name from
``ctx.params`` (settings through ``merge_settings``, the engine through
``ray_settings``): its own signature stays short, and no option is declared twice.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from .options import (
    AddressOpt,
    AnchorEveryOpt,
    CodecOpt,
    ContentLayersOpt,
    ContentWeightOpt,
    CpusPerWorkerOpt,
    CrfOpt,
    DeviceOpt,
    EngineOpt,
    FillOpt,
    FirstIterationsOpt,
    GpusPerWorkerOpt,
    InitOpt,
    LearningRateOpt,
    OptimizerOpt,
    OverlapOpt,
    PassesOpt,
    PassIterationsOpt,
    PatienceOpt,
    PixFmtOpt,
    PoolingOpt,
    PrecisionOpt,
    PreserveColorOpt,
    ScalesOpt,
    SeedOpt,
    SegmentOpt,
    StyleBlendOpt,
    StyleLayersOpt,
    StyleLayerWeightsOpt,
    StyleScaleOpt,
    StyleWeightOpt,
    TemporalFramesOpt,
    TemporalOpt,
    TemporalWeightOpt,
    ThreadsOpt,
    ToleranceOpt,
    TvWeightOpt,
    WeightsOpt,
    WorkersOpt,
)

Command = TypeVar("Command", bound=Callable[..., Any])


def look(
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
) -> None:
    """What the painting looks like (StyleConfig)."""


def optimization(
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    tolerance: ToleranceOpt = None,
    patience: PatienceOpt = None,
    scales: ScalesOpt = None,
) -> None:
    """How the image is optimized (StyleConfig); each command declares its own --iterations."""


def hardware(
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    threads: ThreadsOpt = None,
    weights: WeightsOpt = None,
) -> None:
    """Where the network runs (RuntimeConfig)."""


def frames(
    first_iterations: FirstIterationsOpt = None,
    temporal: TemporalOpt = None,
    temporal_weight: TemporalWeightOpt = None,
    temporal_frames: TemporalFramesOpt = None,
    anchor_every: AnchorEveryOpt = None,
    passes: PassesOpt = None,
    pass_iterations: PassIterationsOpt = None,
    fill: FillOpt = None,
    crf: CrfOpt = None,
    codec: CodecOpt = None,
    pix_fmt: PixFmtOpt = None,
) -> None:
    """Frame sequences: temporal coherence and encoding (VideoConfig)."""


def engine(
    engine: EngineOpt = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = 0,
    cpus_per_worker: CpusPerWorkerOpt = 1.0,
    gpus_per_worker: GpusPerWorkerOpt = None,
    segment: SegmentOpt = 120,
    overlap: OverlapOpt = 20,
) -> None:
    """Where the painting runs (RayConfig when --engine ray)."""


def with_panels(*panels: Callable[..., None]) -> Callable[[Command], Command]:
    """Give a command the options of ``panels`` after its own. The command is called with
    its own parameters only; it finds the panels' values in ``ctx.params``."""

    def decorate(command: Command) -> Command:
        own = list(inspect.signature(command, eval_str=True).parameters.values())
        names = {p.name for p in own}
        shared = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for panel in panels
            for p in inspect.signature(panel, eval_str=True).parameters.values()
        ]

        @functools.wraps(command)
        def run(**values: Any) -> Any:
            return command(**{name: value for name, value in values.items() if name in names})

        parameters = own + shared
        # typer reads the signature and the annotations: it sees one flat list of options.
        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run  # type: ignore[return-value]

    return decorate


PAINTING = (look, optimization, hardware)
"""The panels of every command that paints."""
SEQUENCES = (*PAINTING, frames, engine)
"""The panels of the commands that paint frame sequences (video, images)."""
