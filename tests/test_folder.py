import shutil

import numpy as np
import pytest
from conftest import ROOT, asset, make_clip, run_cli, stream_facts

from framestyle.config import RuntimeConfig, StyleConfig, VideoConfig
from framestyle.evaluate import warping_errors
from framestyle.io.images import list_folder, natural_key, read_image, resize_rgb
from framestyle.pipeline import open_engine, plan_folder, stylize_folder, stylize_folder_sequence

STARRY = ROOT / "samples/vangogh_starry_night.jpg"
FAST = ["--size", "64", "-n", "8", "-q"]


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("content/chelsea_cat.png", "content/camera_grayscale.png", "content/falcon9_rocket.jpg"):
        shutil.copy(asset(name), folder)
    data = asset("content/tubingen_neckarfront.jpg").read_bytes()
    (folder / "corrupt.jpg").write_bytes(data[:2000])
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_batch_outputs_failures_and_resume(photos, tmp_path):
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    proc = run_cli("images", photos, STARRY, "--size", "64", "-n", "8")
    assert proc.returncode == 1, proc.stderr
    out = tmp_path / "photos_vangogh_starry_night"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "camera_grayscale.png",
        "chelsea_cat.png",
        "falcon9_rocket.png",
    ]
    assert read_image(out / "chelsea_cat.png").shape == (43, 64, 3)
    assert read_image(out / "camera_grayscale.png").shape == (64, 64, 3)
    assert read_image(out / "falcon9_rocket.png").shape == (43, 64, 3)
    err = proc.stderr
    assert f"failed: {photos / 'corrupt.jpg'}: " in err and "not a readable image" in err
    assert f"skipping {photos / 'notes.txt'}: not an image" in err
    assert "3 done, 0 skipped (already done), 1 failed" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before

    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = run_cli("images", photos, STARRY, "--size", "64", "-n", "8")
    assert again.returncode == 1
    assert "0 done, 3 skipped (already done), 1 failed" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps

    changed = run_cli("images", photos, STARRY, "--size", "64", "-n", "9")
    assert changed.returncode == 2 and "other settings (iterations)" in changed.stderr
    redo = run_cli("images", photos, STARRY, "--size", "64", "-n", "9", "--overwrite", "-q")
    assert redo.returncode == 1 and "3 done" in redo.stderr


def test_a_pictures_own_failure_names_flags_as_the_run_does(tmp_path):
    import cv2

    folder = tmp_path / "thin"
    folder.mkdir()
    cv2.imwrite(str(folder / "strip.png"), np.full((4, 200, 3), 120, np.uint8))  # 64x1 at --size 64
    proc = run_cli("images", folder, STARRY, "--size", "64", "-n", "2")
    assert proc.returncode == 1, proc.stderr
    assert f"failed: {folder / 'strip.png'}: " in proc.stderr and "use a larger --size" in proc.stderr
    assert "`" not in proc.stderr


def test_recursive_tree_jpg_and_animations(tmp_path, cat):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    shutil.copy(cat, src / "top.PNG")
    shutil.copy(cat, src / "a" / "b" / "deep.png")
    (src / ".hidden").mkdir()
    shutil.copy(cat, src / ".hidden" / "skip.png")
    out = tmp_path / "out"
    proc = run_cli(
        "images", src, STARRY, *FAST, "-o", out, "--recursive", "--format", "jpg", "--animate-dir", tmp_path / "anim"
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "top.jpg").exists() and (out / "a" / "b" / "deep.jpg").exists()
    assert not (out / ".hidden").exists()
    assert (tmp_path / "anim" / "top.gif").exists() and (tmp_path / "anim" / "a" / "b" / "deep.gif").exists()


def test_output_folder_must_not_be_the_input(tmp_path, cat):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(cat, src / "c.png")
    before = (src / "c.png").read_bytes()
    proc = run_cli("images", src, STARRY, *FAST, "-o", src)
    assert proc.returncode == 2 and "must not be (inside) the input folder" in proc.stderr
    assert sorted(p.name for p in src.iterdir()) == ["c.png"] and (src / "c.png").read_bytes() == before


def test_empty_and_missing_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "no images in" in run_cli("images", tmp_path / "empty", STARRY).stderr
    assert "folder not found" in run_cli("images", tmp_path / "nope", STARRY).stderr


def test_natural_order_and_name_collisions(tmp_path, cat):
    for name in ("frame10.png", "frame2.png", "Frame1.png", "x.jpg", "x.png"):
        shutil.copy(cat, tmp_path / name)
    images, _ = list_folder(tmp_path)
    assert [p.name for p in images][:3] == ["Frame1.png", "frame2.png", "frame10.png"]
    assert sorted(["a10", "a9", "a100"], key=natural_key) == ["a9", "a10", "a100"]
    plan = plan_folder(tmp_path, [STARRY], output_dir=tmp_path / "o")
    assert {p.name for p in plan.outputs} >= {"x_jpg.png", "x_png.png"}


@pytest.fixture(scope="module")
def clip_frames(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    make_clip(folder / "f%d.png", "-i", str(ROOT / "samples/bear.webm"), "-frames:v", "6", "-vf", "scale=128:96")
    return folder


def test_sequence_is_steadier_than_independent(clip_frames, tmp_path):
    style = StyleConfig(size=64, iterations=12)
    runtime = RuntimeConfig()
    independent = plan_folder(clip_frames, [STARRY], output_dir=tmp_path / "independent")
    with open_engine([STARRY], style, runtime) as engine:
        summary = stylize_folder(independent, engine=engine)
    assert summary.done == 6
    sequence = plan_folder(clip_frames, [STARRY], output_dir=tmp_path / "sequence")
    with open_engine([STARRY], StyleConfig(size=64, iterations=6), runtime) as engine:
        stylize_folder_sequence(sequence, engine=engine, video=VideoConfig(first_iterations=12))
    assert not (tmp_path / "sequence" / ".framestyle-work").exists()
    originals = [read_image(clip_frames / f"f{i}.png") for i in range(1, 7)]
    small = [resize_rgb(o, (64, 48)) for o in originals]
    err_ind = warping_errors([read_image(p) for p in independent.outputs], small).mean_stylized
    err_seq = warping_errors([read_image(p) for p in sequence.outputs], small).mean_stylized
    assert err_seq < 0.5 * err_ind, (err_seq, err_ind)


def test_sequence_to_video_with_mixed_sizes(clip_frames, tmp_path):
    frames = tmp_path / "frames"
    shutil.copytree(clip_frames, frames)
    odd = read_image(frames / "f3.png")
    import cv2

    cv2.imwrite(str(frames / "f3.png"), cv2.resize(odd[:, :, ::-1], (100, 90)))
    out = tmp_path / "seq.mp4"
    proc = run_cli(
        "images",
        frames,
        STARRY,
        "--sequence",
        "--to-video",
        out,
        "--fps",
        "12",
        "--size",
        "64",
        "--first-iterations",
        "8",
        "-n",
        "4",
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 frames differed in size" in proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 6 and facts["fps"] == 12 and not facts["audio"]


def test_preserve_color_matches_each_picture_to_itself(cat):
    """A batch's picture must not depend on what the stylizer painted before it (resume,
    order, Ray workers): with preserve_color each picture is its own luminance reference."""
    from framestyle.pipeline import PictureTask, load_content, make_stylizer, paint_picture

    config = StyleConfig(size=64, iterations=6, tolerance=0, preserve_color=True)
    runtime = RuntimeConfig(device="cpu", precision="fp32", threads=1)
    bright = load_content(cat, 64)
    dark = (bright // 4).astype(bright.dtype)
    alone = paint_picture(make_stylizer([STARRY], config, runtime), PictureTask(0, dark)).picture
    shared = make_stylizer([STARRY], config, runtime)
    paint_picture(shared, PictureTask(0, bright))
    after_bright = paint_picture(shared, PictureTask(1, dark)).picture
    assert np.abs(alone.astype(int) - after_bright.astype(int)).max() <= 1
