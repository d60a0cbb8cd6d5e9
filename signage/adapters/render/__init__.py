"""Quote rendering with Pillow, moviepy and ffmpeg: fonts, layout, stills, videos, probing."""

from signage.adapters.render.compose import render_still
from signage.adapters.render.fonts import FontChoice, check_coverage, find_font, require_coverage
from signage.adapters.render.layout import FramePlan, TextBlock, plan_frame
from signage.adapters.render.probe import VideoInfo, probe_video
from signage.adapters.render.video import RENDERER_VERSION, encode_still, render_video

__all__ = [
    "RENDERER_VERSION",
    "FontChoice",
    "FramePlan",
    "TextBlock",
    "VideoInfo",
    "check_coverage",
    "encode_still",
    "find_font",
    "plan_frame",
    "probe_video",
    "render_still",
    "render_video",
    "require_coverage",
]
