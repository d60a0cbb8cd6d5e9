"""Quotes (versioned, with translations) and templates (built-in designs and staff copies)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signage.domain.errors import ConflictError, NotFoundError, ValidationError, valid_id
from signage.domain.quotes import LANGUAGES, Quote, QuoteSpec, QuoteVersion
from signage.domain.template_codec import template_to_dict
from signage.domain.templates import ADJUSTABLE, Margins, builtin_templates, copy_template
from signage.services.audit import record_event
from signage.services.library_ports import StoredTemplate
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

QUOTE_FIELDS = frozenset({"text", "language", "author", "author_role", "source", "tags"})


def quote_spec_from(data: Mapping[str, Any]) -> QuoteSpec:
    """Build and validate a QuoteSpec from form or JSON values."""
    unknown = sorted(set(data) - QUOTE_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    tags = data.get("tags") or ()
    if isinstance(tags, str):
        tags = tags.split(",")
    return QuoteSpec(
        text=str(data.get("text") or "").strip(),
        language=str(data.get("language") or "").strip().lower(),
        author=str(data.get("author") or "").strip(),
        author_role=str(data.get("author_role") or "").strip(),
        source=str(data.get("source") or "").strip(),
        tags=frozenset(str(t).strip().lower() for t in tags if str(t).strip()),
    )


@dataclass(frozen=True, slots=True)
class QuoteServices:
    """Quote use cases."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    def create_quote(self, actor: str, data: Mapping[str, Any]) -> Quote:
        """Store a new quote as its version 1."""
        spec = quote_spec_from(data)
        with self.uow_factory() as uow:
            quote = uow.quotes.add(spec, self.clock.now(), actor)
            record_event(
                uow, self.clock, actor, "quote.create", "quote", quote.id, None, spec.as_dict()
            )
            uow.commit()
            return quote

    def edit_quote(self, actor: str, quote_id: int, data: Mapping[str, Any]) -> QuoteVersion:
        """Save an edit as a new version; renderings keep naming the version they show."""
        spec = quote_spec_from(data)
        with self.uow_factory() as uow:
            quote = _quote(uow, quote_id)
            if quote.current.spec == spec:
                return quote.current
            version = uow.quotes.add_version(quote_id, spec, self.clock.now(), actor)
            record_event(
                uow,
                self.clock,
                actor,
                "quote.edit",
                "quote",
                quote_id,
                quote.current.spec.as_dict(),
                spec.as_dict(),
            )
            uow.commit()
            return version

    def link_translation(self, actor: str, quote_id: int, other_id: int) -> Quote:
        """Mark two quotes (and their existing translations) as translations of each other."""
        if quote_id == other_id:
            raise ValidationError("translation_of", "a quote cannot translate itself")
        with self.uow_factory() as uow:
            first, second = _quote(uow, quote_id), _quote(uow, other_id)
            group = first.translation_group or second.translation_group or first.id
            members = {first.id, second.id, *first.translations, *second.translations}
            uow.quotes.set_group(sorted(members), group)
            record_event(
                uow,
                self.clock,
                actor,
                "quote.link_translation",
                "quote",
                quote_id,
                None,
                {"translation_of": other_id},
            )
            uow.commit()
            return _quote(uow, quote_id)

    def get_quote(self, quote_id: int) -> Quote:
        """One quote with its newest version."""
        with self.uow_factory(readonly=True) as uow:
            return _quote(uow, quote_id)

    def quote_versions(self, quote_id: int) -> Sequence[QuoteVersion]:
        """Every version of a quote, oldest first."""
        with self.uow_factory(readonly=True) as uow:
            _quote(uow, quote_id)
            return list(uow.quotes.versions(quote_id))

    def get_version(self, version_id: int) -> QuoteVersion:
        """One quote version by its id."""
        with self.uow_factory(readonly=True) as uow:
            version = uow.quotes.version(version_id) if valid_id(version_id) else None
            if version is None:
                raise NotFoundError(f"quote version {version_id} not found")
            return version

    def search_quotes(self, text: str | None = None, language: str | None = None) -> list[Quote]:
        """Quotes whose text or author contains `text`, optionally in one language."""
        if language and language not in LANGUAGES:
            raise ValidationError("language", f"must be one of {', '.join(LANGUAGES)}")
        with self.uow_factory(readonly=True) as uow:
            return list(uow.quotes.search(text or None, language or None))


def _quote(uow: UnitOfWork, quote_id: int) -> Quote:
    quote = uow.quotes.get(quote_id) if valid_id(quote_id) else None
    if quote is None:
        raise NotFoundError(f"quote {quote_id} not found")
    return quote


def template_changes_from(data: Mapping[str, Any]) -> dict[str, Any]:
    """Staff adjustments from plain values: only the adjustable fields, typed."""
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in ADJUSTABLE or key == "name":
            raise ValidationError(key, "cannot be changed on a template copy")
        if key == "safe_margins":
            if not isinstance(value, Mapping):
                raise ValidationError(key, "must give left, top, right and bottom")
            try:
                value = Margins(**{k: float(v) for k, v in value.items()})
            except (TypeError, ValueError):
                raise ValidationError(key, "must give left, top, right and bottom") from None
        elif key == "hashtags":
            if isinstance(value, str):
                value = [line for line in value.splitlines() if line.strip()]
            value = tuple(str(v).strip() for v in value)
        elif key in {"fps"}:
            value = _number(key, value, int)
        elif key.endswith(("_s", "_fraction", "_spacing", "_blur", "_dim")):
            value = _number(key, value, float)
        changes[key] = value
    return changes


def _number(key: str, value: Any, kind: type[int] | type[float]) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValidationError(key, "must be a number") from None


@dataclass(frozen=True, slots=True)
class TemplateServices:
    """Template use cases: built-ins, copies and adjustments (each a new version)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    def ensure_builtin_templates(self, actor: str) -> list[StoredTemplate]:
        """Store the built-in designs once (idempotent)."""
        stored = []
        with self.uow_factory() as uow:
            for template in builtin_templates():
                existing = uow.templates.by_name(template.name)
                if existing is None:
                    existing = uow.templates.add(template, True, self.clock.now(), actor)
                    record_event(
                        uow,
                        self.clock,
                        actor,
                        "template.create",
                        "template",
                        existing.template_id,
                        None,
                        {"name": template.name, "builtin": True},
                    )
                stored.append(existing)
            uow.commit()
        return stored

    def list_templates(self) -> Sequence[StoredTemplate]:
        """The newest version of every template."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.templates.list())

    def get_template(self, template_id: int) -> StoredTemplate:
        """The newest version of one template."""
        with self.uow_factory(readonly=True) as uow:
            return _template(uow, template_id)

    def get_template_version(self, version_id: int) -> StoredTemplate:
        """One exact template version."""
        with self.uow_factory(readonly=True) as uow:
            stored = uow.templates.version(version_id) if valid_id(version_id) else None
            if stored is None:
                raise NotFoundError(f"template version {version_id} not found")
            return stored

    def copy_template(
        self, actor: str, template_id: int, name: str, data: Mapping[str, Any]
    ) -> StoredTemplate:
        """A staff copy of a template under a new name, with adjustments."""
        changes = template_changes_from(data)
        with self.uow_factory() as uow:
            source = _template(uow, template_id)
            if uow.templates.by_name(name.strip()) is not None:
                raise ConflictError(f"a template named '{name.strip()}' exists", field="name")
            copy = copy_template(source.template, name.strip(), **changes)
            stored = uow.templates.add(copy, False, self.clock.now(), actor)
            record_event(
                uow,
                self.clock,
                actor,
                "template.copy",
                "template",
                stored.template_id,
                None,
                {"from": template_id, **template_to_dict(copy)},
            )
            uow.commit()
            return stored

    def adjust_template(
        self, actor: str, template_id: int, data: Mapping[str, Any]
    ) -> StoredTemplate:
        """Save adjustments to a staff template as its next version (built-ins stay fixed)."""
        changes = template_changes_from(data)
        with self.uow_factory() as uow:
            source = _template(uow, template_id)
            if source.builtin:
                raise ConflictError("built-in templates cannot change; make a copy first")
            adjusted = copy_template(source.template, source.template.name, **changes)
            if adjusted == source.template:
                return source
            stored = uow.templates.add_version(template_id, adjusted, self.clock.now(), actor)
            record_event(
                uow,
                self.clock,
                actor,
                "template.adjust",
                "template",
                template_id,
                template_to_dict(source.template),
                template_to_dict(adjusted),
            )
            uow.commit()
            return stored


def _template(uow: UnitOfWork, template_id: int) -> StoredTemplate:
    stored = uow.templates.current(template_id) if valid_id(template_id) else None
    if stored is None:
        raise NotFoundError(f"template {template_id} not found")
    return stored
