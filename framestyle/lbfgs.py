"""L-BFGS over the pixels of one image, for a picture that is already painted.

Nocedal & Wright (2006, "Numerical Optimization", algorithm 7.4): the two-loop recursion
over the last ``history`` curvature pairs, the initial inverse Hessian scaled by
s'y / y'y of the newest pair, a unit step and no line search, so one step is one
forward and backward pass of the network.

Departure from ``torch.optim.LBFGS``, which paints pictures from scratch: torch's first
step is the gradient times 1 / |g|_1. On an image of 10^5 pixels that moves each pixel
by about 1e-5, under bfloat16's resolution, so the first curvature pair measures
rounding noise, its scale s'y / y'y comes out about 40 times too small, and the second
step is lost too. A later video frame starts from the earlier frames carried along the
flow and gets only a few steps; here its first step moves the pixels by
``first_step_rms`` (root mean square, in [0, 1] units) along the gradient. Measured on
bear at 256 px, 10 steps per frame from the carried start: the loss torch's 10 steps
reach was reached in 7, and the overshoot torch's second step showed on some frames (the
loss up 1.6 times for a step) went away. First steps of 0.2 to 0.8 of 255 levels all did
better than torch's; 1 and 2 levels overshot. From scratch (a first frame, 170 steps
from the content in the style's colours) the set first step did worse on average
(fp32 loss over a 300-step still: pan 1.040 against torch's 0.990, Sintel 1.025 against
1.016, bear 0.993 against 0.990, zoom 0.995 against 1.002), so pictures painted from
scratch keep torch's optimizer (``optimize.make_optimizer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

HISTORY = 50  # curvature pairs kept; the memory guard counts them (pipeline/memory.py)


def _plain(name: str) -> Any:
    method = getattr(torch.optim.Optimizer, name)
    return getattr(method, "__wrapped__", method)


class Eager:
    """Mixed in before a torch optimizer: its ``add_param_group`` and ``zero_grad`` without
    torch's ``_disable_dynamo`` wrappers. Those only tell torch.compile not to trace the
    methods, and their first call imports torch._dynamo: 1 to 1.6 s of every process here
    (measured on these 2 cores), more than a whole small picture's painting. Nothing in
    framestyle is compiled, so the plain methods do exactly the same work."""

    add_param_group = _plain("add_param_group")
    zero_grad = _plain("zero_grad")


# 0.4 of 255 levels: about the best first step on later frames.
FIRST_STEP_RMS = 0.4 / 255


class ImageLBFGS(Eager, torch.optim.Optimizer):
    """L-BFGS for one tensor; ``step(closure)`` evaluates the closure once and moves once."""

    def __init__(
        self, params: Iterable[torch.Tensor], *, history: int = HISTORY, first_step_rms: float = FIRST_STEP_RMS
    ) -> None:
        super().__init__(params, {})
        tensors = [p for group in self.param_groups for p in group["params"]]
        if len(tensors) != 1:
            raise ValueError(f"ImageLBFGS optimizes one tensor (got {len(tensors)})")
        if history < 1 or not first_step_rms > 0:
            raise ValueError("history must be at least 1 and first_step_rms positive")
        self.image = tensors[0]
        self.history = history
        self.first_step_rms = first_step_rms
        self.pairs: list[tuple[torch.Tensor, torch.Tensor, float]] = []  # (s, y, 1 / s'y), oldest first
        self.scale = 0.0  # the initial inverse Hessian, s'y / y'y of the newest pair
        self.previous_gradient: torch.Tensor | None = None
        self.previous_step: torch.Tensor | None = None

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        with torch.enable_grad():
            loss = closure()
        if self.image.grad is None:
            raise RuntimeError("the closure did not compute a gradient of the image")
        gradient = self.image.grad.detach().reshape(-1).float().clone()
        if self.previous_gradient is not None and self.previous_step is not None:
            self._remember(self.previous_step, gradient - self.previous_gradient)
        direction = self._direction(gradient)
        self.image.add_(direction.view_as(self.image).to(self.image.dtype))
        self.previous_gradient, self.previous_step = gradient, direction
        return loss

    def _remember(self, s: torch.Tensor, y: torch.Tensor) -> None:
        sy = float(s.dot(y))
        if sy <= 1e-10:
            return  # not a descent of the curvature: the pair would break the positive definiteness
        if len(self.pairs) == self.history:
            self.pairs.pop(0)
        self.pairs.append((s, y, 1.0 / sy))
        self.scale = sy / float(y.dot(y))

    def _direction(self, gradient: torch.Tensor) -> torch.Tensor:
        if not self.pairs:
            # The first step, and any step until a pair of positive curvature is kept.
            rms = float(gradient.pow(2).mean().sqrt())
            return gradient * (-self.first_step_rms / rms) if rms > 0 else torch.zeros_like(gradient)
        q = gradient.neg()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * float(s.dot(q))
            q.add_(y, alpha=-alpha)
            alphas.append(alpha)
        r = q.mul_(self.scale)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            beta = rho * float(y.dot(r))
            r.add_(s, alpha=alpha - beta)
        return r
