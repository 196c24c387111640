"""ImageLBFGS: the first step's size, convergence on a quadratic, refusals."""

from __future__ import annotations

import pytest
import torch

from framestyle.lbfgs import FIRST_STEP_RMS, ImageLBFGS


def _quadratic(n: int = 40, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    basis, _ = torch.linalg.qr(torch.randn(n, n, generator=generator))
    curvatures = torch.logspace(0, 2, n)  # condition number 100
    return basis @ torch.diag(curvatures) @ basis.T, torch.randn(n, generator=generator)


def _minimize(a: torch.Tensor, b: torch.Tensor, steps: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    x = torch.zeros(1, 1, 1, a.shape[0], requires_grad=True)  # shaped like an image
    optimizer = ImageLBFGS([x])
    points = [x.detach().clone()]

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        flat = x.reshape(-1)
        loss = 0.5 * flat @ a @ flat - b @ flat
        loss.backward()
        return loss

    for _ in range(steps):
        optimizer.step(closure)
        points.append(x.detach().clone())
    return x.detach().reshape(-1), points


def test_first_step_moves_pixels_by_the_set_rms_along_the_gradient():
    a, b = _quadratic()
    _, points = _minimize(a, b, 1)
    step = (points[1] - points[0]).reshape(-1)
    assert step.pow(2).mean().sqrt().item() == pytest.approx(FIRST_STEP_RMS, rel=1e-5)
    gradient_at_start = -b  # a @ 0 - b
    assert torch.nn.functional.cosine_similarity(step, -gradient_at_start, dim=0).item() == pytest.approx(1.0)


def test_converges_on_an_ill_conditioned_quadratic():
    a, b = _quadratic()
    solution = torch.linalg.solve(a, b)
    x, points = _minimize(a, b, 80)
    assert (x - solution).norm() < 1e-3 * solution.norm()
    # Unit quasi-Newton steps on a quadratic do not go uphill by much once pairs exist.
    values = [0.5 * p.reshape(-1) @ a @ p.reshape(-1) - b @ p.reshape(-1) for p in points]
    assert values[-1] < values[1] < values[0]


def test_a_zero_gradient_does_not_move_the_image():
    x = torch.ones(1, 3, 4, 4, requires_grad=True)
    optimizer = ImageLBFGS([x])

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = (x * 0).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    optimizer.step(closure)
    assert torch.equal(x.detach(), torch.ones(1, 3, 4, 4))


def test_refuses_more_than_one_tensor_and_bad_settings():
    with pytest.raises(ValueError, match="one tensor"):
        ImageLBFGS([torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="history"):
        ImageLBFGS([torch.zeros(2, requires_grad=True)], history=0)
