"""Screenshots on request: a black PNG of the screen's size while the screen is black."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from signage_player.screenshot import DEFAULT_SIZE, black_png, screen_size


def test_black_png_is_a_black_picture_of_the_screen() -> None:
    image = Image.open(io.BytesIO(black_png(320, 180)))
    image.load()
    assert image.format == "PNG"
    assert image.size == (320, 180)
    assert image.getextrema() == (0, 0)


def test_screen_size_comes_from_the_plan() -> None:
    assert screen_size({"screen": {"width": 1152, "height": 576}}) == (1152, 576)
    assert screen_size({"screen": {"width": "wide"}}) == DEFAULT_SIZE
    assert screen_size(None) == DEFAULT_SIZE
    with pytest.raises(ValueError, match="no screen"):
        black_png(0, 10)
