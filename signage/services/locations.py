"""Creating, editing and removing billboard locations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signage.domain.errors import ConflictError, NotFoundError, ValidationError, valid_id
from signage.domain.locations import (
    Location,
    LocationSpec,
    Orientation,
    normalise_tags,
)
from signage.domain.windows import OperatingHours
from signage.services.audit import record_event
from signage.services.ports import Clock, UnitOfWorkFactory

LOCATION_FIELDS = frozenset(
    {
        "name",
        "address",
        "latitude",
        "longitude",
        "timezone",
        "screen_width",
        "screen_height",
        "orientation",
        "operating_hours",
        "tags",
    }
)


def location_spec_from(data: Mapping[str, Any], default_timezone: str) -> LocationSpec:
    """Build and validate a LocationSpec from plain values (form or JSON)."""
    unknown = sorted(set(data) - LOCATION_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    for required in ("name", "screen_width", "screen_height"):
        if data.get(required) in (None, ""):
            raise ValidationError(required, "is required")
    orientation_text = data.get("orientation") or ""
    try:
        width, height = _int(data, "screen_width"), _int(data, "screen_height")
        orientation = (
            Orientation(orientation_text)
            if orientation_text
            else (Orientation.PORTRAIT if height > width else Orientation.LANDSCAPE)
        )
    except ValueError:
        raise ValidationError("orientation", "must be landscape or portrait") from None
    hours = data.get("operating_hours")
    if hours is None:
        operating_hours = OperatingHours.always()
    elif isinstance(hours, Mapping):
        operating_hours = OperatingHours.from_mapping(hours)
    else:
        raise ValidationError("operating_hours", "must map weekdays to windows like 06:00-23:00")
    return LocationSpec(
        name=str(data["name"]).strip(),
        address=str(data.get("address") or "").strip(),
        latitude=_float(data, "latitude"),
        longitude=_float(data, "longitude"),
        timezone=str(data.get("timezone") or default_timezone).strip(),
        screen_width=width,
        screen_height=height,
        orientation=orientation,
        operating_hours=operating_hours,
        tags=normalise_tags(data.get("tags") or ()),
    )


def _int(data: Mapping[str, Any], field: str) -> int:
    value = data.get(field)
    if isinstance(value, bool):
        raise ValidationError(field, "must be a whole number")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(field, "must be a whole number") from None


def _float(data: Mapping[str, Any], field: str) -> float | None:
    value = data.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, "must be a number") from None


@dataclass(frozen=True, slots=True)
class LocationServices:
    """The location use cases, bound to their ports."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    default_timezone: str

    def create_location(self, actor: str, data: Mapping[str, Any]) -> Location:
        """Validate and store a new location; names are unique."""
        spec = location_spec_from(data, self.default_timezone)
        with self.uow_factory() as uow:
            if uow.locations.by_name(spec.name) is not None:
                raise ConflictError(f"a location named '{spec.name}' exists", field="name")
            location = uow.locations.add(spec, self.clock.now())
            record_event(
                uow,
                self.clock,
                actor,
                "location.create",
                "location",
                location.id,
                None,
                spec.as_dict(),
            )
            uow.commit()
            return location

    def update_location(self, actor: str, location_id: int, data: Mapping[str, Any]) -> Location:
        """Replace a location's facts; takes effect from now on."""
        spec = location_spec_from(data, self.default_timezone)
        with self.uow_factory() as uow:
            before = uow.locations.get(location_id) if valid_id(location_id) else None
            if before is None:
                raise NotFoundError(f"location {location_id} not found")
            clash = uow.locations.by_name(spec.name)
            if clash is not None and clash.id != location_id:
                raise ConflictError(f"a location named '{spec.name}' exists", field="name")
            after = uow.locations.update(location_id, spec, self.clock.now())
            record_event(
                uow,
                self.clock,
                actor,
                "location.update",
                "location",
                location_id,
                before.spec.as_dict(),
                spec.as_dict(),
            )
            uow.commit()
            return after

    def delete_location(self, actor: str, location_id: int) -> None:
        """Remove a location that nothing refers to."""
        with self.uow_factory() as uow:
            location = uow.locations.get(location_id) if valid_id(location_id) else None
            if location is None:
                raise NotFoundError(f"location {location_id} not found")
            refs = uow.locations.references(location_id)
            if refs:
                raise ConflictError(
                    f"location '{location.spec.name}' is still referenced by {', '.join(refs)}"
                )
            uow.locations.delete(location_id)
            record_event(
                uow,
                self.clock,
                actor,
                "location.delete",
                "location",
                location_id,
                location.spec.as_dict(),
                None,
            )
            uow.commit()

    def get_location(self, location_id: int) -> Location:
        """One location by id."""
        with self.uow_factory(readonly=True) as uow:
            location = uow.locations.get(location_id) if valid_id(location_id) else None
            if location is None:
                raise NotFoundError(f"location {location_id} not found")
            return location

    def list_locations(self) -> Sequence[Location]:
        """Every location, by name."""
        with self.uow_factory(readonly=True) as uow:
            return sorted(uow.locations.list(), key=lambda loc: loc.spec.name.lower())
