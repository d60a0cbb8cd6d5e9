"""Assets: immutable media files addressed by the SHA-256 of their bytes, and upload refusals."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from signage.domain.errors import SignageError

# The stored file's extension follows from its (sniffed) MIME type, never from the upload's name.
EXTENSION_BY_MIME: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/webm": "webm",
}
MIME_BY_EXTENSION: dict[str, str] = {ext: mime for mime, ext in EXTENSION_BY_MIME.items()}

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
MAX_DISPLAY_NAME = 120
FALLBACK_DISPLAY_NAME = "upload"


class AssetKind(StrEnum):
    """What an asset is: an uploaded image or video, or a video rendered from a quote."""

    IMAGE = "image"
    VIDEO = "video"
    RENDERED = "rendered"


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """The facts of one stored asset, read from its bytes."""

    sha256: str
    kind: AssetKind
    mime: str
    width: int
    height: int
    duration_ms: int | None
    byte_size: int
    fps: float | None = None
    codec: str | None = None

    @property
    def extension(self) -> str:
        """The extension the media store files this asset under."""
        return EXTENSION_BY_MIME[self.mime]

    @property
    def is_still(self) -> bool:
        """Whether a playlist item showing it needs its own duration."""
        return self.duration_ms is None


class RefusalCode(StrEnum):
    """Why an upload was refused; a StrEnum, so each compares equal to its plain string."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNDECODABLE = "undecodable"
    TOO_MANY_PIXELS = "too_many_pixels"
    NO_VIDEO_STREAM = "no_video_stream"
    PROBE_TIMEOUT = "probe_timeout"


# Decoders name the file they failed on; the server's folders are nobody's business.
_QUOTED_PATH = re.compile(r"""(['"])(?:/|[^'"\s]*\.part\1)[^'"]*\1""")
_BARE_PATH = re.compile(r"(?<![\w./])(?:/[^\s'\",;()]+|[^\s'\",;()]+\.part\b)")
HIDDEN_PATH = "the uploaded file"


def without_paths(text: str) -> str:
    """The text with every absolute path (and staging `.part` name) replaced by words."""
    return _BARE_PATH.sub(HIDDEN_PATH, _QUOTED_PATH.sub(HIDDEN_PATH, text))


class UploadRefusedError(SignageError):
    """An uploaded file was refused; nothing of it is kept.

    HTTP mapping for the web layer (see `http_status`): `too_large` → 413 Content Too Large,
    `unsupported_type` → 415 Unsupported Media Type, every other code (empty, undecodable,
    too_many_pixels, no_video_stream, probe_timeout) → 422 Unprocessable Content. The body
    should carry `code` as the error and `reason` as the human-readable text.
    """

    def __init__(self, code: RefusalCode | str, reason: str) -> None:
        reason = without_paths(reason)
        super().__init__(f"{code}: {reason}")
        self.code = RefusalCode(code)
        self.reason = reason

    @property
    def http_status(self) -> int:
        """The status the web layer answers with for this refusal."""
        if self.code is RefusalCode.TOO_LARGE:
            return 413
        if self.code is RefusalCode.UNSUPPORTED_TYPE:
            return 415
        return 422


def is_sha256(value: str) -> bool:
    """Whether `value` is a lower-case hex SHA-256 digest (safe to use in a path)."""
    return _SHA256_RE.fullmatch(value) is not None


def sanitise_filename(name: str) -> str:
    """A display name from an uploaded file name: no directories, control characters or excess.

    Only for showing to people; the store never builds a path from it.
    """
    text = unicodedata.normalize("NFC", name)
    # Both separators: a Windows browser may send "C:\\Users\\x\\photo.jpg".
    text = re.split(r"[\\/]", text)[-1]
    # Category C covers control, format (bidi overrides that disguise an extension),
    # surrogate, private-use and unassigned characters.
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = " ".join(text.split()).strip(" .")
    if not text:
        return FALLBACK_DISPLAY_NAME
    if len(text) > MAX_DISPLAY_NAME:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[: MAX_DISPLAY_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:MAX_DISPLAY_NAME].rstrip()
    return text
