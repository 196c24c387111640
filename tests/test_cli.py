"""The CLI boundary in-process: how core messages are spelled for a command line."""

import doctest

import pytest

import framestyle.cli
import framestyle.ui.flags
from framestyle.cli import flag_spelling


@pytest.mark.parametrize(
    ("core", "cli"),
    [
        ("output o.png already exists (pass `overwrite=True` to replace it)", "(pass --overwrite to replace it)"),
        ("other settings (style_weight); pass `restart=True` to start over", "pass --restart to start over"),
        ("`preserve_color=False` keeps the style's colors", "--no-preserve-color keeps"),
        ("the video at `size=40` would be 40x22 pixels", "the video at --size 40 would be"),
        ("use a larger `size`, or crop", "use a larger --size, or crop"),
        ("`image_format` must be one of bmp, jpg", "--format must be one of bmp, jpg"),
        ("choose another `output_dir`", "choose another --output"),
        ("pass `weights=PATH`", "pass --weights PATH"),
        ("`keep_bars=False` paints the whole frame", "--paint-bars paints the whole frame"),
        ("no settings named here: size_2 `` stays", "no settings named here: size_2 `` stays"),
    ],
)
def test_core_settings_become_flags(core, cli):
    assert cli in flag_spelling(core)
    assert "`" not in flag_spelling(core).replace("``", "")


def test_doctests():
    assert doctest.testmod(framestyle.cli).failed == 0
    assert doctest.testmod(framestyle.ui.flags).failed == 0
