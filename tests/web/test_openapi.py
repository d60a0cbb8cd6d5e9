"""The API against its own OpenAPI document: schemathesis drives every operation in-process.

The document is read once at collection time from a throwaway app (the operations must be
known to parametrize the tests); every generated case then runs against one fresh app and
SQLite database shared by the operations of this module, authenticated with an admin's
personal API token. Flask runs with TESTING=True, so an unhandled exception (a 500 in
production) surfaces here as that exception, with its traceback.

Two findings of the first run are kept as regression tests below: ids outside the row-id
range on /api/v1/locations/{id} gave 500s, and a second location with the same non-ASCII
name slipped past SQLite's ASCII-only lower() into the UNIQUE constraint (500, not 409).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import api_token, build, make_app, make_settings, seed_users

OPENAPI_PATH = "/api/openapi.json"
SEED = 20220626  # fixed: the same cases on every run and every machine
MAX_EXAMPLES = 25

# No 5xx, only declared status codes and content types, bodies matching their schema.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

BY_ID = "/api/v1/locations/{location_id}"


def _openapi_document() -> dict[str, Any]:
    """/api/openapi.json of a throwaway app (it depends on the routes only, not on data)."""
    with tempfile.TemporaryDirectory(prefix="signage-openapi-") as folder:
        services = build(make_settings(Path(folder)))
        try:
            response = make_app(services).test_client().get(OPENAPI_PATH)
        finally:
            services.engine.dispose()
    assert response.status_code == 200, response.data[:500]
    document: dict[str, Any] = response.get_json()
    return document


def _config() -> schemathesis.Config:
    config = schemathesis.Config(seed=SEED)
    config.projects.default.generation.update(
        max_examples=MAX_EXAMPLES, deterministic=True, database="none"
    )
    return config


schema = schemathesis.openapi.from_dict(_openapi_document(), config=_config())


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The real app on a fresh SQLite database, and an admin's personal API token.

    Module-scoped: Hypothesis refuses function-scoped fixtures under generated inputs, and the
    operations share one database in collection order (what POST creates, GET/PUT/DELETE see).
    """
    services = build(make_settings(tmp_path_factory.mktemp("openapi")))
    seed_users(services)
    token = api_token(services, "admin")
    yield make_app(services), token
    services.engine.dispose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
def test_every_operation_conforms_to_its_schema(case: Any, api_app: tuple[Any, str]) -> None:
    app, token = api_app
    case.call_and_validate(app=app, headers=_bearer(token), checks=CHECKS)


@pytest.mark.parametrize(
    ("method", "location_id"),
    [
        pytest.param("GET", 0, id="GET-0"),
        pytest.param("GET", 2**31, id="GET-2**31"),
        pytest.param("PUT", 2**63, id="PUT-2**63"),
        pytest.param("DELETE", 2**63, id="DELETE-2**63"),
    ],
)
def test_out_of_range_location_id_is_a_client_error(
    api_app: tuple[Any, str], method: str, location_id: int
) -> None:
    """Ids no row can have are 404s, not crashes (schemathesis found GET 2**31, PUT 2**63)."""
    app, token = api_app
    body = {"name": "Range", "screen_width": 1, "screen_height": 1} if method == "PUT" else None
    response = app.test_client().open(
        f"/api/v1/locations/{location_id}", method=method, headers=_bearer(token), json=body
    )
    assert response.status_code in (404, 422), response.data[:300]
    assert response.get_json()["error"] in ("not_found", "validation")


def test_duplicate_non_ascii_location_name_is_a_conflict(api_app: tuple[Any, str]) -> None:
    """Uniqueness of names is case-blind for Cyrillic and Tajik too (a schemathesis find)."""
    app, token = api_app
    client = app.test_client()
    body = {"name": "Хуҷанд", "screen_width": 1920, "screen_height": 1080}
    first = client.post("/api/v1/locations", headers=_bearer(token), json=body)
    assert first.status_code == 201, first.data[:300]
    shouted = {**body, "name": "ХУҶАНД"}
    second = client.post("/api/v1/locations", headers=_bearer(token), json=shouted)
    assert second.status_code == 409, second.data[:300]
    assert second.get_json()["field"] == "name"


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/"), ref
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part]
    return _resolve(document, target)


def test_openapi_lists_location_paths_with_strict_bodies(api_app: tuple[Any, str]) -> None:
    app, _token = api_app
    response = app.test_client().get(OPENAPI_PATH)
    assert response.status_code == 200
    document = response.get_json()
    paths = document["paths"]
    assert set(paths["/api/v1/locations"]) >= {"get", "post"}
    assert set(paths[BY_ID]) >= {"get", "put", "delete"}

    writes = [paths["/api/v1/locations"]["post"], paths[BY_ID]["put"]]
    for operation in writes:
        body = operation["requestBody"]
        assert body["required"] is True
        body_schema = _resolve(document, body["content"]["application/json"]["schema"])
        assert body_schema["additionalProperties"] is False, operation["operationId"]
        assert {"name", "screen_width", "screen_height"} <= set(body_schema["required"])
