"""Fixtures shared by the render and composer tests: the font, and one without Tajik."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont

from signage.adapters.render import find_font
from signage.domain.templates import RenderRefusedError

TAJIK = "ҷӣҳқғӯ"


@pytest.fixture(scope="session")
def font() -> str:
    """DejaVu Sans found the way the product finds it; fail under CI, skip elsewhere."""
    try:
        return str(find_font(None, ["DejaVu Sans"], text=TAJIK).path)
    except RenderRefusedError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no usable font for the render tests: {exc}")
        pytest.skip(f"no usable font for the render tests: {exc}")


@pytest.fixture(scope="session")
def font_without_tajik(font: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A subset of DejaVu Sans with Latin and Cyrillic but without ҷ ӣ ҳ қ ғ ӯ."""
    with TTFont(font) as source:
        cmap = source.getBestCmap()
    wanted = [
        code
        for code in cmap
        if (code < 0x0250 or 0x0400 <= code < 0x0530 or 0x2000 <= code < 0x2070)
        and chr(code) not in TAJIK
    ]
    options = subset.Options()
    options.name_IDs = ["*"]
    with TTFont(font) as source:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(source)
        path = tmp_path_factory.mktemp("fonts") / "DejaVuSans-NoTajik.ttf"
        source.save(str(path))
    return path
