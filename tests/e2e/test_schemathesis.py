"""Schemathesis against the app over HTTP (uvicorn on 127.0.0.1): generated requests for every
operation of the OpenAPI schema, schema-valid and schema-invalid, sent with an admin key.

Asserted for every response: no 5xx; the body matches the response schema of its status, and
every status is documented; a schema-invalid request is refused with a 4xx; a schema-valid one
is accepted, unless it breaks one of the few rules between fields that JSON Schema does not
state (CROSS_FIELD_RULES, each answered 422 with its own message); unsupported methods get 405
with an Allow header that lists the path's methods; a request without a key gets 401.

Fixed seed and a small example budget, so a run is repeatable and fits CI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from memsvc.api.app import create_app

from memsvc.bootstrap import build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.servers import app_server

AUTH = {"mode": "keys", "rate_per_s": 0}  # no rate limit: the run sends bursts on purpose
MAX_EXAMPLES = 10  # per operation and phase
# Building the app connects to nothing: the schema is read before any server starts.
SCHEMA = create_app(make_settings(Path("/nonexistent"), auth=AUTH)).openapi()

# Rules between fields that a JSON Schema cannot state: a schema-valid request may break them,
# and then the server answers 422 with this message (each is also a case of the bad-input
# corpus, tests/e2e/test_bad_input_corpus.py).
CROSS_FIELD_RULES = {
    ("PATCH", "/v1/memories/{memory_id}"): ["valid_from must be before valid_to"],
    ("POST", "/v1/memories/search"): ["time window start must be before its end"],
    ("GET", "/v1/memories"): ["malformed cursor"],  # an opaque token from a previous page
    ("POST", "/v1/keys"): ["an admin key acts for the whole tenant"],
    ("POST", "/v1/purge/by-source"): ["name exactly one source"],
    # The body is an export file, whose lines JSON Schema cannot describe.
    ("POST", "/v1/import"): ["line ", "memory ", "the input is empty", "mem0 export is", "UTF-8"],
}
ACCEPTED = {*range(200, 300), 401, 403, 404, 409, 413, 429}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261205,
        "cache": {"enabled": False},
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "mode": "all",
            # Text with NUL (\u0000) is refused with a 422 (test_bad_input_corpus.py covers it).
            # The schema does not say so: a `pattern` on every string made schemathesis spend
            # 30 s more CPU analysing the schema, and other tools pay the same.
            "allow-x00": False,
        },
        "checks": {"positive_data_acceptance": {"enabled": False}},  # valid_data_is_accepted
    }
)
schema = schemathesis.openapi.from_dict(SCHEMA, config=CONFIG)
# An import's body is JSON lines (its schema says: a string); sent as it is.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


def valid_data_is_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Schemathesis's positive_data_acceptance, except for the known cross-field rules."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code in ACCEPTED:
        return None
    message = response.json()["error"]["message"] if response.status_code == 422 else ""
    rules = CROSS_FIELD_RULES.get((case.method.upper(), case.path), [])
    if not any(rule in message for rule in rules):
        raise AssertionError(f"schema-valid request refused: {response.status_code} {message}")
    return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    # Jobs are queued, not run: the API is under test here, and a few hundred generated jobs
    # running beside it would double the time (tests/integration run the job kinds).
    jobs = {"run_in_process": False}
    box = build(make_settings(tmp_path_factory.mktemp("schemathesis"), auth=AUTH, jobs=jobs))
    _, secret = box.keys.create(NewKey("default", "admin"))
    try:
        with app_server(create_app(container=box)) as url:
            assert httpx.get(url + "/openapi.json").json() == SCHEMA  # the schema under test
            yield url, {"Authorization": f"Bearer {secret}"}
    finally:
        box.close()


@schema.parametrize()
def test_every_operation_conforms_to_the_schema(
    case: schemathesis.Case, served: tuple[str, dict[str, str]]
) -> None:
    url, headers = served
    case.call_and_validate(
        base_url=url, headers=headers, additional_checks=[valid_data_is_accepted]
    )
