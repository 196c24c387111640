"""Stylizer: the small front that paints one picture (Gatys et al. 2016).

It composes the network, the style targets, the objective and the optimization loop,
with coarse-to-fine scales, early stopping, colour preservation and an optional
temporal target (Ruder et al. 2016). No printing, no files: progress goes to a Reporter.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from . import color
from .backend import Backend, resolve_backend
from .config import START_IMAGES, VGG_LAYERS, RuntimeConfig, StyleConfig
from .errors import ConfigError
from .events import SILENT, IterationEvent, Reporter
from .model import VGG19Features, load_vgg19
from .objective import Objective, content_terms, style_terms, temporal_terms, tv_terms
from .optimize import Position, StepRule, optimize_image
from .style_targets import StyleTargets
from .tensors import check_vgg_size, resize, scale_ladder, split_iterations


@dataclass(frozen=True)
class TemporalTarget:
    """What the temporal loss pulls towards: the previous output warped into this frame."""

    warped_previous: torch.Tensor  # 1x3xHxW, RGB [0, 1]
    certainty: torch.Tensor  # 1xHxW in [0, 1]: 0 where the flow is not trusted
    weight: float


@dataclass(frozen=True)
class StylizeResult:
    image: torch.Tensor  # 1x3xHxW, RGB [0, 1], on the stylizer's device
    iterations: int
    loss: float
    losses: dict[str, float]
    seconds: float
    stopped_early: bool


class Stylizer:
    """The network and the style targets, ready to paint many pictures.

    ``backend`` is resolved once by the caller (an engine); without one, ``runtime``
    is resolved here, which also sets this process's torch threads.
    """

    def __init__(
        self,
        styles: Sequence[torch.Tensor],
        *,
        config: StyleConfig,
        runtime: RuntimeConfig = RuntimeConfig(),
        backend: Backend | None = None,
        model: VGG19Features | None = None,
    ) -> None:
        if not styles:
            raise ConfigError("at least one style image is needed")
        if config.style_blend and len(config.style_blend) != len(styles):
            raise ConfigError(f"style_blend has {len(config.style_blend)} weights for {len(styles)} style images")
        self.config = config
        self.backend = backend if backend is not None else resolve_backend(runtime)
        self.device = self.backend.device
        last = max({*config.content_layers, *config.style_layers}, key=VGG_LAYERS.index)
        self.model = (
            model
            if model is not None
            else load_vgg19(runtime.weights or None, pooling=config.pooling, last_layer=last, device=self.device)
        )
        self.targets = StyleTargets([s.to(self.device) for s in styles], config, self.features)
        self.style_layer_weights = dict(
            zip(config.style_layers, config.style_layer_weights or [1.0] * len(config.style_layers))
        )

    def set_color_reference(self, content: torch.Tensor) -> None:
        """See StyleTargets.pin_color_reference."""
        self.targets.pin_color_reference(content.to(self.device))

    def features(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        # Features stay in the network's precision: the Gram products run in it too, and
        # every loss widens its result to float32 (losses.py).
        with self.backend.autocast():
            return self.model(image, layers)

    def objective(
        self, content: torch.Tensor, temporal: TemporalTarget | None, color_reference: torch.Tensor
    ) -> Objective:
        """The objective for painting ``content`` at its own size."""
        cfg = self.config
        size = (content.shape[-1], content.shape[-2])
        with torch.no_grad():
            feats = self.features(content, cfg.content_layers)
        terms = content_terms({layer: feats[layer] for layer in cfg.content_layers}, cfg.content_weight)
        style = self.targets.losses(size, color_reference)
        terms += style_terms(style, cfg.style_weight, self.style_layer_weights)
        terms += tv_terms(cfg.tv_weight)
        if temporal is not None:
            warped, certainty = temporal.warped_previous.to(self.device), temporal.certainty.to(self.device)
            terms += temporal_terms(warped, certainty, temporal.weight, size)
        return Objective(terms, self.features)

    def losses_of(self, content: torch.Tensor, image: torch.Tensor) -> dict[str, float]:
        """How well ``image`` paints ``content``: the objective's per-kind values (content,
        style, tv; no temporal term), at the image's size, for judging results."""
        content = content.to(self.device)
        with torch.no_grad():
            objective = self.objective(resize(content, (image.shape[-1], image.shape[-2])), None, content)
            return objective.by_kind(objective(image.to(self.device)))

    def start_image(self, content: torch.Tensor) -> torch.Tensor:
        """The configured start: the content, the content in the style's colours, or seeded noise."""
        if self.config.init == "noise":
            generator = torch.Generator().manual_seed(self.config.seed)
            return torch.rand(content.shape, generator=generator).to(self.device)
        if self.config.init == "style-colors" and not self.config.preserve_color:
            # With preserve_color the style is matched to the content instead (and the
            # content here is its luminance), so the content is already the right start.
            return color.match_colors(content, self.targets.styles, self.targets.blend)
        if self.config.init in START_IMAGES:
            return content
        raise ConfigError(
            "init names an image file: read it and pass it as init= (or use 'content', 'style-colors' or 'noise')"
        )

    def stylize(
        self,
        content: torch.Tensor,
        *,
        init: torch.Tensor | None = None,
        temporal: TemporalTarget | None = None,
        iterations: int | None = None,
        scales: int | None = None,
        reporter: Reporter = SILENT,
        warm_start: bool = False,
    ) -> StylizeResult:
        """Stylize one content image (1x3xHxW, RGB [0, 1]) at its own size.

        ``init`` overrides the configured start (the previous frame in a video);
        ``iterations`` and ``scales`` override the configured budget and ladder;
        ``warm_start`` says ``init`` is already painted (see ``optimize.make_optimizer``).
        """
        cfg = self.config
        position = Position(started=time.perf_counter())
        content = content.to(self.device)
        height, width = content.shape[-2:]
        check_vgg_size(width, height)
        original = content
        if cfg.preserve_color:
            # Gatys et al. 2016, "Preserving color": paint the luminance, keep the chroma.
            content = color.luminance(content)
            init = None if init is None else color.luminance(init.to(self.device))
            if temporal is not None:
                gray = color.luminance(temporal.warped_previous.to(self.device))
                temporal = dataclasses.replace(temporal, warped_previous=gray)
            reporter = _InContentColors(reporter, original)
        image = init.to(self.device) if init is not None else self.start_image(content)

        total = iterations if iterations is not None else cfg.iterations
        ladder = scale_ladder(width, height, scales if scales is not None else cfg.scales)
        rule = StepRule.of(cfg)
        done, loss, losses, early = 0, float("nan"), {}, False
        for scale, (size, budget) in enumerate(zip(ladder, split_iterations(total, len(ladder)))):
            scaled = resize(content, size)
            position = dataclasses.replace(position, scale=scale, scales=len(ladder), done_before=done, total=total)
            outcome = optimize_image(
                resize(image.detach().clamp(0, 1), size),
                self.objective(scaled, temporal, original),
                budget=budget,
                rule=rule,
                position=position,
                reporter=reporter,
                warm_start=warm_start,
            )
            image, done = outcome.image, done + outcome.steps
            loss, losses, early = outcome.loss, outcome.losses, outcome.stopped_early
        result = image.detach().clamp(0.0, 1.0)
        if cfg.preserve_color:
            result = color.recombine(result, original)
        return StylizeResult(result, done, loss, losses, time.perf_counter() - position.started, early)


class _InContentColors(Reporter):
    """Shows luminance-only iterates in the content's colors, as the final result will be."""

    def __init__(self, inner: Reporter, content: torch.Tensor) -> None:
        self.inner = inner
        self.content = content

    def iteration(self, event: IterationEvent) -> None:
        colored = color.recombine(event.image, resize(self.content, (event.width, event.height)))
        self.inner.iteration(dataclasses.replace(event, image=colored))
