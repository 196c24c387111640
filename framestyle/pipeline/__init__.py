"""Orchestration: files in, stylizer, files out. Reports through callbacks; never prints.

Frame sources (a video file, a folder of images) feed one sequence loop
(``sequence.run_sequence``); sinks encode a video or export a folder.
"""

from .common import default_image_output, load_content, load_styles, make_stylizer
from .folder import (
    BatchEvent,
    BatchSummary,
    default_folder_output,
    plan_folder,
    stylize_folder,
    stylize_folder_sequence,
)
from .image import ImageOutcome, stylize_image_file
from .sequence import FrameEvent, run_sequence, stylize_sequence, work_folder_for
from .video import (
    VideoOutcome,
    VideoPlan,
    default_video_output,
    estimate_seconds,
    evaluate_videos,
    plan_video,
    stylize_video,
)

__all__ = [
    "BatchEvent",
    "BatchSummary",
    "FrameEvent",
    "ImageOutcome",
    "VideoOutcome",
    "VideoPlan",
    "default_folder_output",
    "default_image_output",
    "default_video_output",
    "estimate_seconds",
    "evaluate_videos",
    "load_content",
    "load_styles",
    "make_stylizer",
    "plan_folder",
    "plan_video",
    "run_sequence",
    "stylize_folder",
    "stylize_folder_sequence",
    "stylize_image_file",
    "stylize_sequence",
    "stylize_video",
    "work_folder_for",
]
