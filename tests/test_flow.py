"""Carrying earlier outputs into the current frame: the long-term rule (Ruder et al. 3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from framestyle.config import VideoConfig
from framestyle.errors import ConfigError
from framestyle.flow import EarlierFrame, carry_earlier
from framestyle.pipeline.paint import FrameHistory


def _textured(seed: int, size: tuple[int, int] = (64, 80)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (size[0] // 8, size[1] // 8, 3), dtype=np.uint8)
    return np.kron(coarse, np.ones((8, 8, 1), dtype=np.uint8))


def _flat(value: int, like: np.ndarray) -> np.ndarray:
    return np.full_like(like, value)


def test_each_pixel_takes_its_closest_reliable_frame():
    current = _textured(1)
    black, white = _flat(0, current), _flat(255, current)
    # Both earlier frames show the same scene: the nearest one wins everywhere.
    carried = carry_earlier(current, [EarlierFrame(2, current, white), EarlierFrame(1, current, black)])
    assert carried.certainty.mean() > 0.95
    assert carried.warped[carried.certainty > 0.5].max() == 0
    # The previous frame shows something else (a cut): the older frame that saw this
    # scene is used instead, through its own flow.
    unrelated = _textured(7)
    carried = carry_earlier(current, [EarlierFrame(1, unrelated, black), EarlierFrame(2, current, white)])
    trusted = carried.certainty > 0.5
    assert trusted.mean() > 0.9
    assert (carried.warped[trusted] == 255).mean() > 0.9


def test_untrusted_pixels_start_from_the_fill():
    current = _textured(1)
    unrelated = _textured(7)
    painted = _flat(40, current)
    by_content = carry_earlier(current, [EarlierFrame(1, unrelated, painted)], fill="content")
    by_warp = carry_earlier(current, [EarlierFrame(1, unrelated, painted)], fill="warped")
    holes = by_content.certainty < 0.5
    assert holes.mean() > 0.5
    assert np.array_equal(by_content.init[holes], current[holes])
    assert (by_warp.init[holes] == 40).all()


def test_carry_follows_the_flow_it_is_given():
    current = _textured(1)
    earlier_output = _textured(3)
    calls = []

    def two_right(source: np.ndarray, target: np.ndarray) -> np.ndarray:
        # source(x) ~ target(x + w): from the current frame, the earlier one lies 2 px right;
        # back again, 2 px left (a consistent pair, so the round trip trusts it).
        calls.append(source is current)
        shift = 2.0 if source is current else -2.0
        flow = np.zeros((*source.shape[:2], 2), np.float32)
        flow[..., 0] = shift
        return flow

    carried = carry_earlier(current, [EarlierFrame(1, _textured(5), earlier_output)], flow=two_right)
    assert calls == [True, False]  # backward (current -> earlier), then forward
    assert np.array_equal(carried.warped[:, :-2], earlier_output[:, 2:])
    assert carried.certainty[:, :-2].min() == 1.0 and carried.certainty[:, -2:].max() == 0.0


def test_history_keeps_only_what_the_temporal_term_looks_back_to():
    history = FrameHistory(VideoConfig(temporal_frames=(1, 2, 4)))
    assert history.depth == 4 and history.earlier() == []
    frames = [
        (_flat(i, np.zeros((2, 2, 3), np.uint8)), _flat(100 + i, np.zeros((2, 2, 3), np.uint8))) for i in range(6)
    ]
    for content, output in frames[:3]:
        history.push(content, output)
    assert [(f.offset, int(f.output[0, 0, 0])) for f in history.earlier()] == [(1, 102), (2, 101)]
    for content, output in frames[3:]:
        history.push(content, output)
    assert [(f.offset, int(f.output[0, 0, 0])) for f in history.earlier()] == [(1, 105), (2, 104), (4, 102)]
    assert FrameHistory(VideoConfig(temporal="previous", temporal_frames=(1, 8))).depth == 1


@pytest.mark.parametrize("frames", [(2, 4), (1, 1), (1, 0), (1, 99)])
def test_look_back_settings_are_checked(frames):
    with pytest.raises(ConfigError, match="temporal_frames"):
        VideoConfig(temporal_frames=frames)
