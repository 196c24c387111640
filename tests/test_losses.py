import torch

from framestyle.losses import (
    ContentLoss,
    StyleLoss,
    TemporalLoss,
    gram_matrix,
    masked_mse,
    total_variation,
    weighted_sum,
)


def test_gram_matrix_by_hand():
    # Two channels over 2 positions: f1 = [1, 2], f2 = [3, 4].
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    g = gram_matrix(f)
    # <f1,f1>=5, <f1,f2>=11, <f2,f2>=25, divided by H*W=2
    assert torch.allclose(g, torch.tensor([[[2.5, 5.5], [5.5, 12.5]]]))


def test_gram_gradient_matches_autograd_of_the_plain_product():
    f = torch.rand(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(gram_matrix, (f,))
    weights = torch.rand(2, 3, 3, dtype=torch.float64)
    (gram_matrix(f) * weights).sum().backward()
    ours = f.grad.clone()
    f.grad = None
    flat = f.reshape(2, 3, 20)
    ((flat @ flat.transpose(1, 2) / 20) * weights).sum().backward()
    assert torch.allclose(ours, f.grad)


def test_gram_of_bf16_features_is_float32_and_close():
    f = torch.rand(1, 8, 16, 16) * 50
    g16 = gram_matrix(f.to(torch.bfloat16))
    assert g16.dtype == torch.float32
    exact = gram_matrix(f.to(torch.bfloat16).float())
    assert ((g16 - exact).abs() / exact.abs()).max() < 2**-7  # one bf16 rounding of the result


def test_content_loss_is_relative_mse():
    target = torch.tensor([[[[1.0, 3.0]]]])  # mean square = 5
    loss = ContentLoss(target)(torch.tensor([[[[2.0, 1.0]]]]))  # mse = (1 + 4) / 2 = 2.5
    assert torch.isclose(loss, torch.tensor(0.5))


def test_style_loss_blends_targets_and_is_zero_at_target():
    f = torch.rand(1, 4, 5, 5)
    other = torch.rand(1, 4, 5, 5)
    loss = StyleLoss([gram_matrix(f), gram_matrix(other)], [1.0, 0.0])
    assert float(loss(f)) < 1e-10
    half = StyleLoss([gram_matrix(f), gram_matrix(other)], [1.0, 1.0])
    assert torch.allclose(half.target, (gram_matrix(f) + gram_matrix(other)) / 2)


def test_total_variation_by_hand():
    img = torch.tensor([[[[0.0, 1.0], [2.0, 4.0]]]])
    # dx: (1-0)^2 + (4-2)^2 = 5; dy: (2-0)^2 + (4-1)^2 = 13; 4 pixels
    assert torch.allclose(total_variation(img), torch.tensor([18.0 / 4]))


def test_masked_and_temporal_loss():
    x = torch.ones(1, 3, 2, 2)
    target = torch.zeros(1, 3, 2, 2)
    mask = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    assert torch.isclose(masked_mse(x, target, mask), torch.tensor(3.0 / 12))
    assert torch.isclose(TemporalLoss(target, mask)(x), torch.tensor(0.25))


def test_weighted_sum():
    total = weighted_sum({"a": torch.tensor(2.0), "b": torch.tensor(3.0)}, {"a": 10.0})
    assert float(total) == 23.0
