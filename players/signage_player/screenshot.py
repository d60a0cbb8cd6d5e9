"""Screenshots on request: the backend's picture of the screen, or black when it is black.

An admin asks through the server; the player learns it from a heartbeat answer
(`screenshot_requested`) or the plan's `Signage-Screenshot-Requested` header and sends one
PNG to `POST /screenshot`, which clears the request.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signage_player.runner import Player

DEFAULT_SIZE = (1920, 1080)
_MAX_SIDE = 8192


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def black_png(width: int, height: int) -> bytes:
    """A black greyscale PNG of `width` × `height` pixels (stdlib only)."""
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise ValueError(f"no screen is {width}x{height}")
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = (b"\x00" + b"\x00" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def screen_size(plan_doc: dict[str, Any] | None) -> tuple[int, int]:
    """The location's screen size from the plan document, else Full HD."""
    screen = (plan_doc or {}).get("screen")
    if isinstance(screen, dict):
        width, height = screen.get("width"), screen.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            return min(width, _MAX_SIDE), min(height, _MAX_SIDE)
    return DEFAULT_SIZE


def take_screenshot(player: Player) -> bytes | None:
    """What the screen shows now as a PNG; None when the backend cannot tell.

    When the screen is black (nothing planned, a blank, past the horizon) the answer is
    a black picture of the screen's size, whatever the backend.
    """
    shot = player.backend.screenshot()
    if shot is not None:
        return shot
    if player.showing_black():
        plan_doc, _etag = player.state.last_plan()
        return black_png(*screen_size(plan_doc))
    return None
