"""What a plan document says to show at an instant: pure functions, no I/O, no clock.

The plan is the JSON object of `GET /api/player/v1/plan` (see `players/PROTOCOL.md`).
Within a content segment the cycle starts at the segment's start and runs on wall-clock
time: round robin over the entries in their listed order, one item from each entry's
playlist per turn; a shorter playlist starts again from its first item; the cycle ends
when the longest playlist has played each of its items once, then repeats.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from signage_player.errors import PlanError
from signage_player.records import Ident

PLAN_VERSION = 1
DEFAULT_POLL_INTERVAL_S = 30.0
SegmentKind = Literal["content", "nothing", "closed", "blank"]
BlackReason = Literal["nothing", "closed", "blank", "empty", "before_horizon", "horizon_end"]
_KINDS: tuple[SegmentKind, ...] = ("content", "nothing", "closed", "blank")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Item:
    """One playlist item: the asset shown and for how long."""

    creative_id: Ident | None
    asset_sha256: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Playlist:
    """A playlist as approved (its key in the plan is `"<approval_id>:<playlist_id>"`)."""

    key: str
    playlist_id: Ident
    approval_id: Ident
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A live schedule entry of a segment."""

    entry_id: Ident
    approval_id: Ident
    playlist: str
    campaign_id: Ident | None


@dataclass(frozen=True, slots=True)
class Segment:
    """`[start_ms, end_ms)` showing `kind`; content segments carry their entries."""

    start_ms: int
    end_ms: int
    kind: SegmentKind
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Asset:
    """A media file of the plan."""

    sha256: str
    size: int | None
    mime: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    """A parsed plan document."""

    version: int
    device_id: Ident | None
    location_id: Ident | None
    timezone: str | None
    horizon_start_ms: int
    horizon_end_ms: int
    poll_interval_s: float
    segments: tuple[Segment, ...]
    playlists: Mapping[str, Playlist]
    assets: Mapping[str, Asset]

    def approvals(self, from_ms: int | None = None) -> frozenset[Ident]:
        """Every approval with an entry in some content segment (ending after `from_ms`)."""
        return frozenset(
            entry.approval_id
            for segment in self.segments
            if segment.kind == "content" and (from_ms is None or segment.end_ms > from_ms)
            for entry in segment.entries
        )


@dataclass(frozen=True, slots=True)
class Slot:
    """One turn of a cycle: which entry shows which item, `offset_ms` into the cycle."""

    entry: Entry
    playlist: Playlist
    item: Item
    item_index: int
    offset_ms: int


@dataclass(frozen=True, slots=True)
class Scheduled:
    """The item that should be on at an instant, placed on the wall clock.

    `start_ms`/`natural_end_ms` are the item's turn; `end_ms` is where it stops (the
    segment's end or the horizon's end when those come first); `offset_ms` is how far into
    the item the instant lies (a player joining mid-item plays the remainder).
    """

    segment: Segment
    slot: Slot
    start_ms: int
    natural_end_ms: int
    end_ms: int
    offset_ms: int
    horizon_end_ms: int

    @property
    def cut_reason(self) -> str | None:
        """Why the item stops before its natural end: `boundary`, `horizon_end`, or None.

        A cut where the horizon ends is `horizon_end` even when a segment ends there too:
        only a plan that could not be renewed stops there.
        """
        if self.end_ms >= self.natural_end_ms:
            return None
        return "horizon_end" if self.end_ms >= self.horizon_end_ms else "boundary"


# --- parsing ----------------------------------------------------------------------------


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(f"{what} must be an integer, got {value!r}")
    return value


def _ident(value: object, what: str) -> Ident:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PlanError(f"{what} must be an integer or text, got {value!r}")
    return value


def _opt_ident(value: object, what: str) -> Ident | None:
    return None if value is None else _ident(value, what)


def _obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlanError(f"{what} must be an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise PlanError(f"{what} must be a list")
    return value


def _sha(value: object, what: str) -> str:
    if not isinstance(value, str) or not _SHA256.match(value):
        raise PlanError(f"{what} must be a lowercase hex SHA-256, got {value!r}")
    return value


def parse_plan(doc: Mapping[str, Any]) -> Plan:
    """Check and parse a plan document; a plan that breaks the rules raises `PlanError`."""
    if doc.get("version") != PLAN_VERSION:
        raise PlanError(f"plan version {doc.get('version')!r} is not {PLAN_VERSION}")
    horizon = _obj(doc.get("horizon"), "horizon")
    h_start = _int(horizon.get("start_ms"), "horizon.start_ms")
    h_end = _int(horizon.get("end_ms"), "horizon.end_ms")
    if h_end <= h_start:
        raise PlanError("the horizon ends before it starts")
    poll = doc.get("poll_interval_s", DEFAULT_POLL_INTERVAL_S)
    if isinstance(poll, bool) or not isinstance(poll, int | float) or poll <= 0:
        raise PlanError(f"poll_interval_s must be a positive number, got {poll!r}")
    assets = _parse_assets(_obj(doc.get("assets", {}), "assets"))
    playlists = _parse_playlists(_obj(doc.get("playlists", {}), "playlists"), assets)
    segments = _parse_segments(_list(doc.get("segments"), "segments"), playlists)
    _check_cover(segments, h_start, h_end)
    return Plan(
        version=PLAN_VERSION,
        device_id=_opt_ident(doc.get("device_id"), "device_id"),
        location_id=_opt_ident(doc.get("location_id"), "location_id"),
        timezone=doc.get("timezone") if isinstance(doc.get("timezone"), str) else None,
        horizon_start_ms=h_start,
        horizon_end_ms=h_end,
        poll_interval_s=float(poll),
        segments=segments,
        playlists=playlists,
        assets=assets,
    )


def _parse_assets(raw: dict[str, Any]) -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for sha, value in raw.items():
        body = _obj(value, f"assets[{sha}]")
        size = body.get("size")
        if size is not None and (_int(size, f"assets[{sha}].size") < 0):
            raise PlanError(f"assets[{sha}].size is negative")
        mime, url = body.get("mime"), body.get("url")
        assets[_sha(sha, "an asset key")] = Asset(
            sha256=sha,
            size=size,
            mime=mime if isinstance(mime, str) else None,
            url=url if isinstance(url, str) else None,
        )
    return assets


def _parse_playlists(raw: dict[str, Any], assets: Mapping[str, Asset]) -> dict[str, Playlist]:
    playlists: dict[str, Playlist] = {}
    for key, value in raw.items():
        body = _obj(value, f"playlists[{key}]")
        items: list[Item] = []
        for n, raw_item in enumerate(_list(body.get("items"), f"playlists[{key}].items")):
            item = _obj(raw_item, f"playlists[{key}].items[{n}]")
            sha = _sha(item.get("asset_sha256"), f"playlists[{key}].items[{n}].asset_sha256")
            if sha not in assets:
                raise PlanError(f"playlists[{key}].items[{n}] names an asset the plan lacks")
            duration = _int(item.get("duration_ms"), f"playlists[{key}].items[{n}].duration_ms")
            if duration <= 0:
                raise PlanError(f"playlists[{key}].items[{n}].duration_ms must be positive")
            creative = _opt_ident(item.get("creative_id"), "creative_id")
            items.append(Item(creative, sha, duration))
        playlists[key] = Playlist(
            key=key,
            playlist_id=_ident(body.get("playlist_id"), f"playlists[{key}].playlist_id"),
            approval_id=_ident(body.get("approval_id"), f"playlists[{key}].approval_id"),
            items=tuple(items),
        )
    return playlists


def _parse_segments(raw: list[Any], playlists: Mapping[str, Playlist]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for n, value in enumerate(raw):
        body = _obj(value, f"segments[{n}]")
        start = _int(body.get("start_ms"), f"segments[{n}].start_ms")
        end = _int(body.get("end_ms"), f"segments[{n}].end_ms")
        kind = body.get("kind")
        if kind not in _KINDS:
            raise PlanError(f"segments[{n}].kind {kind!r} is not one of {_KINDS}")
        if end <= start:
            raise PlanError(f"segments[{n}] ends before it starts")
        if segments and start < segments[-1].end_ms:
            raise PlanError(f"segments[{n}] overlaps or precedes the one before it")
        entries: list[Entry] = []
        for m, raw_entry in enumerate(_list(body.get("entries", []), f"segments[{n}].entries")):
            entry = _obj(raw_entry, f"segments[{n}].entries[{m}]")
            key = entry.get("playlist")
            if not isinstance(key, str) or key not in playlists:
                raise PlanError(f"segments[{n}].entries[{m}] names an unknown playlist {key!r}")
            entries.append(
                Entry(
                    entry_id=_ident(entry.get("entry_id"), "entry_id"),
                    approval_id=_ident(entry.get("approval_id"), "approval_id"),
                    playlist=key,
                    campaign_id=_opt_ident(entry.get("campaign_id"), "campaign_id"),
                )
            )
        segments.append(Segment(start, end, kind, tuple(entries)))
    return tuple(segments)


def _check_cover(segments: tuple[Segment, ...], h_start: int, h_end: int) -> None:
    # A hole would leave the player guessing; black is what the server must say instead.
    if not segments:
        raise PlanError("a plan has at least one segment")
    if segments[0].start_ms > h_start or segments[-1].end_ms < h_end:
        raise PlanError("the segments do not cover the horizon")
    for before, after in itertools.pairwise(segments):
        if after.start_ms != before.end_ms:
            raise PlanError(f"a gap in the segments at {before.end_ms}")


# --- evaluation -------------------------------------------------------------------------


def segment_at(plan: Plan, t_ms: int) -> Segment | None:
    """The segment covering `t_ms`, or None outside the horizon."""
    if not plan.horizon_start_ms <= t_ms < plan.horizon_end_ms:
        # The first segment may start before the horizon; its true start still counts.
        first = plan.segments[0]
        if not (first.start_ms <= t_ms < min(first.end_ms, plan.horizon_end_ms)):
            return None
    starts = [segment.start_ms for segment in plan.segments]
    index = bisect.bisect_right(starts, t_ms) - 1
    if index < 0:
        return None
    segment = plan.segments[index]
    return segment if t_ms < segment.end_ms else None


def cycle(plan: Plan, segment: Segment) -> tuple[Slot, ...]:
    """The turns of one cycle of a segment, in order (empty when it shows nothing)."""
    if segment.kind != "content":
        return ()
    lanes = [
        (entry, plan.playlists[entry.playlist])
        for entry in segment.entries
        if plan.playlists[entry.playlist].items
    ]
    if not lanes:
        return ()
    rounds = max(len(playlist.items) for _, playlist in lanes)
    slots: list[Slot] = []
    offset = 0
    for turn in range(rounds):
        for entry, playlist in lanes:
            index = turn % len(playlist.items)
            item = playlist.items[index]
            slots.append(Slot(entry, playlist, item, index, offset))
            offset += item.duration_ms
    return tuple(slots)


def cycle_duration_ms(slots: tuple[Slot, ...]) -> int:
    """How long one cycle lasts."""
    return slots[-1].offset_ms + slots[-1].item.duration_ms if slots else 0


def effective_end_ms(plan: Plan, segment: Segment) -> int:
    """Where a segment stops for this plan: its end, or the horizon's end if sooner."""
    return min(segment.end_ms, plan.horizon_end_ms)


def scheduled_at(plan: Plan, t_ms: int) -> Scheduled | None:
    """The item that should be on at `t_ms`, or None when the screen should be black."""
    segment = segment_at(plan, t_ms)
    if segment is None:
        return None
    slots = cycle(plan, segment)
    if not slots:
        return None
    period = cycle_duration_ms(slots)
    elapsed = t_ms - segment.start_ms
    cycle_start = segment.start_ms + (elapsed // period) * period
    into = elapsed % period
    offsets = [slot.offset_ms for slot in slots]
    slot = slots[bisect.bisect_right(offsets, into) - 1]
    start = cycle_start + slot.offset_ms
    natural_end = start + slot.item.duration_ms
    return Scheduled(
        segment=segment,
        slot=slot,
        start_ms=start,
        natural_end_ms=natural_end,
        end_ms=min(natural_end, effective_end_ms(plan, segment)),
        offset_ms=t_ms - start,
        horizon_end_ms=plan.horizon_end_ms,
    )


def black_reason(plan: Plan, t_ms: int) -> BlackReason | None:
    """Why the screen is black at `t_ms` under this plan, or None when content is due."""
    segment = segment_at(plan, t_ms)
    if segment is None:
        return "horizon_end" if t_ms >= plan.horizon_end_ms else "before_horizon"
    if segment.kind == "blank":
        return "blank"
    if segment.kind == "nothing" or segment.kind == "closed":
        return segment.kind
    return None if cycle(plan, segment) else "empty"


def next_boundary(plan: Plan, t_ms: int) -> int | None:
    """The first instant after `t_ms` at which what is shown may change (None: never).

    That is the end of the item on at `t_ms`, else the end of its segment; before the
    horizon, its first segment's start; past the horizon's end nothing changes any more.
    """
    if t_ms >= plan.horizon_end_ms:
        return None
    on = scheduled_at(plan, t_ms)
    if on is not None:
        return on.end_ms
    segment = segment_at(plan, t_ms)
    if segment is not None:
        return effective_end_ms(plan, segment)
    later = [s.start_ms for s in plan.segments if s.start_ms > t_ms]
    return min(later) if later else plan.horizon_end_ms


def segments_from(plan: Plan, t_ms: int) -> Iterator[Segment]:
    """The segments still to run (or running) at `t_ms`, in order, within the horizon."""
    for segment in plan.segments:
        if effective_end_ms(plan, segment) > t_ms and segment.start_ms < plan.horizon_end_ms:
            yield segment


def assets_needed(plan: Plan, t_ms: int) -> list[str]:
    """The assets the plan shows from `t_ms` to its horizon's end, soonest first."""
    seen: dict[str, None] = {}
    for segment in segments_from(plan, t_ms):
        for slot in cycle(plan, segment):
            seen.setdefault(slot.item.asset_sha256, None)
    return list(seen)


def segment_assets(plan: Plan, segment: Segment) -> set[str]:
    """The assets one segment's cycle shows."""
    return {slot.item.asset_sha256 for slot in cycle(plan, segment)}


def first_removal(
    plan: Plan, approval_id: Ident | None, from_ms: int, until_ms: int
) -> tuple[int, str] | None:
    """When, in `[from_ms, until_ms)`, content of `approval_id` stops being allowed.

    Content is removed where the plan shows black (`blank`, `nothing`, `closed`, past the
    horizon)
    or when its approval no longer appears in the plan from `from_ms` on (a withdrawal or
    a new approval: the server keeps the part of today before a withdrawal in the plan).
    Returns the instant and the reason (`withdrawn`, `blank`, `plan_changed`).
    """
    if approval_id is None or approval_id not in plan.approvals(from_ms):
        return from_ms, "withdrawn"
    t = from_ms
    while t < until_ms:
        reason = black_reason(plan, t)
        if reason is not None:
            return t, "blank" if reason == "blank" else "plan_changed"
        segment = segment_at(plan, t)
        if segment is None:  # pragma: no cover - black_reason covers it
            return t, "plan_changed"
        t = effective_end_ms(plan, segment)
    return None
