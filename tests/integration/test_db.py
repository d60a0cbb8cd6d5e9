"""The real database: migrations match the models, SQLite pragmas, units of work, audit chain."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from signage.adapters.db.migrate import current_revision
from signage.adapters.db.tables import metadata
from signage.domain.audit import GENESIS_HASH, event_hash
from signage.domain.errors import ConflictError, ValidationError
from signage.services.ports import AuditFilter

SITE = {"name": "House of Press intersection", "screen_width": 1920, "screen_height": 1080}


def test_migrations_and_models_agree(db_services: Any) -> None:
    engine = db_services.engine
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(services: Any) -> None:
    with services.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_unit_of_work_rolls_back_unless_committed(db_services: Any) -> None:
    from signage.domain.locations import LocationSpec, Orientation
    from signage.domain.windows import OperatingHours

    spec = LocationSpec(
        "Draft",
        "",
        None,
        None,
        "Asia/Dushanbe",
        10,
        10,
        Orientation.LANDSCAPE,
        OperatingHours.always(),
        frozenset(),
    )
    with db_services.uow_factory() as uow:
        uow.locations.add(spec, db_services.clock.now())
    assert db_services.locations.list_locations() == []


def test_writes_are_timestamped_in_aware_utc(db_services: Any) -> None:
    db_services.locations.create_location("admin", SITE)
    (event,) = db_services.audit.events(AuditFilter())
    assert event.at.utcoffset() is not None
    assert event.at.utcoffset().total_seconds() == 0


def test_concurrent_writers_keep_one_unbroken_audit_chain(db_services: Any) -> None:
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            db_services.locations.create_location("admin", {**SITE, "name": f"Site {n}"})
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = sorted(db_services.audit.events(AuditFilter()), key=lambda e: e.seq)
    assert [e.seq for e in events] == list(range(1, 9))
    prev = GENESIS_HASH
    for stored in events:
        assert stored.prev_hash == prev
        assert stored.hash == event_hash(stored.seq, stored.at, stored.event, prev)
        prev = stored.hash


def test_an_edited_audit_row_no_longer_matches_its_hash(services: Any) -> None:
    # SQLite only: on PostgreSQL a trigger refuses the edit (tests/integration/test_ledger_db.py).
    services.locations.create_location("admin", SITE)
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone else'"))
    (stored,) = services.audit.events(AuditFilter())
    assert stored.hash != event_hash(stored.seq, stored.at, stored.event, stored.prev_hash)


def test_delete_is_refused_while_another_table_refers_to_the_location(db_services: Any) -> None:
    site = db_services.locations.create_location("admin", SITE)
    with db_services.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE screens_probe (id INTEGER PRIMARY KEY, "
                "location_id INTEGER REFERENCES locations(id))"
            )
        )
        conn.execute(text("INSERT INTO screens_probe VALUES (1, :id)"), {"id": site.id})
    with pytest.raises(ConflictError, match="screens probe"):
        db_services.locations.delete_location("admin", site.id)
    assert [loc.id for loc in db_services.locations.list_locations()] == [site.id]


def test_bad_input_leaves_no_row_and_no_audit_event(db_services: Any) -> None:
    with pytest.raises(ValidationError):
        db_services.locations.create_location("admin", {**SITE, "timezone": "Nowhere/Land"})
    assert db_services.status.summary() == {"locations": 0, "users": 0, "audit_events": 0}


def test_a_url_with_percent_signs_reaches_alembic_intact(tmp_path: Path) -> None:
    """A URL-encoded password or option (`%40`, `%3D`) must not break `signage migrate`."""
    from signage.adapters.db.engine import make_engine
    from signage.adapters.db.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'a%25b.db'}")
    url = engine.url.render_as_string(hide_password=False)
    assert alembic_config(engine).get_main_option("sqlalchemy.url") == url
    upgrade(engine)
    assert current_revision(engine) is not None
    engine.dispose()
