"""Location use cases against in-memory fakes."""

from __future__ import annotations

import pytest

from signage.domain.audit import GENESIS_HASH, event_hash
from signage.domain.errors import ConflictError, NotFoundError, ValidationError
from signage.services.imports import ImportServices
from signage.services.locations import LocationServices
from tests.services.fakes import FakeClock, FakeUnitOfWorkFactory

SITE = {"name": "Mehrgon market", "screen_width": 1152, "screen_height": 576}


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def locations(uows: FakeUnitOfWorkFactory) -> LocationServices:
    return LocationServices(uows, FakeClock(), "Asia/Dushanbe")


def test_create_update_delete_each_leave_an_audit_event(
    locations: LocationServices, uows: FakeUnitOfWorkFactory
) -> None:
    created = locations.create_location("admin", SITE)
    locations.update_location("admin", created.id, {**SITE, "address": "Market street"})
    locations.delete_location("admin", created.id)
    actions = [e.event.action for e in uows.store.audit]
    assert actions == ["location.create", "location.update", "location.delete"]
    update = uows.store.audit[1].event
    assert update.before == {"address": ""}
    assert update.after == {"address": "Market street"}


def test_audit_events_form_a_hash_chain(
    locations: LocationServices, uows: FakeUnitOfWorkFactory
) -> None:
    for n in range(3):
        locations.create_location("admin", {**SITE, "name": f"Site {n}"})
    prev = GENESIS_HASH
    for stored in uows.store.audit:
        assert stored.prev_hash == prev
        assert stored.hash == event_hash(stored.seq, stored.at, stored.event, prev)
        prev = stored.hash


def test_duplicate_names_conflict_case_insensitively(locations: LocationServices) -> None:
    locations.create_location("admin", SITE)
    with pytest.raises(ConflictError) as excinfo:
        locations.create_location("admin", {**SITE, "name": "MEHRGON MARKET"})
    assert excinfo.value.field == "name"


def test_delete_is_refused_while_referenced(
    locations: LocationServices, uows: FakeUnitOfWorkFactory
) -> None:
    site = locations.create_location("admin", SITE)
    uows.store.references[site.id] = ["1 devices"]
    with pytest.raises(ConflictError, match="referenced by 1 devices"):
        locations.delete_location("admin", site.id)
    assert site.id in uows.store.locations


def test_bad_input_writes_nothing(locations: LocationServices, uows: FakeUnitOfWorkFactory) -> None:
    with pytest.raises(ValidationError):
        locations.create_location("admin", {**SITE, "timezone": "Mars/Olympus"})
    assert not uows.store.locations
    assert not uows.store.audit


def test_unknown_location(locations: LocationServices) -> None:
    with pytest.raises(NotFoundError):
        locations.update_location("admin", 99, SITE)
    with pytest.raises(NotFoundError):
        locations.delete_location("admin", 99)


def test_import_is_idempotent_and_atomic(uows: FakeUnitOfWorkFactory) -> None:
    imports = ImportServices(uows, FakeClock(), "Asia/Dushanbe")
    document = {"format": "signage-campaign/1", "locations": [SITE, {**SITE, "name": "Circus"}]}
    first = imports.import_campaign("system", document)
    again = imports.import_campaign("system", document)
    assert sorted(first.created) == ["Circus", "Mehrgon market"]
    assert sorted(again.unchanged) == ["Circus", "Mehrgon market"]
    assert len(uows.store.audit) == 2
    broken = {"format": "signage-campaign/1", "locations": [{**SITE, "name": "New"}, {"name": "x"}]}
    with pytest.raises(ValidationError) as excinfo:
        imports.import_campaign("system", broken)
    assert excinfo.value.field == "locations[1].screen_width"
    assert len(uows.store.locations) == 2
