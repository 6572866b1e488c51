"""schemathesis against webapp/sync/openapi.yaml: the JSON endpoints, called with data made
from their own description (and data that breaks it), answer as described: no 5xx, every
status and body documented, JSON throughout, and nothing works without a login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.sync import support as s

SPEC = Path(__file__).resolve().parents[2] / "webapp" / "sync" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(SPEC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
COOKIE = "showroom_session"


def signed_in(app: Any, username: str) -> tuple[dict[str, str], dict[str, str]]:
    """The cookie and CSRF header of a fresh login, for schemathesis' own client."""
    client = app.test_client()
    assert client.login(username).status_code == 303
    token = client.csrf_token()
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    # identity: the in-process client does not undo the app's compression.
    return {COOKIE: cookie.value}, {"X-CSRFToken": token, "Accept-Encoding": "identity"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_the_sync_api_answers_as_its_openapi_description_says(app, world, operation):
    s.make_packet(world.users["salesperson"], world.own_card)
    SCHEMA.app = app
    cookies, headers = signed_in(app, "sales")

    @settings(
        max_examples=s.FUZZ_EXAMPLES,
        derandomize=s.FUZZ_DERANDOMIZE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )
    def check(case: Any) -> None:
        excluded = [ignored_auth, negative_data_rejection]
        if operation.method.upper() == "PUT":
            excluded.append(positive_data_acceptance)
        case.call_and_validate(
            app=app,
            cookies=cookies,
            headers={**(case.headers or {}), **headers},
            # ignored_auth: its probe "without authentication" reuses the in-process client's
            # cookie jar, which holds this login's session; the next test sends no
            # credentials at all. negative_data_rejection: an entry that breaks the schema is
            # answered 200 with its own `rejected` result, by design, so the batch goes on.
            # positive_data_acceptance, for the blob upload: no generated body can match the
            # SHA-256 in its own path, so every "valid" upload is a hash mismatch.
            excluded_checks=excluded,
        )

    check()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_sync_endpoint_works_without_a_login(app, world, operation):
    SCHEMA.app = app

    @settings(
        max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(app=app)
        assert response.status_code in (400, 401), response.text[:300]
        headers = {name.lower(): value for name, value in response.headers.items()}
        assert "application/json" in str(headers["content-type"])

    check()
