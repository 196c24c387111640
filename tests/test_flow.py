"""Carrying earlier outputs into the current frame: the long-term rule (Ruder et al. 3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from framestyle.config import VideoConfig
from framestyle.errors import ConfigError
from framestyle.flow import ANCHOR_LEAD, EarlierFrame, carry_earlier
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


def _pairs(count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(content, output) pairs whose output's value is 100 + the frame's index."""
    zero = np.zeros((2, 2, 3), np.uint8)
    return [(_flat(i, zero), _flat(100 + i, zero)) for i in range(count)]


def _looked_at(history: FrameHistory) -> list[tuple[int, int, bool]]:
    return [(f.offset, int(f.output[0, 0, 0]) - 100, f.anchor) for f in history.earlier()]


def test_history_keeps_only_what_the_temporal_term_looks_back_to():
    history = FrameHistory(VideoConfig(temporal_frames=(1, 2, 4), anchor_every=0))
    assert history.depth == 4 and history.earlier() == []
    frames = _pairs(6)
    for index, (content, output) in enumerate(frames[:3]):
        history.push(index, content, output)
    assert _looked_at(history) == [(1, 2, False), (2, 1, False)]
    for index, (content, output) in enumerate(frames[3:], start=3):
        history.push(index, content, output)
    assert _looked_at(history) == [(1, 5, False), (2, 4, False), (4, 2, False)]
    assert FrameHistory(VideoConfig(temporal="previous", temporal_frames=(1, 8))).depth == 1


def test_every_nth_frame_anchors_the_frames_after_it():
    history = FrameHistory(VideoConfig(temporal_frames=(1, 2), anchor_every=4))
    assert history.depth == 4
    frames = _pairs(9)
    for index, (content, output) in enumerate(frames[:2]):
        history.push(index, content, output)
    assert _looked_at(history) == [(1, 1, False), (2, 0, True)]  # frame 2 looks to anchor 0
    for index, (content, output) in enumerate(frames[2:5], start=2):
        history.push(index, content, output)
    assert _looked_at(history) == [(1, 4, False), (2, 3, False)]  # frame 5: anchor 4 is the previous frame
    for index, (content, output) in enumerate(frames[5:8], start=5):
        history.push(index, content, output)
    assert _looked_at(history) == [(1, 7, False), (2, 6, False), (4, 4, True)]  # frame 8: anchor 4
    # A resumed run pushes only the last few frames, by index, and finds the same anchor.
    resumed = FrameHistory(VideoConfig(temporal_frames=(1, 2), anchor_every=4))
    for index in range(8 - resumed.depth, 8):
        resumed.push(index, *frames[index])
    assert _looked_at(resumed) == _looked_at(history)
    # A frame that does not follow the last one starts the history afresh.
    history.push(3, *frames[3])
    assert _looked_at(history) == [(1, 3, False)]
    # Without the flow mode there are no anchors.
    previous = FrameHistory(VideoConfig(temporal="previous", anchor_every=4))
    for index in range(3):
        previous.push(index, *frames[index])
    assert _looked_at(previous) == [(1, 2, False)]


def test_the_anchor_leads_where_its_content_agrees():
    current = _textured(1)
    black, white = _flat(0, current), _flat(255, current)
    # The anchor sees the same scene as the previous frame: it leads, with its share.
    carried = carry_earlier(current, [EarlierFrame(1, current, black), EarlierFrame(3, current, white, anchor=True)])
    assert carried.certainty.mean() > 0.95
    led = carried.warped[carried.certainty > 0.5].astype(int)
    assert (np.abs(led - round(255 * ANCHOR_LEAD)) <= 1).mean() > 0.95
    # Where only the anchor saw the scene (the previous frame is a cut), it is taken alone.
    carried = carry_earlier(
        current, [EarlierFrame(1, _textured(7), black), EarlierFrame(3, current, white, anchor=True)]
    )
    assert (carried.warped[carried.certainty > 0.5] == 255).mean() > 0.9
    # Its flow is trusted but its warped content misses the current frame (as where the
    # flow over several frames is wrong): the previous frame is kept.
    brighter = np.clip(current.astype(np.int16) + 40, 0, 255).astype(np.uint8)
    carried = carry_earlier(current, [EarlierFrame(1, current, black), EarlierFrame(3, brighter, white, anchor=True)])
    assert carried.certainty.mean() > 0.95
    assert (carried.warped[carried.certainty > 0.5] < 5).mean() > 0.95
    with pytest.raises(ValueError, match="besides the anchor"):
        carry_earlier(current, [EarlierFrame(3, current, white, anchor=True)])


@pytest.mark.parametrize("every", [1, -1, 33])
def test_anchor_settings_are_checked(every):
    with pytest.raises(ConfigError, match="anchor_every"):
        VideoConfig(anchor_every=every)


@pytest.mark.parametrize("frames", [(2, 4), (1, 1), (1, 0), (1, 99)])
def test_look_back_settings_are_checked(frames):
    with pytest.raises(ConfigError, match="temporal_frames"):
        VideoConfig(temporal_frames=frames)
