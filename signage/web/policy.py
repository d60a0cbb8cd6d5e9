"""Route access policies: every view declares who may call it, and this enforces it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user

from signage.domain.errors import AuthenticationError
from signage.domain.users import ALL_ROLES, Role, User
from signage.web.problems import problem

F = TypeVar("F", bound=Callable[..., Any])
POLICY_ATTR = "signage_policy"


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may call a route: `roles` None means anyone, even anonymous."""

    roles: frozenset[Role] | None
    api: bool = False
    # Player API: a device bearer token (no user role is ever enough).
    device: bool = False

    def allows(self, user: User | None) -> bool:
        """True when the policy lets `user` (None = anonymous) through."""
        if self.roles is None:
            return True
        return user is not None and user.has_any(self.roles)


def _attach(policy: Policy) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            denied = _enforce(policy)
            if denied is not None:
                return denied
            return view(*args, **kwargs)

        setattr(guarded, POLICY_ATTR, policy)
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Anyone may call this route."""
    return _attach(Policy(None))(view)


def allow(*roles: Role) -> Callable[[F], F]:
    """Logged-in users holding one of `roles` (none given: any role) may call this page."""
    return _attach(Policy(frozenset(roles) or ALL_ROLES))


def api_allow(*roles: Role) -> Callable[[F], F]:
    """API route: a personal bearer token whose owner holds one of `roles`."""
    return _attach(Policy(frozenset(roles) or ALL_ROLES, api=True))


def _device_route(view: F, admit: Callable[[], dict[str, Any] | None]) -> F:
    """A player API route: `admit()` takes the request's device credentials and gives the
    view's extra keyword arguments (None: 401)."""
    policy = Policy(frozenset(), api=True, device=True)

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        extra = admit()
        if extra is None:
            return problem(401, "unauthorized", "send 'Authorization: Bearer <device token>'")
        return view(*args, **kwargs, **extra)

    setattr(guarded, POLICY_ATTR, policy)
    return guarded  # type: ignore[return-value]


def device_api(view: F) -> F:
    """Player API route: the bearer token of an active device, which goes in `g.device`."""

    def admit() -> dict[str, Any] | None:
        g.device = _token_device()
        return None if g.device is None else {}

    return _device_route(view, admit)


def device_token_api(view: F) -> F:
    """Player API route whose service checks the device token itself, in the same read
    as the rest of its work (the plan poll): the view gets the bearer secret as its
    `device_token` argument, and the service answers `AuthenticationError` (401) for an
    unknown or revoked one."""

    def admit() -> dict[str, Any] | None:
        secret = _bearer()
        return None if secret is None else {"device_token": secret}

    return _device_route(view, admit)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def _token_device() -> Any:
    secret = _bearer()
    if secret is None:
        return None
    try:
        return current_app.extensions["signage"].devices.device_for_token(secret)
    except AuthenticationError:
        return None


def _enforce(policy: Policy) -> Any:
    if policy.roles is None:
        return None
    if policy.api:
        user = _token_user()
        if user is None:
            return problem(401, "unauthorized", "send 'Authorization: Bearer <API token>'")
        g.user = user
        if not policy.allows(user):
            return problem(403, "forbidden", "your roles do not allow this request")
        return None
    if not current_user.is_authenticated:
        # Anonymous visitors get the login form itself, with the honest status.
        from signage.web.forms import LoginForm

        return render_template("login.html", form=LoginForm(next=request.full_path)), 401
    user: User = current_user.user
    g.user = user
    if not policy.allows(user):
        return render_template(
            "error.html", status=403, message="Your roles do not allow this page."
        ), 403
    return None


def _token_user() -> User | None:
    secret = _bearer()
    if secret is None:
        return None
    try:
        user: User = current_app.extensions["signage"].users.user_for_token(secret)
    except AuthenticationError:
        return None
    return user


def policy_of(app: Flask, endpoint: str) -> Policy | None:
    """The policy declared on an endpoint's view, or None when it declares none."""
    view = app.view_functions.get(endpoint)
    return getattr(view, POLICY_ATTR, None)


def endpoints_without_policy(app: Flask, exempt: Iterable[str] = ("static",)) -> list[str]:
    """Registered endpoints that declare no policy (the route-policy test fails on any)."""
    skip = set(exempt)
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in skip and policy_of(app, rule.endpoint) is None
    )


def declare_public(app: Flask, endpoint: str) -> None:
    """Mark a view registered by a library (e.g. the OpenAPI document) as public."""
    app.view_functions[endpoint] = public(app.view_functions[endpoint])
