"""Letterbox and pillarbox bars: the black borders a film is framed in, found in its frames.

A wide film in a 16:9 or 4:3 frame (or a 4:3 clip in a wide one) carries black bars that
are not part of the picture. Painted, they fill with brush strokes the film never had,
flickering against the source's black (on Sintel, bars of 24% of the frame held 19% of
the painted clip's warping error), and they cost painting time. So a video keeps its
bars as the source has them and paints the picture alone (``--paint-bars``: the whole
frame, as before).

Found as ffmpeg's ``cropdetect`` finds them, with its default limit: rows (columns) at the
frame's edge whose every pixel stays at most ``DARK`` in every sampled frame. Both sides
must have them, so a dark sky or floor along one edge is not taken for a bar.
Arrays are HxWx3 uint8 RGB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DARK = 24  # of 255, on the brightest of R, G and B: cropdetect's default limit
MIN_SHARE = 0.01  # a bar narrower than this share of the side (or 2 px) is not one
MIN_PICTURE = 0.5  # bars may take at most half of the side together


@dataclass(frozen=True)
class Bars:
    """Rows and columns of bars along each edge of a frame (0: none)."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def __bool__(self) -> bool:
        return any((self.top, self.bottom, self.left, self.right))

    def scaled(self, source: tuple[int, int], size: tuple[int, int]) -> Bars:
        """The same bars in frames resized from ``source`` to ``size`` (width, height): only
        the rows and columns made of bar pixels alone, so the picture's edge is painted.

        >>> Bars(top=60, bottom=60).scaled((854, 480), (256, 144))
        Bars(top=18, bottom=18, left=0, right=0)
        """
        (src_w, src_h), (w, h) = source, size
        # Growing is bicubic: a row reaches about 2 source rows of picture beyond its own.
        reach = 0 if w <= src_w and h <= src_h else 2

        def rows(bar: int, inside: int, outside: int) -> int:
            return max(0, math.floor((bar - reach) * outside / inside)) if bar else 0

        return Bars(
            top=rows(self.top, src_h, h),
            bottom=rows(self.bottom, src_h, h),
            left=rows(self.left, src_w, w),
            right=rows(self.right, src_w, w),
        )

    def inside(self, frame: np.ndarray) -> np.ndarray:
        """The picture: ``frame`` (HxW or HxWxC) without its bars."""
        h, w = frame.shape[:2]
        return np.ascontiguousarray(frame[self.top : h - self.bottom, self.left : w - self.right])

    def around(self, frame: np.ndarray, picture: np.ndarray) -> np.ndarray:
        """``frame`` (the source) with ``picture`` (its picture, painted) inside its bars."""
        if not self:
            return picture
        framed = frame.copy()
        h, w = frame.shape[:2]
        framed[self.top : h - self.bottom, self.left : w - self.right] = picture
        return framed

    def describe(self) -> str:
        """As the summaries say it: "top 18, bottom 18 px"."""
        sides = [(name, getattr(self, name)) for name in ("top", "bottom", "left", "right")]
        return ", ".join(f"{name} {value}" for name, value in sides if value) + " px"


class DarkEdges:
    """The brightest value each row and column reaches over the frames it is shown."""

    def __init__(self) -> None:
        self.rows: np.ndarray | None = None
        self.columns: np.ndarray | None = None

    def add(self, frame: np.ndarray) -> None:
        brightest = frame.max(axis=2) if frame.ndim == 3 else frame
        rows, columns = brightest.max(axis=1), brightest.max(axis=0)
        if self.rows is None or self.columns is None:
            self.rows, self.columns = rows, columns
        else:
            np.maximum(self.rows, rows, out=self.rows)
            np.maximum(self.columns, columns, out=self.columns)

    def bars(self) -> Bars:
        """The bars every frame shown so far has (none before a frame is shown)."""
        if self.rows is None or self.columns is None:
            return Bars()
        top, bottom = _pair(self.rows)
        left, right = _pair(self.columns)
        return Bars(top=top, bottom=bottom, left=left, right=right)


def _pair(brightest: np.ndarray) -> tuple[int, int]:
    """Dark runs at both ends of one axis, or (0, 0) unless both ends have a real bar."""
    dark = brightest <= DARK
    length = len(dark)
    if dark.all():
        return 0, 0  # a black clip has no picture to frame
    first = int(np.argmin(dark))
    last = int(np.argmin(dark[::-1]))
    smallest = max(2, MIN_SHARE * length)
    if first < smallest or last < smallest or first + last > MIN_PICTURE * length:
        return 0, 0
    return first, last


def find_bars(frames: list[np.ndarray]) -> Bars:
    """The bars all of ``frames`` share.

    >>> frame = np.full((100, 160, 3), 120, np.uint8)
    >>> frame[:12] = frame[-12:] = 0
    >>> find_bars([frame])
    Bars(top=12, bottom=12, left=0, right=0)
    >>> frame[:, :4] = 3  # a dark edge on one side only is not a pillarbox
    >>> find_bars([frame])
    Bars(top=12, bottom=12, left=0, right=0)
    """
    edges = DarkEdges()
    for frame in frames:
        edges.add(frame)
    return edges.bars()
