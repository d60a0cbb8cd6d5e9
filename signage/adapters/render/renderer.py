"""The Renderer port on top of the Pillow/moviepy functions of this package."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

from signage.adapters.render.compose import render_still
from signage.adapters.render.fonts import FontChoice, find_font, require_coverage
from signage.adapters.render.video import render_video
from signage.domain.creatives import RenderKey
from signage.domain.quotes import QuoteSpec, author_line
from signage.domain.templates import EncoderSettings, RenderError, Template


class RenderCancelledError(RenderError):
    """The job was cancelled while it rendered."""


class PillowMoviepyRenderer:
    """Finds the font, lays the frame out once with Pillow and encodes it with moviepy."""

    def __init__(self, font_file: str, font_families: Sequence[str]) -> None:
        self.font_file = font_file
        self.font_families = tuple(font_families)

    def font_for(self, template: Template, quote: QuoteSpec) -> FontChoice:
        """The font that will draw the whole frame, refusing when none covers every character."""
        text = self._text(quote, template)
        families = (template.font_family, *self.font_families)
        font = find_font(template.font_file or self.font_file or None, families, text=text)
        # A configured file is taken as it is, so check it covers the text before queueing.
        require_coverage(font.path, text)
        return font

    def _text(self, quote: QuoteSpec, template: Template) -> str:
        return " ".join(
            (
                quote.text,
                author_line(quote.author, quote.author_role),
                *template.hashtags,
                template.contact_line,
            )
        )

    def render_still(
        self, template: Template, quote: QuoteSpec, image: Path | None, width: int, height: int
    ) -> bytes:
        """The preview frame as PNG bytes."""
        font = self.font_for(template, quote)
        frame = render_still(
            template,
            quote_text=quote.text,
            language=quote.language,
            author=quote.author,
            author_role=quote.author_role,
            image_path=image,
            size=(width, height),
            font_path=font.path,
        )
        buffer = io.BytesIO()
        frame.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    def render_video(
        self,
        template: Template,
        quote: QuoteSpec,
        image: Path | None,
        key: RenderKey,
        out_path: Path,
        progress: Callable[[float], bool],
    ) -> None:
        """Render to `out_path`; stops (leaving no file) when `progress` returns False."""
        font = self.font_for(template, quote)

        def report(fraction: float) -> None:
            if not progress(fraction):
                raise RenderCancelledError("cancelled while rendering")

        render_video(
            template,
            quote_text=quote.text,
            language=quote.language,
            author=quote.author,
            author_role=quote.author_role,
            image_path=image,
            size=(key.width, key.height),
            font_path=font.path,
            out_path=out_path,
            encoder=EncoderSettings(preset=key.preset, crf=key.crf),
            progress=report,
        )
