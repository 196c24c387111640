"""Loss terms: a typed function for the arithmetic, a small module holding its target.

Deviation from Gatys et al. (2016): each content and style term is divided by the
mean square of its target. The raw terms differ by orders of magnitude between
layers (relu1_1 vs relu5_1 activations of the Caffe VGG) and between paintings;
normalized, every layer starts near 1, the per-layer weights mean what they say, and
one style weight suits most paintings and sizes.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn


class _Gram(torch.autograd.Function):
    """F F^T with a backward that uses the symmetry: one matrix product, not two.

    The products run in the features' own dtype (bfloat16 under autocast is several
    times faster than float32 on CPUs with bf16 units) and accumulate in float32 inside
    the kernel; only the result is rounded, then widened for the loss."""

    @staticmethod
    def forward(ctx: Any, f: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(f)
        return torch.bmm(f, f.transpose(1, 2)).to(torch.promote_types(f.dtype, torch.float32))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (f,) = ctx.saved_tensors
        return torch.bmm((grad + grad.transpose(1, 2)).to(f.dtype), f)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel co-activations averaged over positions: (N, C, H, W) -> (N, C, C), float32.

    Dividing by H*W (Gatys et al.'s M_l) makes Grams of different image sizes comparable.

    >>> gram_matrix(torch.ones(1, 2, 3, 3))
    tensor([[[1., 1.],
             [1., 1.]]])
    """
    if features.ndim != 4:
        raise ValueError(f"expected NCHW features, got shape {tuple(features.shape)}")
    n, c, h, w = features.shape
    return _Gram.apply(features.reshape(n, c, h * w)) / (h * w)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels, per image: (N, C, H, W) -> (N,).

    Squared (not absolute) differences keep the objective smooth for L-BFGS.

    >>> total_variation(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]]))
    tensor([0.5000])
    """
    if image.ndim != 4:
        raise ValueError(f"expected NCHW image, got shape {tuple(image.shape)}")
    dx = (image[..., :, 1:] - image[..., :, :-1]).pow(2).flatten(1).sum(1)
    dy = (image[..., 1:, :] - image[..., :-1, :]).pow(2).flatten(1).sum(1)
    n = image[0].numel()
    return (dx + dy) / n


def normalized_mse(x: torch.Tensor, target: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Mean squared error divided by ``scale`` (the target's mean square)."""
    return (x.float() - target).pow(2).mean() / scale


def masked_mse(x: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over all pixels of ``mask * (x - target)^2``; the mask is 1xHxW or NxHxW."""
    return (mask.unsqueeze(1) * (x - target).pow(2)).mean()


def _mean_square(t: torch.Tensor) -> torch.Tensor:
    # A floor keeps an all-black target (relu that never fires) from dividing by zero.
    return t.float().pow(2).mean().clamp_min(1e-8)


class ContentLoss(nn.Module):
    """Feature reconstruction at one layer (Gatys et al., content loss)."""

    target: torch.Tensor
    scale: torch.Tensor

    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target.detach().float())
        self.register_buffer("scale", _mean_square(target.detach()))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return normalized_mse(features, self.target, self.scale)


class StyleLoss(nn.Module):
    """Gram-matrix match at one layer, against a blend of several styles' Grams."""

    target: torch.Tensor
    scale: torch.Tensor

    def __init__(self, target_grams: Sequence[torch.Tensor], blend: Sequence[float]) -> None:
        super().__init__()
        total = float(sum(blend))
        # Summed left to right, as sum() would, without its integer start.
        target = functools.reduce(operator.add, [w / total * g.detach().float() for w, g in zip(blend, target_grams)])
        self.register_buffer("target", target)
        self.register_buffer("scale", _mean_square(target))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return normalized_mse(gram_matrix(features), self.target, self.scale)


class TotalVariationLoss(nn.Module):
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return total_variation(image).mean()


class TemporalLoss(nn.Module):
    """Ruder et al. (2016): stay close to the warped previous output where the flow is trusted."""

    target: torch.Tensor
    mask: torch.Tensor

    def __init__(self, warped_previous: torch.Tensor, certainty: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", warped_previous.detach().float())
        self.register_buffer("mask", certainty.detach().float())

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return masked_mse(image, self.target, self.mask)


def weighted_sum(terms: Mapping[str, torch.Tensor], weights: Mapping[str, float]) -> torch.Tensor:
    """Sum of ``weights[name] * terms[name]``; names without a weight count once."""
    total = None
    for name, value in terms.items():
        part = value * weights.get(name, 1.0)
        total = part if total is None else total + part
    if total is None:
        raise ValueError("no loss terms")
    return total
