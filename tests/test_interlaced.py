"""Interlaced clips (1080i camcorders, DV, broadcast): read as pictures of one instant.

A clip is made here as a camera would record it: a photograph panned fast at 50 pictures
a second, woven two at a time into 25 interlaced frames (``tinterlace``) and encoded
with the field flags (x264 ``tff``). Its truth is the same pan at the first field's
instants, progressive.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from conftest import asset, make_clip, run_cli

from framestyle.io.playback import shown_frames
from framestyle.io.video import COMB_TOLERANCE, VideoInfo, deinterlace, iter_frames, probe

PAN = "scale=1000:-2,crop=160:128:x='n*8':y=200,format=yuv420p"  # 8 px a field


def _woven(folder: Path, order: str) -> tuple[Path, Path]:
    """(the interlaced clip, its truth): 6 frames of 160x128, the field shown first
    ``order`` ("tff" or "bff")."""
    photo = asset("content/santorini_rowing_boat.jpg")
    source = ["-loop", "1", "-framerate", "50", "-i", str(photo), "-frames:v", "6"]
    # tinterlace puts the earlier picture in the top field (interleave_top) or the bottom.
    weave = "interleave_top" if order == "tff" else "interleave_bottom"
    woven = make_clip(
        folder / f"pan_25i_{order}.mp4",
        *source,
        "-vf",
        f"{PAN},tinterlace=mode={weave},setfield={order}",
        *["-c:v", "libx264", "-crf", "4", "-flags", "+ildct+ilme", "-x264-params", f"{order}=1"],
    )
    truth = make_clip(
        folder / "pan_25p.mp4",
        *source,
        "-vf",
        rf"{PAN},select=not(mod(n\,2))",
        *["-fps_mode", "passthrough", "-c:v", "libx264", "-crf", "4"],
    )
    return woven, truth


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, Path]:
    return _woven(tmp_path_factory.mktemp("interlaced"), "tff")


def comb_energy(frame: np.ndarray) -> float:
    """How much each line stands out from the mean of its neighbours: high where combed."""
    gray = frame.astype(np.float32).mean(axis=2)
    return float(np.abs(2 * gray[1:-1] - gray[:-2] - gray[2:]).mean())


def mean_error(frames: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(np.mean([np.abs(a.astype(float) - b).mean() for a, b in zip(frames, truth)]))


def assert_read_at_the_first_fields_instants(
    info: VideoInfo, truth: list[np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``info``'s frames, as painted and as `framestyle eval` judges them (ffmpeg's bwdif),
    come clearly nearer ``truth`` than its woven frames do; returns (read, woven)."""
    read = list(iter_frames(info))
    woven = list(iter_frames(dataclasses.replace(info, first_field=None)))
    error, woven_error = mean_error(read, truth), mean_error(woven, truth)
    assert error < 0.75 * woven_error, (error, woven_error)
    shown = list(shown_frames(info))
    assert len(shown) == len(read)
    assert mean_error(shown, truth) < 0.75 * woven_error
    return read, woven


@pytest.mark.parametrize("order", ["tff", "bff"])
def test_an_interlaced_clip_is_read_at_one_instant_per_frame(order, tmp_path, clips):
    woven_path, truth_path = clips if order == "tff" else _woven(tmp_path, order)
    info, truth_info = probe(woven_path), probe(truth_path)
    assert info.first_field == (0 if order == "tff" else 1) and not truth_info.interlaced
    assert (info.width, info.height, info.frames) == (160, 128, 6)
    read, woven = assert_read_at_the_first_fields_instants(info, list(iter_frames(truth_info)))
    assert np.mean([comb_energy(f) for f in read]) < 0.7 * np.mean([comb_energy(f) for f in woven])


# Display rotation (ffmpeg's -display_rotation, anticlockwise) -> numpy's quarter turns.
TURNS = {"90": 1, "-90": 3, "180": 2}


@pytest.mark.parametrize("order", ["tff", "bff"])
@pytest.mark.parametrize("rotation", TURNS)
def test_a_turned_interlaced_clip_is_deinterlaced_along_its_fields(order, rotation, tmp_path, clips):
    """A phone or camera may store its fields as rows and ask players to turn the picture:
    turned a quarter, the fields are columns of the frames as read."""
    woven_path, truth_path = clips if order == "tff" else _woven(tmp_path, order)
    turned = make_clip(
        tmp_path / f"turned_{rotation}.mp4", "-display_rotation", rotation, "-i", str(woven_path), "-c", "copy"
    )
    info = probe(turned)
    quarter = TURNS[rotation] % 2 == 1
    assert (info.width, info.height) == ((128, 160) if quarter else (160, 128))
    assert info.interlaced and info.field_columns == quarter
    # Deinterlaced along the wrong lines, or keeping the wrong field, misses the truth as
    # much as the woven frames do.
    assert_read_at_the_first_fields_instants(
        info, [np.rot90(f, TURNS[rotation]) for f in iter_frames(probe(truth_path))]
    )


def test_combs_are_filled_and_still_detail_is_kept():
    smooth = np.repeat(np.linspace(0, 250, 16, dtype=np.uint8)[:, None, None], 12, axis=1).repeat(3, axis=2)
    # A frame with no motion (a smooth ramp: every line between its neighbours) is unchanged.
    assert np.array_equal(deinterlace(smooth), smooth)
    # A bright line of the second field between dark lines of the first is a comb.
    combed = np.zeros((6, 4, 3), np.uint8)
    combed[1::2] = 200
    out = deinterlace(combed)
    assert np.array_equal(out[0::2], combed[0::2])  # the first field is kept as it is
    assert out[1].max() == 0 and out[3].max() == 0  # filled from the lines around them
    assert np.array_equal(out[5], combed[5])  # the last line has no line below: kept
    # The bottom field shown first: its (odd) rows are kept, the even ones filled.
    out = deinterlace(combed, keep=1)
    assert np.array_equal(out[1::2], combed[1::2]) and out[2].min() == 200 and out[4].min() == 200
    assert np.array_equal(out[0], combed[0])  # the first line has no line above: kept
    # A line within the tolerance of its neighbours' range is detail, not a comb.
    near = combed.copy()
    near[1::2] = COMB_TOLERANCE
    assert np.array_equal(deinterlace(near), near)
    # A thin line that was there a frame ago is still detail, not a comb.
    line = np.zeros((6, 4, 3), np.uint8)
    line[3] = 255
    assert np.array_equal(deinterlace(line, previous=line), line)
    assert deinterlace(line, previous=np.zeros_like(line))[3].max() == 0  # it just appeared


def test_an_interlaced_clip_is_painted_and_judged(clips, tmp_path):
    woven_path, _ = clips
    out = tmp_path / "painted.mp4"
    fast = ["--size", "64", "--first-iterations", "3", "-n", "1", "--pass-iterations", "1", "-q"]
    proc = run_cli("video", str(woven_path), str(asset("styles/vangogh_starry_night.jpg")), "-o", str(out), *fast)
    assert proc.returncode == 0, proc.stderr[-2000:]
    painted = probe(out)
    assert painted.frames == 6 and not painted.interlaced  # written progressive
    judged = run_cli("eval", str(out), str(woven_path))
    assert judged.returncode == 0, judged.stderr[-2000:]
    assert "warping error" in judged.stdout.lower()
