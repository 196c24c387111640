"""Where settings files are found: the presets shipped in this folder (``NAME.toml``, read
with importlib.resources so they work from a wheel), and the user's own defaults file.

Reading and checking their values is ``config.py``'s job; this module only locates them.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

SUFFIX = ".toml"


def shipped_presets() -> dict[str, Traversable]:
    """The presets installed with the package, by name, in name order."""
    found = {
        entry.name[: -len(SUFFIX)]: entry
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(SUFFIX) and entry.is_file()
    }
    return dict(sorted(found.items()))


def is_preset_path(value: str | os.PathLike[str]) -> bool:
    """Whether a ``--config`` value names a file rather than a shipped preset: it has a path
    separator, ends in .toml, or is an existing file (so ``./fast`` and ``fast.toml`` stay files).

    >>> is_preset_path("fast"), is_preset_path("my/fast"), is_preset_path("fast.toml")
    (False, True, True)
    """
    if not isinstance(value, str):
        return True  # a Path object is a path, whatever it is called
    separators = [sep for sep in (os.sep, os.altsep) if sep]
    return any(sep in value for sep in separators) or value.lower().endswith(SUFFIX) or Path(value).is_file()


def resolve_preset(name_or_path: str | os.PathLike[str]) -> Path | Traversable:
    """The file a ``--config`` value means: a path as given, or the shipped preset of that name.

    An unknown name raises ConfigError listing the names.
    """
    if is_preset_path(name_or_path):
        return Path(name_or_path)
    name = str(name_or_path)
    shipped = shipped_presets()
    if name not in shipped:
        raise ConfigError(f"unknown preset {name!r}; the presets are {', '.join(shipped)} (or give a .toml file)")
    return shipped[name]


def preset_description(source: Path | Traversable) -> str:
    """A preset's first comment line, which is its one-line description ('' without one)."""
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            return line.lstrip().lstrip("#").strip()
    return ""


def user_defaults_path() -> Path | None:
    """The user's defaults file, following the XDG base directory spec: under
    ``$XDG_CONFIG_HOME`` when that is an absolute path, else ``~/.config``. None when there
    is no home directory to look in."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(base):
        root = Path(base)
    else:
        try:
            root = Path.home() / ".config"
        except RuntimeError:  # no $HOME and no passwd entry: there is no user file
            return None
    return root / "framestyle" / "defaults.toml"


__all__ = ["SUFFIX", "is_preset_path", "preset_description", "resolve_preset", "shipped_presets", "user_defaults_path"]
