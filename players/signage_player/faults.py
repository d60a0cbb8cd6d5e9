"""Named crash points for reliability tests: `SIGNAGE_PLAYER_FAULT=<point>[,<point>…]`.

Off unless the variable is set. When the running code reaches a named point the process
ends at once with `os._exit(137)` (as if killed: no cleanup, no flush, no `finally`), so
tests can check that every state a crash can leave behind is recovered on the next start.

Points: `download.after_part_write`, `download.after_rename_before_index`,
`record.after_begin_play`, `record.after_outbox_write`, `upload.after_send_before_delete`,
`plan.after_receive_before_save`.
"""

from __future__ import annotations

import os

FAULT_ENV = "SIGNAGE_PLAYER_FAULT"
KILLED_EXIT_CODE = 137
POINTS = (
    "download.after_part_write",
    "download.after_rename_before_index",
    "record.after_begin_play",
    "record.after_outbox_write",
    "upload.after_send_before_delete",
    "plan.after_receive_before_save",
)


def armed(point: str) -> bool:
    """True when the environment names `point` as a crash point."""
    raw = os.environ.get(FAULT_ENV, "")
    return point in {name.strip() for name in raw.split(",") if name.strip()}


def crash_point(point: str) -> None:
    """End the process abruptly here if the environment asks for it."""
    if armed(point):
        os._exit(KILLED_EXIT_CODE)
