"""The API's documentation page in a real browser: the vendored Swagger UI draws every operation of the generated
document under the app's Content-Security-Policy, with no console error and no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_documentation_page_draws_the_operations(phone: Any) -> None:
    phone.goto("/api/v1/docs")
    operations = phone.page.locator("#swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() == 6  # GET /claims, /claims/{id}, /referrals, /referrals/{id}; POST decision, payment
    phone.assert_clean()
