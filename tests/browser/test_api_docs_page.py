"""The API's documentation page in a real browser: the vendored Swagger UI draws every operation of the generated
document under the app's Content-Security-Policy, with no console error and no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_documentation_page_draws_the_operations(app: Flask, phone: Any) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    methods = [method for item in document["paths"].values() for method in item if method in ("get", "post", "put", "patch", "delete")]
    assert len(methods) >= 13  # claims, photos, documents, referrals, statistics, schedules; decision, payment, quote
    phone.goto("/api/v1/docs")
    operations = phone.page.locator("#swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() == len(methods)  # every operation of the document, drawn
    phone.assert_clean()
