"""The hostile-input and fault suite.

Every case runs the real command in a subprocess and checks what a user would: the exit
code, one line on stderr that names the problem, no traceback, every input byte-identical
afterwards, and no partial output left behind. README "Reliability" lists the cases.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import (
    ROOT,
    as_in_a_terminal,
    assert_nothing_lost,
    assert_one_line_error,
    asset,
    make_clip,
    run_cli,
    run_cli_in_process,
    snapshot,
    stream_facts,
    write_palette_png,
)

from framestyle.pipeline import work_folder_for
from framestyle.store import FrameStore

VIDEO_FAST = ("--size", "48", "--first-iterations", "3", "-n", "2", "--temporal", "previous", "-q")
IMAGE_FAST = ("--size", "48", "-n", "3", "-q")


@dataclass
class Kit:
    """A folder of inputs (copies, so nothing shared can be harmed) and helpers."""

    folder: Path
    bear: Path  # 5 frames of the sample clip, with audio
    starry: Path
    cat: Path

    def file(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def out(self, name: str = "out.mp4") -> Path:
        return self.folder / name


@pytest.fixture(scope="session")
def clip_5(tmp_path_factory, bear) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    return make_clip(folder / "bear5.mp4", "-i", str(bear), "-frames:v", "5", "-vf", "scale=96:-2", "-c:a", "aac")


@pytest.fixture
def kit(tmp_path, clip_5, starry, cat) -> Kit:
    folder = tmp_path / "ws"
    folder.mkdir()
    copies = [shutil.copy(p, folder / p.name) for p in (clip_5, starry, cat)]
    return Kit(folder, *map(Path, copies))


@dataclass(frozen=True)
class Refusal:
    """A bad input that must be refused: args built in the kit, words the error names."""

    name: str
    args: Callable[[Kit], list]
    needles: tuple[str | tuple[str, ...], ...]


def _truncated_mp4(k: Kit) -> Path:
    data = asset("video/sintel_854x480_2s.mp4").read_bytes()
    return k.file("half.mp4", data[: len(data) // 2])


def _undecodable_clip(k: Kit) -> Path:
    """An H.264 MP4 whose sample data is zeroed: the container and the decoder open, but
    no frame decodes. (An AV1 clip did this until OpenCV 5 brought an AV1 decoder; a
    damaged payload does not depend on which codecs a build has.)"""
    path = make_clip(
        k.folder / "undecodable.mp4",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=10",
        "-frames:v",
        "3",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
    )
    data = bytearray(path.read_bytes())
    box = data.index(b"mdat")
    size = int.from_bytes(data[box - 4 : box], "big")
    data[box + 4 : box - 4 + size] = bytes(size - 8)
    path.write_bytes(bytes(data))
    return path


def _config(k: Kit, text: str) -> Path:
    return k.file("preset.toml", text.encode())


def _pickle_weights(k: Kit) -> Path:
    import pickle

    return k.file("weights.pth", pickle.dumps({"conv": object.__new__(Kit)}))


REFUSALS = [
    Refusal("missing video", lambda k: ["video", k.folder / "nope.mp4", k.starry], ("video not found", "nope.mp4")),
    Refusal("missing style", lambda k: ["video", k.bear, k.folder / "nope.jpg"], ("style image not found",)),
    Refusal("directory as video", lambda k: ["video", k.folder, k.starry, "-o", k.out()], ("is a directory",)),
    Refusal("directory as content image", lambda k: ["image", k.folder, k.starry], ("is a directory",)),
    Refusal("empty video file", lambda k: ["video", k.file("empty.mp4", b""), k.starry, "-o", k.out()], ("empty",)),
    Refusal(
        "empty image file", lambda k: ["image", k.file("empty.jpg", b""), k.starry, "-o", k.out("o.png")], ("empty",)
    ),
    Refusal(
        "random bytes named .mp4",
        lambda k: ["video", k.file("noise.mp4", os.urandom(60000)), k.starry, "-o", k.out()],
        # Now and then random bytes pass FFmpeg's probe; then no frame decodes.
        (("not a video", "no frame could be decoded"), "noise.mp4"),
    ),
    Refusal(
        "random bytes named .jpg",
        lambda k: ["image", k.cat, k.file("noise.jpg", os.urandom(6000)), "-o", k.out("o.png")],
        ("style image", "not a readable image"),
    ),
    Refusal(
        "text file as content",
        lambda k: ["image", k.file("notes.png", b"just text"), k.starry, "-o", k.out("o.png")],
        ("not a readable image",),
    ),
    Refusal(
        "still image given as video",
        lambda k: ["video", k.cat, k.starry, "-o", k.out()],
        ("still image (one frame)", "not a video"),
    ),
    Refusal(
        "video given as style image",
        lambda k: ["image", k.cat, k.bear, "-o", k.out("o.png")],
        ("style image", "not a readable image"),
    ),
    Refusal(
        "truncated MP4 (first half)", lambda k: ["video", _truncated_mp4(k), k.starry, "-o", k.out()], ("half.mp4",)
    ),
    Refusal(
        "video that opens but decodes no frame",
        lambda k: ["video", _undecodable_clip(k), k.starry, "-o", k.out()],
        ("no frame could be decoded",),
    ),
    Refusal(
        "start past the end",
        lambda k: ["video", k.bear, k.starry, "--start", "999", "-o", k.out()],
        ("no frame decodes",),
    ),
    Refusal(
        "output equal to input (video)",
        lambda k: ["video", k.bear, k.starry, "-o", k.bear, "--overwrite"],
        ("is one of the inputs",),
    ),
    Refusal(
        "output equal to input (image)",
        lambda k: ["image", k.cat, k.starry, "-o", k.cat, "--overwrite"],
        ("is one of the inputs",),
    ),
    Refusal(
        "output exists, no --overwrite",
        lambda k: ["image", k.cat, k.starry, "-o", k.file("taken.png", b"precious")],
        ("already exists", "--overwrite"),
    ),
    Refusal(
        "output folder under a file",
        lambda k: ["video", k.bear, k.starry, "-o", k.file("afile", b"x") / "o.mp4"],
        ("cannot create folder",),
    ),
    Refusal(
        "unknown output container",
        lambda k: ["video", k.bear, k.starry, "-o", k.out("o.avi")],
        ("cannot write video as .avi",),
    ),
    Refusal(
        "unknown container for --to-video",
        lambda k: ["images", _frames(k), k.starry, "--sequence", "--to-video", k.out("o.avi")],
        ("cannot write video as .avi",),
    ),
    Refusal(
        "--side-by-side without a video output",
        lambda k: ["images", _frames(k), k.starry, "--side-by-side"],
        ("--side-by-side needs --sequence --to-video",),
    ),
    Refusal("--size 0", lambda k: ["image", k.cat, k.starry, "--size", "0"], ("size must be at least 16",)),
    Refusal(
        "negative --iterations", lambda k: ["video", k.bear, k.starry, "-n", "-5"], ("iterations must be at least 1",)
    ),
    Refusal(
        "negative --frames",
        lambda k: ["video", k.bear, k.starry, "--frames", "-2", "-o", k.out()],
        ("frames must be at least 1",),
    ),
    Refusal(
        "negative --start",
        lambda k: ["video", k.bear, k.starry, "--start", "-1", "-o", k.out()],
        ("start must be zero or more",),
    ),
    Refusal(
        "picture too thin for VGG19",
        lambda k: ["image", _thin_png(k), k.starry, *IMAGE_FAST, "-o", k.out("o.png")],
        ("48x1 pixels", "at least 16"),
    ),
    Refusal(
        "size far too large for this machine's memory",
        lambda k: ["image", k.cat, k.starry, "--size", "12000", "-o", k.out("o.png")],
        ("--size 12000 needs about", "of RAM but", "the largest size that fits is about --size"),
    ),
    Refusal(
        "video size far too large for this machine's memory",
        lambda k: ["video", k.bear, k.starry, "--size", "20000", "--frames", "2", "-o", k.out()],
        ("--size 20000 needs about", "the largest size that fits is about --size"),
    ),
    Refusal(
        "unknown config key",
        lambda k: ["video", k.bear, k.starry, "-c", _config(k, "iteratons = 3\n")],
        ("unknown key 'iteratons'", "preset.toml"),
    ),
    Refusal(
        "config value of the wrong type",
        lambda k: ["video", k.bear, k.starry, "-c", _config(k, 'size = "large"\n')],
        ("size must be an integer",),
    ),
    Refusal(
        "config that is not TOML",
        lambda k: ["image", k.cat, k.starry, "-c", _config(k, "size = [\n")],
        ("not valid TOML",),
    ),
    Refusal(
        "config file missing",
        lambda k: ["image", k.cat, k.starry, "-c", k.folder / "none.toml"],
        ("config file not found",),
    ),
    Refusal(
        "unknown preset name",
        lambda k: ["image", k.cat, k.starry, "-c", "fats", "-o", k.out("o.png")],
        ("unknown preset 'fats'", "default, fast, quality"),
    ),
    Refusal(
        "config naming an output path",
        lambda k: ["image", k.cat, k.starry, "-c", _config(k, 'output = "/etc/passwd"\n')],
        ("unknown key 'output'",),
    ),
    Refusal(
        "config init image missing",
        lambda k: [
            "image",
            k.cat,
            k.starry,
            *IMAGE_FAST,
            "-o",
            k.out("o.png"),
            "-c",
            _config(k, 'init = "/nonexistent/x.png"\n'),
        ],
        ("init image not found",),
    ),
    Refusal(
        "init image for a video",
        lambda k: ["video", k.bear, k.starry, "--init", k.cat, "-o", k.out()],
        ("--init for sequences",),
    ),
    Refusal(
        "init image for a sequence",
        lambda k: [
            "images",
            _frames(k),
            k.starry,
            "--sequence",
            "--init",
            k.cat,
            "--size",
            "64",
            "-n",
            "2",
            "--first-iterations",
            "2",
        ],
        ("--init for sequences",),
    ),
    Refusal(
        "weights file holding pickled objects",
        lambda k: ["image", k.cat, k.starry, "--weights", _pickle_weights(k), "-o", k.out("o.png")],
        ("weights.pth", "never unpickles"),
    ),
]


def _frames(k: Kit) -> Path:
    """A folder of two small frames."""
    for i in range(2):
        ok, data = cv2.imencode(".png", np.full((48, 64, 3), 60 + 40 * i, np.uint8))
        k.file(f"frames/f{i}.png", data.tobytes())
    return k.folder / "frames"


def _thin_png(k: Kit) -> Path:
    ok, data = cv2.imencode(".png", np.full((4, 400, 3), 120, np.uint8))
    return k.file("thin.png", data.tobytes())


@pytest.mark.parametrize("case", REFUSALS, ids=[r.name for r in REFUSALS])
def test_refused_with_one_line_and_nothing_touched(case: Refusal, kit: Kit):
    args = case.args(kit)
    before = snapshot(kit.folder)
    proc = run_cli(*args)
    assert_one_line_error(proc, *case.needles)
    assert_nothing_lost(before, kit.folder)
    assert not (ROOT / "out.mp4").exists()


# --- inputs that are odd but valid: they must just work -------------------------------


def _odd_content(kind: str, cat: Path, folder: Path) -> Path:
    bgr = cv2.resize(cv2.imread(str(cat)), (72, 48), interpolation=cv2.INTER_AREA)
    folder.mkdir(exist_ok=True)
    path = folder / f"{kind}.png"
    if kind == "grayscale":
        cv2.imwrite(str(path), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    elif kind == "rgba":
        alpha = np.full(bgr.shape[:2], 255, np.uint8)
        alpha[:, :20] = 0
        cv2.imwrite(str(path), np.dstack([bgr, alpha]))
    elif kind == "16-bit":
        cv2.imwrite(str(path), bgr.astype(np.uint16) * 257)
    elif kind == "palette":
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        write_palette_png(path, gray // 16, np.stack([np.arange(16) * 17] * 3, axis=1))
    return path


@pytest.mark.parametrize("kind", ["grayscale", "rgba", "16-bit", "palette"])
def test_odd_image_kinds_are_painted(kind, kit):
    content = _odd_content(kind, kit.cat, kit.folder)
    style = _odd_content("palette" if kind != "palette" else "16-bit", kit.starry, kit.folder / "styles")
    before = snapshot(kit.folder)
    out = kit.out(f"{kind}_out.png")
    proc = run_cli("image", content, style, *IMAGE_FAST, "-o", out)
    assert proc.returncode == 0, proc.stderr
    picture = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert picture.shape == (32, 48, 3) and picture.dtype == np.uint8
    assert_nothing_lost(before, kit.folder, new={out.name})


def test_huge_style_image_is_downscaled_not_out_of_memory(kit):
    # 12000x8000: 288 MB of pixels if kept; a run at 48 px needs a few hundred of them.
    big = np.zeros((8000, 12000, 3), np.uint8)
    big[::7] = (30, 90, 200)
    ok, data = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 60])
    style = kit.file("poster.jpg", data.tobytes())
    del big
    out = kit.out("o.png")
    proc = run_cli("image", kit.cat, style, *IMAGE_FAST, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert cv2.imread(str(out)).shape[1] == 48


def test_one_frame_video(kit, bear):
    one = make_clip(kit.folder / "one.mp4", "-i", str(bear), "-frames:v", "1", "-vf", "scale=96:-2", "-an")
    out = kit.out("one_out.mp4")
    proc = run_cli("video", one, kit.starry, *VIDEO_FAST, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert stream_facts(out)["frames"] == 1
    assert not work_folder_for(out).exists()


def test_two_by_two_video_is_upscaled_to_the_working_size(kit):
    tiny = make_clip(
        kit.folder / "tiny.mp4",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=2x2:rate=10",
        "-frames:v",
        "3",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
    )
    out = kit.out("tiny_out.mp4")
    proc = run_cli("video", tiny, kit.starry, *VIDEO_FAST, "-o", out)
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 3 and facts["size"] == (48, 48)


def test_odd_size_853x480_gets_even_sides(kit, bear):
    odd = make_clip(
        kit.folder / "odd.mkv",
        "-i",
        str(bear),
        "-frames:v",
        "3",
        "-vf",
        # setsar=1: scale alone keeps the 4:3 picture by making the pixels narrow (SAR
        # 640:853), which the output would rightly show at 4:3.
        "scale=853:480,setsar=1",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv444p",
        "-an",
    )
    assert stream_facts(odd)["size"] == (853, 480)
    out = kit.out("odd_out.mp4")
    proc = run_cli("video", odd, kit.starry, *VIDEO_FAST, "--size", "85", "-o", out)
    assert proc.returncode == 0, proc.stderr
    w, h = stream_facts(out)["size"]
    assert w % 2 == 0 and h % 2 == 0 and abs(w / h / (853 / 480) - 1) < 0.01


def test_video_without_audio_is_fine_when_audio_is_expected(kit, bear):
    silent = make_clip(kit.folder / "silent.mp4", "-i", str(bear), "-frames:v", "3", "-vf", "scale=96:-2", "-an")
    out = kit.out("silent_out.mp4")
    proc = run_cli("video", silent, kit.starry, *VIDEO_FAST, "--audio", "-o", out)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 3 and not facts["audio"]


def test_non_ascii_names_with_spaces(kit):
    folder = kit.folder / "mes vidéos d'été"
    folder.mkdir()
    clip = Path(shutil.copy(kit.bear, folder / "ours brun à Zürich.mp4"))
    style = Path(shutil.copy(kit.starry, folder / "nuit étoilée 星月夜.jpg"))
    proc = run_cli("video", clip, style, *VIDEO_FAST, "--frames", "2")
    assert proc.returncode == 0, proc.stderr
    out = folder / "ours brun à Zürich_nuit étoilée 星月夜.mp4"
    assert stream_facts(out)["frames"] == 2
    image_out = folder / "chat noir.png"
    proc = run_cli("image", kit.cat, style, *IMAGE_FAST, "-o", image_out)
    assert proc.returncode == 0 and image_out.exists(), proc.stderr


# --- permissions: root ignores them, so as root these run without the two capabilities
# that let root read and write where the file modes say no (as any ordinary user runs) ---

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
PR_CAPBSET_DROP = 24


def _drop_permission_override() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def unprivileged(tmp_path):
    """(run, folder): run the CLI so that file modes are enforced, in a folder of its own."""
    folder = tmp_path / "user"
    folder.mkdir()
    if os.geteuid() != 0:
        return run_cli, folder

    def run(*args):
        return run_cli(*args, preexec_fn=_drop_permission_override)

    locked = folder / "probe"
    locked.mkdir(mode=0o555)
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(locked / 'x')!r}, 'w')"],
        preexec_fn=_drop_permission_override,
        capture_output=True,
    )
    locked.rmdir()
    if probe.returncode == 0:
        pytest.skip("cannot drop root's permission override here")
    return run, folder


def _give(path: Path, folder: Path) -> Path:
    return Path(shutil.copy(path, folder / path.name))


def test_unwritable_output_folder(unprivileged, kit):
    run, folder = unprivileged
    cat, starry = _give(kit.cat, folder), _give(kit.starry, folder)
    locked = folder / "locked"
    locked.mkdir(mode=0o555)
    before = snapshot(folder)
    assert_one_line_error(run("image", cat, starry, *IMAGE_FAST, "-o", locked / "o.png"), "permission denied", "locked")
    assert_one_line_error(
        run("video", kit.bear, starry, *VIDEO_FAST, "-o", locked / "o.mp4"), "permission denied", "locked"
    )
    assert_nothing_lost(before, folder)


def test_unreadable_input(unprivileged, kit):
    run, folder = unprivileged
    cat = _give(kit.cat, folder)
    cat.chmod(0o000)
    assert_one_line_error(run("image", cat, kit.starry, "-o", folder / "o.png"), "not readable", "chelsea_cat.png")
    assert not (folder / "o.png").exists()


def test_read_only_work_folder(unprivileged, kit):
    run, folder = unprivileged
    clip, starry = _give(kit.bear, folder), _give(kit.starry, folder)
    out = folder / "o.mp4"
    args = ("video", clip, starry, *VIDEO_FAST, "--frames", "3", "--keep-frames", "-o", out)
    assert run(*args).returncode == 0
    work = work_folder_for(out)
    out.unlink()
    (work / "frame_000003.png").unlink()
    work.chmod(0o555)
    before = snapshot(folder)
    try:
        # A frame is missing and the work folder cannot take it: refused before any work.
        assert_one_line_error(run(*args), "permission denied", work.name)
        assert_nothing_lost(before, folder)
    finally:
        work.chmod(0o755)


# --- signals and a full disk --------------------------------------------------------------


def _video_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "framestyle", "video", *map(str, args)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert proc.poll() is None, "the run ended before the moment the test waits for"
        assert time.time() < deadline, "timed out"
        time.sleep(0.01)


# Later frames take about half a second each, so the stop lands inside one.
SEQUENCE = ("--size", "64", "--first-iterations", "8", "-n", "20", "--frames", "5", "--keep-frames")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, clip_5, starry) -> Path:
    """The frames of SEQUENCE run through once, for both signals' resumed runs to match."""
    whole = tmp_path_factory.mktemp("whole") / "whole.mp4"
    subprocess.run(_video_cmd(clip_5, starry, *SEQUENCE, "-q", "-o", whole), env=_env(), check=True)
    return work_folder_for(whole)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopped_during_a_frame_then_resume_matches_an_uninterrupted_run(kit, uninterrupted, signum):

    out = kit.out("o.mp4")
    work = work_folder_for(out)
    proc = subprocess.Popen(
        _video_cmd(kit.bear, kit.starry, *SEQUENCE, "-o", out),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_in_a_terminal,
    )
    first_pass = work / "pass_1"  # the forward pass; the backward one writes the frames
    _wait_for(lambda: (first_pass / "frame_000002.png").exists(), proc)
    time.sleep(0.3)  # inside frame 3's optimization
    proc.send_signal(signum)
    sent = time.time()
    _, err = proc.communicate(timeout=60)
    assert time.time() - sent < 5, "a stop must take at most a few seconds"
    assert proc.returncode == 130 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "interrupted after" in last and "run the same command again to resume" in last
    # ... and says which: the command as it was run, ready to paste.
    assert last.endswith(shlex.join(["framestyle", "video", *map(str, (kit.bear, kit.starry, *SEQUENCE, "-o", out))]))
    assert not out.exists() and not list(kit.folder.glob(".o.*"))
    done = FrameStore(first_pass).finished()
    assert 2 <= done < 5
    for frame in work.rglob("frame_*.png"):
        assert cv2.imread(str(frame)) is not None, f"{frame.name} is damaged"

    resumed = subprocess.run(
        _video_cmd(kit.bear, kit.starry, *SEQUENCE, "-o", out), env=_env(), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    # Counted in whole frames' work: two passes, so two paintings make one frame.
    assert f"{done // 2} resumed" in resumed.stderr + resumed.stdout
    for i in range(5):
        a = (uninterrupted / f"frame_{i + 1:06d}.png").read_bytes()
        assert a == (work / f"frame_{i + 1:06d}.png").read_bytes(), f"frame {i + 1} differs after resume"
    assert stream_facts(out)["frames"] == 5


def test_sigkill_during_the_final_encode_then_rerun_completes(kit):
    out = kit.out("o.mp4")
    args = (
        kit.bear,
        kit.starry,
        "--size",
        "96",
        "--first-iterations",
        "2",
        "-n",
        "2",
        "--keep-frames",
        "-q",
        "-o",
        out,
    )
    subprocess.run(_video_cmd(*args), env=_env(), check=True)
    out.unlink()  # every frame is stylized: a rerun goes straight to the encode
    proc = subprocess.Popen(_video_cmd(*args), env=_env(), stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(lambda: any(kit.folder.glob(".o.*.part.mp4")), proc, seconds=60)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its ffmpeg
    proc.wait()
    assert not out.exists(), "a killed encode must not leave a file that looks finished"
    assert list(kit.folder.glob(".o.*.part.mp4")), "the kill should have left the temporary behind"

    rerun = subprocess.run(_video_cmd(*args), env=_env(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    facts = stream_facts(out)
    assert facts["frames"] == stream_facts(kit.bear)["frames"] and facts["audio"]
    assert not list(kit.folder.glob(".o.*")), "the stale temporary is cleaned up"


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs: a real ENOSPC from the kernel, for every writer (Python, OpenCV, ffmpeg)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _disk_full_args(kit: Kit, out: Path) -> tuple:
    return (
        "video",
        kit.bear,
        kit.starry,
        "--size",
        "96",
        "--first-iterations",
        "2",
        "-n",
        "2",
        "--temporal",
        "previous",
        "--keep-frames",
        "-o",
        out,
    )


def test_too_little_disk_is_refused_before_any_painting(small_disk, kit):
    filler = small_disk / "filler.bin"
    filler.write_bytes(os.urandom(2 * 1024 * 1024 - 40 * 1024))  # ~40 KiB left: a few frames
    out = small_disk / "o.mp4"
    before, disk_before = snapshot(kit.folder), snapshot(small_disk)
    proc = run_cli(*_disk_full_args(kit, out))
    assert_one_line_error(proc, f"not enough disk space in {small_disk}", "frames", "video", "KB free")
    assert_nothing_lost(before, kit.folder)
    assert_nothing_lost(disk_before, small_disk)  # no work folder, no lock file
    assert not work_folder_for(out).exists()


def test_full_disk_then_resume_after_space_is_freed(small_disk, kit, monkeypatch):
    # The guard refuses runs that cannot fit (above); the disk can still fill during a run
    # (another program writes): here the guard is told there is room, and the kernel says no.
    import framestyle.pipeline.space

    monkeypatch.setattr(framestyle.pipeline.space, "free_bytes", lambda folder: 10**12)
    filler = small_disk / "filler.bin"
    filler.write_bytes(os.urandom(2 * 1024 * 1024 - 40 * 1024))  # ~40 KiB left: a few frames
    out = small_disk / "o.mp4"
    args = _disk_full_args(kit, out)
    before = snapshot(kit.folder)
    proc = run_cli_in_process(*args)
    assert_one_line_error(proc, "no space left on device")
    assert_nothing_lost(before, kit.folder)
    assert not out.exists() and not list(small_disk.glob(".o.*"))
    work = work_folder_for(out)
    done = FrameStore(work).finished()
    assert done >= 1
    for frame in work.iterdir():
        assert frame.name == "manifest.json" or cv2.imread(str(frame)) is not None, f"{frame.name} is damaged"

    filler.unlink()
    resumed = run_cli_in_process(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done} resumed" in resumed.stderr + resumed.stdout
    assert stream_facts(out)["frames"] == 5

    # The disk fills during the final encode (ffmpeg's own writes): same promise.
    out.unlink()
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(os.urandom(free - 8 * 1024))
    encode = run_cli_in_process(*args)
    assert_one_line_error(encode, "cannot write", "o.mp4", "no space left on device")
    assert not out.exists() and not list(small_disk.glob(".o.*"))
    filler.unlink()
    assert run_cli_in_process(*args).returncode == 0 and stream_facts(out)["frames"] == 5
