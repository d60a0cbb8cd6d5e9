"""Playlist pages: items in order, reordering, durations for stills, total duration."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from signage.domain.errors import ConflictError, ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.policy import allow

bp = Blueprint("playlists", __name__)
EDITORS = (Role.STAFF, Role.ADMIN)


def seconds_to_ms(text: str | None, field: str = "duration") -> int | None:
    """Milliseconds from a seconds field; empty means 'the video's own length'."""
    if text is None or not text.strip():
        return None
    try:
        return round(float(text.replace(",", ".")) * 1000)
    except ValueError:
        raise ValidationError(field, f"'{text}' is not a number of seconds") from None


@bp.route("/playlists", methods=["GET", "POST"])
@allow()
def index() -> Any:
    error, status = None, 200
    if request.method == "POST":
        if not acting_user().has_any(frozenset(EDITORS)):
            return render_template("error.html", status=403, message="Staff edit playlists."), 403
        try:
            timed = services().playlists.create_playlist(
                acting_user(), request.form.get("name", "")
            )
        except (ValidationError, ConflictError) as exc:
            error, status = exc, 422
        else:
            flash(f"Playlist '{timed.playlist.name}' created.")
            return redirect(url_for("playlists.detail", playlist_id=timed.playlist.id), 303)
    playlists = services().playlists.list_playlists()
    return render_template("playlists.html", playlists=playlists, error=error), status


@bp.get("/playlists/<int:playlist_id>")
@allow()
def detail(playlist_id: int, error: Exception | None = None, status: int = 200) -> Any:
    timed = services().playlists.get_playlist(playlist_id)
    creatives = {c.id: c for c in services().creatives.list_creatives()}
    return render_template(
        "playlist_detail.html", timed=timed, creatives=creatives, error=error,
        campaigns=services().campaigns.list_campaigns(),
    ), status  # fmt: skip


@bp.post("/playlists/<int:playlist_id>/items")
@allow(*EDITORS)
def change_items(playlist_id: int) -> Any:
    """One form for add, remove, move up and move down, by the button pressed."""
    svc, user, form = services().playlists, acting_user(), request.form
    try:
        action = form.get("action", "")
        if action == "add":
            creative_id = int(form.get("creative_id") or 0)
            svc.add_item(user, playlist_id, creative_id, seconds_to_ms(form.get("seconds")))
        elif action in {"remove", "up", "down"}:
            position = int(form.get("position", "-1"))
            if action == "remove":
                svc.remove_item(user, playlist_id, position)
            else:
                count = len(svc.get_playlist(playlist_id).playlist.items)
                order = list(range(count))
                other = position - 1 if action == "up" else position + 1
                if not (0 <= position < count and 0 <= other < count):
                    raise ValidationError("position", "the item cannot move further")
                order[position], order[other] = order[other], order[position]
                svc.reorder_items(user, playlist_id, order)
        elif action == "rename":
            svc.rename_playlist(user, playlist_id, form.get("name", ""))
        else:
            raise ValidationError("action", "unknown change")
    except ValueError:
        return detail(playlist_id, ValidationError("creative_id", "choose a creative"), 422)
    except (ValidationError, ConflictError) as exc:
        return detail(playlist_id, exc, 422)
    flash("Playlist saved; approved campaigns using it go back to review.")
    return redirect(url_for("playlists.detail", playlist_id=playlist_id), 303)
