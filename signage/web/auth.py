"""Sessions (Flask-Login), the login and logout pages, and the rate limit on login."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, login_user, logout_user

from signage.domain.errors import AuthenticationError, NotFoundError
from signage.domain.users import User
from signage.web.forms import ConfirmForm, LoginForm
from signage.web.policy import allow, public

bp = Blueprint("auth", __name__)


class SessionUser(UserMixin):  # type: ignore[misc]
    """Flask-Login's view of a domain user."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:
        return self.user.active


def init_auth(app: Flask, login_rate_limit: str) -> None:
    """Set up the login manager and rate-limit POST /login."""
    manager = LoginManager(app)
    manager.session_protection = "strong"

    @manager.user_loader
    def _load(user_id: str) -> SessionUser | None:
        try:
            user = app.extensions["signage"].users.get_user(int(user_id))
        except (NotFoundError, ValueError):
            return None
        return SessionUser(user) if user.active else None

    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    # Only the login form is limited; every other request skips the limiter's per-request
    # work (resolving default and blueprint limits), which the device polls pay most often.
    @limiter.request_filter
    def _not_limited() -> bool:
        return request.endpoint != "auth.login"

    app.view_functions["auth.login"] = limiter.limit(
        login_rate_limit, methods=["POST"], error_message="too many login attempts; wait a minute"
    )(app.view_functions["auth.login"])


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("dashboard.index")
    return target.rstrip("?")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("login.html", form=form)
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400
    try:
        user = current_app.extensions["signage"].users.authenticate(
            form.username.data or "", form.password.data or ""
        )
    except AuthenticationError as exc:
        form.password.errors = [str(exc)]
        return render_template("login.html", form=form), 401
    login_user(SessionUser(user))
    return redirect(_safe_next(form.next.data))


@bp.route("/logout", methods=["POST"])
@allow()
def logout() -> Any:
    ConfirmForm()
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
