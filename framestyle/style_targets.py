"""Style targets: the style images' Gram matrices, per output size, and the colour reference.

Grams depend only on the output size (the style image is scaled with it), so they are
computed once per size and reused for every frame of a video or picture of a folder.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch

from . import color
from .config import StyleConfig
from .losses import StyleLoss, gram_matrix
from .objective import FeatureFn
from .tensors import fit_long_side, resize

CACHED_SIZES = 16  # a folder of many aspect ratios must not grow the cache without bound (~3 MB each)


class StyleTargets:
    def __init__(self, styles: Sequence[torch.Tensor], config: StyleConfig, features: FeatureFn) -> None:
        self.styles = list(styles)
        self.config = config
        self.features = features
        self.blend = list(config.style_blend) or [1.0] * len(self.styles)
        self._cache: OrderedDict[tuple[int, int], dict[str, StyleLoss]] = OrderedDict()
        self._color_reference: torch.Tensor | None = None

    def pin_color_reference(self, content: torch.Tensor) -> None:
        """Pin the picture style luminance is matched to (preserve_color), e.g. a clip's
        first frame, so every frame, and workers that start mid-clip, share one set of
        style targets. Unpinned, each picture is matched to itself."""
        self._color_reference = content
        self._cache.clear()  # targets made for another reference

    def losses(self, size: tuple[int, int], picture: torch.Tensor | None = None) -> dict[str, StyleLoss]:
        """Style losses for an output of ``size`` (width, height). With preserve_color and
        no pinned reference, the style's luminance is matched to ``picture`` (the one being
        painted) and nothing is cached."""
        if self.config.preserve_color and self._color_reference is None:
            return self._make(size, picture)
        if size in self._cache:
            self._cache.move_to_end(size)
        else:
            self._cache[size] = self._make(size, self._color_reference)
            while len(self._cache) > CACHED_SIZES:
                self._cache.popitem(last=False)
        return self._cache[size]

    def _make(self, size: tuple[int, int], reference: torch.Tensor | None) -> dict[str, StyleLoss]:
        long_side = max(16, round(max(size) * self.config.style_scale))
        layers = self.config.style_layers
        grams: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}
        with torch.no_grad():
            for style in self.styles:
                h, w = style.shape[-2:]
                style = resize(style, fit_long_side(w, h, long_side))
                if self.config.preserve_color and reference is not None:
                    style = color.match_luminance(style, reference)
                for layer, feats in self.features(style, layers).items():
                    grams[layer].append(gram_matrix(feats))
        return {layer: StyleLoss(g, self.blend).to(self.styles[0].device) for layer, g in grams.items()}
