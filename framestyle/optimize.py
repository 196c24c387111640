"""The optimization loop: an image, an objective, a step budget and a stopping rule.

It knows nothing of styles, videos or files; it reports each step to a Reporter.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from .config import Optimizer, StyleConfig
from .events import SILENT, IterationEvent, Reporter
from .lbfgs import HISTORY, Eager, ImageLBFGS
from .objective import Evaluation, Objective


class _LBFGS(Eager, torch.optim.LBFGS):
    """torch's L-BFGS, without importing torch._dynamo (see ``Eager``)."""


@dataclass(frozen=True)
class StepRule:
    """How steps are taken and when they stop early."""

    optimizer: Optimizer = "lbfgs"
    learning_rate: float = 0.02  # Adam only
    tolerance: float = 1e-4  # stop when the relative loss change stays below this ...
    patience: int = 20  # ... for this many steps

    @classmethod
    def of(cls, config: StyleConfig) -> StepRule:
        return cls(config.optimizer, config.learning_rate, config.tolerance, config.patience)


@dataclass(frozen=True)
class Position:
    """Where this run sits in a coarse-to-fine schedule, for numbering the events."""

    scale: int = 0
    scales: int = 1
    done_before: int = 0  # steps taken at coarser scales
    total: int = 0  # the budget across all scales; 0: this run's own budget
    started: float = 0.0  # perf_counter() when the whole stylization began; 0: now


@dataclass(frozen=True)
class Optimized:
    image: torch.Tensor  # detached, not clamped
    steps: int
    loss: float
    losses: dict[str, float]  # per kind
    stopped_early: bool


def make_optimizer(image: torch.Tensor, rule: StepRule, *, warm_start: bool = False) -> torch.optim.Optimizer:
    """The optimizer for ``rule``. L-BFGS takes one function evaluation per step, so a step
    is one forward+backward and the progress bar moves evenly. From a warm start (the
    picture is already painted: an earlier frame carried along the flow) its first step
    moves a set distance (``ImageLBFGS``); from scratch it is torch's, whose cautious
    first step painted first frames as well or better (see ``framestyle.lbfgs``)."""
    if rule.optimizer == "lbfgs":
        if warm_start:
            return ImageLBFGS([image])
        return _LBFGS([image], lr=1.0, max_iter=1, history_size=HISTORY, tolerance_grad=0.0, tolerance_change=0.0)
    return torch.optim.Adam([image], lr=rule.learning_rate)


def optimize_image(
    init: torch.Tensor,
    objective: Objective,
    *,
    budget: int,
    rule: StepRule = StepRule(),
    position: Position = Position(),
    reporter: Reporter = SILENT,
    warm_start: bool = False,
) -> Optimized:
    """Minimize ``objective`` over the pixels of an image started at ``init`` (``warm_start``:
    ``init`` is already a painting, see ``make_optimizer``)."""
    started = position.started or time.perf_counter()
    total = position.total or budget
    height, width = init.shape[-2:]
    image = init.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    optimizer = make_optimizer(image, rule, warm_start=warm_start)
    last: list[Evaluation] = []

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        evaluation = objective(image)
        evaluation.total.backward()
        last[:] = [evaluation]
        return evaluation.total

    previous: float | None = None
    calm_steps = steps = 0
    early = False
    values: dict[str, float] = {}
    for step in range(budget):
        optimizer.step(closure)  # type: ignore[arg-type]  # torch's stub says float; LBFGS needs the tensor
        if rule.optimizer == "adam":
            with torch.no_grad():
                image.clamp_(0.0, 1.0)
        steps += 1
        values = objective.by_kind(last[0])
        loss = values["total"]
        reporter.iteration(
            IterationEvent(
                iteration=position.done_before + steps,
                total=total,
                scale=position.scale,
                scales=position.scales,
                width=width,
                height=height,
                loss=loss,
                losses={k: v for k, v in values.items() if k != "total"},
                elapsed=time.perf_counter() - started,
                image=image.detach(),
            )
        )
        if not math.isfinite(loss):
            break
        if previous is not None and abs(previous - loss) <= rule.tolerance * max(abs(loss), 1e-12):
            calm_steps += 1
            if calm_steps >= rule.patience:
                early = step + 1 < budget
                break
        else:
            calm_steps = 0
        previous = loss
    return Optimized(
        image=image.detach(),
        steps=steps,
        loss=values.get("total", float("nan")),
        losses={k: v for k, v in values.items() if k != "total"},
        stopped_early=early,
    )
