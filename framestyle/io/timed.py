"""Raw RGB frames with their own times, framed as a Matroska stream for ffmpeg's stdin.

A raw pipe (``-f rawvideo -r RATE``) gives every frame the same duration, and ffmpeg has
no way to read a list of times beside it (setpts takes one expression, not a table). So
a variable-rate clip's frames travel in a container that carries a time per frame: the
smallest Matroska ffmpeg reads, one track of uncompressed RGB24 (``V_UNCOMPRESSED``,
ColourSpace ``RGB\\x18``), one cluster per frame, each frame a block group with its
duration, times in microseconds. The segment's size is left unknown, as live streams do,
so nothing has to be known in advance.
"""

from __future__ import annotations

from fractions import Fraction

TICKS_PER_SECOND = 1_000_000  # TimestampScale 1000 ns: times in microseconds


def _size(length: int) -> bytes:
    # An 8-byte EBML length: always valid, and simpler than the shortest form.
    return b"\x01" + length.to_bytes(7, "big")


def _element(element_id: bytes, payload: bytes) -> bytes:
    return element_id + _size(len(payload)) + payload


def _uint(element_id: bytes, value: int) -> bytes:
    return _element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def ticks(seconds: Fraction) -> int:
    return round(seconds * TICKS_PER_SECOND)


def stream_header(size: tuple[int, int]) -> bytes:
    """EBML header, an open-ended segment, its info and the one video track.

    >>> stream_header((16, 8))[:4].hex()
    '1a45dfa3'
    """
    width, height = size
    ebml = _element(
        b"\x1a\x45\xdf\xa3",
        _uint(b"\x42\x86", 1)  # EBMLVersion
        + _uint(b"\x42\xf7", 1)  # EBMLReadVersion
        + _uint(b"\x42\xf2", 4)  # EBMLMaxIDLength
        + _uint(b"\x42\xf3", 8)  # EBMLMaxSizeLength
        + _element(b"\x42\x82", b"matroska")  # DocType
        + _uint(b"\x42\x87", 4)  # DocTypeVersion
        + _uint(b"\x42\x85", 2),  # DocTypeReadVersion
    )
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff"  # size unknown
    info = _element(
        b"\x15\x49\xa9\x66",
        _uint(b"\x2a\xd7\xb1", 1_000_000_000 // TICKS_PER_SECOND)  # TimestampScale (ns)
        + _element(b"\x4d\x80", b"framestyle")  # MuxingApp
        + _element(b"\x57\x41", b"framestyle"),  # WritingApp
    )
    video = _element(
        b"\xe0",
        _uint(b"\xb0", width)  # PixelWidth
        + _uint(b"\xba", height)  # PixelHeight
        + _element(b"\x2e\xb5\x24", b"RGB\x18"),  # ColourSpace: packed RGB, 24 bits
    )
    track = _element(
        b"\xae",
        _uint(b"\xd7", 1)  # TrackNumber
        + _uint(b"\x73\xc5", 1)  # TrackUID
        + _uint(b"\x83", 1)  # TrackType: video
        + _element(b"\x86", b"V_UNCOMPRESSED")  # CodecID
        + _uint(b"\x9c", 0)  # FlagLacing: off
        + video,
    )
    return ebml + segment + info + _element(b"\x16\x54\xae\x6b", track)


def frame_cluster(rgb24: bytes, *, start: int, duration: int) -> bytes:
    """One frame (packed RGB24 bytes) shown from ``start`` for ``duration`` ticks."""
    # Block: track number 1 (as an EBML varint), time relative to the cluster (0), no flags.
    block = b"\x81\x00\x00\x00" + rgb24
    group = _element(b"\xa0", _element(b"\xa1", block) + _uint(b"\x9b", max(1, duration)))
    return _element(b"\x1f\x43\xb6\x75", _uint(b"\xe7", start) + group)
