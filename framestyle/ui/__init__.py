"""Terminal output: progress bars on stderr (bars.py) and the text of summaries and
reports (text.py). Only the CLI uses this package; the core reports through events."""

from .bars import FrameBars, IterationBar, StepBudget, duration, loss_breakdown, say
from .text import (
    batch_summary,
    container_note,
    cuts_found,
    disk_space_text,
    fades_found,
    image_summary,
    presets_text,
    preview_commands,
    preview_summary,
    sequence_summary,
    toml_value,
    video_dry_run_text,
    video_summary,
)

__all__ = [
    "FrameBars",
    "IterationBar",
    "StepBudget",
    "batch_summary",
    "container_note",
    "cuts_found",
    "disk_space_text",
    "duration",
    "fades_found",
    "image_summary",
    "loss_breakdown",
    "presets_text",
    "preview_commands",
    "preview_summary",
    "say",
    "sequence_summary",
    "toml_value",
    "video_dry_run_text",
    "video_summary",
]
