"""Containers and streams: each output container gets codecs it can hold, every sound
track is kept (copied where the container holds its codec), subtitles, data, fonts and
cover pictures are dropped with a note, and the sound stays in sync after --start.

Clips are made here with ffmpeg; outputs are checked by parsing ``ffmpeg -i``."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_line_error, ffmpeg, make_clip, run_cli, run_cli_in_process

from framestyle.config import StyleConfig, VideoConfig
from framestyle.errors import DecodeError, EncodeError
from framestyle.io.containers import audio_tracks, video_encoder
from framestyle.io.streams import Stream, dropped_streams, list_streams, parse_streams
from framestyle.io.video import output_args, probe, write_video
from framestyle.pipeline.video import plan_video

CONTAINERS = (".mp4", ".mkv", ".mov", ".webm")
FAST = ("--size", "64", "--iterations", "2", "--first-iterations", "2", "--temporal", "previous", "--frames", "3")
SRT = "1\n00:00:00,000 --> 00:00:00,500\nhello\n\n2\n00:00:00,500 --> 00:00:01,000\nworld\n"


def video_in(seconds: float = 1.0) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size=96x64:rate=25:duration={seconds}"]


def sine(frequency: int, seconds: float = 1.0, rate: int = 44100) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}:sample_rate={rate}"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """The sources: an .mkv with two AAC tracks (the second French, titled) and a
    subtitle; a .mov with PCM sound first; a .webm with Opus; an .mp4 with its sound
    first and a cover picture; an .mkv with a font attached."""
    folder = tmp_path_factory.mktemp("streams")
    srt = folder / "words.srt"
    srt.write_text(SRT)
    clips = {
        "mkv": make_clip(
            folder / "two tracks.mkv",
            *video_in(),
            *sine(440),
            *sine(880),
            "-i",
            str(srt),
            *("-map", "0", "-map", "1", "-map", "2", "-map", "3"),
            *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "srt"),
            *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra"),
            *("-metadata:s:a:1", "title=Commentaire"),
        ),
        "webm": make_clip(
            folder / "opus.webm",
            *video_in(),
            *sine(440, rate=48000),
            *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"),
        ),
    }
    cover = make_clip(folder / "cover.png", "-f", "lavfi", "-i", "color=red:size=32x32", "-frames:v", "1")
    clips["mov"] = make_clip(
        folder / "audio first.mov",
        *sine(440),
        *video_in(),
        *("-map", "0", "-map", "1", "-c:a", "pcm_s16le", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
    )
    clips["cover"] = make_clip(
        folder / "cover.mp4",
        *sine(440),
        *video_in(),
        "-i",
        str(cover),
        *("-map", "0", "-map", "1", "-map", "2", "-c:a", "aac"),
        *("-c:v:0", "libx264", "-pix_fmt:v:0", "yuv420p", "-c:v:1", "png", "-disposition:v:1", "attached_pic"),
    )
    font = folder / "font.ttf"
    font.write_bytes(b"\0\1\0\0" + bytes(60))  # only carried, never read
    clips["font"] = make_clip(
        folder / "font.mkv",
        *video_in(),
        *sine(440),
        *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-attach", str(font), "-metadata:s:t", "mimetype=font/ttf"),
    )
    return clips


def streams_of(path: Path) -> list[Stream]:
    return parse_streams(
        subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    )


def kinds(streams: list[Stream], kind: str) -> list[Stream]:
    return [s for s in streams if s.kind == kind]


def encode(source: Path, out: Path, *, start: float = 0.0, frames: int = 5, codec: str = "auto") -> None:
    """Gray frames, the source's sound: the encode a run ends with (painting aside)."""
    info = probe(source, start_seconds=start, max_frames=frames)
    gray = (np.full((64, 96, 3), 128, np.uint8) for _ in range(info.frames))
    write_video(out, gray, size=(96, 64), fps=info.fps, audio_from=info, codec=codec)


def test_the_stream_list_names_every_stream(clips):
    mkv = list_streams(clips["mkv"])
    assert [(s.index, s.kind, s.codec, s.language) for s in mkv] == [
        (0, "video", "h264", None),
        (1, "audio", "aac", "eng"),
        (2, "audio", "aac", "fra"),
        (3, "subtitle", "subrip", None),
    ]
    assert mkv[2].title == "Commentaire" and mkv[0].width == 96
    assert [s.kind for s in list_streams(clips["mov"])] == ["audio", "video"]
    cover = list_streams(clips["cover"])
    assert [(s.kind, s.attached_pic) for s in cover] == [("audio", False), ("video", False), ("video", True)]
    assert dropped_streams(mkv) == (("subtitle", 1),)
    assert dropped_streams(cover) == (("cover picture", 1),)
    assert dropped_streams(list_streams(clips["font"])) == (("attachment", 1),)


# (source, container) -> the sound codec written: copied where the container holds it.
EXPECTED_AUDIO = {
    "mkv": {".mp4": "aac", ".mkv": "aac", ".mov": "aac", ".webm": "opus"},
    "mov": {".mp4": "aac", ".mkv": "pcm_s16le", ".mov": "pcm_s16le", ".webm": "opus"},
    "webm": {".mp4": "aac", ".mkv": "opus", ".mov": "aac", ".webm": "opus"},
    "cover": {".mp4": "aac", ".mkv": "aac", ".mov": "aac", ".webm": "opus"},
}


@pytest.mark.parametrize("source", sorted(EXPECTED_AUDIO))
def test_each_container_gets_codecs_it_holds_and_every_track(tmp_path, clips, source):
    for suffix in CONTAINERS:
        out = tmp_path / f"out{suffix}"
        encode(clips[source], out)
        streams = streams_of(out)
        video = kinds(streams, "video")
        assert [v.codec for v in video] == ["vp9" if suffix == ".webm" else "h264"], (suffix, streams)
        sound = kinds(streams, "audio")
        expected = EXPECTED_AUDIO[source][suffix]
        assert [a.codec for a in sound] == [expected] * (2 if source == "mkv" else 1), (suffix, streams)
        assert not kinds(streams, "subtitle") and not kinds(streams, "attachment")
        if source == "mkv":
            assert [a.language for a in sound] == ["eng", "fra"], (suffix, streams)
            if suffix in (".mkv", ".webm"):  # MP4's stream titles are not Matroska's
                assert sound[1].title == "Commentaire"
        if source == "cover":
            assert video[0].width == 96 and not video[0].attached_pic  # the clip, not the cover


def first_frame_and_onset(path: Path) -> tuple[float, float]:
    """When the first frame shows and when the beep starts, on the file's own timeline."""
    err = subprocess.run(
        [ffmpeg(), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-vf", "showinfo", "-map", "0:a:0"]
        + ["-af", "silencedetect=noise=-30dB:duration=0.03", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    frame = re.search(r"pts_time:\s*(-?[\d.]+)", err)
    onset = re.search(r"silence_end:\s*(-?[\d.]+)", err)
    assert frame and onset, err[-2000:]
    return float(frame.group(1)), float(onset.group(1))


def sound_seconds(path: Path) -> float:
    """The first sound track's length, from its decoded samples."""
    raw = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", "8000", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(raw) / 2 / 8000


@pytest.mark.parametrize(
    ("source", "suffix"), [(".mkv", ".mkv"), (".mp4", ".mp4"), (".webm", ".webm"), (".mkv", ".webm")]
)
def test_copied_and_reencoded_sound_stays_in_sync_after_start(tmp_path, source, suffix):
    """Silence, then a beep 0.6 s in; from --start 0.4 the beep must come 0.2 s after the
    first frame, within a frame (40 ms), and the sound must last as long as the frames."""
    beep = ["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t)*gte(t\\,0.6):s=48000:d=2"]
    codecs = (
        ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus") if source == ".webm" else ("-c:a", "aac")
    )
    clip = make_clip(tmp_path / f"beep{source}", *video_in(2), *beep, "-g", "50", *codecs)
    out = tmp_path / f"out{suffix}"
    encode(clip, out, start=0.4, frames=10)
    copied = (source, suffix) != (".mkv", ".webm")
    assert [a.codec for a in kinds(streams_of(out), "audio")] == ["opus" if suffix == ".webm" else "aac"]
    assert audio_tracks(list_streams(clip), suffix)[0].copied == copied
    first_frame, onset = first_frame_and_onset(out)
    assert abs(onset - first_frame - 0.2) < 0.04, (first_frame, onset)
    assert abs(sound_seconds(out) - 0.4) < 0.04


def test_codecs_a_container_cannot_hold_are_refused_before_any_work():
    with pytest.raises(EncodeError, match=r"\.webm file cannot hold H\.264 video \(`codec=libx264`\)"):
        output_args(".webm", codec="libx264", crf=18)
    with pytest.raises(EncodeError, match=r"\.mov file cannot hold VP9 .*write \.mp4, \.mkv, \.webm"):
        output_args(".mov", codec="libvpx-vp9", crf=18)
    with pytest.raises(EncodeError, match="no video encoder `codec=h263x`"):
        output_args(".mp4", codec="h263x", crf=18)
    assert video_encoder(".mp4", "libvpx-vp9") == "libvpx-vp9"  # MP4 holds VP9
    assert video_encoder(".webm", "auto") == "libvpx-vp9" and video_encoder(".mkv", "auto") == "libx264"


def test_vp9_into_mp4_is_written(tmp_path, clips):
    out = tmp_path / "vp9.mp4"
    encode(clips["webm"], out, codec="libvpx-vp9")
    streams = streams_of(out)
    assert [s.codec for s in streams] == ["vp9", "aac"]


def test_a_still_picture_before_the_clip_is_refused(tmp_path, clips, starry):
    cover = make_clip(tmp_path / "c.png", "-f", "lavfi", "-i", "color=red:size=32x32", "-frames:v", "1")
    odd = make_clip(
        tmp_path / "still first.mkv",
        "-i",
        str(cover),
        *video_in(),
        *("-map", "0", "-map", "1", "-c:v:0", "png", "-c:v:1", "libx264", "-pix_fmt:v:1", "yuv420p"),
    )
    with pytest.raises(DecodeError, match=r"first video stream \(#0, 32x32 png\) is not the clip \(#1, 96x64"):
        plan_video(odd, [starry], output=tmp_path / "o.mp4", config=StyleConfig(size=64), video=VideoConfig())
    # The cover picture after the clip (as MP4 and QuickTime store it) is fine.
    plan = plan_video(
        clips["cover"], [starry], output=tmp_path / "o.mkv", config=StyleConfig(size=64), video=VideoConfig()
    )
    assert (plan.info.width, plan.info.frames) == (96, 25) and plan.dropped == (("cover picture", 1),)
    assert [(t.stream.index, t.stream.codec, t.copied) for t in plan.audio_tracks] == [(0, "aac", True)]


def test_cli_refuses_impossible_codecs_in_one_line(tmp_path, clips, starry):
    out = tmp_path / "o.webm"
    proc = run_cli_in_process("video", clips["mkv"], starry, *FAST, "--codec", "libx264", "-o", out)
    assert_one_line_error(proc, "cannot hold H.264 video (--codec libx264)", ".mp4, .mkv, .mov")
    proc = run_cli_in_process("video", clips["mkv"], starry, *FAST, "--codec", "libvpx-vp9", "-o", tmp_path / "o.mov")
    assert_one_line_error(proc, ".mov file cannot hold VP9")
    assert list(tmp_path.iterdir()) == []


def test_cli_keeps_both_tracks_drops_the_subtitle_and_says_so(tmp_path, clips, starry):
    out = tmp_path / "painted.webm"
    proc = run_cli("video", clips["mkv"], starry, *FAST, "--start", "0.2", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "note: dropped 1 subtitle stream" in proc.stderr and "audio kept, 2 tracks" in proc.stderr
    streams = streams_of(out)
    assert [(s.kind, s.codec, s.language) for s in streams] == [
        ("video", "vp9", None),
        ("audio", "opus", "eng"),
        ("audio", "opus", "fra"),
    ]
    assert probe(out).frames == 3 and probe(out).fps == Fraction(25)


def test_dry_run_lists_tracks_and_what_is_dropped(tmp_path, clips, starry):
    proc = run_cli_in_process("video", clips["font"], starry, *FAST, "--dry-run", "-o", tmp_path / "o.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "audio: #1 aac copied" in proc.stdout
    assert "note: dropped 1 attachment" in proc.stdout and "(libx264)" in proc.stdout
    assert list(tmp_path.iterdir()) == []
