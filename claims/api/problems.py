"""Every error of /api/v1/* in one JSON format: RFC 9457 problem details with Chinese and English messages.

    {"type": "urn:claims:problem:not-found", "title": "Not Found", "status": 404,
     "detail": "<in the request's language>", "messages": {"zh": "...", "en": "..."},
     "errors": [{"field": "query.limit", "message": "..."}]}   # 422 only: one entry per field

`type` is a URN named after the status; `title` is the HTTP reason phrase; `detail` is the message in the
caller's language (Chinese unless Accept-Language asks for English). Field messages come from marshmallow, in English.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

API_PREFIX = "/api/v1/"
PROBLEM_TYPE = "application/problem+json"

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("A valid API token is needed: Authorization: Bearer <token>."),
    403: _l("This token's scopes do not allow this."),
    404: _l("This does not exist, or is outside what this client may see."),
    405: _l("This address does not accept that method."),
    409: _l("The claim was changed in the meantime; fetch it again and retry."),
    413: _l("The request is too large."),
    415: _l("Send the request as JSON (Content-Type: application/json)."),
    422: _l("Some fields are not valid."),
    429: _l("Please wait a moment and try again."),
    500: _l("The error was recorded. Nothing was saved from this step; please try again."),
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {"query": {"limit": ["Not a valid integer."]}} as a flat list of field and message."""
    if isinstance(messages, dict):
        return [e for key, value in messages.items() for e in field_errors(value, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix, "message": m} for m in messages]
    if isinstance(messages, list):
        return [e for i, value in enumerate(messages) for e in field_errors(value, f"{prefix}[{i}]")]
    return [{"field": prefix, "message": str(messages)}]


def problem_body(status: int, detail: Any = None, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    message = detail if detail is not None else MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    with force_locale("zh_CN"):
        zh = str(message)
    with force_locale("en"):
        en = str(message)
    body: dict[str, Any] = {"type": f"urn:claims:problem:{phrase.lower().replace(' ', '-')}", "title": phrase, "status": status,
                            "detail": str(message), "messages": {"zh": zh, "en": en}}  # fmt: skip
    if errors:
        body["errors"] = errors
    return body


def problem(status: int, detail: Any = None, *, errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(problem_body(status, detail, errors))
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_for(exc: Any) -> Response:
    """The problem answer for a werkzeug HTTPException (webargs puts its field messages in `exc.data`)."""
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = field_errors(data.get("messages")) if "messages" in data else None
    keep = {name: value for name, value in exc.get_headers() if name in ("Allow", "Retry-After", "WWW-Authenticate")}
    if code == 401:
        keep["WWW-Authenticate"] = "Bearer"
    return problem(code, data.get("message"), errors=errors, headers=keep | (data.get("headers") or {}))
