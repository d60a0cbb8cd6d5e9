"""/api/v1: the scripting API, authenticated by personal bearer tokens."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel
from spectree import Response as Resp
from spectree import SpecTree
from werkzeug.exceptions import UnsupportedMediaType

from signage.domain.locations import Location
from signage.domain.users import Role
from signage.services.ports import AuditFilter
from signage.web.context import acting_user, services
from signage.web.policy import api_allow, public
from signage.web.schemas import (
    AuditEventOut,
    AuditList,
    AuditQuery,
    LocationIn,
    LocationList,
    LocationOut,
    Me,
    Problem,
)

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
docs = Blueprint("openapi", __name__)


def _reshape_validation_error(req: Any, resp: Any, req_validation_error: Any, *_: Any) -> None:
    """Give pydantic's refusals the API's one error shape, naming the first bad field."""
    if req_validation_error is None or resp is None:
        return
    details = req_validation_error.errors(include_url=False, include_input=False)
    first = details[0] if details else {"loc": (), "msg": "invalid request"}
    # pydantic marks a bad mapping key with a trailing "[key]"; the key itself is the field.
    loc = [str(p) for p in first.get("loc", ()) if p != "[key]"]
    body = {
        "error": "validation",
        "field": ".".join(loc) or None,
        "reason": first.get("msg", "invalid"),
        "details": [
            {"field": ".".join(str(p) for p in d.get("loc", ())), "reason": d.get("msg")}
            for d in details
        ],
    }
    resp.set_data(json.dumps(body, default=str))
    resp.mimetype = "application/json"


spec = SpecTree(
    "flask",
    mode="strict",
    title="Signage API",
    version="1",
    path="apidoc",
    page_templates={},
    before=_reshape_validation_error,
    security_schemes=[
        {"name": "bearer", "data": {"type": "http", "scheme": "bearer"}},
    ],
    security={"bearer": []},
)

ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_415": Problem, "HTTP_422": Problem}


M = TypeVar("M", bound=BaseModel)


def validated(value: Any, model: type[M]) -> M:
    """The body or query spectree already validated (typed for the route's use)."""
    if not isinstance(value, model):
        # spectree validates JSON only when the body claims to be JSON.
        raise UnsupportedMediaType("send the request body as application/json")
    return value


def _location_out(location: Location) -> LocationOut:
    return LocationOut.model_validate(location.as_dict())


@bp.get("/me")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=Me, **ERRORS), tags=["account"])
def me() -> Any:
    """The account that owns the token."""
    user = acting_user()
    roles = sorted(r.value for r in user.roles)
    return Me(id=user.id, username=user.username, display_name=user.display_name, roles=roles)


@bp.get("/locations")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=LocationList, **ERRORS), tags=["locations"])
def list_locations() -> Any:
    """Every location, by name."""
    items = [_location_out(loc) for loc in services().locations.list_locations()]
    return LocationList(items=items)


@bp.post("/locations")
@api_allow(Role.ADMIN)
@spec.validate(
    json=LocationIn, resp=Resp(HTTP_201=LocationOut, HTTP_409=Problem, **ERRORS), tags=["locations"]
)
def create_location() -> Any:
    """Create a location (admins)."""
    data = validated(request.context.json, LocationIn).model_dump(exclude_unset=True)
    location = services().locations.create_location(acting_user().username, data)
    return _location_out(location), 201


@bp.get("/locations/<int:location_id>")
@api_allow()
@spec.validate(
    path_parameter_descriptions={"location_id": "location id"},
    resp=Resp(HTTP_200=LocationOut, HTTP_404=Problem, **ERRORS),
    tags=["locations"],
)
def get_location(location_id: int) -> Any:
    """One location."""
    return _location_out(services().locations.get_location(location_id))


@bp.put("/locations/<int:location_id>")
@api_allow(Role.ADMIN)
@spec.validate(
    json=LocationIn,
    resp=Resp(HTTP_200=LocationOut, HTTP_404=Problem, HTTP_409=Problem, **ERRORS),
    tags=["locations"],
)
def update_location(location_id: int) -> Any:
    """Replace a location's facts (admins)."""
    data = validated(request.context.json, LocationIn).model_dump(exclude_unset=True)
    location = services().locations.update_location(acting_user().username, location_id, data)
    return _location_out(location)


@bp.delete("/locations/<int:location_id>")
@api_allow(Role.ADMIN)
@spec.validate(
    resp=Resp("HTTP_204", HTTP_404=Problem, HTTP_409=Problem, **ERRORS), tags=["locations"]
)
def delete_location(location_id: int) -> Any:
    """Delete a location nothing refers to (admins)."""
    services().locations.delete_location(acting_user().username, location_id)
    return Response(status=204)


@bp.get("/audit")
@api_allow(Role.ADMIN, Role.AUDITOR)
@spec.validate(query=AuditQuery, resp=Resp(HTTP_200=AuditList, **ERRORS), tags=["audit"])
def audit() -> Any:
    """Audit events, newest first (admins and auditors)."""
    q = validated(request.context.query, AuditQuery)
    events = services().audit.events(
        AuditFilter(
            actor=q.actor,
            object_type=q.object_type,
            action=q.action,
            limit=q.limit,
            offset=q.offset,
        )
    )
    items = [
        AuditEventOut(
            seq=e.seq,
            at=e.at,
            actor=e.event.actor,
            action=e.event.action,
            object_type=e.event.object_type,
            object_id=e.event.object_id,
            before=e.event.before,
            after=e.event.after,
            reason=e.event.reason,
            prev_hash=e.prev_hash,
            hash=e.hash,
        )
        for e in events
    ]
    return AuditList(items=items)


@docs.get("/api/openapi.json")
@public
def openapi() -> Any:
    """The OpenAPI description generated from the route declarations above."""
    cached = current_app.extensions.get("signage_openapi")
    if cached is None:
        cached = spec._generate_spec()
        current_app.extensions["signage_openapi"] = cached
    return jsonify(cached)
