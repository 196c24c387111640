"""framestyle presets: the shipped presets and the user's defaults file, with their values."""

from __future__ import annotations

from .. import ui
from ..presets import preset_description, shipped_presets, user_defaults_path
from ..settings import load_preset, load_user_defaults


def presets() -> None:
    """List the presets for --config NAME (each with its values) and your defaults file."""
    listed = [(name, preset_description(source), load_preset(name)) for name, source in shipped_presets().items()]
    path = user_defaults_path()
    # Read through load_user_defaults so a bad key fails here exactly as it would in a run.
    user = load_user_defaults() if path is not None and (path.exists() or path.is_symlink()) else None
    print(ui.presets_text(listed, path, user))
