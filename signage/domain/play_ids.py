"""Whether a play record's ids are ids the server gave its device in a plan.

The server hands a device integers: its location, and per approval the
entries and playlists that targeted that location. A record copies them
with their JSON type. One that does not (text, null, an approval that
never existed, an entry of another screen) is kept in its chain, since its
signature and link are sound, but it cannot be counted for any campaign:
it is excluded with one of the named reasons below, so an auditor sees
why rather than a play that silently counts nowhere.

The same rule runs on ingest and in `signage verify` (from the bundle's
manifest), so both give a record the same verdict.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from signage.domain.approvals import StoredApproval
from signage.domain.playlog import PlayRecord

# Reason codes: what an excluded record's note starts with (`code: detail`).
ID_TYPE = "id_type"
OTHER_LOCATION = "other_location"
UNKNOWN_APPROVAL = "unknown_approval"
NOT_IN_PLAN = "not_in_plan"
ID_REASONS = (ID_TYPE, OTHER_LOCATION, UNKNOWN_APPROVAL, NOT_IN_PLAN)
ID_FIELDS = ("device_id", "location_id", "approval_id", "entry_id", "playlist_id")


@dataclass(frozen=True, slots=True)
class PlanIds:
    """The ids a device was ever given: its location, and per approval that targeted
    the location, each entry there with its playlist. `existing` names further
    approvals that exist but never targeted it (so 'not in plan', not 'unknown')."""

    location_id: int
    entries: Mapping[int, Mapping[int, int]]  # approval id -> {entry id: playlist id}
    existing: Collection[int] = field(default_factory=frozenset)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def unresolved(record: PlayRecord, ids: PlanIds) -> str | None:
    """Why the record's ids are not ids of its device's plans (a note), or None."""
    return unresolved_ids({name: getattr(record, name) for name in ID_FIELDS}, ids)


def unresolved_ids(sent: Mapping[str, object], ids: PlanIds) -> str | None:
    """`unresolved` of the five ids as sent (`ID_FIELDS` → JSON value)."""
    for name in ID_FIELDS:
        value = sent[name]
        if not _is_int(value):
            return f"{ID_TYPE}: {name} is {_type_name(value)}, the server gives integers"
    location, approval, entry = sent["location_id"], sent["approval_id"], sent["entry_id"]
    if location != ids.location_id:
        return f"{OTHER_LOCATION}: location {location} is not this device's"
    assert isinstance(approval, int)
    entries = ids.entries.get(approval)
    if entries is None:
        if approval in ids.existing:
            return f"{NOT_IN_PLAN}: approval {approval} never targeted this location"
        return f"{UNKNOWN_APPROVAL}: approval {approval} does not exist"
    assert isinstance(entry, int)
    playlist = entries.get(entry)
    if playlist is None:
        return f"{NOT_IN_PLAN}: entry {entry} is not in approval {approval} for this location"
    if playlist != sent["playlist_id"]:
        return f"{NOT_IN_PLAN}: entry {entry} plays playlist {playlist}, not {sent['playlist_id']}"
    return None


def reason_code(note: str) -> str:
    """The named reason of an exclusion note (`id_type: ...` → `id_type`)."""
    head, sep, _rest = note.partition(":")
    return head if sep and head in ID_REASONS else note


def count_by_reason(notes: Mapping[str, int]) -> list[tuple[str, int]]:
    """Counts of notes folded by reason code, largest first."""
    folded: dict[str, int] = {}
    for note, number in notes.items():
        code = reason_code(note)
        folded[code] = folded.get(code, 0) + number
    return sorted(folded.items(), key=lambda item: (-item[1], item[0]))


def plan_ids(location_id: int, approvals: Iterable[StoredApproval]) -> PlanIds:
    """The ids these approvals gave the device at `location_id` (any approval may be
    passed: those that never targeted the location count as existing only)."""
    entries: dict[int, dict[int, int]] = {}
    existing = set()
    for stored in approvals:
        existing.add(stored.id)
        here = {
            e.entry.id: e.entry.playlist_id
            for e in stored.snapshot.entries
            if location_id in e.entry.location_ids
        }
        if here:
            entries[stored.id] = here
    return PlanIds(location_id, entries, frozenset(existing))
