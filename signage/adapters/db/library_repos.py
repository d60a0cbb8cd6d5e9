"""SQLAlchemy Core repositories of the composer: assets, quotes, templates, creatives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.domain.assets import AssetInfo, AssetKind
from signage.domain.creatives import Creative, CreativeKind
from signage.domain.quotes import Quote, QuoteSpec, QuoteVersion
from signage.domain.template_codec import template_from_dict, template_to_dict
from signage.domain.templates import Template
from signage.services.library_ports import StoredAsset, StoredTemplate


def _asset(row: Any) -> StoredAsset:
    info = AssetInfo(
        sha256=row.sha256,
        kind=AssetKind(row.kind),
        mime=row.mime,
        width=row.width,
        height=row.height,
        duration_ms=row.duration_ms,
        byte_size=row.byte_size,
        fps=row.fps,
        codec=row.codec,
    )
    return StoredAsset(info, row.original_name, row.created_at, row.created_by)


class SqlAssetRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, info: AssetInfo, original_name: str, at: datetime, by: str) -> bool:
        if self.get(info.sha256) is not None:
            return False
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.assets).values(
                        sha256=info.sha256,
                        kind=info.kind.value,
                        mime=info.mime,
                        ext=info.extension,
                        width=info.width,
                        height=info.height,
                        duration_ms=info.duration_ms,
                        fps=info.fps,
                        codec=info.codec,
                        byte_size=info.byte_size,
                        original_name=original_name,
                        created_at=at,
                        created_by=by,
                    )
                )
        except IntegrityError:
            return False  # the same bytes arrived at the same moment from someone else
        return True

    def get(self, sha256: str) -> StoredAsset | None:
        row = self.conn.execute(select(t.assets).where(t.assets.c.sha256 == sha256)).first()
        return _asset(row) if row else None

    def list(self, kind: AssetKind | None = None) -> Sequence[StoredAsset]:
        query = select(t.assets).order_by(t.assets.c.created_at.desc())
        if kind is not None:
            query = query.where(t.assets.c.kind == kind.value)
        return [_asset(r) for r in self.conn.execute(query)]


def _version(row: Any) -> QuoteVersion:
    spec = QuoteSpec(
        text=row.text,
        language=row.language,
        author=row.author,
        author_role=row.author_role,
        source=row.source,
        tags=frozenset(row.tags),
    )
    return QuoteVersion(row.id, row.quote_id, row.version, spec, row.created_at, row.created_by)


def _version_values(spec: QuoteSpec) -> dict[str, Any]:
    return {
        "text": spec.text,
        "language": spec.language,
        "author": spec.author,
        "author_role": spec.author_role,
        "source": spec.source,
        "tags": sorted(spec.tags),
    }


class SqlQuoteRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, spec: QuoteSpec, at: datetime, by: str) -> Quote:
        result = self.conn.execute(insert(t.quotes).values(created_at=at, created_by=by))
        quote_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self.add_version(quote_id, spec, at, by)
        quote = self.get(quote_id)
        assert quote is not None
        return quote

    def add_version(self, quote_id: int, spec: QuoteSpec, at: datetime, by: str) -> QuoteVersion:
        last = self.conn.execute(
            select(func.max(t.quote_versions.c.version)).where(
                t.quote_versions.c.quote_id == quote_id
            )
        ).scalar()
        result = self.conn.execute(
            insert(t.quote_versions).values(
                quote_id=quote_id,
                version=(last or 0) + 1,
                created_at=at,
                created_by=by,
                **_version_values(spec),
            )
        )
        version = self.version(int(result.inserted_primary_key[0]))  # type: ignore[index]
        assert version is not None
        return version

    def version(self, version_id: int) -> QuoteVersion | None:
        row = self.conn.execute(
            select(t.quote_versions).where(t.quote_versions.c.id == version_id)
        ).first()
        return _version(row) if row else None

    def versions(self, quote_id: int) -> Sequence[QuoteVersion]:
        rows = self.conn.execute(
            select(t.quote_versions)
            .where(t.quote_versions.c.quote_id == quote_id)
            .order_by(t.quote_versions.c.version)
        )
        return [_version(r) for r in rows]

    def _latest(self) -> Any:
        v = t.quote_versions
        newest = (
            select(v.c.quote_id, func.max(v.c.version).label("version"))
            .group_by(v.c.quote_id)
            .subquery()
        )
        return (
            select(v, t.quotes.c.translation_group)
            .join(newest, (v.c.quote_id == newest.c.quote_id) & (v.c.version == newest.c.version))
            .join(t.quotes, t.quotes.c.id == v.c.quote_id)
        )

    def _quote(self, row: Any) -> Quote:
        group = row.translation_group
        siblings: tuple[int, ...] = ()
        if group is not None:
            ids = self.conn.execute(
                select(t.quotes.c.id).where(
                    t.quotes.c.translation_group == group, t.quotes.c.id != row.quote_id
                )
            )
            siblings = tuple(sorted(int(i) for (i,) in ids))
        return Quote(row.quote_id, _version(row), group, siblings)

    def get(self, quote_id: int) -> Quote | None:
        row = self.conn.execute(
            self._latest().where(t.quote_versions.c.quote_id == quote_id)
        ).first()
        return self._quote(row) if row else None

    def search(self, text: str | None, language: str | None) -> Sequence[Quote]:
        v = t.quote_versions
        query = self._latest().order_by(v.c.quote_id.desc())
        if language:
            query = query.where(v.c.language == language)
        rows = list(self.conn.execute(query))
        if text:
            # Case-blind in every script: SQLite's lower() folds ASCII only, so match here.
            needle = text.casefold()
            rows = [r for r in rows if needle in r.text.casefold() or needle in r.author.casefold()]
        return [self._quote(r) for r in rows]

    def set_group(self, quote_ids: Sequence[int], group: int) -> None:
        self.conn.execute(
            update(t.quotes)
            .where(t.quotes.c.id.in_(list(quote_ids)))
            .values(translation_group=group)
        )


def _stored_template(row: Any) -> StoredTemplate:
    template: Template = template_from_dict(row.spec)
    return StoredTemplate(
        row.template_id, row.id, row.version, row.builtin, template, row.created_at
    )


class SqlTemplateRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _select(self) -> Any:
        return select(t.template_versions, t.templates.c.builtin).join(
            t.templates, t.templates.c.id == t.template_versions.c.template_id
        )

    def add(self, template: Template, builtin: bool, at: datetime, by: str) -> StoredTemplate:
        result = self.conn.execute(
            insert(t.templates).values(name=template.name, builtin=builtin, created_at=at)
        )
        return self.add_version(int(result.inserted_primary_key[0]), template, at, by)  # type: ignore[index]

    def add_version(
        self, template_id: int, template: Template, at: datetime, by: str
    ) -> StoredTemplate:
        tv = t.template_versions
        last = self.conn.execute(
            select(func.max(tv.c.version)).where(tv.c.template_id == template_id)
        ).scalar()
        result = self.conn.execute(
            insert(tv).values(
                template_id=template_id,
                version=(last or 0) + 1,
                spec=template_to_dict(template),
                created_at=at,
                created_by=by,
            )
        )
        self.conn.execute(
            update(t.templates).where(t.templates.c.id == template_id).values(name=template.name)
        )
        stored = self.version(int(result.inserted_primary_key[0]))  # type: ignore[index]
        assert stored is not None
        return stored

    def current(self, template_id: int) -> StoredTemplate | None:
        tv = t.template_versions
        row = self.conn.execute(
            self._select().where(tv.c.template_id == template_id).order_by(tv.c.version.desc())
        ).first()
        return _stored_template(row) if row else None

    def version(self, version_id: int) -> StoredTemplate | None:
        row = self.conn.execute(
            self._select().where(t.template_versions.c.id == version_id)
        ).first()
        return _stored_template(row) if row else None

    def by_name(self, name: str) -> StoredTemplate | None:
        template_id = self.conn.execute(
            select(t.templates.c.id).where(func.lower(t.templates.c.name) == name.lower())
        ).scalar()
        return self.current(int(template_id)) if template_id is not None else None

    def list(self) -> Sequence[StoredTemplate]:
        ids = self.conn.execute(select(t.templates.c.id).order_by(t.templates.c.id)).scalars()
        found = [self.current(int(i)) for i in ids]
        return [s for s in found if s is not None]


def _creative(row: Any) -> Creative:
    return Creative(
        id=row.id,
        name=row.name,
        kind=CreativeKind(row.kind),
        asset_sha256=row.asset_sha256,
        quote_version_id=row.quote_version_id,
        template_version_id=row.template_version_id,
        image_sha256=row.image_sha256,
        created_at=row.created_at,
    )


class SqlCreativeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        name: str,
        kind: CreativeKind,
        at: datetime,
        by: str,
        *,
        asset_sha256: str | None = None,
        quote_version_id: int | None = None,
        template_version_id: int | None = None,
        image_sha256: str | None = None,
    ) -> Creative:
        result = self.conn.execute(
            insert(t.creatives).values(
                name=name,
                kind=kind.value,
                asset_sha256=asset_sha256,
                quote_version_id=quote_version_id,
                template_version_id=template_version_id,
                image_sha256=image_sha256,
                created_at=at,
                created_by=by,
            )
        )
        creative = self.get(int(result.inserted_primary_key[0]))  # type: ignore[index]
        assert creative is not None
        return creative

    def get(self, creative_id: int) -> Creative | None:
        row = self.conn.execute(select(t.creatives).where(t.creatives.c.id == creative_id)).first()
        return _creative(row) if row else None

    def find_quote(
        self, quote_version_id: int, template_version_id: int, image_sha256: str | None
    ) -> Creative | None:
        c = t.creatives.c
        query = select(t.creatives).where(
            c.quote_version_id == quote_version_id,
            c.template_version_id == template_version_id,
            c.image_sha256.is_(None) if image_sha256 is None else c.image_sha256 == image_sha256,
        )
        row = self.conn.execute(query).first()
        return _creative(row) if row else None

    def list(self) -> Sequence[Creative]:
        rows = self.conn.execute(select(t.creatives).order_by(t.creatives.c.id.desc()))
        return [_creative(r) for r in rows]
