"""Judging a painted clip against the clip it was made from: how steady, how stylized.

Steadiness is Lai et al.'s (2018) warping error over the original's own, between
consecutive frames and between frames t and t + K (slow drift that consecutive pairs
hide); the look is the objective's style and content loss of the frames, so two
settings can be compared on both axes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import RuntimeConfig, StyleConfig
from ..errors import ConfigError, DecodeError
from ..evaluate import WarpingReport, warping_errors
from ..io.playback import shown_frames
from ..io.video import VideoInfo, probe
from ..tensors import to_tensor
from .common import make_stylizer

LOSS_FRAMES = 48  # frames whose losses are measured, spread over the clip


@dataclass(frozen=True)
class ClipJudgement:
    short: WarpingReport  # consecutive frames
    long: WarpingReport | None  # frames t and t + gap (None: the clip is too short, or not asked)
    gap: int
    losses: dict[str, float] | None  # mean per kind over the measured frames (None: no style given)
    loss_frames: int
    stylized: VideoInfo
    original: VideoInfo

    def verdict(self) -> str:
        """One line against the original's own error (1.0x: as steady as the source)."""
        ratio = self.short.ratio
        if ratio <= 1.0:
            words = "as steady as its source or steadier"
        elif ratio <= 1.5:
            words = "a little less steady than its source"
        else:
            words = "flickers more than its source"
        drift = ""
        if self.long is not None:
            drift = f"; over {self.gap} frames {self.long.ratio:.2f}x" + (" (drifts)" if self.long.ratio > 1.5 else "")
        return f"verdict: {words} ({ratio:.2f}x its warping error{drift})"


def evaluate_videos(
    stylized: Path,
    original: Path,
    *,
    long_term: int = 10,
    styles: Sequence[Path] = (),
    runtime: RuntimeConfig = RuntimeConfig(),
) -> ClipJudgement:
    """Judge a stylized clip against the clip it was made from, both as a player shows
    them. Frames are paired from the start; the original is resized to the stylized size. ``long_term``: the gap K of the
    long-term error (0: skip it). ``styles``: also measure the style and content loss
    (the objective's defaults, at the clip's size) on up to LOSS_FRAMES frames."""
    if long_term < 0:
        raise ConfigError(f"long_term must be zero or more frames (got {long_term})")
    s_info = probe(stylized)
    o_info = probe(original)
    pairs = min(s_info.frames, o_info.frames)
    if pairs < 2:
        raise DecodeError("need at least two frames in both videos to measure stability")
    size = (s_info.width, s_info.height)
    # Built before the clips are judged, so a style that cannot be read is refused at once.
    judge = make_stylizer(list(styles), StyleConfig(size=max(size)), runtime) if styles else None

    def both() -> tuple[Iterator[np.ndarray], Iterator[np.ndarray]]:
        # As a viewer sees both clips: colour stored at half size interpolated, not
        # repeated over 2x2 blocks as OpenCV's decoder does (see ``io.playback``).
        return itertools.islice(shown_frames(s_info), pairs), itertools.islice(shown_frames(o_info, size=size), pairs)

    short = warping_errors(*both())
    long = warping_errors(*both(), gap=long_term) if 0 < long_term < pairs else None
    losses, measured = None, 0
    if judge is not None:
        picks = set(np.linspace(0, pairs - 1, min(pairs, LOSS_FRAMES)).round().astype(int).tolist())
        totals: dict[str, float] = {}
        for index, (painted, source) in enumerate(zip(*both())):
            if index in picks:
                for kind, value in judge.losses_of(to_tensor(source), to_tensor(painted)).items():
                    totals[kind] = totals.get(kind, 0.0) + value
                measured += 1
        losses = {kind: value / measured for kind, value in totals.items()}
    return ClipJudgement(short, long, long_term, losses, measured, s_info, o_info)
