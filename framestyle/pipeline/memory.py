"""Memory guard: the peak memory a run will reach, against what this machine can give
it, known before any painting; and out-of-memory failures during a run, in one line.

A picture far too large for the machine does not fail cleanly by itself: the kernel's
OOM killer ends the run without a word, or the machine swaps for an hour, and a step
deep inside the network does not even stop for SIGTERM. So the run is refused first.

The estimate is a model measured on the real command (benchmarks/bench_peak_memory.py;
the numbers are in the README): a fixed part (interpreter, torch, OpenCV, VGG19) plus a
part that grows with the pixels of the output (the network's activations kept for the
backward pass, gradients, L-BFGS's work tensors), and L-BFGS's history of (s, y) pairs,
which the short measuring runs do not fill. It errs on the side of letting runs through:
a run is refused only when the estimate is clearly over what is available, and the size
it proposes instead is one the estimate puts clearly under.
"""

from __future__ import annotations

import dataclasses
import math
import os
import resource
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..backend import Backend, resolve_device, resolve_precision
from ..config import VGG_LAYERS, RayConfig, RuntimeConfig, StyleConfig
from ..errors import OutOfMemory
from ..io.images import read_image
from ..lbfgs import HISTORY
from ..tensors import MIN_VGG_SIDE, fit_long_side, scale_ladder, split_iterations
from .common import style_side_limit
from .space import format_bytes

# Peak RSS of `framestyle image` with 2 L-BFGS steps at 256, 512, 1024 and 1536 px (a
# 3:2 photo; bf16 also 384; benchmarks/bench_peak_memory.py, table in the README), least squares:
# bytes = fixed + per_pixel * output pixels, within 45 MiB of every measurement. The
# per-pixel cost is the activations VGG19 keeps for the backward pass (up to relu5_1),
# their gradients and the optimizer's work tensors; bf16 autocast halves the activations
# but not the float32 image, its gradient and the optimizer's state.
FIXED_BYTES = {"fp32": 909 * 2**20, "bf16": 923 * 2**20}
STEP_BYTES_PER_PIXEL = {"fp32": 2364.0, "bf16": 1478.0}
# The style targets are computed once per size, without gradients, at the style image's
# size (`style_scale` times the output's long side): a peak of its own, before the steps.
# Measured with a 256 px output and `style_scale=8` (2.6 Mpx of style); per pixel it is
# less for smaller style images (fp32: 432 at 0.66 Mpx), so this errs towards more.
STYLE_BYTES_PER_PIXEL = {"fp32": 701.0, "bf16": 335.0}
# L-BFGS keeps up to 50 (s, y) pairs, each two float32 copies of the image (3 channels,
# 24 bytes a pixel); 52 steps at 512 px (bf16) held 232 MB more than 2 steps did: 27
# bytes a pixel for each of the 49 pairs more. The measuring runs held one pair already.
HISTORY_PAIRS = HISTORY
HISTORY_BYTES_PER_PAIR_PIXEL = 27
# On a GPU the fixed part is the weights, cuDNN's workspace and the caching allocator's
# slack (the CUDA context is already out of the free memory torch reports). Not measured
# here (no GPU): the activations cost what they cost on the CPU.
GPU_FIXED_BYTES = 768 * 2**20

# Refuse only when the estimate is more than 10% over what is available; propose a size
# whose estimate leaves 10% to spare.
REFUSE_ABOVE = 1.10
PROPOSE_BELOW = 0.90
# A process's address space grows by more than its resident memory (thread stacks, malloc
# arenas): under an address-space limit (ulimit -v) keep this much of it aside.
ADDRESS_SPACE_SLACK = 256 * 2**20
# Set to "off" to skip the refusal (the estimate is still shown by --dry-run).
GUARD_VARIABLE = "FRAMESTYLE_MEMORY_GUARD"


def _layer_units(last: str) -> float:
    """Activation channels per output pixel up to ``last`` (a conv and its relu each keep
    one tensor; each block works at a quarter of the previous block's pixels)."""
    units = 0.0
    for name in VGG_LAYERS[: VGG_LAYERS.index(last) + 1]:
        block = int(name[4])
        units += (64, 128, 256, 512, 512)[block - 1] / 4 ** (block - 1)
    return units


_MEASURED_UNITS = _layer_units("relu5_1")  # the default layers, as measured


def last_layer(config: StyleConfig) -> str:
    """Where the network is cut: the last layer the losses use."""
    return max({*config.content_layers, *config.style_layers}, key=VGG_LAYERS.index)


def estimate_peak(
    picture: tuple[int, int],
    styles: Sequence[tuple[int, int]],
    config: StyleConfig,
    *,
    device: str,
    bf16: bool,
    budget: int | None = None,
) -> int:
    """Peak bytes (RSS on a CPU, allocated memory on a GPU) to paint a picture of
    ``picture``'s aspect (width, height) at ``config.size`` with style images of
    ``styles``' aspects; ``budget``: the most steps one picture gets (default
    ``config.iterations``)."""
    precision = "bf16" if bf16 else "fp32"
    width, height = fit_long_side(*picture, config.size)
    ladder = scale_ladder(width, height, config.scales)
    steps = split_iterations(config.iterations if budget is None else budget, len(ladder))[-1]
    pixels = width * height  # the largest rung of the ladder: the output itself
    layers = _layer_units(last_layer(config)) / _MEASURED_UNITS
    pairs = min(HISTORY_PAIRS, max(0, steps - 1)) if config.optimizer == "lbfgs" else 0
    step = pixels * (STEP_BYTES_PER_PIXEL[precision] * layers + max(0, pairs - 1) * HISTORY_BYTES_PER_PAIR_PIXEL)
    long_side = max(16, round(max(width, height) * config.style_scale))
    style_pixels = max((math.prod(fit_long_side(w, h, long_side)) for w, h in styles), default=0)
    style = style_pixels * STYLE_BYTES_PER_PIXEL[precision] * layers
    fixed = FIXED_BYTES[precision] if device == "cpu" else GPU_FIXED_BYTES
    return int(fixed + max(step, style))


# -- what is available ----------------------------------------------------------------


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None  # "max": no limit


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_headroom() -> int | None:
    """What this process's memory cgroup (v2, or v1) still allows, if it sets a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    root = Path("/sys/fs/cgroup")
    for line in lines:
        _, controllers, path = line.split(":", 2)
        relative = path.lstrip("/")
        if controllers == "":  # v2: one hierarchy
            candidates = [(root / relative, "memory.max", "memory.current"), (root, "memory.max", "memory.current")]
        elif "memory" in controllers.split(","):
            base = root / "memory"
            v1 = ("memory.limit_in_bytes", "memory.usage_in_bytes")
            candidates = [(base / relative, *v1), (base, *v1)]
        else:
            continue
        for folder, limit_name, usage_name in candidates:
            limit, usage = _read_int(folder / limit_name), _read_int(folder / usage_name)
            # v1 reports "no limit" as a huge number (a page-rounded 2**63).
            if limit is not None and usage is not None and limit < 2**60:
                return max(0, limit - usage)
    return None


def _status_bytes(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _address_space_headroom() -> int | None:
    """What RLIMIT_AS (ulimit -v) still allows this process, if set."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, soft - (_status_bytes("VmSize") or 0) - ADDRESS_SPACE_SLACK)


def available_bytes(device: torch.device, *, this_process: bool = True) -> int:
    """The most memory a painting process could hold here: on a GPU, its free memory; on
    the CPU, the least of MemAvailable, the cgroup's limit and the address-space limit,
    plus what ``this_process`` already holds (the run continues in it)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    headrooms = [h for h in (_meminfo_available(), _cgroup_headroom(), _address_space_headroom()) if h is not None]
    if not headrooms:
        return 2**62  # nothing to go by (not Linux): never refuse
    held = (_status_bytes("VmRSS") or 0) if this_process else 0
    return min(headrooms) + held


# -- the guard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where one picture is painted, for the estimate: device, precision, and how many
    such painters share this machine's memory (local Ray workers)."""

    device: torch.device
    bf16: bool
    painters: int = 1

    @classmethod
    def of(cls, backend: Backend, painters: int = 1) -> Target | None:
        """The target of an open engine (``painters``: its Engine.painters; 0: elsewhere)."""
        return cls(backend.device, backend.autocast_dtype is not None, painters) if painters else None

    @property
    def label(self) -> str:
        return f"{self.device.type}, {'bf16' if self.bf16 else 'fp32'}"


def target_for(runtime: RuntimeConfig, ray: RayConfig | None = None) -> Target | None:
    """The target of a run not yet opened, resolved cheaply (no network, no threads set).
    None for a Ray cluster elsewhere: this machine's memory says nothing about its workers
    (they map their own out-of-memory errors to the same message)."""
    device = resolve_device(runtime.device)
    bf16 = resolve_precision(runtime.precision, device) is not None
    if ray is None:
        return Target(device, bf16)
    if ray.elsewhere:
        return None
    # A local Ray: each worker holds a network and paints one picture at a time, all of
    # them at once, in this machine's memory (on a GPU, each worker has its own share).
    if device.type == "cuda":
        share = ray.gpus_per_worker or 1.0
        return Target(device, bf16, max(1, math.floor(1 / share)) if share < 1 else 1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return Target(device, bf16, ray.workers or max(1, math.floor(cores / ray.cpus_per_worker)))


@dataclass(frozen=True)
class MemoryNeed:
    """A run's estimated peak against the memory available to it."""

    size: int  # the `size` setting
    bytes: int  # all painters together
    available: int
    target: Target
    largest: int | None  # the largest `size` that fits well, None if even the smallest does not

    @property
    def where(self) -> str:
        return "GPU memory" if self.target.device.type == "cuda" else "RAM"

    @property
    def fits(self) -> bool:
        return self.bytes <= self.available * REFUSE_ABOVE

    def describe(self) -> str:
        """``about 2.1 GB at its peak (cpu, bf16), 19.0 GB RAM available``"""
        painters = f" for {self.target.painters} workers" if self.target.painters > 1 else ""
        return (
            f"about {format_bytes(self.bytes)} at its peak{painters} ({self.target.label}), "
            f"{format_bytes(self.available)} {self.where} available"
        )

    def message(self) -> str:
        """The one-line refusal, settings in backticks."""
        painters = f" ({self.target.painters} Ray workers at once)" if self.target.painters > 1 else ""
        if self.largest is None:
            advice = "not even the smallest size fits; close other programs or use another machine"
        else:
            advice = f"the largest size that fits is about `size={self.largest}`"
        return (
            f"`size={self.size}` needs about {format_bytes(self.bytes)} of {self.where}{painters} "
            f"but {format_bytes(self.available)} is available; {advice}"
        )


def memory_need(
    picture: tuple[int, int],
    styles: Sequence[tuple[int, int]],
    config: StyleConfig,
    target: Target,
    *,
    budget: int | None = None,
    available: int | None = None,
) -> MemoryNeed:
    """Estimate a run painting pictures of ``picture``'s aspect (see estimate_peak) on
    ``target``, against ``available`` bytes (default: what this machine has now)."""
    if available is None:
        available = available_bytes(target.device, this_process=target.painters == 1)

    def need(size: int) -> int:
        one = estimate_peak(
            picture, styles, _with_size(config, size), device=target.device.type, bf16=target.bf16, budget=budget
        )
        return one * target.painters

    return MemoryNeed(config.size, need(config.size), available, target, _largest(need, available * PROPOSE_BELOW))


def _with_size(config: StyleConfig, size: int) -> StyleConfig:
    return dataclasses.replace(config, size=size)


def _largest(need: Callable[[int], int], budget: float) -> int | None:
    """The largest `size` whose need is within ``budget``, rounded down to a multiple of 16."""
    low, high = MIN_VGG_SIDE, MIN_VGG_SIDE
    if need(low) > budget:
        return None
    while need(high * 2) <= budget and high < 2**20:
        high *= 2
    high *= 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if need(mid) <= budget else (low, mid)
    return max(MIN_VGG_SIDE, low - low % 16)


def guard(
    picture: tuple[int, int],
    styles: Sequence[tuple[int, int]],
    config: StyleConfig,
    target: Target | None,
    *,
    budget: int | None = None,
) -> MemoryNeed | None:
    """memory_need, then check_memory; nothing without a target (a cluster elsewhere)."""
    if target is None:
        return None
    need = memory_need(picture, styles, config, target, budget=budget)
    check_memory(need)
    return need


def check_memory(need: MemoryNeed) -> None:
    """Refuse, in one line, a run the memory cannot hold (unless the guard is turned off)."""
    if not need.fits and os.environ.get(GUARD_VARIABLE, "").lower() != "off":
        raise OutOfMemory(need.message())


def style_shapes(paths: Sequence[Path], config: StyleConfig) -> list[tuple[int, int]]:
    """(width, height) of each style image as the run loads it (shrunk as load_styles does)."""
    shapes = []
    for path in paths:
        rgb = read_image(path, what="style image", max_side=style_side_limit(config))
        shapes.append((rgb.shape[1], rgb.shape[0]))
    return shapes


# -- out of memory during a run -------------------------------------------------------


def is_out_of_memory(err: BaseException) -> bool:
    """torch's CUDA and CPU allocators' failures, and Python's own."""
    if isinstance(err, MemoryError):
        return True
    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    if isinstance(err, oom):
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and (
        "DefaultCPUAllocator: can't allocate memory" in text or "CUDA out of memory" in text
    )


def out_of_memory_error(
    picture: tuple[int, int], styles: Sequence[tuple[int, int]], config: StyleConfig, backend: Backend
) -> OutOfMemory:
    """The one-line error for a run that ran out of memory at ``config.size``, naming the
    largest size the model says fits in what is free now (the failed run's memory freed)."""
    target = Target(backend.device, backend.autocast_dtype is not None)
    if target.device.type == "cuda":
        torch.cuda.empty_cache()  # the failed step's blocks, cached by torch, are free again
    need = memory_need(picture, styles, config, target)
    if need.largest is None:
        advice = "not even the smallest size fits"
    elif need.largest < config.size:
        advice = f"the largest size that fits is about `size={need.largest}`"
    else:  # the model thought it fits: something else took the memory meanwhile
        advice = f"try a smaller `size` (other programs may be using {need.where})"
    return OutOfMemory(
        f"ran out of {need.where} at `size={config.size}` ({format_bytes(need.available)} available now); {advice}"
    )
