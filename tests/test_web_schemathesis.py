"""Schemathesis fuzzes the JSON API from its OpenAPI document, in-process: no 5xx, and every
response matches the document (status codes, content type, body schema)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from newstrace.store import Store
from newstrace.web.app import create_app
from newstrace.web.sample import build_sample


def _sample_app() -> object:
    # Built at import: schemathesis parametrizes tests from the schema at collection time.
    folder = Path(tempfile.mkdtemp(prefix="newstrace-schemathesis-"))
    atexit.register(shutil.rmtree, folder, True)
    store = Store.open(folder / "api.db")
    build_sample(store)
    store.close()
    return create_app(folder / "api.db")


schema = schemathesis.openapi.from_asgi("/api/openapi.json", _sample_app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_web_api_conforms_to_openapi_and_never_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.path, case.query, response.text[:300])
    case.validate_response(response)
