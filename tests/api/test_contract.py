"""The OpenAPI document is valid, and a Schemathesis run against the app (its WSGI interface, no server) with a
token of each kind finds no 5xx and no response that breaks the document. Bounded: a few examples per operation."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

from claims import create_app
from tests.api.conftest import ApiWorld
from tests.conftest import base_config


def test_the_openapi_document_is_valid(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert set(document["paths"]) == {
        "/api/v1/claims",
        "/api/v1/claims/{claim_id}",
        "/api/v1/claims/{claim_id}/documents",
        "/api/v1/claims/{claim_id}/photos/{photo_id}/{variant}",
        "/api/v1/documents/verify",
        "/api/v1/documents/{document_id}",
        "/api/v1/documents/{document_id}/pdf",
        "/api/v1/referrals",
        "/api/v1/referrals/{claim_id}",
        "/api/v1/referrals/{claim_id}/decision",
        "/api/v1/referrals/{claim_id}/payment",
        "/api/v1/quote",
        "/api/v1/schedules",
        "/api/v1/statistics",
    }
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    problem = document["components"]["responses"]["NOT_FOUND"]["content"]
    assert "application/problem+json" in problem


def test_the_documentation_page_runs_under_the_csp(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "API 文档" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" and 'src="/static/' in attrs for attrs, body in scripts)  # no inline script, nothing from a CDN
    assert not [url for url in re.findall(r'(?:src|href)="([^"]+)"', html) if url.startswith(("http", "//"))]
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(path).status_code == 200, path


# The document is read once, at collection, from an app of its own (reading it touches no database); each
# operation's cases then run against the test's app and fresh database.
DOCUMENT_APP = create_app(base_config("sqlite://", Path(tempfile.gettempdir()) / "claims-api-contract"))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", DOCUMENT_APP)


# The token is always ours (tests/api/test_resources.py tries missing and wrong ones), so the checks about the
# authentication Schemathesis generated, or left out on purpose, do not apply; these do.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error_and_every_response_fits_the_document(app: Flask, api_world: ApiWorld, case) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for name in ("insurer", "province"):
        headers = {**(case.headers or {}), "Authorization": f"Bearer {api_world.tokens[name]}"}
        response = client.open(case.formatted_path, method=case.method, query_string=case.query, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        case.validate_response(response, checks=CHECKS)
