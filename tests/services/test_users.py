"""Account use cases against in-memory fakes."""

from __future__ import annotations

import pytest

from signage.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from signage.domain.users import Role
from signage.services.users import UserServices, hash_token
from tests.services.fakes import FakeClock, FakeUnitOfWorkFactory, PlainHasher

PASSWORD = "long enough password"


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def users(uows: FakeUnitOfWorkFactory) -> UserServices:
    return UserServices(uows, PlainHasher(), FakeClock())


def test_create_user_commits_the_user_and_its_audit_event_together(
    users: UserServices, uows: FakeUnitOfWorkFactory
) -> None:
    user = users.create_user("root", "Nigora", PASSWORD, ["staff", "approver"], "Nigora K.")
    assert user.username == "nigora"
    assert user.roles == frozenset({Role.STAFF, Role.APPROVER})
    assert uows.opened[-1].committed
    (event,) = uows.store.audit
    assert (event.event.actor, event.event.action) == ("root", "user.create")
    assert event.event.after is not None
    assert "password" not in str(event.event.after)


@pytest.mark.parametrize(
    ("username", "password", "roles", "field"),
    [
        ("a", PASSWORD, ["staff"], "username"),
        ("has space", PASSWORD, ["staff"], "username"),
        ("okname", "short", ["staff"], "password"),
        ("okname", PASSWORD, [], "roles"),
        ("okname", PASSWORD, ["janitor"], "roles"),
    ],
)
def test_bad_user_input_names_the_field_and_writes_nothing(
    users: UserServices,
    uows: FakeUnitOfWorkFactory,
    username: str,
    password: str,
    roles: list[str],
    field: str,
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        users.create_user("root", username, password, roles)
    assert excinfo.value.field == field
    assert not uows.store.users
    assert not uows.store.audit


def test_duplicate_username_is_a_conflict(users: UserServices, uows: FakeUnitOfWorkFactory) -> None:
    users.create_user("root", "farrukh", PASSWORD, ["staff"])
    with pytest.raises(ConflictError):
        users.create_user("root", "Farrukh", PASSWORD, ["auditor"])
    assert len(uows.store.users) == 1


def test_authenticate(users: UserServices) -> None:
    created = users.create_user("root", "dilnoza", PASSWORD, ["auditor"])
    assert users.authenticate("Dilnoza", PASSWORD) == created
    with pytest.raises(AuthenticationError):
        users.authenticate("dilnoza", "wrong password!")
    with pytest.raises(AuthenticationError):
        users.authenticate("nobody", PASSWORD)


def test_disabled_users_cannot_log_in_or_use_tokens(users: UserServices) -> None:
    user = users.create_user("root", "timur", PASSWORD, ["staff"])
    _token, secret = users.create_token(user, "script")
    users.update_user("root", user.id, active=False)
    with pytest.raises(AuthenticationError, match="disabled"):
        users.authenticate("timur", PASSWORD)
    with pytest.raises(AuthenticationError):
        users.user_for_token(secret)


def test_tokens_are_stored_hashed_shown_once_and_revocable(
    users: UserServices, uows: FakeUnitOfWorkFactory
) -> None:
    user = users.create_user("root", "sadriddin", PASSWORD, ["staff"])
    token, secret = users.create_token(user, "nightly export")
    ((stored, digest),) = uows.store.tokens.values()
    assert secret not in repr(stored)
    assert digest == hash_token(secret)
    assert len(secret) > 40
    assert users.user_for_token(secret) == user
    users.revoke_token(user, token.id)
    with pytest.raises(AuthenticationError, match="revoked"):
        users.user_for_token(secret)


def test_nobody_revokes_someone_elses_token_except_an_admin(users: UserServices) -> None:
    owner = users.create_user("root", "owner", PASSWORD, ["staff"])
    other = users.create_user("root", "other", PASSWORD, ["staff"])
    admin = users.create_user("root", "boss", PASSWORD, ["admin"])
    token, secret = users.create_token(owner, "mine")
    with pytest.raises(NotFoundError):
        users.revoke_token(other, token.id)
    assert users.user_for_token(secret) == owner
    users.revoke_token(admin, token.id)
    with pytest.raises(AuthenticationError):
        users.user_for_token(secret)


def test_an_admin_cannot_lock_themselves_out(users: UserServices) -> None:
    admin = users.create_user("root", "boss", PASSWORD, ["admin"])
    with pytest.raises(ConflictError):
        users.update_user("boss", admin.id, active=False)
    with pytest.raises(ConflictError):
        users.update_user("boss", admin.id, roles=["staff"])


def test_reset_password(users: UserServices, uows: FakeUnitOfWorkFactory) -> None:
    user = users.create_user("root", "parviz", PASSWORD, ["staff"])
    users.reset_password("root", user.id, "a brand new password")
    assert users.authenticate("parviz", "a brand new password").id == user.id
    assert uows.store.audit[-1].event.action == "user.reset_password"
