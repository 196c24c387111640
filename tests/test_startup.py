"""A snappy CLI: --help, --version, `presets`, a bad setting and a missing input must not import torch, OpenCV or Ray.

Checked on the import list of ``python -X importtime`` rather than on a stopwatch, so the
test holds on a busy machine; the timings themselves are in the README.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, empty_config_home

HEAVY = {"torch", "torchvision", "cv2", "ray"}


def imported_modules(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``python -X importtime -m framestyle ARGS``; every module it imported, by full name."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "XDG_CONFIG_HOME": str(empty_config_home())}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "framestyle", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    # Lines read "import time: SELF | CUMULATIVE | <indent>NAME"; the first is a header.
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return proc, names


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["image", "--help"],
        ["video", "--help"],
        ["images", "--help"],
        ["eval", "--help"],
        ["presets", "--help"],
        ["preview", "--help"],
        ["presets"],
    ],
    ids=" ".join,
)
def test_help_version_and_presets_import_nothing_heavy(args):
    proc, names = imported_modules(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "framestyle.cli" in names  # the parse saw the real import list
    heavy = sorted(name for name in names if name.split(".")[0] in HEAVY)
    assert not heavy, f"`framestyle {' '.join(args)}` imported {heavy[:8]}"


@pytest.mark.parametrize(
    "args",
    [
        ["image", "in.jpg", "style.jpg", "--iterations", "0"],
        ["video", "in.mp4", "style.jpg", "--crf", "99"],
        ["images", "photos", "style.jpg", "--to-video", "o.mp4"],
        ["video", "in.mp4", "style.jpg", "--engine", "ray", "--segment", "8"],
        ["preview", "in.jpg", "style.jpg", "--style-weight", "-1"],
    ],
    ids=lambda a: " ".join(a[:1] + a[3:4]),
)
def test_a_bad_setting_is_refused_before_torch_loads(args):
    proc, names = imported_modules(*args)
    assert proc.returncode == 2 and "framestyle: error:" in proc.stderr, proc.stderr[-2000:]
    assert "framestyle.cli" in names  # the parse saw the real import list
    heavy = sorted(name for name in names if name.split(".")[0] in HEAVY)
    assert not heavy, f"`framestyle {' '.join(args)}` imported {heavy[:8]}"


@pytest.mark.parametrize(
    "command, missing",
    [
        (["image", "{missing}", "{style}"], "content image not found"),
        (["image", "{style}", "{missing}"], "style image not found"),
        (["video", "{missing}", "{style}", "--engine", "ray"], "video not found"),
        (["images", "{missing}", "{style}"], "folder not found"),
        (["images", "{style}", "{style}"], "not a folder"),
        (["preview", "{tmp}", "{style}"], "input is a directory"),
        (["image", "{style}", "{style}", "--weights", "{missing}"], "weights file not found"),
        (["eval", "{missing}", "{missing}"], "video not found"),
    ],
    ids=lambda a: a if isinstance(a, str) else a[0],
)
def test_a_missing_input_is_refused_before_torch_loads(tmp_path, command, missing):
    style = ROOT / "samples" / "vangogh_starry_night.jpg"
    names = {"missing": str(tmp_path / "no such.jpg"), "style": str(style), "tmp": str(tmp_path)}
    proc, imported = imported_modules(*(arg.format(**names) for arg in command))
    assert proc.returncode == 2 and f"framestyle: error: {missing}" in proc.stderr, proc.stderr[-2000:]
    assert "framestyle.cli" in imported  # the parse saw the real import list
    heavy = sorted(name for name in imported if name.split(".")[0] in HEAVY)
    assert not heavy, f"`framestyle {' '.join(command)}` imported {heavy[:8]}"


def test_the_package_is_cheap_to_import_and_loads_the_stylizer_on_first_use():
    code = (
        "import sys, framestyle\n"
        "assert 'torch' not in sys.modules, 'import framestyle loaded torch'\n"
        "assert 'Stylizer' in dir(framestyle) and 'Stylizer' in framestyle.__all__\n"
        "from framestyle import Stylizer\n"
        "from framestyle.stylize import Stylizer as Defined\n"
        "assert Stylizer is Defined and 'torch' in sys.modules\n"
        "try:\n"
        "    framestyle.nothing_here\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr


def test_painting_does_not_import_the_compiler(tmp_path, cat, starry):
    """torch's optimizers import torch._dynamo on first use (1 to 1.6 s here) unless
    framestyle's ``lbfgs.Eager`` keeps them plain; a picture and a two-pass video are
    painted without it."""
    out = tmp_path / "clip.mp4"
    proc, names = imported_modules(
        "video", str(ROOT / "samples/bear.webm"), str(starry), "--size", "64", "--frames", "3",
        "--first-iterations", "2", "-n", "2", "-q", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.exists() and "torch.optim.lbfgs" in names
    assert "torch._dynamo" not in names
    proc, names = imported_modules(
        "image", str(cat), str(starry), "--size", "64", "-n", "2", "-q", "-o", str(tmp_path / "a.png")
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "torch._dynamo" not in names


def test_shell_completion_script_and_candidates():
    # Typer's own switch: the shell is named, not detected from the parent processes (a
    # run started in the background by a shell that then exits has no shell above it).
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run(
        [sys.executable, "-m", "framestyle", "--show-completion", "bash"], capture_output=True, text=True, env=env
    )
    assert script.returncode == 0, script.stderr
    assert "_FRAMESTYLE_COMPLETE=complete_bash" in script.stdout
    # What the shell runs on <TAB>: candidates on stdout (commands, then preset names).
    for words, cword, expected in (("framestyle pres", "1", "presets"), ("framestyle image --config f", "3", "fast")):
        env_tab = {**env, "_FRAMESTYLE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
        tab = subprocess.run([sys.executable, "-m", "framestyle"], capture_output=True, text=True, env=env_tab)
        assert tab.returncode == 0, tab.stderr
        assert tab.stdout.split() == [expected], (words, tab.stdout, tab.stderr)
