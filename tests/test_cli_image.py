import shutil

import cv2
import numpy as np
import pytest
from conftest import assert_one_line_error, asset, run_cli, write_palette_png

from framestyle.io.images import read_image

FAST = ["--size", "64", "-n", "20", "--quiet"]


def count_frames(path):
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_image_default_output_beside_the_photo(tmp_path, cat, starry):
    photo = tmp_path / "cat.png"
    shutil.copy(cat, photo)
    before = photo.read_bytes()
    proc = run_cli("image", photo, starry, "--size", "64", "-n", "20")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "cat_vangogh_starry_night.png"
    assert out.exists()
    assert read_image(out).shape == (43, 64, 3)
    assert photo.read_bytes() == before
    assert "wrote" in proc.stderr and "iterations" in proc.stderr


def test_same_seed_gives_identical_files(tmp_path, cat, starry):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for out in (a, b):
        assert run_cli("image", cat, starry, *FAST, "--precision", "fp32", "-o", out).returncode == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_animate_writes_a_multi_frame_animation(tmp_path, cat, starry, suffix):
    anim = tmp_path / f"progress{suffix}"
    proc = run_cli("image", cat, starry, *FAST, "-o", tmp_path / "o.png", "--animate", anim, "--animate-every", "4")
    assert proc.returncode == 0, proc.stderr
    frames = count_frames(anim)
    assert frames >= 5, frames
    # The animation ends on the final result.
    cap = cv2.VideoCapture(str(anim))
    last = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        last = frame
    final = read_image(tmp_path / "o.png")[:, :, ::-1]
    h, w = last.shape[:2]
    assert np.abs(last.astype(int) - final[:h, :w].astype(int)).mean() < 12


def test_save_every_keeps_numbered_pngs(tmp_path, cat, starry):
    proc = run_cli(
        "image", cat, starry, *FAST, "-o", tmp_path / "o.png", "--save-every", "5", "--progress-dir", tmp_path / "p"
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [f"iter_{i:05d}.png" for i in (5, 10, 15, 20)]


def test_two_styles_blend_and_config_preset(tmp_path, cat, starry):
    second = asset("styles/picabia_udnie.jpg")
    preset = tmp_path / "p.toml"
    preset.write_text("size = 64\niterations = 10\n")
    proc = run_cli(
        "image", cat, starry, second, "--style-blend", "0.7,0.3", "--config", preset, "-o", tmp_path / "o.png", "-q"
    )
    assert proc.returncode == 0, proc.stderr
    assert read_image(tmp_path / "o.png").shape == (43, 64, 3)


def test_config_by_preset_name_and_user_defaults(tmp_path, cat, starry):
    # `fast` (256 px, 2 scales) with flags on top: the flags win.
    proc = run_cli("image", cat, starry, "--config", "fast", "--size", "48", "-n", "2", "-o", tmp_path / "a.png", "-q")
    assert proc.returncode == 0, proc.stderr
    assert read_image(tmp_path / "a.png").shape == (32, 48, 3)
    # The user's defaults file sets what neither a preset nor a flag sets.
    home = tmp_path / "xdg"
    (home / "framestyle").mkdir(parents=True)
    (home / "framestyle" / "defaults.toml").write_text("size = 40\niterations = 2\n")
    env = {"XDG_CONFIG_HOME": str(home)}
    proc = run_cli("image", cat, starry, "-o", tmp_path / "b.png", "-q", env_extra=env)
    assert proc.returncode == 0, proc.stderr
    assert read_image(tmp_path / "b.png").shape == (27, 40, 3)
    listing = run_cli("presets", env_extra=env)
    assert listing.returncode == 0, listing.stderr
    assert f"{home / 'framestyle' / 'defaults.toml'}\n  size = 40\n  iterations = 2" in listing.stdout
    # Its keys are checked like a preset's, and the message names the file.
    (home / "framestyle" / "defaults.toml").write_text("sise = 40\n")
    for args in (["image", cat, starry, "-o", tmp_path / "c.png"], ["presets"]):
        proc = run_cli(*args, env_extra=env)
        assert_one_line_error(proc, "unknown key 'sise'", "defaults.toml")
    assert not (tmp_path / "c.png").exists()


def test_presets_lists_names_descriptions_and_values():
    proc = run_cli("presets")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "fast: A quick preview" in out and "default: The defaults" in out and "quality: Slow and careful" in out
    fast = out.split("fast:", 1)[1].split("\n\n", 1)[0]
    assert "size = 256" in fast and "iterations = 120" in fast
    assert "framestyle/defaults.toml (not present" in out  # run_cli's empty XDG_CONFIG_HOME


def test_odd_input_images_are_converted(tmp_path, starry):
    tiny = ("--size", "64", "-n", "2", "--quiet")
    gray = asset("content/camera_grayscale.png")
    assert run_cli("image", gray, starry, *tiny, "-o", tmp_path / "g.png").returncode == 0
    # The other odd kinds in one folder run: `images` reads each as `image` does.
    odd = tmp_path / "odd"
    odd.mkdir()
    bgra = np.dstack([np.full((40, 50, 3), 90, np.uint8), np.full((40, 50), 128, np.uint8)])
    cv2.imwrite(str(odd / "rgba.png"), bgra)
    cv2.imwrite(str(odd / "deep.png"), np.full((40, 50, 3), 30000, np.uint16))
    write_palette_png(odd / "pal.png", np.indices((40, 50)).sum(0) % 2, np.array([[250, 0, 0], [0, 0, 250]]))
    proc = run_cli("images", odd, starry, *tiny, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    for name in ("rgba", "deep", "pal"):
        assert read_image(tmp_path / "out" / f"{name}.png").shape == (51, 64, 3), name


def test_output_folder_is_created(tmp_path, cat, starry):
    out = tmp_path / "new" / "folder" / "o.png"
    assert run_cli("image", cat, starry, *FAST, "-o", out).returncode == 0
    assert out.exists()


class TestBadInput:
    def test_missing_content(self, tmp_path, starry):
        assert_one_line_error(run_cli("image", tmp_path / "nope.jpg", starry), "content image not found")

    def test_missing_style(self, tmp_path, cat):
        assert_one_line_error(run_cli("image", cat, tmp_path / "nope.jpg"), "style image not found")

    def test_bad_numbers_and_choices(self, cat, starry):
        assert_one_line_error(run_cli("image", cat, starry, "--size", "big"), "size")
        assert_one_line_error(run_cli("image", cat, starry, "--optimizer", "sgd"), "--optimizer must be one of")
        assert_one_line_error(run_cli("image", cat, starry, "--style-blend", "1,2"), "2 weights for 1 style")

    def test_bad_animation_suffix(self, tmp_path, cat, starry):
        proc = run_cli("image", cat, starry, *FAST, "-o", tmp_path / "o.png", "--animate", tmp_path / "a.avi")
        assert_one_line_error(proc, ".gif or .mp4")
        assert not (tmp_path / "a.avi").exists()

    def test_cuda_asked_without_gpu(self, cat, starry):
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
        assert_one_line_error(run_cli("image", cat, starry, "--device", "cuda"), "no CUDA GPU")
