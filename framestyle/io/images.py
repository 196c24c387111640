"""Reading and writing still images with OpenCV. Pictures are ``rgb_uint8`` (HxWx3)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from ..errors import DecodeError, InputError, OutputError
from .files import describe_os_error, require_file, require_folder, write_bytes_atomic

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
WRITE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


def is_image_path(path: Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def _to_rgb_uint8(decoded: np.ndarray) -> np.ndarray:
    """Any OpenCV decode (gray, gray+alpha, BGR, BGRA; 8/16-bit or float) -> RGB uint8."""
    img = decoded
    if img.dtype == np.uint16:
        img = (img.astype(np.uint32) * 255 + 32767) // 65535
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(img, 0.0, 1.0) * 255.0 + 0.5
    img = img.astype(np.uint8) if img.dtype != np.uint8 else img
    if img.ndim == 2:
        img = img[:, :, None]
    channels = img.shape[2]
    if channels in (2, 4):
        # Transparent pixels become white, as a viewer would show them on a page.
        alpha = img[:, :, -1:].astype(np.float32) / 255.0
        color = img[:, :, :-1].astype(np.float32)
        img = (color * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
        channels -= 1
    if channels == 1:
        return np.ascontiguousarray(np.repeat(img, 3, axis=2))
    return np.ascontiguousarray(img[:, :, 2::-1])


def read_image(path: Path, *, what: str = "image", max_side: int | None = None) -> np.ndarray:
    """Decode an image file to RGB uint8, whatever its depth, channels or palette.

    EXIF orientation is applied. ``max_side`` shrinks huge pictures right after decoding.
    """
    path = require_file(Path(path), what)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise InputError(f"cannot read {what} {path}: {describe_os_error(err)}") from None
    try:
        decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        decoded = None
    if decoded is None or decoded.size == 0:
        raise DecodeError(f"{what} {path} is not a readable image (corrupt or unsupported format)")
    channels = 1 if decoded.ndim == 2 else decoded.shape[2]
    if channels in (2, 4):
        rgb = _to_rgb_uint8(decoded)
    else:
        # A second decode through IMREAD_COLOR applies EXIF orientation, which
        # IMREAD_UNCHANGED ignores; alpha images rarely carry orientation.
        oriented = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
        rgb = _to_rgb_uint8(oriented if oriented is not None else decoded)
    if max_side is not None and max(rgb.shape[:2]) > max_side:
        h, w = rgb.shape[:2]
        scale = max_side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return rgb


def resize_rgb(rgb_uint8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (width, height): area averaging when shrinking, bicubic when growing."""
    w, h = size
    if rgb_uint8.shape[1] == w and rgb_uint8.shape[0] == h:
        return rgb_uint8
    shrinking = w < rgb_uint8.shape[1] or h < rgb_uint8.shape[0]
    return cv2.resize(rgb_uint8, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def encode_image(rgb_uint8: np.ndarray, suffix: str, *, jpeg_quality: int = 95) -> bytes:
    suffix = suffix.lower()
    if suffix not in WRITE_EXTENSIONS:
        raise OutputError(
            f"cannot write images as {suffix or 'files without an extension'}; "
            f"use one of {', '.join(sorted(WRITE_EXTENSIONS))}"
        )
    params = []
    if suffix in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
    elif suffix == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, jpeg_quality]
    ok, buf = cv2.imencode(suffix, np.ascontiguousarray(rgb_uint8[:, :, ::-1]), params)
    if not ok:
        raise OutputError(f"OpenCV could not encode a {suffix} image")
    return buf.tobytes()


def write_image(path: Path, rgb_uint8: np.ndarray) -> None:
    """Write atomically: the file at ``path`` is either the whole new image or untouched."""
    path = Path(path)
    write_bytes_atomic(path, encode_image(rgb_uint8, path.suffix))


def natural_key(path: Path) -> list[object]:
    """Sort key that puts frame2 before frame10 (case-insensitive)."""
    parts = re.split(r"(\d+)", str(path).lower())
    return [int(p) if p.isdigit() else p for p in parts]


def list_folder(folder: Path, *, recursive: bool = False) -> tuple[list[Path], list[Path]]:
    """(images, other files) under ``folder``, as paths relative to it, in natural order.

    Hidden files and folders (a leading dot, like our own work folders) are left out.
    """
    folder = require_folder(folder)
    try:
        entries = list(folder.rglob("*") if recursive else folder.iterdir())
    except OSError as err:
        raise InputError(f"cannot list folder {folder}: {describe_os_error(err)}") from None
    images: list[Path] = []
    others: list[Path] = []
    for entry in entries:
        relative = entry.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not entry.is_file():
            continue
        (images if is_image_path(entry) else others).append(relative)
    return sorted(images, key=natural_key), sorted(others, key=natural_key)
