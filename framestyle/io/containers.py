"""What each video container gets: a video encoder it can hold (``codec="auto"`` picks
H.264, or VP9 for WebM) and, for each of the source's sound tracks, a stream copy where
the container holds the source's codec, or a re-encode where it does not.

The tables were checked against the ffmpeg that imageio-ffmpeg ships: what its muxers
refuse fails only at the end of a run, with "nothing was written", so it is refused here,
before any painting, in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import EncodeError
from .ffmpeg import encoder_codecs, encoder_pixel_formats
from .streams import Stream

SOUND_CONTAINERS = (".mp4", ".m4v", ".mov", ".mkv", ".webm")
MP4_LIKE = frozenset({".mp4", ".m4v", ".mov"})  # ISO media files: moov atom first for streaming

AUTO_ENCODERS = {".webm": "libvpx-vp9"}  # every other container: libx264

# WebM's specification names its video codecs; the others hold nearly everything, so only
# what ffmpeg's muxer refuses is listed (MP4 takes no VP8 or ProRes, QuickTime no VP8, VP9
# or AV1); Matroska holds them all.
WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
REFUSED_VIDEO = {
    ".mp4": frozenset({"vp8", "prores"}),
    ".m4v": frozenset({"vp8", "prores"}),
    ".mov": frozenset({"vp8", "vp9", "av1"}),
}
# The frames are sRGB, whose primaries are BT.709's: stored with BT.709's matrix in video
# range, and tagged so. Untagged, ffmpeg stored them with BT.601's matrix and players
# guessed (most take HD for BT.709): a painted green was shown 22 levels off.
COLOUR_ARGS = (
    "-vf",
    "scale=out_color_matrix=bt709:out_range=tv,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv",
)
CODEC_NAMES = {"h264": "H.264", "hevc": "H.265", "vp8": "VP8", "vp9": "VP9", "av1": "AV1", "prores": "ProRes"}

# Sound codecs copied as they are. MP4 could carry more (Opus, FLAC, PCM), but players
# expect AAC there, so only the classic MP4 codecs are copied; QuickTime adds PCM;
# Matroska holds anything common; WebM holds Opus and Vorbis only.
_MP4_AUDIO = frozenset({"aac", "mp3", "alac", "ac3", "eac3"})
_PCM = frozenset({"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_f32le"})
COPIED_AUDIO = {
    ".mp4": _MP4_AUDIO,
    ".m4v": _MP4_AUDIO,
    ".mov": _MP4_AUDIO | _PCM,
    ".mkv": _MP4_AUDIO | _PCM | {"opus", "vorbis", "flac", "dts", "truehd"},
    ".webm": frozenset({"opus", "vorbis"}),
}
# Everything else is re-encoded: Opus for WebM, AAC elsewhere (Matroska included, as the
# source was neither).
AUDIO_ENCODERS = {".webm": ("libopus", "128k")}
DEFAULT_AUDIO_ENCODER = ("aac", "192k")


def codec_name(codec: str) -> str:
    """A codec as people write it.

    >>> codec_name("h264"), codec_name("mpeg4")
    ('H.264', 'MPEG4')
    """
    return CODEC_NAMES.get(codec, codec.upper())


def holds_video(suffix: str, codec: str) -> bool:
    """Whether a ``suffix`` file can hold ``codec`` video (a codec, not an encoder).

    >>> holds_video(".webm", "h264"), holds_video(".mp4", "vp9"), holds_video(".mov", "vp9")
    (False, True, False)
    """
    suffix = suffix.lower()
    if suffix == ".webm":
        return codec in WEBM_VIDEO
    return codec not in REFUSED_VIDEO.get(suffix, frozenset())


def video_encoder(suffix: str, codec: str) -> str:
    """The encoder for a video written as ``suffix``: ``codec``, or the container's usual
    one for "auto". EncodeError (before any work) when this ffmpeg has no such encoder or
    the container cannot hold what it makes."""
    suffix = suffix.lower()
    encoder = AUTO_ENCODERS.get(suffix, "libx264") if codec == "auto" else codec
    made = encoder_codecs().get(encoder)
    if made is None:
        raise EncodeError(f"this ffmpeg has no video encoder `codec={codec}`; try libx264, libx265 or libvpx-vp9")
    if not holds_video(suffix, made):
        others = [s for s in (".mp4", ".mkv", ".mov", ".webm") if holds_video(s, made)]
        holds = "VP8, VP9 or AV1" if suffix == ".webm" else "other codecs"
        raise EncodeError(
            f"a {suffix} file cannot hold {codec_name(made)} video (`codec={codec}`); it holds {holds}: "
            f"write {', '.join(others)} instead, or leave out `codec` to let the container choose"
        )
    return encoder


def quality_args(encoder: str, crf: int) -> list[str]:
    """The encoder's constant-quality flags (crf 0 best ... 51); its defaults otherwise."""
    if encoder in ("libx264", "libx265"):
        return ["-crf", str(crf), "-preset", "medium"]
    if encoder in ("libvpx", "libvpx-vp9", "libaom-av1"):
        # -b:v 0 makes libvpx/libaom use crf alone (constant quality), not as a cap.
        return ["-crf", str(crf), "-b:v", "0"]
    if encoder == "libsvtav1":
        return ["-crf", str(crf)]
    return []


def video_args(suffix: str, *, codec: str, crf: int, pix_fmt: str = "yuv420p") -> list[str]:
    """ffmpeg's video arguments for a ``suffix`` file with sound (see ``video_encoder``).
    EncodeError (before any work) when the encoder cannot store ``pix_fmt``: ffmpeg would
    quietly pick another format, and the user would get colour at half size unawares."""
    encoder = video_encoder(suffix, codec)
    if pix_fmt != "yuv420p" and pix_fmt not in encoder_pixel_formats(encoder):
        able = [e for e in ("libx264", "libx265", "libvpx-vp9", "libaom-av1") if pix_fmt in encoder_pixel_formats(e)]
        raise EncodeError(
            f"the {encoder} encoder cannot store {pix_fmt} colour; "
            + (f"use `codec` {', '.join(able)}, or " if able else "")
            + "leave out `pix_fmt` for yuv420p"
        )
    args = ["-c:v", encoder, "-pix_fmt", pix_fmt, *COLOUR_ARGS, *quality_args(encoder, crf)]
    if suffix.lower() in MP4_LIKE:
        args += ["-movflags", "+faststart"]
    return args


@dataclass(frozen=True)
class AudioTrack:
    """One of the source's sound tracks, as the output will hold it."""

    stream: Stream
    encoder: str | None  # None: copied as it is (no loss)
    bitrate: str | None = None

    @property
    def copied(self) -> bool:
        return self.encoder is None


def audio_tracks(streams: Sequence[Stream], suffix: str) -> tuple[AudioTrack, ...]:
    """Every sound track of ``streams``, copied where a ``suffix`` file holds its codec."""
    suffix = suffix.lower()
    encoder, bitrate = AUDIO_ENCODERS.get(suffix, DEFAULT_AUDIO_ENCODER)
    copied = COPIED_AUDIO.get(suffix, frozenset())
    return tuple(
        AudioTrack(s, None) if s.codec in copied else AudioTrack(s, encoder, bitrate)
        for s in streams
        if s.kind == "audio"
    )


def audio_args(tracks: Sequence[AudioTrack], *, source: int = 1) -> list[str]:
    """-map and codec arguments taking ``tracks`` from input number ``source``, each with
    its language and title (and no other metadata: a Matroska source's DURATION tag
    would be wrong after trimming)."""
    args = ["-map_metadata", "-1"]
    for number, track in enumerate(tracks):
        stream = track.stream
        # The stream's index in the file, not its rank among audio streams: the same
        # whichever streams come before it.
        args += ["-map", f"{source}:{stream.index}"]
        if track.encoder is None:
            # Without -copypriorss 0, a copy keeps the packets between the point the
            # demuxer seeked to (a Matroska cue, often 0 s) and --start: still in sync,
            # but the file then opens on sound alone, before the first frame.
            args += [f"-c:a:{number}", "copy", f"-copypriorss:a:{number}", "0"]
        else:
            args += [f"-c:a:{number}", track.encoder, f"-b:a:{number}", track.bitrate or "192k"]
        args += [f"-metadata:s:a:{number}", f"language={stream.language or 'und'}"]
        if stream.title:
            args += [f"-metadata:s:a:{number}", f"title={stream.title}"]
    return args
