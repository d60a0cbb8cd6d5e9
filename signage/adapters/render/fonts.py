"""Font discovery by file or family name, and glyph coverage checks with fontTools."""

from __future__ import annotations

import hashlib
import importlib.util
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError  # type: ignore[import-untyped]

from signage.domain.templates import FontNotFoundError, MissingGlyphsError

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_REGULAR = {"regular", "book", "roman", "normal"}


@dataclass(frozen=True, slots=True)
class FontChoice:
    """The font file a render uses; its hash goes into the render job's key."""

    path: Path
    sha256: str
    family: str


def system_font_dirs() -> tuple[Path, ...]:
    """Directories searched for fonts by family name, most specific first."""
    dirs = [Path.home() / ".local/share/fonts", Path.home() / ".fonts", Path("/usr/share/fonts")]
    dirs.append(Path("/usr/local/share/fonts"))
    # matplotlib's wheel carries DejaVu Sans; find it without importing matplotlib.
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    return tuple(d for d in dirs if d.is_dir())


def find_font(
    configured_path: str | Path | None,
    family_names: Sequence[str],
    *,
    text: str = "",
    search_dirs: Sequence[Path] | None = None,
) -> FontChoice:
    """The configured font file, else the first system font of a wanted family covering `text`."""
    if configured_path:
        path = Path(configured_path)
        if not path.is_file() or _family(path) is None:
            raise FontNotFoundError(
                f"The configured font file {path} does not exist or is not a font; "
                "set the render font path to a .ttf/.otf file, or clear it to use a system font."
            )
        return _choice(path, _family(path) or path.stem)
    dirs = tuple(search_dirs) if search_dirs is not None else system_font_dirs()
    candidates = _candidates(dirs, family_names)
    wanted = ", ".join(repr(name) for name in family_names)
    if not candidates:
        raise FontNotFoundError(
            f"No font of the families {wanted} was found in {', '.join(map(str, dirs)) or 'any'}; "
            "set the render font path to a .ttf/.otf file, or install fonts-dejavu-core."
        )
    best: tuple[Path, tuple[str, ...]] | None = None
    for path, family in candidates:
        missing = check_coverage(path, text)
        if not missing:
            return _choice(path, family)
        if best is None or len(missing) < len(best[1]):
            best = (path, missing)
    assert best is not None
    raise MissingGlyphsError(
        f"No font of the families {wanted} covers {_listing(best[1])} "
        f"(closest: {best[0].name}); set the render font path to a font that covers them, "
        "e.g. DejaVu Sans or Noto Sans.",
        best[1],
        str(best[0]),
    )


def check_coverage(font_path: str | Path, text: str) -> tuple[str, ...]:
    """The characters of `text` that the font has no glyph for, in first-seen order."""
    cmap = _cmap(str(font_path), Path(font_path).stat().st_mtime_ns)
    seen: dict[str, None] = {}
    for char in text:
        # Line breaks and other controls are never drawn, so they need no glyph.
        if char.isspace() or unicodedata.category(char) == "Cc":
            continue
        if ord(char) not in cmap:
            seen[char] = None
    return tuple(seen)


def require_coverage(font_path: str | Path, text: str) -> None:
    """Refuse, naming the characters and the font, when the font lacks glyphs for `text`."""
    missing = check_coverage(font_path, text)
    if missing:
        name = Path(font_path).name
        raise MissingGlyphsError(
            f"The font {name} has no glyphs for {_listing(missing)}; "
            "configure a font that covers them (e.g. DejaVu Sans or Noto Sans) or change the text.",
            missing,
            str(font_path),
        )


def _listing(chars: Sequence[str]) -> str:
    return ", ".join(f"'{c}' (U+{ord(c):04X})" for c in chars)


def _choice(path: Path, family: str) -> FontChoice:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return FontChoice(path=path.resolve(), sha256=digest, family=family)


@lru_cache(maxsize=32)
def _cmap(path: str, mtime_ns: int) -> frozenset[int]:
    del mtime_ns  # part of the cache key only: an edited file is read again
    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError) as exc:
        raise FontNotFoundError(f"Cannot read the font file {path}: {exc}") from exc


def _names(path: Path) -> tuple[str, str, str] | None:
    """(family, subfamily, full name) from the name table, or None for a non-font."""
    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            table = font["name"]
            family = table.getDebugName(16) or table.getDebugName(1) or ""
            sub = table.getDebugName(17) or table.getDebugName(2) or ""
            full = table.getDebugName(4) or f"{family} {sub}".strip()
            return family, sub, full
    except (OSError, TTLibError, KeyError):
        return None


def _family(path: Path) -> str | None:
    names = _names(path)
    return names[0] if names else None


@lru_cache(maxsize=8)
def _index(dirs: tuple[Path, ...]) -> tuple[tuple[Path, str, str, str], ...]:
    found = []
    for directory in dirs:
        for path in sorted(directory.rglob("*")):
            if path.suffix.lower() in FONT_SUFFIXES and path.is_file():
                names = _names(path)
                if names:
                    found.append((path, *names))
    return tuple(found)


def _candidates(dirs: tuple[Path, ...], families: Sequence[str]) -> list[tuple[Path, str]]:
    """Fonts whose family or full name matches, in the order asked, regular faces first."""
    index = _index(dirs)
    result: list[tuple[Path, str]] = []
    for wanted in families:
        key = wanted.casefold().strip()
        matches = [
            (sub.casefold() not in _REGULAR, str(path), path, family)
            for path, family, sub, full in index
            if key in (family.casefold(), full.casefold())
        ]
        for _, _, path, family in sorted(matches):
            if all(path != seen for seen, _ in result):
                result.append((path, family))
    return result
