"""The optimization: an image pushed to match one picture's content and others' style.

Gatys et al. (2016), "Image style transfer using convolutional neural networks", with
coarse-to-fine scales, early stopping and an optional temporal term (Ruder et al. 2016).
No printing, no files: progress goes to a callback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from . import color
from .config import VGG_LAYERS, RuntimeConfig, StyleConfig
from .errors import ConfigError
from .events import IterationCallback, IterationEvent
from .losses import (
    ContentLoss,
    StyleLoss,
    TemporalLoss,
    TotalVariationLoss,
    gram_matrix,
    weighted_sum,
)
from .model import VGG19Features, load_vgg19
from .tensors import (
    check_vgg_size,
    fit_long_side,
    resize,
    scale_ladder,
    split_iterations,
)

STYLE_CACHE_SIZES = 16


@dataclass(frozen=True)
class TemporalTarget:
    """What the temporal loss pulls towards: the previous output warped into this frame."""

    warped_previous: torch.Tensor  # 1x3xHxW, RGB [0, 1]
    certainty: torch.Tensor  # 1xHxW in [0, 1]: 0 where the flow is not trusted
    weight: float


@dataclass(frozen=True)
class Backend:
    """Where a stylizer runs, as far as it changes the pixels (for manifests)."""

    device: str  # "cpu" or "cuda"
    precision: str  # "fp32" or an autocast dtype such as "torch.bfloat16"


@dataclass(frozen=True)
class StylizeResult:
    image: torch.Tensor  # 1x3xHxW, RGB [0, 1], on the stylizer's device
    iterations: int
    loss: float
    losses: dict[str, float]
    seconds: float
    stopped_early: bool


def resolve_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' asked for, but no CUDA GPU is available")
        return torch.device("cuda")
    return torch.device("cpu")


def cpu_has_fast_bf16() -> bool:
    """True where oneDNN runs bfloat16 convolutions natively (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(choice: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if choice == "fp32":
        return None
    if choice == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if cpu_has_fast_bf16() else None


def configure_threads(threads: int) -> int:
    """Use every core this process may run on (torch defaults to physical cores only)."""
    if threads <= 0:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(threads)
    return threads


class Stylizer:
    """The network, the style images and their Gram targets, ready for many contents.

    Style Grams depend only on the output size, so they are computed once per size and
    reused for every frame of a video or every image of a folder of that size.
    """

    def __init__(
        self,
        styles: Sequence[torch.Tensor],
        *,
        config: StyleConfig,
        runtime: RuntimeConfig = RuntimeConfig(),
        model: VGG19Features | None = None,
    ) -> None:
        if not styles:
            raise ConfigError("at least one style image is needed")
        if config.style_blend and len(config.style_blend) != len(styles):
            raise ConfigError(
                f"style_blend has {len(config.style_blend)} weights for {len(styles)} style images"
            )
        self.config = config
        self.device = resolve_device(runtime.device)
        self.autocast_dtype = resolve_precision(runtime.precision, self.device)
        self.threads = configure_threads(runtime.threads)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        layers = set(config.content_layers) | set(config.style_layers)
        last = max(layers, key=VGG_LAYERS.index)
        self.model = model if model is not None else load_vgg19(
            runtime.weights or None, pooling=config.pooling, last_layer=last, device=self.device
        )
        self.styles = [s.to(self.device) for s in styles]
        self.blend = list(config.style_blend) or [1.0] * len(styles)
        self.style_layer_weights = dict(
            zip(config.style_layers, config.style_layer_weights or [1.0] * len(config.style_layers))
        )
        self._style_losses: OrderedDict[tuple[int, int], dict[str, StyleLoss]] = OrderedDict()
        self._color_reference: torch.Tensor | None = None

    @property
    def backend(self) -> Backend:
        return Backend(self.device.type, str(self.autocast_dtype or "fp32"))

    def set_color_reference(self, content: torch.Tensor) -> None:
        """Pin the picture style luminance is matched to (preserve_color), e.g. a clip's
        first frame, so every frame, and workers that start mid-clip, share one set of
        style targets. Unpinned, each picture is matched to itself."""
        self._color_reference = content.to(self.device)
        self._style_losses.clear()  # targets made for another reference

    # -- features -------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def features(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        # Features stay in the network's precision: the Gram products run in it too, and
        # every loss widens its result to float32 (losses.py).
        with self._autocast():
            return self.model(image, layers)

    def style_losses(self, size: tuple[int, int], reference: torch.Tensor | None = None) -> dict[str, StyleLoss]:
        """Style terms for an output of ``size`` (width, height). With preserve_color and no
        pinned reference, the style's luminance is matched to ``reference`` (the picture
        being painted) and the terms are not kept; otherwise they are computed once per size."""
        if self.config.preserve_color and self._color_reference is None:
            return self._make_style_losses(size, reference)
        if size in self._style_losses:
            self._style_losses.move_to_end(size)
        else:
            self._style_losses[size] = self._make_style_losses(size, self._color_reference)
            # A folder of many aspect ratios must not grow this without bound (~3 MB each).
            while len(self._style_losses) > STYLE_CACHE_SIZES:
                self._style_losses.popitem(last=False)
        return self._style_losses[size]

    def _make_style_losses(self, size: tuple[int, int], reference: torch.Tensor | None) -> dict[str, StyleLoss]:
        long_side = max(16, round(max(size) * self.config.style_scale))
        grams: dict[str, list[torch.Tensor]] = {layer: [] for layer in self.config.style_layers}
        with torch.no_grad():
            for style in self.styles:
                h, w = style.shape[-2:]
                style = resize(style, fit_long_side(w, h, long_side))
                if self.config.preserve_color and reference is not None:
                    style = color.match_luminance(style, reference)
                for layer, feats in self.features(style, self.config.style_layers).items():
                    grams[layer].append(gram_matrix(feats))
        return {layer: StyleLoss(g, self.blend).to(self.device) for layer, g in grams.items()}

    # -- optimization ---------------------------------------------------------

    def stylize(
        self,
        content: torch.Tensor,
        *,
        init: torch.Tensor | None = None,
        temporal: TemporalTarget | None = None,
        iterations: int | None = None,
        on_iteration: IterationCallback | None = None,
    ) -> StylizeResult:
        """Stylize one content image (1x3xHxW, RGB [0, 1]) at its own size.

        ``init`` overrides the configured start (the previous frame in a video);
        ``iterations`` overrides the configured budget.
        """
        cfg = self.config
        start = time.perf_counter()
        content = content.to(self.device)
        height, width = content.shape[-2:]
        check_vgg_size(width, height)
        original_content = content
        if cfg.preserve_color:
            content = color.luminance(content)
            if init is not None:
                init = color.luminance(init.to(self.device))
            if temporal is not None:
                temporal = TemporalTarget(
                    color.luminance(temporal.warped_previous.to(self.device)),
                    temporal.certainty,
                    temporal.weight,
                )

        if init is None:
            if cfg.init == "noise":
                generator = torch.Generator().manual_seed(cfg.seed)
                init = torch.rand(content.shape, generator=generator).to(self.device)
            elif cfg.init == "content":
                init = content
            else:
                raise ValueError("an init image path must be read by the caller and passed as init=")

        if cfg.preserve_color and on_iteration is not None:
            on_iteration = _in_content_colors(on_iteration, original_content)

        total = iterations if iterations is not None else cfg.iterations
        ladder = scale_ladder(width, height, cfg.scales)
        budgets = split_iterations(total, len(ladder))
        image = init.to(self.device)
        done, loss_value, terms_values, stopped_early = 0, float("nan"), {}, False
        for scale, (size, budget) in enumerate(zip(ladder, budgets)):
            image, steps, loss_value, terms_values, early = self._optimize_scale(
                content=resize(content, size),
                init=resize(image.detach().clamp(0, 1), size),
                temporal=temporal,
                color_reference=original_content,
                budget=budget,
                scale=scale,
                scales=len(ladder),
                done_before=done,
                total=total,
                start=start,
                on_iteration=on_iteration,
            )
            done += steps
            stopped_early = early
        result = image.detach().clamp(0.0, 1.0)
        if cfg.preserve_color:
            result = color.recombine(result, original_content)
        return StylizeResult(
            image=result,
            iterations=done,
            loss=loss_value,
            losses={k: v for k, v in terms_values.items() if k != "total"},
            seconds=time.perf_counter() - start,
            stopped_early=stopped_early,
        )

    def _loss_terms(
        self,
        content: torch.Tensor,
        size: tuple[int, int],
        temporal: TemporalTarget | None,
        color_reference: torch.Tensor,
    ):
        cfg = self.config
        with torch.no_grad():
            content_feats = self.features(content, cfg.content_layers)
        modules: dict[str, nn.Module] = {
            f"content:{layer}": ContentLoss(content_feats[layer]) for layer in cfg.content_layers
        }
        weights = {f"content:{layer}": cfg.content_weight / len(cfg.content_layers) for layer in cfg.content_layers}
        layer_weight_sum = sum(self.style_layer_weights.values()) or 1.0
        for layer, module in self.style_losses(size, color_reference).items():
            modules[f"style:{layer}"] = module
            weights[f"style:{layer}"] = cfg.style_weight * self.style_layer_weights[layer] / layer_weight_sum
        if cfg.tv_weight > 0:
            modules["tv"] = TotalVariationLoss()
            weights["tv"] = cfg.tv_weight
        if temporal is not None and temporal.weight > 0:
            w, h = size
            mask = temporal.certainty.to(self.device).unsqueeze(1).float()
            mask = torch.nn.functional.interpolate(mask, size=(h, w), mode="bilinear", align_corners=False)
            modules["temporal"] = TemporalLoss(resize(temporal.warped_previous.to(self.device), size), mask[:, 0])
            weights["temporal"] = temporal.weight
        return modules, weights

    def _optimize_scale(
        self,
        *,
        content: torch.Tensor,
        init: torch.Tensor,
        temporal: TemporalTarget | None,
        color_reference: torch.Tensor,
        budget: int,
        scale: int,
        scales: int,
        done_before: int,
        total: int,
        start: float,
        on_iteration: IterationCallback | None,
    ) -> tuple[torch.Tensor, int, float, dict[str, float], bool]:
        cfg = self.config
        height, width = content.shape[-2:]
        modules, weights = self._loss_terms(content, (width, height), temporal, color_reference)
        layers = sorted({name.split(":", 1)[1] for name in modules if ":" in name}, key=VGG_LAYERS.index)
        image = init.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
        if cfg.optimizer == "lbfgs":
            # One function evaluation per step, so a step is one forward+backward and the
            # progress bar moves evenly; L-BFGS keeps its history across steps.
            optimizer: torch.optim.Optimizer = torch.optim.LBFGS(
                [image], lr=1.0, max_iter=1, history_size=50, tolerance_grad=0.0, tolerance_change=0.0
            )
        else:
            optimizer = torch.optim.Adam([image], lr=cfg.learning_rate)
        last: dict[str, torch.Tensor] = {}

        def closure() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            feats = self.features(image, layers)
            terms = {}
            for name, module in modules.items():
                kind, _, layer = name.partition(":")
                terms[name] = module(feats[layer]) if layer else module(image)
            loss = weighted_sum(terms, weights)
            loss.backward()
            last.clear()
            last.update({k: (v * weights.get(k, 1.0)).detach() for k, v in terms.items()})
            last["total"] = loss.detach()
            return loss

        previous = None
        calm_steps = 0
        steps = 0
        early = False
        values: dict[str, float] = {}
        for step in range(budget):
            optimizer.step(closure)
            if cfg.optimizer == "adam":
                with torch.no_grad():
                    image.clamp_(0.0, 1.0)
            steps += 1
            values = _summarize(last)
            loss = values["total"]
            if on_iteration is not None:
                on_iteration(
                    IterationEvent(
                        iteration=done_before + steps,
                        total=total,
                        scale=scale,
                        scales=scales,
                        width=width,
                        height=height,
                        loss=loss,
                        losses={k: v for k, v in values.items() if k != "total"},
                        elapsed=time.perf_counter() - start,
                        image=image.detach(),
                    )
                )
            if not torch.isfinite(last["total"]):
                break
            if previous is not None and abs(previous - loss) <= cfg.tolerance * max(abs(loss), 1e-12):
                calm_steps += 1
                if calm_steps >= cfg.patience:
                    early = step + 1 < budget
                    break
            else:
                calm_steps = 0
            previous = loss
        return image.detach(), steps, values.get("total", float("nan")), values, early


def _in_content_colors(callback: IterationCallback, content: torch.Tensor) -> IterationCallback:
    """Show luminance-only iterates in the content's colors, as the final result will be."""

    def call(event: IterationEvent) -> None:
        colored = color.recombine(event.image, resize(content, (event.width, event.height)))
        callback(dataclasses.replace(event, image=colored))

    return call


def _summarize(terms: dict[str, torch.Tensor]) -> dict[str, float]:
    """Per-kind totals (content, style, tv, temporal) as floats, for progress and summaries."""
    out: dict[str, float] = {}
    for name, value in terms.items():
        kind = name.split(":", 1)[0]
        out[kind] = out.get(kind, 0.0) + float(value)
    return out
