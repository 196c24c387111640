"""The Python API: typed, documented, silent; the README's example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

import framestyle
from framestyle.errors import ConfigError, InputError


def test_stylize_image_takes_paths_or_arrays_and_returns_rgb_uint8(cat, starry):
    from framestyle.io.images import read_image

    steps = []
    a = framestyle.stylize_image(cat, starry, size=64, iterations=3, seed=1, precision="fp32", progress=steps.append)
    b = framestyle.stylize_image(read_image(cat), [read_image(starry)], size=64, iterations=3, seed=1, precision="fp32")
    assert a.dtype == np.uint8 and a.shape[2] == 3 and max(a.shape[:2]) == 64
    assert [e.iteration for e in steps] == [1, 2, 3]
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 2  # files and arrays paint alike


def test_settings_are_checked_by_name(cat, starry):
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        framestyle.stylize_image(cat, starry, colour=3)
    with pytest.raises(ConfigError, match="style_weight"):
        framestyle.stylize_image(cat, starry, style_weight="strong")
    with pytest.raises(InputError, match="HxWx3 uint8"):
        framestyle.stylize_image(np.zeros((8, 8), np.float32), starry)


def test_the_readme_python_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"### From Python\n\n```python\n(.*?)```", readme, re.S).group(1)
    code = code.replace('"out/', f'"{tmp_path}/')
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "(64, 96, 3) uint8" in proc.stdout
    assert "painting 6/6" in proc.stdout and (tmp_path / "bear_starry.mp4").stat().st_size > 0
    assert proc.stderr.strip() == ""  # the library prints nothing of its own
