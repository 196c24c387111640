"""What the core reports while it works. The core never prints; callers pass callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


@dataclass(frozen=True)
class IterationEvent:
    """One optimizer step.

    ``image`` is the current image (RGB, [0, 1], NCHW) shared with the optimizer,
    not a copy: clone it if you keep it.
    """

    iteration: int  # 1-based, counted across all scales
    total: int  # the iteration budget across all scales (early stop may end sooner)
    scale: int  # 0-based index into the scale ladder
    scales: int
    width: int
    height: int
    loss: float
    losses: dict[str, float]
    elapsed: float  # seconds since this stylization started
    image: torch.Tensor


IterationCallback = Callable[[IterationEvent], None]
