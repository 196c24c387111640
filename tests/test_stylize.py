import pytest
import torch

from framestyle import color
from framestyle.config import RuntimeConfig, StyleConfig
from framestyle.events import RecordingReporter
from framestyle.io.images import read_image
from framestyle.pipeline import load_content
from framestyle.stylize import Stylizer, TemporalTarget
from framestyle.tensors import to_tensor

FP32 = RuntimeConfig(device="cpu", precision="fp32")


@pytest.fixture(scope="module")
def pair(cat, starry):
    content = to_tensor(load_content(cat, 64))
    style = to_tensor(read_image(starry, max_side=96))
    return content, style


def _run(pair, runtime=FP32, iterations=20, **overrides):
    content, style = pair
    config = StyleConfig(size=64, iterations=iterations, tolerance=0, **overrides)
    recorder = RecordingReporter()
    result = Stylizer([style], config=config, runtime=runtime).stylize(content, reporter=recorder)
    return result, recorder.iterations


def test_style_loss_falls_by_a_large_factor(pair):
    result, events = _run(pair, iterations=40)
    first, last = events[0].losses["style"], events[-1].losses["style"]
    assert last < first / 10, (first, last)
    assert result.image.shape == pair[0].shape
    assert result.iterations == 40 and len(events) == 40
    assert [e.iteration for e in events] == list(range(1, 41))


def test_same_seed_same_output_bit_for_bit(pair):
    a, _ = _run(pair, init="noise", seed=3)
    b, _ = _run(pair, init="noise", seed=3)
    c, _ = _run(pair, init="noise", seed=4)
    assert torch.equal(a.image, b.image)
    assert not torch.equal(a.image, c.image)


def test_bf16_autocast_runs_and_follows_fp32(pair):
    # Few steps: on a CPU without bf16 units (no AMX or AVX-512 bf16) each one is emulated
    # and costs about a second even at 64 px.
    result, events = _run(pair, runtime=RuntimeConfig(device="cpu", precision="bf16"), iterations=10)
    _, exact = _run(pair, iterations=10)
    assert events[-1].losses["style"] < events[0].losses["style"] / 1.5
    # One-sided: after 10 L-BFGS steps the two paths part by chance, in either direction
    # (4.18 against fp32's 4.12 with bf16 emulated on an EPYC without bf16 units; 3.34
    # against 4.11 on one with AVX512-BF16). bf16 must not paint worse.
    assert events[-1].losses["style"] < 1.2 * exact[-1].losses["style"]
    assert result.image.dtype == torch.float32


def test_adam_optimizer_keeps_pixels_in_range(pair):
    result, events = _run(pair, optimizer="adam", learning_rate=0.05)
    assert events[-1].losses["style"] < events[0].losses["style"]
    assert float(events[-1].image.min()) >= 0 and float(events[-1].image.max()) <= 1


def test_early_stop_ends_before_the_budget(pair):
    content, style = pair
    config = StyleConfig(size=64, iterations=200, tolerance=0.5, patience=2)
    result = Stylizer([style], config=config, runtime=FP32).stylize(content)
    assert result.stopped_early and result.iterations < 200


def test_scales_run_coarse_to_fine(pair, cat):
    content = to_tensor(load_content(cat, 96))
    config = StyleConfig(size=96, iterations=14, tolerance=0, scales=2)
    recorder = RecordingReporter()
    result = Stylizer([pair[1]], config=config, runtime=FP32).stylize(content, reporter=recorder)
    sizes = [(e.width, e.height) for e in recorder.iterations]
    assert sizes[0] == (48, 32) and sizes[-1] == (96, 64)
    assert sizes.count((48, 32)) > sizes.count((96, 64))  # most steps at the small size
    assert result.image.shape[-2:] == (64, 96)


def test_style_blend_weights_pick_the_style(pair, starry):
    content, style = pair
    flat = torch.full_like(style, 0.5)
    only_first = Stylizer([style, flat], config=StyleConfig(size=64, style_blend=(1.0, 0.0)), runtime=FP32)
    plain = Stylizer([style], config=StyleConfig(size=64), runtime=FP32)
    a = only_first.targets.losses((96, 64))["relu1_1"].target
    b = plain.targets.losses((96, 64))["relu1_1"].target
    assert torch.allclose(a, b)


def test_preserve_color_keeps_content_chroma(pair):
    content, _ = pair
    result, _ = _run(pair, preserve_color=True)
    iq_out = color.rgb_to_yiq(result.image)[:, 1:]
    iq_in = color.rgb_to_yiq(content)[:, 1:]
    # Clipping to [0, 1] can move chroma a little at saturated pixels only.
    assert (iq_out - iq_in).abs().mean() < 0.01
    y_out = color.rgb_to_yiq(result.image)[:, :1]
    y_in = color.rgb_to_yiq(content)[:, :1]
    assert (y_out - y_in).abs().mean() > 0.02  # the luminance was stylized


def test_temporal_term_pulls_towards_target(pair):
    content, style = pair
    target = torch.zeros_like(content)
    certainty = torch.ones(1, *content.shape[-2:])
    config = StyleConfig(size=64, iterations=15, tolerance=0)
    stylizer = Stylizer([style], config=config, runtime=FP32)
    free = stylizer.stylize(content)
    pulled = stylizer.stylize(content, temporal=TemporalTarget(target, certainty, weight=1e3))
    assert pulled.image.mean() < free.image.mean() - 0.05
    assert "temporal" in pulled.losses


def test_style_targets_are_computed_once_per_size(pair):
    content, style = pair
    stylizer = Stylizer([style], config=StyleConfig(size=64, iterations=2), runtime=FP32)
    stylizer.stylize(content)
    cached = stylizer.targets.losses((content.shape[-1], content.shape[-2]))
    stylizer.stylize(content)
    assert stylizer.targets.losses((content.shape[-1], content.shape[-2])) is cached


def _colour_moments(image):
    pixels = image.reshape(3, -1).double()
    return pixels.mean(dim=1), torch.cov(pixels)


def test_match_colors_gives_the_style_mean_and_covariance(pair):
    _, style = pair
    # Colours spread in every direction (above the floor on flat frames), and a style
    # kept away from the clamp at 0 and 1, which would cut the matched spread.
    muted = 0.2 + 0.6 * torch.rand((1, 3, 48, 40), generator=torch.Generator().manual_seed(1))
    narrow = 0.35 + 0.3 * style
    matched = color.match_colors(muted, [narrow], [1.0])
    mean, cov = _colour_moments(matched)
    want_mean, want_cov = _colour_moments(narrow)
    assert torch.allclose(mean, want_mean, atol=1e-3)
    assert torch.allclose(cov, want_cov, atol=1e-4)
    # The symmetric square roots: the same result whatever the order of the channels.
    swapped = color.match_colors(muted[:, [2, 0, 1]], [narrow[:, [2, 0, 1]]], [1.0])
    assert torch.allclose(swapped, matched[:, [2, 0, 1]], atol=1e-5)


def test_match_colors_blends_styles_and_does_not_blow_up_a_flat_frame(pair):
    content, style = pair
    # Two styles weighted 3:1 give the moments of their pixels pooled 3:1.
    dark, light = 0.2 + 0.2 * style, 0.5 + 0.2 * style.flip(-1)
    pooled = torch.cat([dark, dark, dark, light], dim=-1)
    blended = color.match_colors(0.4 + 0.2 * content, [dark, light], [3.0, 1.0])
    assert torch.allclose(_colour_moments(blended)[0], _colour_moments(pooled)[0], atol=1e-3)
    # A near-flat frame (noise of 1 level) keeps its noise small: the spread is floored.
    flat = 0.5 + torch.randn(content.shape, generator=torch.Generator().manual_seed(0)) / 255
    out = color.match_colors(flat, [style], [1.0])
    assert float(out.std()) < 0.5 * float(style.std())


def test_style_colors_start(pair):
    content, style = pair
    start = Stylizer([style], config=StyleConfig(size=64, init="style-colors"), runtime=FP32).start_image(content)
    assert start.shape == content.shape
    assert torch.allclose(_colour_moments(start)[0], _colour_moments(style)[0], atol=0.03)
    kept = StyleConfig(size=64, init="style-colors", preserve_color=True)
    assert torch.equal(Stylizer([style], config=kept, runtime=FP32).start_image(content), content)
    result, events = _run(pair, init="style-colors", iterations=10)
    assert events[-1].losses["style"] < events[0].losses["style"]


def test_a_warm_start_gets_further_in_a_few_steps(pair):
    """A later video frame starts already painted and gets few steps: ImageLBFGS's first
    step of a set size must beat torch's probe, which moves the pixels by almost nothing."""
    content, style = pair
    config = StyleConfig(size=64, iterations=4, tolerance=0)
    stylizer = Stylizer([style], config=config, runtime=FP32)
    painted = stylizer.stylize(content, iterations=30).image
    carried = torch.roll(painted, shifts=1, dims=-1)  # as if the picture moved by a pixel
    cold = stylizer.stylize(content, init=carried)
    warm = stylizer.stylize(content, init=carried, warm_start=True)
    assert warm.loss < cold.loss
