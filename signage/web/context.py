"""Reaching the services from a request, without importing the composition root."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from signage.domain.users import User


def services() -> Any:
    """The service container that create_app put on the app."""
    return current_app.extensions["signage"]


def acting_user() -> User:
    """The user the policy check let through for this request."""
    user: User = g.user
    return user
