"""Files in and out: images, animations and video. No torch here."""

import os

# OpenCV's FFmpeg backend and its own logger write straight to stderr (e.g. "moov atom
# not found"); we report every failure ourselves in one line. Users can still override.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
