"""Admin pages for accounts, and everyone's own API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from signage.domain.errors import ConflictError, ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.forms import (
    ConfirmForm,
    PasswordResetForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
)
from signage.web.forms_errors import attach_error
from signage.web.policy import allow

bp = Blueprint("users", __name__)


@bp.route("/users", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index() -> Any:
    form = UserCreateForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                user = services().users.create_user(
                    acting_user().username,
                    form.username.data or "",
                    form.password.data or "",
                    form.roles.data or [],
                    form.display_name.data or "",
                )
            except (ValidationError, ConflictError) as exc:
                attach_error(form, exc)
            else:
                flash(f"User {user.username} created.")
                return redirect(url_for("users.index"), 303)
        status = 422
    users = services().users.list_users()
    return render_template("users.html", users=users, form=form), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(user_id: int) -> Any:
    user = services().users.get_user(user_id)
    form = UserEditForm()
    reset = PasswordResetForm(prefix="reset")
    status = 200
    if form.is_submitted():
        try:
            services().users.update_user(
                acting_user().username,
                user_id,
                display_name=(form.display_name.data or "").strip() or None,
                roles=form.roles.data or [],
                active=bool(form.active.data),
            )
        except (ValidationError, ConflictError) as exc:
            attach_error(form, exc)
            status = 422
        else:
            flash(f"User {user.username} saved.")
            return redirect(url_for("users.index"), 303)
    else:
        form.display_name.data = user.display_name
        form.roles.data = sorted(r.value for r in user.roles)
        form.active.data = user.active
    return render_template("user_edit.html", user=user, form=form, reset=reset), status


@bp.post("/users/<int:user_id>/password")
@allow(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    user = services().users.get_user(user_id)
    reset = PasswordResetForm(prefix="reset")
    try:
        if not reset.validate():
            raise ValidationError("password", "enter the new password")
        services().users.reset_password(acting_user().username, user_id, reset.password.data or "")
    except ValidationError as exc:
        attach_error(reset, exc)
        form = UserEditForm(formdata=None, obj=None)
        form.display_name.data = user.display_name
        form.roles.data = sorted(r.value for r in user.roles)
        form.active.data = user.active
        return render_template("user_edit.html", user=user, form=form, reset=reset), 422
    flash(f"Password of {user.username} reset.")
    return redirect(url_for("users.index"), 303)


@bp.route("/account/tokens", methods=["GET", "POST"])
@allow()
def tokens() -> Any:
    form = TokenForm()
    secret = None
    status = 200
    if form.is_submitted():
        try:
            if not form.validate():
                raise ValidationError("name", "give the token a name of 1–80 characters")
            _token, secret = services().users.create_token(acting_user(), form.name.data or "")
        except ValidationError as exc:
            attach_error(form, exc)
            status = 422
        else:
            status = 201
    listed = services().users.tokens_for(acting_user().id)
    return render_template(
        "tokens.html", form=form, tokens=listed, secret=secret, confirm=ConfirmForm()
    ), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@allow()
def revoke_token(token_id: int) -> Any:
    ConfirmForm()
    services().users.revoke_token(acting_user(), token_id)
    flash("Token revoked.")
    return redirect(url_for("users.tokens"), 303)
