"""Where a clip's shots begin, found before a run: a dry run's estimate counts each cut, and
each cross-fade's end, as another first frame (painted from scratch with the first-frame
budget)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..config import VideoConfig
from .paint import FrameHistory

# How long a dry run reads the clip for new shots. A frame costs about 9 ms here at 256 px
# (decoding and one flow), 15 ms with the cross-fade test (several passes), so 30 s read
# some 2,000-3,000 frames: a clip of a minute or two whole, a longer one in part (its
# rate of cuts carried over to the rest).
SCAN_SECONDS = 30.0
# Frames are read at the working size, at most this long side (where the cut test's
# thresholds were measured).
SCAN_SIZE = 256


@dataclass(frozen=True)
class ShotScan:
    """The cuts found in the first ``scanned`` of a run's ``total`` frames (frame
    indices from the run's first frame, each the first frame of a new shot)."""

    total: int
    scanned: int
    cuts: tuple[int, ...]
    fades: tuple[int, ...] = ()  # where a cross-fade's new shot settled (several passes only)

    @property
    def complete(self) -> bool:
        return self.scanned >= self.total

    def foreseen_cuts(self) -> list[int]:
        """The cuts found, and where the scan stopped short, as many again per frame
        over the rest, evenly spaced: what an estimate counts.

        >>> ShotScan(total=100, scanned=25, cuts=(10, 20)).foreseen_cuts()
        [10, 20, 31, 44, 56, 69, 81, 94]
        """
        return self._carried_over(self.cuts)

    def foreseen_fades(self) -> list[int]:
        """The same for the ends of cross-fades (each one more first frame too).

        >>> ShotScan(total=100, scanned=50, cuts=(), fades=(30,)).foreseen_fades()
        [30, 75]
        """
        return self._carried_over(self.fades)

    def _carried_over(self, found: tuple[int, ...]) -> list[int]:
        if self.complete or self.scanned < 2 or not found:
            return list(found)
        rest = self.total - self.scanned
        more = round(len(found) * rest / self.scanned)
        step = rest / more if more else 0.0
        return [*found, *(self.scanned + round(step * (k + 0.5)) for k in range(more))]


def scan_shots(
    frames: Iterable[np.ndarray],
    total: int,
    *,
    video: VideoConfig = VideoConfig(),
    seconds: float = SCAN_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> ShotScan:
    """Read content frames for new shots with the test the run applies
    (``FrameHistory.enter``: cuts, and with several passes the ends of cross-fades),
    until ``total`` frames or ``seconds`` have passed."""
    deadline = clock() + seconds
    history = FrameHistory(video, fades=video.sequence_passes > 1)
    found: dict[str, list[int]] = {"cut": [], "fade": []}
    scanned = 0
    for index, frame in enumerate(frames):
        if index >= total:
            break
        shot = history.enter(frame)
        if shot:
            found[shot].append(index)
        history.push(index, frame, frame)  # the test reads content frames only
        scanned = index + 1
        if clock() > deadline:
            break
    return ShotScan(total=total, scanned=scanned, cuts=tuple(found["cut"]), fades=tuple(found["fade"]))
