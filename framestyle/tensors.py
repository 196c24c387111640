"""Pure conversions between pictures and tensors, and size arithmetic.

Pictures outside the core are ``rgb_uint8`` arrays: HxWx3, uint8, RGB.
Inside, images are float tensors 1x3xHxW, RGB, in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

MIN_SIDE = 32  # smallest side of a coarse scale: keeps a few pixels at relu5_1
# relu5_1 sits after four 2x poolings: a side under 16 pixels leaves it none.
MIN_VGG_SIDE = 16


def to_tensor(rgb_uint8: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxWx3 uint8 RGB -> 1x3xHxW float32 in [0, 1]."""
    if rgb_uint8.dtype != np.uint8 or rgb_uint8.ndim != 3 or rgb_uint8.shape[2] != 3:
        raise ValueError(f"expected HxWx3 uint8, got {rgb_uint8.shape} {rgb_uint8.dtype}")
    t = torch.from_numpy(np.ascontiguousarray(rgb_uint8)).to(device)
    return t.permute(2, 0, 1).unsqueeze(0).float().div_(255.0).contiguous()


def to_rgb_uint8(image: torch.Tensor) -> np.ndarray:
    """1x3xHxW float in [0, 1] -> HxWx3 uint8 RGB (values outside [0, 1] are clipped)."""
    x = image.detach().float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
    return x[0].permute(1, 2, 0).cpu().numpy()


def check_vgg_size(width: int, height: int, what: str = "picture") -> None:
    """Refuse sizes VGG19 cannot see, with the fix in the message."""
    from .errors import InputError

    if min(width, height) < MIN_VGG_SIDE:
        raise InputError(
            f"the {what} would be {width}x{height} pixels; VGG19 needs at least {MIN_VGG_SIDE} on each side "
            "(use a larger `size`, or crop very thin pictures)"
        )


def fit_long_side(width: float, height: float, long_side: int, *, even: bool = False) -> tuple[int, int]:
    """The (width, height) with the given long side and the same aspect ratio.

    ``width`` and ``height`` may be fractional: a display shape (pixels stretched by a
    sample aspect ratio). ``even`` makes both sides even, as H.264 in yuv420p requires;
    see ``even_fit`` for how the shape is kept.
    """
    if even:
        return even_fit(width, height, long_side)
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


ASPECT_TOLERANCE = 0.01  # the largest relative change of shape even sides may cause


def even_fit(width: float, height: float, long_side: int, *, reach: int = 8) -> tuple[int, int]:
    """Even (width, height) near ``long_side`` whose shape is within 1% of width:height.

    Rounding a short side of a few dozen pixels to an even number changes the shape by up
    to 1/side (3% at 32 px), and rounding the long side first and then the short one
    compounds the two. So the short side is rounded once, from the exact ratio; where that
    still misses by more than 1% (only short sides under ~100 px can), the long side moves
    by 2, 4, ... pixels (at most ``reach``), the nearest size that fits winning, or the
    closest shape when none does.

    >>> even_fit(853, 480, 96), even_fit(451, 300, 65), even_fit(176 * 135 / 121, 144, 64)
    ((96, 54), (66, 44), (66, 48))
    """
    aspect = max(width, height) / min(width, height)
    wide = width >= height
    requested = max(2, long_side)
    candidates = sorted(
        {max(2, 2 * ((requested + d) // 2)) for d in range(-reach, reach + 2)},
        key=lambda side: (abs(side - requested), side),
    )
    best: tuple[float, int, int] | None = None
    for long in candidates:
        short = max(2, 2 * round(long / aspect / 2))
        error = abs(long / short / aspect - 1)
        if error <= ASPECT_TOLERANCE:
            best = (error, long, short)
            break
        if best is None or error < best[0]:
            best = (error, long, short)
    assert best is not None  # candidates is never empty
    _, long, short = best
    return (long, short) if wide else (short, long)


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize an NCHW image to (width, height); antialiased when shrinking."""
    w, h = size
    if image.shape[-2:] == (h, w):
        return image
    shrinking = h < image.shape[-2] or w < image.shape[-1]
    out = F.interpolate(image, size=(h, w), mode="bicubic", align_corners=False, antialias=shrinking)
    return out.clamp_(0.0, 1.0)


def scale_ladder(width: int, height: int, scales: int) -> list[tuple[int, int]]:
    """Sizes for coarse-to-fine optimization: the long side halves at each step down.

    The smallest size keeps its short side at MIN_SIDE or more, so a ladder may be
    shorter than asked for tiny outputs.
    """
    sizes = [(width, height)]
    for _ in range(scales - 1):
        w, h = sizes[0]
        nw, nh = fit_long_side(w, h, max(w, h) // 2)
        if min(nw, nh) < MIN_SIDE:
            break
        sizes.insert(0, (nw, nh))
    return sizes


def split_iterations(total: int, scales: int) -> list[int]:
    """Share ``total`` steps over a ladder, most at the small (cheap) sizes.

    Each scale down gets twice the steps of the one above it; every scale gets one at least.
    """
    shares = [2 ** (scales - 1 - k) for k in range(scales)]
    counts = [max(1, total * s // sum(shares)) for s in shares]
    counts[0] += max(0, total - sum(counts))
    return counts
