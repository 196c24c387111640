"""Letterbox and pillarbox bars: found in real decoded frames, kept black in the output."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import asset, ffmpeg, make_clip, run_cli, stream_facts

from framestyle.io.video import iter_frames, probe
from framestyle.letterbox import DARK, Bars, find_bars
from framestyle.pipeline import work_folder_for
from framestyle.store import MANIFEST, FrameStore, read_manifest

TINY = ["--size", "64", "--frames", "3", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2"]


def picture(height: int = 90, width: int = 160, value: int = 128) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(value - 60, value + 60, (height, width, 3)).astype(np.uint8)


def test_letterbox_pillarbox_and_both_are_found():
    frame = picture()
    frame[:10] = 0
    frame[-12:] = 5
    assert find_bars([frame]) == Bars(top=10, bottom=12)
    frame[:, :20] = 0
    frame[:, -20:] = DARK
    assert find_bars([frame]) == Bars(top=10, bottom=12, left=20, right=20)


def test_one_bright_pixel_in_any_frame_breaks_a_bar():
    frame = picture()
    frame[:10] = frame[-10:] = 0
    later = frame.copy()
    later[3, 80] = (DARK + 1, 0, 0)  # a subtitle, a logo, a lit window
    assert find_bars([frame, later]) == Bars(top=3, bottom=10)


@pytest.mark.parametrize(
    "dark",
    [
        "top only",  # a night sky along one edge is not a letterbox
        "two rows",  # too thin to be a bar
        "most of the frame",  # bars take at most half a side
        "everything",  # a black clip has no picture to frame
    ],
)
def test_what_is_not_taken_for_bars(dark):
    frame = picture()
    if dark == "top only":
        frame[:20] = 0
    elif dark == "two rows":
        frame[:1] = frame[-1:] = 0
    elif dark == "most of the frame":
        frame[:25] = frame[-25:] = 0
    else:
        frame[:] = 0
    assert not find_bars([frame])


def test_bars_scale_to_whole_rows_of_bar_and_frame_the_painted_picture():
    bars = Bars(top=58, bottom=58)
    assert bars.scaled((854, 480), (256, 144)) == Bars(top=17, bottom=17)  # 17.4 rows: the 18th is half picture
    assert bars.scaled((320, 180), (640, 360)) == Bars(top=112, bottom=112)  # growing (bicubic) reaches further
    frame = np.zeros((8, 6, 3), np.uint8)
    bars = Bars(top=2, left=1, right=1, bottom=3)
    assert bars.inside(frame).shape == (3, 4, 3) and bars.inside(frame[..., 0]).shape == (3, 4)
    framed = bars.around(frame, np.full((3, 4, 3), 200, np.uint8))
    assert (framed[:2] == 0).all() and (framed[-3:] == 0).all()
    assert (framed[:, :1] == 0).all() and (framed[:, -1:] == 0).all()
    assert (framed[2:5, 1:5] == 200).all() and not frame.any()  # the source is not written to
    painted = np.ones((8, 6, 3), np.uint8)
    assert Bars().around(frame, painted) is painted and Bars().inside(frame).shape == frame.shape


def letterboxed(path: Path, pad: str, *, frames: int = 24) -> Path:
    """A real encoded clip: a moving test pattern padded with black by ffmpeg."""
    return make_clip(
        path,
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=24",
        "-vf",
        pad,
        "-frames:v",
        str(frames),
        "-pix_fmt",
        "yuv420p",
    )


def test_probe_finds_the_bars_of_real_clips(tmp_path):
    sintel = probe(asset("video/sintel_854x480_2s.mp4"))  # a 2.39:1 film in a 16:9 frame
    assert sintel.bars == Bars(top=58, bottom=58)
    for name in ("video/chromium_bear_vp9_opus.webm", "video/nasa_shuttle_1080x608.webm"):
        assert not probe(asset(name)).bars, name
    box = probe(letterboxed(tmp_path / "box.mp4", "pad=320:240:0:30:black"))
    # x264 rings across an edge inside a macroblock (row 210 of 208-223): a few rows of the
    # bottom bar come out brighter than DARK, and are painted with the picture.
    assert 28 <= box.bars.top <= 30 and 24 <= box.bars.bottom <= 30 and not box.bars.left
    pillar = probe(letterboxed(tmp_path / "pillar.mp4", "pad=432:180:56:0:black"))
    assert 50 <= pillar.bars.left <= 56 and 50 <= pillar.bars.right <= 56 and not pillar.bars.top
    one_side = probe(letterboxed(tmp_path / "one.mp4", "pad=320:210:0:30:black"))
    assert not one_side.bars


def decode_rgb(path: Path) -> np.ndarray:
    w, h = stream_facts(path)["size"]
    raw = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def test_video_keeps_the_bars_and_paints_the_picture_alone(tmp_path, starry):
    src = letterboxed(tmp_path / "film.mp4", "pad=320:240:0:30:black")
    bars = probe(src, max_frames=3).bars.scaled((320, 240), (64, 48))  # the frames painted
    n, m = bars.top, bars.bottom
    assert n in (5, 6) and m in (4, 5, 6) and not bars.left  # 30 of 240 rows: 6 of 48
    out = tmp_path / "film_out.mkv"
    dry = run_cli("video", src, starry, *TINY, "-o", out, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"letterbox bars kept from the source: top {n}, bottom {m} px" in dry.stdout
    proc = run_cli("video", src, starry, *TINY, "--crf", "0", "--keep-frames", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert f"letterbox bars kept from the source (top {n}, bottom {m} px" in proc.stderr
    frames = decode_rgb(out)
    originals = np.stack(list(iter_frames(probe(src, max_frames=3), size=(64, 48))))
    assert frames.shape == originals.shape == (3, 48, 64, 3)
    assert frames[:, :n].max() <= DARK and frames[:, -m:].max() <= DARK
    inside = np.abs(frames[:, n:-m].astype(np.float32) - originals[:, n:-m]).mean()
    assert inside > 20, inside  # painted, not the test pattern
    # The work folder holds whole frames, bars as the source has them, and says so.
    store = FrameStore(work_folder_for(out))
    assert read_manifest(store.folder / MANIFEST)["settings"]["bars"] == [n, m, 0, 0]
    stored = np.stack([store.load(i) for i in range(3)])
    assert np.array_equal(stored[:, :n], originals[:, :n]) and np.array_equal(stored[:, -m:], originals[:, -m:])

    whole = tmp_path / "film_whole.mkv"
    proc = run_cli("video", src, starry, *TINY, "--crf", "0", "--paint-bars", "-o", whole)
    assert proc.returncode == 0, proc.stderr
    assert "letterbox" not in proc.stderr
    painted = decode_rgb(whole)
    assert painted[:, :n].mean() > DARK and painted[:, :n].max() > 3 * DARK  # brush strokes in the bars


def test_side_by_side_shows_the_bars_on_both_sides(tmp_path, starry):
    src = letterboxed(tmp_path / "film.mp4", "pad=320:240:0:30:black", frames=3)
    out = tmp_path / "sbs.mkv"
    proc = run_cli("video", src, starry, *TINY, "--crf", "0", "--side-by-side", "-q", "-o", out)
    assert proc.returncode == 0, proc.stderr
    frames = decode_rgb(out)
    assert frames.shape[1:] == (48, 128, 3)
    assert frames[:, :4].max() <= DARK and frames[:, -4:].max() <= DARK
    assert frames[:, 8:-8, 64:].std() > frames[:, 8:-8, :64].std() / 4  # a painting on the right


def test_ray_gives_the_local_frames_with_the_same_picture_inside_the_bars(tmp_path, starry):
    """Frames painted alone (`--temporal none`) on two Ray workers: the local engine's
    frames to the byte (one torch thread on both sides), bars and all."""
    pytest.importorskip("ray")
    src = letterboxed(tmp_path / "film.mp4", "pad=320:240:0:30:black", frames=4)
    common = ["--size", "64", "--frames", "4", "--temporal", "none", "--first-iterations", "3"]
    common += ["--threads", "1", "--keep-frames", "-q"]
    local, on_ray = tmp_path / "local.mp4", tmp_path / "ray.mp4"
    assert run_cli("video", src, starry, *common, "-o", local).returncode == 0
    proc = run_cli("video", src, starry, *common, "--engine", "ray", "--workers", "2", "-o", on_ray)
    assert proc.returncode == 0, proc.stderr
    frames = [sorted(work_folder_for(out).glob("frame_*.png")) for out in (local, on_ray)]
    assert [p.read_bytes() for p in frames[0]] == [p.read_bytes() for p in frames[1]] and len(frames[0]) == 4
    assert stream_facts(on_ray)["frames"] == 4
    originals = list(iter_frames(probe(src, max_frames=4), size=(64, 48)))
    stored = FrameStore(work_folder_for(on_ray))
    assert all(np.array_equal(stored.load(i)[:4], originals[i][:4]) for i in range(4))


def test_a_picture_too_small_for_vgg_is_painted_with_its_bars(tmp_path, starry):
    from framestyle.config import StyleConfig, VideoConfig
    from framestyle.pipeline import plan_video

    src = letterboxed(tmp_path / "tall.mp4", "pad=320:360:0:90:black", frames=2)  # bars: half the height

    def bars(size: int, keep: bool = True) -> Bars:
        plan = plan_video(
            src,
            [starry],
            output=tmp_path / f"out{size}.mp4",
            config=StyleConfig(size=size),
            video=VideoConfig(keep_bars=keep),
            memory_guard=False,
        )
        return plan.bars

    kept = bars(64)  # 90 of 360 rows: 16 of 64, give or take the codec's ringing
    assert 15 <= kept.top <= 17 and 15 <= kept.bottom <= 17 and not bars(64, keep=False)
    assert not bars(24)  # 12 rows of picture: VGG19 needs 16, so the whole frame is painted


def test_an_ordered_folder_keeps_its_bars(tmp_path, starry):
    import cv2

    from framestyle.io.images import read_image

    shots = tmp_path / "shots"
    shots.mkdir()
    originals = list(iter_frames(probe(asset("video/chromium_bear_vp9_opus.webm"), max_frames=3), size=(128, 96)))
    for index, frame in enumerate(originals):
        framed = np.zeros((96, 160, 3), np.uint8)  # pillarbox: 16 black columns each side
        framed[:, 16:144] = frame
        cv2.imwrite(str(shots / f"f{index}.png"), framed[:, :, ::-1])
    args = ["--sequence", "--size", "80", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2"]
    out = tmp_path / "styled"
    proc = run_cli("images", shots, starry, *args, "--keep-frames", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "letterbox bars kept from the pictures (left 8, right 8 px" in proc.stderr
    painted = [read_image(out / f"f{index}.png") for index in range(3)]
    assert all(p.shape == (48, 80, 3) and p[:, :8].max() == 0 and p[:, -8:].max() == 0 for p in painted)
    sources = [
        cv2.resize(cv2.imread(str(shots / f"f{i}.png"))[:, :, ::-1], (80, 48), interpolation=cv2.INTER_AREA)
        for i in range(3)
    ]
    assert min(np.abs(p[:, 8:-8].astype(np.float32) - s[:, 8:-8]).mean() for p, s in zip(painted, sources)) > 10
    assert read_manifest(out / ".framestyle-work" / MANIFEST)["settings"]["bars"] == [0, 0, 8, 8]

    whole = tmp_path / "whole"
    proc = run_cli("images", shots, starry, *args, "--paint-bars", "-q", "-o", whole)
    assert proc.returncode == 0, proc.stderr
    assert max(read_image(whole / f"f{index}.png")[:, :8].max() for index in range(3)) > 3 * DARK


def test_a_preview_sheet_leaves_a_clips_bars_as_the_video_does(tmp_path, starry, cat):
    from framestyle.config import StyleConfig
    from framestyle.pipeline.preview import Sweep, stylize_preview_file

    src = letterboxed(tmp_path / "film.mp4", "pad=320:240:0:30:black", frames=6)
    one_cell = [Sweep("style_weight", (1000.0,))]
    sheet = stylize_preview_file(
        src, [starry], output=tmp_path / "sheet.png", style=StyleConfig(size=64, iterations=4), sweeps=one_cell
    )
    n, m = sheet.bars.top, sheet.bars.bottom
    assert n in (5, 6) and m in (4, 5, 6) and not sheet.bars.left  # as the video test finds them
    cell = sheet.cells[0].picture
    original = next(iter_frames(probe(src, max_frames=1), size=(64, 48)))
    assert cell.shape == (48, 64, 3) and cell[:n].max() <= DARK and cell[-m:].max() <= DARK
    assert (
        np.abs(cell[n:-m].astype(np.float32) - original[n:-m]).mean() > 10
    )  # painted (decoding alone moves it by 1-2)

    tiny = ["--size", "64", "-n", "2", "--vary", "style-weight=10"]
    kept = run_cli("preview", src, starry, *tiny, "-o", tmp_path / "kept.png")
    assert kept.returncode == 0, kept.stderr
    assert f"letterbox bars kept from the clip (top {n}, bottom {m} px" in kept.stderr
    painted = run_cli("preview", src, starry, *tiny, "--paint-bars", "-o", tmp_path / "painted.png")
    assert painted.returncode == 0, painted.stderr
    assert "letterbox" not in painted.stderr and "--paint-bars" in painted.stdout.split()
    # A photo has no bars to keep: its cells' commands are `framestyle image`, which takes no such flag.
    photo = run_cli("preview", cat, starry, *tiny, "--paint-bars", "-q", "-o", tmp_path / "photo.png")
    assert photo.returncode == 0, photo.stderr
    assert " image " in photo.stdout and "bars" not in photo.stdout
