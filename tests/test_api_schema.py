"""Schemathesis against the OpenAPI schema of `rerec serve`: generated valid and invalid requests, 0 server errors,
every response as documented. Skipped when schemathesis is not installed (the .ci/run installs it)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from serve_fixtures import ScriptedAssistant, movie_world

from rerec.serve.api import create_app

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (the .ci/run installs it)")

ANSWER = "Step 1: Jaws (1975) was directed by Steven Spielberg.\n\\boxed{Close Encounters of the Third Kind (1977)}"
APP = create_app(ScriptedAssistant(movie_world(), [ANSWER]))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=list(schemathesis.GenerationMode))  # schema-valid and schema-violating


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate()
