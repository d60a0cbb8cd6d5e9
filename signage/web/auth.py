"""Sessions (Flask-Login), the login and logout pages, and the rate limit on login."""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import LoginManager, UserMixin, login_user, logout_user
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from signage.domain.errors import AuthenticationError, NotFoundError
from signage.domain.users import User
from signage.web.forms import ConfirmForm, LoginForm
from signage.web.policy import allow, public

bp = Blueprint("auth", __name__)
LIMITER_KEY = "signage.login_limit"


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

    # Only the login form is limited, so it is checked there and nowhere else: a hook on every
    # request (as Flask-Limiter installs) would cost each device poll for nothing.
    app.extensions[LIMITER_KEY] = LoginLimit(parse(login_rate_limit))


class LoginLimit:
    """Login attempts per client address, a moving window kept in this process's memory."""

    def __init__(self, limit: RateLimitItem) -> None:
        self.limit = limit
        self._window = MovingWindowRateLimiter(MemoryStorage())

    def spend(self, address: str) -> int | None:
        """Count one attempt from `address`; None when allowed, else seconds to wait."""
        if self._window.hit(self.limit, "login", address):
            return None
        reset_at = self._window.get_window_stats(self.limit, "login", address).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def _spend_login_attempt() -> None:
    """Abort with 429 (and Retry-After) when this client has used up its login attempts."""
    limit: LoginLimit = current_app.extensions[LIMITER_KEY]
    wait = limit.spend(request.remote_addr or "unknown")
    if wait is not None:
        response = render_template(
            "error.html", status=429, message=f"Too many login attempts; try again in {wait} s."
        )
        abort(Response(response, status=429, headers={"Retry-After": str(wait)}))


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
    _spend_login_attempt()
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
