"""Importing campaign files (today: their locations) idempotently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from signage.domain.errors import ValidationError
from signage.services.audit import record_event
from signage.services.locations import location_spec_from
from signage.services.ports import Clock, UnitOfWorkFactory

SUPPORTED_FORMATS = frozenset({"signage-campaign/1"})


@dataclass(slots=True)
class ImportReport:
    """What an import did, by location name."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportServices:
    """Loading campaign files."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    default_timezone: str

    def import_campaign(self, actor: str, document: Mapping[str, Any]) -> ImportReport:
        """Create or update the file's locations by name, all in one transaction."""
        fmt = document.get("format")
        if fmt not in SUPPORTED_FORMATS:
            raise ValidationError("format", f"expected one of {sorted(SUPPORTED_FORMATS)}")
        items = document.get("locations") or []
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise ValidationError("locations", "must be a list")
        specs = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ValidationError(f"locations[{index}]", "must be a mapping")
            try:
                specs.append(location_spec_from(item, self.default_timezone))
            except ValidationError as exc:
                raise ValidationError(f"locations[{index}].{exc.field}", exc.reason) from None
        report = ImportReport()
        with self.uow_factory() as uow:
            for spec in specs:
                existing = uow.locations.by_name(spec.name)
                if existing is None:
                    location = uow.locations.add(spec, self.clock.now())
                    record_event(
                        uow,
                        self.clock,
                        actor,
                        "location.import",
                        "location",
                        location.id,
                        None,
                        spec.as_dict(),
                    )
                    report.created.append(spec.name)
                elif existing.spec != spec:
                    uow.locations.update(existing.id, spec, self.clock.now())
                    record_event(
                        uow,
                        self.clock,
                        actor,
                        "location.import",
                        "location",
                        existing.id,
                        existing.spec.as_dict(),
                        spec.as_dict(),
                    )
                    report.updated.append(spec.name)
                else:
                    report.unchanged.append(spec.name)
            uow.commit()
        return report
