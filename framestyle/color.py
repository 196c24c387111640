"""Colour handling: luminance-only style transfer (Gatys et al. 2016, "Preserving color in
neural artistic style transfer": stylize the Y channel of YIQ, keep the content's I and
Q), and a start image in the style's colours (``match_colors``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]])
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _apply(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", matrix.to(image.device, image.dtype), image)


def rgb_to_yiq(rgb: torch.Tensor) -> torch.Tensor:
    return _apply(_RGB_TO_YIQ, rgb)


def yiq_to_rgb(yiq: torch.Tensor) -> torch.Tensor:
    return _apply(_YIQ_TO_RGB, yiq)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """The Y channel repeated three times, so the network sees a gray RGB picture."""
    return rgb_to_yiq(rgb)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_rgb: torch.Tensor, content_rgb: torch.Tensor) -> torch.Tensor:
    """The style's luminance, shifted and scaled to the content's mean and spread.

    The paper matches luminance histograms this way so that the style's overall
    brightness does not leak into the result.
    """
    ys = rgb_to_yiq(style_rgb)[:, :1]
    yc = rgb_to_yiq(content_rgb)[:, :1]
    matched = (ys - ys.mean()) / ys.std().clamp_min(1e-6) * yc.std() + yc.mean()
    return matched.clamp(0.0, 1.0).expand(-1, 3, -1, -1).contiguous()


def recombine(stylized_luminance: torch.Tensor, content_rgb: torch.Tensor) -> torch.Tensor:
    """Y from the stylized gray image, I and Q from the content."""
    y = stylized_luminance.mean(dim=1, keepdim=True)
    iq = rgb_to_yiq(content_rgb)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1)).clamp(0.0, 1.0)


# The content's colour spread is floored at this variance per principal direction (a
# standard deviation of 8 of 255 levels), so a flat or dim frame's noise is not blown up
# to the style's contrast.
_MIN_VARIANCE = 1e-3


def _moments(pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (3x1) and covariance (3x3) of 3xN colours."""
    mean = pixels.mean(dim=1, keepdim=True)
    centred = pixels - mean
    return mean, centred @ centred.T / max(pixels.shape[1] - 1, 1)


def _matrix_power(symmetric: torch.Tensor, power: float, floor: float = 0.0) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(symmetric)
    return vectors @ torch.diag(values.clamp_min(max(floor, 1e-12)) ** power) @ vectors.T


def match_colors(
    content_rgb: torch.Tensor, styles_rgb: Sequence[torch.Tensor], weights: Sequence[float]
) -> torch.Tensor:
    """The content (1x3xHxW) with the styles' colour mean and covariance (the weighted
    mixture of ``styles_rgb``): x' = S^1/2 C^-1/2 (x - mu_c) + mu_s.

    This is the linear colour transfer Gatys et al. (2017, "Controlling perceptual factors
    in neural style transfer", section 5) apply to the style to keep the content's colours;
    here it goes the other way, to give the optimization a start already in the style's
    palette. The symmetric square roots, not Cholesky factors, so the result does not
    depend on the order of the channels."""
    device = content_rgb.device
    pixels = content_rgb.reshape(3, -1).double()
    total = float(sum(weights))
    mean_s = torch.zeros(3, 1, dtype=torch.float64, device=device)
    second = torch.zeros(3, 3, dtype=torch.float64, device=device)
    for style, weight in zip(styles_rgb, weights):
        mean, cov = _moments(style.to(device).reshape(3, -1).double())
        mean_s += weight / total * mean
        second += weight / total * (cov + mean @ mean.T)
    cov_s = second - mean_s @ mean_s.T
    mean_c, cov_c = _moments(pixels)
    transform = _matrix_power(cov_s, 0.5) @ _matrix_power(cov_c, -0.5, floor=_MIN_VARIANCE)
    matched = transform @ (pixels - mean_c) + mean_s
    return matched.reshape(content_rgb.shape).to(content_rgb.dtype).clamp(0.0, 1.0)
