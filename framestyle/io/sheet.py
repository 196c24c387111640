"""A labelled contact sheet: pictures in a grid, each with its caption underneath."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

BACKGROUND = 255  # white between and under the cells
INK = (20, 20, 20)
GAP = 6  # pixels between cells and around the sheet
LINE = 16  # caption line height, pixels


def _caption_scale(lines: Sequence[str], width: int) -> float:
    """The largest Hershey font scale (up to 0.45) at which every line fits the cell width."""
    scale = 0.45
    for line in lines:
        (w, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        if w > width - 4:
            scale *= (width - 4) / w
    return max(scale, 0.2)


def contact_sheet(cells: Sequence[np.ndarray], captions: Sequence[Sequence[str]], *, columns: int) -> np.ndarray:
    """``cells`` (rgb_uint8, all the same size) in rows of ``columns``, each above its
    caption lines; returns the sheet as rgb_uint8."""
    if not cells or len(cells) != len(captions):
        raise ValueError("one caption per cell, and at least one cell")
    h, w = cells[0].shape[:2]
    lines = max(len(c) for c in captions)
    rows = -(-len(cells) // columns)
    cell_h = h + lines * LINE + 4
    sheet = np.full((GAP + rows * (cell_h + GAP), GAP + columns * (w + GAP), 3), BACKGROUND, np.uint8)
    for k, (cell, caption) in enumerate(zip(cells, captions)):
        if cell.shape[:2] != (h, w):
            raise ValueError(f"cell {k} is {cell.shape[1]}x{cell.shape[0]}, the others {w}x{h}")
        top = GAP + (k // columns) * (cell_h + GAP)
        left = GAP + (k % columns) * (w + GAP)
        sheet[top : top + h, left : left + w] = cell
        scale = _caption_scale(caption, w)
        for i, line in enumerate(caption):
            y = top + h + (i + 1) * LINE - 3
            cv2.putText(sheet, line, (left + 2, y), cv2.FONT_HERSHEY_SIMPLEX, scale, INK, 1, cv2.LINE_AA)
    return sheet
