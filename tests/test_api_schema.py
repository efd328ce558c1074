"""Schemathesis against the OpenAPI schema of `rerec serve`: generated valid and invalid requests, 0 server errors,
every response as documented; then hostile JSON values (non-finite numbers, lone surrogates, wrong types,
zero-width text) spliced into every field. Skipped when schemathesis is not installed (the .ci/run installs it)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from serve_fixtures import ScriptedAssistant, movie_world

from rerec.serve.api import ServeConfig, create_app
from rerec.serve.limits import VISIBLE_PATTERN, visible

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (the .ci/run installs it)")

ANSWER = "Step 1: Jaws (1975) was directed by Steven Spielberg.\n\\boxed{Close Encounters of the Third Kind (1977)}"
# Schemathesis calls the app as "testserver"; the Host check itself is tested in test_api.py.
APP = create_app(ScriptedAssistant(movie_world(), [ANSWER]), ServeConfig(allowed_hosts=["testserver"]))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=list(schemathesis.GenerationMode))  # schema-valid and schema-violating

HOSTILE = ["1e309", "-1e309", "NaN", "Infinity", "1e-400", "18446744073709551616", "-0", "true", "null", "[]",
           "{}", '"5"', '"\\ud800"', '"a\\udfff"', '"\\u200b\\u200b"', '"\\u0000"', '["\\ud800"]', '[NaN]',
           '"' + "x" * 3000 + '"']  # fmt: skip


@schema.parametrize()
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate()


def test_hostile_values_in_any_field_are_never_a_server_error():
    statuses = []
    with TestClient(APP, base_url="http://testserver") as client:  # one client: the app's batcher lives in its loop
        for field in ("query", "user_id", "liked", "k", "extra"):
            for value in HOSTILE:
                body = {"query": '"a comedy"', "k": "3", field: value}
                raw = "{" + ", ".join(f'"{name}": {text}' for name, text in body.items()) + "}"
                resp = client.post("/v1/recommend", content=raw.encode(), headers={"Content-Type": "application/json"})
                assert resp.status_code < 500, (raw[:80], resp.status_code, resp.text[:200])
                json.loads(resp.content.decode("ascii"))  # every answer, error or not, is plain ASCII JSON
                statuses.append(resp.status_code)
    assert len(statuses) == 5 * len(HOSTILE) and 422 in statuses and 200 in statuses


def test_the_published_pattern_spells_out_its_white_space():
    """`\\s` means different things to different regex engines: schemathesis once sent "\\x1e" as visible text
    that the server's `\\s` refused. The pattern lists the characters instead, the same set as Python's `\\s`."""
    assert r"\s" not in VISIBLE_PATTERN
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    assert "\x1e" in spaces and not any(visible(ch) for ch in spaces)
    assert visible("Jaws") and not visible("\u200b\ufeff")
