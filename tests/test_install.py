"""The package as a user installs it: a wheel (not the source tree) in a fresh virtualenv,
run from another folder. The presets must come with it.

Slow-ish (building and installing take a few seconds; the paint is 3 steps at 64 px), but
part of the suite: it is the only test that catches files missing from the wheel.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources: setuptools keeps a build/ folder beside them,
    whose stale files would otherwise end up in the wheel (and in the repo)."""
    src = tmp / "src"
    shutil.copytree(ROOT / "framestyle", src / "framestyle", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--no-cache-dir",
            "-q",
            "-w",
            dist,
            src,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("framestyle-*.whl")
    return wheel


def _venv_with(wheel: Path, tmp: Path) -> Path:
    """A fresh venv with the wheel installed (not editable); torch, OpenCV and the other
    dependencies come from this interpreter's site-packages through a .pth line, so
    nothing is downloaded. A plain path line does not run that folder's own .pth files,
    so the development checkout's editable install stays out."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "--no-cache-dir",
            "-q",
            wheel,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (Path(purelib) / "shared_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv


def test_wheel_installs_presets_and_runs_from_anywhere(tmp_path, cat, starry):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for preset in ("default", "fast", "quality"):
        assert f"framestyle/presets/{preset}.toml" in names, names

    venv = _venv_with(wheel, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")  # no user defaults file

    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import framestyle; print(framestyle.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel, not the checkout

    framestyle = str(venv / "bin" / "framestyle")
    listing = subprocess.run([framestyle, "presets"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    for preset in ("default", "fast", "quality"):
        assert f"\n{preset}: " in listing.stdout, listing.stdout

    out = elsewhere / "out.png"
    args = [framestyle, "image", cat, starry, "--config", "fast", "--size", "64", "-n", "3", "-o", out, "-q"]
    proc = subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
