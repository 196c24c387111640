"""Optical flow between content frames, warping, and where the flow can be trusted.

Follows Ruder, Dosovitskiy & Brox (2016), "Artistic style transfer for videos": the
previous stylized frame is warped into the current one along the flow, and a
certainty mask drops pixels that are disoccluded (forward and backward flow
disagree) or lie on motion boundaries. Flow is OpenCV's DIS (Kroeger et al. 2016)
rather than the paper's DeepFlow/EpicFlow: it is built into OpenCV and fast on a CPU.
Arrays here are numpy: frames HxWx3 uint8 RGB, flows HxWx2 float32 (dx, dy) in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_DIS: dict[str, cv2.DISOpticalFlow] = {}


def _dis() -> cv2.DISOpticalFlow:
    # One instance per process: creating it is cheap, but it keeps internal buffers.
    if "medium" not in _DIS:
        _DIS["medium"] = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return _DIS["medium"]


def _gray(rgb_uint8: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb_uint8, cv2.COLOR_RGB2GRAY)


def dense_flow(source_rgb: np.ndarray, target_rgb: np.ndarray) -> np.ndarray:
    """Flow w with source(x) ~ target(x + w(x)), HxWx2 float32."""
    flow = _dis().calc(_gray(source_rgb), _gray(target_rgb), None)  # type: ignore[call-overload]  # None: allocate
    return np.asarray(flow)


def warp(image: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``image`` at x + flow(x) (bilinear). Returns the warped image and a bool
    mask of pixels whose sample point lies inside the image."""
    h, w = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x = grid_x + flow[..., 0]
    map_y = grid_y + flow[..., 1]
    warped = cv2.remap(image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    return warped, inside


def occlusion_mask(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Certainty (HxW float32, 0 or 1) of the ``backward`` flow (current -> previous).

    ``forward`` is the flow previous -> current. Following Ruder et al. (2016), a pixel
    is uncertain where the round trip does not come back,
    |w + w~'|^2 > 0.01 (|w|^2 + |w~'|^2) + 0.5, where w~' is the forward flow sampled
    at x + w(x); on motion boundaries, |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002;
    and where x + w(x) leaves the frame.
    """
    forward_back, inside = warp(forward, backward)
    round_trip = np.sum((backward + forward_back) ** 2, axis=2)
    magnitudes = np.sum(backward**2, axis=2) + np.sum(forward_back**2, axis=2)
    disoccluded = round_trip > 0.01 * magnitudes + 0.5
    du_y, du_x = np.gradient(backward[..., 0])
    dv_y, dv_x = np.gradient(backward[..., 1])
    gradient = du_x**2 + du_y**2 + dv_x**2 + dv_y**2
    boundary = gradient > 0.01 * np.sum(backward**2, axis=2) + 0.002
    return (~disoccluded & ~boundary & inside).astype(np.float32)


@dataclass(frozen=True)
class WarpedPrevious:
    """The previous stylized frame carried into the current one."""

    init: np.ndarray  # HxWx3 uint8: warped previous output, holes filled from the current frame
    warped: np.ndarray  # HxWx3 uint8: warped previous output, everywhere
    certainty: np.ndarray  # HxW float32 in {0, 1}


def warp_previous(
    previous_stylized: np.ndarray, previous_content: np.ndarray, current_content: np.ndarray
) -> WarpedPrevious:
    """Warp the previous output along the flow of the content frames (Ruder et al. 2016).

    The start image takes the current content frame where the flow is not trusted
    (disocclusions, motion boundaries, pixels from outside the frame), so no smeared
    pixels are carried over.
    """
    backward = dense_flow(current_content, previous_content)
    forward = dense_flow(previous_content, current_content)
    certainty = occlusion_mask(backward, forward)
    warped, _ = warp(previous_stylized, backward)
    keep = certainty[..., None] > 0.5
    init = np.where(keep, warped, current_content)
    return WarpedPrevious(init=init, warped=warped, certainty=certainty)
