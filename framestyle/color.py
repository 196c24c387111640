"""Luminance-only style transfer (Gatys et al. 2016, "Preserving color in neural
artistic style transfer"): stylize the Y channel of YIQ, keep the content's I and Q.
"""

from __future__ import annotations

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
