"""Importing campaign files (today: their locations) idempotently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from signage.domain.errors import ValidationError
from signage.domain.quotes import QuoteSpec
from signage.services.audit import record_event
from signage.services.library import QUOTE_FIELDS, quote_spec_from
from signage.services.locations import location_spec_from
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

SUPPORTED_FORMATS = frozenset({"signage-campaign/1"})


@dataclass(slots=True)
class ImportReport:
    """What an import did: locations by name, quotes by their key in the file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    quotes: dict[str, int] = field(default_factory=dict)
    quotes_created: int = 0


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
        quotes = _quote_items(document.get("quotes") or [])
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
            self._import_quotes(uow, actor, quotes, report)
            uow.commit()
        return report

    def _import_quotes(
        self,
        uow: UnitOfWork,
        actor: str,
        quotes: list[tuple[str, QuoteSpec, str]],
        report: ImportReport,
    ) -> None:
        """Create quotes not yet present (same text and language), then link translations."""
        for key, spec, _link in quotes:
            same = [
                q
                for q in uow.quotes.search(spec.text, spec.language)
                if q.current.spec.text == spec.text
            ]
            if same:
                report.quotes[key] = same[0].id
                continue
            quote = uow.quotes.add(spec, self.clock.now(), actor)
            record_event(
                uow, self.clock, actor, "quote.import", "quote", quote.id, None, spec.as_dict()
            )
            report.quotes[key] = quote.id
            report.quotes_created += 1
        for key, _spec, link in quotes:
            if link:
                if link not in report.quotes:
                    raise ValidationError(f"quotes.{key}.translation_of", f"no quote '{link}'")
                group = report.quotes[link]
                uow.quotes.set_group([report.quotes[key], group], group)


def _quote_items(items: Any) -> list[tuple[str, QuoteSpec, str]]:
    """(key, spec, translation_of) for each quote of a campaign file, validated."""
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ValidationError("quotes", "must be a list")
    result = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValidationError(f"quotes[{index}]", "must be a mapping")
        key = str(item.get("key") or f"quote-{index + 1}")
        fields = {k: v for k, v in item.items() if k in QUOTE_FIELDS}
        try:
            spec = quote_spec_from(fields)
        except ValidationError as exc:
            raise ValidationError(f"quotes[{index}].{exc.field}", exc.reason) from None
        result.append((key, spec, str(item.get("translation_of") or "")))
    return result
