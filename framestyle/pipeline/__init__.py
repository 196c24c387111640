"""Orchestration: files in, an engine paints, files out. Reports through a Reporter;
never prints.

Frame sources (a video file, a folder of images) feed one sequence runner
(``sequence.run_sequence``); sinks encode a video or export a folder. Engines
(``engine.open_engine``) decide where the painting happens.
"""

from .batch import BatchSummary
from .common import default_image_output, load_content, load_styles, make_stylizer
from .engine import Engine, open_engine
from .folder import (
    FolderPlan,
    SequenceOutcome,
    default_folder_output,
    plan_folder,
    stylize_folder,
    stylize_folder_sequence,
)
from .image import ImageOutcome, stylize_image_file
from .judge import ClipJudgement, evaluate_videos
from .local import LocalEngine, stylize_sequence
from .lock import OutputLock
from .paint import PaintedPicture, PaintSettings, PictureTask, paint_frame, paint_picture
from .sequence import run_sequence, work_folder_for
from .space import DiskSpace, SpaceNeed, check_space
from .video import (
    VideoOutcome,
    VideoPlan,
    default_video_output,
    estimate_seconds,
    estimate_space,
    plan_video,
    scan_clip_shots,
    stylize_video,
)

__all__ = [
    "BatchSummary",
    "ClipJudgement",
    "DiskSpace",
    "Engine",
    "FolderPlan",
    "ImageOutcome",
    "LocalEngine",
    "OutputLock",
    "PaintSettings",
    "PaintedPicture",
    "PictureTask",
    "SequenceOutcome",
    "SpaceNeed",
    "VideoOutcome",
    "VideoPlan",
    "check_space",
    "default_folder_output",
    "default_image_output",
    "default_video_output",
    "estimate_seconds",
    "estimate_space",
    "evaluate_videos",
    "load_content",
    "load_styles",
    "make_stylizer",
    "open_engine",
    "paint_frame",
    "paint_picture",
    "plan_folder",
    "plan_video",
    "run_sequence",
    "scan_clip_shots",
    "stylize_folder",
    "stylize_folder_sequence",
    "stylize_image_file",
    "stylize_sequence",
    "stylize_video",
    "work_folder_for",
]
