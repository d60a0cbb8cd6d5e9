"""Typography of quotes per language: quotation marks and the author line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from signage.domain.errors import ValidationError

LANGUAGES = ("tg", "ru", "en")
MAX_QUOTE_CHARS = 2000
# Outer and inner quotation marks per language: Tajik and Russian typography
# use guillemets with „…“ inside; English uses curly double quotes with ‘…’ inside.
_MARKS = {"tg": ("«", "»", "„", "“"), "ru": ("«", "»", "„", "“"), "en": ("“", "”", "‘", "’")}
_ANY_QUOTE = "\"'«»“”„‘’‚"


def quotation_marks(language: str) -> tuple[str, str]:
    """Opening and closing quotation marks for a language (« » for tg/ru, “ ” for en)."""
    if language not in _MARKS:
        raise ValidationError("language", f"'{language}' is not one of {', '.join(LANGUAGES)}")
    opening, closing, _, _ = _MARKS[language]
    return opening, closing


def quoted(text: str, language: str) -> str:
    """The text in the language's quotation marks, inner straight quotes made typographic."""
    opening, closing = quotation_marks(language)
    _, _, inner_open, inner_close = _MARKS[language]
    lines = (" ".join(line.split()) for line in text.strip().splitlines())
    body = "\n".join(line for line in lines if line)
    if len(body) >= 2 and body[0] in _ANY_QUOTE and body[-1] in _ANY_QUOTE:
        body = body[1:-1].strip()
    parts = body.split('"')
    if len(parts) % 2 == 1:  # only balanced straight quotes are converted
        body = "".join(
            part + ((inner_open if i % 2 == 0 else inner_close) if i < len(parts) - 1 else "")
            for i, part in enumerate(parts)
        )
    return f"{opening}{body}{closing}"


def author_line(author: str, role: str = "") -> str:
    """The attribution line under a quote: an em dash, the author, and the role if any."""
    author, role = author.strip(), role.strip()
    if not author:
        return ""
    return f"— {author}, {role}" if role else f"— {author}"


@dataclass(frozen=True, slots=True)
class QuoteSpec:
    """What staff type for a quote; validated on construction."""

    text: str
    language: str
    author: str
    author_role: str = ""
    source: str = ""
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValidationError("text", "must not be empty")
        if len(self.text) > MAX_QUOTE_CHARS:
            raise ValidationError("text", f"must have at most {MAX_QUOTE_CHARS} characters")
        if self.language not in LANGUAGES:
            raise ValidationError("language", f"must be one of {', '.join(LANGUAGES)}")
        if not self.author.strip() or len(self.author) > 120:
            raise ValidationError("author", "must have 1–120 characters")
        if len(self.author_role) > 200:
            raise ValidationError("author_role", "must have at most 200 characters")
        if len(self.source) > 300:
            raise ValidationError("source", "must have at most 300 characters")

    def as_dict(self) -> dict[str, object]:
        """Plain values for audit events and the API."""
        return {
            "text": self.text,
            "language": self.language,
            "author": self.author,
            "author_role": self.author_role,
            "source": self.source,
            "tags": sorted(self.tags),
        }


@dataclass(frozen=True, slots=True)
class QuoteVersion:
    """One immutable version of a quote; renderings name the version they show."""

    id: int
    quote_id: int
    version: int
    spec: QuoteSpec
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Quote:
    """A quote with its newest version and its translations' quote ids."""

    id: int
    current: QuoteVersion
    translation_group: int | None
    translations: tuple[int, ...] = ()
