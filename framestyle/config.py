"""Settings as frozen dataclasses: their names, types, defaults and checks.

One source of truth: the dataclass fields give the names, types and defaults; presets,
config files and CLI flags only override them (``settings.py`` reads and merges those).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ConfigError

VGG_LAYERS: tuple[str, ...] = tuple(
    f"{kind}{block}_{index}"
    for block, convs in enumerate((2, 2, 4, 4, 4), start=1)
    for index in range(1, convs + 1)
    for kind in ("conv", "relu")
)
"""Names of the VGG19 conv and relu outputs, in network order."""

Optimizer = Literal["lbfgs", "adam"]
Pooling = Literal["max", "avg"]
Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "fp32", "bf16"]
START_IMAGES = ("content", "style-colors", "noise")  # `init` values that are not a file


def _positive(name: str, value: float) -> None:
    if not value > 0 or not math.isfinite(value):
        raise ConfigError(f"{name} must be a positive number (got {value!r})")


def _non_negative(name: str, value: float) -> None:
    if not value >= 0 or not math.isfinite(value):
        raise ConfigError(f"{name} must be zero or more (got {value!r})")


def _layers(name: str, layers: tuple[str, ...]) -> None:
    if not layers:
        raise ConfigError(f"{name} must name at least one layer")
    for layer in layers:
        if layer not in VGG_LAYERS:
            raise ConfigError(f"{name}: unknown VGG19 layer {layer!r} (e.g. relu4_2)")


@dataclass(frozen=True)
class StyleConfig:
    """How one image is stylized: losses, optimizer and schedule."""

    size: int = 512  # long side of the output, in pixels
    iterations: int = 300  # total optimizer steps, across all scales
    optimizer: Optimizer = "lbfgs"
    learning_rate: float = 0.02  # Adam step, in [0, 1] pixel units
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    content_layers: tuple[str, ...] = ("relu4_2",)
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    style_layer_weights: tuple[float, ...] = ()  # empty: equal weights
    style_blend: tuple[float, ...] = ()  # one weight per style image; empty: equal
    style_scale: float = 1.0  # style image size relative to the output
    init: str = "content"  # one of START_IMAGES, or an image path
    tolerance: float = 1e-4  # early stop: relative loss change per step ...
    patience: int = 20  # ... staying below tolerance for this many steps
    scales: int = 1  # coarse-to-fine: number of sizes
    preserve_color: bool = False
    pooling: Pooling = "max"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size < 16:
            raise ConfigError(f"size must be at least 16 pixels (got {self.size})")
        if self.iterations < 1:
            raise ConfigError(f"iterations must be at least 1 (got {self.iterations})")
        for name in ("learning_rate", "style_scale"):
            _positive(name, getattr(self, name))
        for name in ("content_weight", "style_weight", "tv_weight", "tolerance"):
            _non_negative(name, getattr(self, name))
        if self.patience < 1:
            raise ConfigError(f"patience must be at least 1 (got {self.patience})")
        if not 1 <= self.scales <= 8:
            raise ConfigError(f"scales must be between 1 and 8 (got {self.scales})")
        if self.seed < 0:
            raise ConfigError(f"seed must be zero or more (got {self.seed})")
        _layers("content_layers", self.content_layers)
        _layers("style_layers", self.style_layers)
        if self.style_layer_weights and len(self.style_layer_weights) != len(self.style_layers):
            raise ConfigError(
                f"style_layer_weights has {len(self.style_layer_weights)} values "
                f"for {len(self.style_layers)} style_layers"
            )
        for name in ("style_layer_weights", "style_blend"):
            for value in getattr(self, name):
                _non_negative(name, value)
        if self.style_blend and sum(self.style_blend) <= 0:
            raise ConfigError("style_blend must have a positive sum")
        if not self.init:
            raise ConfigError("init must be 'content', 'style-colors', 'noise' or an image path")


@dataclass(frozen=True)
class RuntimeConfig:
    """Where and how the network runs; does not change what the result should look like."""

    device: Device = "auto"
    precision: Precision = "auto"
    weights: str = ""  # a torchvision VGG19 state dict; empty: the packaged Caffe weights
    threads: int = 0  # CPU threads; 0: every core this process may use

    def __post_init__(self) -> None:
        if self.threads < 0:
            raise ConfigError(f"threads must be zero or more (got {self.threads})")


Temporal = Literal["flow", "previous", "none"]
Fill = Literal["content", "warped"]
PixFmt = Literal["yuv420p", "yuv444p"]
MAX_LOOK_BACK = 32  # frames kept in memory for the long-term temporal term
MAX_PASSES = 16


@dataclass(frozen=True)
class VideoConfig:
    """Frame sequences: temporal coherence and encoding."""

    temporal: Temporal = "flow"
    # Ruder et al.'s temporal term, against content weight 1. 400 rather than 500: style,
    # content and the first frame nearer a still's on every clip measured, a little less
    # steady (docs/BENCHMARKS.md, "A lower temporal weight").
    temporal_weight: float = 400.0
    temporal_frames: tuple[int, ...] = (1, 2, 4)  # earlier frames the temporal term looks back to
    anchor_every: int = 8  # every N-th frame is an anchor later ones warp from directly; 0: none
    fill: Fill = "warped"  # what a pixel no earlier frame explains starts from
    first_iterations: int = 170  # the first frame starts from scratch; later ones use `iterations`
    passes: int = 2  # flow mode: passes over the clip, alternating direction (1: forward only)
    pass_iterations: int = 10  # steps per frame in each pass after the first
    crf: int = 18  # constant quality (x264, x265, VP9, AV1): 0 best ... 51 worst
    codec: str = "auto"  # an ffmpeg encoder; auto: H.264 (libx264), VP9 for WebM
    pix_fmt: PixFmt = "yuv420p"  # colour at half size, plays everywhere; yuv444p keeps it whole
    audio: bool = True
    keep_bars: bool = True  # a clip's letterbox bars stay as in the source, unpainted

    def __post_init__(self) -> None:
        _non_negative("temporal_weight", self.temporal_weight)
        if not self.temporal_frames or 1 not in self.temporal_frames:
            raise ConfigError(f"temporal_frames must include 1, the previous frame (got {list(self.temporal_frames)})")
        frames = self.temporal_frames
        if any(not 1 <= j <= MAX_LOOK_BACK for j in frames) or len(set(frames)) != len(frames):
            raise ConfigError(
                f"temporal_frames must be different whole numbers from 1 to {MAX_LOOK_BACK} (got {list(frames)})"
            )
        if self.anchor_every != 0 and not 2 <= self.anchor_every <= MAX_LOOK_BACK:
            raise ConfigError(f"anchor_every must be 0 (no anchors) or 2 to {MAX_LOOK_BACK} (got {self.anchor_every})")
        if self.first_iterations < 1:
            raise ConfigError(f"first_iterations must be at least 1 (got {self.first_iterations})")
        if not 1 <= self.passes <= MAX_PASSES:
            raise ConfigError(f"passes must be from 1 to {MAX_PASSES} (got {self.passes})")
        if self.pass_iterations < 1:
            raise ConfigError(f"pass_iterations must be at least 1 (got {self.pass_iterations})")
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"crf must be between 0 and 51 (got {self.crf})")
        if not self.codec or not all(c.isalnum() or c in "-_" for c in self.codec):
            raise ConfigError(f"codec must be an ffmpeg encoder name such as libx264 (got {self.codec!r})")

    @property
    def sequence_passes(self) -> int:
        """Passes over a sequence: only the flow mode makes more than one."""
        return self.passes if self.temporal == "flow" else 1


@dataclass(frozen=True)
class RayConfig:
    """How to reach Ray and how to cut the work; none of it changes the pixels of a
    batch, and for videos only ``segment`` and ``overlap`` do (they go in the manifest)."""

    address: str | None = None  # None: start a local Ray; "auto" or "ray://host:10001": join one
    workers: int = 0  # 0: as many as the cluster has room for
    cpus_per_worker: float = 1.0
    gpus_per_worker: float | None = None  # None: 1 when the cluster has GPUs, else 0
    segment: int = 120  # frames per video segment
    overlap: int = 20  # lead-in frames before a segment's own, cross-faded at the seam (README: 20, not 10)

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ConfigError(f"workers must be zero (automatic) or more (got {self.workers})")
        if self.cpus_per_worker <= 0:
            raise ConfigError(f"cpus_per_worker must be more than 0 (got {self.cpus_per_worker:g})")
        if self.gpus_per_worker is not None and self.gpus_per_worker < 0:
            raise ConfigError(f"gpus_per_worker must be zero or more (got {self.gpus_per_worker:g})")
        if self.segment < 2:
            raise ConfigError(f"segment must be at least 2 frames (got {self.segment})")
        if not 0 <= self.overlap < self.segment:
            raise ConfigError(f"`overlap` must be under `segment={self.segment}` (got {self.overlap})")

    @property
    def elsewhere(self) -> bool:
        """Whether the workers run on another machine (a cluster joined by ``address``):
        then this machine's memory and cores say nothing about theirs."""
        return self.address is not None


# Later frames start from earlier results, warped: at 256 px 20 steps were steadier than 50
# (bear 0.93x against 1.17x the source's warping error); with the backward pass (`passes`)
# 10 in each did what 20 + 10 did (shuttle 4.09x, 4.07x). The first frame paints 170 steps
# at its size (`first_iterations`) from the content in the style's colours (`init`): nearer
# a 300-step still than 200 from the content (bunny 0.988x against 1.023x; Sintel 1.016x,
# 1.011x), 15% sooner. Two scales were faster but coarser, a texture later frames inherit.
VIDEO_FRAME_ITERATIONS = 10
VIDEO_DEFAULTS: dict[str, Any] = {"iterations": VIDEO_FRAME_ITERATIONS, "init": "style-colors"}

# Preview sheets: small cells, a short budget and an eager early stop, so a 3x3 sheet
# takes well under a minute and a half on a laptop CPU.
PREVIEW_DEFAULTS: dict[str, Any] = {"size": 128, "iterations": 60, "tolerance": 1e-3, "patience": 5}

CONFIG_CLASSES: tuple[type, ...] = (StyleConfig, RuntimeConfig, VideoConfig)


__all__ = ["CONFIG_CLASSES", "PREVIEW_DEFAULTS", "START_IMAGES", "VGG_LAYERS", "VIDEO_DEFAULTS"]
__all__ += ["VIDEO_FRAME_ITERATIONS", "RayConfig", "RuntimeConfig", "StyleConfig", "VideoConfig"]
