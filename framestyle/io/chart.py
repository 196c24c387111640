"""A plain line chart drawn with OpenCV (no plotting library needed for one PNG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from .images import write_image

_COLORS = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14)]  # RGB


def line_chart(
    series: Mapping[str, Sequence[float]], *, title: str, x_label: str, size: tuple[int, int] = (900, 420)
) -> np.ndarray:
    width, height = size
    img = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 70, 20, 40, 50
    values = [v for vs in series.values() for v in vs]
    longest = max((len(vs) for vs in series.values()), default=0)
    top_value = max(values) * 1.1 if values and max(values) > 0 else 1.0
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, title, (left, 25), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (width - right, height - bottom), (0, 0, 0), 1)
    for i in range(5):
        value = top_value * i / 4
        y = int(height - bottom - (height - top - bottom) * i / 4)
        cv2.line(img, (left, y), (width - right, y), (225, 225, 225), 1)
        cv2.putText(img, f"{value:.3g}", (5, y + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, x_label, (width // 2 - 40, height - 12), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)

    def point(i: int, v: float) -> tuple[int, int]:
        x = left + (width - left - right) * (i / max(1, longest - 1))
        y = height - bottom - (height - top - bottom) * (v / top_value)
        return round(x), round(y)

    for k, (name, vs) in enumerate(series.items()):
        color = _COLORS[k % len(_COLORS)]
        pts = np.array([point(i, v) for i, v in enumerate(vs)], np.int32)
        if len(pts) > 1:
            cv2.polylines(img, [pts], False, color, 2, cv2.LINE_AA)
        elif len(pts) == 1:
            cv2.circle(img, tuple(pts[0]), 3, color, -1)
        cv2.putText(img, name, (width - right - 260, top + 20 + 18 * k), font, 0.5, color, 1, cv2.LINE_AA)
    for i in range(longest):
        if longest <= 12 or i % max(1, longest // 10) == 0:
            x, _ = point(i, 0)
            cv2.putText(img, str(i + 1), (x - 4, height - bottom + 15), font, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def write_line_chart(path: Path, series: Mapping[str, Sequence[float]], *, title: str, x_label: str) -> None:
    write_image(path, line_chart(series, title=title, x_label=x_label))
