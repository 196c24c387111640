"""The objective an image is optimized against: typed terms, each a weighted loss.

Gatys et al. (2016) sum a content term and style terms; we add total variation and,
for video, Ruder et al.'s (2016) temporal term. A term reads the network's features
at one layer, or the image itself; new terms (e.g. long-term temporal ones) are new
``Term`` values, never new string keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .config import VGG_LAYERS
from .losses import ContentLoss, StyleLoss, TemporalLoss, TotalVariationLoss
from .tensors import resize

TermKind = Literal["content", "style", "tv", "temporal"]
FeatureFn = Callable[[torch.Tensor, Sequence[str]], dict[str, torch.Tensor]]
"""The network: an image (1x3xHxW, RGB [0, 1]) to its features at the named layers."""


@dataclass(frozen=True, eq=False)
class Term:
    """``weight * loss(x)``, where x is the features at ``layer``, or the image when None."""

    kind: TermKind
    weight: float
    loss: nn.Module
    layer: str | None = None

    def __repr__(self) -> str:
        where = f" at {self.layer}" if self.layer else ""
        return f"{self.kind}{where} x {self.weight:g}"


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the objective: the total to minimize and each weighted term."""

    total: torch.Tensor
    parts: tuple[torch.Tensor, ...]  # detached, in the order of Objective.terms


class Objective:
    """A sum of terms over one network pass; knows which layers it needs."""

    def __init__(self, terms: Iterable[Term], features: FeatureFn) -> None:
        self.terms = tuple(terms)
        if not self.terms:
            raise ValueError("an objective needs at least one term")
        self.features = features
        self.layers = sorted({t.layer for t in self.terms if t.layer is not None}, key=VGG_LAYERS.index)

    def __repr__(self) -> str:
        return "Objective(" + " + ".join(map(repr, self.terms)) + ")"

    def __call__(self, image: torch.Tensor) -> Evaluation:
        feats = self.features(image, self.layers)
        total: torch.Tensor | None = None
        parts = []
        for term in self.terms:
            value = term.loss(feats[term.layer] if term.layer is not None else image)
            part = value * term.weight
            total = part if total is None else total + part
            parts.append(part.detach())
        assert total is not None  # __init__ refuses an empty objective
        return Evaluation(total, tuple(parts))

    def by_kind(self, evaluation: Evaluation) -> dict[str, float]:
        """Per-kind totals (content, style, tv, temporal) as floats, plus "total".

        One host transfer for all of them: on a GPU each float() would wait for the device."""
        scalars = [p.float().reshape(()) for p in (*evaluation.parts, evaluation.total.detach())]
        *values, total = torch.stack(scalars).tolist()
        out: dict[str, float] = {}
        for term, value in zip(self.terms, values):
            out[term.kind] = out.get(term.kind, 0.0) + value
        out["total"] = total
        return out


# -- the terms ----------------------------------------------------------------------------


def content_terms(features: Mapping[str, torch.Tensor], weight: float) -> list[Term]:
    """Feature reconstruction (Gatys et al.) at each layer of ``features``, sharing ``weight``."""
    share = weight / len(features)
    return [Term("content", share, ContentLoss(target), layer) for layer, target in features.items()]


def style_terms(losses: Mapping[str, StyleLoss], weight: float, layer_weights: Mapping[str, float]) -> list[Term]:
    """Gram matching at each style layer; ``layer_weights`` are relative (normalized to sum 1)."""
    norm = sum(layer_weights.values()) or 1.0
    return [Term("style", weight * layer_weights[layer] / norm, loss, layer) for layer, loss in losses.items()]


def tv_terms(weight: float) -> list[Term]:
    return [Term("tv", weight, TotalVariationLoss())] if weight > 0 else []


def temporal_terms(
    warped_previous: torch.Tensor, certainty: torch.Tensor, weight: float, size: tuple[int, int]
) -> list[Term]:
    """Ruder et al.'s short-term term: the warped previous output where the flow is trusted
    (``certainty``, 1xHxW), both brought to ``size`` (width, height)."""
    if weight <= 0:
        return []
    w, h = size
    mask = F.interpolate(certainty.unsqueeze(1).float(), size=(h, w), mode="bilinear", align_corners=False)
    return [Term("temporal", weight, TemporalLoss(resize(warped_previous, size), mask[:, 0]))]
