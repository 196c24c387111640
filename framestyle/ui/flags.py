"""How the core's setting names are spelled as this command line's flags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Core parameters whose flag has another name, and switches whose "off" flag is not --no-NAME.
_FLAG_NAMES = {"image_format": "format", "output_dir": "output"}
_OFF_FLAGS = {"keep_bars": "--paint-bars"}
_SETTING = re.compile(r"`([a-z][a-z0-9_]*)(?:=([^`]*))?`")


def flag_spelling(message: str) -> str:
    """Spell the settings a core message names in backticks as flags of this CLI.

    >>> flag_spelling("pass `restart=True` to start over")
    'pass --restart to start over'
    >>> flag_spelling("`preserve_color=False` transfers color too")
    '--no-preserve-color transfers color too'
    >>> flag_spelling("the video at `size=512` is too small; use a larger `size`")
    'the video at --size 512 is too small; use a larger --size'
    >>> flag_spelling("`image_format` must be one of bmp, jpg")
    '--format must be one of bmp, jpg'
    >>> flag_spelling("`keep_bars=False` paints them")
    '--paint-bars paints them'
    """

    def flag(match: re.Match[str]) -> str:
        return " ".join(_flag_words(match.group(1), match.group(2)))

    return _SETTING.sub(flag, message)


def as_flags(flags: Mapping[str, Any]) -> list[str]:
    """``{"style_weight": 10.0, "keep_bars": False}`` -> ``["--style-weight", "10", "--paint-bars"]``."""
    words: list[str] = []
    for name, value in flags.items():
        words += _flag_words(name, f"{value:g}" if isinstance(value, float) else str(value))
    return words


def _flag_words(name: str, value: str | None) -> list[str]:
    """One setting as flag words: ``True`` (or no value) turns a switch on, ``False`` off."""
    flag = "--" + _FLAG_NAMES.get(name, name).replace("_", "-")
    if value is None or value == "True":
        return [flag]
    if value == "False":
        return [_OFF_FLAGS.get(name, "--no-" + flag[2:])]
    return [flag, value]
